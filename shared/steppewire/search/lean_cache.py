"""The lean chunks of the most common terms, kept by a search container between queries.

A common word's lean list grows with the archive (~1.3 B a posting: ~30 KB for a word in one article of eight
at 250,000 articles), and a query that has the word would read all of it every time. Its chunks change only
when a merge folds the tail into them, and the tail, which every query reads anyway, carries the digest of
the lean chunks that merge wrote (`Tail.lean`). So a container keeps the lean chunks of every term whose
chunks pass `IndexPolicy.kept_lean_bytes` (the engine loads them as the container starts), and a read of such
a term's lean range asks for its tail only: the kept chunks join the answer while the tail names them, and a
term whose chunks a merge has rewritten since is read again, in one more round trip, and kept anew. A query's
read cost then stays bounded however large the archive; the container's memory holds the common terms' lean
lists (the measured figures: docs/search.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from steppewire.search.index_store import CapacityMeter, IndexTable, Key, KeyRange
from steppewire.search.schema import IndexPolicy, Tail, lean_digest, lean_key, lean_range, term_key

Items = dict[Key, dict[str, Any]]


def _lean_term(key_range: KeyRange) -> str | None:
    """The term whose lean range this is (`schema.lean_range`), else None."""
    pk = key_range[0]
    return pk[2:] if pk.startswith("T#") and key_range == lean_range(pk[2:]) else None


class KeptLeanChunks:
    """An index table's read side, with the kept lean chunks of the common terms standing in for their reads."""

    def __init__(self, table: IndexTable, policy: IndexPolicy) -> None:
        self._table = table
        self._policy = policy
        self._kept: dict[str, tuple[bytes, Items]] = {}  # term: the digest of its lean chunks, their items

    @property
    def meter(self) -> CapacityMeter:
        return self._table.meter

    @property
    def kept_bytes(self) -> int:
        """The size of the lean chunks kept (their binary attributes)."""
        return sum(self._bytes(items) for _, items in self._kept.values())

    def keeps(self, term: str) -> bool:
        return term in self._kept

    def get_many(self, keys: Sequence[Key]) -> Items:
        return self._table.get_many(keys)

    def read(self, keys: Sequence[Key], ranges: Sequence[KeyRange]) -> Items:
        kept = [term for term in map(_lean_term, ranges) if term in self._kept]
        asked = [key_range for key_range in ranges if _lean_term(key_range) not in kept]
        found = self._table.read(list(dict.fromkeys([*keys, *map(term_key, kept)])), asked)
        stale = self.add_kept(found, kept)
        if stale:  # merged since they were kept: read again (a tail gone: the term is gone or small again)
            found |= self._table.read([], [lean_range(term) for term in stale])
        self._keep(found, [*filter(None, map(_lean_term, asked)), *stale])
        return found

    def add_kept(self, found: Items, terms: Iterable[str]) -> list[str]:
        """Add to `found` the kept lean chunks of these terms that their tail there still names; returns the kept
        terms whose chunks a merge has rewritten since."""
        stale = []
        for term in terms:
            if term not in self._kept:
                continue
            digest, items = self._kept[term]
            if Tail.from_item(found.get(term_key(term))).lean == digest:
                found |= items
            else:
                stale.append(term)
        return stale

    def _keep(self, found: Items, terms: Iterable[str]) -> None:
        """Keep the lean chunks just read of these terms if they are large and the tail names them (a read that
        raced a merge is not kept)."""
        for term in terms:
            self._kept.pop(term, None)
            tail = Tail.from_item(found.get(term_key(term)))
            keys = [lean_key(term, number) for number in range(tail.chunks)]
            if not tail.lean or any(key not in found for key in keys):
                continue
            items = {key: found[key] for key in keys}
            if lean_digest(items.values()) == tail.lean and self._bytes(items) > self._policy.kept_lean_bytes:
                self._kept[term] = (tail.lean, items)

    @staticmethod
    def _bytes(items: Items) -> int:
        return sum(len(item["l"]) for item in items.values())
