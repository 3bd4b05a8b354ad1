"""The embedded AWS of `run` holds what the stack stores, not every copy of it ever made.

Publishing through the whole stack (S3 → queue → publish function → index queue → indexer) used to
grow memory with the square of the articles published: moto kept every model instance it had created,
including its per-transaction copies of whole tables (see steppewire_local/embedded_aws.py).
"""

from __future__ import annotations

import gc
import random
import sys
from collections.abc import Callable

import boto3
import pytest

from steppewire_local import LocalStack
from steppewire_local.embedded_aws import lean_moto

pytestmark = pytest.mark.integration

WORDS = ("tenge", "som", "somoni", "manat", "almaty", "bishkek", "dushanbe", "tashkent", "bank", "inflation")
WORDS += ("budget", "oil", "gas", "wheat", "cotton", "election", "parliament", "court", "river", "steppe")


def publish(stack: LocalStack, first: int, count: int, rnd: random.Random) -> None:
    s3 = boto3.client("s3")
    bucket = stack.physical_id("ArticlesBucket")
    for number in range(first, first + count):
        body = " ".join(rnd.choice(WORDS) for _ in range(150))  # an abstract of ~1 KB
        text = f"---\ntitle: Story {number} {rnd.choice(WORDS)}\ndate: 2026-11-20\n---\n{body}\n"
        s3.put_object(Bucket=bucket, Key=f"incoming/story-{number}.md", Body=text.encode())
    stack.drain(max_rounds=count)


def allocated_blocks() -> int:
    """Python's small-object blocks in use: what moto's items, their copies and dicts are made of (cheap to
    read, unlike tracemalloc, which slows every allocation)."""
    gc.collect()
    return sys.getallocatedblocks()


def test_memory_grows_linearly_and_little_per_published_article(deploy: Callable[..., LocalStack]) -> None:
    lean_moto()  # what `run` does to its embedded moto server; in-process here, to measure it and be quick
    stack = deploy()
    rnd = random.Random(8)
    half = 50  # enough to tell ~500 blocks per article from ~52,000 and growing; make test stays quick
    publish(stack, 0, 10, rnd)  # warm: clients, workers and the first items of every table
    start = allocated_blocks()
    publish(stack, 10, half, rnd)
    middle = allocated_blocks()
    publish(stack, 10 + half, half, rnd)
    end = allocated_blocks()

    reports = boto3.client("s3").list_objects_v2(Bucket=stack.physical_id("ArticlesBucket"), Prefix="reports/")
    assert reports["KeyCount"] == 10 + 2 * half
    first_half, second_half = middle - start, end - middle
    # Measured: ~500 blocks per article with lean_moto(), ~52,000 (and growing) without.
    assert second_half / half < 2_000, f"{second_half / half:.0f} blocks per article"
    # Linear, not quadratic: the second half costs about what the first did (2.4 times as much without).
    assert second_half < 1.5 * first_half + 10_000, (first_half, second_half)
