"""Keeping the inverted index in step with the articles table.

Every change message names a slug; the articles table is the truth, so the indexer re-reads the
article and makes the index say the same: indexed as it is now if it is there, gone if it is not.
That makes messages order-independent and idempotent. A batch of slugs is applied together, so a
posting list shared by many of them is rewritten once per batch, not once per article.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from steppewire.articles.store import ArticleStore, StoredArticle
from steppewire.search.analysis import prefix_key, terms, token_spans, word_pairs
from steppewire.search.heads import (
    DROP_HEAD_BELOW,
    LARGE_TERM_POSTINGS,
    build_head,
    directory_attributes,
    directory_from_attributes,
    head_attributes,
)
from steppewire.search.index_store import IndexTable, Key
from steppewire.search.lines import pack_lines, unpack_lines
from steppewire.search.postings import FACETS, Posting, collector_paused, count, decode, merge
from steppewire.search.ranking import CorpusStats, FieldWeights
from steppewire.search.rows import SearchRow, doc_key

STATS_KEY: Key = ("STATS", "STATS")
DIRECTORY_KEY: Key = ("DIRECTORY", "DIRECTORY")
PREFIX_CHARS = 3  # as-you-type starts at the third character
TAG_PREFIX = "#tag:"


def term_key(term: str) -> Key:
    return (f"T#{term}", "P")


def head_key(term: str) -> Key:
    return (f"T#{term}", "H")


def slug_key(slug: str) -> Key:
    return (f"SLUG#{slug}", "SLUG")


def prefix_item_key(surface: str) -> Key:
    return (f"P#{surface[:PREFIX_CHARS]}", "P")


def tag_term(tag: str) -> str:
    return f"{TAG_PREFIX}{' '.join(tag.split()).casefold()}"  # any run of white space is one space


def minute_of(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() // 60)


@dataclass
class Stats:
    documents: int = 0
    total_lengths: list[int] = field(default_factory=lambda: [0, 0, 0])
    next_doc: int = 1
    codes: dict[str, dict[str, int]] = field(default_factory=lambda: {facet: {} for facet in FACETS})
    labels: dict[str, dict[str, str]] = field(default_factory=lambda: {facet: {} for facet in FACETS})

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Stats:
        if item is None:
            return cls()
        return cls(
            documents=int(item["documents"]),
            total_lengths=[int(n) for n in item["total_lengths"]],
            next_doc=int(item["next_doc"]),
            codes={facet: {k: int(v) for k, v in item["codes"][facet].items()} for facet in FACETS},
            labels={facet: dict(item["labels"][facet]) for facet in FACETS},
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "pk": STATS_KEY[0],
            "sk": STATS_KEY[1],
            "documents": self.documents,
            "total_lengths": self.total_lengths,
            "next_doc": self.next_doc,
            "codes": self.codes,
            "labels": self.labels,
        }

    @property
    def corpus(self) -> CorpusStats:
        """What BM25 needs of these statistics."""
        title, summary, body = self.total_lengths
        return CorpusStats(self.documents, (title, summary, body))

    def code(self, facet: str, value: str | None) -> int:
        """Small integer for a facet value (0 = none), assigned on first sight; matched case-insensitively."""
        if not value:
            return 0
        key = value.strip().casefold()
        codes = self.codes[facet]
        if key not in codes:
            codes[key] = len(codes) + 1
            self.labels[facet][str(codes[key])] = value.strip()
        return codes[key]


@dataclass(frozen=True)
class AnalyzedArticle:
    slug: str
    fields: tuple[list[str], list[str], list[str]]  # title, summary, body terms
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
        for term, start, end in token_spans(source):
            if term is not None and len(surface := prefix_key(source[start:end])) >= PREFIX_CHARS:
                surfaces[surface] = term
    return AnalyzedArticle(
        slug=article.slug,
        fields=(terms(title), terms(summary), terms(text)),
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


class Indexer:
    def __init__(self, table: IndexTable, article_reader: Callable[[str], StoredArticle | None]) -> None:
        self._table = table
        self._read_article = article_reader

    @classmethod
    def for_store(cls, table: IndexTable, articles: ArticleStore) -> Indexer:
        return cls(table, articles.article)

    def apply(self, slugs: Collection[str], *, force: bool = False) -> IndexReport:
        """Make the index agree with the articles table for these slugs. An article whose revision the index
        already holds is left alone (a re-upload of the same bytes, a redelivered message), unless `force`
        (a rebuild, e.g. after the analyzer changed)."""
        slugs = list(dict.fromkeys(slugs))
        current = self._table.get_many([slug_key(slug) for slug in slugs] + [STATS_KEY, DIRECTORY_KEY])
        stats = Stats.from_item(current.get(STATS_KEY))
        analyzed = {}
        unchanged = []
        for slug in slugs:
            item = self._read_article(slug)
            indexed = current.get(slug_key(slug))
            if not force and _same_revision(item, indexed):
                unchanged.append(slug)
                continue
            analyzed[slug] = analyze_article(item) if item is not None else None
        report = self._write(list(analyzed), current, stats, analyzed) if analyzed else IndexReport()
        report.unchanged = unchanged
        return report

    def _write(
        self,
        slugs: Iterable[str],
        current: Mapping[Key, Mapping[str, Any]],
        stats: Stats,
        analyzed: Mapping[str, AnalyzedArticle | None],
    ) -> IndexReport:
        report = IndexReport()
        upserts: dict[str, list[Posting]] = defaultdict(list)
        removals: dict[str, set[int]] = defaultdict(set)
        surface_deltas: dict[Key, Counter[tuple[str, str]]] = defaultdict(Counter)
        puts: list[dict[str, Any]] = []
        deletes: list[Key] = []
        for slug in slugs:
            old = current.get(slug_key(slug))
            article = analyzed[slug]
            if old is not None:
                doc = int(old["doc"])
                for term in unpack_lines(old["terms"]):
                    removals[term].add(doc)
                for surface, term in (line.split("\t") for line in unpack_lines(old["surfaces"])):
                    surface_deltas[prefix_item_key(surface)][(surface, term)] -= 1
                stats.documents -= 1
                stats.total_lengths = [t - int(n) for t, n in zip(stats.total_lengths, old["lengths"], strict=True)]
            if article is None:
                if old is not None:
                    deletes += [slug_key(slug), doc_key(int(old["doc"]))]
                    report.removed.append(slug)
                continue
            doc = int(old["doc"]) if old is not None else stats.next_doc
            stats.next_doc = max(stats.next_doc, doc + 1)
            title_terms, summary_terms, body_terms = article.fields
            lengths = (len(title_terms), len(summary_terms), len(body_terms))
            codes = {facet: stats.code(facet, article.facet_values[facet]) for facet in FACETS}
            counts = [Counter(field_terms) for field_terms in article.fields]
            # Word pairs and tags have no term frequency (tf 0): they filter, the words rank.
            pairs = {pair for field_terms in article.fields for pair in word_pairs(field_terms)}
            doc_terms = set().union(*counts) | pairs | {tag_term(tag) for tag in article.tags}
            for term in doc_terms:
                tf = (counts[0][term], counts[1][term], counts[2][term])
                upserts[term].append(
                    Posting(
                        doc, tf, lengths, article.published_minute, codes["lang"], codes["category"], codes["country"]
                    )
                )
                removals[term].discard(doc)
            for surface, term in article.surfaces.items():
                surface_deltas[prefix_item_key(surface)][(surface, term)] += 1
            stats.documents += 1
            stats.total_lengths = [t + n for t, n in zip(stats.total_lengths, lengths, strict=True)]
            puts.append(article.row.to_item(doc))
            puts.append(
                {
                    "pk": slug_key(slug)[0],
                    "sk": slug_key(slug)[1],
                    "doc": doc,
                    # packed: a long article's ~20,000 terms and pairs would not fit a 400 KB item as lists
                    "terms": pack_lines(sorted(doc_terms)),
                    "surfaces": pack_lines(f"{surface}\t{term}" for surface, term in sorted(article.surfaces.items())),
                    "lengths": list(lengths),
                    "revision": article.revision,
                }
            )
            report.indexed.append(slug)
        touched = sorted(set(upserts) | set(removals))
        existing = self._table.get_many([term_key(t) for t in touched] + list(surface_deltas))
        directory = directory_from_attributes(current.get(DIRECTORY_KEY))
        corpus = stats.corpus  # final: every article of the batch is counted
        with collector_paused():  # thousands of postings decoded per head item
            for term in touched:
                previous = existing.get(term_key(term))
                merged = merge(previous["p"] if previous else None, upserts.get(term, ()), removals.get(term, set()))
                postings = count(merged)
                if postings:
                    puts.append({"pk": term_key(term)[0], "sk": "P", "p": merged})
                elif previous is not None:
                    deletes.append(term_key(term))
                if postings >= LARGE_TERM_POSTINGS or (term in directory and postings >= DROP_HEAD_BELOW):
                    head = build_head(decode(merged), corpus, FieldWeights())
                    puts.append({"pk": head_key(term)[0], "sk": head_key(term)[1], **head_attributes(head)})
                    directory[term] = postings
                elif term in directory:
                    deletes.append(head_key(term))
                    del directory[term]
        if directory or DIRECTORY_KEY in current:
            puts.append({"pk": DIRECTORY_KEY[0], "sk": DIRECTORY_KEY[1], **directory_attributes(directory)})
        report.terms_rewritten = len(touched)
        for key, deltas in surface_deltas.items():
            vocabulary = {s: list(v) for s, v in (existing.get(key) or {}).get("v", {}).items()}
            for (surface, term), delta in deltas.items():
                docs = int(vocabulary.get(surface, [term, 0])[1]) + delta
                if docs > 0:
                    vocabulary[surface] = [term, docs]
                else:
                    vocabulary.pop(surface, None)
            if vocabulary:
                puts.append({"pk": key[0], "sk": key[1], "v": vocabulary})
            elif key in existing:
                deletes.append(key)
        puts.append(stats.to_item())
        self._table.write_many(puts, deletes)
        return report


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
    return total
