"""The query path on an in-memory index: matching, pagination arithmetic, facets, highlighting, costs."""

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from steppewire.articles.store import StoredArticle
from steppewire.dynamo_items import item_size, to_item
from steppewire.search.engine import SearchEngine, SearchRequest, parse_query
from steppewire.search.index_store import InMemoryIndexTable
from steppewire.search.indexer import Indexer
from steppewire.search.snippets import highlight, snippet
from tests.fakes import stored_article

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def article(slug: str, title: str, text: str, **fields: Any) -> StoredArticle:
    return stored_article(
        slug=slug,
        title=title,
        text=text,
        published_at=fields.pop("published_at", "2026-11-20T10:00:00Z"),
        **fields,
    )


CORPUS = {
    a.slug: a
    for a in [
        article(
            "water-summit",
            "Water summit opens in Bishkek",
            "Delegations met in Bishkek to share water.",
            country="Kyrgyzstan",
            category="Politics",
            tags=["water"],
            published_at="2026-11-21T10:00:00Z",
        ),
        article(
            "tenge-rate",
            "Tenge steadies",
            "The tenge rose against the dollar in Almaty trading.",
            country="Kazakhstan",
            category="Economy",
            published_at="2026-11-22T10:00:00Z",
        ),
        article(
            "almaty-metro",
            "Алматы открывает новую станцию метро",
            "В Алма-Ате открыли станцию метро.",
            lang="ru",
            country="Kazakhstan",
            category="Society",
            published_at="2026-11-23T10:00:00Z",
        ),
        article(
            "almaty-air",
            "Smog over Almaty",
            "Air quality in Almaty fell again; the city plans buses.",
            country="Kazakhstan",
            category="Society",
            tags=["water"],
            published_at="2026-11-24T10:00:00Z",
        ),
        article(
            "future",
            "Almaty budget day",
            "The Almaty budget will be presented.",
            country="Kazakhstan",
            published_at="2099-01-01T00:00:00Z",
        ),
    ]
}


@pytest.fixture
def table() -> InMemoryIndexTable:
    table = InMemoryIndexTable()
    Indexer(table, CORPUS.get).apply(list(CORPUS))
    return table


def search(table: InMemoryIndexTable, q: str, **options: Any) -> Any:
    return SearchEngine(table, clock=lambda: NOW).search(SearchRequest(q, **options))


def test_a_name_matches_across_scripts_and_spellings(table: InMemoryIndexTable) -> None:
    slugs = {hit.slug for hit in search(table, "Алма-Ата ").hits}
    assert slugs == {"tenge-rate", "almaty-metro", "almaty-air"}  # the scheduled one stays hidden
    assert search(table, "Almaty ").total == search(table, "Алматы ").total == 3


def test_articles_with_every_word_come_first_then_those_lacking_one(table: InMemoryIndexTable) -> None:
    result = search(table, "almaty buses ")
    assert [hit.slug for hit in result.hits][:1] == ["almaty-air"] and result.hits[0].missing == ()
    assert {hit.slug for hit in result.hits[1:]} == {"tenge-rate", "almaty-metro"}
    assert all(hit.missing == ("buses",) for hit in result.hits[1:])
    assert (result.matched, result.optional, result.total) == ("partial", ("buses",), 3)


def test_a_full_page_of_articles_with_every_word_is_not_filled(table: InMemoryIndexTable) -> None:
    result = search(table, "almaty buses ", per_page=1)
    assert ([hit.slug for hit in result.hits], result.total, result.matched) == (["almaty-air"], 1, "all")
    assert search(table, "almaty buses ", page=2, per_page=1).hits == []


@pytest.mark.parametrize("q", ["submarine almaty ", "almaty submarine "])
def test_any_word_may_be_the_missing_one(table: InMemoryIndexTable, q: str) -> None:
    result = search(table, q)
    assert {hit.slug for hit in result.hits} == {"tenge-rate", "almaty-metro", "almaty-air"}
    assert result.matched == "partial" and all(hit.missing == ("submarine",) for hit in result.hits)


