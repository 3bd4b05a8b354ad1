"""Large terms in chunks, tails and merges: whatever sequence of publishes, edits and removals, the index holds
the postings a whole-list rebuild of the final articles holds, every item stays bounded, and a publish writes
a large term's small tail, not its chunks. Tiny thresholds, so that a few articles chunk and merge."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steppewire.articles.store import StoredArticle
from steppewire.dynamo_items import item_size, to_item
from steppewire.search.engine import SearchEngine, SearchRequest, SearchResult
from steppewire.search.index_store import ITEM_LIMIT_BYTES, InMemoryIndexTable, Key
from steppewire.search.indexer import Indexer, rechunk
from steppewire.search.postings import MAX_VALUE, Posting
from steppewire.search.schema import (
    DOCUMENTS_PK,
    MAX_ITEM_POSTINGS,
    STATS_KEY,
    Indexed,
    IndexPolicy,
    Stats,
    Tail,
    Vocabulary,
    chunk_item,
    chunk_key,
    chunk_postings,
    document_values,
    documents_key,
    head_key,
    lean_digest,
    lean_item,
    lean_key,
    lean_range,
    term_key,
    vocabulary_of,
    with_changes,
)
from tests.fakes import stored_article, whole_directory

TINY = IndexPolicy(
    large_term_postings=4,
    drop_head_below=2,
    head_postings=2,
    head_from_postings=6,
    chunk_postings=2,
    tail_postings=2,
    vocabulary_tail=2,
    directory_shards=2,
    document_block=3,
    kept_lean_bytes=0,  # a search container keeps every large term's lean chunks
)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WORDS = ["steppe", "wire", "tenge", "cotton", "border", "summit"]

Steps = list[list[tuple[int, int | None]]]  # batches of (article number, text variant or None = removed)


def article(number: int, variant: int, revision: int) -> StoredArticle:
    words = [WORDS[(number * 7 + variant * 3 + k) % len(WORDS)] for k in range(2 + (number + variant) % 5)]
    return stored_article(
        slug=f"a{number}",
        title=f"{words[0]} report",
        text=" ".join(words),
        tags=[["economy"], ["elections"], []][(number + variant) % 3],
        lang=["en", "ru"][variant % 2],
        country=["Kazakhstan", None][number % 2],
        published_at=(NOW - timedelta(hours=number * 5 + variant)).isoformat(),
        revision=revision,
    )


def apply_steps(
    steps: Steps, policy: IndexPolicy, engines: list[SearchEngine] | None = None
) -> tuple[InMemoryIndexTable, dict[str, StoredArticle]]:
    """The steps applied in order; `engines` gets an engine warmed up after the first batch (a container that
    then sees every later change)."""
    table = InMemoryIndexTable()
    articles: dict[str, StoredArticle] = {}
    indexer = Indexer(table, articles.get, policy)
    revisions: dict[int, int] = {}
    for step, batch in enumerate(steps):
        if step == 1 and engines is not None:
            engines.append(SearchEngine(table, lambda: NOW, policy=policy))
            engines[-1].warm_up()
        for number, variant in batch:
            revisions[number] = revisions.get(number, 0) + 1
            if variant is None:
                articles.pop(f"a{number}", None)
            else:
                articles[f"a{number}"] = article(number, variant, revisions[number])
        indexer.apply([f"a{number}" for number, _ in batch])
    return table, articles


def postings_by_slug(table: InMemoryIndexTable) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every term's current postings, by slug and facet label: comparable across indexes whose doc ids differ."""
    items = table.items
    slugs = {int(item["doc"]): str(item["slug"]) for key, item in items.items() if key[1] == "DOC"}
    labels = Stats.from_item(items.get(STATS_KEY)).labels
    terms: dict[str, dict[str, tuple[Any, ...]]] = {}
    for key, item in items.items():
        if key[0].startswith("T#") and key[1] == "P":
            term = key[0][2:]
            tail = Tail.from_item(item)
            chunks = [chunk_postings(items[chunk_key(term, number)]) for number in range(tail.chunks)]
            terms[term] = {
                slugs[p.doc]: (p.tf, p.lengths, p.minute, labels["lang"].get(str(p.lang)), p.country > 0)
                for p in tail.current(chunks)
            }
    return terms


