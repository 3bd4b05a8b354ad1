"""The posting-list codec: one term's whole posting list as one binary DynamoDB attribute.

Size is read cost (BatchGetItem bills every started 4 KB of an item) and decoding is query CPU, so the
format is column-wise and decoded by C code only (`zlib`, `array`, `itertools`, `map`), never by a loop
over bytes in Python.

Format version 1 (all integers little-endian)::

    byte 0       format version (1)
    byte 1       flags: bit 0 set = the body is zlib-compressed (otherwise stored as is, for tiny lists)
    bytes 2..5   uint32 number of postings n
    body         uint32 minute of the first posting (0 when n = 0)
                 11 bytes: the `array` typecode of each column, in COLUMNS order
                 the 11 columns, n values each, in that order

The columns are the doc id as a delta from the previous one (the first from 0: ids are sorted and
unique, so deltas are >= 1), the three term frequencies, the three field lengths, the minute as a
signed delta from the previous posting's minute (the first is 0; articles are mostly indexed in date
order, so the deltas are small), then the language, category and country codes. Each column takes the
narrowest of B/b/H/h/I/i/q that holds its values, and its bytes are split into byte planes (all the
low bytes, then the next ones: the "shuffle" filter of Blosc/HDF5) so that zlib sees the long runs of
zero high bytes. Measured on synthetic news postings of a 50,000-document corpus (`python -m
bench.reference_bm25 --codec`): 8.0 B/posting for a term in 5 % of the documents, 6.9 B at 20 %, 5.9 B
at 70 %, 11.8 B for a 50-posting list; decoding ~0.55 us per posting, almost all of it building the
Posting objects. Row-wise varints measured ~13 B raw (~8-9 B with zlib) and decode 4x slower in Python.
"""

from __future__ import annotations

import gc
import operator
import struct
import sys
import zlib
from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from types import MemberDescriptorType
from typing import Final

FACETS: Final = ("lang", "category", "country")  # the Posting fields a search filters and counts by


@dataclass(frozen=True, slots=True)
class Posting:
    doc: int  # doc id (dense ints from 1)
    tf: tuple[int, int, int]  # term frequency in title, summary, body
    lengths: tuple[int, int, int]  # the document's field lengths in terms (exact; needed for BM25)
    minute: int  # published_at as minutes since 1970-01-01 UTC
    lang: int  # facet codes, 0 = none
    category: int
    country: int


VERSION: Final = 1
LEAN_VERSION: Final = 2
FLAG_ZLIB: Final = 0x01
ZLIB_LEVEL: Final = 6  # level 9 saves < 1 % more and encodes 3x slower (the indexer rewrites big lists)
MAX_VALUE: Final = 0xFFFF_FFFF  # every stored value is an unsigned 32-bit integer
COLUMNS: Final = (
    "doc_delta",
    "tf_title",
    "tf_summary",
    "tf_body",
    "len_title",
    "len_summary",
    "len_body",
    "minute_delta",
    "lang",
    "category",
    "country",
)

LEAN_COLUMNS: Final = ("doc_delta", "tf_title", "tf_summary", "tf_body")

_HEAD = struct.Struct("<BBI")  # version, flags, count
_BODY_HEAD = struct.Struct("<I")  # first minute
# Narrowest first; itemsizes are checked below (array's sizes are the platform's C sizes).
_TYPECODES: Final = ("B", "b", "H", "h", "I", "i", "q")
_RANGES: Final = {
    "B": (0, 0xFF),
    "b": (-0x80, 0x7F),
    "H": (0, 0xFFFF),
    "h": (-0x8000, 0x7FFF),
    "I": (0, 0xFFFF_FFFF),
    "i": (-0x8000_0000, 0x7FFF_FFFF),
    "q": (-0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF),
}
_SIZES: Final = {"B": 1, "b": 1, "H": 2, "h": 2, "I": 4, "i": 4, "q": 8}
if any(array(code).itemsize != size for code, size in _SIZES.items()):  # pragma: no cover - exotic platforms
    raise ImportError("steppewire.search.postings needs 1/2/4/8-byte array typecodes B/H/I/q")
