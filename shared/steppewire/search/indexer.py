"""Keeping the inverted index in step with the articles table.

Every change message names a slug; the articles table is the truth, so the indexer re-reads the
article and makes the index say the same: indexed as it is now if it is there, gone if it is not.
That makes messages order-independent and idempotent. A batch of slugs is applied together, so a
term shared by many of them is rewritten once per batch, not once per article.

What a batch writes of a term (the layout is `schema.py`'s): a small term's whole list; a large term's tail
only, unless the tail has grown to `tail_postings`, when it is merged into the chunks in the same batch (the
fold: the chunks that changed, their lean forms and the head, then the emptied tail). A term that grows to
`large_term_postings` is chunked the same way; one that falls below `drop_head_below` is made small again.
Merge writes go first and the tails after them, so a query reading between the two sees each posting once.
A merge that chunks, unchunks or re-chunks a term, or gives it or takes its head, also rewrites the directory
shard that lists it (read first). The typo items (`typos.py`) are read and rewritten for the words that a batch
brings into the index or takes out of it (their document count rises from 0 or falls to 0), and no others.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from steppewire.articles.store import ArticleStore, StoredArticle
from steppewire.search.analysis import index_terms, prefix_key, terms, token_spans, word_pairs
from steppewire.search.heads import build_head, head_attributes
from steppewire.search.index_store import IndexTable, Key
from steppewire.search.postings import FACETS, Posting, collector_paused
from steppewire.search.ranking import CorpusStats, FieldWeights
from steppewire.search.rows import SearchRow, doc_key
from steppewire.search.schema import (
    PREFIX_CHARS,
    PREFIX_PK,
    STATS_KEY,
    TYPO_PK,
    DirectoryEntry,
    Indexed,
    IndexPolicy,
    Stats,
    Tail,
    Vocabulary,
    chunk_item,
    chunk_key,
    chunk_postings,
    directory_from_attributes,
    directory_item,
    directory_key,
    document_values,
    documents_item,
    documents_key,
    head_key,
    lean_digest,
    lean_item,
    lean_key,
    prefix_item_key,
    slug_key,
    tag_term,
    term_key,
    typo_item,
    typo_words,
    vocabulary_item,
    vocabulary_of,
    with_changes,
)
from steppewire.search.typos import typo_keys


def minute_of(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() // 60)


@dataclass(frozen=True)
class AnalyzedArticle:
    slug: str
    fields: tuple[list[str], list[str], list[str]]  # title, summary, body: their index terms (words and parts)
    pairs: frozenset[str]  # the word pairs of every field (words only: a hyphenated word's parts are not words)
    surfaces: dict[str, str]  # normalized word -> its term, for prefix search
    tags: tuple[str, ...]
    row: SearchRow
    published_minute: int
    facet_values: dict[str, str | None]
    revision: int


def analyze_article(article: StoredArticle) -> AnalyzedArticle:
    title, summary, text = article.title, article.summary or "", article.text
    surfaces = {}
    for source in (title, summary, text):
        for term, start, end, parts in token_spans(source):
            if term is not None and len(surface := prefix_key(source[start:end])) >= PREFIX_CHARS:
                surfaces[surface] = term
            # so that typing "biolo" completes to the part of "Cell-Biologist" that a search for it finds
            surfaces |= {part.surface: part.term for part in parts if len(part.surface) >= PREFIX_CHARS}
    return AnalyzedArticle(
        slug=article.slug,
        fields=(index_terms(title), index_terms(summary), index_terms(text)),
        pairs=frozenset(pair for source in (title, summary, text) for pair in word_pairs(terms(source))),
        surfaces=surfaces,
        tags=article.tags,
        row=SearchRow.of(article),
        published_minute=minute_of(article.published_at),
        facet_values={facet: getattr(article, facet) for facet in FACETS},
        revision=article.revision,
    )


@dataclass
class IndexReport:
    indexed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # the index already had that revision (or no article)
    terms_rewritten: int = 0
    terms_merged: int = 0  # large terms whose tail was merged into their chunks (or that were chunked or unchunked)
    merge_write_units: float = 0.0  # of the write units of this batch, those the merges took


@dataclass
class _TermChange:
    """What a batch does to one term: the postings its documents had before and have now."""

    before: dict[int, Posting] = field(default_factory=dict)
    after: dict[int, Posting] = field(default_factory=dict)


class Indexer:
    def __init__(
        self,
        table: IndexTable,
        article_reader: Callable[[str], StoredArticle | None],
        policy: IndexPolicy | None = None,
    ) -> None:
        self._table = table
        self._read_article = article_reader
        self._policy = policy or IndexPolicy()

    @classmethod
    def for_store(cls, table: IndexTable, articles: ArticleStore, policy: IndexPolicy | None = None) -> Indexer:
        # A hidden article (a draft, a private post) reads as absent: it is never indexed, or is dropped.
        return cls(table, articles.public_article, policy)

    def apply(self, slugs: Collection[str], *, force: bool = False) -> IndexReport:
        """Make the index agree with the articles table for these slugs. An article whose revision the index
        already holds is left alone (a re-upload of the same bytes, a redelivered message), unless `force`
        (a rebuild, e.g. after the analyzer changed)."""
        slugs = list(dict.fromkeys(slugs))
        current = self._table.get_many([slug_key(slug) for slug in slugs] + [STATS_KEY])
        analyzed = {}
        unchanged = []
        for slug in slugs:
            item = self._read_article(slug)
            indexed = current.get(slug_key(slug))
            if not force and _same_revision(item, indexed):
                unchanged.append(slug)
                continue
            analyzed[slug] = analyze_article(item) if item is not None else None
        report = self._write(current, analyzed) if analyzed else IndexReport()
        report.unchanged = unchanged
        return report

    def _write(
        self, current: Mapping[Key, Mapping[str, Any]], analyzed: Mapping[str, AnalyzedArticle | None]
    ) -> IndexReport:
        report = IndexReport()
        stats = Stats.from_item(current.get(STATS_KEY))
        changes: dict[str, _TermChange] = defaultdict(_TermChange)
        surface_deltas: dict[Key, Counter[tuple[str, str]]] = defaultdict(Counter)
        puts: list[dict[str, Any]] = []
        deletes: list[Key] = []
        replaced_rows: list[Key] = []
        values: dict[int, Posting | None] = {}  # the documents' values now, by doc id (None: removed)
        for slug, article in analyzed.items():
            old_item = current.get(slug_key(slug))
            old = Indexed.from_item(old_item) if old_item is not None else None
            if old is not None:
                for term in old.tfs:
                    changes[term].before[old.doc] = old.posting(term)
                for surface, term in old.surfaces.items():
                    surface_deltas[prefix_item_key(surface)][(surface, term)] -= 1
                stats.documents -= 1
                stats.total_lengths = [t - n for t, n in zip(stats.total_lengths, old.lengths, strict=True)]
                replaced_rows.append(doc_key(old.doc))
            if article is None:
                if old is not None:
                    deletes += [slug_key(slug), doc_key(old.doc)]
                    values[old.doc] = None
                    report.removed.append(slug)
                continue
            doc = old.doc if old is not None else stats.next_doc
            stats.next_doc = max(stats.next_doc, doc + 1)
            indexed = self._indexed(doc, article, stats)
            for term in indexed.tfs:
                changes[term].after[doc] = indexed.posting(term)
            for surface, term in article.surfaces.items():
                surface_deltas[prefix_item_key(surface)][(surface, term)] += 1
            stats.documents += 1
            stats.total_lengths = [t + n for t, n in zip(stats.total_lengths, indexed.lengths, strict=True)]
            values[doc] = indexed.document_values()
            puts += [article.row.to_item(doc), indexed.to_item(slug)]
            report.indexed.append(slug)
        touched = sorted(changes)
        # The result rows are read too, only so that the adapter bills their overwrite or delete at their size.
        vocabulary_tails = [(key[0], "T") for key in surface_deltas]
        blocks = sorted({self._policy.document_block_of(doc) for doc in values})
        existing = self._table.get_many(
            [term_key(t) for t in touched]
            + list(surface_deltas)
            + vocabulary_tails
            + replaced_rows
            + [documents_key(block) for block in blocks]
        )
        block_puts, block_deletes = self._block_changes(blocks, values, existing, stats)
        corpus = stats.corpus  # final: every article of the batch is counted
        merges: dict[str, Tail] = {}
        for term in touched:
            tail = self._changed_tail(Tail.from_item(existing.get(term_key(term))), changes[term])
            policy = self._policy
            if tail.chunks and tail.documents < policy.drop_head_below:
                merges[term] = tail  # unchunked
            elif tail.chunks and len(tail.added) + len(tail.removed) >= policy.tail_postings:
                merges[term] = tail
            elif not tail.chunks and tail.documents >= policy.large_term_postings:
                merges[term] = tail  # chunked
            elif tail.documents:
                puts.append(tail.to_item(term))
            elif term_key(term) in existing:
                deletes.append(term_key(term))
        report.terms_rewritten = len(touched)
        merge_puts: list[dict[str, Any]] = []
        merge_deletes: list[Key] = []
        if merges:
            with collector_paused():  # thousands of postings decoded per merged term
                entries = self._merge(merges, corpus, puts, merge_puts, merge_deletes)
            puts += self._directory_changes(entries)
            report.terms_merged = len(merges)
        appeared: dict[str, str] = {}
        vanished: list[str] = []
        for key, deltas in surface_deltas.items():
            tail_key = (key[0], "T")
            before = with_changes(vocabulary_of(existing.get(key)), vocabulary_of(existing.get(tail_key)))
            net: Counter[str] = Counter()
            new_terms: dict[str, str] = {}
            for (surface, term), delta in deltas.items():
                net[surface] += delta
                if delta > 0:
                    new_terms[surface] = term
            for surface, delta in net.items():
                was = before[surface][1] if surface in before else 0
                if not was and delta > 0:
                    appeared[surface] = new_terms[surface]
                elif was and was + delta <= 0:
                    vanished.append(surface)
            counts: Vocabulary = vocabulary_of(existing.get(tail_key))
            for (surface, term), delta in deltas.items():
                total = counts.get(surface, (term, 0))[1] + delta
                counts[surface] = (term, total)
            counts = {surface: change for surface, change in counts.items() if change[1]}
            if len(counts) < self._policy.vocabulary_tail:
                if counts:
                    puts.append(vocabulary_item(tail_key, counts))
                elif tail_key in existing:
                    deletes.append(tail_key)
                continue
            vocabulary = with_changes(vocabulary_of(existing.get(key)), counts)
            if vocabulary:
                puts.append(vocabulary_item(key, vocabulary))
            elif key in existing:
                deletes.append(key)
            if tail_key in existing:
                deletes.append(tail_key)
        typo_puts, typo_deletes = self._typo_changes(appeared, vanished)
        puts += typo_puts
        deletes += typo_deletes
        puts.append(stats.to_item())
        meter = self._table.meter
        # The document values before any posting that a reader completes with them (a lean chunk's).
        self._table.write_many(block_puts, block_deletes)
        merged_before = meter.write_units
        self._table.write_many(merge_puts, [])  # chunks, lean chunks, heads: before the tails that point at them
        merge_units = meter.write_units - merged_before
        self._table.write_many(puts, deletes)
        merged_before = meter.write_units
        self._table.write_many([], merge_deletes)  # what unchunked terms had: after their whole lists
        report.merge_write_units = merge_units + meter.write_units - merged_before
        return report

    def _block_changes(
        self,
        blocks: Sequence[int],
        values: Mapping[int, Posting | None],
        existing: Mapping[Key, Mapping[str, Any]],
        stats: Stats,
    ) -> tuple[list[dict[str, Any]], list[Key]]:
        """The document-values items of the changed documents' blocks, and their write counts in `stats`."""
        puts: list[dict[str, Any]] = []
        deletes: list[Key] = []
        changed: dict[int, dict[int, Posting | None]] = defaultdict(dict)
        for doc, posting in values.items():
            changed[self._policy.document_block_of(doc)][doc] = posting
        for block in blocks:
            documents = {p.doc: p for p in document_values(existing.get(documents_key(block)))}
            for doc, posting in changed[block].items():
                if posting is None:
                    documents.pop(doc, None)
                else:
                    documents[doc] = posting
            if documents:
                puts.append(documents_item(block, documents.values()))
            elif documents_key(block) in existing:
                deletes.append(documents_key(block))
            stats.blocks += [0] * (block + 1 - len(stats.blocks))
            stats.blocks[block] += 1
        return puts, deletes

    def _typo_changes(
        self, appeared: Mapping[str, str], vanished: Collection[str]
    ) -> tuple[list[dict[str, Any]], list[Key]]:
        """The typo items of the words that came into the index (surface -> term) or left it: one read, and only
        when there are such words; a word whose count merely changed costs nothing here."""
        changes: dict[Key, dict[str, str | None]] = defaultdict(dict)  # None: the word goes
        for surface, term in appeared.items():
            for key in typo_keys(surface):
                changes[key][surface] = term
        for surface in vanished:
            for key in typo_keys(surface):
                changes[key][surface] = None
        if not changes:
            return [], []
        found = self._table.get_many(list(changes))
        puts: list[dict[str, Any]] = []
        deletes: list[Key] = []
        for key, change in changes.items():
            words = typo_words(found.get(key))
            wanted = {surface: term for surface, term in (words | change).items() if term is not None}
            if wanted == words:
                continue
            if wanted:
                puts.append(typo_item(key, wanted))
            elif key in found:
                deletes.append(key)
        return puts, deletes

    def _indexed(self, doc: int, article: AnalyzedArticle, stats: Stats) -> Indexed:
        title_terms, summary_terms, body_terms = article.fields
        counts = [Counter(field_terms) for field_terms in article.fields]
        # Word pairs and tags have no term frequency (tf 0): they filter, the words rank.
        doc_terms = set().union(*counts) | article.pairs | {tag_term(tag) for tag in article.tags}
        lang, category, country = (stats.code(facet, article.facet_values[facet]) for facet in FACETS)
        return Indexed(
            doc=doc,
            lengths=(len(title_terms), len(summary_terms), len(body_terms)),
            minute=article.published_minute,
            codes=(lang, category, country),
            tfs={term: (counts[0][term], counts[1][term], counts[2][term]) for term in doc_terms},
            surfaces=dict(article.surfaces),
            revision=article.revision,
        )

    @staticmethod
    def _changed_tail(tail: Tail, change: _TermChange) -> Tail:
        """The term's `P` item after the batch's change. A small term's list is its whole list; a large term's
        chunk postings that the change replaces or removes are recorded as removed (their old version)."""
        added = {p.doc: p for p in tail.added}
        removed = {p.doc: p for p in tail.removed}
        for doc, old in change.before.items():
            if doc in added:
                del added[doc]  # not merged yet: dropped (a chunk version it replaced stays in `removed`)
            elif tail.chunks:
                removed[doc] = old
        added |= change.after
        documents = tail.documents - len(change.before) + len(change.after)
        by_doc = sorted(added.values(), key=lambda p: p.doc)
        return Tail(by_doc, sorted(removed.values(), key=lambda p: p.doc), tail.chunks, documents, tail.lean)

    def _merge(
        self,
        merges: Mapping[str, Tail],
        corpus: CorpusStats,
        puts: list[dict[str, Any]],
        merge_puts: list[dict[str, Any]],
        merge_deletes: list[Key],
    ) -> dict[str, DirectoryEntry | None]:
        """Fold each tail into its term's chunks (chunking a term that became large, unchunking one that became
        small): reads the term's chunks, lean chunks and head, writes what changed. Returns each merged term's
        directory entry (None: no longer large)."""
        entries: dict[str, DirectoryEntry | None] = {}
        keys = [
            key
            for term, tail in merges.items()
            for number in range(tail.chunks)
            for key in (chunk_key(term, number), lean_key(term, number))
        ]
        found = self._table.get_many(keys + [head_key(term) for term in merges])
        for term, tail in merges.items():
            stored = [found.get(chunk_key(term, number)) for number in range(tail.chunks)]
            old_chunks = [chunk_postings(item) if item is not None else [] for item in stored]
            postings = tail.current(old_chunks)
            if tail.documents < self._policy.drop_head_below:
                if postings:
                    puts.append(Tail(postings, [], 0, len(postings)).to_item(term))
                else:
                    merge_deletes.append(term_key(term))
                merge_deletes += [key for key in found if key[0] == term_key(term)[0]]
                entries[term] = None
                continue
            chunks = rechunk(old_chunks, postings, self._policy.chunk_postings)
            leans: list[dict[str, Any]] = []
            for number, chunk in enumerate(chunks):
                lean = found.get(lean_key(term, number)) if number < len(stored) else None
                # Compared decoded (the codec round-trips exactly): encoding every chunk to compare cost more.
                if lean is None or stored[number] is None or old_chunks[number] != chunk:
                    lean = lean_item(term, number, chunk)
                    merge_puts += [chunk_item(term, number, chunk), lean]
                leans.append(lean)
            merge_deletes += [
                key
                for number in range(len(chunks), tail.chunks)
                for key in (chunk_key(term, number), lean_key(term, number))
            ]
            if self._policy.has_head(len(postings)):
                head = build_head(postings, corpus, FieldWeights(), self._policy.head_postings)
                merge_puts.append({"pk": head_key(term)[0], "sk": head_key(term)[1], **head_attributes(head)})
            elif head_key(term) in found:
                merge_deletes.append(head_key(term))  # fewer postings than a head is worth now
            puts.append(Tail([], [], len(chunks), len(postings), lean_digest(leans)).to_item(term))
            entries[term] = DirectoryEntry(len(postings), len(chunks))
        return entries

    def _directory_changes(self, entries: Mapping[str, DirectoryEntry | None]) -> list[dict[str, Any]]:
        """The directory shards that list the merged terms, rewritten where a term came, went, changed its chunk
        count or gained or lost its head (a document count alone is a planning hint, not worth a rewrite)."""
        by_shard: dict[int, dict[str, DirectoryEntry | None]] = defaultdict(dict)
        for term, entry in entries.items():
            by_shard[self._policy.directory_shard(term)][term] = entry
        found = self._table.get_many([directory_key(shard) for shard in sorted(by_shard)])
        puts = []
        for shard, changes in sorted(by_shard.items()):
            directory = directory_from_attributes(found.get(directory_key(shard)))
            changed = False
            for term, entry in changes.items():
                old = directory.get(term)
                if entry is None and old is not None:
                    del directory[term]
                    changed = True
                elif entry is not None and (
                    old is None
                    or old.chunks != entry.chunks
                    or self._policy.has_head(old.documents) != self._policy.has_head(entry.documents)
                ):
                    directory[term] = entry
                    changed = True
            if changed:
                puts.append(directory_item(shard, directory))
        return puts


