"""Parity of our scorer with the reference BM25 (bm25s, `method="lucene"`), and the posting codec's figures.

    python -m bench.reference_bm25 --synthetic                    # Zipf corpus, same one the unit test uses
    python -m bench.reference_bm25 --cranfield DIR                # DIR holds cran.all.1400 and cran.qry
    python -m bench.reference_bm25 --codec                        # bytes/posting and decode time

Parity is proven with one field: each document's body is its token list, the weights are body-only and
any query word may match; then `score` must be the reference formula. Dev-only: needs bm25s and numpy.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import bm25s  # type: ignore[import-untyped]  # no stubs; dev-only
import numpy as np

from steppewire.search.postings import Posting, decode, encode
from steppewire.search.ranking import K1, B, CorpusStats, FieldWeights, rank, score

BODY_ONLY = FieldWeights(title=0.0, summary=0.0, body=1.0)


@dataclass(frozen=True)
class AgreementResult:
    queries: int
    same_top_k: int  # queries whose top-k is the reference's (up to exact ties, see `agreement`)
    share: float  # same_top_k / queries
    max_score_delta: float  # over every query and every document, |ours - reference|
    differing: tuple[int, ...] = field(default=())  # indexes of the queries that disagree


def build_index(
    corpus: Sequence[Sequence[str]], *, through_codec: bool = True, only: Collection[str] | None = None
) -> tuple[dict[str, list[Posting]], CorpusStats]:
    """Posting lists with each document's tokens as its body (doc ids 1..N in corpus order), optionally
    round-tripped through the binary codec so that parity covers it too; of the terms in `only` if given (the
    queries' terms: at 250,000 documents every term's postings would take ~6 GB)."""
    postings: dict[str, list[Posting]] = defaultdict(list)
    for doc, tokens in enumerate(corpus, start=1):
        length = len(tokens)
        for term, tf in Counter(tokens).items():
            if only is None or term in only:
                postings[term].append(Posting(doc, (0, 0, tf), (0, 0, length), 0, 0, 0, 0))
    if through_codec:
        postings = defaultdict(list, {term: decode(encode(plist)) for term, plist in postings.items()})
    stats = CorpusStats(len(corpus), (0, 0, sum(map(len, corpus))))
    return dict(postings), stats


def _tie_groups(order: np.ndarray, scores: np.ndarray, tie_tolerance: float) -> dict[int, int]:
    """Group id per document of a ranked list: a group starts at a score more than `tie_tolerance` below
    the first score of the current group."""
    groups: dict[int, int] = {}
    group, start = -1, float("inf")
    for doc in order.tolist():
        value = float(scores[doc])
        if value < start - tie_tolerance:
            group, start = group + 1, value
        groups[doc] = group
    return groups


def agreement(
    corpus: Sequence[Sequence[str]],
    queries: Sequence[Sequence[str]],
    k: int = 10,
    *,
    dtype: str = "float64",
    tie_tolerance: float = 1e-9,
    through_codec: bool = True,
) -> AgreementResult:
    """Runs every query through our `score` (body-only weights, match="any") + `rank(by="reference")`
    and through `bm25s.BM25(method="lucene", k1=1.2, b=0.75)` indexed on the same token lists, and
    compares the top k.

    Ties: bm25s's `retrieve` returns tied documents in whatever order its top-k selection leaves them,
    so the reference ranking is rebuilt from its full score vector (`get_scores_from_ids`, the scores
    `retrieve` selects from) sorted by score descending, then doc id: the rule `rank(by="reference")`
    applies. Both sides then order exact ties identically. What remains are scores that are mathematically
    equal but differ in the last bits (our per-term constants are folded differently), so the comparison
    is by tie group: the reference ranking is cut into groups of scores within `tie_tolerance` of each
    other, and our top k agrees when, at every position, our document is in the same group as the
    reference's document there. Inside a group any order is accepted, and at the cut-off any choice of
    the group's members (the reference's group may run past position k). Only matching documents (score >
    0; Lucene's idf is always > 0) are compared: a query with fewer than k matches compares them all.

    `dtype="float64"` makes bm25s compute in double precision; its default float32 storage rounds scores
    to ~7 significant digits (deltas ~1e-6 at scores ~10), which is the reference's noise, not ours.
    """
    ours_index, stats = build_index(corpus, through_codec=through_codec, only={t for query in queries for t in query})
    retriever = bm25s.BM25(method="lucene", k1=K1, b=B, dtype=dtype)
    retriever.index([list(tokens) for tokens in corpus], show_progress=False)
    n = len(corpus)
    same = 0
    max_delta = 0.0
    differing: list[int] = []
    for number, query in enumerate(queries):
        groups = [[ours_index[word]] if word in ours_index else [] for word in query]
        ours = score(groups, stats, BODY_ONLY, match="any")
        ours_top = [doc - 1 for doc in rank(ours, by="reference")[:k]]  # to bm25s's 0-based indexes
        ids = retriever.get_tokens_ids(list(query))
        reference = retriever.get_scores_from_ids(ids) if ids else np.zeros(n, dtype=dtype)
        reference = reference.astype(np.float64)
        ours_vector = np.zeros(n, dtype=np.float64)
        if ours:
            ours_vector[np.fromiter(ours.keys(), dtype=np.int64, count=len(ours)) - 1] = np.fromiter(
                ours.values(), dtype=np.float64, count=len(ours)
            )
        max_delta = max(max_delta, float(np.max(np.abs(ours_vector - reference), initial=0.0)))
        matching = np.flatnonzero(reference > 0)
        reference_order = matching[np.lexsort((matching, -reference[matching]))]
        groups_of = _tie_groups(reference_order, reference, tie_tolerance)
        reference_top = reference_order[:k].tolist()
        agrees = len(ours_top) == len(reference_top) and all(
            doc in groups_of and groups_of[doc] == groups_of[expected]
            for doc, expected in zip(ours_top, reference_top, strict=True)
        )
        if agrees:
            same += 1
        else:
            differing.append(number)
    total = len(queries)
    return AgreementResult(total, same, same / total if total else 1.0, max_delta, tuple(differing))


def zipf_corpus(
    *, seed: int = 20260101, documents: int = 2000, vocabulary: int = 5000, queries: int = 100, exponent: float = 1.1
) -> tuple[list[list[str]], list[list[str]]]:
    """A deterministic corpus of Zipf-distributed words (lengths 5..300) and queries of 1-4 words drawn
    from the same distribution (so some words are very common) plus a few unseen words."""
    rng = random.Random(seed)
    words = [f"w{rank_}" for rank_ in range(vocabulary)]
    cumulative = list(accumulate(1.0 / (rank_ + 1) ** exponent for rank_ in range(vocabulary)))
    docs = [rng.choices(words, cum_weights=cumulative, k=rng.randint(5, 300)) for _ in range(documents)]
    qs: list[list[str]] = []
    for _ in range(queries):
        query = rng.choices(words, cum_weights=cumulative, k=rng.randint(1, 4))
        if rng.random() < 0.05:
            query.append("unseen")
        qs.append(query)
    return docs, qs


_WORD = re.compile(r"[a-z0-9]+")


def simple_terms(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def analyzer() -> tuple[str, Callable[[str], list[str]], Callable[[str], list[str]]]:
    """The project's analyzer when it is importable (documents as the indexer analyzes them, queries as the engine
    does), else lowercase words for both."""
    try:
        from steppewire.search.analysis import index_terms, terms
    except Exception:  # absent, or mid-edit: the parity figure does not depend on the analyzer
        return "lowercase words", simple_terms, simple_terms
    return "steppewire.search.analysis.index_terms/terms", index_terms, terms


def smart_records(path: Path) -> list[dict[str, str]]:
    """The records of a classic SMART file (`.I` starts one, `.T`/`.W`/... open its fields), fields joined by spaces."""
    out: list[dict[str, str]] = []
    current: dict[str, list[str]] = {}
    tag = ""
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(".I"):
            if current:
                out.append({key: " ".join(value) for key, value in current.items()})
            current, tag = {}, ""
        elif len(line) == 2 and line.startswith("."):
            tag = line[1]
            current.setdefault(tag, [])
        elif tag:
            current[tag].append(line)
    if current:
        out.append({key: " ".join(value) for key, value in current.items()})
    return out


def read_cranfield(
    directory: Path, tokenize: Callable[[str], list[str]], tokenize_query: Callable[[str], list[str]]
) -> tuple[list[list[str]], list[list[str]]]:
    """Documents (title + text) and queries of the Cranfield collection's classic SMART files."""
    docs = [
        tokenize(record.get("T", "") + " " + record.get("W", ""))
        for record in smart_records(directory / "cran.all.1400")
    ]
    queries = [tokenize_query(record.get("W", "")) for record in smart_records(directory / "cran.qry")]
    return docs, queries


