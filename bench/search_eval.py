"""`make eval` (and a section of `make bench`): search quality against bm25s, and read cost per query class.

Both systems see the same text through the product's analyzer (`index_terms` for documents, `terms` for
queries, as the indexer and the engine do):
- "ours" is the product: the real `Indexer` into the in-memory table behind DynamoDB's capacity meter (as
  `bench/search_bench.py` does), queried through `SearchEngine.search(SearchRequest(q, per_page=100))` for
  quality and with `per_page=10` for the cost, each on its own engine with its term directory loaded, each query
  measured the first time that engine sees it. Its ranking is the shipped
  one: field weights (title, summary, body) and whatever matching the engine does today; it is read from
  `SearchResult.total`/`hits`, and from `matched` and `did_you_mean` when the engine has them.
- "bm25s" is the reference, `bm25s.BM25(method="lucene", k1=1.2, b=0.75)` on the tokens of title + text, any
  query word matching; its results are the documents with a score > 0, by score, then document order.

Collections:
1. Cranfield (`../shared/data/cranfield`): 1,400 abstracts (title + text), 225 long natural-language questions.
   The n-th query of `cran.qry` is query n of `cranqrel` (the file's own ids have gaps); the -1 lines are
   dropped. Graded gain for nDCG: grade 1 (complete answer) 4, 2 → 3, 3 → 2, 4 (minimal interest) 1: linear in
   Cleverdon's scale, which orders usefulness but gives no ratios, and the gains of the figures in SOURCES.md
   (bm25s with Snowball English: nDCG@10 0.359, MAP 0.300), so they compare. MAP: every judged grade relevant.
2. The news corpus (`../shared/data/wikinews-en-ru`, 293 English + 933 Russian Wikinews articles as they are,
   undated ones given dates in file order) and the queries `bench/typo_set.py` generates from it, each meant
   to find its source article (relevance 1 for it alone): misspelled distinctive title words (typo), the same
   words spelled right (short), title words plus one word the article lacks (lacking), and ~300-character
   questions from an article's lead (long).

Per collection x system: MAP over the top 100, nDCG@10, queries with no result, and for the news queries the
share whose article is in the top 10. Per query class (short: the news short and lacking queries, 1-3 words;
long: Cranfield and the news questions; typo), the product's round trips and read units per query, p50/p95,
counted by DynamoDB's billing (eventually consistent, each BatchGetItem item rounded up to 4 KB on its own):
at these collection sizes (1-2k documents), not at the 50k of the budget. Targets (the issue's): Cranfield
MAP and nDCG@10 at least bm25s's, no Cranfield query without results, 90 % of typo queries with their article in
the top 10. The two collections are built and run in two worker processes.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.corpus import DATA_DIR as NEWS_DIR
from bench.reference_bm25 import smart_records
from bench.search_bench import CRANFIELD_DIR, _measured, as_stored, spread, started_engine
from bench.typo_set import CollectionTerms, LabeledQuery, SourceArticle, lacking_queries, long_queries, typo_queries
from steppewire.search.analysis import index_terms, terms
from steppewire.search.engine import SearchRequest
from steppewire.search.index_store import InMemoryIndexTable
from steppewire.search.indexer import Indexer

TOP = 100  # results asked for, and MAP's depth
COST_PER_PAGE = 10  # the API's default page: what a reader's query costs
NDCG_AT = 10
SEED = 20261201
TYPO_ARTICLES = 300  # sampled articles, 1-3 typo queries (and their correct twins) each
LACKING_ARTICLES = 150
LONG_ARTICLES = 20
CRANFIELD_GAIN = {1: 4.0, 2: 3.0, 3: 2.0, 4: 1.0}  # by Cleverdon grade; see the module docstring
TARGET_TYPO_TOP10 = 0.9
FIRST_DATE = datetime(2020, 1, 1, 12, tzinfo=UTC)  # undated articles: one hour apart from here, in file order


# --- metrics -----------------------------------------------------------------------------------------------


def average_precision(ranked: Sequence[str], relevant: Collection[str], k: int = TOP) -> float:
    """Precision at each relevant document within the top k, summed over all `relevant` ones (0 when none)."""
    if not relevant:
        return 0.0
    found = 0
    total = 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def ndcg(ranked: Sequence[str], gains: Mapping[str, float], k: int = NDCG_AT) -> float:
    """Normalized discounted cumulative gain at k: gain / log2(rank + 1), over the best ordering of `gains`."""
    ideal = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(sorted(gains.values(), reverse=True)[:k], 1))
    if not ideal:
        return 0.0
    return sum(gains.get(doc, 0.0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], start=1)) / ideal


# --- the two systems ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    q: str
    gains: dict[str, float]  # slug -> gain; every key is relevant
    kind: str  # "cranfield" or a `typo_set` kind
    labeled: LabeledQuery | None = None


@dataclass(frozen=True)
class Answer:
    ranked: list[str]
    total: int
    matched: str | None = None  # the engine's "all"/"partial" (None: an engine without it)
    did_you_mean: str | None = None
    round_trips: int = 0
    rcu: float = 0.0


def index_articles(articles: Sequence[Mapping[str, Any]]) -> InMemoryIndexTable:
    """The product's index of `articles` (article items), in one indexer batch."""
    by_slug = {str(article["slug"]): as_stored(article) for article in articles}
    table = InMemoryIndexTable()
    Indexer(table, article_reader=by_slug.get).apply(list(by_slug))
    return table


