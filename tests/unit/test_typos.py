"""Typo-correction candidates: what a misspelt query word is matched against, from the typo items and prefix
vocabularies the indexer maintains, in both scripts; and that the indexer keeps the typo items listing exactly
the indexed words through publishes and removals."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steppewire.search.analysis import prefix_key, terms
from steppewire.search.index_store import InMemoryIndexTable, Key
from steppewire.search.indexer import Indexer, rebuild_typo_items
from steppewire.search.schema import (
    Vocabulary,
    prefix_item_key,
    prefix_tail_key,
    typo_item,
    typo_key,
    typo_words,
    vocabulary_item,
)
from steppewire.search.typos import (
    TYPO_PREFIX,
    Correction,
    allowed_edits,
    corrections,
    edit_distance,
    query_typo_keys,
    typo_keys,
)
from tests.fakes import stored_article
from tests.unit.test_search_chunks import TINY, vocabularies


def index_of(surfaces: dict[str, str]) -> dict[Key, dict[str, Any]]:
    """The typo items and prefix vocabularies an index of these words (surface -> term, one document each) has."""
    listed: dict[Key, dict[str, str]] = defaultdict(dict)
    buckets: dict[Key, Vocabulary] = defaultdict(dict)
    for surface, term in surfaces.items():
        for key in typo_keys(surface):
            listed[key][surface] = term
        buckets[prefix_item_key(surface)][surface] = (term, 1)
    return {key: typo_item(key, words) for key, words in listed.items()} | {
        key: vocabulary_item(key, vocabulary) for key, vocabulary in buckets.items()
    }


def read(word: str, index: dict[Key, dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """What a `get_many` of the word's typo keys answers."""
    return {key: index[key] for key in query_typo_keys(word) if key in index}


def suggested(query: str, vocabulary: list[str]) -> list[str]:
    index = index_of({prefix_key(word): terms(word)[0] for word in vocabulary})
    word = prefix_key(query)
    return [c.surface for c in corrections(word, read(word, index))]


@pytest.mark.parametrize(
    ("query", "meant"),
    [
        ("Almatty", "almaty"),  # an extra letter
        ("Ziganshn", "ziganshin"),  # a missing one
        ("нацбнак", "нацбанк"),  # two neighbours swapped
        ("kazakshtan", "kazakhstan"),  # swapped across the prefix's end (6th and 7th letters)
        ("раионный", "районный"),  # й and и are different letters
        ("облась", "область"),  # ь is a letter like any other
        ("Областъ", "область"),
        ("ПРЕЗИДЕНТАА", "президента"),
        ("Kazakhstna", "kazakhstan"),
        ("prezident", "president"),
        ("Nazarbaev's", "nazarbayev"),  # a possessive goes as in the index
        ("Назарбаев", "назарбаева"),
        ("казахтсанский", "казахстанский"),  # 2 edits allowed from 9 letters: found through the prefix vocabulary
        ("kazakhtsna", "kazakhstan"),
    ],
)
def test_a_misspelt_word_is_offered_the_indexed_word(query: str, meant: str) -> None:
    vocabulary = ["Almaty", "Ziganshin", "Нацбанк", "Kazakhstan", "районный", "область", "президента"]
    vocabulary += ["president", "Nazarbayev", "Назарбаева", "казахстанский", "Astana", "бюджет"]
    assert meant in suggested(query, vocabulary)


def test_corrections_are_the_closest_first_then_alphabetical_and_name_their_terms() -> None:
    index = index_of({"almaty": "@almaty", "almata": "almata", "almatyy": "almatyy", "almaaty": "almaati"})
    found = corrections("almatyi", read("almatyi", index))
    assert (
        found
        == [
            Correction("almaty", "@almaty", 1),
            Correction("almatyy", "almatyy", 1),
            Correction("almata", "almata", 2),
        ][: len(found)]
    )
    assert [c.edits for c in found] == [1, 1]  # 7 letters: one edit only


@pytest.mark.parametrize(
    ("query", "vocabulary"),
    [
        ("bnak", ["bank"]),  # 4 letters: never corrected
        ("тэньге", ["тенге"]),  # 6 letters, but 2 edits away
        ("2024", ["2025"]),  # numbers are never corrected
        ("covid-18", ["covid-19"]),
        ("g20summit", ["g20summits"]),
        ("almaty", ["almaty"]),  # the word itself is not a correction
        ("izganhsin", ["ziganshin"]),  # 2 edits, both in the first 6 letters, one in the first 3: the documented miss
    ],
)
def test_no_correction(query: str, vocabulary: list[str]) -> None:
    assert suggested(query, vocabulary) == []


