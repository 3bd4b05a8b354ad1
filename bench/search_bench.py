"""`make bench`, search part: the index against a naive Scan-and-filter, on corpora of 1k, 10k and 50k articles.

Per size (`BENCH_SEARCH_SIZES`, default "1000,10000,50000"), in one worker process:

1. Corpus (`bench.corpus`): real Wikinews text recombined to N articles, in publication order.
2. Index: the real `Indexer` over an `InMemoryIndexTable` (same items, same capacity meter as the DynamoDB
   adapter). All but the last 550 articles are loaded in batches of `BULK_BATCH` (setup, not measured: the
   indexer's work per batch grows with the index, and a bulk load is `make reindex`'s job); then one batch of
   500 is measured (write units per article, amortized over the batch), then the last 50 articles are
   published one `apply([slug])` each, as single publishes arrive (write units per article, p50/p95).
3. Queries: a fixed set (`QUERIES`, independent of the size) through `SearchEngine.search`; per query the
   meter's round trips and read units, and the CPU time of the call (`time.process_time`, median of
   `CPU_REPEATS`). "ours" is a warm engine (one engine for the whole set, after a first pass over it: a warm
   Lambda container, which keeps the prefix vocabularies it read); "cold engine" gives every query a new
   engine that has done only what a container does as it starts (`SearchEngine.warm_up`: the term directory,
   the document values and the kept lean chunks, whose reads are reported apart as the container's start), and
   its CPU time is that one call's. "as typed" runs the same words without a trailing space, which
   makes the last word a prefix (as-you-type), as for every query a search box submits as typed. CPU time
   includes the in-memory table's own bookkeeping (copying items, computing their sizes); a real DynamoDB
   call adds botocore's parsing instead.
4. Baseline, what a port of the seed site would do: Scan the articles table and filter in Python. Round
   trips = Scan pages of at most 1 MB; read units = per page ceil(page bytes / 4 KB) x 0.5 (a Scan sums the
   item sizes, then rounds); CPU = really filtering every article (case-insensitive substring of every
   query word in title + text, facet filters, sorted by date, counted). The articles are sized by DynamoDB's
   rules without body_html, the LIST#/SOURCE# items the real table also holds, or deserialization, so the
   baseline is a lower bound of the real cost.
5. Top-10 agreement with the reference BM25 (`bench.reference_bm25.agreement`, bm25s "lucene"): parity is
   proven single-field, on the body terms of this corpus and this query set's terms, with body-only weights
   and any-term matching, which reduces our scorer to the reference formula. The product ships field weights
   (title 1.25, summary 1.25, body 1) and all-terms matching on top of that same scorer, so its ranking is
   intentionally not the reference's; what the figure proves is that the scoring code (and the posting codec
   it reads through) computes BM25 exactly. Cranfield (`../shared/data/cranfield/`) is checked the same way
   when present. A task of its own per size (it needs the corpus, not the index).
6. At 1k, a sanity pass through the real DynamoDB adapter (`DynamoIndexTable` on moto): the in-memory
   items bulk-loaded into a `SearchTable`-shaped table, the query set run again on cold engines; totals,
   result slugs, scores, facets, round trips and read units must equal the in-memory cold run.

The tasks run in worker processes (`BENCH_SEARCH_JOBS`, default 2), largest index first: the 50k index gets
one core, everything else queues on the other. The baseline and our figures of a size are always measured in
the same process, one after the other; a size's exactness check (the planner against whole lists), which
measures nothing, runs in a forked copy of that process beside them. Nothing is asserted: the figures and
ratios are reported, with the design's budget (2 round trips, 10 RCU at p95) beside them.
"""

from __future__ import annotations

import gc
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, TypeVar

from bench import corpus as corpus_module
from steppewire.articles.store import StoredArticle
from steppewire.dynamo_items import item_size, to_item
from steppewire.search.analysis import index_terms, terms
from steppewire.search.engine import SearchEngine, SearchRequest, SearchResult
from steppewire.search.index_store import (
    ITEM_LIMIT_BYTES,
    READ_UNIT_BYTES,
    CapacityMeter,
    IndexTable,
    InMemoryIndexTable,
    Key,
    KeyRange,
)
from steppewire.search.indexer import Indexer
from steppewire.search.schema import DIRECTORY_PK

ROOT = Path(__file__).resolve().parent.parent
CRANFIELD_DIR = ROOT.parent / "shared" / "data" / "cranfield"
DEFAULT_SIZES = "1000,10000,50000"
BULK_BATCH = 50_000  # answers do not depend on the batching; fewer batches, fewer rewrites of big lists
MEASURED_BATCH = 500
SINGLE_PUBLISHES = 50
CPU_REPEATS = 3
SCAN_PAGE_BYTES = 1024 * 1024
TARGET_ROUND_TRIPS = 2
TARGET_RCU = 10.0
ADAPTER_CHECK_SIZE = 1000
NOTES = "notes"  # per size: why queries are over budget, printed under the table, left out of the JSON line
CLOCK = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)  # after every generated publication date