def ours(table: InMemoryIndexTable, queries: Sequence[Judged]) -> list[Answer]:
    """Each query asked twice, of two warm engines, each seeing it for the first time (no warm-up on the query
    itself, whose misspelled or rare words a container would not have cached): the top `TOP` for quality, and
    a reader's page (`COST_PER_PAGE` results) for the read cost: the page's rows are part of the cost, and no
    reader asks for 100."""
    ranking, costing = started_engine(table), started_engine(table)
    answers = []
    for query in queries:
        result = ranking.search(SearchRequest(query.q, per_page=TOP))
        _, trips, units, _ = _measured(table, partial(costing.search, SearchRequest(query.q, per_page=COST_PER_PAGE)))
        suggestion = getattr(result, "did_you_mean", None)
        matched = getattr(result, "matched", None)
        answers.append(
            Answer(
                [hit.slug for hit in result.hits],
                result.total,
                None if matched is None else str(getattr(matched, "value", matched)),  # a str or an Enum of them
                None if suggestion is None else str(suggestion),
                trips,
                units,
            )
        )
    return answers


def reference(documents: Sequence[tuple[str, str]], queries: Sequence[Judged]) -> list[Answer]:
    """bm25s over (slug, text) documents: the top `TOP` with a score > 0."""
    import bm25s  # type: ignore[import-untyped]  # dev-only, no stubs
    import numpy as np

    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    retriever.index([index_terms(text) for _, text in documents], show_progress=False)
    slugs = [slug for slug, _ in documents]
    answers = []
    for query in queries:
        ids = retriever.get_tokens_ids(terms(query.q))
        scores = retriever.get_scores_from_ids(ids) if ids else np.zeros(len(slugs))
        matching = np.flatnonzero(scores > 0)
        order = matching[np.lexsort((matching, -scores[matching]))]
        answers.append(Answer([slugs[doc] for doc in order[:TOP].tolist()], len(matching)))
    return answers


# --- figures -----------------------------------------------------------------------------------------------


def quality(queries: Sequence[Judged], answers: Sequence[Answer]) -> dict[str, Any]:
    pairs = list(zip(queries, answers, strict=True))
    n = len(pairs) or 1
    figures: dict[str, Any] = {
        "queries": len(pairs),
        "map": round(sum(average_precision(a.ranked, q.gains) for q, a in pairs) / n, 4),
        "ndcg10": round(sum(ndcg(a.ranked, q.gains) for q, a in pairs) / n, 4),
        "zero_results": sum(1 for _, a in pairs if not a.ranked),
    }
    if all(q.labeled for q, _ in pairs):
        figures["target_in_top10"] = _in_top10(pairs)
        languages = sorted({q.labeled.lang for q, _ in pairs if q.labeled})
        figures["target_in_top10_by_lang"] = {
            lang: _in_top10([(q, a) for q, a in pairs if q.labeled and q.labeled.lang == lang]) for lang in languages
        }
    return figures


def _in_top10(pairs: Sequence[tuple[Judged, Answer]]) -> float:
    return round(sum(1 for q, a in pairs if set(a.ranked[:10]) & set(q.gains)) / (len(pairs) or 1), 4)