_SWAP: Final = sys.byteorder != "little"

# Decoding builds the Posting objects without running the dataclass __init__ once per posting: it
# allocates them with object.__new__ and fills each slot through its member descriptor, one C-level
# `map` per field. That is what the frozen __init__ does too (object.__setattr__ per field), minus the
# Python frame per posting: ~40 % faster. The objects stay frozen (Posting.__setattr__ still raises).
_SLOT_FIELDS: Final = ("doc", "tf", "lengths", "minute", "lang", "category", "country")
_SLOTS: Final[tuple[MemberDescriptorType, ...]] = tuple(Posting.__dict__[name] for name in _SLOT_FIELDS)
_new_posting = object.__new__
_drain = deque[None](maxlen=0).extend  # consumes an iterator in C

_get_doc = operator.attrgetter("doc")
_get_tf = operator.attrgetter("tf")
_get_lengths = operator.attrgetter("lengths")
_get_minute = operator.attrgetter("minute")
_get_lang = operator.attrgetter("lang")
_get_category = operator.attrgetter("category")
_get_country = operator.attrgetter("country")

# One posting as a row: (doc, tf_t, tf_s, tf_b, len_t, len_s, len_b, minute, lang, category, country).
Row = tuple[int, ...]
Columns = list[Sequence[int]]  # the same 11 values column-wise, minute and doc absolute


def encode(postings: Iterable[Posting]) -> bytes:
    """The binary posting list of `postings` (any order; stored sorted by doc). Doc ids must be unique
    and every value an integer in 0..2**32-1 (ValueError otherwise)."""
    ordered = sorted(postings, key=_get_doc)
    tf_t, tf_s, tf_b = _transpose3(list(map(_get_tf, ordered)))
    len_t, len_s, len_b = _transpose3(list(map(_get_lengths, ordered)))
    columns: Columns = [
        list(map(_get_doc, ordered)),
        tf_t,
        tf_s,
        tf_b,
        len_t,
        len_s,
        len_b,
        list(map(_get_minute, ordered)),
        list(map(_get_lang, ordered)),
        list(map(_get_category, ordered)),
        list(map(_get_country, ordered)),
    ]
    return _encode_columns(columns)


def decode(data: bytes) -> list[Posting]:
    """The postings stored by `encode`, sorted by doc. ValueError if `data` is not a valid posting list."""
    columns = _decode_columns(data)
    docs, tf_t, tf_s, tf_b, len_t, len_s, len_b, minutes, langs, categories, countries = columns
    values = (
        docs,
        zip(tf_t, tf_s, tf_b, strict=True),
        zip(len_t, len_s, len_b, strict=True),
        minutes,
        langs,
        categories,
        countries,
    )
    with collector_paused():
        postings: list[Posting] = list(map(_new_posting, repeat(Posting, len(docs))))
        for slot, column in zip(_SLOTS, values, strict=True):
            _drain(map(slot.__set__, postings, column))
    return postings


def with_frequencies(documents: Sequence[Posting], tfs: Iterable[tuple[int, int, int]]) -> list[Posting]:
    """These documents' postings with these term frequencies (a lean list completed with its documents'
    values), built as `decode` builds postings: no Python frame per posting."""
    values = (
        map(_get_doc, documents),
        tfs,
        map(_get_lengths, documents),
        map(_get_minute, documents),
        map(_get_lang, documents),
        map(_get_category, documents),
        map(_get_country, documents),
    )
    with collector_paused():
        postings: list[Posting] = list(map(_new_posting, repeat(Posting, len(documents))))
        for slot, column in zip(_SLOTS, values, strict=True):
            _drain(map(slot.__set__, postings, column))
    return postings