Answer = TypeVar("Answer")


def bench_clock() -> datetime:
    return CLOCK


@dataclass(frozen=True)
class BenchQuery:
    label: str
    q: str  # a trailing space marks the last word complete; without it the last word is also a prefix
    lang: str | None = None
    country: str | None = None
    tag: str | None = None
    sort: Literal["relevance", "date"] = "relevance"

    def request(self, *, as_typed: bool = False) -> SearchRequest:
        q = self.q.rstrip() if as_typed else self.q
        return SearchRequest(q, lang=self.lang, country=self.country, tag=self.tag, sort=self.sort)


def _word(q: str, **options: Any) -> BenchQuery:
    return BenchQuery(_label(q, options), q + " ", **options)


def _prefix(q: str, **options: Any) -> BenchQuery:
    return BenchQuery(_label(q, options) + " (prefix)", q, **options)


def _label(q: str, options: Mapping[str, Any]) -> str:
    return q + "".join(f" [{name}={value}]" for name, value in options.items())


# Fixed, whatever the corpus size: 1-3 words in English and Russian, names in both scripts (which the analyzer
# folds to one term), facet and tag filters, date order, and as-you-type prefixes.
QUERIES: tuple[BenchQuery, ...] = (
    _word("tenge"),
    _word("Almaty"),
    _word("Tashkent"),
    _word("Bishkek"),
    _word("election"),
    _word("president"),
    _word("oil prices"),
    _word("central bank"),
    _word("inflation rate"),
    _word("earthquake"),
    _word("football match"),
    _word("human rights"),
    _word("gas exports China"),
    _word("air pollution"),
    _word("police arrested suspect"),
    _word("Uzbekistan cotton"),
    _word("Алматы"),
    _word("Ташкент"),
    _word("Бишкеке"),
    _word("тенге"),
    _word("президент"),
    _word("выборы"),
    _word("нефть"),
    _word("Казахстан"),
    _word("экономика"),
    _word("инфляция"),
    _word("землетрясение"),
    _word("чемпионат мира"),
    _word("Центральной Азии"),
    _word("курс доллара"),
    _word("Алматы", lang="en"),
    _word("Almaty", lang="ru"),
    _word("Tashkent", country="Uzbekistan"),
    _word("выборы", country="Kyrgyzstan"),
    _word("Kazakhstan", lang="en"),
    _word("parliament", tag="elections"),
    _word("president", lang="en", sort="date"),
    _word("Казахстан", sort="date"),
    _word("tenge", country="Kazakhstan", sort="date"),
    _prefix("Kazakh"),
    _prefix("президен"),
    _prefix("central ban"),
    _prefix("Ташк"),
)


# Quoted phrases, measured apart so that the fixed set above stays comparable across runs: its multi-word
# queries in quotes (the words must be neighbours), reported on their own line.
PHRASE_QUERIES: tuple[BenchQuery, ...] = tuple(
    _word(f'"{q}"')
    for q in (
        "oil prices",
        "central bank",
        "inflation rate",
        "human rights",
        "air pollution",
        "police arrested suspect",
        "чемпионат мира",
        "Центральной Азии",
        "курс доллара",
        "gas exports",
    )
)


# --- figures -----------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: an observed value, the smallest with at least p % of the values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)])


def spread(values: Sequence[float], digits: int = 2) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), digits),
        "p95": round(percentile(values, 95), digits),
        "max": round(max(values, default=0.0), digits),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 1) if denominator else None


@dataclass
class QueryRun:
    label: str
    round_trips: int
    requests: int
    read_units: float
    cpu_ms: float
    total: int
    slugs: list[str]
    scores: list[float]
    facets: dict[str, dict[str, int]]


def _measured(table: IndexTable, call: Callable[[], Answer]) -> tuple[Answer, int, float, int]:
    """The call's answer, round trips, read units and requests (sent together, several make one round trip)."""
    trips, units, requests = table.meter.round_trips, table.meter.read_units, table.meter.requests
    result = call()
    return result, table.meter.round_trips - trips, table.meter.read_units - units, table.meter.requests - requests


def run_queries(
    table: IndexTable, queries: Sequence[BenchQuery], *, as_typed: bool = False, cold: bool = False
) -> list[QueryRun]:
    """The query set, measured. Warm (default): one engine serves every query after a first pass over the whole
    set, as a warm Lambda container does (the engine keeps the prefix vocabularies it read for 5 minutes); its
    CPU time is the median of `CPU_REPEATS` calls. Cold: each query gets a new engine, as the first query of a
    container sees it, and its CPU time is that one call's (a new engine for every repeat would double the
    50,000-article run: its start is ~0.5 s of CPU)."""
    shared = started_engine(table)
    requests = [query.request(as_typed=as_typed) for query in queries]
    for request in requests:  # warm-up: process-wide caches (stemmer, names), the shared engine's vocabularies
        shared.search(request)
    runs = []
    for query, request in zip(queries, requests, strict=True):
        engine = started_engine(table) if cold else shared
        start = time.process_time()
        result, trips, units, requests_sent = _measured(table, partial(engine.search, request))
        cpu = [(time.process_time() - start) * 1000]
        for _ in range(0 if cold else CPU_REPEATS - 1):
            start = time.process_time()
            engine.search(request)
            cpu.append((time.process_time() - start) * 1000)
        runs.append(
            QueryRun(
                query.label,
                trips,
                requests_sent,
                units,
                statistics.median(cpu),
                result.total,
                [hit.slug for hit in result.hits],
                [hit.score for hit in result.hits],
                result.facets,
            )
        )
    return runs


