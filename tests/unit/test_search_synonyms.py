"""Editors' synonyms: every problem of a file named with its place, the compiled table's expansions, its stored
form, and how a search container keeps it current."""

import json
import time
from collections.abc import Callable

import pytest
import yaml
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steppewire.articles.publishing import ObjectEvent
from steppewire.search.analysis import terms
from steppewire.search.synonym_store import NOT_MODIFIED, SYNONYMS_KEY, NotModified
from steppewire.search.synonyms import (
    BUILT_IN,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    Expansion,
    SynonymSource,
    SynonymsRejected,
    SynonymTable,
    parse_synonyms,
    seed,
)
from steppewire.search.synonyms_publishing import SynonymsPublisher


def table(text: str) -> SynonymTable:
    return parse_synonyms(text.encode(), source="test")


def words(query: str) -> list[str]:
    """One term per query word, as the engine passes them."""
    return [found[0] for word in query.split() if (found := terms(word))]


def problems(data: bytes) -> list[tuple[str, str]]:
    with pytest.raises(SynonymsRejected) as rejected:
        parse_synonyms(data, source="test")
    return list(rejected.value.problems)


# ---------------------------------------------------------------------------- the file's problems
@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ('ru:\n  one_way:\n    - "ЦА -> X"\n    - ЦА\n', "ru.one_way[1] (line 4)", 'expected "A -> B"'),
        ('ru:\n  one_way: ["a -> b -> c"]\n', "ru.one_way[0] (line 2)", 'expected "A -> B"'),
        ("all:\n  groups:\n    - [НБК]\n", "all.groups[0] (line 3)", "needs at least two entries"),
        ("kz:\n  groups: [[a, b]]\n", "kz (line 1)", "unknown section 'kz': the sections are all, en, ru"),
        ("en:\n  synonyms: []\n", "en.synonyms (line 2)", "unknown key 'synonyms'"),
        ('en:\n  groups: [[IMF, ""]]\n', "en.groups[0][1] (line 2)", "an empty entry"),
        ("en:\n  groups: [[IMF, the of]]\n", "en.groups[0][1] (line 2)", "only words search ignores"),
        ("en:\n  groups: [[IMF, 42]]\n", "en.groups[0][1] (line 2)", "expected text, not a number"),
        ("en:\n  groups: [[Almaty, Alma-Ata]]\n", "en.groups[0] (line 2)", "already the same word for search"),
        ("ru:\n  one_way: [Нацбанка -> нацбанком]\n", "ru.one_way[0] (line 2)", "already the same word"),
        ("en: [IMF]\n", "en (line 1)", "expected groups and one_way under it, not a list"),
        ("- IMF\n", "file", "the file must hold sections"),
        ("en:\n  groups: [[IMF, a b c d e f g]]\n", "en.groups[0][1] (line 2)", "too long for an entry"),
        ("en:\n  groups: []\n  groups: []\n", "en.groups (line 3)", "'groups' is written twice"),
        ("en:\n  groups: [[IMF, GDP]\n", "line 3, column 1", "not valid YAML"),
        ("en: !!python/object:os.system {}\n", "line 1, column 5", "YAML tags"),
        ("a: &x [1]\nb: *x\n", "line 2, column 4", "aliases (*x) are not allowed"),
        ("en:\n" + "  " + "[" * 20 + "]" * 20 + "\n", "line 2, column 18", "nest more than 16 levels"),
    ],
)
def test_each_problem_names_its_place(text: str, where: str, says: str) -> None:
    found = problems(text.encode())
    assert any(place == where and says in message for place, message in found), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems(b"all:\n  groups:\n    - [KEGOC]\n    - [the, of]\nkz: {}\n")
    assert [place for place, _ in found] == [
        "kz (line 5)",
        "all.groups[0] (line 3)",
        "all.groups[1][0] (line 4)",
        "all.groups[1][1] (line 4)",
    ]


def test_files_that_are_too_big_too_many_or_not_text_are_refused() -> None:
    assert problems(b"#" * (MAX_FILE_BYTES + 1)) == [
        ("file", "the file is 262,145 bytes; the limit is 262,144 bytes (256 KiB)")
    ]
    assert problems("en: {groups: [[a, é]]}".encode("latin-1"))[0][1].startswith("the file is not UTF-8 text")
    many = "en:\n  groups:\n" + "".join(f"    - [w{n}a, w{n}b]\n" for n in range(MAX_ENTRIES // 2 + 1))
    assert problems(many.encode()) == [("file", f"{MAX_ENTRIES + 2:,} entries; at most {MAX_ENTRIES:,} are allowed")]


def test_a_billion_laughs_is_refused_at_once() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8)
    )
    started = time.perf_counter()
    assert "aliases" in problems(bomb.encode())[0][1]
    assert time.perf_counter() - started < 1


