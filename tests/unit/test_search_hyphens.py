"""Hyphenated words are also found by their parts (``Cell-Biologist`` by ``biologist``, ``Нур-Султан`` by
``Султан``); a query word keeps its whole form, so names stay names and the whole form ranks first."""

import random
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.reference_bm25 import agreement
from steppewire.articles.store import StoredArticle
from steppewire.search.analysis import MAX_TOKEN, index_terms, normalize, terms, token_spans, word_pairs
from steppewire.search.engine import SearchEngine, SearchRequest
from steppewire.search.index_store import InMemoryIndexTable
from steppewire.search.indexer import Indexer
from steppewire.search.schema import Indexed, slug_key
from tests.fakes import stored_article

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def article(slug: str, title: str, text: str, **fields: Any) -> StoredArticle:
    return stored_article(slug=slug, title=title, text=text, published_at="2026-11-20T10:00:00Z", **fields)


# --- the analyzer -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "whole", "parts"),
    [
        ("Cell-Biologist", "cell-biolog", ["cell", "biolog"]),
        ("COVID-19", "covid-19", ["covid", "19"]),
        ("Kazakh-Russian", "kazakh-russian", ["@kazakhstan", "russian"]),  # a part folds like the word alone
        ("Нур-Султане", "@astana", ["нур", "султан"]),  # the name table's hyphenated name stays a name
        ("mother-in-law", "mother-in-law", ["mother", "law"]),  # a stop word part adds nothing
        ("северо-западе", "северо-запад", ["север", "запад"]),
    ],
)
def test_a_hyphenated_word_is_indexed_whole_then_by_its_parts(text: str, whole: str, parts: list[str]) -> None:
    assert index_terms(text) == [whole, *parts]
    assert terms(text) == [whole]  # the query side: one term per word, as before
    assert [part for word in text.split("-") for part in terms(word)] == parts


def test_the_query_of_a_hyphenated_name_is_the_name() -> None:
    assert terms("Нур-Султан") == terms("Астана") == ["@astana"]
    assert terms("Алма-Ата") == ["@almaty"]


def test_plain_words_are_indexed_as_before() -> None:
    text = "The President of Kazakhstan met Tokayev's team in Бишкеке; x--y"
    assert index_terms(text) == terms(text)


