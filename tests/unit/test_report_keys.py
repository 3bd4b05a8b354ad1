"""Every upload gets its own report, even when its key is as long as S3 allows (1,024 UTF-8 bytes)."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from steppewire.articles.publishing import MAX_KEY_BYTES, report_key

characters = st.characters(codec="utf-8")


def uploaded(text: str) -> str:
    """An upload key: under incoming/, at most S3's limit (cut at a character)."""
    return ("incoming/" + text).encode()[:MAX_KEY_BYTES].decode(errors="ignore")


keys = st.one_of(
    st.text(characters, max_size=40),
    st.text(characters, min_size=900, max_size=1015),  # about where the report key passes the limit
    st.text("ёж語😀a/~", min_size=250, max_size=1015),  # multi-byte characters across the cut
).map(uploaded)
# Long keys alike up to the cut, different after it: the case a plain cut would merge.
twins = st.tuples(st.text("aж", min_size=1000, max_size=1010), st.text(characters, max_size=3), characters)


@given(keys)
def test_a_report_key_is_a_valid_s3_key_under_reports(key: str) -> None:
    report = report_key(key)
    assert len(report.encode()) <= MAX_KEY_BYTES
    assert report.startswith("reports/") and report.endswith(".json")


@given(st.lists(keys, min_size=2, max_size=6, unique=True))
def test_different_files_never_share_a_report(files: list[str]) -> None:
    assert len({report_key(key) for key in files}) == len(files)


@given(twins)
def test_long_keys_that_differ_only_past_the_cut_get_different_reports(twin: tuple[str, str, str]) -> None:
    common, ending, other = twin
    first, second = uploaded(common + ending), uploaded(common + ending + other)
    if first != second:
        assert report_key(first) != report_key(second)


def test_an_ordinary_key_keeps_its_path() -> None:
    assert report_key("incoming/2026/tenge.md") == "reports/2026/tenge.md.json"


def test_a_long_key_keeps_its_beginning_and_a_hash_of_the_whole() -> None:
    key = uploaded("almaty/" + "ж" * 600)
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert report_key(key).startswith("reports/almaty/жжж") and report_key(key).endswith(f"~{digest}.json")


def test_a_short_key_cannot_take_the_report_of_a_long_one() -> None:
    long_key = uploaded("x" * 1015)
    lookalike = "incoming/" + report_key(long_key).removeprefix("reports/").removesuffix(".json")
    assert report_key(lookalike) != report_key(long_key)