@contextmanager
def collector_paused() -> Iterator[None]:
    """Postings hold no reference cycles, but allocating ~3 tracked objects per posting triggers garbage
    collections that rescan the young heap (and, in a process holding a big index, the old one): pausing the
    collector makes a 35,000-posting decode ~35 % faster and building a head item ~5x faster."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _transpose3(triples: list[tuple[int, int, int]]) -> tuple[Sequence[int], Sequence[int], Sequence[int]]:
    if not triples:
        return (), (), ()
    try:  # one transposition in C checks the shape too: triples of unequal lengths do not zip strictly
        columns = tuple(zip(*triples, strict=True))
    except ValueError:
        columns = ()
    if len(columns) != 3:
        raise ValueError("tf and lengths must be triples (title, summary, body)")
    first, second, third = columns
    return first, second, third


def _typecode(low: int, high: int) -> str:
    """The narrowest array typecode that holds a column of values from `low` to `high`."""
    if low >= 0 and high <= 0xFF:  # most columns of most lists: no need to walk the table
        return "B"
    for code in _TYPECODES:
        lowest, highest = _RANGES[code]
        if lowest <= low and high <= highest:
            return code
    raise ValueError(f"value out of range: {low}..{high}")  # pragma: no cover - inputs are checked first


def _encode_columns(columns: Columns) -> bytes:
    """Columns of absolute values (docs sorted ascending) to the stored form."""
    n = len(columns[0])
    lows, highs = _check_range(COLUMNS, columns)
    docs, minutes = columns[0], columns[7]
    first_minute = minutes[0] if n else 0
    minute_deltas = list(map(operator.sub, minutes, chain((first_minute,), minutes)))
    stored = [_doc_deltas(docs), *columns[1:7], minute_deltas, *columns[8:]]
    # The value columns are stored as they are: their range, just checked, gives their typecodes.
    lows[0], lows[7] = min(stored[0], default=0), min(minute_deltas, default=0)
    highs[0], highs[7] = max(stored[0], default=0), max(minute_deltas, default=0)
    return _pack(VERSION, n, _BODY_HEAD.pack(first_minute), stored, "".join(map(_typecode, lows, highs)))


def _check_range(names: Sequence[str], columns: Columns) -> tuple[list[int], list[int]]:
    """Each column's min and max (0 when empty); ValueError if one is outside 0..MAX_VALUE."""
    n = len(columns[0])
    if len(names) != len(columns) or len(set(map(len, columns))) != 1:  # pragma: no cover - internal invariant
        raise ValueError("columns of different lengths")
    if not n:
        return [0] * len(columns), [0] * len(columns)
    # C-level passes: a publish encodes a list for each of its thousands of terms.
    lows, highs = list(map(min, columns)), list(map(max, columns))
    if min(lows) < 0 or max(highs) > MAX_VALUE:
        name = next(name for name, low, high in zip(names, lows, highs, strict=True) if low < 0 or high > MAX_VALUE)
        raise ValueError(f"{name.removesuffix('_delta')} out of range 0..{MAX_VALUE}")
    return lows, highs


def _doc_deltas(docs: Sequence[int]) -> list[int]:
    deltas = list(map(operator.sub, docs, chain((0,), docs)))
    if len(deltas) > 1 and min(deltas[1:]) <= 0:
        raise ValueError("duplicate doc id in a posting list")
    return deltas


def _pack(version: int, n: int, prefix: bytes, stored: Columns, typecodes: str) -> bytes:
    """Header, then (zlib-compressed when that is smaller) `prefix`, the columns' typecodes (the narrowest for
    their ranges, which the caller has checked) and their byte planes."""
    parts = [prefix, typecodes.encode("ascii")]
    for code, column in zip(typecodes, stored, strict=True):
        if code == "B":  # one byte a value, no planes to split: bytes() is array's conversion without the array
            parts.append(bytes(column))
            continue
        values = array(code, column)
        if _SWAP:  # pragma: no cover - big-endian hosts
            values.byteswap()
        raw = values.tobytes()
        size = values.itemsize
        # A single value's byte planes are its bytes.
        parts.append(raw if size == 1 or n == 1 else b"".join(raw[plane::size] for plane in range(size)))
    body = b"".join(parts)
    packed = zlib.compress(body, ZLIB_LEVEL)
    if len(packed) < len(body):
        return _HEAD.pack(version, FLAG_ZLIB, n) + packed
    return _HEAD.pack(version, 0, n) + body


