"""Answering a query from the index: two batched reads, everything else in memory.

Read 1: the posting lists of the query's terms (plus a tag filter's, the corpus statistics and, for
as-you-type, the last word's prefix vocabulary). Every posting carries its document's field lengths,
date and facet codes, so scoring, filtering, date sorting, the exact total and the facet counts need
nothing else. Read 2: the result rows of the requested page only.

As-you-type: the completions of the last word come from a small prefix vocabulary item. A warm
container keeps the vocabularies it has read for a few minutes, so the completions' posting lists
join read 1; on a cold vocabulary they cost one read in between (3 round trips).
"""

from __future__ import annotations

import re
import time as monotonic_time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from steppewire.newsroom import NEWSROOM_TIMEZONE
from steppewire.search.analysis import prefix_key, terms
from steppewire.search.index_store import IndexTable, Key
from steppewire.search.indexer import (
    FACETS,
    PREFIX_CHARS,
    STATS_KEY,
    Stats,
    doc_key,
    prefix_item_key,
    tag_term,
    term_key,
)
from steppewire.search.postings import Posting, decode
from steppewire.search.ranking import CorpusStats, FieldWeights, rank, score
from steppewire.search.snippets import best_snippet, highlight

MAX_PREFIX_EXPANSIONS = 10
# How long a container trusts a prefix vocabulary it read: new words reach as-you-type completions
# within this time (exact words are always current).
VOCABULARY_TTL_SECONDS = 300.0
_QUOTES = re.compile(r"[\"«»“”„]")


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


def parse_query(q: str) -> ParsedQuery:
    """Words AND together; quotes are accepted and read as plain words (no phrase positions are indexed)."""
    text = _QUOTES.sub(" ", q)
    raw_words = text.split()
    words = [found for word in raw_words if (found := terms(word))]
    # As-you-type: a last word still being typed (no space after it, not a stop word) also matches as a prefix.
    typing_last_word = bool(raw_words) and not text[-1:].isspace() and bool(terms(raw_words[-1]))
    last = prefix_key(raw_words[-1]) if typing_last_word else ""
    return ParsedQuery(words, last if len(last) >= PREFIX_CHARS else None)


def _completions(vocabulary: Mapping[str, Any], prefix: str) -> list[str]:
    """The index terms of the words starting with `prefix`, the most frequent first."""
    candidates = sorted(
        ((str(term), int(docs)) for surface, (term, docs) in vocabulary.items() if surface.startswith(prefix)),
        key=lambda pair: -pair[1],
    )
    return list(dict.fromkeys(term for term, _ in candidates))[:MAX_PREFIX_EXPANSIONS]