def product_figures(queries: Sequence[Judged], answers: Sequence[Answer]) -> dict[str, Any]:
    """Quality, and what the engine said: `matched` per value, queries offered a `did_you_mean`, and for typos
    the share of suggestions that contain the word as it was meant."""
    figures = quality(queries, answers)
    figures["matched"] = dict(sorted(Counter(a.matched or "n/a" for a in answers).items()))
    figures["did_you_mean"] = sum(1 for a in answers if a.did_you_mean)
    meant = [
        bool(set(terms(q.labeled.word)) & set(terms(a.did_you_mean)))
        for q, a in zip(queries, answers, strict=True)
        if q.labeled is not None and q.labeled.kind == "typo" and a.did_you_mean
    ]
    if meant:
        figures["did_you_mean_right"] = sum(meant)
    alone = [(q, a) for q, a in zip(queries, answers, strict=True) if q.kind == "typo" and len(q.q.split()) == 1]
    if alone:  # the misspelled word without correct words beside it: only a correction can find the article
        alone_quality = quality([q for q, _ in alone], [a for _, a in alone])
        figures["alone"] = {"queries": len(alone), "target_in_top10": alone_quality["target_in_top10"]}
    return figures


def evaluate(
    name: str, table: InMemoryIndexTable, documents: Sequence[tuple[str, str]], queries: Sequence[Judged]
) -> dict[str, Any]:
    """Per kind of query: both systems' quality, and the product's costs per query (for the classes)."""
    started = time.perf_counter()
    product = ours(table, queries)
    _log(f"{name}: {len(queries)} queries through the engine in {time.perf_counter() - started:.0f} s")
    bm25 = reference(documents, queries)
    out: dict[str, Any] = {}
    for kind in dict.fromkeys(q.kind for q in queries):
        chosen = [i for i, q in enumerate(queries) if q.kind == kind]
        subset = [queries[i] for i in chosen]
        mine = [product[i] for i in chosen]
        out[kind] = {
            "ours": product_figures(subset, mine),
            "bm25s": quality(subset, [bm25[i] for i in chosen]),
            "costs": {"round_trips": [a.round_trips for a in mine], "rcu": [a.rcu for a in mine]},
            "chars_max": max(len(q.q.strip()) for q in subset),
        }
    return out


def _log(message: str) -> None:
    print(f"[search eval {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _item(slug: str, title: str, text: str, lang: str, published_at: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": title,
        "text": text,
        "lang": lang,
        "published_at": published_at,
        "author": None,
        "category": None,
        "tags": [],
        "country": None,
        "summary": None,
        "revision": 1,
    }


# --- the collections -----------------------------------------------------------------------------------------


def cranfield_task(directory: Path = CRANFIELD_DIR) -> dict[str, Any]:
    started = time.perf_counter()
    records = smart_records(directory / "cran.all.1400")
    articles = [
        _item(f"cran-{n}", r.get("T", "").strip(), r.get("W", ""), "en", _date(n)) for n, r in enumerate(records, 1)
    ]
    gains: dict[int, dict[str, float]] = {}
    for line in (directory / "cranqrel").read_text(encoding="latin-1").splitlines():
        query, doc, grade = (int(part) for part in line.split())
        if grade in CRANFIELD_GAIN:
            judged = gains.setdefault(query, {})
            judged[f"cran-{doc}"] = max(judged.get(f"cran-{doc}", 0.0), CRANFIELD_GAIN[grade])
    questions = [record.get("W", "") for record in smart_records(directory / "cran.qry")]
    # The n-th question is qrel query n; a question without judgements would score 0 for every system.
    queries = [Judged(q + " ", gains[n], "cranfield") for n, q in enumerate(questions, 1) if gains.get(n)]
    table = index_articles(articles)
    indexed = time.perf_counter() - started
    _log(f"Cranfield: {len(articles)} documents indexed in {indexed:.0f} s")
    documents = [(a["slug"], f"{a['title']} {a['text']}") for a in articles]
    figures = evaluate("Cranfield", table, documents, queries)
    return {"documents": len(articles), "index_s": round(indexed, 1), "kinds": figures}


