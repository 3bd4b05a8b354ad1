"""BM25 scoring: hand-computed cases, the field weights, AND/ANY, prefix groups, the orders, and parity with
the reference (bm25s, method="lucene") on a generated corpus."""

from __future__ import annotations

import math
import random
from collections import Counter

import bm25s  # type: ignore[import-untyped]  # no stubs; dev-only
import numpy as np
import pytest

import bench.reference_bm25 as reference
from bench.reference_bm25 import BODY_ONLY, agreement, build_index, zipf_corpus
from steppewire.search import ranking
from steppewire.search.postings import Posting
from steppewire.search.ranking import CorpusStats, FieldWeights, idf, rank, score


def body(doc: int, tf: int, length: int, minute: int = 0) -> Posting:
    return Posting(doc, (0, 0, tf), (0, 0, length), minute, 0, 0, 0)


def tfnorm(tf: float, length: float, average: float) -> float:
    """Written out independently of the module: Lucene's tf part, k1 = 1.2, b = 0.75."""
    return tf / (tf + 1.2 * (1 - 0.75 + 0.75 * length / average))


# hand-computed


def test_one_document() -> None:
    # N = 1, df = 1: idf = ln(1 + 0.5 / 1.5) = ln(4/3); tf 2 in a body of 4 = the average: 2 / (2 + 1.2)
    scores = score([[[body(1, tf=2, length=4)]]], CorpusStats(1, (0, 0, 4)), BODY_ONLY)
    assert scores == {1: pytest.approx(math.log(4 / 3) * 0.625, abs=1e-12)}


def test_two_documents() -> None:
    # doc 1 = "a b", doc 2 = "a a c c c c": N = 2, avgdl = 4
    stats = CorpusStats(2, (0, 0, 8))
    a = [body(1, 1, 2), body(2, 2, 6)]
    c = [body(2, 4, 6)]
    scores_a = score([[a]], stats, BODY_ONLY)
    assert scores_a[1] == pytest.approx(math.log(1.2) * 1 / 1.75, abs=1e-12)  # idf = ln(1 + 0.5 / 2.5)
    assert scores_a[2] == pytest.approx(math.log(1.2) * 2 / 3.65, abs=1e-12)
    assert rank(scores_a, by="reference") == [1, 2]  # the shorter document wins despite the lower tf
    assert score([[c]], stats, BODY_ONLY) == {2: pytest.approx(math.log(2) * 4 / 5.65, abs=1e-12)}
    both = score([[a], [c]], stats, BODY_ONLY)
    assert both == {2: pytest.approx(scores_a[2] + math.log(2) * 4 / 5.65, abs=1e-12)}


def test_a_term_in_every_document_still_counts_a_little() -> None:
    # Lucene's idf never goes negative: ln(1 + 0.5 / (N + 0.5)) for df = N
    assert idf(3, 3) == pytest.approx(math.log(8 / 7), abs=1e-15)
    scores = score([[[body(1, 1, 5), body(2, 1, 5), body(3, 1, 5)]]], CorpusStats(3, (0, 0, 15)), BODY_ONLY)
    assert scores == dict.fromkeys((1, 2, 3), pytest.approx(math.log(8 / 7) * tfnorm(1, 5, 5), abs=1e-12))
    assert all(value > 0 for value in scores.values())


def test_idf_is_per_field() -> None:
    # the term is in the title of one document out of three, and in all three bodies
    postings = [
        Posting(1, (1, 0, 2), (4, 10, 40), 0, 0, 0, 0),
        Posting(2, (0, 0, 1), (6, 10, 20), 0, 0, 0, 0),
        Posting(3, (0, 0, 1), (5, 10, 60), 0, 0, 0, 0),
    ]
    stats = CorpusStats(3, (15, 30, 120))
    weights = FieldWeights(title=3.0, summary=2.0, body=1.0)
    idf_title, idf_body = math.log(1 + 2.5 / 1.5), math.log(1 + 0.5 / 3.5)
    expected_1 = 3 * idf_title * tfnorm(1, 4, 5) + idf_body * tfnorm(2, 40, 40)
    scores = score([[postings]], stats, weights)
    assert scores[1] == pytest.approx(expected_1, abs=1e-12)
    assert scores[3] == pytest.approx(idf_body * tfnorm(1, 60, 40), abs=1e-12)


