"""The posting-list codec: exact round trips at the limits, the pinned v1 format, corruption and size."""

from __future__ import annotations

import dataclasses
import gc
import random
import zlib

import pytest

from bench.reference_bm25 import news_like_postings
from steppewire.search.postings import VERSION, Posting, decode, encode

U32 = 2**32 - 1


def random_postings(n: int, seed: int, *, max_doc: int = 200_000) -> list[Posting]:
    """Values over the whole documented range (tf 65535, lengths 1,000,000, minute 2**32-1, codes
    65535), mixed with small ones so that every column width is exercised."""
    rng = random.Random(seed)

    def pick(small: int, limit: int) -> int:
        return rng.choice((0, rng.randint(0, small), rng.randint(0, limit), limit))

    return [
        Posting(
            doc,
            (pick(3, 65535), pick(3, 65535), pick(20, 65535)),
            (pick(20, 1_000_000), pick(50, 1_000_000), pick(2000, 1_000_000)),
            pick(1000, U32),
            pick(3, 65535),
            pick(20, 65535),
            pick(6, 65535),
        )
        for doc in sorted(rng.sample(range(1, max_doc), n))
    ]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 256, 1000, 35_000])
def test_round_trip_is_exact_for_any_size(n: int) -> None:
    postings = random_postings(n, seed=n)
    data = encode(postings)
    assert data[0] == VERSION
    assert decode(data) == postings


def test_round_trip_at_the_extremes_of_every_field() -> None:
    postings = [
        Posting(1, (0, 0, 0), (0, 0, 0), 0, 0, 0, 0),
        Posting(2, (65535, 65535, 65535), (1_000_000, 1_000_000, 1_000_000), U32, 65535, 65535, 65535),
        Posting(3, (1, 0, 0), (1, 1, 1), 0, 1, 0, 1),  # minute jumps from 2**32-1 back to 0
        Posting(U32, (0, 0, 1), (0, 0, 1), U32, 0, 0, 0),  # the largest doc id, far from the previous
    ]
    assert decode(encode(postings)) == postings


def test_encode_sorts_by_doc_and_the_bytes_do_not_depend_on_input_order() -> None:
    postings = random_postings(500, seed=7)
    shuffled = postings[:]
    random.Random(1).shuffle(shuffled)
    assert encode(shuffled) == encode(postings)
    assert [p.doc for p in decode(encode(shuffled))] == sorted(p.doc for p in postings)


def test_encode_accepts_any_iterable() -> None:
    postings = random_postings(10, seed=3)
    assert decode(encode(p for p in postings)) == postings


def test_decoded_postings_are_ordinary_frozen_postings() -> None:
    (decoded,) = decode(encode([Posting(5, (1, 2, 3), (4, 5, 6), 7, 8, 9, 10)]))
    built = Posting(5, (1, 2, 3), (4, 5, 6), 7, 8, 9, 10)
    assert decoded == built and hash(decoded) == hash(built) and repr(decoded) == repr(built)
    assert type(decoded.tf) is tuple and type(decoded.lengths) is tuple and type(decoded.doc) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.doc = 6  # type: ignore[misc]


@pytest.mark.parametrize("was_enabled", [True, False])
def test_decode_leaves_the_garbage_collector_as_it_found_it(was_enabled: bool) -> None:
    data = encode(random_postings(100, seed=1))
    previous = gc.isenabled()
    try:
        gc.enable() if was_enabled else gc.disable()
        decode(data)
        assert gc.isenabled() is was_enabled
    finally:
        gc.enable() if previous else gc.disable()


# Format v1 pinned: items written today must decode the same way forever. A raw (tiny) list is pinned both
# ways; a compressed one only when decoding, since zlib builds may compress the same bytes differently.
THREE = [
    Posting(1, (0, 0, 2), (5, 20, 300), 28_000_000, 1, 2, 3),
    Posting(7, (1, 0, 1), (8, 25, 1200), 28_000_100, 2, 0, 1),
    Posting(9, (0, 1, 0), (6, 30, 40), 27_999_990, 1, 5, 0),
]
THREE_V1 = bytes.fromhex(
    "010003000000003fab01424242424242486242424201060200010000000102010005080614191e2cb028010400006492010201020005030100"
)
FORTY = [
    Posting(3 * i + 1, (i % 2, 0, 1 + i % 3), (10, 30, 400 + i), 29_000_000 + 60 * i, 1, 1 + i % 4, 2)
    for i in range(40)
]
FORTY_V1 = bytes.fromhex(
    "010128000000789c7368dcc5e804061e2082919938c0c0482424123032311385b888047244820913274d9e3275daf4193367cd9e3377defc"
    "050b172d5eb274d9f2152b57ad5eb376ddfa0d1b376ddeb275db76462201830d718058f3807e662106331109007d2f2f26"
)


