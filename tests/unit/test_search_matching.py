"""Search that never dead-ends: the tiers of `matching.fill`, and the engine's questions (many words) against
the reference BM25 with OR semantics."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import bm25s  # type: ignore[import-untyped]  # no stubs; dev-only
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.reference_bm25 import BODY_ONLY, zipf_corpus
from steppewire.search.engine import LONG_QUERY_WORDS, SearchEngine, SearchRequest
from steppewire.search.index_store import InMemoryIndexTable
from steppewire.search.indexer import Indexer
from steppewire.search.matching import TYPO_WEIGHT, WordLists, fill
from steppewire.search.postings import Posting
from steppewire.search.ranking import CorpusStats, FieldWeights
from steppewire.search.synonyms import parse_synonyms
from tests.fakes import stored_article

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
STATS = CorpusStats(10, (0, 0, 100))


def body(doc: int, tf: int = 1, length: int = 10) -> Posting:
    return Posting(doc, (0, 0, tf), (0, 0, length), doc, 0, 0, 0)


def filled(words: list[WordLists], per_page: int = 10, filters: list[list[list[Posting]]] | None = None) -> list[int]:
    documents = {p.doc: p for word in words for lists in (word.exact, word.corrected) for ps in lists for p in ps}
    result = fill(
        words, filters or [], documents, lambda _: True, STATS, BODY_ONLY, {}, per_page=per_page, sort="relevance"
    )
    return result.ordered


def test_every_word_first_then_any_word_may_be_missing() -> None:
    # doc 1 has both words; doc 2 only the second (a missing FIRST word), doc 3 only the first
    first = WordLists([[body(1), body(3, tf=5)]], [])
    second = WordLists([[body(1), body(2, tf=5)]], [])
    assert filled([first, second]) == [1, 2, 3] or filled([first, second]) == [1, 3, 2]
    assert filled([first, second], per_page=1) == [1]  # a page of every-word articles is not filled


def test_an_exact_match_outranks_a_corrected_one_of_the_same_strength() -> None:
    word = WordLists([[body(1)]], [[body(2)]])
    result = fill(
        [word], [], {1: body(1), 2: body(2)}, lambda _: True, STATS, BODY_ONLY, {}, per_page=10, sort="relevance"
    )
    assert result.ordered == [1, 2] and result.corrected and not result.partial
    assert result.scores[2] == pytest.approx(TYPO_WEIGHT * result.scores[1])


def test_a_filter_is_kept_when_words_are_dropped() -> None:
    words = [WordLists([[body(1), body(2)]], []), WordLists([[body(3)]], [])]
    assert filled(words, filters=[[[body(2), body(3)]]]) == [2, 3] or filled(words, filters=[[[body(2), body(3)]]]) == [
        3,
        2,
    ]


postings = st.lists(st.tuples(st.integers(1, 30), st.integers(1, 4)), max_size=12, unique_by=lambda pair: pair[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(postings, postings), min_size=1, max_size=4), st.integers(1, 12))
def test_the_tiers_hold_for_any_lists(
    raw: list[tuple[list[tuple[int, int]], list[tuple[int, int]]]], per_page: int
) -> None:
    words = [WordLists([[body(d, tf) for d, tf in exact]], [[body(d, tf) for d, tf in typo]]) for exact, typo in raw]
    documents = {p.doc: p for word in words for lists in (word.exact, word.corrected) for ps in lists for p in ps}
    result = fill(words, [], documents, lambda _: True, STATS, BODY_ONLY, {}, per_page=per_page, sort="relevance")
    exact = [{p.doc for p in word.exact[0]} for word in words]
    either = [exact[i] | {p.doc for p in word.corrected[0]} for i, word in enumerate(words)]
    all_exact = set.intersection(*exact)
    all_words = set.intersection(*either)
    assert len(result.ordered) == len(set(result.ordered))  # no article twice
    # the articles matching every word exactly come first, then every word with corrections, then the others
    tier = [0 if doc in all_exact else 1 if doc in all_words else 2 for doc in result.ordered]
    assert tier == sorted(tier)
    if len(all_exact) >= per_page:
        assert set(result.ordered) == all_exact
    elif len(all_exact | all_words) < per_page:
        assert set(result.ordered) == set().union(*either)  # filled with every article any word matches
    for doc, lacking in result.lacking.items():
        assert lacking == tuple(i for i in range(len(words)) if doc not in either[i])


# The engine on questions: against bm25s over the same text, with OR semantics


@pytest.fixture(scope="module")
def zipf() -> tuple[InMemoryIndexTable, list[list[str]], list[list[str]]]:
    docs, _ = zipf_corpus(seed=3, documents=400, vocabulary=800, queries=0)
    rng = random.Random(5)
    vocabulary = sorted({word for doc in docs for word in doc})
    # Questions no article has every word of: then the answer is BM25 over the words each article has.
    sets = [set(doc) for doc in docs]
    candidates = (rng.sample(vocabulary, LONG_QUERY_WORDS + 2) for _ in range(1000))
    queries = [q for q in candidates if not any(seen.issuperset(q) for seen in sets)][:40]
    articles = {
        f"doc-{n}": stored_article(
            slug=f"doc-{n}",
            title="Report",
            text=" ".join(words),
            published_at=(NOW - timedelta(minutes=n + 1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for n, words in enumerate(docs)
    }
    table = InMemoryIndexTable()
    Indexer(table, articles.get).apply(list(articles))
    return table, docs, queries


def test_a_question_ranks_as_bm25_with_or_semantics(
    zipf: tuple[InMemoryIndexTable, list[list[str]], list[list[str]]],
) -> None:
    table, docs, queries = zipf
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75, dtype="float64")
    retriever.index(docs, show_progress=False)
    found, found_scores = retriever.retrieve(queries, k=10, show_progress=False)
    engine = SearchEngine(table, clock=lambda: NOW, weights=FieldWeights(title=0.0, summary=0.0, body=1.0))
    same = 0
    for query, ids, values in zip(queries, found, found_scores, strict=True):
        result = engine.search(SearchRequest(" ".join(query) + " ", per_page=10))
        assert result.matched == "partial" and result.total > 10
        ours = [(int(hit.slug.removeprefix("doc-")), hit.score) for hit in result.hits]
        reference = [(int(doc), float(value)) for doc, value in zip(ids, values, strict=True)]
        same += [doc for doc, _ in ours] == [doc for doc, _ in reference]
        for (_, mine), (_, theirs) in zip(ours, reference, strict=True):
            assert mine == pytest.approx(theirs, abs=1e-5)
    assert same >= len(queries) - 2  # ties at equal scores may order differently


# Synonyms at query time


SYNONYMS = b"""
all:
  groups:
    - [NBK, National Bank of Kazakhstan]
  one_way:
    - "CA -> Central Asia"