def test_an_empty_file_means_no_synonyms_and_says_so() -> None:
    empty = table("# nothing yet\n")
    assert empty.counts == {"groups": 0, "one_way": 0}
    assert empty.warnings == ("the file is empty: no synonyms apply",)
    assert table("en:\n").counts == {"groups": 0, "one_way": 0}


# ---------------------------------------------------------------------------- expansions
NEWSROOM = table(
    """\
all:
  groups:
    - [НБК, Нацбанк, Национальный банк Казахстана, National Bank of Kazakhstan]
    - [Банк России, Bank of Russia]
en:
  groups:
    - [IMF, International Monetary Fund]
ru:
  one_way:
    - ЦА -> Центральная Азия
"""
)


def test_inflected_russian_and_multi_word_entries_match() -> None:
    assert NEWSROOM.expansions(words("ставка Национального банка Казахстана"), "ru") == [
        Expansion(1, 4, (("нбк",), ("нацбанк",), ("nation", "bank", "@kazakhstan")))
    ]
    (found,) = NEWSROOM.expansions(words("нацбанком"), None)
    assert ("nation", "bank", "@kazakhstan") in found.alternatives


def test_longest_match_first_non_overlapping_left_to_right() -> None:
    longest = table("all:\n  groups:\n    - [bank, lender]\n    - [bank of russia, CBR]\n")
    assert longest.expansions(words("bank of Russia bank"), None) == [
        Expansion(0, 2, (("cbr",),)),
        Expansion(2, 3, (("lender",),)),
    ]


def test_one_way_rules_are_not_reversed() -> None:
    assert NEWSROOM.expansions(words("ЦА"), "ru") == [Expansion(0, 1, (("центральн", "аз"),))]
    assert NEWSROOM.expansions(words("Центральная Азия"), "ru") == []


def test_a_language_applies_all_and_its_own_and_no_language_applies_every_section() -> None:
    assert NEWSROOM.expansions(words("IMF"), "ru") == []
    assert NEWSROOM.expansions(words("IMF"), "en") == [Expansion(0, 1, (("internat", "monetari", "fund"),))]
    assert NEWSROOM.expansions(words("IMF ЦА"), None) == [
        Expansion(0, 1, (("internat", "monetari", "fund"),)),
        Expansion(1, 2, (("центральн", "аз"),)),
    ]
    assert NEWSROOM.expansions(words("Bank of Russia"), "en") == [Expansion(0, 2, (("банк", "росс"),))]


def test_an_entry_never_expands_to_itself() -> None:
    repeated = table("all:\n  groups:\n    - [IMF, imf, МВФ]\n")
    assert repeated.expansions(["imf"], None) == [Expansion(0, 1, (("мвф",),))]
    assert repeated.warnings == ("all.groups[0] (line 3): some entries are the same word for search already",)
    assert SynonymTable.empty().expansions(["imf"], None) == []


def test_the_seed_is_valid_and_has_what_the_newsroom_needs() -> None:
    built_in = seed()
    assert built_in.source == BUILT_IN and built_in.warnings == ()
    cases = {
        "Национальному банку Казахстана": ("nbk",),
        "NBKR": ("нацбанк", "@kyrgyzstan"),
        "Банка России": ("cbr",),
        "ЕАЭС": ("eaeu",),
        "SCO": ("шос",),
        "СНГ": ("cis",),
        "ОДКБ": ("csto",),
        "IMF": ("мвф",),
        "World Bank": ("всемирн", "банк"),
        "ЕБРР": ("ebrd",),
        "ADB": ("абр",),
        "ВВП": ("gdp",),
        "ЦА": ("центральн", "аз"),
    }
    for query, expected in cases.items():
        (found,) = built_in.expansions(words(query), None)
        assert expected in found.alternatives, query
    assert built_in.expansions(words("ЦБ Узбекистана"), None) == []  # not Russia's
    assert built_in.expansions(words("Центральная Азия"), "ru") == [Expansion(0, 2, (("central", "asia"),))]


# ---------------------------------------------------------------------------- properties
YAMLISH = st.text(alphabet=st.sampled_from("all en ru groups one_way:-[]{},\"'&*!|>#\n\t ->НБКabc1é\x00\ufeff"))
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
STRUCTURES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["all", "en", "ru", "groups", "one_way", "x"]) | st.text(max_size=5), children
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_any_text_is_a_table_or_a_rejection(text: str) -> None:
    try:
        parse_synonyms(text.encode(), source="test")
    except SynonymsRejected as rejected:
        assert rejected.problems and all(where and message for where, message in rejected.problems)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(STRUCTURES)
def test_any_structure_is_a_table_or_a_rejection(structure: object) -> None:
    try:
        parse_synonyms(yaml.safe_dump(structure, allow_unicode=True).encode(), source="test")
    except SynonymsRejected as rejected:
        assert rejected.problems


