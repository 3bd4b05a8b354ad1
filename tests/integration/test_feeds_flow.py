"""Feeds and sitemaps end to end through the template-driven stack: editors' uploads (an English and Russian
pair, a scheduled story, one deleted again), a draft saved as the importer saves it, read as a feed reader
and a search engine's crawler read them."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import feedparser
import pytest

from steppewire.articles.document import parse_article
from steppewire.articles.store import DynamoArticleStore
from steppewire.aws import dynamodb_client
from steppewire_local import LocalStack
from tests.integration.test_publishing_flow import bucket, story, upload

HOST = "news.example:3201"  # what a reader's request names; links are built on it without a configured base
SITE = f"http://{HOST}"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
}
EN, RU = "tenge-steadies", "tenge-ru"


@pytest.fixture
def stack(deploy: Callable[..., LocalStack]) -> LocalStack:
    return deploy()


def when(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def get(stack: LocalStack, path: str) -> tuple[int, str | None, str]:
    response = stack.api_request("GET", path, headers={"Host": HOST})
    return response.status, response.header("Content-Type"), response.body_text


def feed(stack: LocalStack, path: str) -> Any:
    status, content_type, body = get(stack, path)
    assert status == 200, body
    assert content_type == (
        "application/rss+xml; charset=utf-8" if path.endswith(".rss") else "application/atom+xml; charset=utf-8"
    )
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def sitemap(stack: LocalStack, path: str) -> ET.Element:
    status, content_type, body = get(stack, path)
    assert (status, content_type) == (200, "application/xml; charset=utf-8"), body
    return ET.fromstring(body.encode())


def locs(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iterfind("s:url/s:loc", NS)]


def alternates(root: ET.Element) -> dict[str, list[tuple[str | None, str | None]]]:
    return {
        url.findtext("s:loc", namespaces=NS) or "": [
            (a.get("hreflang"), a.get("href")) for a in url.findall("xhtml:link", NS)
        ]
        for url in root.iterfind("s:url", NS)
    }


def publish_desk(stack: LocalStack) -> None:
    """Two versions of one story an hour old, a story three days old, one scheduled, one deleted, a draft."""
    upload(
        stack,
        "incoming/en.md",
        story(
            "Tenge & rates < 5 % ]]> decision",
            date=when(-timedelta(hours=1)),
            slug=EN,
            author="Aigerim Sultanova",
            category="Economy",
            tags="tenge, national bank",
            summary="The National Bank kept its base rate.",
            image="https://cdn.example.org/nbk.jpg",
            translation_group="rate-decision",
        ),
    )
    upload(
        stack,
        "incoming/ru.md",
        story(
            "Тенге стабилизировался",
            date=when(-timedelta(hours=2)),
            slug=RU,
            lang="ru",
            translation_group="rate-decision",
        ),
    )
    upload(stack, "incoming/old.md", story("Budget talks", date=when(-timedelta(days=3)), tags="tenge"))
    upload(stack, "incoming/later.md", story("Embargoed budget", date="2099-01-01", tags="tenge"))
    upload(stack, "incoming/gone.md", story("Withdrawn story", date=when(-timedelta(minutes=5)), tags="tenge"))
    boto3.client("s3").delete_object(Bucket=bucket(stack), Key="incoming/gone.md")
    stack.drain()
    store = DynamoArticleStore(dynamodb_client(), stack.physical_id("ArticlesTable"))
    draft = replace(
        parse_article(story("Leaked draft", date=when(-timedelta(minutes=1)), tags="tenge"), "d.xml"),
        hidden_reason="draft",
    )
    store.save(
        draft,
        slug="leaked-draft",
        source_key="imports/x/1",
        order="1",
        content_sha256="0" * 64,
        previous=None,
        now=datetime.now(UTC),
    )


def test_feeds_show_the_public_published_articles_with_their_fields(stack: LocalStack) -> None:
    publish_desk(stack)

    english = feed(stack, "/feeds/en.rss")
    assert [entry.title for entry in english.entries] == ["Tenge & rates < 5 % ]]> decision", "Budget talks"]
    entry = english.entries[0]
    assert entry.link == f"{SITE}/articles/{EN}"
    assert entry.author == "Aigerim Sultanova"
    assert entry.summary == "The National Bank kept its base rate."
    assert "<figcaption>The bank in Almaty</figcaption>" in entry.content[0].value
    assert entry.media_content[0]["url"] == "https://cdn.example.org/nbk.jpg"
    assert english.feed.link == SITE

    atom = feed(stack, "/feeds/en.atom")
    assert [e.id for e in atom.entries] == [e.id for e in english.entries]  # one guid per article, both formats
    assert atom.entries[0].published_parsed <= atom.entries[0].updated_parsed
    assert [e.title for e in feed(stack, "/feeds/ru.atom").entries] == ["Тенге стабилизировался"]

    assert [e.title for e in feed(stack, "/feeds/en/tag/TENGE.rss").entries] == [
        "Tenge & rates < 5 % ]]> decision",
        "Budget talks",
    ]
    assert [e.link for e in feed(stack, "/feeds/en/tag/national%20bank.atom").entries] == [f"{SITE}/articles/{EN}"]
    assert [e.title for e in feed(stack, "/feeds/en/category/economy.rss").entries] == [
        "Tenge & rates < 5 % ]]> decision"
    ]
    assert feed(stack, "/feeds/ru/country/kazakhstan.rss").entries == []

    # An update keeps the guid; the feed shows the new title at once.
    guid = english.entries[0].id
    upload(
        stack,
        "incoming/en.md",
        story("Tenge holds", date=when(-timedelta(hours=1)), slug=EN, translation_group="rate-decision"),
    )
    assert [(e.id, e.title) for e in feed(stack, "/feeds/en.rss").entries][0] == (guid, "Tenge holds")


def test_a_just_published_article_is_in_the_feed_at_once_and_a_scheduled_one_at_its_time(stack: LocalStack) -> None:
    upload(stack, "incoming/now.md", story("Breaking", date=when(-timedelta(seconds=1))))
    assert [e.title for e in feed(stack, "/feeds/en.rss").entries] == ["Breaking"]

    due = datetime.now(UTC) + timedelta(seconds=6)
    upload(stack, "incoming/soon.md", story("Embargoed", date=due.strftime("%Y-%m-%dT%H:%M:%S+00:00")))
    if datetime.now(UTC) < due - timedelta(seconds=1):  # the upload itself may have taken that long
        assert [e.title for e in feed(stack, "/feeds/en.atom").entries] == ["Breaking"]
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1)
    assert [e.title for e in feed(stack, "/feeds/en.atom").entries] == ["Embargoed", "Breaking"]


def test_sitemaps_list_the_last_48_hours_the_months_and_reciprocal_alternates(stack: LocalStack) -> None:
    publish_desk(stack)

    news = sitemap(stack, "/sitemaps/news.xml")
    assert locs(news) == [f"{SITE}/articles/{EN}", f"{SITE}/articles/{RU}"]
    assert [e.text for e in news.iterfind("s:url/news:news/news:publication/news:name", NS)] == ["Steppe Wire"] * 2
    assert [e.text for e in news.iterfind("s:url/news:news/news:publication/news:language", NS)] == ["en", "ru"]
    assert [e.text for e in news.iterfind("s:url/news:news/news:title", NS)] == [
        "Tenge & rates < 5 % ]]> decision",
        "Тенге стабилизировался",
    ]
    pair = [("en", f"{SITE}/articles/{EN}"), ("ru", f"{SITE}/articles/{RU}")]
    assert alternates(news) == {f"{SITE}/articles/{EN}": pair, f"{SITE}/articles/{RU}": pair}

    index = sitemap(stack, "/sitemaps/index.xml")
    months = [element.text or "" for element in index.iterfind("s:sitemap/s:loc", NS)]
    this_month = datetime.now(UTC).strftime("%Y-%m")
    assert months[0] == f"{SITE}/sitemaps/{this_month}.xml"
    listed: list[str] = []
    every_alternate: dict[str, list[tuple[str | None, str | None]]] = {}
    for month in months:
        root = sitemap(stack, month.removeprefix(SITE))
        assert all(lastmod.text for lastmod in root.iterfind("s:url/s:lastmod", NS))
        listed += locs(root)
        every_alternate |= alternates(root)
    slugs = sorted(url.rpartition("/")[2] for url in listed)
    assert slugs == sorted(["budget-talks", EN, RU])  # no draft, no scheduled, no deleted article
    assert every_alternate[f"{SITE}/articles/budget-talks"] == []
    assert every_alternate[f"{SITE}/articles/{EN}"] == pair


def test_bad_feed_and_sitemap_addresses_are_4xx_naming_the_parameter(stack: LocalStack) -> None:
    for path, parameter in [
        ("/feeds/kk.rss", "feed"),
        ("/feeds/en.json", "feed"),
        ("/feeds/en/author/x.rss", "facet"),
        ("/feeds/de/tag/x.rss", "lang"),
        ("/feeds/en/tag/x.txt", "feed"),
        ("/feeds/en/tag/%20.rss", "feed"),
        ("/sitemaps/2026-13.xml", "month"),
        ("/sitemaps/latest.xml", "month"),
    ]:
        status, content_type, body = get(stack, path)
        assert (status, content_type) == (422, "application/json"), (path, body)
        assert f"path parameter '{parameter}'" in body, (path, body)
    status, _, body = get(stack, "/sitemaps/2999-01.xml")
    assert status == 404 and "2999-01" in body


def test_a_configured_public_address_is_what_links_use(deploy: Callable[..., LocalStack]) -> None:
    stack = deploy({"PublicBaseUrl": "https://steppewire.example"})
    upload(stack, "incoming/a.md", story("Breaking", date=when(-timedelta(minutes=1))))
    assert [e.link for e in feed(stack, "/feeds/en.rss").entries] == ["https://steppewire.example/articles/breaking"]
    assert locs(sitemap(stack, "/sitemaps/news.xml")) == ["https://steppewire.example/articles/breaking"]