words = st.sampled_from(
    ["Cell", "Biologist", "Нур", "Султане", "Алма", "Ата", "Kazakh", "Russian", "the", "in", "и", "19", "o'z", "ß"]
)
separators = st.sampled_from(["-", "-", " ", "--", "'", "\u2011", "\u00ad", ", ", "\n"])
texts = st.one_of(
    st.lists(st.tuples(words, separators), max_size=12).map(lambda pairs: "".join(w + s for w, s in pairs)),
    st.text(st.sampled_from("aбZ-'’ 1ё\u0301ﬁ"), max_size=80),
    st.lists(st.sampled_from(["q" * 40, "w" * 30, "-"]), max_size=8).map("".join),  # tokens cut at MAX_TOKEN
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_index_terms_are_the_query_terms_with_every_part_after_its_word(text: str) -> None:
    indexed = index_terms(text)
    spans = list(token_spans(text))
    # the whole forms: exactly the query terms, in order (what phrases and queries see)
    assert [span.term for span in spans if span.term is not None] == terms(text)
    # each word's term followed by its parts' terms, nothing else
    assert [t for span in spans if span.term is not None for t in (span.term, *(p.term for p in span.parts))] == (
        indexed
    )
    # every part of a hyphenated word, analyzed as a word of its own, is indexed
    for token in re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", normalize(text)):
        (whole,) = terms(token) or [None]
        if whole is not None and "-" in token:
            for part in token[:MAX_TOKEN].split("-"):
                assert set(terms(part)) - {whole} <= set(indexed)


# --- the index and the engine -------------------------------------------------------------------------------------

CORPUS = {
    a.slug: a
    for a in [
        article("cell-biologist", "Cell-Biologist wins award", "The Cell-Biologist thanked her lab."),
        article("biologist", "Biologist counts birds", "A biologist counted birds on the lake."),
        article("cells", "Cell towers and birds", "A cell tower went up; a biologist objected."),
        article("covid", "COVID-19 cases fall", "New COVID-19 cases fell in the city."),
        article("covid-words", "Covid ward", "The covid ward reopened after 19 days."),
        article("trade", "Kazakh-Russian trade grows", "Kazakh-Russian trade grew this year."),
        article("officials", "Russian officials visit", "Russian officials visited the fair."),
        article("forum", "Форум в Нур-Султане", "В Нур-Султане открылся форум. Нур-Султан принял гостей.", lang="ru"),
        article("astana", "Астана строит", "Астана строит мост.", lang="ru"),
    ]
}


@pytest.fixture(scope="module")
def table() -> InMemoryIndexTable:
    table = InMemoryIndexTable()
    Indexer(table, CORPUS.get).apply(list(CORPUS))
    return table


def search(table: InMemoryIndexTable, q: str, **options: Any) -> list[str]:
    return [hit.slug for hit in SearchEngine(table, clock=lambda: NOW).search(SearchRequest(q, **options)).hits]


def test_a_part_finds_the_hyphenated_word(table: InMemoryIndexTable) -> None:
    assert set(search(table, "biologist ")) == {"cell-biologist", "biologist", "cells"}
    assert set(search(table, "covid ")) == {"covid", "covid-words"}
    assert "covid" in search(table, "19 ")
    assert set(search(table, "Russian ")) == {"trade", "officials"}
    assert set(search(table, "Kazakh ")) == {"trade"}  # the part folds to @kazakhstan, as "Kazakh" does


def test_the_whole_form_ranks_first(table: InMemoryIndexTable) -> None:
    assert search(table, "Cell-Biologist ")[0] == "cell-biologist"
    assert search(table, "COVID-19 ")[0] == "covid"
    assert search(table, "Kazakh-Russian ")[0] == "trade"
    # the documents with the parts only come after it, if at all
    assert set(search(table, "Cell-Biologist ")) <= {"cell-biologist", "cells", "biologist"}


def test_a_hyphenated_name_stays_a_name_and_is_found_by_its_parts(table: InMemoryIndexTable) -> None:
    assert set(search(table, "Астана ")) == set(search(table, "Нур-Султан ")) == {"forum", "astana"}
    assert search(table, "Султан ") == ["forum"]  # "Нур-Султан" in the text
    # Snowball stems "Султане" to "султан" but "Султан" to "султа", hyphen or not: each finds its own inflection
    assert search(table, "Султане ") == ["forum"]
    assert search(table, "Нур ") == ["forum"]


def test_a_part_is_highlighted_as_its_whole_word() -> None:
    table = InMemoryIndexTable()
    Indexer(table, CORPUS.get).apply(["cell-biologist"])
    (hit,) = SearchEngine(table, clock=lambda: NOW).search(SearchRequest("biologist ")).hits
    assert hit.title_highlighted == "<mark>Cell-Biologist</mark> wins award"
    assert "<mark>Cell-Biologist</mark> thanked" in hit.snippet


def test_a_part_completes_as_you_type(table: InMemoryIndexTable) -> None:
    assert "cell-biologist" in search(table, "biolo")
    assert search(table, "Султ") == ["forum"]


def test_a_phrase_is_made_of_whole_words(table: InMemoryIndexTable) -> None:
    assert search(table, '"Cell-Biologist wins"') == ["cell-biologist"]  # the parts do not come between the words
    item = table.items[slug_key("trade")]
    pairs = {term for term in Indexed.from_item(item).tfs if " " in term}
    expected = {
        pair
        for text in ("Kazakh-Russian trade grows", "Kazakh-Russian trade grew this year.")
        for pair in word_pairs(terms(text))
    }
    assert pairs == expected


def test_a_part_counts_as_a_word_in_tf_and_length(table: InMemoryIndexTable) -> None:
    indexed = Indexed.from_item(table.items[slug_key("forum")])
    title, body = CORPUS["forum"].title, CORPUS["forum"].text
    assert indexed.lengths[0] == len(index_terms(title)) and indexed.lengths[2] == len(index_terms(body))
    assert indexed.tfs["@astana"][2] == 2 and indexed.tfs["нур"][2] == 2  # "Нур-Султане" and "Нур-Султан"
    assert Counter(index_terms(body)) == {term: tf[2] for term, tf in indexed.tfs.items() if tf[2]}


def test_parity_with_the_reference_on_hyphenated_text() -> None:
    # bm25s indexes each document's index_terms (as bench/reference_bm25.py does): our scorer must agree exactly
    rng = random.Random(11)
    vocabulary = ["cell", "biologist", "covid", "19", "kazakh", "russian", "trade", "нур", "султан", "форум", "lab"]

    def word() -> str:
        return "-".join(rng.sample(vocabulary, rng.choice((1, 1, 2, 3))))

    documents: list[StoredArticle] = [
        article(f"d{n}", "t", " ".join(word() for _ in range(rng.randint(3, 40)))) for n in range(120)
    ]
    corpus = [index_terms(document.text) for document in documents]
    queries = [terms(" ".join(word() for _ in range(rng.randint(1, 3)))) for _ in range(60)]
    result = agreement(corpus, queries)
    assert result.share == 1.0 and result.max_score_delta < 1e-9
    table = InMemoryIndexTable()
    Indexer(table, {d.slug: d for d in documents}.get).apply([d.slug for d in documents])
    for document, tokens in zip(documents, corpus, strict=True):
        indexed = Indexed.from_item(table.items[slug_key(document.slug)])
        assert indexed.lengths[2] == len(tokens)
        assert {term: tf[2] for term, tf in indexed.tfs.items() if tf[2]} == Counter(tokens)
