"""Head items of large terms, their chunks and tails, and the read planner: the same answers as reading every
posting list whole, for fewer read units.

The thresholds are lowered (a term is large from 20 postings, a head holds 5, a chunk 8, a tail is merged at 4)
so that a corpus of a few hundred articles exercises what 50,000 do in `make bench`. Every answer is compared
with an engine that has an empty term directory, which reads every list whole (the plain path the parity tests cover).
"""

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from steppewire.articles.store import StoredArticle
from steppewire.search import engine as engine_module
from steppewire.search.analysis import terms
from steppewire.search.engine import SearchEngine, SearchRequest, SearchResult, plan_reads
from steppewire.search.index_store import InMemoryIndexTable
from steppewire.search.indexer import Indexer
from steppewire.search.postings import decode_lean, encode_lean
from steppewire.search.schema import (
    STATS_KEY,
    DirectoryEntry,
    IndexPolicy,
    chunk_key,
    directory_key,
    head_key,
    lean_key,
    lean_range,
    term_key,
)
from tests.fakes import stored_article, whole_directory

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WORDS = ["pipeline", "harvest", "border", "reform", "tariff", "summit", "drought", "railway", "vaccine", "budget"]
COUNTRIES = ["Kazakhstan", "Kyrgyzstan", "Uzbekistan", None]
CATEGORIES = ["Politics", "Economy", "Society"]
(PRESIDENT,) = terms("president")
(PIPELINE,) = terms("pipeline")


def make_article(
    number: int, rng: random.Random, *, future: bool = False, common: str = "president", slug: str | None = None
) -> StoredArticle:
    words = rng.sample(WORDS, 3)
    body = " ".join(rng.choice(words) for _ in range(rng.randint(5, 60)))
    if future or rng.random() < 0.8:
        body += f" {common}" * rng.randint(1, 4)
    if number % 17 == 0:  # rare words that share a prefix with a common one
        body += " piper pipette"
    hours = 24 * (3 + number % 10) if future else -(7 * number + rng.randint(0, 5))
    published = NOW + timedelta(hours=hours)
    if slug is not None:  # much longer articles: the average body length grows
        body += " " + " ".join(["border"] * 400)
    return stored_article(
        slug=slug or f"article-{number}",
        title=f"{rng.choice(words).title()} {common if rng.random() < 0.3 else 'news'} {number}",
        summary=f"{rng.choice(words)} {rng.choice(words)}",
        text=body,
        tags=[rng.choice(["economy", "elections"])],
        lang=rng.choice(["en", "en", "ru"]),
        category=rng.choice(CATEGORIES),
        country=rng.choice(COUNTRIES),
        published_at=published.isoformat(),
    )


POLICY = IndexPolicy(
    large_term_postings=20,
    drop_head_below=10,
    head_postings=5,
    head_from_postings=20,
    chunk_postings=8,
    tail_postings=4,
    vocabulary_tail=3,
    directory_shards=3,
)
PRESIDENT_SHARD = directory_key(POLICY.directory_shard(PRESIDENT))  # the directory item that lists "president"


