"""Feeds and sitemaps: the XML builders read back by feedparser and an XML parser (hostile titles, bodies
and tags always give well-formed XML whose text round-trips), and the syndication reads on DynamoDB (moto,
in process): what a feed or sitemap lists at a given moment."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from steppewire.articles.document import parse_article
from steppewire.articles.store import DynamoArticleStore, StoredArticle, Translation
from steppewire.articles.syndication import (
    Feed,
    Syndication,
    atom,
    clean,
    guid,
    month_sitemap,
    months_between,
    news_sitemap,
    rss,
    sitemap_index,
)

SITE = "https://steppewire.example"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
HOSTILE_TITLE = 'Tenge & "rates" <script>alert(1)</script> ]]> end'
HOSTILE_BODY = "<p>Markets &amp; banks</p><p>]]&gt; and ]]> inside</p>"


def link(slug: str) -> str:
    return f"{SITE}/articles/{slug}"


def article(slug: str = "tenge-steadies", **fields: Any) -> StoredArticle:
    values: dict[str, Any] = {
        "slug": slug,
        "title": "Tenge steadies after the rate decision",
        "published_at": "2026-11-20T09:30:00Z",
        "lang": "en",
        "author": "Aigerim Sultanova",
        "category": "Economy",
        "tags": ("tenge", "national bank"),
        "country": "Kazakhstan",
        "summary": "The National Bank kept its base rate.",
        "image": "https://cdn.example.org/nbk.jpg",
        "image_alt": "The National Bank in Almaty",
        "body_html": '<p>The bank kept its rate at 16.5 %.</p><p><a href="/articles/budget">Budget</a></p>',
        "excerpt": "The bank kept its rate at 16.5 %.",
        "text": "The bank kept its rate at 16.5 %. Budget",
        "revision": 2,
        "source_key": f"incoming/{slug}.md",
        "content_sha256": "0" * 64,
        "created_at": "2026-11-20T09:00:00Z",
        "updated_at": "2026-11-21T10:00:00Z",
    }
    return StoredArticle(**values | fields)


FEED = Feed(title="Steppe Wire (en)", lang="en", self_url=f"{SITE}/feeds/en.rss")


def test_rss_carries_every_field_a_reader_shows() -> None:
    parsed = feedparser.parse(rss(FEED, [article()], SITE, link))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Steppe Wire (en)" and parsed.feed.language == "en"
    entry = parsed.entries[0]
    assert entry.title == "Tenge steadies after the rate decision"
    assert entry.link == f"{SITE}/articles/tenge-steadies"
    assert entry.id == guid(article()) and entry.guidislink is False
    assert entry.published_parsed[:6] == (2026, 11, 20, 9, 30, 0)
    assert entry.updated_parsed[:6] == (2026, 11, 21, 10, 0, 0)
    assert entry.author == "Aigerim Sultanova"
    assert entry.summary == "The National Bank kept its base rate."
    assert "<p>The bank kept its rate at 16.5 %.</p>" in entry.content[0].value
    assert [tag.term for tag in entry.tags] == ["Economy", "tenge", "national bank"]
    assert f'href="{SITE}/articles/budget"' in entry.content[0].value
    assert entry.media_content == [{"url": "https://cdn.example.org/nbk.jpg", "medium": "image"}]


def test_atom_carries_every_field_a_reader_shows() -> None:
    feed = replace(FEED, self_url=f"{SITE}/feeds/en.atom")
    parsed = feedparser.parse(atom(feed, [article(), article("budget", author=None, image=None)], SITE, link))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == f"{SITE}/feeds/en.atom"
    assert parsed.feed.updated_parsed[:6] == (2026, 11, 21, 10, 0, 0)
    first, second = parsed.entries
    assert first.id == guid(article()) and first.id.startswith("urn:uuid:")
    assert first.link == f"{SITE}/articles/tenge-steadies"
    assert first.published_parsed[:6] == (2026, 11, 20, 9, 30, 0)
    assert first.updated_parsed[:6] == (2026, 11, 21, 10, 0, 0)
    assert first.author == "Aigerim Sultanova"
    assert first.summary == "The National Bank kept its base rate."
    assert first.content[0].type == "text/html"
    # Site-relative links in the body resolve against the article's address.
    assert f'href="{SITE}/articles/budget"' in first.content[0].value
    assert first.media_content[0]["url"] == "https://cdn.example.org/nbk.jpg"
    assert "author" not in second and parsed.feed.author == "Steppe Wire"  # no byline: the newsroom's
    assert "media_content" not in second


def test_the_guid_stays_when_an_article_is_updated_or_renamed() -> None:
    first = article()
    updated = replace(first, slug="tenge-renamed", title="Tenge holds", revision=3, updated_at="2026-11-22T00:00:00Z")
    assert guid(updated) == guid(first)
    assert guid(article("budget")) != guid(first)


def test_a_hostile_title_and_body_stay_text() -> None:
    hostile = article(title=HOSTILE_TITLE, body_html=HOSTILE_BODY, tags=("<b>&</b>",), author="A & B <x>")
    for build in (rss, atom):
        document = build(FEED, [hostile], SITE, link)
        assert "<script>" not in document
        parsed = feedparser.parse(document)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.entries[0].author == "A & B <x>"
        assert parsed.entries[0].tags[1].term == "<b>&</b>"
        assert "]]> inside" in parsed.entries[0].content[0].value


def test_an_empty_feed_is_valid_and_the_same_on_every_request() -> None:
    for build in (rss, atom):
        document = build(FEED, [], SITE, link)
        assert feedparser.parse(document).bozo == 0
        assert document == build(FEED, [], SITE, link)


def _parsed(document: str) -> ET.Element:
    return ET.fromstring(document.encode())


def _texts(root: ET.Element, path: str) -> list[str]:
    return [element.text or "" for element in root.iterfind(path, NS)]


# Text an XML document can carry (no control characters, no surrogates), XML's own characters weighted in.
xml_text = st.text(
    st.one_of(
        st.sampled_from(list("<>&\"']]>;#\n\t ")),
        st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    ),
    min_size=1,
    max_size=60,
)
# Anything at all, control characters and lone surrogates included.
any_text = st.text(st.characters(exclude_categories=()), min_size=1, max_size=60)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(title=xml_text, body=xml_text, tag=xml_text, author=xml_text)
def test_hostile_text_round_trips_through_both_feeds(title: str, body: str, tag: str, author: str) -> None:
    hostile = article(title=title, body_html=body, tags=(tag,), author=author, category=None)
    root = _parsed(rss(FEED, [hostile], SITE, link))
    assert _texts(root, "channel/item/title") == [title]
    assert _texts(root, "channel/item/content:encoded") == [body]
    assert _texts(root, "channel/item/category") == [tag]
    assert feedparser.parse(rss(FEED, [hostile], SITE, link)).bozo == 0
    root = _parsed(atom(FEED, [hostile], SITE, link))
    assert _texts(root, "atom:entry/atom:title") == [title]
    assert _texts(root, "atom:entry/atom:content") == [body]
    assert [element.get("term") for element in root.iterfind("atom:entry/atom:category", NS)] == [tag]
    assert _texts(root, "atom:entry/atom:author/atom:name") == [author]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(title=any_text, body=any_text, tag=any_text)
def test_any_text_at_all_gives_well_formed_feeds_and_sitemaps(title: str, body: str, tag: str) -> None:
    hostile = article(title=title, body_html=body, tags=(tag,), image_alt=tag)
    card = {"slug": "s", "title": title, "lang": "en", "published_at": "2026-11-20T09:30:00Z", "translation_group": tag}
    versions = [Translation("s", "en"), Translation("s-ru", "ru")]
    for document in (
        rss(FEED, [hostile], SITE, link),
        atom(FEED, [hostile], SITE, link),
        news_sitemap([card], {tag.casefold(): versions}, link),
    ):
        root = _parsed(document)  # raises on anything not well-formed
        assert clean(title) in [element.text or "" for element in root.iter()]


def test_the_news_sitemap_names_the_publication_language_and_reciprocal_alternates() -> None:
    cards = [
        {"slug": "tenge-en", "title": "Tenge & rates", "lang": "en", "published_at": "2026-11-25T09:30:00Z",
         "translation_group": "Rate-Decision"},
        {"slug": "tenge-ru", "title": "Тенге", "lang": "ru", "published_at": "2026-11-25T09:00:00Z",
         "translation_group": "rate-decision"},
        {"slug": "alone", "title": "Alone", "lang": "en", "published_at": "2026-11-25T08:00:00Z"},
    ]  # fmt: skip
    groups = {"rate-decision": [Translation("tenge-ru", "ru"), Translation("tenge-en", "en")]}
    root = _parsed(news_sitemap(cards, groups, link))

    urls = root.findall("s:url", NS)
    assert [url.findtext("s:loc", namespaces=NS) for url in urls] == [link("tenge-en"), link("tenge-ru"), link("alone")]
    assert _texts(root, "s:url/news:news/news:publication/news:name") == ["Steppe Wire"] * 3
    assert _texts(root, "s:url/news:news/news:publication/news:language") == ["en", "ru", "en"]
    assert _texts(root, "s:url/news:news/news:title") == ["Tenge & rates", "Тенге", "Alone"]
    assert _texts(root, "s:url/news:news/news:publication_date")[0] == "2026-11-25T09:30:00Z"
    alternates = [
        [(a.get("rel"), a.get("hreflang"), a.get("href")) for a in url.findall("xhtml:link", NS)] for url in urls
    ]
    both = [("alternate", "en", link("tenge-en")), ("alternate", "ru", link("tenge-ru"))]
    assert alternates == [both, both, []]


def test_a_month_sitemap_has_lastmod_and_the_index_lists_months_newest_first() -> None:
    cards = [
        {"slug": "new", "published_at": "2026-11-20T09:30:00Z", "updated_at": "2026-11-21T00:00:00Z"},
        {"slug": "old-card", "published_at": "2026-11-02T09:30:00Z"},  # written before cards had updated_at
    ]
    root = _parsed(month_sitemap(cards, {}, link))
    assert _texts(root, "s:url/s:lastmod") == ["2026-11-21T00:00:00Z", "2026-11-02T09:30:00Z"]
    assert root.findall("s:url/xhtml:link", NS) == []

    months = months_between(datetime(2025, 11, 30, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    assert months == ["2026-02", "2026-01", "2025-12", "2025-11"]
    index = _parsed(sitemap_index(months, SITE))
    assert _texts(index, "s:sitemap/s:loc")[:2] == [f"{SITE}/sitemaps/2026-02.xml", f"{SITE}/sitemaps/2026-01.xml"]


TABLE = "articles"


@pytest.fixture
def store() -> Iterator[DynamoArticleStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoArticleStore(client, TABLE)


def publish(store: DynamoArticleStore, title: str, when: datetime, **fields: Any) -> StoredArticle:
    data = f"---\ntitle: {title}\ndate: {when.isoformat()}\n---\n\nThe National Bank kept its rate.\n".encode()
    parsed = replace(parse_article(data, f"{title}.md"), **fields)
    return store.save(
        parsed,
        slug=parsed.slug,
        source_key=f"incoming/{parsed.slug}.md",
        order="1",
        content_sha256="0" * 64,
        previous=None,
        now=NOW,
    )


def syndication(store: DynamoArticleStore, now: datetime = NOW) -> Syndication:
    return Syndication(store, now=now, site=SITE, path=lambda slug: f"/articles/{slug}")


def test_feeds_and_sitemaps_read_only_public_published_articles(store: DynamoArticleStore) -> None:
    publish(store, "Fresh", NOW - timedelta(hours=1), translation_group="pair", tags=("tenge",))
    publish(store, "Svezhee", NOW - timedelta(hours=2), lang="ru", translation_group="PAIR")
    publish(store, "Two days old", NOW - timedelta(hours=49))
    publish(store, "Last month", datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    publish(store, "Scheduled", NOW + timedelta(minutes=1), tags=("tenge",))
    publish(store, "Draft", NOW - timedelta(hours=3), hidden_reason="draft", tags=("tenge",))

    def titles(document: str) -> list[str]:
        parsed = feedparser.parse(document)
        assert parsed.bozo == 0
        return [entry.title for entry in parsed.entries]

    assert titles(syndication(store).feed("rss", ["lang#en"], FEED)) == ["Fresh", "Two days old", "Last month"]
    assert titles(syndication(store).feed("atom", ["tag#tenge", "lang#en"], FEED)) == ["Fresh"]
    assert titles(syndication(store).feed("rss", ["lang#ru"], FEED)) == ["Svezhee"]
    # A minute later the scheduled article is in.
    later = syndication(store, NOW + timedelta(minutes=1)).feed("rss", ["tag#tenge", "lang#en"], FEED)
    assert titles(later) == ["Scheduled", "Fresh"]

    news = _parsed(syndication(store).news())
    assert _texts(news, "s:url/news:news/news:title") == ["Fresh", "Svezhee"]
    assert len(news.findall("s:url[1]/xhtml:link", NS)) == 2

    november = _parsed(syndication(store).month(2026, 11) or "")
    assert _texts(november, "s:url/s:loc") == [link("fresh"), link("svezhee"), link("two-days-old")]
    october = _parsed(syndication(store).month(2026, 10) or "")
    assert _texts(october, "s:url/s:loc") == [link("last-month")]
    assert syndication(store).month(2026, 12) is None  # has not begun
    index = _parsed(syndication(store).index())
    assert _texts(index, "s:sitemap/s:loc") == [f"{SITE}/sitemaps/2026-11.xml", f"{SITE}/sitemaps/2026-10.xml"]


def test_an_empty_table_has_an_empty_index(store: DynamoArticleStore) -> None:
    assert _parsed(syndication(store).index()).findall("s:sitemap", NS) == []