def _minute(day: date, end_of_day: bool) -> int:
    moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), NEWSROOM_TIMEZONE)
    return int(moment.astimezone(UTC).timestamp() // 60) - (1 if end_of_day else 0)


class SearchEngine:
    def __init__(self, table: IndexTable, clock: Callable[[], datetime], weights: FieldWeights | None = None) -> None:
        self._table = table
        self._clock = clock
        self._weights = weights or FieldWeights()
        self._vocabularies: dict[Key, tuple[float, dict[str, Any]]] = {}

    def _cached_vocabulary(self, key: Key) -> dict[str, Any] | None:
        cached = self._vocabularies.get(key)
        if cached is None or monotonic_time.monotonic() - cached[0] > VOCABULARY_TTL_SECONDS:
            return None
        return cached[1]

    def search(self, request: SearchRequest) -> SearchResult:
        query = parse_query(request.q)
        index_terms = sorted({term for word in query.words for term in word})
        keys = [term_key(term) for term in index_terms] + [STATS_KEY]
        if request.tag:
            keys.append(term_key(tag_term(request.tag)))
        vocabulary = self._cached_vocabulary(prefix_item_key(query.prefix)) if query.prefix else None
        if query.prefix and vocabulary is None:
            keys.append(prefix_item_key(query.prefix))
        elif query.prefix and vocabulary is not None:
            keys += [term_key(term) for term in _completions(vocabulary, query.prefix)]
        found = self._table.get_many(keys)
        stats = Stats.from_item(found.get(STATS_KEY))
        postings = {term: decode(found[term_key(term)]["p"]) for term in index_terms if term_key(term) in found}
        groups = [[postings[t] for t in word if t in postings] for word in query.words]
        matched_terms = set(postings)
        if query.prefix:
            if vocabulary is None:
                vocabulary = dict((found.get(prefix_item_key(query.prefix)) or {}).get("v", {}))
                self._vocabularies[prefix_item_key(query.prefix)] = (monotonic_time.monotonic(), vocabulary)
            expansions = self._expansions(vocabulary, query.prefix, postings, found)
            matched_terms |= set(expansions)
            groups[-1] = groups[-1] + list(expansions.values())  # the last word: itself OR its completions
        empty = SearchResult(0, request.page, request.per_page, [], {facet: {} for facet in FACETS})
        if not groups or any(not group for group in groups):
            return empty  # a word no article contains: AND matches nothing
        title_total, summary_total, body_total = stats.total_lengths
        corpus = CorpusStats(stats.documents, (title_total, summary_total, body_total))
        scores = score(groups, corpus, self._weights)
        info = {p.doc: p for group in groups for plist in group for p in plist}
        allowed = self._filter(request, stats, info, found)
        matches = {doc: value for doc, value in scores.items() if allowed(info[doc])}
        ordered = rank(matches, {doc: info[doc].minute for doc in matches}, by=request.sort)
        start = (request.page - 1) * request.per_page
        page = ordered[start : start + request.per_page]
        rows = self._table.get_many([doc_key(doc) for doc in page]) if page else {}
        hits = [self._hit(rows[doc_key(doc)], matches[doc], matched_terms) for doc in page if doc_key(doc) in rows]
        return SearchResult(len(matches), request.page, request.per_page, hits, self._facets(matches, info, stats))

    def _expansions(
        self,
        vocabulary: Mapping[str, Any],
        prefix: str,
        already: Mapping[str, list[Posting]],
        found: Mapping[Key, Mapping[str, Any]],
    ) -> dict[str, list[Posting]]:
        chosen = _completions(vocabulary, prefix)
        missing = [term for term in chosen if term not in already and term_key(term) not in found]
        found = {**found, **(self._table.get_many([term_key(term) for term in missing]) if missing else {})}
        lists = {term: already[term] for term in chosen if term in already}
        lists |= {
            term: decode(found[term_key(t)]["p"])
            for t in chosen
            if t not in already and term_key(t) in found
            for term in [t]
        }
        return lists

    def _filter(
        self, request: SearchRequest, stats: Stats, info: Mapping[int, Posting], found: Mapping[Any, Any]
    ) -> Callable[[Posting], bool]:
        now = int(self._clock().timestamp() // 60)  # scheduled articles stay hidden until their minute
        earliest = _minute(request.date_from, end_of_day=False) if request.date_from else 0
        latest = min(now, _minute(request.date_to, end_of_day=True)) if request.date_to else now
        wanted = {
            facet: stats.codes[facet].get(value.strip().casefold(), -1)
            for facet in FACETS
            if (value := getattr(request, facet))
        }
        tagged: set[int] | None = None
        if request.tag:
            tag_item = found.get(term_key(tag_term(request.tag)))
            tagged = {p.doc for p in decode(tag_item["p"])} if tag_item else set()

        def allowed(posting: Posting) -> bool:
            if not earliest <= posting.minute <= latest:
                return False
            if tagged is not None and posting.doc not in tagged:
                return False
            return all(getattr(posting, facet) == code for facet, code in wanted.items())

        return allowed

    def _facets(
        self, matches: Mapping[int, float], info: Mapping[int, Posting], stats: Stats
    ) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {}
        for facet in FACETS:
            counts = Counter(getattr(info[doc], facet) for doc in matches)
            labels = stats.labels[facet]
            facets[facet] = {labels.get(str(code), str(code)): n for code, n in counts.most_common() if code}
        return facets

    def _hit(self, row: Mapping[str, Any], value: float, matched_terms: set[str]) -> Hit:
        return Hit(
            slug=str(row["slug"]),
            title=str(row["title"]),
            title_highlighted=highlight(str(row["title"]), matched_terms),
            snippet=best_snippet([str(row.get("text") or ""), str(row.get("summary") or "")], matched_terms),
            published_at=str(row["published_at"]),
            lang=str(row["lang"]),
            category=row.get("category"),
            country=row.get("country"),
            score=round(value, 6),
        )