def news_like_postings(count: int, documents: int = 50_000, seed: int = 1) -> list[Posting]:
    """Synthetic postings shaped like the newsroom's: ids in date order, short titles and summaries,
    bodies of ~150-1,500 terms, a few backdated articles, skewed facet codes."""
    rng = random.Random(seed)
    out = []
    for doc in sorted(rng.sample(range(1, documents + 1), count)):
        tf_title = 1 if rng.random() < 0.1 else 0
        tf_summary = 1 if rng.random() < 0.2 else 0
        tf_body = max(0 if tf_title or tf_summary else 1, int(rng.expovariate(0.6)))
        lengths = (rng.randint(4, 16), rng.randint(12, 45), int(rng.lognormvariate(6, 0.6)))
        minute = 28_000_000 + doc * 50 + rng.randint(0, 40)
        if rng.random() < 0.03:
            minute -= rng.randint(0, 100_000)
        codes = (
            rng.choice((1, 1, 1, 2, 2, 3)),
            min(15, int(rng.expovariate(0.3)) + 1),
            rng.choice((0, 1, 1, 2, 3, 4, 5, 6)),
        )
        out.append(Posting(doc, (tf_title, tf_summary, tf_body), lengths, minute, *codes))
    return out


def codec_figures(sizes: Sequence[int] = (50, 2_500, 10_000, 35_000), repeats: int = 15) -> list[dict[str, float]]:
    rows = []
    for count in sizes:
        postings = news_like_postings(count)
        data = encode(postings)
        assert decode(data) == postings
        best = min(_timed(decode, data) for _ in range(repeats))
        encode_best = min(_timed(encode, postings) for _ in range(3))
        rows.append(
            {
                "postings": count,
                "bytes": len(data),
                "bytes_per_posting": len(data) / count,
                "decode_ms": best * 1e3,
                "decode_us_per_10k": best * 1e6 / count * 10_000,
                "encode_ms": encode_best * 1e3,
            }
        )
    return rows


