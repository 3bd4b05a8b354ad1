"""Old site addresses in the one form they are stored and looked up in: however an old link is written
(trailing slash or not, encoded or raw, whole URL or path), it finds the same article, and two different
addresses never find the same one."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.articles.store import MAX_PATH_CHARS, legacy_path

# Path segments as they appear raw in a link (no separators, no percent signs, no spaces at the ends).
raw_segment = st.text(
    st.characters(exclude_characters="/?#%", exclude_categories=("Cs",)).filter(lambda char: not char.isspace()),
    min_size=1,
    max_size=12,
)
raw_segments = st.lists(raw_segment, min_size=1, max_size=5)
# Any segment at all, including '/', '%' and '?', as a link carries it once percent-encoded.
any_segment = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)


def encoded(segments: list[str]) -> str:
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def lower_hex(path: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group().lower(), path)


@pytest.mark.parametrize(
    ("address", "path"),
    [
        ("/2025/03/20/old-slug/", "/2025/03/20/old-slug"),
        ("/2025/03/20/old-slug", "/2025/03/20/old-slug"),
        ("https://steppewire.kz/2025/03/20/old-slug/", "/2025/03/20/old-slug"),
        ("http://www.steppewire.kz//2025/03/20/old-slug/#comments", "/2025/03/20/old-slug"),
        ("2025/03/20/old-slug", "/2025/03/20/old-slug"),
        ("/?p=101", "/?p=101"),
        ("https://steppewire.kz/?p=101", "/?p=101"),
        ("/?p=101&utm_source=facebook&fbclid=abc", "/?p=101"),
        ("/?lang=ru&p=101", "/?lang=ru&p=101"),
        ("/?p=101&lang=ru", "/?lang=ru&p=101"),
        ("/2025/03/новости/", "/2025/03/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"),
        ("/2025/03/%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8/", "/2025/03/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"),
        ("/a%2Fb/", "/a%2Fb"),  # an encoded slash is not a separator
        ("/?s=tenge+rate", "/?s=tenge%20rate"),
        ("  /old-slug/  ", "/old-slug"),
    ],
)
def test_the_normal_form(address: str, path: str) -> None:
    assert legacy_path(address) == path


@pytest.mark.parametrize("address", ["", "   ", "/", "https://steppewire.kz", "https://steppewire.kz/?utm_source=x"])
def test_the_home_page_and_blanks_lead_nowhere(address: str) -> None:
    assert legacy_path(address) is None


def test_an_address_too_long_to_be_a_key_leads_nowhere() -> None:
    assert legacy_path("/" + "ж" * (MAX_PATH_CHARS // 6 + 1)) is None
    assert legacy_path("/" + "a" * (MAX_PATH_CHARS - 1)) == "/" + "a" * (MAX_PATH_CHARS - 1)


@given(segments=raw_segments, trailing=st.booleans(), origin=st.sampled_from(["", "https://steppewire.kz"]))
def test_every_spelling_of_a_link_is_one_path(segments: list[str], trailing: bool, origin: str) -> None:
    raw = origin + "/" + "/".join(segments) + ("/" if trailing else "")
    assert legacy_path(raw) == legacy_path(encoded(segments)) == legacy_path(lower_hex(encoded(segments)))


@given(segments=st.lists(any_segment, min_size=1, max_size=5))
def test_an_encoded_path_is_its_own_normal_form_so_different_paths_stay_different(segments: list[str]) -> None:
    path = encoded(segments)
    assert legacy_path(path) == (path if len(path) <= MAX_PATH_CHARS else None)


@given(address=st.text())
def test_any_text_gets_a_stable_key_sized_answer(address: str) -> None:
    path = legacy_path(address)
    if path is not None:
        assert path.startswith("/") and path.isascii() and len(path) <= MAX_PATH_CHARS
        assert "#" not in path and "//" not in path
        assert legacy_path(path) == path


@given(post=st.integers(min_value=1, max_value=10**9), other=st.integers(min_value=1, max_value=10**9))
def test_a_post_id_link_keeps_its_query(post: int, other: int) -> None:
    assert legacy_path(f"https://steppewire.kz/?p={post}") == f"/?p={post}"
    assert (legacy_path(f"/?p={post}") == legacy_path(f"/?p={other}")) == (post == other)