def test_doubling_the_title_weight_doubles_the_titles_contribution() -> None:
    postings = [
        Posting(1, (1, 0, 0), (5, 20, 100), 0, 0, 0, 0),  # title only
        Posting(2, (1, 0, 3), (8, 20, 300), 0, 0, 0, 0),  # title and body
        Posting(3, (0, 1, 1), (6, 25, 200), 0, 0, 0, 0),  # no title
    ]
    stats = CorpusStats(10, (60, 220, 2000))
    normal = score([[postings]], stats, FieldWeights(3.0, 2.0, 1.0))
    doubled = score([[postings]], stats, FieldWeights(6.0, 2.0, 1.0))
    title_only = score([[postings]], stats, FieldWeights(1.0, 0.0, 0.0))
    assert doubled[1] == pytest.approx(2 * normal[1], abs=1e-12)
    assert doubled[2] - normal[2] == pytest.approx(3 * title_only[2], abs=1e-12)
    assert doubled[3] == normal[3]


def test_weighted_score_is_the_weighted_sum_of_single_field_scores() -> None:
    rng = random.Random(4)
    postings = [
        Posting(
            doc,
            (rng.randint(0, 2), rng.randint(0, 3), rng.randint(1, 9)),
            (rng.randint(3, 15), rng.randint(10, 40), rng.randint(50, 900)),
            0,
            0,
            0,
            0,
        )
        for doc in range(1, 200)
    ]
    stats = CorpusStats(1000, (9000, 25000, 450000))
    defaults = FieldWeights()
    combined = score([[postings]], stats)
    parts = [score([[postings]], stats, FieldWeights(*unit)) for unit in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]
    for doc, value in combined.items():
        expected = defaults.title * parts[0][doc] + defaults.summary * parts[1][doc] + defaults.body * parts[2][doc]
        assert value == pytest.approx(expected, rel=1e-12)


def test_and_versus_any() -> None:
    stats = CorpusStats(10, (0, 0, 100))
    first = [body(1, 1, 10), body(2, 1, 10)]
    second = [body(1, 2, 10), body(3, 1, 10)]
    all_ = score([[first], [second]], stats, BODY_ONLY, match="all")
    any_ = score([[first], [second]], stats, BODY_ONLY, match="any")
    assert set(all_) == {1}
    assert set(any_) == {1, 2, 3}
    assert all_[1] == any_[1] == score([[first]], stats, BODY_ONLY)[1] + score([[second]], stats, BODY_ONLY)[1]
    assert score([[first], []], stats, BODY_ONLY, match="all") == {}  # an unknown word matches nothing
    assert set(score([[first], []], stats, BODY_ONLY, match="any")) == {1, 2}
    assert score([], stats) == {} and score([], stats, match="any") == {}


def test_a_prefix_group_ors_its_terms() -> None:
    stats = CorpusStats(10, (0, 0, 100))
    word = [body(1, 1, 10), body(2, 1, 10), body(4, 1, 10)]
    almat = [body(1, 1, 10), body(3, 1, 10)]  # two terms the last word "alma" expands to
    almaty = [body(1, 1, 10), body(2, 3, 10)]
    scores = score([[word], [almat, almaty]], stats, BODY_ONLY, match="all")
    assert set(scores) == {1, 2}  # doc 3 lacks the first word, doc 4 every expansion
    each = [score([[postings]], stats, BODY_ONLY) for postings in (word, almat, almaty)]
    assert scores[1] == pytest.approx(each[0][1] + each[1][1] + each[2][1], abs=1e-12)  # both expansions add
    assert scores[2] == pytest.approx(each[0][2] + each[2][2], abs=1e-12)


