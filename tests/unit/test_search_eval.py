"""The evaluation's arithmetic (MAP, nDCG against hand-computed values) and its query generator (seeded,
misspellings within the edit distance the issue corrects, never an indexed word), on inline articles."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.search_eval import Answer, Judged, average_precision, index_articles, ndcg, ours, product_figures
from bench.typo_set import (
    ALPHABETS,
    CYRILLIC,
    LATIN,
    TWO_EDITS_FROM,
    CollectionTerms,
    LabeledQuery,
    SourceArticle,
    lacking_queries,
    long_queries,
    misspell,
    typo_queries,
)
from steppewire.search.analysis import normalize, terms
from steppewire.search.typos import edit_distance

ARTICLES = [
    SourceArticle(
        "tashkent-metro",
        "en",
        "Tashkent opens underground railway extension",
        "Friday, May 1, 2020\n\nThe city opened four new stations of its underground railway on Friday, "
        "connecting the southern districts with the centre. Engineers said the tunnels took three years to dig.",
    ),
    SourceArticle(
        "glacier-melt",
        "en",
        "Scientists measure glacier retreat in Tien Shan",
        "Researchers reported that glaciers in the mountains lost a fifth of their mass since 1970. "
        "The expedition drilled cores and measured meltwater flowing into the rivers of the valley.",
    ),
    SourceArticle(
        "cotton-harvest",
        "en",
        "Farmers complete cotton harvest despite drought",
        "Farmers in the valley finished picking cotton a week early. A drought reduced the yield, "
        "and the ministry promised compensation to growers whose fields dried out.",
    ),
    SourceArticle(
        "biblioteka",
        "ru",
        "Библиотека получила старинные рукописи",
        "Национальная библиотека получила в дар собрание старинных рукописей. Реставраторы обещают "
        "оцифровать рукописи и открыть доступ читателям в течение года.",
    ),
    SourceArticle(
        "zhurnalisty",
        "ru",
        "Журналисты обсудили свободу слова на конференции",
        "На конференции в столице журналисты обсудили свободу слова и безопасность корреспондентов. "
        "Участники приняли обращение к правительству.",
    ),
]


@pytest.fixture(scope="module")
def collection() -> CollectionTerms:
    return CollectionTerms(ARTICLES)


# --- metrics, by hand ---------------------------------------------------------------------------------------


def test_average_precision() -> None:
    # relevant a, c, f; found at ranks 1 and 3: (1/1 + 2/3) / 3
    assert average_precision(["a", "b", "c", "d"], {"a", "c", "f"}) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision(["a", "b", "c", "d"], {"a", "c", "f"}, k=2) == pytest.approx(1 / 3)
    assert average_precision(["x", "y"], {"a"}) == 0.0
    assert average_precision(["a"], set()) == 0.0
    assert average_precision(["b", "a"], {"a"}) == pytest.approx(0.5)  # one relevant: the reciprocal rank


def test_ndcg_graded() -> None:
    gains = {"a": 4.0, "b": 3.0, "c": 2.0}
    dcg = 3 / math.log2(2) + 4 / math.log2(3)  # b at 1, a at 2, x at 3 gains nothing
    ideal = 4 / math.log2(2) + 3 / math.log2(3) + 2 / math.log2(4)
    assert ndcg(["b", "a", "x"], gains) == pytest.approx(dcg / ideal)
    assert ndcg(["a", "b", "c"], gains) == pytest.approx(1.0)
    assert ndcg(["x", "a"], gains, k=1) == 0.0
    assert ndcg(["a"], {}) == 0.0


def test_product_figures_count_what_the_engine_said() -> None:
    queries = [Judged("q ", {"a": 1.0}, "short"), Judged("r ", {"b": 1.0}, "short")]
    answers = [Answer(["a"], 1, matched="all"), Answer([], 0)]  # the second: an engine without `matched`
    figures = product_figures(queries, answers)
    assert figures["matched"] == {"all": 1, "n/a": 1}
    assert figures["zero_results"] == 1
    assert figures["map"] == pytest.approx(0.5)
    assert figures["did_you_mean"] == 0


def test_product_figures_check_suggestions_against_the_meant_word() -> None:
    typo = LabeledQuery("typo", "glaicer ", "en", "glacier-melt", word="glacier", edited="glaicer")
    other = LabeledQuery("typo", "Tien cottn ", "en", "cotton-harvest", word="cotton", edited="cottn")
    queries = [Judged(q.q, {q.target: 1.0}, "typo", q) for q in (typo, other)]
    answers = [
        Answer(["glacier-melt"], 1, matched="partial", did_you_mean="glaciers"),  # the same term: right
        Answer(["x"] * 10 + ["cotton-harvest"], 11, matched="partial", did_you_mean="Tien cotta"),
    ]
    figures = product_figures(queries, answers)
    assert (figures["did_you_mean"], figures["did_you_mean_right"]) == (2, 1)
    assert figures["target_in_top10"] == 0.5
    assert figures["alone"] == {"queries": 1, "target_in_top10": 1.0}
    assert figures["matched"] == {"partial": 2}


# --- the generator -------------------------------------------------------------------------------------------


def test_typo_queries_are_seeded(collection: CollectionTerms) -> None:
    first = typo_queries(collection, 5, seed=7)
    assert first == typo_queries(CollectionTerms(list(reversed(ARTICLES))), 5, seed=7)
    assert first != typo_queries(collection, 5, seed=8)
    assert lacking_queries(collection, 5, seed=3) == lacking_queries(collection, 5, seed=3)


def test_typos_are_close_unindexed_and_in_their_script(collection: CollectionTerms) -> None:
    typos = [query for seed in range(20) for query in typo_queries(collection, 5, seed) if query.kind == "typo"]
    assert {query.lang for query in typos} == {"en", "ru"}
    for query in typos:
        meant, edited = normalize(query.word), normalize(query.edited)
        budget = min(2 if len(word) >= TWO_EDITS_FROM else 1 for word in (meant, edited))
        assert len(edited) >= 5 and 1 <= edit_distance(meant, edited, budget) <= budget, query
        assert set(edited) <= set(ALPHABETS[query.lang]), query
        assert not set(terms(edited)) & set(collection.df), query  # cannot match as typed
        assert query.edited in query.q.split() and query.word not in query.q.split()
        assert query.target in {article.slug for article in ARTICLES}
        title = next(article.title for article in ARTICLES if article.slug == query.target)
        assert query.word in title.split()


def test_short_twins_spell_the_same_words_right(collection: CollectionTerms) -> None:
    queries = typo_queries(collection, 5, seed=1)
    for typo, short in zip(queries[::2], queries[1::2], strict=True):
        assert (typo.kind, short.kind) == ("typo", "short")
        assert typo.q.replace(typo.edited, typo.word) == short.q


def test_lacking_word_is_real_but_not_in_the_article(collection: CollectionTerms) -> None:
    for query in lacking_queries(collection, 5, seed=2):
        (term,) = terms(query.word)
        assert term in collection.df
        assert term not in collection.article_terms[query.target]


def test_long_questions_quote_the_lead_not_the_dateline(collection: CollectionTerms) -> None:
    questions = {query.target: query.q for query in long_queries(collection, 5, seed=4)}
    assert len(questions) == len(ARTICLES)
    assert "Friday, May 1" not in questions["tashkent-metro"]
    assert "four new stations" in questions["tashkent-metro"]
    assert all(len(q) <= 300 for q in questions.values())


@given(
    st.sampled_from([LATIN, CYRILLIC]).flatmap(
        lambda alphabet: st.tuples(st.just(alphabet), st.text(alphabet, min_size=5, max_size=16))
    ),
    st.integers(0, 2**32),
)
def test_misspell_stays_within_the_corrected_distance(case: tuple[str, str], seed: int) -> None:
    alphabet, word = case
    edited = misspell(word, alphabet, random.Random(seed))
    assert edited != word
    budget = 2 if len(word) >= TWO_EDITS_FROM else 1
    assert 1 <= edit_distance(word, edited, budget) <= budget
    assert set(edited) <= set(alphabet)


# --- the product side, on a tiny index ------------------------------------------------------------------------


def test_correctly_spelled_queries_find_their_article_and_are_metered(collection: CollectionTerms) -> None:
    table = index_articles(
        [
            {"slug": a.slug, "title": a.title, "text": a.text, "lang": a.lang, "revision": 1, "tags": []}
            | {"published_at": f"2026-01-0{day}T12:00:00Z"}
            for day, a in enumerate(ARTICLES, start=1)
        ]
    )
    shorts = [q for q in typo_queries(collection, 5, seed=5) if q.kind == "short"]
    answers = ours(table, [Judged(q.q, {q.target: 1.0}, q.kind, q) for q in shorts])
    for query, answer in zip(shorts, answers, strict=True):
        assert query.target in answer.ranked[:10], query
        assert answer.round_trips >= 1 and answer.rcu >= 0.5