def vocabularies(table: InMemoryIndexTable) -> dict[str, Vocabulary]:
    """Every prefix vocabulary with its tail's changes applied."""
    prefixes = {key[0] for key in table.items if key[0].startswith("P#")}
    return {
        prefix: with_changes(
            vocabulary_of(table.items.get((prefix, "P"))), vocabulary_of(table.items.get((prefix, "T")))
        )
        for prefix in prefixes
    }


def check_bounded(table: InMemoryIndexTable, policy: IndexPolicy) -> None:
    directory = whole_directory(table.items, policy)
    for key, item in table.items.items():
        if not key[0].startswith("T#"):
            continue
        term = key[0][2:]
        if key[1] == "P":
            tail = Tail.from_item(item)
            if tail.chunks:
                assert directory[term].chunks == tail.chunks
                # a head for a list long enough at its last merge, and the directory says which (for the planner)
                assert (head_key(term) in table.items) == policy.has_head(directory[term].documents)
                assert len(tail.added) + len(tail.removed) < policy.tail_postings
                assert tail.documents >= policy.drop_head_below
                assert all(chunk_key(term, number) in table.items for number in range(tail.chunks))
                # the tail names the lean chunks the last merge wrote: a container that keeps them relies on it
                assert tail.lean == lean_digest(table.items[lean_key(term, n)] for n in range(tail.chunks))
            else:
                assert term not in directory and len(tail.added) < policy.large_term_postings
        elif key[1].startswith("C"):
            assert 0 < len(chunk_postings(item)) <= 2 * policy.chunk_postings
            assert int(key[1][1:]) < Tail.from_item(table.items[term_key(term)]).chunks
    # The document-values blocks hold each indexed document's values, and no others; the statistics count their writes.
    indexed = [Indexed.from_item(item).document_values() for key, item in table.items.items() if key[1] == "SLUG"]
    blocks = {key: document_values(item) for key, item in table.items.items() if key[0].startswith(DOCUMENTS_PK)}
    by_doc = {p.doc: p for block in blocks.values() for p in block}
    assert sum(map(len, blocks.values())) == len(by_doc) and by_doc == {p.doc: p for p in indexed}
    assert all(blocks[documents_key(policy.document_block_of(p.doc))].count(p) == 1 for p in indexed)
    writes = Stats.from_item(table.items.get(STATS_KEY)).blocks
    assert all(writes[int(key[0].removeprefix(DOCUMENTS_PK))] > 0 for key in blocks)


def answers(
    table: InMemoryIndexTable, policy: IndexPolicy, request: SearchRequest, engine: SearchEngine | None = None
) -> tuple[Any, ...]:
    if engine is None:
        engine = SearchEngine(table, lambda: NOW, policy=policy)
        engine.warm_up()
    result: SearchResult = engine.search(request)
    return result.total, sorted((hit.slug, hit.score) for hit in result.hits), result.facets