def test_a_word_gone_from_the_prefix_vocabulary_is_no_candidate() -> None:
    """A word whose count the vocabulary's tail has brought to 0 is not in the index any more."""
    item = vocabulary_item(prefix_item_key("kazakhstan"), {"kazakhstan": ("@kazakhstan", 2), "kazakhs": ("kazakh", 1)})
    tail = vocabulary_item(prefix_tail_key("kazakhstan"), {"kazakhstan": ("@kazakhstan", -2)})
    found = {prefix_item_key("kazakhstan"): item, prefix_tail_key("kazakhstan"): tail}
    assert corrections("kazakhstna", found) == []
    assert corrections("kazakhstna", {prefix_item_key("kazakhstan"): item})[0].surface == "kazakhstan"


@pytest.mark.parametrize(
    ("word", "edits"),
    [("bank", 0), ("banks", 1), ("o'zbek", 1), ("нур-султан", 2), ("nur-sult", 1), ("almaty1", 0), ("президент", 2)],
)
def test_allowed_edits_grow_with_the_letters_and_spare_numbers(word: str, edits: int) -> None:
    assert allowed_edits(word) == edits


def test_typo_keys_are_the_prefix_and_its_one_letter_deletions() -> None:
    assert typo_keys("almaty") == [typo_key(v) for v in ("lmaty", "amaty", "alaty", "almty", "almay", "almat")]
    assert query_typo_keys("almaty") == [typo_key("almaty"), *typo_keys("almaty")]
    assert typo_keys("banks") == [typo_key(v) for v in ("banks", "anks", "bnks", "baks", "bans", "bank")]
    assert typo_keys("kazakhstan") == typo_keys("kazakhs") == typo_keys("kazakh")
    assert typo_keys("bank") == [typo_key(v) for v in ("bank", "ank", "bnk", "bak", "ban")]
    assert typo_keys("ban") == typo_keys("2024") == []
    assert typo_keys("aaaaaaa") == [typo_key("aaaaa")]
    assert query_typo_keys("bank") == []
    assert query_typo_keys("kazakhstan")[-2:] == [prefix_item_key("kaz"), prefix_tail_key("kaz")]


# --- properties ----------------------------------------------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
ALPHABET = LATIN + CYRILLIC