def test_a_field_weighted_zero_still_matches_but_adds_nothing() -> None:
    stats = CorpusStats(10, (50, 200, 1000))
    only_title = [Posting(1, (2, 0, 0), (5, 20, 100), 0, 0, 0, 0)]
    assert score([[only_title]], stats, BODY_ONLY) == {1: 0.0}


def test_stale_statistics_do_not_break_scoring() -> None:
    # a posting list read a moment after the STATS item can hold more documents than N says
    scores = score([[[body(1, 1, 3), body(2, 1, 4), body(3, 1, 5)]]], CorpusStats(2, (0, 0, 0)), BODY_ONLY)
    assert set(scores) == {1, 2, 3} and all(value > 0 and math.isfinite(value) for value in scores.values())
    assert score([[[body(1, 1, 3)]]], CorpusStats(0, (0, 0, 0)), BODY_ONLY)[1] > 0


def test_invalid_arguments() -> None:
    stats = CorpusStats(1, (0, 0, 1))
    with pytest.raises(ValueError, match="match"):
        score([[[body(1, 1, 1)]]], stats, match="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights"):
        score([[[body(1, 1, 1)]]], stats, FieldWeights(-1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="order"):
        rank({1: 1.0}, by="popularity")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="minute_of"):
        rank({1: 1.0}, by="date")


# orders


def test_ties_and_orders() -> None:
    scores = {1: 2.0, 2: 5.0, 3: 2.0, 4: 2.0, 5: 1.0}
    minutes = {1: 100, 2: 50, 3: 300, 4: 100, 5: 400}
    assert rank(scores, minutes, by="relevance") == [2, 3, 1, 4, 5]  # 2.0-ties: newest (3), then doc id
    assert rank(scores, minutes, by="date") == [5, 3, 1, 4, 2]  # 1 and 4 share a minute and a score
    assert rank(scores, minutes, by="reference") == [2, 1, 3, 4, 5]
    assert rank(scores, by="reference") == rank(scores, minutes, by="reference")
    assert rank({1: 1.0, 2: 3.0, 3: 1.0}, {1: 10, 2: 20, 3: 30}, by="date") == [3, 2, 1]
    assert rank({9: 1.0, 7: 1.0}, {9: 5}, by="relevance") == [9, 7]  # a missing minute sorts as oldest
    assert rank({9: 1.0, 7: 1.0}, None, by="relevance") == [7, 9]
    assert rank({}, {}, by="date") == []


def test_identical_documents_tie_exactly() -> None:
    stats = CorpusStats(5, (0, 0, 50))
    scores = score([[[body(3, 2, 10, minute=1), body(1, 2, 10, minute=2), body(2, 2, 10, minute=1)]]], stats, BODY_ONLY)
    assert len(set(scores.values())) == 1
    assert rank(scores, {3: 1, 1: 2, 2: 1}, by="relevance") == [1, 2, 3]
    assert rank(scores, by="reference") == [1, 2, 3]


# parity with the reference


@pytest.fixture(scope="module")
def synthetic() -> tuple[list[list[str]], list[list[str]]]:
    docs, queries = zipf_corpus(seed=20260101, documents=2000, vocabulary=5000, queries=100)
    assert len(docs) == 2000 and len(queries) == 100
    assert min(map(len, queries)) >= 1 and max(map(len, queries)) <= 5
    return docs, queries


def test_top_10_agrees_with_bm25s_lucene(synthetic: tuple[list[list[str]], list[list[str]]]) -> None:
    docs, queries = synthetic
    result = agreement(docs, queries, k=10)
    assert result.queries == 100
    assert result.share >= 0.99, result.differing
    assert result.max_score_delta < 1e-6


