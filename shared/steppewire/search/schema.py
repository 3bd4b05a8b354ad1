"""The index's schema, shared by the writer (`indexer.py`), the reader (`engine.py`) and the merge: keys, item
codecs, corpus statistics and the thresholds (`IndexPolicy`).

A term's postings (docs/search.md, "Item layout"):
- a prefix vocabulary (`P#<3 letters>`/`P`, the words starting so, with their document counts) has a tail
  too (`T`): the publishes' count changes, merged into it when it holds `vocabulary_tail` words;
- a small term (not in the directory) has one item, `T#<term>`/`P`, its whole posting list, rewritten on
  every change (it has fewer than `large_term_postings` postings: one write unit);
- a large term (in the directory) keeps its postings in chunks `T#<term>`/`C<i>` (disjoint doc ranges,
  ascending, at most `2 * chunk_postings` each, so any list fits DynamoDB's 400 KB items) and their lean forms
  `T#<term>`/`L<i>` (doc ids and term frequencies: what a query reads of a word it does not score by), from
  `head_from_postings` postings a head item `T#<term>`/`H` (`heads.py`), and its `P` item is the small tail
  a publish writes: the postings added or replaced since the chunks were last merged, and the chunks'
  postings removed or replaced since (their old versions). Its current postings are the chunks' less the
  removed ones, plus the added ones.
  When the tail reaches `tail_postings`, the indexer merges it into the chunks in the same batch (the fold):
  the chunks that changed, their lean forms and the head are rewritten, and the tail is emptied.

A document-values item (`V#<block>`/`V`) holds the per-document posting values (field lengths, minute, facet
codes; term frequencies 0) of the doc ids `block * document_block` up to the next block, rewritten by every batch
that indexes, replaces or removes one of them; the statistics count each block's writes (`Stats.blocks`), so a
reader that keeps the blocks knows which of them changed. With them a query reads every large term lean: a lean
posting's document values come from its block (`engine.py`).

A typo item (`Y#<variant>`/`Y`) lists the indexed words a misspelling's `variant` may stand for (`typos.py`);
it changes only when a word enters or leaves the index.

Readers find a large term's chunks from the directory (the number of chunks of each large term, cached by
the search function) and check it against the tail, which holds the true number. The directory is split into
`directory_shards` items by a hash of the term: a term that becomes large, small again or changes its chunk
count rewrites one shard, and no item nears 400 KB however many large terms an archive has.
"""

from __future__ import annotations

import hashlib
import operator
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from steppewire.search.index_store import ITEM_LIMIT_BYTES, Key, KeyRange
from steppewire.search.lines import pack_lines, unpack_lines
from steppewire.search.postings import FACETS, Posting, decode, decode_lean, encode, encode_lean
from steppewire.search.ranking import CorpusStats

STATS_KEY: Key = ("STATS", "STATS")
DIRECTORY_PK: Final = "DIRECTORY"
PREFIX_CHARS: Final = 3  # as-you-type starts at the third character
PREFIX_PK: Final = "P#"
DOCUMENTS_PK: Final = "V#"
TYPO_PK: Final = "Y#"
TAG_PREFIX: Final = "#tag:"
# The codec's worst case per posting (11 columns of 4 bytes, the minute delta 8, no compression gained): a
# list of up to this many postings always fits an item.
MAX_ITEM_POSTINGS: Final = (ITEM_LIMIT_BYTES - 1024) // 48
_by_doc = operator.attrgetter("doc")