class Corpus:
    def __init__(self, articles: int = 240, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.articles = {a.slug: a for a in (make_article(n, rng) for n in range(articles))}
        for n in range(articles, articles + 3):  # scheduled: hidden until due
            self.articles[f"article-{n}"] = make_article(n, rng, future=True)
        self.table = InMemoryIndexTable()
        self.indexer = Indexer(self.table, article_reader=self.articles.get, policy=POLICY)
        self.indexer.apply(list(self.articles))

    def warm_engine(self) -> SearchEngine:
        engine = SearchEngine(self.table, lambda: NOW, policy=POLICY)
        engine.warm_up()  # as the search function's container does when it starts
        return engine

    def whole_lists_engine(self) -> SearchEngine:
        engine = SearchEngine(self.table, lambda: NOW, policy=POLICY)
        engine.plan_with({})  # no common terms known: every list is read whole
        return engine


@pytest.fixture
def corpus() -> Corpus:
    return Corpus()


def answer_of(result: SearchResult) -> tuple[Any, ...]:
    return (
        result.total,
        [hit.slug for hit in result.hits],
        [hit.score for hit in result.hits],
        result.facets,
        [hit.snippet for hit in result.hits],
    )


def requests() -> Iterator[SearchRequest]:
    queries = ["president ", "president", "president pipeline ", "pipeline border ", "news president tariff ", "pip"]
    for q in [*queries, '"president president"', '"pipeline president" border']:
        yield SearchRequest(q)
        yield SearchRequest(q, page=2, per_page=2)
        yield SearchRequest(q, page=4, per_page=2)  # deeper than the head (5 postings)
        yield SearchRequest(q, page=100)  # past the end
        yield SearchRequest(q, sort="date")
        yield SearchRequest(q, sort="date", page=2, per_page=2)
        yield SearchRequest(q, lang="ru")
        yield SearchRequest(q, country="Kyrgyzstan", category="Economy")
        yield SearchRequest(q, country="Atlantis")
        yield SearchRequest(q, tag="elections")
        yield SearchRequest(q, date_from=date(2026, 10, 1), date_to=date(2026, 11, 1))


def test_the_indexer_gives_common_terms_a_head_and_lists_them(corpus: Corpus) -> None:
    directory = whole_directory(corpus.table.items, POLICY)
    chunks = {
        term: sum(1 for key in corpus.table.items if key[0] == f"T#{term}" and key[1][0] == "C") for term in directory
    }
    assert directory[PRESIDENT].chunks == chunks[PRESIDENT] >= 20 // 8
    assert {term: entry.chunks for term, entry in directory.items()} == chunks
    assert all(head_key(term) in corpus.table.items for term in directory)
    rare = [key[0][2:] for key in corpus.table.items if key[1] == "P" and key[0].startswith("T#")]
    assert any(term_key(term) in corpus.table.items and head_key(term) not in corpus.table.items for term in rare)


def test_heads_and_lean_lists_give_the_same_answers_as_whole_lists(corpus: Corpus) -> None:
    planned, whole = corpus.warm_engine(), corpus.whole_lists_engine()
    for request in requests():
        assert answer_of(planned.search(request)) == answer_of(whole.search(request)), request


class RecordingTable(InMemoryIndexTable):
    def __init__(self, items: dict[tuple[str, str], dict[str, Any]]) -> None:
        super().__init__()
        self.items = items
        self.reads: list[list[Any]] = []  # per round trip: the keys and the key ranges (Queries) read

    def read(self, keys: Any, ranges: Any) -> dict[tuple[str, str], dict[str, Any]]:
        self.reads.append([*keys, *ranges])
        return super().read(keys, ranges)


def recorded(
    corpus: Corpus, request: SearchRequest, directory: dict[str, DirectoryEntry] | None = None
) -> tuple[SearchResult, list[list[tuple[str, str]]]]:
    table = RecordingTable(corpus.table.items)
    engine = SearchEngine(table, lambda: NOW, policy=POLICY)
    engine.warm_up()  # the document values, as a container reads them as it starts
    engine.plan_with(directory or whole_directory(corpus.table.items, POLICY))
    table.reads.clear()
    return engine.search(request), table.reads


def test_a_one_word_query_on_a_common_term_reads_its_head_and_tail_not_its_chunks(corpus: Corpus) -> None:
    result, reads = recorded(corpus, SearchRequest("president ", per_page=5))  # within the head
    assert result.total > 150
    assert len(reads) == 2
    assert {head_key(PRESIDENT), term_key(PRESIDENT)} <= set(reads[0]) and chunk_key(PRESIDENT, 0) not in reads[0]
    assert all(key[0].startswith("DOC#") for key in reads[1])


def test_a_many_word_query_reads_its_common_words_lean(corpus: Corpus) -> None:
    # At this corpus's size a whole list costs what a head does; the directory says what 50,000 articles
    # would (it only steers the plan: the answer must not change).
    chunks = whole_directory(corpus.table.items, POLICY)[PRESIDENT].chunks
    big = {PRESIDENT: DirectoryEntry(9000, chunks)}
    request = SearchRequest("president 25 ", per_page=1)  # "25" is in one title only: the page is full
    result, reads = recorded(corpus, request, big)
    assert answer_of(result) == answer_of(corpus.whole_lists_engine().search(request))
    assert result.total == 1
    assert len(reads) == 2
    assert {term_key("25"), lean_range(PRESIDENT)} <= set(reads[0])  # its lean chunks and tail: one Query
    assert chunk_key(PRESIDENT, 0) not in reads[0] and head_key(PRESIDENT) not in reads[0]


def test_as_you_type_reads_the_common_completion_lean_and_the_rare_ones_whole(corpus: Corpus) -> None:
    table = RecordingTable(corpus.table.items)
    planned = SearchEngine(table, lambda: NOW, policy=POLICY)
    planned.warm_up()
    request = SearchRequest("pip", per_page=5)
    planned.search(request)  # the prefix vocabulary, as a container that has seen "pip" before
    table.reads.clear()
    result = planned.search(request)
    assert answer_of(result) == answer_of(corpus.whole_lists_engine().search(request))
    assert len(table.reads) == 2
    assert {head_key(PIPELINE), lean_range(PIPELINE)} <= set(table.reads[0])
    assert chunk_key(PIPELINE, 0) not in table.reads[0]
    assert {term_key("piper"), term_key(*terms("pipette"))} <= set(table.reads[0])  # the rare ones whole
    assert result.total > planned.search(SearchRequest("pipeline ")).total  # they add their own articles


def test_a_container_that_keeps_the_lean_chunks_needs_no_third_read_for_a_filter_the_head_cannot_prove(
    corpus: Corpus,
) -> None:
    table = RecordingTable(corpus.table.items)
    engine = SearchEngine(table, lambda: NOW, policy=replace(POLICY, kept_lean_bytes=0))  # keeps every large term's
    engine.warm_up()
    assert lean_range(PRESIDENT) in table.reads[-1]
    table.reads.clear()
    narrow = SearchRequest("president ", per_page=5, lang="ru", category="Economy")  # too few in the head
    result = engine.search(narrow)
    assert answer_of(result) == answer_of(corpus.whole_lists_engine().search(narrow))
    assert len(table.reads) == 2 and set(table.reads[0]) == {STATS_KEY, term_key(PRESIDENT), head_key(PRESIDENT)}
    assert all(key[0].startswith("DOC#") for key in table.reads[1])  # the rows: the lean chunks were kept


def test_pages_past_the_head_and_filters_it_cannot_prove_read_the_list_and_stay_exact(corpus: Corpus) -> None:
    whole = corpus.whole_lists_engine()
    deep = SearchRequest("president ", page=3, per_page=2)  # results 5-6, past a head of 5: planned lean
    result, reads = recorded(corpus, deep)
    assert answer_of(result) == answer_of(whole.search(deep))
    assert len(reads) == 2 and lean_range(PRESIDENT) in reads[0] and chunk_key(PRESIDENT, 0) not in reads[0]
    narrow = SearchRequest("president ", per_page=5, lang="ru", category="Economy")  # too few in the head
    result, reads = recorded(corpus, narrow)
    assert answer_of(result) == answer_of(whole.search(narrow))
    chunks = whole_directory(corpus.table.items, POLICY)[PRESIDENT].chunks
    assert len(reads) == 3 and set(reads[0]) == {STATS_KEY, term_key(PRESIDENT), head_key(PRESIDENT)}
    assert reads[1] == [lean_key(PRESIDENT, number) for number in range(chunks)]  # then the lean chunks, the rows


def test_scheduled_articles_are_neither_counted_nor_shown_until_due(corpus: Corpus) -> None:
    result = corpus.warm_engine().search(SearchRequest("president ", sort="date", per_page=50))
    assert all(hit.published_at <= NOW.isoformat() for hit in result.hits)
    later = SearchEngine(corpus.table, lambda: NOW + timedelta(days=30), policy=POLICY)
    assert later.search(SearchRequest("president ")).total > result.total


def test_a_head_stays_exact_while_the_corpus_moves_on_without_it() -> None:
    corpus = Corpus(articles=120, seed=3)
    stale_head = corpus.table.items[head_key(PRESIDENT)]
    rng = random.Random(11)
    # No "president" in them (its head is not rewritten), and much longer bodies.
    newcomers = {f"long-{n}": make_article(1000 + n, rng, common="railway", slug=f"long-{n}") for n in range(150)}
    corpus.articles |= newcomers
    corpus.indexer.apply(list(newcomers))
    assert corpus.table.items[head_key(PRESIDENT)] == stale_head
    planned, whole = corpus.warm_engine(), corpus.whole_lists_engine()
    for request in requests():
        assert answer_of(planned.search(request)) == answer_of(whole.search(request)), request


def test_a_term_that_falls_below_the_threshold_loses_its_head_and_stale_plans_still_answer(corpus: Corpus) -> None:
    planned = corpus.warm_engine()  # keeps the directory that lists "pipeline"
    assert PIPELINE in (planned.directory or {})
    with_pipeline = [slug for slug, a in corpus.articles.items() if "pipeline" in a.text + a.title]
    for slug in with_pipeline[5:]:
        del corpus.articles[slug]
    corpus.indexer.apply(with_pipeline[5:])
    assert head_key(PIPELINE) not in corpus.table.items
    assert PIPELINE not in whole_directory(corpus.table.items, POLICY)
    assert not [key for key in corpus.table.items if key[0] == f"T#{PIPELINE}" and key[1] != "P"]
    whole = corpus.whole_lists_engine()
    for q in ["pipeline ", "president pipeline "]:
        assert answer_of(planned.search(SearchRequest(q))) == answer_of(whole.search(SearchRequest(q)))


def test_an_engine_without_a_directory_fetches_it_in_read_1_and_the_chunks_the_tails_name(corpus: Corpus) -> None:
    table = RecordingTable(corpus.table.items)
    engine = SearchEngine(table, lambda: NOW, policy=POLICY)
    result = engine.search(SearchRequest("president ", per_page=5))
    assert answer_of(result) == answer_of(corpus.whole_lists_engine().search(SearchRequest("president ", per_page=5)))
    assert {term_key(PRESIDENT), PRESIDENT_SHARD} <= set(table.reads[0]) and chunk_key(PRESIDENT, 0) in table.reads[1]
    assert len(table.reads) == 3  # a search container reads the directory as it starts: this is a test's engine
    table.reads.clear()
    engine.search(SearchRequest("president ", per_page=5))
    assert head_key(PRESIDENT) in table.reads[0] and PRESIDENT_SHARD not in table.reads[0]


def test_a_stale_directory_still_plans_while_read_1_refreshes_it(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = RecordingTable(corpus.table.items)
    engine = SearchEngine(table, lambda: NOW, policy=POLICY)
    engine.warm_up()
    monkeypatch.setattr(engine_module, "CACHE_TTL_SECONDS", -1.0)  # every directory is stale at once
    table.reads.clear()
    engine.search(SearchRequest("president ", per_page=5))
    assert {head_key(PRESIDENT), PRESIDENT_SHARD} <= set(table.reads[0]) and len(table.reads) == 2


def test_the_planner_reads_every_large_term_lean_and_the_small_ones_whole() -> None:
    directory = {"president": DirectoryEntry(9000, 3), "bank": DirectoryEntry(3000, 1)}
    assert plan_reads([["president"]], directory, head_allowed=True).head_term == "president"
    plan = plan_reads([["president"]], directory, head_allowed=False)
    assert (plan.full, plan.lean) == (set(), {"president"})
    plan = plan_reads([["president"], ["bank"]], directory, head_allowed=True)
    assert (plan.full, plan.lean) == (set(), {"president", "bank"})
    plan = plan_reads([["president"], ["cotton"]], directory, head_allowed=True)  # cotton is small: its tail
    assert (plan.full, plan.lean) == ({"cotton"}, {"president"})
    assert plan_reads([["president"], ["bank"]], None, head_allowed=True).full == {"president", "bank"}


def test_lean_lists_round_trip_and_refuse_bad_input() -> None:
    docs, tfs = [3, 9, 70_000], [(0, 1, 2), (1, 0, 0), (0, 0, 300)]
    assert decode_lean(encode_lean(docs, tfs)) == (docs, tfs)
    assert decode_lean(encode_lean([], [])) == ([], [])
    with pytest.raises(ValueError, match="duplicate doc id"):
        encode_lean([4, 4], [(1, 0, 0), (1, 0, 0)])
    with pytest.raises(ValueError, match="one tf triple per doc"):
        encode_lean([1, 2], [(1, 0, 0)])
    with pytest.raises(ValueError, match="format version"):
        decode_lean(b"\x01\x00\x00\x00\x00\x00")


def test_a_question_reads_its_common_terms_lean_in_one_round_trip(corpus: Corpus) -> None:
    directory = whole_directory(corpus.table.items, POLICY)
    big = directory | {PRESIDENT: DirectoryEntry(40_000, directory[PRESIDENT].chunks)}  # as in 50,000 articles
    request = SearchRequest("what did the president say about piper pipette border water rates in 25 ")
    result, reads = recorded(corpus, request, big)
    whole, _ = recorded(corpus, request, {})  # every list read whole
    assert len(reads) == 2 and all(key[0].startswith("DOC#") for key in reads[1])
    assert lean_range(PRESIDENT) in reads[0] and chunk_key(PRESIDENT, 0) not in reads[0]
    assert head_key(PRESIDENT) not in reads[0]  # its values are the blocks': no best postings needed
    assert result.matched == "partial" and result.total > 0
    # the articles found through the rarer words are scored exactly, "president" included (its lean list)
    assert [(hit.slug, hit.score) for hit in result.hits[:3]] == [(hit.slug, hit.score) for hit in whole.hits[:3]]
