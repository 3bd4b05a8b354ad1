"""The answer when every word is not enough: corrected words, then the articles that match the most words.

A query's words are AND-ed; when the articles that match every word (exactly: as typed, by a synonym or a
completion) are fewer than a page, the answer is filled, in three tiers, each ranked on its own:

1. the articles that match every word exactly, ranked as the all-words answer is (their exact BM25);
2. those that match every word once corrected words count (a word typed wrong matched to indexed words
   within its edit distance);
3. those that match at least one word, any word: the first word may be the missing one as well as the last.
   Ranked by BM25 over the words they match, so an article matching more or rarer words ranks first.

A corrected word's BM25 counts `TYPO_WEIGHT` of an exact one, so between articles of the same tier an exact
match outranks a corrected one of the same strength. Filters (a tag, a quoted phrase's word pairs) are never
dropped. `total` counts the articles of the tiers shown, exactly, over the lists read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from steppewire.search.postings import Posting
from steppewire.search.ranking import CorpusStats, FieldWeights, rank, score

TYPO_WEIGHT: Final = 0.5


@dataclass(frozen=True)
class WordLists:
    """One query word's posting lists: its own terms' and its corrections'."""

    exact: list[list[Posting]]
    corrected: list[list[Posting]]


@dataclass(frozen=True)
class Filled:
    ordered: list[int]  # every article shown, in display order
    scores: dict[int, float]
    lacking: dict[int, tuple[int, ...]]  # per article, the indexes of the words it does not match
    corrected: bool  # an article is shown only because a corrected word matches it
    partial: bool  # an article is shown that lacks a word


def _docs(lists: Sequence[Sequence[Posting]]) -> set[int]:
    return {posting.doc for postings in lists for posting in postings}


def fill(
    words: Sequence[WordLists],
    filters: Sequence[Sequence[Sequence[Posting]]],
    documents: Mapping[int, Posting],
    allowed: Callable[[Posting], bool],
    corpus: CorpusStats,
    weights: FieldWeights,
    field_dfs: Mapping[int, tuple[int, int, int]],
    *,
    shares: Mapping[int, float] | None = None,
    per_page: int,
    sort: Literal["relevance", "date"],
) -> Filled:
    """The tiers above, each added only while the answer is shorter than `per_page` (decided on the whole
    answer, never on the page asked, so that every page of it agrees on the total). `documents` holds a
    posting of every article a list names (its per-document values); `filters` are groups that must match;
    `shares` as `ranking.score`'s."""
    exact = [_docs(word.exact) for word in words]
    corrected = [_docs(word.corrected) for word in words]
    candidates = set().union(*exact, *corrected)
    for group in filters:
        candidates &= _docs(group)
    candidates = {doc for doc in candidates if doc in documents and allowed(documents[doc])}
    exact_scores = score([w.exact for w in words], corpus, weights, match="any", field_dfs=field_dfs, shares=shares)
    typo_scores = score([w.corrected for w in words], corpus, weights, match="any", field_dfs=field_dfs)
    scores = {doc: exact_scores.get(doc, 0.0) + TYPO_WEIGHT * typo_scores.get(doc, 0.0) for doc in candidates}
    lacking = {
        doc: tuple(i for i in range(len(words)) if doc not in exact[i] and doc not in corrected[i])
        for doc in candidates
    }
    minutes = {doc: documents[doc].minute for doc in candidates}
    all_exact = {doc for doc in candidates if all(doc in found for found in exact)}
    tiers = [{doc: exact_scores.get(doc, 0.0) for doc in all_exact}]
    all_corrected = {doc for doc in candidates if not lacking[doc]} - all_exact
    some = {doc for doc in candidates if lacking[doc]}
    shown = len(all_exact)
    for tier in (all_corrected, some):
        if shown >= per_page:
            break
        tiers.append({doc: scores[doc] for doc in tier})
        shown += len(tier)
    ordered = [doc for tier in tiers for doc in rank(tier, minutes, by=sort)]
    return Filled(
        ordered=ordered,
        scores={doc: tier[doc] for tier in tiers for doc in tier},
        lacking={doc: lacking[doc] for doc in ordered if lacking[doc]},
        corrected=any(doc in corrected[i] and doc not in exact[i] for doc in ordered for i in range(len(words))),
        partial=any(lacking[doc] for doc in ordered),
    )