@dataclass(frozen=True)
class IndexPolicy:
    """The index's thresholds, one object for the writer, the reader and the merge (tests pass tiny ones)."""

    # From here a term is chunked, has a tail and a head item: a smaller list, rewritten whole by a publish, stays
    # within one 1 KB write unit (~12 B a posting in so short a list), so no publish writes more than that per term.
    large_term_postings: int = 64
    drop_head_below: int = 32  # hysteresis: a term near the threshold does not switch back and forth
    head_postings: int = 100  # pages up to 100 results deep (10 pages of 10) are answered from the head
    # A large term has a head item from this many postings: below it, a one-word query reads the whole list
    # (a chunk of at most ~8 KB) for little more than the head would cost, and merges skip the head's rebuild.
    head_from_postings: int = 1000
    # A chunk is filled to this size (a middle one may grow to twice it): its lean form (~1.3 B a posting)
    # then stays within one 4 KB read unit.
    chunk_postings: int = 3000
    # A tail this long (added + removed postings) is merged into the chunks: below it, it stays within one
    # 1 KB write unit (~11 B a posting in so short a list).
    tail_postings: int = 80
    # A prefix vocabulary's tail (its words' changed document counts) with this many words is merged into it;
    # below it, it stays within one write unit.
    vocabulary_tail: int = 24
    # The directory's items: at 50,000 articles its ~70,000 large terms make ~7 KB a shard (one change rewrites one).
    directory_shards: int = 64
    # Doc ids per document-values item: ~6 B a document, so ~3 KB (3 write units per batch that changes one of
    # its documents; half a read unit for a search container that loads it).
    document_block: int = 512
    # A search container keeps the lean chunks of a term larger than this (`lean_cache.py`): a Query of a
    # smaller one costs at most 1 RCU; at 250,000 articles the larger ones are ~3 % of the large terms.
    kept_lean_bytes: int = 8 * 1024

    def __post_init__(self) -> None:
        if not 0 < self.drop_head_below <= self.large_term_postings <= MAX_ITEM_POSTINGS:
            raise ValueError("need 0 < drop_head_below <= large_term_postings <= MAX_ITEM_POSTINGS")
        if self.head_from_postings < self.large_term_postings:
            raise ValueError("head_from_postings must be at least large_term_postings (only large terms have heads)")
        if not (self.head_postings > 0 and self.vocabulary_tail > 0 and 0 < self.tail_postings <= MAX_ITEM_POSTINGS):
            raise ValueError("head_postings and the tails must be positive, a tail must fit an item")
        if not 0 < 2 * self.chunk_postings <= MAX_ITEM_POSTINGS:
            raise ValueError(f"a chunk may hold 2 * chunk_postings postings: at most {MAX_ITEM_POSTINGS}")
        if self.directory_shards < 1 or self.document_block < 1:
            raise ValueError("directory_shards and document_block must be positive")
        if self.kept_lean_bytes < 0:
            raise ValueError("kept_lean_bytes must be at least 0")

    def has_head(self, documents: int) -> bool:
        return documents >= self.head_from_postings

    def directory_shard(self, term: str) -> int:
        """The directory shard listing `term` if it is large (a hash stable across processes, unlike hash())."""
        return zlib.crc32(term.encode("utf-8")) % self.directory_shards

    def directory_keys(self) -> list[Key]:
        return [directory_key(shard) for shard in range(self.directory_shards)]

    def document_block_of(self, doc: int) -> int:
        return doc // self.document_block


def term_key(term: str) -> Key:
    return (f"T#{term}", "P")


def chunk_key(term: str, number: int) -> Key:
    return (f"T#{term}", f"C{number}")


def lean_key(term: str, number: int) -> Key:
    return (f"T#{term}", f"L{number}")


def lean_range(term: str) -> KeyRange:
    """A large term's lean chunks (`L<i>`) and tail (`P`) as one Query: its chunks (`C<i>`) and head (`H`) sort
    before them."""
    return (f"T#{term}", "L", "P")


def head_key(term: str) -> Key:
    return (f"T#{term}", "H")


def directory_key(shard: int) -> Key:
    return (DIRECTORY_PK, f"S{shard}")


def documents_key(block: int) -> Key:
    return (f"{DOCUMENTS_PK}{block}", "V")


def slug_key(slug: str) -> Key:
    return (f"SLUG#{slug}", "SLUG")


def prefix_item_key(surface: str) -> Key:
    return (f"{PREFIX_PK}{surface[:PREFIX_CHARS]}", "P")


def prefix_tail_key(surface: str) -> Key:
    return (f"{PREFIX_PK}{surface[:PREFIX_CHARS]}", "T")


def typo_key(variant: str) -> Key:
    """The typo item of a word prefix or one of its deletions (`typos.py`): the indexed words listed under it."""
    return (f"{TYPO_PK}{variant}", "Y")


Vocabulary = dict[str, tuple[str, int]]  # a word as typed (normalized) -> its term, the documents that have it


def vocabulary_of(item: Mapping[str, Any] | None) -> Vocabulary:
    """A prefix vocabulary item's words (`P`), or its tail's changes of their counts (`T`)."""
    return {surface: (str(term), int(docs)) for surface, (term, docs) in (item or {}).get("v", {}).items()}


def with_changes(vocabulary: Vocabulary, changes: Vocabulary) -> Vocabulary:
    """The vocabulary with a tail's count changes applied (a word whose count falls to 0 goes)."""
    merged = dict(vocabulary)
    for surface, (term, delta) in changes.items():
        docs = merged.get(surface, (term, 0))[1] + delta
        if docs > 0:
            merged[surface] = (term, docs)
        else:
            merged.pop(surface, None)
    return merged


def vocabulary_item(key: Key, vocabulary: Vocabulary) -> dict[str, Any]:
    return {"pk": key[0], "sk": key[1], "v": {surface: [term, docs] for surface, (term, docs) in vocabulary.items()}}


def _pack_surfaces(surfaces: Mapping[str, str]) -> bytes:
    return pack_lines(f"{surface}\t{term}" for surface, term in sorted(surfaces.items()))


