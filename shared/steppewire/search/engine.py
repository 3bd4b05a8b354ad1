"""Answering a query from the index: two batched reads, everything else in memory.

Read 1: the query's terms, the corpus statistics (and, for as-you-type, the last word's prefix vocabulary).
Read 2: the result rows of the requested page only.

What read 1 fetches of a term is planned from the term directory (the large terms, with how many documents and
chunks they have; a container keeps it for a few minutes). A small term is its `P` item; a large term is read
as its `P` item (the tail: what changed since its last merge) plus (`schema.py`):
- for a one-word query on a large term, its head item (`heads.py`), and the whole lists of the word's other
  terms if it has some (as-you-type completions, with the head term's lean chunks then): total, facets and the
  first pages come from there, exactly, or the chunks are read after all (a third round trip);
- otherwise one word is the "carrier": its terms are read whole (chunks), and they carry the documents'
  lengths, dates and facet codes for scoring, filtering and counting; the other words' large terms are read
  lean (their lean chunks: doc ids and term frequencies). The carrier is the word whose choice reads the
  fewest capacity units. The search function reads the directory (all its shards) as its container starts
  (`load_directory`) and refreshes in read 1 the shards that list the query's terms every few minutes; the
  tails say how many chunks a term has now, and chunks that a stale directory did not name are read in one more
  round trip (an engine without a directory reads every list whole, so a large term's chunks that way).

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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.search.analysis import prefix_key, terms, word_pairs
from steppewire.search.heads import (
    FULL_BYTES_PER_POSTING,
    HEAD_FIXED_BYTES,
    LEAN_BYTES_PER_POSTING,
    answer,
    head_from_attributes,
)
from steppewire.search.index_store import READ_UNIT_BYTES, IndexTable, Key
from steppewire.search.postings import FACETS, Posting
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
    head_key,
    lean_key,
    lean_postings,
    prefix_item_key,
    prefix_tail_key,
    tag_term,
    term_key,
    vocabulary_of,
    with_changes,
)
from steppewire.search.snippets import best_snippet, highlight

# The most frequent completions of a word being typed: each is one more item to read (>= 0.5 RCU).
MAX_PREFIX_EXPANSIONS = 5
# How long a container trusts a prefix vocabulary or the term directory it read: new words reach
# as-you-type completions within this time (exact words are always current); a stale directory only
# makes a plan costlier, never an answer wrong.
CACHE_TTL_SECONDS = 300.0
_QUOTES = re.compile(r"[\"«»“”„]")
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


@dataclass(frozen=True)
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedQuery:
    words: list[list[str]]  # the terms of each word that has any (stop words have none)
    prefix: str | None  # the last word, to be expanded as a prefix (as-you-type)
    pairs: list[str] = field(default_factory=list)  # word pairs the quoted phrases require


def parse_query(q: str) -> ParsedQuery:
    """Words AND together; a quoted phrase also needs its words next to each other (stop words skipped)."""
    phrases = [next(part for part in found.groups() if part) for found in _PHRASE.finditer(q)]
    pairs = list(dict.fromkeys(pair for phrase in phrases for pair in word_pairs(terms(phrase))))
    text = _QUOTES.sub(" ", q)
    raw_words = text.split()
    words = [found for word in raw_words if (found := terms(word))]
    # As-you-type: a last word still being typed (no space after it, not a stop word) also matches as a prefix.
    typing_last_word = bool(raw_words) and not text[-1:].isspace() and bool(terms(raw_words[-1]))
    last = prefix_key(raw_words[-1]) if typing_last_word else ""
    return ParsedQuery(words, last if len(last) >= PREFIX_CHARS else None, pairs)


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
    postings: dict[str, list[Posting]]  # per term; a lean term's only for the documents below
    documents: dict[int, Posting]  # a posting of each document the whole lists have: its per-document values
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


def _posting_lists(
    found: Mapping[Key, Mapping[str, Any]], tails: Mapping[str, Tail], whole: Collection[str], lean: Collection[str]
) -> PostingLists:
    """Decoded lists: whole ones from tails and chunks, lean ones from tails and lean chunks completed with the
    per-document values of the whole ones (a document no whole list has cannot match: the carrier word is read
    whole)."""
    postings = {t: _whole(found, t, tails[t]) for t in whole if tails[t].documents}
    documents = {p.doc: p for term_postings in postings.values() for p in term_postings}
    field_dfs: dict[int, tuple[int, int, int]] = {}
    for term in lean:
        tfs = _lean(found, term, tails[term])
        known = [_with_tf(documents[doc], doc, tf) for doc, tf in tfs.items() if doc in documents]
        postings[term] = known
        field_dfs[id(known)] = field_df(list(tfs.values()))
    return PostingLists(postings, documents, field_dfs)


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
    if head_allowed and common_terms:
        # One word (a prefix may add completions): the head of its most common term, the others whole.
        largest = max(common_terms, key=lambda term: directory[term].documents)
        return Plan(largest, every - {largest}, frozenset({largest}))
    common = {term: directory[term].documents for term in every if term in directory}

    def units(carrier: Collection[str]) -> float:
        return sum(
            _read_units(FULL_BYTES_PER_POSTING * documents)
            if term in carrier
            else _read_units(HEAD_FIXED_BYTES + LEAN_BYTES_PER_POSTING * documents)
            for term, documents in common.items()
        )

    carrier = min(groups, key=units)  # the first of equals: a word of rare terms only costs nothing extra
    lean = frozenset(common) - frozenset(carrier)
    return Plan(None, every - lean, lean)


def _chunk_keys(term: str, chunks: int, *, lean: bool) -> list[Key]:
    return [(lean_key if lean else chunk_key)(term, number) for number in range(chunks)]


class SearchEngine:
    def __init__(
        self,
        table: IndexTable,
        clock: Callable[[], datetime],
        weights: FieldWeights | None = None,
        policy: IndexPolicy | None = None,
    ) -> None:
        self._table = table
        self._clock = clock
        self._weights = weights or FieldWeights()
        self._policy = policy or IndexPolicy()
        self._cache: dict[Key, tuple[float, Any]] = {}  # prefix vocabularies
        self._directory: dict[str, DirectoryEntry] | None = None  # the shards read so far, as one mapping
        self._shards: dict[int, tuple[float, dict[str, DirectoryEntry]]] = {}  # when each was read, its entries

    def _cached(self, key: Key) -> Any:
        cached = self._cache.get(key)
        if cached is None or monotonic_time.monotonic() - cached[0] > CACHE_TTL_SECONDS:
            return None
        return cached[1]

    def _remember(self, key: Key, value: Any) -> Any:
        self._cache[key] = (monotonic_time.monotonic(), value)
        return value

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

    def load_directory(self) -> None:
        """Read the term directory now: a container does it as it starts, so that its first query is planned."""
        found = self._table.get_many(self._policy.directory_keys())
        self._directory = {}
        self._refreshed(found, range(self._policy.directory_shards))

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
        groups = [list(dict.fromkeys(word)) for word in query.words]
        vocabulary_key = prefix_item_key(query.prefix) if query.prefix else None
        vocabulary = self._cached(vocabulary_key) if vocabulary_key else None
        if query.prefix and vocabulary is not None:
            groups[-1] += [t for t in _completions(vocabulary, query.prefix) if t not in groups[-1]]
        word_terms = {term for group in groups for term in group}
        if not groups:  # only stop words: nothing to match
            return SearchResult(0, request.page, request.per_page, [], {facet: {} for facet in FACETS})
        if request.tag:
            groups.append([tag_term(request.tag)])  # a tag filters like one more word (its postings have tf 0)
        groups += [[pair] for pair in query.pairs]  # so do a phrase's word pairs
        directory = self.directory  # an older one still plans well while read 1 fetches its successor
        refresh = self._stale_shards({term for group in groups for term in group})
        start = (request.page - 1) * request.per_page
        stop = start + request.per_page
        plan = plan_reads(
            groups,
            directory,
            # not with a date range (the head has no dates but the newest), nor before the completions are known
            head_allowed=not (request.date_from or request.date_to or (query.prefix and vocabulary is None))
            and stop <= self._policy.head_postings,
            policy=self._policy,
        )
        known = directory or {}

        def chunks_of(term: str) -> int:
            entry = known.get(term)
            return entry.chunks if entry else 0

        head_term = plan.head_term
        head_lean = head_term is not None and len(groups[0]) > 1  # completions: the head term's lean list too
        keys = [STATS_KEY]
        for term in sorted(plan.full):
            keys += [term_key(term), *_chunk_keys(term, chunks_of(term), lean=False)]
        for term in sorted(plan.lean):
            keys += [term_key(term)] + ([head_key(term)] if term == head_term else [])
            if term != head_term or head_lean:
                keys += _chunk_keys(term, chunks_of(term), lean=True)
        keys += [directory_key(shard) for shard in refresh]
        if query.prefix and vocabulary is None:
            keys += [prefix_item_key(query.prefix), prefix_tail_key(query.prefix)]
        found = self._table.get_many(keys)
        self._refreshed(found, refresh)
        if query.prefix and vocabulary_key and vocabulary is None:
            words = with_changes(
                vocabulary_of(found.get(vocabulary_key)), vocabulary_of(found.get(prefix_tail_key(query.prefix)))
            )
            vocabulary = self._remember(vocabulary_key, words)
            completions = [t for t in _completions(vocabulary, query.prefix) if t not in groups[len(query.words) - 1]]
            more = [key for t in completions for key in [term_key(t), *_chunk_keys(t, chunks_of(t), lean=False)]]
            found |= self._table.get_many(more) if more else {}
            groups[len(query.words) - 1] += completions
            word_terms |= set(completions)
            plan = Plan(None, plan.full | frozenset(completions), plan.lean)
            head_term = None
        tails = {term: Tail.from_item(found.get(term_key(term))) for group in groups for term in group}
        # The tails say how many chunks each term has now: a term small again is read whole from its tail.
        whole = set(plan.full) | {t for t in plan.lean if not tails[t].chunks}
        lean = {t for t in plan.lean if tails[t].chunks}
        stats = Stats.from_item(found.get(STATS_KEY))
        corpus = stats.corpus
        wanted = {
            facet: stats.codes[facet].get(value.strip().casefold(), -1)
            for facet in FACETS
            if (value := getattr(request, facet))
        }
        now = int(self._clock().timestamp() // 60)  # scheduled articles stay hidden until their minute
        if head_term in lean and head_key(head_term) in found:
            lean_read = (lean - {head_term}) | ({head_term} if head_lean else set())
            self._read_missing(found, tails, whole, lean_read)
            word = [
                None if term == head_term else _whole(found, term, tails[term])
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
            if answered is not None:
                return self._result(
                    request, answered.total, answered.page, answered.scores, answered.facet_counts, word_terms, stats
                )
        if head_term in lean:  # not answered from its head: read it whole
            lean.discard(head_term)
            whole.add(head_term)
        self._read_missing(found, tails, whole, lean)
        lists = _posting_lists(found, tails, whole, lean)
        total, ordered, scores, counts = self._from_lists(request, groups, lists, corpus, wanted, now)
        page = ordered[start:stop]
        return self._result(request, total, page, scores, counts, word_terms, stats)

    def _read_missing(
        self, found: dict[Key, dict[str, Any]], tails: Mapping[str, Tail], whole: Collection[str], lean: Collection[str]
    ) -> None:
        """Read the chunks (lean ones for `lean`) that the tails have and read 1 did not fetch: a directory older
        than the terms' chunking, or the head term read whole after all (one more round trip)."""
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
    ) -> tuple[int, list[int], dict[int, float], dict[str, Counter[int]]]:
        """Total, matches in display order, scores and facet counts from posting lists (the carrier's whole,
        the others maybe lean)."""
        posting_groups = [[lists.postings[t] for t in group if lists.postings.get(t)] for group in groups]
        if any(not group for group in posting_groups):
            return 0, [], {}, {facet: Counter() for facet in FACETS}
        scores = score(posting_groups, corpus, self._weights, field_dfs=lists.field_dfs)
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
    ) -> SearchResult:
        rows = self._table.get_many([doc_key(doc) for doc in page]) if page else {}
        hits = [self._hit(rows[doc_key(doc)], scores[doc], word_terms) for doc in page if doc_key(doc) in rows]
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