"""
NEWS = {
    a.slug: a
    for a in [
        stored_article(
            slug="nbk", title="NBK holds the rate", text="The NBK kept it.", published_at="2026-11-20T10:00:00Z"
        ),
        stored_article(
            slug="bank",
            title="National Bank of Kazakhstan holds the rate",
            text="The regulator kept it.",
            published_at="2026-11-21T10:00:00Z",
        ),
        stored_article(
            slug="kyrgyz",
            title="National Bank of Kyrgyzstan cuts",
            text="Its neighbour Kazakhstan held.",
            published_at="2026-11-22T10:00:00Z",
        ),
        stored_article(
            slug="asia", title="Central Asia trade", text="Trade grows.", published_at="2026-11-23T10:00:00Z"
        ),
        stored_article(slug="ca", title="CA roundup", text="A CA roundup.", published_at="2026-11-24T10:00:00Z"),
    ]
}


@pytest.fixture(scope="module")
def news() -> SearchEngine:
    table = InMemoryIndexTable()
    Indexer(table, NEWS.get).apply(list(NEWS))
    synonyms = parse_synonyms(SYNONYMS, source="test")
    return SearchEngine(table, clock=lambda: NOW, synonyms=lambda: synonyms)


def test_a_synonym_finds_the_phrase_and_the_phrase_the_abbreviation(news: SearchEngine) -> None:
    short = news.search(SearchRequest("NBK ", per_page=2))
    assert {hit.slug for hit in short.hits} == {"nbk", "bank"} and short.matched == "all"
    assert (
        "<mark>National</mark> <mark>Bank</mark>" in next(h for h in short.hits if h.slug == "bank").title_highlighted
    )
    assert all(hit.score > 0 for hit in short.hits)  # a phrase ranks through its words (pairs have no tf)
    long = news.search(SearchRequest("National Bank of Kazakhstan ", per_page=2))
    # the words as typed first; the abbreviation, standing for four words, counts once
    assert [hit.slug for hit in long.hits] == ["bank", "nbk"]


def test_a_phrase_alternative_needs_its_words_together(news: SearchEngine) -> None:
    # "kyrgyz" has "national bank" and Kazakhstan, but not the phrase (matched as its word pairs)
    assert "kyrgyz" not in {hit.slug for hit in news.search(SearchRequest("NBK ", per_page=1)).hits}
    assert news.search(SearchRequest("NBK ", per_page=1)).total == 2


def test_a_one_way_synonym_is_not_reversed(news: SearchEngine) -> None:
    assert {hit.slug for hit in news.search(SearchRequest("CA ", per_page=2)).hits} == {"ca", "asia"}
    assert {hit.slug for hit in news.search(SearchRequest("Central Asia ", per_page=1)).hits} == {"asia"}