def test_format_v1_is_pinned() -> None:
    assert encode(THREE) == THREE_V1
    assert decode(THREE_V1) == THREE
    assert decode(FORTY_V1) == FORTY
    assert FORTY_V1[:6] == bytes([1, 1, 40, 0, 0, 0])  # version, zlib flag, count


def test_empty_list() -> None:
    data = encode([])
    assert decode(data) == []
    assert len(data) <= 24


@pytest.mark.parametrize(
    "bad",
    [
        Posting(-1, (0, 0, 1), (0, 0, 1), 0, 0, 0, 0),
        Posting(U32 + 1, (0, 0, 1), (0, 0, 1), 0, 0, 0, 0),
        Posting(1, (0, 0, -1), (0, 0, 1), 0, 0, 0, 0),
        Posting(1, (0, 0, 1), (0, 0, U32 + 1), 0, 0, 0, 0),
        Posting(1, (0, 0, 1), (0, 0, 1), -5, 0, 0, 0),
        Posting(1, (0, 0, 1), (0, 0, 1), U32 + 1, 0, 0, 0),
        Posting(1, (0, 0, 1), (0, 0, 1), 0, 0, -1, 0),
        Posting(1, (0, 0, 1), (0, 0, 1), 0, 0, 0, U32 + 1),
    ],
)
def test_values_outside_32_bits_are_refused(bad: Posting) -> None:
    with pytest.raises(ValueError, match="out of range"):
        encode([Posting(0, (0, 0, 1), (0, 0, 1), 0, 0, 0, 0), bad])


def test_malformed_triples_are_refused() -> None:
    with pytest.raises(ValueError, match="triples"):
        encode([Posting(1, (0, 1), (0, 0, 1), 0, 0, 0, 0)])  # type: ignore[arg-type]


def test_duplicate_docs_are_refused() -> None:
    posting = Posting(4, (0, 0, 1), (0, 0, 1), 0, 0, 0, 0)
    with pytest.raises(ValueError, match="duplicate"):
        encode([posting, dataclasses.replace(posting, tf=(0, 0, 2))])


def _corrupt_variants() -> list[tuple[str, bytes]]:
    good = encode(random_postings(300, seed=11))
    assert good[1] == 1  # compressed
    middle = len(good) // 2
    raw = encode(THREE)
    return [
        ("empty", b""),
        ("short header", good[:4]),
        ("unknown version", bytes([2]) + good[1:]),
        ("unknown flags", good[:1] + bytes([0x80 | good[1]]) + good[2:]),
        ("truncated", good[:-5]),
        ("flipped byte", good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1 :]),
        ("count disagrees", good[:2] + (301).to_bytes(4, "little") + good[6:]),
        ("raw truncated", raw[:-1]),
        ("raw column type", raw[:10] + b"Z" + raw[11:]),
        ("raw docs not increasing", _raw_with_zero_delta()),
    ]


def _hand_made_v1(doc_deltas: tuple[int, int]) -> bytes:
    """An uncompressed v1 list of two postings written byte by byte from the format description."""
    columns = [doc_deltas, (0, 0), (0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (0, 5), (1, 1), (0, 0), (0, 0)]
    head = bytes([1, 0]) + (2).to_bytes(4, "little") + (100).to_bytes(4, "little") + b"B" * 11
    return head + b"".join(bytes(column) for column in columns)


def _raw_with_zero_delta() -> bytes:
    return _hand_made_v1((1, 0))  # the second doc id equals the first


@pytest.mark.parametrize(("case", "data"), _corrupt_variants(), ids=[case for case, _ in _corrupt_variants()])
def test_corrupt_data_raises_value_error(case: str, data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data)


def test_hand_made_v1_list_decodes() -> None:
    # the format as documented, and the corrupt-docs case above fails only for the reason it names
    assert decode(_hand_made_v1((1, 1))) == [
        Posting(1, (0, 0, 1), (2, 3, 4), 100, 1, 0, 0),
        Posting(2, (0, 0, 1), (2, 3, 4), 105, 1, 0, 0),
    ]


@pytest.mark.parametrize(("n", "budget"), [(50, 13.0), (2_500, 9.0), (10_000, 8.0), (35_000, 7.0)])
def test_news_like_postings_are_compact(n: int, budget: float) -> None:
    postings = news_like_postings(n)
    data = encode(postings)
    assert len(data) / n <= budget
    assert len(data) < len(zlib.compress(_row_bytes(postings), 9))  # beats row-wise fixed width + zlib


def _row_bytes(postings: list[Posting]) -> bytes:
    out = bytearray()
    for p in postings:
        for value in (p.doc, *p.tf, *p.lengths, p.minute, p.lang, p.category, p.country):
            out += value.to_bytes(4, "little")
    return bytes(out)


def test_a_single_posting_is_stored_small() -> None:
    data = encode([Posting(49_999, (1, 0, 3), (9, 31, 720), 29_123_456, 1, 4, 2)])
    assert data[1] == 0  # not compressed: zlib's own header would make it larger
    assert len(data) <= 40