def test_no_word_matching_anything_is_an_empty_answer(table: InMemoryIndexTable) -> None:
    result = search(table, "submarine zeppelin ")
    assert (result.total, result.hits, result.matched) == (0, [], "all")


def test_a_filter_is_never_dropped_to_fill_the_page(table: InMemoryIndexTable) -> None:
    result = search(table, "almaty submarine ", tag="water")
    assert [hit.slug for hit in result.hits] == ["almaty-air"]
    assert search(table, '"almaty trading" submarine ').total == 1


@pytest.mark.parametrize(
    ("page", "per_page", "shown"),
    [(1, 2, 2), (2, 2, 1), (3, 2, 0), (1, 10, 3)],
)
def test_pagination_is_exact_and_a_page_past_the_end_is_empty(
    table: InMemoryIndexTable, page: int, per_page: int, shown: int
) -> None:
    result = search(table, "Almaty ", page=page, per_page=per_page)
    assert (result.total, len(result.hits)) == (3, shown)


def test_facets_count_the_whole_match_set_not_the_page(table: InMemoryIndexTable) -> None:
    result = search(table, "Almaty ", per_page=1)
    assert result.facets["lang"] == {"en": 2, "ru": 1}
    assert result.facets["category"] == {"Society": 2, "Economy": 1}
    assert result.facets["country"] == {"Kazakhstan": 3}


def test_filters_narrow_total_and_facets(table: InMemoryIndexTable) -> None:
    assert [h.slug for h in search(table, "almaty ", lang="ru").hits] == ["almaty-metro"]
    assert search(table, "almaty ", category="society", tag="Water").total == 1
    assert search(table, "almaty ", country="Uzbekistan").total == 0
    from datetime import date

    assert search(table, "almaty ", date_from=date(2026, 11, 23)).total == 2


def test_sort_by_date_puts_the_newest_first(table: InMemoryIndexTable) -> None:
    assert [h.slug for h in search(table, "almaty ", sort="date").hits] == ["almaty-air", "almaty-metro", "tenge-rate"]


def test_prefix_of_the_last_word_matches_as_you_type(table: InMemoryIndexTable) -> None:
    assert {h.slug for h in search(table, "delegat").hits} == {"water-summit"}
    assert search(table, "delegat ").total == 0  # a finished word is not a prefix


def test_a_plain_query_costs_two_round_trips_and_a_short_answer_one_or_two_more(table: InMemoryIndexTable) -> None:
    def round_trips(q: str, per_page: int) -> int:
        before = table.meter.round_trips
        search(table, q, per_page=per_page)
        return table.meter.round_trips - before

    assert round_trips("tenge almaty ", per_page=1) == 2  # a page of articles with every word
    assert round_trips("almaty smog ", per_page=10) == 2  # filled with either word: its lists were read whole
    assert round_trips("almaty dolar ", per_page=10) == 4  # and the typo items, then the corrections' lists


def test_highlighting_escapes_everything_but_the_marks() -> None:
    assert highlight("Almaty <b>& Co</b>", {"@almaty"}) == "<mark>Almaty</mark> &lt;b&gt;&amp; Co&lt;/b&gt;"
    assert highlight("В Алма-Ате", {"@almaty"}) == "В <mark>Алма-Ате</mark>"


def test_snippet_is_a_window_around_the_matches() -> None:
    text = " ".join(["filler"] * 100) + " the tenge rose " + " ".join(["filler"] * 100)
    cut = snippet(text, {"@tenge"}, length=60)
    assert "<mark>tenge</mark>" in cut and cut.startswith("…") and cut.endswith("…")
    assert len(cut) < 120