def _unpack_surfaces(data: bytes) -> dict[str, str]:
    return dict(line.split("\t") for line in unpack_lines(data))


def typo_item(key: Key, words: Mapping[str, str]) -> dict[str, Any]:
    """A typo item: its words (surface -> term), packed like a document's surfaces."""
    return {"pk": key[0], "sk": key[1], "w": _pack_surfaces(words)}


def typo_words(item: Mapping[str, Any] | None) -> dict[str, str]:
    return _unpack_surfaces(item["w"]) if item is not None else {}


def tag_term(tag: str) -> str:
    return f"{TAG_PREFIX}{' '.join(tag.split()).casefold()}"  # any run of white space is one space


@dataclass(frozen=True)
class Tail:
    """A term's `P` item. `chunks` = 0: a small term, `added` is its whole list and `removed` is empty."""

    added: list[Posting] = field(default_factory=list)
    removed: list[Posting] = field(default_factory=list)  # old versions of chunk postings gone or replaced
    chunks: int = 0
    documents: int = 0  # the term's current number of postings
    # `lean_digest` of the lean chunks as the last merge wrote them (b"": written before the digests): a reader
    # that keeps a term's lean chunks knows from the tail alone whether they are still the stored ones.
    lean: bytes = b""

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Tail:
        if item is None:
            return cls()
        added = decode(bytes(item["p"]))
        if "k" not in item:
            return cls(added, [], 0, len(added))
        return cls(added, decode(bytes(item["x"])), int(item["k"]), int(item["n"]), bytes(item.get("g", b"")))

    def to_item(self, term: str) -> dict[str, Any]:
        pk, sk = term_key(term)
        if not self.chunks:
            return {"pk": pk, "sk": sk, "p": encode(self.added)}
        return {
            "pk": pk,
            "sk": sk,
            "p": encode(self.added),
            "x": encode(self.removed),
            "k": self.chunks,
            "n": self.documents,
        } | ({"g": self.lean} if self.lean else {})

    def current(self, chunks: Iterable[Sequence[Posting]]) -> list[Posting]:
        """The term's postings now, by doc: the chunks' (all of them) less the removed, plus the added."""
        gone = {p.doc for p in self.removed} | {p.doc for p in self.added}
        kept = [p for chunk in chunks for p in chunk if p.doc not in gone]
        return sorted([*kept, *self.added], key=_by_doc)  # two sorted runs: a linear merge

    def current_lean(
        self, leans: Iterable[tuple[list[int], list[tuple[int, int, int]]]]
    ) -> dict[int, tuple[int, int, int]]:
        """The term's doc ids and term frequencies now, from the lean forms of all its chunks."""
        gone = {p.doc for p in self.removed} | {p.doc for p in self.added}
        lean = {doc: tf for docs, tfs in leans for doc, tf in zip(docs, tfs, strict=True) if doc not in gone}
        return dict(sorted([*lean.items(), *((p.doc, p.tf) for p in self.added)]))


def chunk_item(term: str, number: int, postings: Sequence[Posting]) -> dict[str, Any]:
    pk, sk = chunk_key(term, number)
    return {"pk": pk, "sk": sk, "p": encode(postings)}


def lean_item(term: str, number: int, postings: Sequence[Posting]) -> dict[str, Any]:
    pk, sk = lean_key(term, number)
    return {"pk": pk, "sk": sk, "l": encode_lean([p.doc for p in postings], [p.tf for p in postings])}


def lean_digest(items: Iterable[Mapping[str, Any]]) -> bytes:
    """A fingerprint of a term's lean chunk items, in chunk order."""
    digest = hashlib.blake2b(digest_size=8)
    for item in items:
        data = bytes(item["l"])
        digest.update(len(data).to_bytes(4, "little") + data)
    return digest.digest()


def chunk_postings(item: Mapping[str, Any]) -> list[Posting]:
    return decode(bytes(item["p"]))


def lean_postings(item: Mapping[str, Any]) -> tuple[list[int], list[tuple[int, int, int]]]:
    return decode_lean(bytes(item["l"]))


def documents_item(block: int, documents: Iterable[Posting]) -> dict[str, Any]:
    """A block's document values: each document as a posting of term frequencies 0 (the posting codec)."""
    pk, sk = documents_key(block)
    return {"pk": pk, "sk": sk, "p": encode(documents)}


def document_values(item: Mapping[str, Any] | None) -> list[Posting]:
    return decode(bytes(item["p"])) if item is not None else []


@dataclass(frozen=True)
class DirectoryEntry:
    documents: int  # as of the last time the directory was written: a planning hint
    chunks: int