ENTRY = st.lists(
    st.sampled_from(["Банк", "России", "bank", "of", "IMF", "Нацбанка", "Alma-Ata", "ЦА", "GDP"]),
    min_size=1,
    max_size=3,
).map(" ".join)
SECTION = st.fixed_dictionaries(
    {
        "groups": st.lists(st.lists(ENTRY, min_size=2, max_size=4), max_size=3),
        "one_way": st.lists(st.tuples(ENTRY, ENTRY).map(" -> ".join), max_size=3),
    }
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(["all", "en", "ru"]), SECTION),
    st.lists(st.sampled_from(["bank", "россия", "imf", "ца", "gdp", "@almaty"]), max_size=5),
)
def test_a_valid_table_round_trips_through_storage(file: dict[str, object], query: list[str]) -> None:
    try:
        original = parse_synonyms(yaml.safe_dump(file, allow_unicode=True).encode(), source="test")
    except SynonymsRejected:
        return  # e.g. a group whose entries fold to one word
    stored = original.to_json().encode()
    source = SynonymSource(lambda etag: ("e1", stored))
    restored = source.current()
    assert restored.etag == original.etag and restored.sections == original.sections
    for lang in (None, "en", "ru"):
        assert restored.expansions(query, lang) == original.expansions(query, lang)


# ---------------------------------------------------------------------------- the source a search container reads
class Stored:
    def __init__(self) -> None:
        self.answer: tuple[str, bytes] | NotModified | None | Exception = None
        self.asked: list[str | None] = []

    def read(self, etag: str | None) -> tuple[str, bytes] | NotModified | None:
        self.asked.append(etag)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def clocked(now: list[float]) -> Callable[[], float]:
    return lambda: now[0]


def test_the_source_rereads_conditionally_after_its_ttl_and_keeps_its_table_on_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored, now = Stored(), [0.0]
    source = SynonymSource(stored.read, ttl=60, clock=clocked(now))
    assert source.current() is seed()  # nothing stored
    stored.answer = ("e1", NEWSROOM.to_json().encode())
    now[0] = 59
    assert source.current() is seed() and stored.asked == [None]  # within the minute: not read again
    now[0] = 60
    assert source.current().etag == NEWSROOM.etag
    stored.answer = NOT_MODIFIED
    now[0] = 120
    assert source.current().etag == NEWSROOM.etag and stored.asked[-1] == "e1"
    for failure in (ClientError({"Error": {"Code": "SlowDown"}}, "GetObject"), ("e2", b"{not json")):
        stored.answer = failure
        now[0] += 60
        assert source.current().etag == NEWSROOM.etag
    assert caplog.text.count("could not read the stored synonyms") == 2
    stored.answer = ("e3", SynonymTable({}, source=BUILT_IN).to_json().encode())
    now[0] += 60
    assert source.current() is seed()  # deleted: the seed of the running code
    stored.answer = None
    now[0] += 60
    assert source.current() is seed()


def test_a_stored_table_of_another_format_is_not_read() -> None:
    document = json.loads(NEWSROOM.to_json()) | {"format": 2}
    with pytest.raises(ValueError, match="format 2"):
        SynonymTable.from_json(json.dumps(document))


# ---------------------------------------------------------------------------- the publisher
class Bucket:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.reports: dict[str, object] = {}
        self.compiled: list[str] = []

    def read(self, bucket: str, key: str, version_id: str | None) -> bytes | None:
        return self.files.get(key)

    def put_report(self, bucket: str, key: str, document: object) -> None:
        self.reports[key] = document

    def write(self, bucket: str, compiled: str) -> None:
        self.compiled.append(compiled)


def event(key: str = SYNONYMS_KEY, *, removed: bool = False, size: int = 10) -> ObjectEvent:
    return ObjectEvent("b", key, removed, None if removed else size, None, "0A", "2026-12-01T10:00:00Z")


def test_a_file_too_big_is_refused_unread_and_changes_nothing() -> None:
    bucket = Bucket({})
    report = SynonymsPublisher(bucket, bucket).handle(event(size=MAX_FILE_BYTES + 1))
    assert report is not None and report.as_dict()["status"] == "rejected"
    assert bucket.compiled == [] and list(bucket.reports) == ["reports/config/synonyms.yaml.json"]


def test_events_apply_the_file_as_it_is_now_whatever_their_order() -> None:
    bucket = Bucket({SYNONYMS_KEY: b"en:\n  groups: [[IMF, GDP]]\n"})
    publisher = SynonymsPublisher(bucket, bucket)
    late_delete = publisher.handle(event(removed=True))  # a delete's event arriving after the re-upload's
    assert late_delete is not None and late_delete.as_dict()["status"] == "accepted"
    assert SynonymTable.from_json(bucket.compiled[-1]).expansions(["imf"], "en") == [Expansion(0, 1, (("gdp",),))]
    assert publisher.handle(event("config/", size=0)) is None  # a folder marker
    assert publisher.handle(event("config/old.yaml", removed=True)) is None
    assert publisher.handle(event("incoming/a.md")) is None
