"""Answering a query from the index: two batched reads, everything else in memory.

Read 1: the query's terms, the corpus statistics (and, for as-you-type, the last word's prefix vocabulary).
Read 2: the result rows of the requested page only.

What read 1 fetches of a term is planned from the term directory (the large terms, with how many documents and
chunks they have; a container keeps it for a few minutes). A small term is its `P` item; a large term is read
as its `P` item (the tail: what changed since its last merge) plus (`schema.py`):
- for a one-word query on a large term, its head item (`heads.py`), and the lean lists of the word's other
  terms if it has some (as-you-type completions, with the head term's lean chunks then): total, facets and the
  first pages come from there, exactly, or the head term's lean chunks are read after all (a third round trip);
- otherwise its lean chunks (doc ids and term frequencies) and its tail, in one Query (`schema.lean_range`,
  sent with read 1's BatchGetItem: DynamoDB bills a Query by the summed size of what it returns, so the tail
  and a part-filled chunk do not each round up to 4 KB). A lean posting is completed with its document's
  values (lengths, date, facet codes) from the document-values blocks, which the search function reads as its
  container starts (`warm_up`, with the directory) and keeps: the statistics, read with every query, count
  each block's writes, and a block written since it was read is read again (one more round trip, only for
  documents the query's lean lists have). A document no block has yet (an index written before the blocks)
  has its terms read whole after all. The directory's shards that list the query's terms are refreshed in
  read 1 every few minutes; the tails say how many chunks a term has now, and chunks that a stale directory
  did not name are read in one more round trip (an engine without a directory reads every list whole).

When fewer than a page match every word (`matching.fill`), the lists read already hold every article with any
of the words; a word that matches nothing reads its typo items (`typos.py`), then the corrections' lists. A
question (more than `LONG_QUERY_WORDS` words) is read at once within `LONG_READ_UNITS` (`_long_search`). The
editors' synonyms join the words they stand for (`_with_synonyms`).

As-you-type: the completions of the last word come from a small prefix vocabulary item (and its tail). A warm container
keeps the vocabularies it has read for a few minutes, so the completions join read 1; on a cold vocabulary
they cost one read in between (3 round trips).
"""

from __future__ import annotations

import math
import re
import time as monotonic_time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.search.analysis import is_name, prefix_key, terms, word_pairs, written_tokens
from steppewire.search.heads import (
    HEAD_FIXED_BYTES,
    LEAN_BYTES_PER_POSTING,
    answer,
    best_postings,
    current_field_dfs,
    head_from_attributes,
)
from steppewire.search.index_store import READ_UNIT_BYTES, IndexTable, Key, KeyRange
from steppewire.search.lean_cache import KeptLeanChunks
from steppewire.search.matching import WordLists, fill
from steppewire.search.postings import FACETS, Posting, with_frequencies
from steppewire.search.ranking import CorpusStats, FieldWeights, field_df, rank, score
from steppewire.search.rows import SearchRow, doc_key
from steppewire.search.schema import (
    PREFIX_CHARS,
    STATS_KEY,
    DirectoryEntry,
    IndexPolicy,
    Stats,
    Tail,
    Vocabulary,
    chunk_key,
    chunk_postings,
    directory_from_attributes,
    directory_key,
    document_values,
    documents_key,
    head_key,
    lean_key,
    lean_postings,
    lean_range,
    prefix_item_key,
    prefix_tail_key,
    tag_term,
    term_key,
    vocabulary_of,
    with_changes,
)
from steppewire.search.snippets import best_snippet, highlight
from steppewire.search.synonyms import SynonymTable
from steppewire.search.typos import allowed_edits, query_typo_keys
from steppewire.search.typos import corrections as typo_corrections

# The most frequent completions of a word being typed: each is one more item to read (>= 0.5 RCU).
MAX_PREFIX_EXPANSIONS = 5
# How long a container trusts a prefix vocabulary or the term directory it read: new words reach
# as-you-type completions within this time (exact words are always current); a stale directory only
# makes a plan costlier, never an answer wrong.
CACHE_TTL_SECONDS = 300.0
# A query of more words than this is a question: read within LONG_READ_UNITS, matched at once (`_long_search`).
LONG_QUERY_WORDS = 6
LONG_READ_UNITS = 12.0
# When fewer than a page match every word: read units allowed for the lists of a word's typo corrections.
CORRECTIONS_READ_UNITS = 8.0
# When no article has every word, a word in at most this many articles is also matched by its corrections (a
# misspelling can be in an article too); otherwise only a word in none is.
TYPO_AT_MOST_DOCUMENTS = 2
MAX_CORRECTIONS = 3  # terms per corrected word: each is one more list to read
PHRASE_MARK = "&"  # a synonym's phrase is scored under "&" + its terms: no term has a space
_QUOTES = re.compile(r"[\"«»“”„]")
_RAW_WORD = re.compile(r"\S+")
_WORD_CORE = re.compile(r"(\W*)(.*?)(\W*)")  # a word as typed: punctuation before, the word, punctuation after
_PHRASE = re.compile(r'"([^"]+)"|«([^»]+)»|“([^”]+)”|„([^“”]+)[“”]')  # "…", «…», “…”, „…“