def _date(n: int) -> str:
    return (FIRST_DATE + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def news_articles(directory: Path = NEWS_DIR) -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = []
    for lang in ("en", "ru"):
        for line in (directory / f"wikinews_{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            published = f"{row['date']}T12:00:00Z" if row.get("date") else _date(len(articles))
            slug = str(row["id"]).lower().replace("_", "-")
            articles.append(_item(slug, str(row["title"]).strip(), str(row["text"]), lang, published))
    return articles


def news_task(directory: Path = NEWS_DIR) -> dict[str, Any]:
    started = time.perf_counter()
    articles = news_articles(directory)
    collection = CollectionTerms([SourceArticle(a["slug"], a["lang"], a["title"], a["text"]) for a in articles])
    labeled = [
        *typo_queries(collection, TYPO_ARTICLES, SEED),
        *lacking_queries(collection, LACKING_ARTICLES, SEED + 1),
        *long_queries(collection, LONG_ARTICLES, SEED + 2),
    ]
    queries = [Judged(query.q, {query.target: 1.0}, query.kind, query) for query in labeled]
    table = index_articles(articles)
    indexed = time.perf_counter() - started
    _log(f"news: {len(articles)} articles indexed, {len(queries)} queries generated in {indexed:.0f} s")
    documents = [(a["slug"], f"{a['title']} {a['text']}") for a in articles]
    figures = evaluate("news", table, documents, queries)
    examples = {kind: [q.q.strip() for q in labeled if q.kind == kind][:3] for kind in figures}
    # Runs on other engines compare only on the same queries: a change of the data or the generator shows here.
    digest = hashlib.sha256("\n".join(f"{q.kind}\t{q.target}\t{q.q}" for q in labeled).encode()).hexdigest()[:16]
    return {
        "documents": len(articles),
        "index_s": round(indexed, 1),
        "kinds": figures,
        "examples": examples,
        "queries_sha256": digest,
    }


# --- all -------------------------------------------------------------------------------------------------------

CLASSES = {"short": ("short", "lacking"), "long": ("cranfield", "long"), "typo": ("typo",)}


def available() -> bool:
    return (CRANFIELD_DIR / "cran.all.1400").is_file() and (NEWS_DIR / "wikinews_en.jsonl").is_file()


def run(pool: Executor | None = None) -> dict[str, Any]:
    """The evaluation, in worker processes: its own two, or `pool`'s (`make bench` queues it behind the search
    bench's tasks, on the worker the smaller sizes leave idle)."""
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) if pool is None else nullcontext(pool) as workers:
        cranfield, news = workers.submit(cranfield_task), workers.submit(news_task)
        collections = {"cranfield": cranfield.result(), "news": news.result()}
    kinds = {kind: figures for c in collections.values() for kind, figures in c["kinds"].items()}
    classes = {}
    for name, members in CLASSES.items():
        trips = [value for kind in members for value in kinds[kind]["costs"]["round_trips"]]
        units = [value for kind in members for value in kinds[kind]["costs"]["rcu"]]
        matched: Counter[str] = Counter()
        for kind in members:
            matched.update(kinds[kind]["ours"]["matched"])
        classes[name] = {
            "kinds": list(members),
            "queries": len(trips),
            "round_trips": spread(trips, 0),
            "rcu": spread(units, 1),
            "matched": dict(sorted(matched.items())),
        }
    cran = kinds["cranfield"]
    checks = {
        "cranfield_map": (cran["ours"]["map"], ">=", cran["bm25s"]["map"]),
        "cranfield_ndcg10": (cran["ours"]["ndcg10"], ">=", cran["bm25s"]["ndcg10"]),
        "cranfield_zero_results": (cran["ours"]["zero_results"], "<=", 0),
        "typo_target_in_top10": (kinds["typo"]["ours"]["target_in_top10"], ">=", TARGET_TYPO_TOP10),
    }
    targets = {
        name: {"value": value, "target": f"{op} {bound}", "pass": value >= bound if op == ">=" else value <= bound}
        for name, (value, op, bound) in checks.items()
    }
    return {
        "collections": collections,
        "classes": classes,
        "targets": targets,
        "seconds": round(time.perf_counter() - started, 1),
    }


def for_json(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Without the per-query cost lists (the classes have their spreads)."""
    collections = {
        name: {
            **collection,
            "kinds": {
                kind: {key: value for key, value in kind_figures.items() if key != "costs"}
                for kind, kind_figures in collection["kinds"].items()
            },
        }
        for name, collection in figures["collections"].items()
    }
    return {**figures, "collections": collections}


KIND_NAMES = {
    "cranfield": "Cranfield",
    "typo": "news typo",
    "short": "news short",
    "lacking": "news lacking",
    "long": "news long",
}


def report(figures: Mapping[str, Any]) -> None:
    collections = figures["collections"]
    cran, news = collections["cranfield"], collections["news"]
    print(
        f"Search quality: Cranfield ({cran['documents']:,} docs) and queries generated from the news corpus"
        f" ({news['documents']:,} articles); the product's analyzer for both systems; ours = Indexer +"
        f" SearchEngine (per_page {TOP}), bm25s = lucene k1 1.2 b 0.75 on title + text"
    )
    print(
        f"{'collection':<14}{'system':<7}{'queries':>8}{'MAP@100':>9}{'nDCG@10':>9}{'zero':>6}{'top-10':>8}"
        f"   matched (all/partial/n-a)  did_you_mean"
    )
    for collection in collections.values():
        for kind, kind_figures in collection["kinds"].items():
            for system in ("ours", "bm25s"):
                row = kind_figures[system]
                top = f"{row['target_in_top10']:.1%}" if "target_in_top10" in row else "-"
                extra = ""
                if system == "ours":
                    matched = row["matched"]
                    counts = "/".join(str(matched.get(key, 0)) for key in ("all", "partial", "n/a"))
                    suggested = str(row["did_you_mean"])
                    if "did_you_mean_right" in row:
                        suggested += f" ({row['did_you_mean_right']} the meant word)"
                    extra = f"   {counts:<26} {suggested}"
                    if "alone" in row:
                        alone = row["alone"]
                        extra += (
                            f"; the misspelled word alone: {alone['queries']}, {alone['target_in_top10']:.1%} in top 10"
                        )
                print(
                    f"{KIND_NAMES[kind]:<14}{system:<7}{row['queries']:>8}{row['map']:>9.4f}{row['ndcg10']:>9.4f}"
                    f"{row['zero_results']:>6}{top:>8}{extra}"
                )
    for kind, kind_figures in news["kinds"].items():
        shares = [
            f"{system} " + ", ".join(f"{lang} {share:.1%}" for lang, share in row["target_in_top10_by_lang"].items())
            for system, row in ((system, kind_figures[system]) for system in ("ours", "bm25s"))
        ]
        print(f"  {KIND_NAMES[kind]}, article in the top 10 by language: " + "; ".join(shares))
    print(
        f"Cranfield gains by grade {CRANFIELD_GAIN} (-1 lines dropped), MAP with every judged document relevant;"
        " news queries: the source article is the one relevant document (MAP = mean reciprocal rank within 100)"
    )
    for name, check in figures["targets"].items():
        print(f"  target {name}: {check['value']:g} {check['target']}: {'PASS' if check['pass'] else 'FAIL'}")
    print(
        "Read cost per query (ours, one engine with its directory, each query asked once; in-memory table"
        f" behind DynamoDB's billing, at {cran['documents']:,} / {news['documents']:,} documents)"
    )
    print(f"{'class':<8}{'queries':>8}{'round trips':>14}{'RCU/query':>18}   matched (all/partial/n-a)   of kinds")
    print(f"{'':<8}{'':>8}{'p50':>7}{'p95':>7}{'p50':>9}{'p95':>9}")
    for name, row in figures["classes"].items():
        matched = "/".join(str(row["matched"].get(key, 0)) for key in ("all", "partial", "n/a"))
        print(
            f"{name:<8}{row['queries']:>8}{row['round_trips']['p50']:>7g}{row['round_trips']['p95']:>7g}"
            f"{row['rcu']['p50']:>9g}{row['rcu']['p95']:>9g}   {matched:<27} {', '.join(row['kinds'])}"
        )
    for kind, examples in news["examples"].items():
        print(f"  e.g. {kind}: " + " | ".join(examples))
    print(f"generated news queries: sha256 {news['queries_sha256']}; search eval: {figures['seconds']:.0f} s")


def main() -> None:
    if not available():
        sys.exit(f"search eval needs {CRANFIELD_DIR} and {NEWS_DIR}")
    figures = run()
    report(figures)
    print(json.dumps({"eval": for_json(figures)}))


if __name__ == "__main__":
    main()