def started_engine(table: IndexTable) -> SearchEngine:
    """An engine as a new search container has it: the term directory read at its start (not metered here;
    `container_start` reports that read)."""
    engine = SearchEngine(table, bench_clock)
    trips, units = table.meter.round_trips, table.meter.read_units
    engine.warm_up()
    table.meter.round_trips, table.meter.read_units = trips, units
    return engine


def container_start(table: IndexTable) -> dict[str, float]:
    """What a new search container reads as it starts (the term directory, the document values, the lean chunks
    it keeps) and the memory its kept lean chunks take."""
    engine = SearchEngine(table, bench_clock)
    cpu = time.process_time()
    _, trips, units, requests = _measured(table, engine.warm_up)
    cpu = time.process_time() - cpu
    kept = round(engine.kept_lean_bytes / 1e6, 2)
    return {"round_trips": trips, "requests": requests, "rcu": units, "kept_lean_mb": kept, "cpu_s": round(cpu, 2)}


def query_figures(runs: Sequence[QueryRun]) -> dict[str, dict[str, float]]:
    return {
        "round_trips": spread([r.round_trips for r in runs], 0),
        "requests": spread([r.requests for r in runs], 0),
        "rcu": spread([r.read_units for r in runs], 1),
        "cpu_ms": spread([r.cpu_ms for r in runs], 2),
    }


class RecordingTable:
    """An index table that remembers what each read fetched (a diagnostic wrapper, same meter)."""

    def __init__(self, table: InMemoryIndexTable) -> None:
        self._table = table
        self.meter = table.meter
        self.reads: list[list[tuple[str, int]]] = []  # per round trip: (key, bytes) of the items found

    def get_many(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        return self.read(keys, ())

    def read(self, keys: Sequence[Key], ranges: Sequence[KeyRange]) -> dict[Key, dict[str, Any]]:
        found = self._table.read(keys, ranges)
        self.reads.append([(f"{key[0]}/{key[1]}", item_size(to_item(item))) for key, item in found.items()])
        return found

    def write_many(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key]) -> None:
        raise NotImplementedError("queries do not write")

    def keys_with_prefix(self, prefix: str) -> list[Key]:
        raise NotImplementedError("queries do not scan")


def _read_units(size: int) -> float:
    return max(1, math.ceil(size / READ_UNIT_BYTES)) * 0.5


def over_budget(runs: Sequence[QueryRun]) -> dict[str, dict[str, float]]:
    """The queries over the read or round-trip budget, for the JSON line (`expensive_queries` says why)."""
    return {
        run.label: {"round_trips": run.round_trips, "rcu": run.read_units, "matches": run.total}
        for run in runs
        if run.read_units > TARGET_RCU or run.round_trips > TARGET_ROUND_TRIPS
    }


def expensive_queries(
    table: InMemoryIndexTable,
    runs: Sequence[QueryRun],
    queries: Sequence[BenchQuery],
    *,
    as_typed: bool = False,
    cold: bool = False,
) -> list[str]:
    """The queries over the read budget or the round-trip budget, with the items each of their reads fetched
    (the three largest per read, in RCU), replayed on an engine as warm or cold as the measured one."""
    notes = []
    for run, query in zip(runs, queries, strict=True):
        if run.read_units <= TARGET_RCU and run.round_trips <= TARGET_ROUND_TRIPS:
            continue
        recorder = RecordingTable(table)
        engine = started_engine(recorder)
        recorder.reads.clear()
        if not cold:
            engine.search(query.request(as_typed=as_typed))
            recorder.reads.clear()
        engine.search(query.request(as_typed=as_typed))
        reads = []
        for number, found in enumerate(recorder.reads, start=1):
            largest = sorted(found, key=lambda pair: -pair[1])[:3]
            units = sum(_read_units(size) for _, size in found)
            shown = ", ".join(f"{pk} {_read_units(size):g}" for pk, size in largest)
            reads.append(
                f"read {number}: {len(found)} items {units:g} RCU ({shown}{', ...' if len(found) > 3 else ''})"
            )
        notes.append(
            f"{run.label}: {run.round_trips} round trips, {run.read_units:g} RCU, {run.total} matches; "
            + "; ".join(reads)
        )
    return notes


# --- the planner's exactness ---------------------------------------------------------------------------------