def directory_item(shard: int, directory: Mapping[str, DirectoryEntry]) -> dict[str, Any]:
    """A shard of the directory of the large terms: their document counts (the planner's size hints) and chunk
    counts."""
    lines = (f"{term}\t{entry.documents}\t{entry.chunks}" for term, entry in sorted(directory.items()))
    pk, sk = directory_key(shard)
    return {"pk": pk, "sk": sk, "d": pack_lines(lines)}


def directory_from_attributes(item: Mapping[str, Any] | None) -> dict[str, DirectoryEntry]:
    if item is None:
        return {}
    entries = (line.split("\t") for line in unpack_lines(item["d"]))
    return {term: DirectoryEntry(int(documents), int(chunks)) for term, documents, chunks in entries}


@dataclass
class Stats:
    documents: int = 0
    total_lengths: list[int] = field(default_factory=lambda: [0, 0, 0])
    next_doc: int = 1
    codes: dict[str, dict[str, int]] = field(default_factory=lambda: {facet: {} for facet in FACETS})
    labels: dict[str, dict[str, str]] = field(default_factory=lambda: {facet: {} for facet in FACETS})
    blocks: list[int] = field(default_factory=list)  # per document-values block: how often it was written (0: never)

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Stats:
        if item is None:
            return cls()
        return cls(
            documents=int(item["documents"]),
            total_lengths=[int(n) for n in item["total_lengths"]],
            next_doc=int(item["next_doc"]),
            codes={facet: {k: int(v) for k, v in item["codes"][facet].items()} for facet in FACETS},
            labels={facet: dict(item["labels"][facet]) for facet in FACETS},
            # absent from an index written before the blocks: they start then (`make reindex` fills them)
            blocks=list(array("I", zlib.decompress(bytes(item["blocks"])))) if "blocks" in item else [],
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "pk": STATS_KEY[0],
            "sk": STATS_KEY[1],
            "documents": self.documents,
            "total_lengths": self.total_lengths,
            "next_doc": self.next_doc,
            "codes": self.codes,
            "labels": self.labels,
            # a write count per block, mostly equal runs: compressed, ~1 KB at 250,000 articles
            "blocks": zlib.compress(array("I", self.blocks).tobytes()),
        }

    @property
    def corpus(self) -> CorpusStats:
        """What BM25 needs of these statistics."""
        title, summary, body = self.total_lengths
        return CorpusStats(self.documents, (title, summary, body))

    def code(self, facet: str, value: str | None) -> int:
        """Small integer for a facet value (0 = none), assigned on first sight; matched case-insensitively."""
        if not value:
            return 0
        key = value.strip().casefold()
        codes = self.codes[facet]
        if key not in codes:
            codes[key] = len(codes) + 1
            self.labels[facet][str(codes[key])] = value.strip()
        return codes[key]


@dataclass(frozen=True)
class Indexed:
    """A document's `SLUG#` item: what it was indexed under, so that it can be removed or replaced without the
    article's old text: its doc id, its per-document posting values, each term's frequencies, its prefix surfaces."""

    doc: int
    lengths: tuple[int, int, int]
    minute: int
    codes: tuple[int, int, int]  # lang, category, country
    tfs: dict[str, tuple[int, int, int]]  # by term (word pairs and tags: 0, 0, 0)
    surfaces: dict[str, str]  # surface -> term
    revision: int

    def posting(self, term: str) -> Posting:
        return Posting(self.doc, self.tfs[term], self.lengths, self.minute, *self.codes)

    def document_values(self) -> Posting:
        """Its values as its document-values block holds them (term frequencies 0)."""
        return Posting(self.doc, (0, 0, 0), self.lengths, self.minute, *self.codes)

    def to_item(self, slug: str) -> dict[str, Any]:
        pk, sk = slug_key(slug)
        ordered = sorted(self.tfs)
        return {
            "pk": pk,
            "sk": sk,
            "doc": self.doc,
            # packed: a long article's ~20,000 terms and pairs would not fit a 400 KB item as lists
            "terms": pack_lines(ordered),
            # their tf triples in that order (the lean codec, over positions 1..n)
            "tf": encode_lean(range(1, len(ordered) + 1), [self.tfs[term] for term in ordered]),
            "surfaces": _pack_surfaces(self.surfaces),
            "lengths": list(self.lengths),
            "values": [self.minute, *self.codes],
            "revision": self.revision,
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Indexed:
        ordered = unpack_lines(item["terms"])
        _, tfs = decode_lean(bytes(item["tf"]))
        length_t, length_s, length_b = (int(n) for n in item["lengths"])
        minute, lang, category, country = (int(n) for n in item["values"])
        return cls(
            doc=int(item["doc"]),
            lengths=(length_t, length_s, length_b),
            minute=minute,
            codes=(lang, category, country),
            tfs=dict(zip(ordered, tfs, strict=True)),
            surfaces=_unpack_surfaces(item["surfaces"]),
            revision=int(item["revision"]),
        )
