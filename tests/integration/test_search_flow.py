"""Search end to end through the template-driven stack: upload -> publish -> index queue -> indexer ->
search table -> GET /search."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from steppewire import wiring
from steppewire.dynamo_items import from_item
from steppewire.search.schema import IndexPolicy, typo_key, typo_words
from steppewire.wiring import search_engine
from steppewire_local import LocalStack

ROOT = Path(__file__).resolve().parents[2]


# A term is large from 3 articles, its head holds 2 postings, a chunk 1 (2 at most), its tail and a prefix
# vocabulary's are merged at 2: a handful of articles exercises chunking and merging as 50,000 do (`make bench`).
TINY = IndexPolicy(
    large_term_postings=3,
    drop_head_below=2,
    head_postings=2,
    head_from_postings=4,
    chunk_postings=1,
    tail_postings=2,
    vocabulary_tail=2,
    directory_shards=2,
    kept_lean_bytes=0,
)


@pytest.fixture
def stack(deploy: Callable[..., LocalStack], monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    monkeypatch.setattr(wiring, "index_policy", lambda: TINY)
    return deploy()


def publish(stack: LocalStack, key: str, title: str, body: str, **fields: str) -> None:
    front = "\n".join(
        ["---", f"title: {title}", f"date: {fields.pop('date', '2026-11-20')}"]
        + [f"{k}: {v}" for k, v in fields.items()]
        + ["---"]
    )
    bucket = stack.physical_id("ArticlesBucket")
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=f"{front}\n\n{body}\n".encode())
    stack.drain()


def search(stack: LocalStack, query: str) -> dict[str, Any]:
    response = stack.api_request("GET", f"/search?{query}")
    assert response.status == 200, response.body_text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def newsroom(stack: LocalStack) -> LocalStack:
    publish(
        stack,
        "incoming/a.md",
        "Water summit opens in Bishkek",
        "Delegations met in Bishkek to share water.",
        country="Kyrgyzstan",
        category="Politics",
        tags="water",
        date="2026-11-21",
    )
    publish(
        stack,
        "incoming/b.md",
        "Tenge steadies after the rate decision",
        'The tenge rose in Almaty trading.\n\n[caption id="attachment_1"]<img src="https://e.org/a.jpg" /> '
        "Almaty exchange office[/caption]",
        country="Kazakhstan",
        category="Economy",
        date="2026-11-22",
    )
    publish(
        stack,
        "incoming/c.md",
        "В Алма-Ате открыли новую станцию метро",
        "Станцию метро открыли в Алматы.",
        lang="ru",
        country="Kazakhstan",
        category="Society",
        date="2026-11-23",
    )
    publish(
        stack,
        "incoming/d.md",
        "Smog over Almaty",
        "Air quality in Almaty fell again.",
        country="Kazakhstan",
        category="Society",
        date="2026-11-24",
    )
    return stack


def test_published_articles_are_searchable_ranked_and_highlighted(newsroom: LocalStack) -> None:
    result = search(newsroom, "q=Almaty")
    assert result["total"] == 3 and result["page"] == 1 and result["per_page"] == 10
    assert {hit["slug"] for hit in result["results"]} == {
        "tenge-steadies-after-the-rate-decision",
        "v-alma-ate-otkryli-novuiu-stantsiiu-metro",
        "smog-over-almaty",
    }
    top = result["results"][0]
    assert top["slug"] == "smog-over-almaty"  # the name in the title outranks it in the body
    assert top["title_highlighted"] == "Smog over <mark>Almaty</mark>"
    assert all("[caption" not in hit["snippet"] and "<img" not in hit["snippet"] for hit in result["results"])


def test_cross_script_names_in_both_directions(newsroom: LocalStack) -> None:
    latin = {hit["slug"] for hit in search(newsroom, "q=Alma-Ata")["results"]}
    cyrillic = {hit["slug"] for hit in search(newsroom, "q=" + quote("Алматы"))["results"]}
    assert latin == cyrillic and "v-alma-ate-otkryli-novuiu-stantsiiu-metro" in latin
    assert search(newsroom, "q=" + quote("Бишкеке"))["results"][0]["slug"] == "water-summit-opens-in-bishkek"


def test_russian_queries_are_stemmed(newsroom: LocalStack) -> None:
    result = search(newsroom, "q=" + quote("станции метро"))
    assert [hit["slug"] for hit in result["results"]] == ["v-alma-ate-otkryli-novuiu-stantsiiu-metro"]
    assert "<mark>" in result["results"][0]["snippet"]


def test_quoted_phrases_need_their_words_in_order(newsroom: LocalStack) -> None:
    metro = ["v-alma-ate-otkryli-novuiu-stantsiiu-metro"]
    assert [hit["slug"] for hit in search(newsroom, "q=" + quote("«новую станцию»"))["results"]] == metro
    assert search(newsroom, "q=" + quote('"станцию новую"'))["total"] == 0
    assert search(newsroom, "q=" + quote('"tenge rose" Almaty'))["total"] == 1


def test_filters_facets_and_exact_pages(newsroom: LocalStack) -> None:
    result = search(newsroom, "q=almaty&per_page=2")
    assert (result["total"], len(result["results"])) == (3, 2)
    assert result["facets"]["lang"] == {"en": 2, "ru": 1}
    assert result["facets"]["category"] == {"Society": 2, "Economy": 1}
    last = search(newsroom, "q=almaty&per_page=2&page=2")
    assert (last["total"], len(last["results"])) == (3, 1)
    past = search(newsroom, "q=almaty&per_page=2&page=3")
    assert (past["total"], past["results"]) == (3, [])
    assert search(newsroom, "q=almaty&lang=ru")["total"] == 1
    assert search(newsroom, "q=almaty&category=society&country=kazakhstan")["total"] == 2
    assert search(newsroom, "q=water&tag=water")["total"] == 1
    assert search(newsroom, "q=almaty&from=2026-11-23")["total"] == 2
    dated = search(newsroom, "q=almaty&sort=date")["results"]
    assert [hit["date"] for hit in dated] == sorted((hit["date"] for hit in dated), reverse=True)


def test_update_finds_the_new_text_and_not_the_old(newsroom: LocalStack) -> None:
    publish(
        newsroom,
        "incoming/d.md",
        "Smog over Almaty",
        "Buses switch to gas in the city.",
        country="Kazakhstan",
        category="Society",
        date="2026-11-24",
    )
    assert "smog-over-almaty" in {hit["slug"] for hit in search(newsroom, "q=buses")["results"]}
    assert search(newsroom, "q=air+quality")["total"] == 0


def test_unpublished_articles_leave_results_and_counts(newsroom: LocalStack) -> None:
    boto3.client("s3").delete_object(Bucket=newsroom.physical_id("ArticlesBucket"), Key="incoming/d.md")
    newsroom.drain()
    result = search(newsroom, "q=almaty")
    assert result["total"] == 2 and result["facets"]["category"] == {"Economy": 1, "Society": 1}


def test_scheduled_articles_are_not_found_before_their_time(newsroom: LocalStack) -> None:
    publish(newsroom, "incoming/e.md", "Budget of Almaty for 2099", "The city budget.", date="2099-01-01")
    assert search(newsroom, "q=budget")["total"] == 0


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script> almaty", "almaty\u202e\u200b\ufeff", "' OR 1=1 --", "\U0001f600 almaty", "a" * 199],
)
def test_hostile_queries_get_a_safe_answer(newsroom: LocalStack, hostile: str) -> None:
    response = newsroom.api_request("GET", "/search?q=" + quote(hostile))
    assert response.status == 200
    assert "<script" not in response.body_text


@pytest.mark.parametrize(
    ("query", "status", "named"),
    [
        ("q=", 422, "q"),
        ("q=%20%20", 400, "q"),
        ("q=" + "a" * 501, 422, "q"),
        ("q=x&per_page=51", 422, "per_page"),
        ("q=x&page=0", 422, "page"),
        ("q=x&sort=popular", 422, "sort"),
        ("q=x&from=2026-12-01&to=2026-11-01", 400, "from"),
    ],
)
def test_bad_parameters_get_a_clear_4xx_naming_them(stack: LocalStack, query: str, status: int, named: str) -> None:
    response = stack.api_request("GET", f"/search?{query}")
    assert response.status == status
    assert f"'{named}'" in response.json()["message"]


def test_reindex_rebuilds_the_index_from_the_articles_table(newsroom: LocalStack) -> None:
    table = newsroom.physical_id("SearchTable")
    dynamodb = boto3.client("dynamodb")
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    assert search(newsroom, "q=almaty")["total"] == 0
    event = json.loads((ROOT / "events" / "search_reindex.json").read_text())
    assert newsroom.invoke("SearchIndexFunction", event)["indexed"] == 4
    assert search(newsroom, "q=almaty")["total"] == 3
    almaty = {"pk": {"S": typo_key("almat")[0]}, "sk": {"S": typo_key("almat")[1]}}
    dynamodb.delete_item(TableName=table, Key=almaty)  # an index written before it had typo items
    newsroom.invoke("SearchIndexFunction", event)
    assert typo_words(from_item(dynamodb.get_item(TableName=table, Key=almaty)["Item"]))["almaty"] == "@almaty"


def test_a_malformed_index_message_fails_alone(newsroom: LocalStack) -> None:
    event = json.loads((ROOT / "events" / "search_index_via_sqs.json").read_text())
    good = event["Records"][0]
    bad = good | {"messageId": "bad-one", "body": "not json"}
    result = newsroom.invoke("SearchIndexFunction", {"Records": [good, bad]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
    assert search(newsroom, "q=tenge")["total"] == 1


def test_common_terms_are_answered_from_head_items_as_from_whole_lists(newsroom: LocalStack) -> None:
    for day in (11, 12, 13):
        publish(
            newsroom,
            f"incoming/report-{day}.md",
            f"Almaty report {day}",
            "Almaty budget news. " * (day - 10),
            country="Kazakhstan",
            category="Economy",
            date=f"2026-11-{day}",
        )
    dynamodb = boto3.client("dynamodb")
    table = newsroom.physical_id("SearchTable")
    head = dynamodb.get_item(TableName=table, Key={"pk": {"S": "T#@almaty"}, "sk": {"S": "H"}})
    assert "Item" in head
    queries = [
        "q=Almaty&per_page=2",
        "q=Almaty&per_page=2&page=2",
        "q=Almaty&sort=date&per_page=2",
        "q=Almaty&category=Economy&per_page=1",
        "q=almaty+budget&per_page=2",
    ]
    first = [search(newsroom, query) for query in queries]  # a new container: no directory, whole lists
    assert "@almaty" in (search_engine().directory or {})  # this container now plans its reads
    planned = [search(newsroom, query) for query in queries]  # the directory is known: heads and lean lists
    assert planned == first
    assert planned[0]["total"] == 6 and planned[0]["facets"]["category"] == {"Economy": 4, "Society": 2}
    newest = ["smog-over-almaty", "v-alma-ate-otkryli-novuiu-stantsiiu-metro"]
    assert [hit["slug"] for hit in planned[2]["results"]] == newest
    boto3.client("s3").delete_object(Bucket=newsroom.physical_id("ArticlesBucket"), Key="incoming/report-13.md")
    boto3.client("s3").delete_object(Bucket=newsroom.physical_id("ArticlesBucket"), Key="incoming/report-12.md")
    newsroom.drain()
    budget = dynamodb.get_item(TableName=table, Key={"pk": {"S": "T#budget"}, "sk": {"S": "H"}})
    assert "Item" not in budget  # one article left with "budget": below the threshold, the head is gone
    assert search(newsroom, "q=almaty+budget&per_page=1")["total"] == 1  # the container's directory still lists it