def variants(query: BenchQuery) -> list[SearchRequest]:
    """The query as typed and as asked, deeper pages, a page of 50, the other order, filters, a tag, a date range."""
    asked = query.request()
    other: Literal["relevance", "date"] = "date" if asked.sort == "relevance" else "relevance"
    return [
        asked,
        query.request(as_typed=True),
        replace(asked, page=3),
        replace(asked, page=2, per_page=50),
        replace(asked, page=20),
        replace(asked, sort=other),
        replace(asked, country="Kyrgyzstan"),
        replace(asked, category="Politics"),
        replace(asked, date_from=date(2024, 1, 1), date_to=date(2025, 6, 30)),
        replace(asked, tag="economy"),
    ]


def plan_check(table: IndexTable, queries: Sequence[BenchQuery]) -> dict[str, Any]:
    """The planned engine (head items, lean lists) against one that reads every posting list whole, on every
    variant of every query: totals, pages, scores, facets and snippets must be identical."""
    planned = started_engine(table)
    whole = SearchEngine(table, bench_clock)
    whole.plan_with({})  # no common terms known: every list read whole
    requests = [request for query in queries for request in variants(query)]
    differing = []
    for request in requests:
        ours, reference = planned.search(request), whole.search(request)
        if _answer(ours) != _answer(reference):
            differing.append(repr(request))
    return {"requests": len(requests), "identical": len(requests) - len(differing), "differing": differing[:5]}


def _answer(result: SearchResult) -> tuple[Any, ...]:
    hits = result.hits
    return result.total, [(h.slug, h.score, h.snippet, h.title_highlighted) for h in hits], result.facets


# --- the naive baseline ------------------------------------------------------------------------------------


def scan_pages(sizes: Iterable[int]) -> list[int]:
    """Bytes per Scan page: a page stops before the item that would take it past 1 MB."""
    pages: list[int] = []
    current = 0
    for size in sizes:
        if current and current + size > SCAN_PAGE_BYTES:
            pages.append(current)
            current = 0
        current += size
    if current:
        pages.append(current)
    return pages


def naive_search(articles: Sequence[Mapping[str, Any]], query: BenchQuery) -> tuple[int, list[str]]:
    """What the Scan's caller does with every item: substring match of every word, facets, newest first."""
    words = [word.casefold() for word in query.q.split()]
    wanted = {facet: value.casefold() for facet in ("lang", "country") if (value := getattr(query, facet))}
    tag = query.tag.casefold() if query.tag else None
    matches = []
    for article in articles:
        if any(str(article.get(facet) or "").casefold() != value for facet, value in wanted.items()):
            continue
        if tag is not None and tag not in (str(t).casefold() for t in article.get("tags") or ()):
            continue
        haystack = f"{article['title']} {article.get('text') or ''}".casefold()
        if all(word in haystack for word in words):
            matches.append(article)
    matches.sort(key=lambda article: str(article["published_at"]), reverse=True)
    return len(matches), [str(article["slug"]) for article in matches[:10]]


def naive_figures(articles: Sequence[Mapping[str, Any]], queries: Sequence[BenchQuery]) -> dict[str, Any]:
    pages = scan_pages(item_size(to_item(article)) for article in articles)
    read_units = sum(math.ceil(page / READ_UNIT_BYTES) * 0.5 for page in pages)
    cpu = []
    for query in queries:
        start = time.process_time()
        naive_search(articles, query)
        cpu.append((time.process_time() - start) * 1000)
    trips = [float(len(pages))] * len(queries)
    return {
        "round_trips": spread(trips, 0),
        "rcu": spread([read_units] * len(queries), 1),
        "cpu_ms": spread(cpu, 1),
        "table_mb": round(sum(pages) / 1e6, 1),
    }


# --- the reference ------------------------------------------------------------------------------------------


def reference_agreement(documents: Sequence[Sequence[str]], queries: Sequence[Sequence[str]]) -> dict[str, Any]:
    try:
        from bench.reference_bm25 import agreement
    except ImportError as error:  # bm25s/numpy are dev-only
        return {"skipped": f"reference unavailable: {error}"}
    start = time.perf_counter()
    result = agreement(documents, queries, k=10)
    return {
        "queries": result.queries,
        "same_top10": result.same_top_k,
        "share": round(result.share, 4),
        "max_score_delta": float(f"{result.max_score_delta:.3g}"),
        "differing": list(result.differing),
        "seconds": round(time.perf_counter() - start, 1),
    }


def cranfield_agreement() -> dict[str, Any] | None:
    if not (CRANFIELD_DIR / "cran.all.1400").is_file():
        return None
    try:
        from bench.reference_bm25 import analyzer, read_cranfield
    except ImportError as error:
        return {"skipped": f"reference unavailable: {error}"}
    _, tokenize, tokenize_query = analyzer()
    documents, queries = read_cranfield(CRANFIELD_DIR, tokenize, tokenize_query)
    return {"documents": len(documents)} | reference_agreement(documents, queries)


# --- the real DynamoDB adapter, on moto ---------------------------------------------------------------------