@dataclass(frozen=True)
class SearchRequest:
    q: str
    page: int = 1
    per_page: int = 10
    lang: str | None = None
    category: str | None = None
    country: str | None = None
    tag: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: Literal["relevance", "date"] = "relevance"


@dataclass(frozen=True)
class Hit:
    slug: str
    title: str
    title_highlighted: str
    snippet: str
    published_at: str
    lang: str
    category: str | None
    country: str | None
    score: float
    missing: tuple[str, ...] = ()  # the query words this article does not match (a partial match)


@dataclass(frozen=True)
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    matched: Literal["all", "partial"] = "all"  # "partial": some articles shown lack a word (`optional`)
    optional: tuple[str, ...] = ()  # the words some article shown does not match
    corrections: dict[str, str] = field(default_factory=dict)  # word as typed -> the indexed word it matched
    did_you_mean: str | None = None  # the query with its corrections, when they found more


@dataclass(frozen=True)
class ParsedQuery:
    words: list[list[str]]  # the terms of each word that has any (stop words have none)
    prefix: str | None  # the last word, to be expanded as a prefix (as-you-type)
    pairs: list[str] = field(default_factory=list)  # word pairs the quoted phrases require
    typed: list[str] = field(default_factory=list)  # each word of `words` as typed, its punctuation dropped
    quoted: list[bool] = field(default_factory=list)  # each word of `words`: is it inside a quoted phrase
    spans: list[tuple[int, int]] = field(default_factory=list)  # each word of `words`: where it is in the query


def parse_query(q: str) -> ParsedQuery:
    """Words AND together; a quoted phrase also needs its words next to each other (stop words skipped)."""
    found_phrases = list(_PHRASE.finditer(q))
    phrases = [next(part for part in found.groups() if part) for found in found_phrases]
    pairs = list(dict.fromkeys(pair for phrase in phrases for pair in word_pairs(terms(phrase))))
    text = _QUOTES.sub(" ", q)  # one space per quote: the phrases' spans still hold
    raw = list(_RAW_WORD.finditer(text))
    kept = [(word, found) for word in raw if (found := terms(word.group()))]
    words = [found for _, found in kept]
    typed = [" ".join(written_tokens(word.group())) for word, _ in kept]
    quoted = [any(p.start() <= word.start() < p.end() for p in found_phrases) for word, _ in kept]
    # As-you-type: a last word still being typed (no space after it, not a stop word) also matches as a prefix.
    typing_last_word = bool(raw) and not text[-1:].isspace() and bool(terms(raw[-1].group()))
    last = prefix_key(raw[-1].group()) if typing_last_word else ""
    spans = [word.span() for word, _ in kept]
    return ParsedQuery(words, last if len(last) >= PREFIX_CHARS else None, pairs, typed, quoted, spans)


def _corrected_query(q: str, query: ParsedQuery, corrections: Mapping[int, tuple[str, str]]) -> str:
    """The query as typed with each corrected word replaced by the indexed word it matched (punctuation
    around the word kept)."""
    out = q
    for i in sorted(corrections, reverse=True):
        start, end = query.spans[i]
        word = _WORD_CORE.fullmatch(q[start:end])
        if word is not None:
            out = out[: start + word.start(2)] + corrections[i][1] + out[start + word.end(2) :]
    return out


def _completions(vocabulary: Vocabulary, prefix: str) -> list[str]:
    """The index terms of the words starting with `prefix`, the most frequent first."""
    candidates = sorted(
        ((term, docs) for surface, (term, docs) in vocabulary.items() if surface.startswith(prefix)),
        key=lambda pair: -pair[1],
    )
    return list(dict.fromkeys(term for term, _ in candidates))[:MAX_PREFIX_EXPANSIONS]


def _with_tf(document: Posting, doc: int, tf: tuple[int, int, int]) -> Posting:
    """A lean posting completed with its document's values, taken from another term's posting."""
    return Posting(doc, tf, document.lengths, document.minute, document.lang, document.category, document.country)


# Clamping `from`/`to` to these days changes no answer (every indexed minute lies between them, and the
# end is capped at now anyway) but keeps the arithmetic inside datetime's years 1-9999.
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9999, 12, 30)


