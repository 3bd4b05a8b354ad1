"""Where one publish's write units go, by item kind: `PYTHONPATH=shared:. python -m bench.publish_breakdown 10000`.

The search bench's corpus of N articles is bulk-loaded as `make bench` loads it, then its last 50 articles are
published one `apply([slug])` each; every put and delete is billed as the capacity meter bills it (DynamoDB's
rules) and counted under its item's kind: a small term's whole list, a large term's tail, chunk, lean chunk or
head, a prefix vocabulary or its tail, the directory, the statistics, the result row, the `SLUG#` item. This is
how the second round of issue 9 found what grew with the archive (docs/search.md). A diagnostic: nothing is
asserted, and it is not part of `make bench`.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bench import corpus as corpus_module
from bench.search_bench import BULK_BATCH, SINGLE_PUBLISHES, as_stored
from steppewire.dynamo_items import from_item
from steppewire.search.index_store import InMemoryIndexTable, Key, billed_write_units
from steppewire.search.indexer import Indexer


def kind(key: Key, item: Mapping[str, Any] | None) -> str:
    pk, sk = key
    if pk.startswith("T#"):
        if sk == "P":
            return "large term's tail" if item is not None and "k" in item else "small term's list"
        return {"C": "chunk", "L": "lean chunk", "H": "head"}[sk[0]]
    if pk.startswith("P#"):
        return "prefix vocabulary" if sk == "P" else "prefix vocabulary tail"
    return pk.split("#")[0].lower()


class KindMeter(InMemoryIndexTable):
    """The in-memory table, with each write's units also counted by the kind of item written or deleted."""

    def __init__(self) -> None:
        super().__init__()
        self.units: Counter[str] = Counter()
        self.items_written: Counter[str] = Counter()

    def _write_batch(
        self, puts: Sequence[dict[str, Any]], deletes: Sequence[Key], sizes: Mapping[Key, int]
    ) -> list[Key]:
        for wire in puts:
            key = (str(wire["pk"]["S"]), str(wire["sk"]["S"]))
            name = kind(key, from_item(wire))
            self.units[name] += billed_write_units(max(sizes[key], self._stored_size(key) or 0))
            self.items_written[name] += 1
        for key in deletes:
            name = f"{kind(key, self.items.get(key))} (deleted)"
            self.units[name] += billed_write_units(self._stored_size(key) or 0)
            self.items_written[name] += 1
        return super()._write_batch(puts, deletes, sizes)


def main(size: int) -> None:
    articles = {str(a["slug"]): as_stored(a) for a in corpus_module.build(size).articles}
    slugs = list(articles)
    table = KindMeter()
    indexer = Indexer(table, article_reader=articles.get)
    bulk = size - SINGLE_PUBLISHES
    for start in range(0, bulk, BULK_BATCH):
        indexer.apply(slugs[start : min(bulk, start + BULK_BATCH)])
    table.units.clear()
    table.items_written.clear()
    publishes = []
    for slug in slugs[bulk:]:
        before = table.meter.write_units
        indexer.apply([slug])
        publishes.append(table.meter.write_units - before)
    count = len(publishes)
    median, mean = statistics.median(publishes), sum(publishes) / count
    print(f"{size:,} articles, {count} single publishes: WCU p50 {median:g}, mean {mean:.1f}; per publish, by item:")
    for name, units in table.units.most_common():
        print(f"  {name:<34}{units / count:>9.1f} WCU {table.items_written[name] / count:>9.1f} items")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
