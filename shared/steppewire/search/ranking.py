"""BM25 scoring over decoded posting lists, and the orders results are shown in.

Per field f of a term's posting list (Lucene's BM25, exactly bm25s 0.3.16 `method="lucene"`)::

    idf_f    = ln(1 + (N - df_f + 0.5) / (df_f + 0.5))        df_f = postings with tf_f > 0, N = documents
    tfnorm_f = tf_f / (tf_f + k1 * (1 - b + b * len_f / avgdl_f))         avgdl_f = total_lengths[f] / N
    score    = sum over query words (groups), over the group's terms the document has,
               over the fields with weight > 0, of  w_f * idf_f * tfnorm_f

This tfnorm has no (k1 + 1) factor: Lucene dropped it in 8.0 (it scales every score alike) and bm25s's
`_score_tfc_lucene` follows. Everything that depends only on the term or the field (w_f * idf_f,
k1 * (1 - b), k1 * b / avgdl_f) is computed once per posting list, so the per-posting work is one
division per field the term occurs in. A document matches a group if it is in one of the group's
posting lists (whichever field holds the term); with `match="all"` it must match every group.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from steppewire.search.postings import Posting

FIELDS: Final = ("title", "summary", "body")
K1: Final = 1.2
B: Final = 0.75


@dataclass(frozen=True)
class FieldWeights:
    """Per-field BM25 weights. A title word is usually in the body too, so it already counts twice; measured
    with `make eval`, a title weight of 3 (summary 2) lost to plain BM25 on Cranfield (MAP 0.282 against
    0.299), 1.25 beats it (0.304) and keeps the news sets' figures (within 0.01 of weight 3)."""

    title: float = 1.25
    summary: float = 1.25
    body: float = 1.0


@dataclass(frozen=True)
class CorpusStats:
    documents: int
    total_lengths: tuple[int, int, int]


_get_doc = operator.attrgetter("doc")
_get_tf = operator.attrgetter("tf")


def idf(df: int, documents: int) -> float:
    """Lucene's idf, always > 0. A df above N (statistics read a moment older than the postings) is
    taken as N rather than failing."""
    documents = max(documents, df)
    return math.log(1.0 + (documents - df + 0.5) / (df + 0.5))


def score(
    groups: Sequence[Sequence[Sequence[Posting]]],
    stats: CorpusStats,
    weights: FieldWeights = FieldWeights(),  # frozen, so one shared default is safe
    *,
    match: Literal["all", "any"] = "all",
    field_dfs: Mapping[int, tuple[int, int, int]] | None = None,
    shares: Mapping[int, float] | None = None,
) -> dict[int, float]:
    """BM25F-style scores of the matching documents: `groups` has one entry per query word, each a list
    of posting lists OR-ed together (the word's term, or the terms a prefix expands to).

    A list that is only part of its term's postings (the documents of interest) gives its term's
    per-field document frequencies in `field_dfs`, keyed by the list's `id()`: idf needs the whole list's.
    `shares` scales a list's contribution (by `id()`): a synonym standing for several words counts once."""
    if match not in ("all", "any"):
        raise ValueError(f"match must be 'all' or 'any', not {match!r}")
    field_weights = (weights.title, weights.summary, weights.body)
    if any(w < 0 or math.isnan(w) for w in field_weights):
        raise ValueError("field weights must be >= 0")
    candidates: set[int] | None = None
    if match == "all":
        if not groups:
            return {}
        # Smallest group first: the intersection shrinks fastest. Sets are built by C-level maps.
        for group in sorted(groups, key=lambda g: sum(map(len, g))):
            group_docs: set[int] = set().union(*(map(_get_doc, postings) for postings in group))
            candidates = group_docs if candidates is None else candidates & group_docs
            if not candidates:
                return {}
    # Per field: k1 * (1 - b) + (k1 * b / avgdl) * len is the length-normalised k1 of the denominator.
    base: list[float] = []
    slope: list[float] = []
    for total in stats.total_lengths:
        average = total / stats.documents if stats.documents > 0 else 0.0
        if average > 0:
            base.append(K1 * (1 - B))
            slope.append(K1 * B / average)
        else:  # no lengths in this field: no normalisation (no posting can have tf > 0 in it anyway)
            base.append(K1)
            slope.append(0.0)
    base_t, base_s, base_b = base
    slope_t, slope_s, slope_b = slope
    scores: dict[int, float] = {}
    get = scores.get
    for group in groups:  # query order: the sums add up in the same order as the reference's
        for postings in group:
            if not postings:
                continue
            tfs = list(map(_get_tf, postings))
            known = field_dfs.get(id(postings)) if field_dfs else None
            w_t, w_s, w_b = _weighted_idfs(known or field_df(tfs), field_weights, stats.documents)
            if shares and id(postings) in shares:
                share = shares[id(postings)]
                w_t, w_s, w_b = w_t * share, w_s * share, w_b * share
            for posting, (tf_t, tf_s, tf_b) in zip(postings, tfs, strict=True):
                doc = posting.doc
                if candidates is not None and doc not in candidates:
                    continue
                len_t, len_s, len_b = posting.lengths
                value = 0.0
                if tf_t and w_t:
                    value += w_t * tf_t / (tf_t + base_t + slope_t * len_t)
                if tf_s and w_s:
                    value += w_s * tf_s / (tf_s + base_s + slope_s * len_s)
                if tf_b and w_b:
                    value += w_b * tf_b / (tf_b + base_b + slope_b * len_b)
                scores[doc] = get(doc, 0.0) + value
    return scores


def field_df(tfs: Sequence[tuple[int, int, int]]) -> tuple[int, int, int]:
    """Per field, how many of the postings have the term in it (tf > 0)."""
    if not tfs:
        return 0, 0, 0
    title, summary, body = (len(column) - column.count(0) for column in zip(*tfs, strict=True))
    return title, summary, body


def _weighted_idfs(
    dfs: tuple[int, int, int], field_weights: tuple[float, float, float], documents: int
) -> tuple[float, float, float]:
    """w_f * idf_f for one term, or 0.0 where the field is weighted 0 or never holds the term."""
    title, summary, body = (
        weight * idf(df, documents) if weight > 0 and df else 0.0 for weight, df in zip(field_weights, dfs, strict=True)
    )
    return title, summary, body


def rank(
    scores: Mapping[int, float],
    minute_of: Mapping[int, int] | None = None,
    *,
    by: Literal["relevance", "date", "reference"],
) -> list[int]:
    """The scored doc ids in display order.

    - "relevance": score descending; ties newer first (`minute_of`, missing = oldest), then doc id.
    - "date": newest first, then score descending, then doc id (`minute_of` required).
    - "reference": score descending, ties by doc id ascending (the parity test's rule).

    Built from stable C-level sorts, least significant key first (reverse=True keeps stability).
    """
    if by not in ("relevance", "date", "reference"):
        raise ValueError(f"unknown order {by!r}")
    docs = sorted(scores)
    if by == "reference":
        docs.sort(key=scores.__getitem__, reverse=True)
        return docs
    if minute_of is None:
        if by == "date":
            raise ValueError("sorting by date needs minute_of")
        minute_of = {}
    if not minute_of.keys() >= scores.keys():
        minute_of = {**dict.fromkeys(docs, -1), **minute_of}
    if by == "relevance":
        docs.sort(key=minute_of.__getitem__, reverse=True)
        docs.sort(key=scores.__getitem__, reverse=True)
    else:
        docs.sort(key=scores.__getitem__, reverse=True)
        docs.sort(key=minute_of.__getitem__, reverse=True)
    return docs