def test_scores_match_bm25s_retrieve_directly(synthetic: tuple[list[list[str]], list[list[str]]]) -> None:
    # independent of the harness: bm25s's own top 10 (its tie order aside) carries our scores
    docs, queries = synthetic
    index, stats = build_index(docs)
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75, dtype="float64")
    retriever.index(docs, show_progress=False)
    found, found_scores = retriever.retrieve(queries[:30], k=10, show_progress=False)
    for query, documents, reference_scores in zip(queries[:30], found, found_scores, strict=True):
        ours = score([[index[w]] if w in index else [] for w in query], stats, BODY_ONLY, match="any")
        for doc, value in zip(documents.tolist(), reference_scores.tolist(), strict=True):
            assert ours.get(doc + 1, 0.0) == pytest.approx(value, abs=1e-9)
        ours_top = sorted(ours.values(), reverse=True)[:10]
        positive = [value for value in reference_scores.tolist() if value > 0]
        assert ours_top == pytest.approx(positive, abs=1e-9)


def test_all_is_any_restricted_to_documents_with_every_word(synthetic: tuple[list[list[str]], list[list[str]]]) -> None:
    docs, queries = synthetic
    index, stats = build_index(docs, through_codec=False)
    for query in queries[:40]:
        groups = [[index[w]] if w in index else [] for w in query]
        every = score(groups, stats, BODY_ONLY, match="all")
        some = score(groups, stats, BODY_ONLY, match="any")
        holding = {doc for doc, tokens in enumerate(docs, start=1) if set(query) <= set(tokens)}
        assert set(every) == holding
        for doc in holding:
            assert every[doc] == pytest.approx(some[doc], rel=1e-12)


def test_ties_at_the_cut_off_count_as_agreement() -> None:
    # 15 identical documents: every top 10 of them is right, and both sides pick the lowest ids
    docs = [["alma", "ata"]] * 15 + [["other", "words", "here"]] * 5
    result = agreement(docs, [["alma"], ["ata", "alma"], ["nothing"]], k=10)
    assert result.same_top_k == 3
    assert result.max_score_delta < 1e-12


def test_the_harness_catches_a_wrong_formula(
    synthetic: tuple[list[list[str]], list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, queries = synthetic
    monkeypatch.setattr(ranking, "K1", 1.5)  # bm25s's default k1, an easy mistake
    result = agreement(docs, queries[:30], k=10)
    assert result.max_score_delta > 1e-3
    assert result.same_top_k < 30


def test_the_harness_catches_a_wrong_order(
    synthetic: tuple[list[list[str]], list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, queries = synthetic

    def by_doc_id(scores: dict[int, float], minute_of: object = None, *, by: str) -> list[int]:
        return sorted(scores)

    monkeypatch.setattr(reference, "rank", by_doc_id)
    result = agreement(docs, queries[:30], k=10)
    assert result.max_score_delta < 1e-6  # same scores ...
    assert result.same_top_k < 5  # ... wrong order


def test_zipf_corpus_is_deterministic_and_skewed() -> None:
    first, _ = zipf_corpus(seed=1, documents=300, queries=5)
    again, _ = zipf_corpus(seed=1, documents=300, queries=5)
    assert first == again
    counts = Counter(word for doc in first for word in doc)
    ranked = [count for _, count in counts.most_common()]
    assert ranked[0] > 20 * ranked[len(ranked) // 2]


def test_codec_round_trip_keeps_parity_inputs() -> None:
    docs, _ = zipf_corpus(seed=3, documents=200, queries=1)
    direct, stats = build_index(docs, through_codec=False)
    coded, stats_coded = build_index(docs, through_codec=True)
    assert direct == coded and stats == stats_coded
    assert stats.total_lengths[2] == sum(map(len, docs)) and float(np.mean([len(d) for d in docs])) == pytest.approx(
        stats.total_lengths[2] / stats.documents
    )