def _timed(function: Callable[..., object], argument: object) -> float:
    start = time.perf_counter()
    function(argument)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--cranfield", type=Path, metavar="DIR")
    parser.add_argument("--codec", action="store_true")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()
    if args.synthetic:
        docs, queries = zipf_corpus()
        print("synthetic Zipf, 2,000 docs, 100 queries:", agreement(docs, queries, args.k))
    if args.cranfield:
        name, tokenize, tokenize_query = analyzer()
        docs, queries = read_cranfield(args.cranfield, tokenize, tokenize_query)
        print(f"Cranfield ({len(docs)} docs, {len(queries)} queries, analyzer: {name})")
        for dtype in ("float64", "float32"):
            print(f"  bm25s dtype={dtype}:", agreement(docs, queries, args.k, dtype=dtype))
        if name != "lowercase words":
            docs, queries = read_cranfield(args.cranfield, simple_terms, simple_terms)
            print("  lowercase words, float64:", agreement(docs, queries, args.k))
    if args.codec:
        for row in codec_figures():
            print(
                f"  {row['postings']:>6,.0f} postings: {row['bytes']:>8,.0f} B"
                f" = {row['bytes_per_posting']:5.2f} B/posting,"
                f" decode {row['decode_ms']:6.2f} ms ({row['decode_us_per_10k']:,.0f} us per 10,000),"
                f" encode {row['encode_ms']:6.2f} ms"
            )


if __name__ == "__main__":
    main()