def _read_head(data: bytes, version: int | None = None) -> tuple[int, int, int]:
    if len(data) < _HEAD.size:
        raise ValueError("not a posting list: too short")
    stored_version, flags, n = _HEAD.unpack_from(data)
    if stored_version not in (VERSION, LEAN_VERSION) or (version is not None and stored_version != version):
        raise ValueError(f"unsupported posting list format version {stored_version}")
    if flags & ~FLAG_ZLIB:
        raise ValueError(f"unknown posting list flags {flags:#x}")
    return stored_version, flags, n


def _unpack(data: bytes, version: int, columns: int, prefix_size: int) -> tuple[memoryview, Columns]:
    """`_pack` undone: the prefix bytes and the stored columns (deltas still deltas)."""
    _, flags, n = _read_head(data, version)
    body: bytes | memoryview = memoryview(data)[_HEAD.size :]
    if flags & FLAG_ZLIB:
        try:
            body = zlib.decompress(body)
        except zlib.error as exc:
            raise ValueError(f"corrupt posting list: {exc}") from None
    view = memoryview(body)
    head_size = prefix_size + columns
    if len(view) < head_size:
        raise ValueError("corrupt posting list: truncated header")
    typecodes = bytes(view[prefix_size:head_size]).decode("ascii", "replace")
    if not _SIZES.keys() >= set(typecodes):
        raise ValueError("corrupt posting list: unknown column type")
    sizes = list(map(_SIZES.__getitem__, typecodes))
    if len(view) != head_size + n * sum(sizes):
        raise ValueError("corrupt posting list: wrong length")
    stored: Columns = []
    offset = head_size
    for code, size in zip(typecodes, sizes, strict=True):
        chunk = view[offset : offset + n * size]
        offset += n * size
        values = array(code)
        if size == 1 or n == 1:  # the byte planes of a single value are its bytes
            values.frombytes(chunk)
        else:
            interleaved = bytearray(n * size)
            for plane in range(size):
                interleaved[plane::size] = chunk[plane * n : (plane + 1) * n]
            values.frombytes(interleaved)
        if _SWAP and size > 1:  # pragma: no cover - big-endian hosts
            values.byteswap()
        stored.append(values)
    doc_deltas = stored[0]
    if n > 1 and min(doc_deltas[1:]) <= 0:
        raise ValueError("corrupt posting list: doc ids not increasing")
    return view[:prefix_size], stored


def _decode_columns(data: bytes) -> Columns:
    """The stored form back to columns of absolute values (docs and minutes accumulated)."""
    prefix, columns = _unpack(data, VERSION, len(COLUMNS), _BODY_HEAD.size)
    (first_minute,) = _BODY_HEAD.unpack_from(prefix)
    columns[0] = list(accumulate(columns[0]))
    columns[7] = list(accumulate(columns[7], initial=first_minute))[1:]
    return columns


def encode_lean(docs: Sequence[int], tfs: Sequence[tuple[int, int, int]]) -> bytes:
    """A term's own part of its posting list: the doc ids (ascending, unique) and term frequencies, without
    the documents' lengths, date and facet codes (format version 2, same layout with 4 columns: ~1.2 B a
    posting instead of ~6). A query reads those per-document values from one other list of the query."""
    if len(docs) != len(tfs):
        raise ValueError("one tf triple per doc")
    columns: Columns = [list(docs), *_transpose3(list(tfs))] if docs else [[], [], [], []]
    lows, highs = _check_range(LEAN_COLUMNS, columns)
    doc_deltas = _doc_deltas(columns[0])
    lows[0], highs[0] = min(doc_deltas, default=0), max(doc_deltas, default=0)
    return _pack(LEAN_VERSION, len(docs), b"", [doc_deltas, *columns[1:]], "".join(map(_typecode, lows, highs)))


def decode_lean(data: bytes) -> tuple[list[int], list[tuple[int, int, int]]]:
    """The doc ids and tf triples stored by `encode_lean`."""
    _, (doc_deltas, tf_t, tf_s, tf_b) = _unpack(data, LEAN_VERSION, len(LEAN_COLUMNS), 0)
    return list(accumulate(doc_deltas)), list(zip(tf_t, tf_s, tf_b, strict=True))