def test_a_quoted_phrase_needs_its_words_next_to_each_other(table: InMemoryIndexTable) -> None:
    assert [hit.slug for hit in search(table, '"water summit"').hits] == ["water-summit"]
    assert search(table, '"summit water"').total == 0  # both words are there, not in this order
    assert search(table, "summit water ").total == 1
    assert search(table, '"Air quality in Almaty"').total == 1  # "in" is a stop word: skipped, as in the text
    assert search(table, '"quality Almaty" buses ').total == 1
    assert search(table, "«станцию метро»").total == search(table, "„станцию метро“").total == 1
    assert search(table, "«метро станцию»").total == 0


def test_a_phrase_ranks_like_its_words() -> None:
    phrase, words = parse_query('"water summit" Bishkek'), parse_query("water summit Bishkek")
    assert phrase.words == words.words and phrase.prefix == words.prefix
    assert phrase.pairs == ["water summit"] and words.pairs == []
    assert parse_query('"water summit').pairs == []  # an open quote is still being typed: plain words


def test_item_size_follows_dynamodb_rules() -> None:
    # names count; strings are UTF-8 bytes; a number is ~1 byte per 2 significant digits + 1; binary is raw
    item = {"pk": "T#a", "n": 12345, "b": b"\x00" * 10, "s": "Алма"}
    assert item_size(to_item(item)) == (2 + 3) + (1 + 4) + (1 + 10) + (1 + 8)


def test_a_result_row_fits_one_read_unit_even_in_cyrillic() -> None:
    table = InMemoryIndexTable()
    long_russian = article("long", "Длинная статья", "Алматы " + "слово " * 5000, lang="ru")
    Indexer(table, {"long": long_russian}.get).apply(["long"])
    row = table.items[("DOC#1", "DOC")]
    assert item_size(to_item(row)) <= 4096
    assert row["text"].startswith("Алматы слово")


def test_as_you_type_costs_two_round_trips_once_the_vocabulary_is_warm(table: InMemoryIndexTable) -> None:
    engine = SearchEngine(table, clock=lambda: NOW)
    before = table.meter.round_trips
    cold = engine.search(SearchRequest("delegat", per_page=1))
    middle = table.meter.round_trips
    warm = engine.search(SearchRequest("delega", per_page=1))  # the next keystroke, same 3-letter vocabulary
    assert (middle - before, table.meter.round_trips - middle) == (3, 2)
    assert [h.slug for h in cold.hits] == [h.slug for h in warm.hits] == ["water-summit"]


def test_an_article_at_the_publishing_limit_fits_dynamodb_items() -> None:
    rng = random.Random(5)
    vocabulary = ["".join(rng.choice("abcdefghijklmnoprstuvz") for _ in range(rng.randint(4, 11))) for _ in range(9000)]
    text = " ".join(rng.choice(vocabulary) for _ in range(20_000))  # ~150,000 characters, the rendered limit's half
    big = article("long-read", "A long read", text, tags=["many\nlines  tag"])
    table = InMemoryIndexTable()
    Indexer(table, {"long-read": big}.get).apply(["long-read"])
    assert max(item_size(to_item(item)) for item in table.items.values()) < 400 * 1024
    assert search(table, f"{text.split()[0]} ", tag="many lines tag").total == 1
    Indexer(table, {}.get).apply(["long-read"])  # unpublished: everything it wrote goes
    assert [key for key in table.items if key[0] != "STATS"] == []


def test_an_article_already_indexed_at_its_revision_costs_no_write() -> None:
    table = InMemoryIndexTable()
    stored = dict(CORPUS)
    indexer = Indexer(table, stored.get)
    indexer.apply(["tenge-rate"])
    written = table.meter.write_units

    again = indexer.apply(["tenge-rate", "never-published"])  # the same bytes re-uploaded; a stray delete

    assert (again.unchanged, again.indexed, again.removed) == (["tenge-rate", "never-published"], [], [])
    assert table.meter.write_units == written
    stored["tenge-rate"] = replace(stored["tenge-rate"], revision=2, title="Tenge slides")
    assert indexer.apply(["tenge-rate"]).indexed == ["tenge-rate"]
    assert table.meter.write_units > written