def adapter_check(
    table: InMemoryIndexTable, queries: Sequence[BenchQuery], expected: Sequence[QueryRun]
) -> dict[str, Any]:
    """The query set through `DynamoIndexTable` on moto, over the same items: the same answers and the same
    meter readings as the in-memory run with cold engines (`expected`)."""
    import boto3
    from moto import mock_aws

    from steppewire.search.index_store import DynamoIndexTable

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)  # the cold-start section points boto at its moto server
    os.environ |= {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName="SearchTable",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            )
            dynamo = DynamoIndexTable(client, "SearchTable", CapacityMeter())
            start = time.perf_counter()
            dynamo.write_many(list(table.items.values()), [])
            loaded = time.perf_counter() - start
            answers_match = meter_match = True
            mismatches = []
            for query, wanted in zip(queries, expected, strict=True):
                engine = started_engine(dynamo)  # a new engine per query, as the cold run had
                result, trips, units, requests = _measured(dynamo, partial(engine.search, query.request()))
                same = (
                    result.total == wanted.total
                    and [hit.slug for hit in result.hits] == wanted.slugs
                    and [hit.score for hit in result.hits] == wanted.scores
                    and result.facets == wanted.facets
                )
                same_meter = (trips, requests, units) == (wanted.round_trips, wanted.requests, wanted.read_units)
                answers_match &= same
                meter_match &= same_meter
                if not (same and same_meter):
                    mismatches.append(query.label)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "adapter_matches": answers_match,
        "adapter_meter_matches": meter_match,
        "mismatches": mismatches,
        "items": len(table.items),
        "load_s": round(loaded, 1),
    }


# --- one size ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publish:
    write_units: float
    merge_write_units: float  # of `write_units`, what merging tails into chunks took
    read_units: float
    round_trips: int
    cpu_s: float


def _publish(table: InMemoryIndexTable, indexer: Indexer, slugs: Sequence[str]) -> Publish:
    meter = table.meter
    units, reads, trips = meter.write_units, meter.read_units, meter.round_trips
    cpu = time.process_time()
    report = indexer.apply(slugs)
    cpu = time.process_time() - cpu
    return Publish(
        meter.write_units - units, report.merge_write_units, meter.read_units - reads, meter.round_trips - trips, cpu
    )


def _per_article(publishes: Sequence[Publish], articles: int) -> dict[str, float]:
    """A batch path's cost per article: write units (of them the merges'), read units, articles per CPU second."""
    cpu = sum(p.cpu_s for p in publishes)
    return {
        "wcu": round(sum(p.write_units for p in publishes) / articles, 1),
        "merge_wcu": round(sum(p.merge_write_units for p in publishes) / articles, 1),
        "rcu": round(sum(p.read_units for p in publishes) / articles, 2),
        "round_trips": round(sum(p.round_trips for p in publishes) / articles, 2),
        "articles_per_cpu_s": round(articles / cpu, 1) if cpu else 0.0,
    }