def rechunk(chunks: Sequence[Sequence[Posting]], postings: Sequence[Posting], size: int) -> list[list[Posting]]:
    """`postings` (doc-ordered) cut into chunks: each existing chunk keeps its doc range (from its first doc to
    the next chunk's), so a change rewrites the chunks it touches only; the last one fills to `size` and then
    starts the next; a middle one is split when it passes twice `size` (the chunks after it are renumbered)."""
    firsts = [chunk[0].doc for chunk in chunks if chunk]
    groups: list[list[Posting]] = [[] for _ in firsts] or [[]]
    for posting in postings:
        groups[max(0, bisect_right(firsts, posting.doc) - 1)].append(posting)
    result: list[list[Posting]] = []
    for number, group in enumerate(groups):
        limit = size if number == len(groups) - 1 else 2 * size
        if len(group) > limit:
            result += [group[start : start + size] for start in range(0, len(group), size)]
        elif group:
            result.append(group)
    return result


def _same_revision(article: StoredArticle | None, indexed: Mapping[str, Any] | None) -> bool:
    """True when applying the article would change nothing: neither is there, or both at one revision."""
    if article is None or indexed is None:
        return article is None and indexed is None
    return "revision" in indexed and int(indexed["revision"]) == article.revision


def all_article_slugs(articles: ArticleStore, page_size: int = 500) -> list[str]:
    """Every stored article, scheduled ones included (the `LIST#all` partition, read page by page)."""
    slugs: list[str] = []
    after: str | None = None
    while True:
        cards, after = articles.listing(["all"], before="\uffff", limit=page_size, start_after=after)
        slugs += [str(card["slug"]) for card in cards]
        if after is None:
            return slugs