def _minute(day: date, end_of_day: bool) -> int:
    day = min(max(day, _FIRST_DAY), _LAST_DAY)
    moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), NEWSROOM_TIMEZONE)
    return int(moment.astimezone(UTC).timestamp() // 60) - (1 if end_of_day else 0)


@dataclass(frozen=True)
class PostingLists:
    postings: dict[str, list[Posting]]  # per term, lean ones completed with their documents' values
    documents: dict[int, Posting]  # a posting of each document the lists have: its per-document values
    field_dfs: dict[int, tuple[int, int, int]]  # per-field document frequencies of the lean lists, by id()


def _whole(found: Mapping[Key, Mapping[str, Any]], term: str, tail: Tail) -> list[Posting]:
    """A term's current postings from its tail and chunks (a chunk missing from `found` was merged away by a
    writer between the reads: its postings are in the others or the tail)."""
    chunks = (found.get(chunk_key(term, number)) for number in range(tail.chunks))
    return tail.current(chunk_postings(item) for item in chunks if item is not None)


def _lean(found: Mapping[Key, Mapping[str, Any]], term: str, tail: Tail) -> dict[int, tuple[int, int, int]]:
    """A large term's current doc ids and term frequencies, from its tail and lean chunks."""
    leans = (found.get(lean_key(term, number)) for number in range(tail.chunks))
    return tail.current_lean(lean_postings(item) for item in leans if item is not None)


@dataclass(frozen=True)
class SynonymPhrases:
    """The editors' synonyms' phrases in a query: each matched as its word pairs together (they filter) and
    scored through its words (the pairs have no term frequency)."""

    pairs: dict[str, list[str]] = field(default_factory=dict)  # by the name a phrase is scored under
    words: dict[str, list[str]] = field(default_factory=dict)
    read_only: list[set[str]] = field(default_factory=list)  # per word: terms added only to be read
    spans: dict[str, int] = field(default_factory=dict)  # an alternative for several words: how many

    def shares(self, lists: PostingLists) -> dict[int, float]:
        """An alternative for n words counts 1/n in each: once in all (`ranking.score`'s shares)."""
        return {id(lists.postings[term]): 1 / n for term, n in self.spans.items() if term in lists.postings}

    def terms(self) -> set[str]:
        """The phrases' words, to highlight."""
        return {term for words in self.words.values() for term in words}


def _with_phrases(groups: Sequence[Sequence[str]], lists: PostingLists, phrases: SynonymPhrases) -> list[list[str]]:
    """The groups to score: a phrase scores as one list under its name, the documents that have all its pairs,
    its term frequency per field the least of its words' (added to `lists`)."""
    if not phrases.pairs:
        return [list(group) for group in groups]
    for name, pairs in phrases.pairs.items():
        by_pair = [{p.doc for p in lists.postings.get(pair, [])} for pair in pairs]
        by_word = [{p.doc: p for p in lists.postings.get(word, [])} for word in phrases.words[name]]
        common = set.intersection(*by_pair, *(set(found) for found in by_word))
        lists.postings[name] = [
            _with_tf(
                by_word[0][doc],
                doc,
                (
                    min(found[doc].tf[0] for found in by_word),
                    min(found[doc].tf[1] for found in by_word),
                    min(found[doc].tf[2] for found in by_word),
                ),
            )
            for doc in sorted(common)
        ]
    return [
        [term for term in group if i >= len(phrases.read_only) or term not in phrases.read_only[i]]
        + [name for name, pairs in phrases.pairs.items() if i < len(phrases.read_only) and pairs[0] in group]
        for i, group in enumerate(groups)
    ]


@dataclass(frozen=True)
class Reading:
    """What a bounded read fetches of each term (`SearchEngine._reading`)."""

    whole: set[str]
    lean: set[str]  # its lean chunks and tail, one Query
    head_only: set[str]  # its head's best postings: a very common term beyond the bound


@dataclass(frozen=True)
class Plan:
    head_term: str | None  # a one-word query answered from this term's head item
    full: frozenset[str]  # terms whose posting lists are read whole
    lean: frozenset[str]  # terms read lean, from their lean chunks (the head term: its head item)


def _read_units(size: float) -> float:
    return max(1, math.ceil(size / READ_UNIT_BYTES)) * 0.5


def plan_reads(
    groups: Sequence[Sequence[str]],
    directory: Mapping[str, DirectoryEntry] | None,
    *,
    head_allowed: bool,
    policy: IndexPolicy | None = None,
) -> Plan:
    """Which items of each term read 1 fetches (see the module docstring). `groups` are the AND-ed words,
    each the terms OR-ed for it; `directory` the large terms, with their document and chunk counts."""
    every = frozenset(term for group in groups for term in group)
    if directory is None:
        return Plan(None, every, frozenset())
    has_head = (policy or IndexPolicy()).has_head
    common_terms = (
        [t for t in groups[0] if t in directory and has_head(directory[t].documents)] if len(groups) == 1 else []
    )
    # One word (a prefix may add completions): the head of its most common term. Every large term is read lean.
    head = max(common_terms, key=lambda term: directory[term].documents) if head_allowed and common_terms else None
    lean = frozenset(term for term in every if term in directory)
    return Plan(head, every - lean, lean)


def _chunk_keys(term: str, chunks: int, *, lean: bool) -> list[Key]:
    return [(lean_key if lean else chunk_key)(term, number) for number in range(chunks)]


class SearchEngine:
    def __init__(
        self,
        table: IndexTable,
        clock: Callable[[], datetime],
        weights: FieldWeights | None = None,
        policy: IndexPolicy | None = None,
        synonyms: Callable[[], SynonymTable] | None = None,
    ) -> None:
        self._synonyms = synonyms
        self._clock = clock
        self._weights = weights or FieldWeights()
        self._policy = policy or IndexPolicy()
        self._table = KeptLeanChunks(table, self._policy)
        self._cache: dict[Key, tuple[float, Any]] = {}  # prefix vocabularies
        self._directory: dict[str, DirectoryEntry] | None = None  # the shards read so far, as one mapping
        self._shards: dict[int, tuple[float, dict[str, DirectoryEntry]]] = {}  # when each was read, its entries
        self._values: dict[int, Posting] = {}  # the document values of the blocks read so far, by doc id
        self._block_writes: dict[int, int] = {}  # each block read: its write count then (`Stats.blocks`)

    def _cached(self, key: Key) -> Any:
        cached = self._cache.get(key)
        if cached is None or monotonic_time.monotonic() - cached[0] > CACHE_TTL_SECONDS:
            return None
        return cached[1]

    def _remember(self, key: Key, value: Any) -> Any:
        self._cache[key] = (monotonic_time.monotonic(), value)
        return value

    @property
    def kept_lean_bytes(self) -> int:
        """The memory the kept lean chunks take (their binary attributes)."""
        return self._table.kept_bytes

    @property
    def directory(self) -> dict[str, DirectoryEntry] | None:
        """The term directory this engine plans with (None before it has read any of it)."""
        return self._directory

    def plan_with(self, directory: Mapping[str, DirectoryEntry]) -> None:
        """Plan reads with this directory from now on (until it is refreshed), e.g. {} to read every list whole."""
        shards: dict[int, dict[str, DirectoryEntry]] = {shard: {} for shard in range(self._policy.directory_shards)}
        for term, entry in directory.items():
            shards[self._policy.directory_shard(term)][term] = entry
        read_at = monotonic_time.monotonic()
        self._shards = {shard: (read_at, entries) for shard, entries in shards.items()}
        self._directory = dict(directory)

    def warm_up(self) -> None:
        """What a container reads as it starts, so that its first queries are planned and read lean and within
        budget: the term directory, then the document values (every block the statistics count as written) and
        the lean chunks of the terms it keeps (`lean_cache.py`)."""
        found = self._table.get_many([STATS_KEY, *self._policy.directory_keys()])
        self._directory = {}
        self._refreshed(found, range(self._policy.directory_shards))
        stats = Stats.from_item(found.get(STATS_KEY))
        blocks = [block for block, writes in enumerate(stats.blocks) if writes]
        common = sorted(
            term
            for term, entry in self._directory.items()
            if LEAN_BYTES_PER_POSTING * entry.documents > self._policy.kept_lean_bytes
        )
        if blocks or common:
            found = self._table.read([documents_key(block) for block in blocks], [lean_range(t) for t in common])
            self._keep_values(found, blocks, stats)

    def _stale_shards(self, terms: Collection[str]) -> list[int]:
        now = monotonic_time.monotonic()
        shards = {self._policy.directory_shard(term) for term in terms}
        return sorted(s for s in shards if s not in self._shards or now - self._shards[s][0] > CACHE_TTL_SECONDS)

    def _refreshed(self, found: Mapping[Key, Mapping[str, Any]], shards: Iterable[int]) -> None:
        """Replace these shards' entries in the directory with what was read of them."""
        directory = self._directory if self._directory is not None else {}
        read_at = monotonic_time.monotonic()
        for shard in shards:
            for term in self._shards.get(shard, (0.0, {}))[1]:
                directory.pop(term, None)
            entries = directory_from_attributes(found.get(directory_key(shard)))
            directory |= entries
            self._shards[shard] = (read_at, entries)
        self._directory = directory

    def search(self, request: SearchRequest) -> SearchResult:
        query = parse_query(request.q)
        if not query.words:  # only stop words: nothing to match
            return SearchResult(0, request.page, request.per_page, [], {facet: {} for facet in FACETS})
        groups = [list(dict.fromkeys(word)) for word in query.words]
        phrases = self._with_synonyms(groups, request.lang)
        if len(groups) > LONG_QUERY_WORDS:
            return self._long_search(request, query, groups, phrases)
        vocabulary_key = prefix_item_key(query.prefix) if query.prefix else None
        vocabulary = self._cached(vocabulary_key) if vocabulary_key else None
        if query.prefix and vocabulary is not None:
            groups[-1] += [t for t in _completions(vocabulary, query.prefix) if t not in groups[-1]]
        word_terms = {term for group in groups for term in group} | phrases.terms()
        groups += self._filters(request, query)
        directory = self.directory  # an older one still plans well while read 1 fetches its successor
        refresh = self._stale_shards({term for group in groups for term in group})
        start = (request.page - 1) * request.per_page
        stop = start + request.per_page
        plan = plan_reads(
            groups,
            directory,
            # not with a date range (the head has no dates but the newest), nor before the completions are known
            # nor for a synonym's phrase (its pairs are AND-ed, the head's word OR-ed)
            head_allowed=not (request.date_from or request.date_to or (query.prefix and vocabulary is None))
            and stop <= self._policy.head_postings
            and not phrases.pairs,
            policy=self._policy,
        )
        head_term = plan.head_term
        head_lean = head_term is not None and len(groups[0]) > 1  # completions: the head term's lean list too
        keys = [STATS_KEY]
        for term in sorted(plan.full):
            keys += [term_key(term), *self._known_chunk_keys(term)]
        ranges = [lean_range(term) for term in sorted(plan.lean) if term != head_term or head_lean]
        if head_term is not None:  # its head, and its tail unless the lean range has it
            keys += [head_key(head_term)] + ([] if head_lean else [term_key(head_term)])
        keys += [directory_key(shard) for shard in refresh]
        if query.prefix and vocabulary is None:
            keys += [prefix_item_key(query.prefix), prefix_tail_key(query.prefix)]
        found = self._table.read(keys, ranges)
        self._refreshed(found, refresh)
        if query.prefix and vocabulary_key and vocabulary is None:
            words = with_changes(
                vocabulary_of(found.get(vocabulary_key)), vocabulary_of(found.get(prefix_tail_key(query.prefix)))
            )
            vocabulary = self._remember(vocabulary_key, words)
            completions = [t for t in _completions(vocabulary, query.prefix) if t not in groups[len(query.words) - 1]]
            large = frozenset(t for t in completions if t in (self.directory or {}))
            if completions:
                small = [term_key(t) for t in completions if t not in large]
                found |= self._table.read(small, [lean_range(t) for t in sorted(large)])
            groups[len(query.words) - 1] += completions
            word_terms |= set(completions)
            plan = Plan(None, plan.full | (frozenset(completions) - large), plan.lean | large)
            head_term = None
        tails = {term: Tail.from_item(found.get(term_key(term))) for group in groups for term in group}
        # The tails say how many chunks each term has now: a term small again is read whole from its tail.
        whole = set(plan.full) | {t for t in plan.lean if not tails[t].chunks}
        lean = {t for t in plan.lean if tails[t].chunks}
        stats = Stats.from_item(found.get(STATS_KEY))
        corpus = stats.corpus
        wanted = self._wanted(request, stats)
        now = int(self._clock().timestamp() // 60)  # scheduled articles stay hidden until their minute
        fillable = len(query.words) > 1 or bool(self._correctable(query, groups, tails, matches=0))
        if head_term in lean and head_key(head_term) in found:
            others = lean - {head_term}
            self._read_missing(found, tails, whole, others | ({head_term} if head_lean else set()))
            completed = self._posting_lists(found, tails, whole, others, stats)
            word = [
                None if term == head_term else completed.postings[term]
                for term in groups[0]
                if term == head_term or tails[term].documents
            ]
            answered = answer(
                head_from_attributes(found[head_key(head_term)]),
                tails[head_term],
                corpus,
                self._weights,
                word=word,
                lean=_lean(found, head_term, tails[head_term]) if head_lean else None,
                wanted=wanted,
                now_minute=now,
                sort=request.sort,
                start=start,
                stop=stop,
            )
            if answered is not None and (answered.total >= request.per_page or not fillable):
                return self._result(
                    request, answered.total, answered.page, answered.scores, answered.facet_counts, word_terms, stats
                )
        self._read_missing(found, tails, whole, lean)  # the head term's lean chunks, if not answered from its head
        lists = self._posting_lists(found, tails, whole, lean, stats)
        scored = _with_phrases(groups, lists, phrases)
        shares = phrases.shares(lists)
        total, ordered, scores, counts = self._from_lists(request, scored, lists, corpus, wanted, now, shares)
        if total >= request.per_page or not fillable:
            return self._result(request, total, ordered[start:stop], scores, counts, word_terms, stats)
        # Fewer than a page match every word: the lists read are whole (lean ones completed), so only a word that
        # matches next to nothing reads more: the typo items that name its corrections, then their lists.
        corrections = self._correctable(query, groups, tails, matches=total)
        keys = [key for word in corrections.values() for key in query_typo_keys(word)]
        missing = [key for key in dict.fromkeys(keys) if key not in found]
        found |= self._table.get_many(missing) if missing else {}
        corrected = self._corrected_terms(corrections, found, groups)
        fresh = sorted({term for terms_ in corrected.values() for term, _ in terms_} - set(tails))
        of_corrections = self._reading(fresh, CORRECTIONS_READ_UNITS)
        if fresh:
            found |= self._table.read(*self._reads(of_corrections))
        tails |= {term: Tail.from_item(found.get(term_key(term))) for term in fresh}
        reading = Reading(whole | of_corrections.whole, lean | of_corrections.lean, of_corrections.head_only)
        return self._filled(request, query, groups, phrases, corrected, found, tails, reading, stats, now, wanted)

    def _long_search(
        self, request: SearchRequest, query: ParsedQuery, groups: list[list[str]], phrases: SynonymPhrases
    ) -> SearchResult:
        """A query of many words (a question): its terms are read the most selective first, within a bound;
        the commonest large ones beyond it only lean (doc ids and term frequencies) and their heads' best
        postings. Matched at once as in `matching.fill`: rarely does an article have every word."""
        groups += self._filters(request, query)
        every = sorted({term for group in groups for term in group})
        refresh = self._stale_shards(every)
        reading = self._reading(every, LONG_READ_UNITS)
        keys, ranges = self._reads(reading)
        found = self._table.read([STATS_KEY, *keys, *(directory_key(shard) for shard in refresh)], ranges)
        self._refreshed(found, refresh)
        tails = {term: Tail.from_item(found.get(term_key(term))) for term in every}
        stats = Stats.from_item(found.get(STATS_KEY))
        now = int(self._clock().timestamp() // 60)
        wanted = self._wanted(request, stats)
        return self._filled(request, query, groups, phrases, {}, found, tails, reading, stats, now, wanted)

    def _reads(self, reading: Reading) -> tuple[list[Key], list[KeyRange]]:
        """The keys and key ranges of a bounded read: a lean term's range (its lean chunks and tail), a whole
        one's tail and chunks, a head-only one's tail and head."""
        keys = [key for term in sorted(reading.whole) for key in [term_key(term), *self._known_chunk_keys(term)]]
        heads = sorted(term for term in reading.head_only if self._has_head(term))
        keys += [term_key(term) for term in sorted(reading.head_only)] + [head_key(term) for term in heads]
        return keys, [lean_range(term) for term in sorted(reading.lean)]

    def _has_head(self, term: str) -> bool:
        entry = (self.directory or {}).get(term)
        return entry is not None and self._policy.has_head(entry.documents)

    def _with_synonyms(self, groups: list[list[str]], lang: str | None) -> SynonymPhrases:
        """Add the editors' synonyms to the words they stand for (each word of a span gets every alternative,
        so an article with the alternative matches all the span's words). A one-word alternative is its term; a
        longer one a phrase (`SynonymPhrases`), its pairs and words added to the span's words to be read."""
        phrases = SynonymPhrases(read_only=[set() for _ in groups])
        if self._synonyms is None:
            return phrases
        for expansion in self._synonyms().expansions([group[0] for group in groups], lang):
            for alternative in expansion.alternatives:
                name = alternative[0]
                if len(alternative) > 1:
                    name = f"{PHRASE_MARK}{' '.join(alternative)}"
                    phrases.pairs[name] = word_pairs(list(alternative))
                    phrases.words[name] = list(dict.fromkeys(alternative))
                    members = phrases.pairs[name] + phrases.words[name]
                else:
                    members = list(alternative)
                for i in range(expansion.start, expansion.stop):
                    added = [term for term in members if term not in groups[i]]
                    groups[i] += added
                    if len(alternative) > 1:
                        phrases.read_only[i] |= set(added)
                if expansion.stop - expansion.start > 1:
                    phrases.spans[name] = max(phrases.spans.get(name, 1), expansion.stop - expansion.start)
        return phrases

    def _filters(self, request: SearchRequest, query: ParsedQuery) -> list[list[str]]:
        """Groups every article shown must match, however many words it lacks: a tag (its postings have tf 0)
        and a quoted phrase's word pairs."""
        return ([[tag_term(request.tag)]] if request.tag else []) + [[pair] for pair in query.pairs]

    def _wanted(self, request: SearchRequest, stats: Stats) -> dict[str, int]:
        return {
            facet: stats.codes[facet].get(value.strip().casefold(), -1)
            for facet in FACETS
            if (value := getattr(request, facet))
        }

    def _known_chunk_keys(self, term: str) -> list[Key]:
        """The term's chunk keys as far as the directory knows (a small term has none)."""
        entry = (self.directory or {}).get(term)
        return _chunk_keys(term, entry.chunks if entry else 0, lean=False)

    def _reading(self, terms_: Iterable[str], budget: float) -> Reading:
        """How to read these terms within `budget` read units, the rarest first: lean while it fits, else its
        head only (or lean, a term too small for a head). A term the directory does not list is small: whole,
        from its tail."""
        known = self.directory or {}
        reading = Reading(set(), set(), set())
        spent = 0.0
        for term in sorted(terms_, key=lambda t: (known[t].documents if t in known else 0, t)):
            if term not in known:
                reading.whole.add(term)
                continue
            documents = known[term].documents
            head = _read_units(HEAD_FIXED_BYTES) if self._policy.has_head(documents) else 0.0
            # a term whose lean chunks this container keeps costs its tail only
            lean = _read_units(0 if self._table.keeps(term) else LEAN_BYTES_PER_POSTING * documents)
            if spent + lean <= budget or not head:
                reading.lean.add(term)
                spent += lean
            else:
                reading.head_only.add(term)
                spent += head
        return reading

    def _correctable(
        self, query: ParsedQuery, groups: Sequence[Sequence[str]], tails: Mapping[str, Tail], *, matches: int
    ) -> dict[int, str]:
        """The words to correct, by index, as their normalized forms: a word that matches nothing (or, when
        nothing matches every word, next to nothing: a typo can be in an article too), not quoted, not a name
        the name table knows, not a number, long enough (`typos.allowed_edits`). `matches`: the all-words
        answer's size."""
        out: dict[int, str] = {}
        rare = TYPO_AT_MOST_DOCUMENTS if matches == 0 else 0
        for i, group in enumerate(groups[: len(query.words)]):
            word = prefix_key(query.typed[i])
            if query.quoted[i] or any(is_name(term) for term in group) or not allowed_edits(word):
                continue
            if sum(tails[term].documents for term in group if term in tails) <= rare:
                out[i] = word
        return out

    def _corrected_terms(
        self, corrections: Mapping[int, str], found: Mapping[Key, Mapping[str, Any]], groups: Sequence[Sequence[str]]
    ) -> dict[int, list[tuple[str, str]]]:
        """Per corrected word, up to `MAX_CORRECTIONS` other terms (with the indexed word that gave each), the
        fewest edits first."""
        out: dict[int, list[tuple[str, str]]] = {}
        for i, word in corrections.items():
            chosen: dict[str, str] = {}
            for candidate in typo_corrections(word, found):
                if candidate.term not in groups[i] and candidate.term not in chosen:
                    chosen[candidate.term] = candidate.surface
                if len(chosen) == MAX_CORRECTIONS:
                    break
            if chosen:
                out[i] = list(chosen.items())
        return out

    def _filled(
        self,
        request: SearchRequest,
        query: ParsedQuery,
        groups: Sequence[Sequence[str]],
        phrases: SynonymPhrases,
        corrected: Mapping[int, Sequence[tuple[str, str]]],
        found: dict[Key, dict[str, Any]],
        tails: Mapping[str, Tail],
        reading: Reading,
        stats: Stats,
        now: int,
        wanted: Mapping[str, int],
    ) -> SearchResult:
        """The answer filled beyond the articles that match every word (`matching.fill`)."""
        words = len(query.words)
        # The tails say how many chunks each term has now: a term small again is read whole from its tail.
        whole = reading.whole | {t for t in reading.lean | reading.head_only if not tails[t].chunks}
        lean = {t for t in reading.lean if tails[t].chunks}
        head_only = {t for t in reading.head_only if tails[t].chunks and head_key(t) in found}
        lean |= {t for t in reading.head_only if tails[t].chunks and head_key(t) not in found}  # the head is gone
        self._read_missing(found, tails, whole, lean)
        heads = {
            term: head_from_attributes(found[head_key(term)]) for term in lean | head_only if head_key(term) in found
        }
        best = {term: best_postings(head, tails[term]) for term, head in heads.items()}
        best_documents = [p for postings in best.values() for p in postings]
        lists = self._posting_lists(found, tails, whole, lean, stats, best_documents)
        for term in head_only:  # its best postings stand for its list; its document frequencies are the head's
            lists.postings[term] = best[term]
            lists.field_dfs[id(best[term])] = current_field_dfs(heads[term], tails[term])
        groups = _with_phrases(groups, lists, phrases)

        def posting_lists(terms_: Iterable[str]) -> list[list[Posting]]:
            return [lists.postings[term] for term in terms_ if lists.postings.get(term)]

        word_lists = [
            WordLists(posting_lists(groups[i]), posting_lists(term for term, _ in corrected.get(i, ())))
            for i in range(words)
        ]
        filled = fill(
            word_lists,
            [posting_lists(group) for group in groups[words:]],
            lists.documents,
            self._filter(request, now, wanted),
            stats.corpus,
            self._weights,
            lists.field_dfs,
            shares=phrases.shares(lists),
            per_page=request.per_page,
            sort=request.sort,
        )
        counts = {facet: Counter(getattr(lists.documents[doc], facet) for doc in filled.ordered) for facet in FACETS}
        start = (request.page - 1) * request.per_page
        used = {i: max(options, key=lambda option: tails[option[0]].documents) for i, options in corrected.items()}
        matched_terms = {term for group in groups[:words] for term in group} | phrases.terms()
        matched_terms |= {term for options in corrected.values() for term, _ in options}
        result = self._result(
            request,
            len(filled.ordered),
            filled.ordered[start : start + request.per_page],
            filled.scores,
            counts,
            matched_terms,
            stats,
            missing={doc: tuple(query.typed[i] for i in lacking) for doc, lacking in filled.lacking.items()},
        )
        optional = sorted({i for lacking in filled.lacking.values() for i in lacking})
        return replace(
            result,
            matched="partial" if filled.partial else "all",
            optional=tuple(query.typed[i] for i in optional),
            corrections={query.typed[i]: surface for i, (_, surface) in used.items()} if filled.corrected else {},
            did_you_mean=_corrected_query(request.q, query, used) if filled.corrected else None,
        )

    def _posting_lists(
        self,
        found: dict[Key, dict[str, Any]],
        tails: Mapping[str, Tail],
        whole: Collection[str],
        lean: Collection[str],
        stats: Stats,
        more_documents: Iterable[Posting] = (),
    ) -> PostingLists:
        """Decoded lists: whole ones from tails and chunks, lean ones from tails and lean chunks completed with
        their documents' values: those of the whole lists and `more_documents`, else the document-values blocks
        this engine keeps (the stale ones re-read: one more round trip). A lean term with a document no block
        has yet (an index written before the blocks) is read whole after all."""
        postings = {t: _whole(found, t, tails[t]) for t in whole if tails[t].documents}
        documents = {p.doc: p for p in more_documents}
        documents |= {p.doc: p for term_postings in postings.values() for p in term_postings}
        documents |= {p.doc: p for term in lean for p in tails[term].added}  # as current as a block
        leans = {term: _lean(found, term, tails[term]) for term in lean}
        needed = {doc for tfs in leans.values() for doc in tfs if doc not in documents}
        unknown = self._fetch_values(needed, stats)
        if unknown:
            again = {term for term, tfs in leans.items() if not unknown.isdisjoint(tfs)}
            self._read_missing(found, tails, again, ())
            for term in again:
                del leans[term]
                if tails[term].documents:
                    postings[term] = _whole(found, term, tails[term])
                    documents |= {p.doc: p for p in postings[term]}
        documents |= {doc: self._values[doc] for tfs in leans.values() for doc in tfs if doc not in documents}
        field_dfs: dict[int, tuple[int, int, int]] = {}
        for term, tfs in leans.items():
            completed = with_frequencies(list(map(documents.__getitem__, tfs)), tfs.values())
            postings[term] = completed
            field_dfs[id(completed)] = field_df(list(tfs.values()))
        return PostingLists(postings, documents, field_dfs)

    def _fetch_values(self, docs: Collection[int], stats: Stats) -> set[int]:
        """Make the kept document values current for these documents (their blocks that changed since they were
        read, as `stats` counts the writes); the documents no block has."""
        block_of = self._policy.document_block_of
        blocks = {block_of(doc) for doc in docs}
        stale = sorted(b for b in blocks if b < len(stats.blocks) and self._block_writes.get(b) != stats.blocks[b])
        if stale:
            self._keep_values(self._table.get_many([documents_key(b) for b in stale]), stale, stats)
        return {doc for doc in docs if doc not in self._values}

    def _keep_values(self, found: Mapping[Key, Mapping[str, Any]], blocks: Iterable[int], stats: Stats) -> None:
        size = self._policy.document_block
        for block in blocks:
            for doc in range(block * size, (block + 1) * size):
                self._values.pop(doc, None)
            self._values |= {p.doc: p for p in document_values(found.get(documents_key(block)))}
            self._block_writes[block] = stats.blocks[block]

    def _read_missing(
        self, found: dict[Key, dict[str, Any]], tails: Mapping[str, Tail], whole: Collection[str], lean: Collection[str]
    ) -> None:
        """Read the chunks (lean ones for `lean`) that the tails have and read 1 did not fetch: a directory older
        than the terms' chunking, or the head term read lean after all (one more round trip, unless the container
        keeps its lean chunks)."""
        self._table.add_kept(found, lean)
        keys = [key for t in sorted(whole) for key in _chunk_keys(t, tails[t].chunks, lean=False)]
        keys += [key for t in sorted(lean) for key in _chunk_keys(t, tails[t].chunks, lean=True)]
        missing = [key for key in keys if key not in found]
        if missing:
            found |= self._table.get_many(missing)

    def _from_lists(
        self,
        request: SearchRequest,
        groups: Sequence[Sequence[str]],
        lists: PostingLists,
        corpus: CorpusStats,
        wanted: Mapping[str, int],
        now: int,
        shares: Mapping[int, float],
    ) -> tuple[int, list[int], dict[int, float], dict[str, Counter[int]]]:
        """Total, matches in display order, scores and facet counts from posting lists (the carrier's whole,
        the others maybe lean)."""
        posting_groups = [[lists.postings[t] for t in group if lists.postings.get(t)] for group in groups]
        if any(not group for group in posting_groups):
            return 0, [], {}, {facet: Counter() for facet in FACETS}
        scores = score(posting_groups, corpus, self._weights, field_dfs=lists.field_dfs, shares=shares)
        allowed = self._filter(request, now, wanted)
        info = lists.documents
        matches = {doc: value for doc, value in scores.items() if allowed(info[doc])}
        ordered = rank(matches, {doc: info[doc].minute for doc in matches}, by=request.sort)
        counts = {facet: Counter(getattr(info[doc], facet) for doc in matches) for facet in FACETS}
        return len(matches), ordered, matches, counts

    def _result(
        self,
        request: SearchRequest,
        total: int,
        page: Sequence[int],
        scores: Mapping[int, float],
        facet_counts: Mapping[str, Counter[int]],
        word_terms: set[str],
        stats: Stats,
        missing: Mapping[int, tuple[str, ...]] | None = None,
    ) -> SearchResult:
        rows = self._table.get_many([doc_key(doc) for doc in page]) if page else {}
        lacks = missing or {}
        hits = [
            replace(self._hit(rows[doc_key(doc)], scores[doc], word_terms), missing=lacks.get(doc, ()))
            for doc in page
            if doc_key(doc) in rows
        ]
        facets = {
            facet: {
                stats.labels[facet].get(str(code), str(code)): n
                for code, n in sorted(facet_counts[facet].items(), key=lambda pair: (-pair[1], pair[0]))
                if code and n > 0
            }
            for facet in FACETS
        }
        return SearchResult(total, request.page, request.per_page, hits, facets)

    def _filter(self, request: SearchRequest, now: int, wanted: Mapping[str, int]) -> Callable[[Posting], bool]:
        earliest = _minute(request.date_from, end_of_day=False) if request.date_from else 0
        latest = min(now, _minute(request.date_to, end_of_day=True)) if request.date_to else now

        def allowed(posting: Posting) -> bool:
            if not earliest <= posting.minute <= latest:
                return False
            return all(getattr(posting, facet) == code for facet, code in wanted.items())

        return allowed

    def _hit(self, item: Mapping[str, Any], value: float, matched_terms: set[str]) -> Hit:
        row = SearchRow.from_item(item)
        return Hit(
            slug=row.slug,
            title=row.title,
            title_highlighted=highlight(row.title, matched_terms),
            snippet=best_snippet([row.text, row.summary or ""], matched_terms),
            published_at=row.published_at,
            lang=row.lang,
            category=row.category,
            country=row.country,
            score=round(value, 6),
        )