def _log(message: str) -> None:
    print(f"[search bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def corpus_agreement(size: int) -> dict[str, Any]:
    """Top-10 agreement with the reference on the body terms of the `size` corpus and the query set's terms.
    A task of its own: it needs the corpus but not the index, so it runs beside the indexing of a larger size."""
    if size > agreement_limit():
        return {"skipped": f"above BENCH_AGREEMENT_MAX={agreement_limit()}"}
    articles = corpus_module.build(size).articles
    # One string object per distinct term (the analyzer returns new ones): at 250,000 articles ~100 million tokens.
    body_terms = [list(map(sys.intern, index_terms(str(article.get("text") or "")))) for article in articles]
    del articles
    figures = reference_agreement(body_terms, [terms(query.q) for query in QUERIES])
    _log(f"{size:,}: reference agreement done")
    return figures


# The stored fields that the index never reads; the corpus leaves them out (and so does the naive
# baseline's Scan, which is sized on the fields a search needs).
_UNINDEXED = {"body_html": "", "excerpt": "", "image": None, "source_key": "", "content_sha256": ""}


def as_stored(article: Mapping[str, Any]) -> StoredArticle:
    published = str(article["published_at"])
    return StoredArticle.from_item({**_UNINDEXED, "created_at": published, "updated_at": published, **article})


def forked(call: Callable[[], Answer]) -> Callable[[], Answer]:
    """`call` run in a forked child, which inherits this process's memory (a big index, without pickling it);
    returns a function that waits for the answer."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_answer_to, args=(call, sender))
    # Frozen, the inherited objects are not traversed by the child's collector, so their pages stay shared
    # (without it, the first collection in the child copies the whole index).
    gc.freeze()
    child.start()
    gc.unfreeze()
    sender.close()

    def answer() -> Answer:
        try:
            result: Answer = receiver.recv()  # EOFError: the child died without answering
        finally:
            child.join()
        return result

    return answer


def _answer_to(call: Callable[[], Any], sender: Connection) -> None:
    sender.send(call())
    sender.close()


def measure_size(size: int) -> dict[str, Any]:
    started = time.perf_counter()
    built = corpus_module.build(size)
    articles = built.articles
    by_slug = {str(article["slug"]): as_stored(article) for article in articles}
    slugs = list(by_slug)
    table = InMemoryIndexTable()
    indexer = Indexer(table, article_reader=by_slug.get)
    singles = min(SINGLE_PUBLISHES, max(1, size // 10))
    batch = min(MEASURED_BATCH, max(1, (size - singles) // 2))
    bulk = size - singles - batch
    bulk_loads: list[Publish] = []
    for start in range(0, bulk, BULK_BATCH):
        bulk_loads.append(_publish(table, indexer, slugs[start : min(bulk, start + BULK_BATCH)]))
        bulk_cpu = sum(p.cpu_s for p in bulk_loads)
        _log(f"{size:,}: {min(bulk, start + BULK_BATCH):,} articles bulk-loaded, {bulk_cpu:.0f} s CPU")
    bulk_cpu = sum(p.cpu_s for p in bulk_loads)
    measured = _publish(table, indexer, slugs[bulk : bulk + batch])
    _log(f"{size:,}: batch of {batch} published in {measured.cpu_s:.1f} s CPU")
    single = [_publish(table, indexer, [slug]) for slug in slugs[bulk + batch :]]
    index_s = time.perf_counter() - started
    _log(
        f"{size:,} articles indexed in {index_s:.0f} s ({sum(p.cpu_s for p in single):.0f} s for {len(single)} singles)"
    )

    item_sizes = table.item_sizes()
    head_sizes = [size for key, size in item_sizes.items() if key[1] == "H"]
    directory_sizes = [size for key, size in item_sizes.items() if key[0] == DIRECTORY_PK]
    largest_key, largest = max(item_sizes.items(), key=lambda pair: pair[1])
    # The exactness check measures nothing: a forked copy of this process runs it beside the measured runs
    # below, on the core the smaller sizes have left by then.
    exactness_check = forked(partial(plan_check, table, QUERIES + PHRASE_QUERIES))
    ours = run_queries(table, QUERIES)
    cold = run_queries(table, QUERIES, cold=True)
    typed = run_queries(table, QUERIES, as_typed=True)
    phrases = run_queries(table, PHRASE_QUERIES)
    _log(f"{size:,}: queries done")
    naive = naive_figures(articles, QUERIES)
    _log(f"{size:,}: naive baseline done")
    exactness = exactness_check()
    _log(f"{size:,}: planned against whole lists: {exactness['identical']}/{exactness['requests']} identical")
    ours_figures: dict[str, Any] = dict(query_figures(ours)) | {
        "wcu_per_article_single": spread([p.write_units for p in single], 0),
        "wcu_per_article_batch": round(measured.write_units / batch, 1),
        "merge_wcu_per_article_single": round(sum(p.merge_write_units for p in single) / len(single), 1),
        "batch": _per_article([measured], batch),
        "bulk": _per_article(bulk_loads, bulk) if bulk else None,
        "index_rcu_per_article_single": spread([p.read_units for p in single], 1),
        "index_rcu_per_article_batch": round(measured.read_units / batch, 2),
        "index_round_trips_single": spread([float(p.round_trips) for p in single], 0),
        "index_cpu_s_single": spread([p.cpu_s for p in single], 3),
        "index_cpu_ms_per_article_batch": round(measured.cpu_s * 1000 / batch, 1),
    }
    figures: dict[str, Any] = {
        "articles": size,
        "corpus": built.source,
        "index": {
            "items": len(table.items),
            "mb": round(sum(item_sizes.values()) / 1e6, 1),
            "largest_item_kb": round(largest / 1024, 1),
            "largest_item": largest_key[0],
            "items_over_400kb": sum(1 for s in item_sizes.values() if s > ITEM_LIMIT_BYTES),
            "head_items": len(head_sizes),
            "head_mb": round(sum(head_sizes) / 1e6, 1),
            "directory_kb": round(sum(directory_sizes) / 1024, 1),
            "directory_largest_shard_kb": round(max(directory_sizes, default=0) / 1024, 1),
            "build_s": round(index_s, 1),
            "bulk_cpu_s": round(bulk_cpu, 1),
            "bulk_batch": BULK_BATCH,
            "measured_batch": batch,
            "single_publishes": len(single),
        },
        "ours": ours_figures,
        "ours_cold": query_figures(cold),
        "container_start": container_start(table),
        "planned_equals_whole_lists": exactness,
        "ours_as_typed": query_figures(typed),
        "ours_phrases": query_figures(phrases) | {"matches": {run.label: run.total for run in phrases}},
        "naive": naive,
        "ratio_naive_over_ours": {
            f"{name}_{p}": _ratio(naive[name][p], ours_figures[name][p])
            for name in ("round_trips", "rcu", "cpu_ms")
            for p in ("p50", "p95")
        },
        "over_budget": over_budget(ours),
        "over_budget_cold": over_budget(cold),
        "over_budget_as_typed": over_budget(typed),
        NOTES: {
            "warm": expensive_queries(table, ours, QUERIES),
            "cold": expensive_queries(table, cold, QUERIES, cold=True),
            "as_typed": expensive_queries(table, typed, QUERIES, as_typed=True),
        },
        "within_target": ours_figures["round_trips"]["p95"] <= TARGET_ROUND_TRIPS
        and ours_figures["rcu"]["p95"] <= TARGET_RCU,
    }
    if size == ADAPTER_CHECK_SIZE:
        figures["adapter"] = adapter_check(table, QUERIES, cold)
        _log(f"{size:,}: DynamoDB adapter check done")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    # Logged as it is done: a long run (250,000 articles) cut short keeps the sizes it finished.
    _log(f"{size:,} figures: " + json.dumps({k: v for k, v in figures.items() if k != NOTES}))
    return figures


# --- all sizes -----------------------------------------------------------------------------------------------


def agreement_limit() -> int:
    """Largest corpus checked against the reference (`BENCH_AGREEMENT_MAX`): ~35 s at 10k, ~3 min at 50k."""
    return int(os.environ.get("BENCH_AGREEMENT_MAX", "50000"))


def sizes_from_env() -> list[int]:
    raw = os.environ.get("BENCH_SEARCH_SIZES", DEFAULT_SIZES)
    return [int(part) for part in raw.replace(" ", "").split(",") if part]


def run(
    sizes: Sequence[int], queued_after: Callable[[Executor], Answer] | None = None
) -> tuple[dict[str, Any], Answer | None]:
    """Every size (largest first, so the longest job starts first) and Cranfield, in worker processes; then
    `queued_after` (given the pool: its tasks queue behind these, on the worker the smaller sizes leave)."""
    started = time.perf_counter()
    jobs = max(1, int(os.environ.get("BENCH_SEARCH_JOBS", "2")))
    ordered = sorted(set(sizes), reverse=True)
    # Largest first: the 50k index is the longest job and gets a worker to itself; the rest queue on the other.
    with ProcessPoolExecutor(max_workers=min(jobs, 2 * len(ordered) + 1)) as pool:
        measures = {size: pool.submit(measure_size, size) for size in ordered}
        agreements = {size: pool.submit(corpus_agreement, size) for size in ordered}
        cranfield = pool.submit(cranfield_agreement)
        after = queued_after(pool) if queued_after is not None else None
        results = {size: measures[size].result() | {"agreement": agreements[size].result()} for size in sorted(ordered)}
        cranfield_figures = cranfield.result()
    adapter = next((figures["adapter"] for figures in results.values() if "adapter" in figures), None)
    return {
        "queries": len(QUERIES),
        "target": {"round_trips_p95": TARGET_ROUND_TRIPS, "rcu_p95": TARGET_RCU},
        "sizes": {str(size): figures for size, figures in results.items()},
        "cranfield_agreement": cranfield_figures,
        "adapter_matches": None if adapter is None else adapter["adapter_matches"] and adapter["adapter_meter_matches"],
        "seconds": round(time.perf_counter() - started, 1),
    }, after


def for_json(search: Mapping[str, Any]) -> dict[str, Any]:
    """The figures without the printed explanations (the table has them), for the closing JSON line."""
    sizes = {size: {k: v for k, v in figures.items() if k != NOTES} for size, figures in search["sizes"].items()}
    return {**search, "sizes": sizes}


def _row(name: str, figures: Mapping[str, Any], extra: str = "") -> str:
    cells = [
        f"{figures['round_trips']['p50']:>6g}{figures['round_trips']['p95']:>6g}",
        f"{figures['rcu']['p50']:>9g}{figures['rcu']['p95']:>9g}",
        f"{figures['cpu_ms']['p50']:>9.2f}{figures['cpu_ms']['p95']:>9.2f}",
    ]
    return f"{name:<20}{''.join(cells)}{extra}"


def report(search: Mapping[str, Any]) -> None:
    print(f"Search: {search['queries']} fixed queries per corpus; p50/p95 over the queries")
    print(
        "Every size is indexed in the in-memory table behind the DynamoDB capacity meter (DynamoDB's billing and"
        " 400 KB limit); the real adapter runs on moto at 1,000 articles only (adapter check)"
    )
    for size, figures in search["sizes"].items():
        index = figures["index"]
        ours, naive, ratio = figures["ours"], figures["naive"], figures["ratio_naive_over_ours"]
        agreement = figures["agreement"]
        print()
        print(
            f"{int(size):,} articles ({figures['corpus']} text): index {index['items']:,} items, {index['mb']} MB,"
            f" largest {index['largest_item_kb']} KB ({index['largest_item']}), {index['items_over_400kb']} over"
            f" 400 KB; {index['head_items']:,} head items ({index['head_mb']} MB), directory"
            f" {index['directory_kb']} KB (largest shard {index['directory_largest_shard_kb']} KB);"
            f" built in {index['build_s']:.0f} s; naive table {naive['table_mb']} MB"
        )
        print(
            f"{'':<20}{'round trips':>12}{'RCU/query':>18}{'CPU ms/query':>18}{'WCU/article':>18}"
            f"{'WCU/art':>9}{'top-10 agreement':>20}"
        )
        print(
            f"{'':<20}{'p50':>6}{'p95':>6}{'p50':>9}{'p95':>9}{'p50':>9}{'p95':>9}{'p50 single':>12}{'p95':>6}"
            f"{'batch':>9}"
        )
        single = ours["wcu_per_article_single"]
        if "same_top10" in agreement:
            agree = f"{agreement['same_top10']}/{agreement['queries']} (max delta {agreement['max_score_delta']:.1g})"
        else:
            agree = agreement.get("skipped", "-")
        extra = f"{single['p50']:>12g}{single['p95']:>6g}{ours['wcu_per_article_batch']:>9g}{agree:>26}"
        print(_row("ours", ours, extra))
        measured, bulk = ours["batch"], ours["bulk"]
        print(
            f"indexing (in-memory table, DynamoDB's billing): one publish {single['p50']:g} / {single['p95']:g} WCU"
            f" p50/p95, merges amortized {ours['merge_wcu_per_article_single']:g} WCU/article; a batch of"
            f" {index['measured_batch']}: {measured['wcu']:g} WCU/article ({measured['merge_wcu']:g} merging),"
            f" {measured['articles_per_cpu_s']:g} articles/CPU s, {measured['round_trips']:g} round trips/article"
            + (
                f"; bulk batches of {index['bulk_batch']:,}: {bulk['wcu']:g} WCU/article ({bulk['merge_wcu']:g}"
                f" merging), {bulk['articles_per_cpu_s']:g} articles/CPU s, {bulk['round_trips']:g} round trips/article"
                if bulk
                else ""
            )
        )
        start = figures["container_start"]
        print(
            _row(
                "ours, cold engine",
                figures["ours_cold"],
                f"   (+ at its start: {start['round_trips']} round trips, {start['requests']} requests,"
                f" {start['rcu']:g} RCU, {start['cpu_s']:g} s CPU: the term directory, the document values and"
                f" {start['kept_lean_mb']:.1f} MB of kept lean chunks)",
            )
        )
        print(
            "requests per query p50/p95 (a round trip's requests are sent together): "
            + ", ".join(
                f"{name} {figures[key]['requests']['p50']:g}/{figures[key]['requests']['p95']:g}"
                for name, key in (("warm", "ours"), ("cold", "ours_cold"), ("as typed", "ours_as_typed"))
            )
        )
        print(_row("ours, as typed", figures["ours_as_typed"]))
        print(_row(f"ours, {len(PHRASE_QUERIES)} phrases", figures["ours_phrases"]))
        print(_row("naive Scan+filter", naive))
        cells = [
            f"{ratio['round_trips_p50'] or 0:>6g}{ratio['round_trips_p95'] or 0:>6g}",
            f"{ratio['rcu_p50'] or 0:>9g}{ratio['rcu_p95'] or 0:>9g}",
            f"{ratio['cpu_ms_p50'] or 0:>9g}{ratio['cpu_ms_p95'] or 0:>9g}",
        ]
        print(f"{'naive / ours':<20}{''.join(cells)}")
        verdict = "within" if figures["within_target"] else "OVER"
        print(
            f"target at p95: <= {search['target']['round_trips_p95']} round trips, <= {search['target']['rcu_p95']:g}"
            f" RCU: {verdict}"
        )
        notes = figures.get(NOTES, {})
        for note in notes.get("warm", []):
            print(f"  over budget: {note}")
        for kind in ("cold", "as_typed"):
            for note in notes.get(kind, []):
                if note.split(":")[0] not in figures["over_budget"]:
                    print(f"  over budget {kind.replace('_', ' ')} only: {note}")
        exact = figures["planned_equals_whole_lists"]
        print(
            f"planned reads against whole lists, {exact['requests']} requests (the queries and phrases: pages,"
            f" per_page 50, sorts, filters, tag, dates): {exact['identical']} identical answers"
        )
        if "adapter" in figures:
            adapter = figures["adapter"]
            print(
                f"DynamoDB adapter on moto ({adapter['items']:,} items): answers match {adapter['adapter_matches']},"
                f" meter matches {adapter['adapter_meter_matches']}"
                + (f"; differ: {', '.join(adapter['mismatches'])}" if adapter["mismatches"] else "")
            )
    cranfield = search["cranfield_agreement"]
    if cranfield and "same_top10" in cranfield:
        print(
            f"\nCranfield ({cranfield['documents']} docs, {cranfield['queries']} queries), single-field parity with"
            f" bm25s lucene: top-10 same on {cranfield['same_top10']}/{cranfield['queries']},"
            f" max score delta {cranfield['max_score_delta']:.1g}"
        )
    print(f"search bench: {search['seconds']:.0f} s")


def main() -> None:
    search, _ = run(sizes_from_env())
    report(search)
    print(json.dumps({"search": for_json(search)}))


if __name__ == "__main__":
    main()