def naive_osa(a: str, b: str) -> int:
    """Optimal-string-alignment distance, the whole table."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@settings(max_examples=500)
@given(st.text("abcй", max_size=10), st.text("abcй", max_size=10), st.integers(0, 4))
def test_the_bounded_distance_is_the_full_tables_up_to_the_bound(a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == min(naive_osa(a, b), limit + 1)


def words(alphabet: str, min_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=min_size, max_size=14)


script_words = st.sampled_from([LATIN, CYRILLIC]).flatmap(lambda alphabet: words(alphabet, 5))


@st.composite
def edited(draw: st.DrawFn, word: str, lowest: int = 0) -> str:
    """The word with one edit (insert, delete, substitute, swap neighbours) at position `lowest` or after."""
    kind = draw(st.sampled_from(["insert", "delete", "substitute", "swap"]))
    last = len(word) - (kind == "swap") - (kind != "insert")
    if last < lowest:
        return word + draw(st.sampled_from(ALPHABET))  # nowhere that far: an edit at the end
    at = draw(st.integers(lowest, last))
    letter = draw(st.sampled_from(ALPHABET))
    if kind == "insert":
        return word[:at] + letter + word[at:]
    if kind == "delete":
        return word[:at] + word[at + 1 :]
    if kind == "substitute":
        return word[:at] + letter + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def assert_found(original: str, query: str, others: list[str]) -> None:
    distance = naive_osa(query, original)
    if query == original or distance > allowed_edits(query):
        return
    index = index_of({word: word for word in [original, *others]})
    assert Correction(original, original, distance) in corrections(query, read(query, index))


@settings(max_examples=300)
@given(script_words, st.data(), st.lists(words(ALPHABET, 1), max_size=5))
def test_every_indexed_word_one_edit_away_is_offered(original: str, data: st.DataObject, others: list[str]) -> None:
    assert_found(original, data.draw(edited(original)), others)


@settings(max_examples=300)
@given(st.sampled_from([LATIN, CYRILLIC]).flatmap(lambda a: words(a, 9)), st.data())
def test_two_edits_after_the_third_letter_are_found(original: str, data: st.DataObject) -> None:
    once = data.draw(edited(original, 3))
    assert_found(original, data.draw(edited(once, 3)), [])


@settings(max_examples=300)
@given(st.sampled_from([LATIN, CYRILLIC]).flatmap(lambda a: words(a, 9)), st.data(), st.booleans())
def test_two_edits_one_beyond_the_prefix_are_found(original: str, data: st.DataObject, far_first: bool) -> None:
    once = data.draw(edited(original, TYPO_PREFIX if far_first else 0))
    assert_found(original, data.draw(edited(once, 0 if far_first else TYPO_PREFIX)), [])


# --- the indexer keeps the typo items --------------------------------------------------------------------------------

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TEXTS = [
    "Алматы Almaty almatty районный раионный область",
    "Ziganshin Зиганшин нацбанк Нацбанка covid-19 2024",
    "Kazakhstan kazakhstani Казахстан казахстанский",
    "president presidents президент президента",
    "bank banks banking border",
]

Batches = list[list[tuple[int, int | None]]]  # batches of (article number, text or None = removed)
batches = st.lists(st.lists(st.tuples(st.integers(0, 5), st.none() | st.integers(0, 4)), min_size=1, max_size=4))


def expected_typo_items(table: InMemoryIndexTable) -> dict[Key, dict[str, str]]:
    wanted: dict[Key, dict[str, str]] = defaultdict(dict)
    for vocabulary in vocabularies(table).values():
        for surface, (term, _) in vocabulary.items():
            for key in typo_keys(surface):
                wanted[key][surface] = term
    return dict(wanted)


def typo_items(table: InMemoryIndexTable) -> dict[Key, dict[str, str]]:
    return {key: typo_words(item) for key, item in table.items.items() if key[0].startswith("Y#")}


@settings(max_examples=60, deadline=None)
@given(batches)
def test_typo_items_list_exactly_the_words_the_vocabularies_hold(steps: Batches) -> None:
    table = InMemoryIndexTable()
    articles: dict[str, Any] = {}
    indexer = Indexer(table, articles.get, TINY)  # vocabulary tails of 2 words: merged often
    revision = 0
    for batch in steps:
        for number, text in batch:
            revision += 1
            if text is None:
                articles.pop(f"a{number}", None)
            else:
                published = (NOW - timedelta(hours=number)).isoformat()
                articles[f"a{number}"] = stored_article(
                    slug=f"a{number}",
                    title=TEXTS[text],
                    text=TEXTS[(text + number) % 5],
                    published_at=published,
                    revision=revision,
                )
        indexer.apply([f"a{number}" for number, _ in batch])
        assert typo_items(table) == expected_typo_items(table)
    articles.clear()
    indexer.apply([f"a{number}" for number in range(6)])
    assert typo_items(table) == {} == vocabularies(table)


def test_a_publish_of_known_words_writes_no_typo_item() -> None:
    table = InMemoryIndexTable()
    first = stored_article(slug="a", title="Almaty budget", text="Kazakhstan", published_at=NOW.isoformat())
    second = stored_article(slug="b", title="Budget of Almaty", text="Kazakhstan", published_at=NOW.isoformat())
    articles = {"a": first, "b": second}
    indexer = Indexer(table, articles.get)
    indexer.apply(["a"])
    assert typo_words(table.items[typo_key("almat")]) == {"almaty": "@almaty"}
    written: list[Key] = []
    write_many = table.write_many

    def recording(puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None:
        written.extend([*((str(item["pk"]), str(item["sk"])) for item in puts), *deletes])
        write_many(puts, deletes)

    table.write_many = recording  # type: ignore[method-assign]
    indexer.apply(["b"])
    assert written and [key for key in written if key[0].startswith("Y#")] == []
    assert table.items.keys() >= {typo_key("almat"), typo_key("budge"), typo_key("kazak")}
    del articles["a"], articles["b"]
    indexer.apply(["a", "b"])
    assert typo_items(table) == {}


def test_a_rebuild_gives_typo_items_to_an_index_without_them_and_drops_stale_ones() -> None:
    table = InMemoryIndexTable()
    articles = {
        f"a{n}": stored_article(slug=f"a{n}", title=TEXTS[n], text=TEXTS[n], published_at=NOW.isoformat())
        for n in range(5)
    }
    Indexer(table, articles.get, TINY).apply(sorted(articles))
    built = typo_items(table)
    assert typo_key("almat") in built and typo_key("нацба") in built
    for key in list(built)[::2]:
        del table.items[key]
    table.items[typo_key("zzzzz")] = typo_item(typo_key("zzzzz"), {"zzzzzz": "zzzzzz"})
    table.items[typo_key("almat")] = typo_item(typo_key("almat"), {"almatinka": "almatinka"})
    rebuild_typo_items(table)
    assert typo_items(table) == built == expected_typo_items(table)