def rebuild(indexer: Indexer, table: IndexTable, articles: ArticleStore, batch: int = 200) -> IndexReport:
    """`make reindex`: make the whole index agree with the articles table (also drops what it no longer has)."""
    indexed = {key[0].removeprefix("SLUG#") for key in table.keys_with_prefix("SLUG#")}
    slugs = list(dict.fromkeys(all_article_slugs(articles) + sorted(indexed)))
    total = IndexReport()
    for start in range(0, len(slugs), batch):
        part = indexer.apply(slugs[start : start + batch], force=True)
        total.indexed += part.indexed
        total.removed += part.removed
        total.terms_rewritten += part.terms_rewritten
    rebuild_typo_items(table)
    return total


def rebuild_typo_items(table: IndexTable) -> None:
    """Make the typo items list exactly the words of the prefix vocabularies (the rebuild's last step: it also
    gives them to an index written before they existed, and drops any the vocabularies no longer hold)."""
    found = table.get_many(table.keys_with_prefix(PREFIX_PK))
    wanted: dict[Key, dict[str, str]] = defaultdict(dict)
    for pk in {pk for pk, _ in found}:
        vocabulary = with_changes(vocabulary_of(found.get((pk, "P"))), vocabulary_of(found.get((pk, "T"))))
        for surface, (term, _) in vocabulary.items():
            for key in typo_keys(surface):
                wanted[key][surface] = term
    stored = table.get_many(table.keys_with_prefix(TYPO_PK))
    puts = [typo_item(key, words) for key, words in wanted.items() if typo_words(stored.get(key)) != words]
    table.write_many(puts, [key for key in stored if key not in wanted])