batches = st.lists(
    st.lists(st.tuples(st.integers(0, 11), st.one_of(st.none(), st.integers(0, 3))), min_size=1, max_size=6),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_chunks_and_tails_hold_what_a_whole_list_rebuild_holds(steps: Steps) -> None:
    warmed: list[SearchEngine] = []  # its document values go stale: it re-reads the blocks written since
    table, articles = apply_steps(steps, TINY, warmed)
    check_bounded(table, TINY)
    rebuilt = InMemoryIndexTable()
    Indexer(rebuilt, articles.get, IndexPolicy()).apply(sorted(articles))  # no term is large: whole lists
    assert postings_by_slug(table) == postings_by_slug(rebuilt)
    assert vocabularies(table) == vocabularies(rebuilt)
    assert all(len(vocabulary_of(item)) < TINY.vocabulary_tail for key, item in table.items.items() if key[1] == "T")
    for q in [
        "steppe ",
        "tenge wire ",
        "cotton",
        "report ",
        '"steppe wire"',
        "report steppe wire tenge cotton border summit",
    ]:
        for request in (SearchRequest(q, per_page=50), SearchRequest(q, per_page=1, sort="date")):
            expected = answers(rebuilt, IndexPolicy(), request)
            assert answers(table, TINY, request) == expected, request
            for engine in warmed:
                assert answers(table, TINY, request, engine) == expected, request


class RecordingTable(InMemoryIndexTable):
    def __init__(self, items: dict[Key, dict[str, Any]]) -> None:
        super().__init__()
        self.items = items
        self.reads: list[Any] = []  # keys and key ranges (Queries)

    def read(self, keys: Any, ranges: Any) -> dict[Key, dict[str, Any]]:
        self.reads += [*keys, *ranges]
        return super().read(keys, ranges)


def recorded_reads(table: InMemoryIndexTable) -> list[Any]:
    """The keys and key ranges read from `table` from now on (by an engine already built on it, too)."""
    reads: list[Any] = []
    read = table.read

    def recording(keys: Any, ranges: Any) -> dict[Key, dict[str, Any]]:
        reads.extend([*keys, *ranges])
        return read(keys, ranges)

    table.read = recording  # type: ignore[method-assign]
    return reads


def test_a_container_rereads_the_document_values_that_changed_since_it_started() -> None:
    started: list[SearchEngine] = []
    # a3 edited (another length, language, date) after the engine started: the edit is merged into "report"'s
    # chunks at once (a tail of 2), so only a3's document-values block has its new values
    table, _ = apply_steps([[(n, 0) for n in range(12)], [(3, 1)]], TINY, started)
    assert Tail.from_item(table.items[term_key("report")]).added == []
    request = SearchRequest("report ", per_page=50)
    expected = answers(table, TINY, request)
    reads = recorded_reads(table)
    assert answers(table, TINY, request, started[0]) == expected
    assert reads.count(documents_key(TINY.document_block_of(3))) == 1
    reads.clear()
    answers(table, TINY, request, started[0])  # now current: no block read
    assert not [key for key in reads if key[0].startswith(DOCUMENTS_PK)]


def test_a_container_keeps_a_common_terms_lean_chunks_until_a_merge_rewrites_them() -> None:
    table, articles = apply_steps([[(n, 0) for n in range(12)]], TINY)
    recording = RecordingTable(table.items)
    engine = SearchEngine(recording, lambda: NOW, policy=TINY)
    engine.warm_up()
    assert lean_range("report") in recording.reads  # read as the container starts
    request = SearchRequest("report steppe", per_page=50)  # two words: every large term read lean
    for step in range(3):
        if step == 1:  # two more articles: "report"'s tail reaches 2 and is merged into its chunks
            articles |= {f"a{n}": article(n, 0, 1) for n in (12, 13)}
            Indexer(recording, articles.get, TINY).apply(["a12", "a13"])
        recording.reads.clear()
        got = answers(recording, TINY, request, engine)
        # its tail only; its chunks again once, just after the merge (and kept anew)
        assert term_key("report") in recording.reads
        assert (lean_range("report") in recording.reads) == (step == 1), step
        assert got == answers(recording, TINY, request)  # as a new container answers


def test_an_index_written_before_the_document_values_reads_its_lists_whole_and_stays_exact() -> None:
    table, _ = apply_steps([[(n, 0) for n in range(12)]], TINY)
    request = SearchRequest("report ", per_page=50)
    expected = answers(table, TINY, request)
    for key in [key for key in table.items if key[0].startswith(DOCUMENTS_PK)]:
        del table.items[key]
    stats = Stats.from_item(table.items[STATS_KEY])
    stats.blocks = []
    table.items[STATS_KEY] = stats.to_item()
    recording = RecordingTable(table.items)
    assert answers(recording, TINY, request) == expected
    assert chunk_key("report", 0) in recording.reads


def test_a_publish_writes_a_large_terms_tail_not_its_chunks() -> None:
    table, articles = apply_steps([[(n, 0) for n in range(12)]], TINY)
    common = term_key("report")
    assert Tail.from_item(table.items[common]).chunks > 1
    written: list[Key] = []
    write_many = table.write_many

    def recording(puts: Any, deletes: Any) -> None:
        written.extend((str(item["pk"]), str(item["sk"])) for item in puts)
        write_many(puts, deletes)

    table.write_many = recording  # type: ignore[method-assign]
    articles["a12"] = article(12, 0, 1)
    report = Indexer(table, articles.get, TINY).apply(["a12"])
    assert report.terms_merged == 0 and report.merge_write_units == 0
    assert common in written and not [key for key in written if key[1][0] in "CLH"]


def test_merges_cost_write_units_the_report_counts() -> None:
    table = InMemoryIndexTable()
    articles = {f"a{n}": article(n, 0, 1) for n in range(40)}
    indexer = Indexer(table, articles.get, TINY)
    merged = [indexer.apply([slug]) for slug in sorted(articles)]
    assert sum(report.terms_merged for report in merged) > 0
    assert 0 < sum(report.merge_write_units for report in merged) < table.meter.write_units


def test_a_term_in_every_one_of_250000_documents_fits_items_of_400_kb() -> None:
    policy = IndexPolicy()
    postings = [
        Posting(doc, (0, 1, doc % 7), (9, 30, 400 + doc % 900), 29_000_000 + doc, 1 + doc % 2, doc % 9, 3)
        for doc in range(1, 250_001)
    ]
    chunks = rechunk([], postings, policy.chunk_postings)
    assert [p for chunk in chunks for p in chunk] == postings
    assert max(len(chunk) for chunk in chunks) == policy.chunk_postings
    sizes = [
        item_size(to_item(make("T#the", n, chunk)))
        for n, chunk in enumerate(chunks)
        for make in (chunk_item, lean_item)
    ]
    assert max(sizes) < ITEM_LIMIT_BYTES


def test_the_worst_case_chunk_fits_an_item() -> None:
    # Values that defeat every narrowing and compression: a chunk at its bound is still below 400 KB.
    worst = [
        Posting(
            doc * 40_000,
            (MAX_VALUE, doc, MAX_VALUE - doc),
            (doc * 3, MAX_VALUE, doc * 7),
            (doc * 2_654_435_761) % MAX_VALUE,
            MAX_VALUE,
            doc * 11,
            MAX_VALUE - doc * 5,
        )
        for doc in range(1, MAX_ITEM_POSTINGS + 1)
    ]
    assert item_size(to_item(chunk_item("T#worst", 0, worst))) < ITEM_LIMIT_BYTES


def test_a_chunk_keeps_its_doc_range_and_a_middle_one_splits_only_past_twice_the_size() -> None:
    def p(doc: int) -> Posting:
        return Posting(doc, (1, 0, 0), (1, 1, 1), doc, 0, 0, 0)

    chunks = [[p(1), p(2)], [p(10), p(11)]]
    assert rechunk(chunks, [p(d) for d in (1, 2, 3, 10, 11, 12)], 2) == [[p(1), p(2), p(3)], [p(10), p(11)], [p(12)]]
    assert rechunk(chunks, [p(d) for d in (1, 2, 3, 4, 5, 10)], 2) == [[p(1), p(2)], [p(3), p(4)], [p(5)], [p(10)]]
    assert rechunk(chunks, [p(11)], 2) == [[p(11)]]


@pytest.mark.parametrize(
    "bad",
    [
        {"chunk_postings": MAX_ITEM_POSTINGS},
        {"large_term_postings": 10, "drop_head_below": 20},
        {"tail_postings": 0},
        {"head_from_postings": 10},  # below large_term_postings: a head for a term without chunks
        {"directory_shards": 0},
        {"kept_lean_bytes": -1},
    ],
)
def test_a_policy_that_would_not_fit_items_is_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        IndexPolicy(**bad)
