"""Head items of large terms: a query uses a large term without reading its chunks.

A term's postings carry every document's lengths, date and facet codes, ~6 B a posting: a term in 10,000 of
50,000 articles is ~65 KB, 8 RCU on its own. A large term (`IndexPolicy.large_term_postings`, see
`schema.py`) therefore also gets a head item (`T#<term>`/`H`), rewritten by the indexer whenever it merges
the term's tail into its chunks, holding, as of that merge:

- the `head_postings` best postings by score (whole), and the best score among the rest (the tail bound);
- the `head_postings` newest postings (whole);
- the number of documents per (lang, category, country) code combination, the per-field document
  frequencies and the number of documents.

Its size does not grow with the term: the doc ids and term frequencies of every document (what a query of
several words reads of its other words) are in the term's lean chunks. A one-word query reads the head and
the term's tail (the postings added and removed since), and takes its exact total and facets from the counts
corrected by the tail (less the scheduled articles, which are the newest postings), and its page from the
best or newest postings and the added ones, rescored with the current statistics. The page is exact when its
last score beats the tail bound raised by how far N and the average field lengths have moved since the head
was written (idf only grows with N; a field's tf-norm grows at most by the ratio of the new to the old average
length; removed postings only lower the bound; added ones are candidates), or, by date, when it is newer than
the oldest of the newest postings. Otherwise `answer` says so (None) and the engine reads the chunks.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from steppewire.search.lines import pack_lines, unpack_lines
from steppewire.search.postings import FACETS, Posting, decode, encode
from steppewire.search.ranking import CorpusStats, FieldWeights, field_df, idf, rank, score
from steppewire.search.schema import Tail

# Sizes the planner expects, measured at 50,000 articles (the codec's figures in postings.py).
LEAN_BYTES_PER_POSTING: Final = 1.3
HEAD_FIXED_BYTES: Final = 2500
_BOUND_SLACK: Final = 1e-9  # the tail bound is compared strictly; a hair of float rounding must not pass it
_get_doc = operator.attrgetter("doc")
_get_tf = operator.attrgetter("tf")
_get_minute = operator.attrgetter("minute")
_get_cell = operator.attrgetter(*FACETS)  # (lang, category, country)


@dataclass(frozen=True)
class TermHead:
    documents: int
    field_dfs: tuple[int, int, int]
    top: list[Posting]  # best by score at `written`
    newest: list[Posting]  # newest first
    cells: dict[tuple[int, int, int], int]  # documents per (lang, category, country) codes
    tail_bound: float  # best score at `written` among the postings not in `top`
    written: CorpusStats
    weights: FieldWeights


@dataclass(frozen=True)
class HeadAnswer:
    total: int
    page: list[int]
    scores: dict[int, float]  # of the page's docs
    postings: dict[int, Posting]  # of the page's docs
    facet_counts: dict[str, Counter[int]]


def build_head(postings: Sequence[Posting], stats: CorpusStats, weights: FieldWeights, size: int) -> TermHead:
    """The head of these postings (a term's all) with the `size` best and newest."""
    ordered = sorted(postings, key=_get_doc)
    scores = score([[ordered]], stats, weights)
    # Best first, ties in doc order (a reversed sort is stable too); C-level keys: a merge builds heads of
    # thousands of postings.
    values = list(map(scores.__getitem__, map(_get_doc, ordered)))
    by_score = list(map(ordered.__getitem__, sorted(range(len(ordered)), key=values.__getitem__, reverse=True)))
    return TermHead(
        documents=len(ordered),
        field_dfs=field_df(list(map(_get_tf, ordered))),
        top=by_score[:size],
        newest=sorted(ordered, key=_get_minute, reverse=True)[:size],
        cells=_cells(ordered),
        tail_bound=scores[by_score[size].doc] if len(by_score) > size else 0.0,  # the best of the rest
        written=stats,
        weights=weights,
    )


def head_attributes(head: TermHead) -> dict[str, Any]:
    """The item's attributes (binary where it is bulk; floats as their exact repr)."""
    cells = (f"{lang}\t{category}\t{country}\t{n}" for (lang, category, country), n in sorted(head.cells.items()))
    return {
        "d": head.documents,
        "f": list(head.field_dfs),
        "t": encode(head.top),
        "n": encode(head.newest),
        "c": pack_lines(cells),
        "b": repr(head.tail_bound),
        "s": [head.written.documents, *head.written.total_lengths],
        "w": [repr(head.weights.title), repr(head.weights.summary), repr(head.weights.body)],
    }


def head_from_attributes(item: Mapping[str, Any]) -> TermHead:
    documents, *totals = (int(n) for n in item["s"])
    title, summary, body = totals
    df_title, df_summary, df_body = (int(n) for n in item["f"])
    weight_title, weight_summary, weight_body = (float(w) for w in item["w"])
    return TermHead(
        documents=int(item["d"]),
        field_dfs=(df_title, df_summary, df_body),
        top=decode(bytes(item["t"])),  # stored by doc id: `answer` ranks them anew anyway
        newest=sorted(decode(bytes(item["n"])), key=lambda p: -p.minute),
        cells={(lang, category, country): n for lang, category, country, n in _int_rows(item["c"])},
        tail_bound=float(item["b"]),
        written=CorpusStats(documents, (title, summary, body)),
        weights=FieldWeights(weight_title, weight_summary, weight_body),
    )


def _int_rows(data: bytes) -> list[tuple[int, ...]]:
    return [tuple(int(value) for value in line.split("\t")) for line in unpack_lines(data)]


def _cells(postings: Sequence[Posting]) -> Counter[tuple[int, int, int]]:
    return Counter(map(_get_cell, postings))


def tail_bound_now(head: TermHead, stats: CorpusStats, field_dfs: tuple[int, int, int]) -> float:
    """An upper bound of any score outside `head.top` at the current statistics and per-field document
    frequencies `field_dfs` of the term (-inf: there is no tail)."""
    if len(head.top) >= head.documents:
        return -math.inf
    growth = 1.0
    field_weights = (head.weights.title, head.weights.summary, head.weights.body)
    for field, (weight, df, df_now) in enumerate(zip(field_weights, head.field_dfs, field_dfs, strict=True)):
        if not (weight > 0 and df and df_now):  # no posting of the head's tail has the term in this field now
            continue
        then_docs, now_docs = head.written.documents, stats.documents
        then_total, now_total = head.written.total_lengths[field], stats.total_lengths[field]
        if min(then_docs, now_docs, then_total, now_total) <= 0:
            return math.inf
        idf_growth = idf(df_now, now_docs) / idf(df, then_docs)
        length_growth = max(1.0, (now_total / now_docs) / (then_total / then_docs))
        growth = max(growth, idf_growth * length_growth)
    return head.tail_bound * growth * (1 + _BOUND_SLACK)


def answer(
    head: TermHead,
    tail: Tail,
    stats: CorpusStats,
    weights: FieldWeights,
    *,
    word: Sequence[Sequence[Posting] | None] = (None,),
    lean: Mapping[int, tuple[int, int, int]] | None = None,
    wanted: Mapping[str, int],
    now_minute: int,
    sort: Literal["relevance", "date"],
    start: int,
    stop: int,
) -> HeadAnswer | None:
    """The exact total, facet counts and page [start, stop) of a one-word query, or None when the head
    cannot prove them (the engine then reads the chunks). `tail` is the term's tail item. The word may be OR-ed
    terms (as-you-type completions): `word` has the whole posting lists of the others in query order, None for
    the head's term, and then `lean` must be the head term's current doc ids and term frequencies."""
    if head.weights != weights or sum(lst is None for lst in word) != 1:
        return None
    gone = {p.doc for p in tail.removed} | {p.doc for p in tail.added}
    all_newest = len(head.newest) >= head.documents
    if not all_newest and head.newest and head.newest[-1].minute > now_minute:
        return None  # more scheduled articles than the head holds: which are hidden is unknown

    def wanted_facets(posting: Posting) -> bool:
        return all(getattr(posting, facet) == code for facet, code in wanted.items())

    def visible(posting: Posting) -> bool:
        return posting.minute <= now_minute and wanted_facets(posting)

    cells = Counter(head.cells)
    cells.subtract(_cells(tail.removed))
    cells.update(_cells(tail.added))
    counts: dict[str, Counter[int]] = {facet: Counter() for facet in FACETS}
    total = 0
    for (lang, category, country), documents in cells.items():
        codes = {"lang": lang, "category": category, "country": country}
        if all(codes[facet] == code for facet, code in wanted.items()):
            total += documents
            for facet, code in codes.items():
                counts[facet][code] += documents
    newest = [p for p in head.newest if p.doc not in gone] + tail.added
    hidden = [p for p in newest if p.minute > now_minute and wanted_facets(p)]
    others = {p.doc: p for postings in word if postings is not None for p in postings}
    if others and lean is None:
        return None
    tf_of = lean if lean is not None else {}
    added = [p for doc, p in others.items() if doc not in tf_of and visible(p)]  # not in the head's term
    for posting, change in [*((p, -1) for p in hidden), *((p, 1) for p in added)]:
        total += change
        for facet in FACETS:
            counts[facet][getattr(posting, facet)] += change
    facet_counts = {facet: +counter for facet, counter in counts.items()}  # unary + drops the zeros
    if start >= total:
        return HeadAnswer(total, [], {}, {}, facet_counts)
    # Candidates: the head's best (or newest) postings still there, the tail's added ones, and every document
    # of the other terms; the head's term postings of the latter are its lean ones completed with the
    # document's values.
    best = best_postings(head, tail)
    own = {p.doc: p for p in (best if sort == "relevance" else newest)}
    for doc, document in others.items():
        if doc not in own and doc in tf_of:
            own[doc] = Posting(
                doc, tf_of[doc], document.lengths, document.minute, document.lang, document.category, document.country
            )
    own_list = [p for p in own.values() if visible(p)]
    lists = [own_list if postings is None else [p for p in postings if visible(p)] for postings in word]
    own_dfs = current_field_dfs(head, tail)
    field_dfs = {
        id(shown): own_dfs if postings is None else field_df([p.tf for p in postings])
        for shown, postings in zip(lists, word, strict=True)
    }
    scores = score([lists], stats, weights, field_dfs=field_dfs)
    needed = min(stop, total)
    if len(scores) < needed:
        return None
    postings = {p.doc: p for shown in lists for p in shown}
    ordered = rank(scores, {doc: p.minute for doc, p in postings.items()}, by=sort)
    last = ordered[needed - 1]
    if sort == "relevance" and not scores[last] > tail_bound_now(head, stats, own_dfs):
        return None
    if sort == "date" and not all_newest and not postings[last].minute > head.newest[-1].minute:
        return None
    page = ordered[start:stop]
    return HeadAnswer(total, page, {d: scores[d] for d in page}, {d: postings[d] for d in page}, facet_counts)


def best_postings(head: TermHead, tail: Tail) -> list[Posting]:
    """The term's best postings as of its head, still current, and the postings added since."""
    gone = {p.doc for p in tail.removed} | {p.doc for p in tail.added}
    return [p for p in head.top if p.doc not in gone] + tail.added


def current_field_dfs(head: TermHead, tail: Tail) -> tuple[int, int, int]:
    """The term's per-field document frequencies now: the head's, corrected by the tail."""
    return _minus(_plus(head.field_dfs, field_df([p.tf for p in tail.added])), field_df([p.tf for p in tail.removed]))


def _plus(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _minus(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]
