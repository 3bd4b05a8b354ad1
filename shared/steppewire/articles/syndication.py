"""RSS 2.0 and Atom feeds, the Google News sitemap, monthly sitemaps and their index, computed at request
time from the articles table's listings (no Scan): hidden articles have no listing cards, and every read
is bounded by the clock, so a scheduled article appears at its time and not before.

The XML is built as an element tree and serialized by the standard library, so every title, tag and body is
text (escaped, `]]>` included) and the output is well-formed; characters XML 1.0 cannot carry at all
(control characters, lone surrogates) are dropped on the way in.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal, Protocol

from steppewire.articles.store import StoredArticle, Translation, listing_key, timestamp

PUBLICATION = "Steppe Wire"
FEED_SIZE = 50
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000  # Google News reads at most 1,000 URLs per news sitemap
SITEMAP_LIMIT = 50_000  # the sitemaps protocol's limit per file
MONTH_SITEMAP_PATH = "/sitemaps/{month}.xml"  # month: yyyy-mm

FeedFormat = Literal["rss", "atom"]
MEDIA_TYPES: Mapping[str, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "sitemap": "application/xml",
}
CONTENT_TYPES: Mapping[str, str] = {kind: f"{media}; charset=utf-8" for kind, media in MEDIA_TYPES.items()}

_ATOM = "http://www.w3.org/2005/Atom"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_DC = "http://purl.org/dc/elements/1.1/"
_MEDIA = "http://search.yahoo.com/mrss/"
_SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
_XHTML = "http://www.w3.org/1999/xhtml"
# Elements are named with these prefixes, declared on the root (ElementTree's own namespace handling cannot
# give the plain `<urlset xmlns="…">` or `<feed xmlns="…">` that sitemap and feed readers expect).
_NAMESPACES = {"atom": _ATOM, "content": _CONTENT, "dc": _DC, "media": _MEDIA, "news": _NEWS, "xhtml": _XHTML}
# Not allowed anywhere in an XML 1.0 document, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Stable guids: one per source file, so an update (even a new slug) keeps an entry's identity.
_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://steppewire/articles")


class Shelf(Protocol):
    """What the feeds read of the articles table (DynamoArticleStore)."""

    def listing(
        self, facets: Sequence[str], *, before: str, limit: int, start_after: str | None, since: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]: ...

    def articles(self, slugs: Sequence[str]) -> list[StoredArticle]: ...

    def translations(self, group: str, *, before: str) -> list[Translation]: ...

    def oldest_listed(self, *, before: str) -> str | None: ...


@dataclass(frozen=True)
class Feed:
    """One feed's identity: its title, its language and its own address."""

    title: str
    lang: str
    self_url: str


def clean(text: str) -> str:
    """Text as an XML parser will read it back: without what XML cannot carry, line ends as `\\n`."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: clean(value) for name, value in attributes.items()})
    if text is not None:
        element.text = clean(text)
    return element


def _declare(*prefixes: str) -> dict[str, str]:
    return {f"xmlns:{prefix}": _NAMESPACES[prefix] for prefix in prefixes}


def _document(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def guid(article: StoredArticle) -> str:
    return f"urn:uuid:{uuid.uuid5(_GUID_NAMESPACE, article.source_key)}"


def _summary(article: StoredArticle) -> str:
    return article.summary or article.excerpt


def _newest(articles: Sequence[StoredArticle]) -> str:
    # An empty feed has no moment of its own; the epoch keeps its document the same from request to request.
    return max((article.updated_at for article in articles), default=timestamp(datetime.fromtimestamp(0, UTC)))


def _media(item: ET.Element, article: StoredArticle) -> None:
    if article.image:
        media = _add(item, "media:content", url=article.image, medium="image")
        if article.image_alt:
            _add(media, "media:description", article.image_alt)


def rss(feed: Feed, articles: Sequence[StoredArticle], site: str, link: Callable[[str], str]) -> str:
    root = ET.Element("rss", {"version": "2.0", **_declare("atom", "content", "dc", "media")})
    channel = _add(root, "channel", **{"xml:base": site})  # as in `atom`
    _add(channel, "title", feed.title)
    _add(channel, "link", site)
    _add(channel, "description", f"{feed.title}: the latest {FEED_SIZE} articles")
    _add(channel, "language", feed.lang)
    _add(channel, "lastBuildDate", format_datetime(datetime.fromisoformat(_newest(articles))))
    _add(channel, "atom:link", href=feed.self_url, rel="self", type=MEDIA_TYPES["rss"])
    for article in articles:
        item = _add(channel, "item")
        _add(item, "title", article.title)
        _add(item, "link", link(article.slug))
        _add(item, "guid", guid(article), isPermaLink="false")
        _add(item, "pubDate", format_datetime(datetime.fromisoformat(article.published_at)))
        _add(item, "atom:updated", article.updated_at)
        if article.author:
            _add(item, "dc:creator", article.author)
        for term in _terms(article):
            _add(item, "category", term)
        _add(item, "description", _summary(article))
        _add(item, "content:encoded", article.body_html)
        _media(item, article)
    return _document(root)


def atom(feed: Feed, articles: Sequence[StoredArticle], site: str, link: Callable[[str], str]) -> str:
    # xml:base: the bodies' site-relative links (`/articles/…`) are the site's.
    root = ET.Element("feed", {"xmlns": _ATOM, "xml:lang": feed.lang, "xml:base": site, **_declare("media")})
    _add(root, "id", feed.self_url)
    _add(root, "title", feed.title)
    _add(root, "updated", _newest(articles))
    _add(root, "link", href=site, rel="alternate")
    _add(root, "link", href=feed.self_url, rel="self", type=MEDIA_TYPES["atom"])
    # Atom wants an author for every entry: an article without a byline is the newsroom's.
    _add(_add(root, "author"), "name", PUBLICATION)
    for article in articles:
        entry = _add(root, "entry")
        _add(entry, "id", guid(article))
        _add(entry, "title", article.title, type="text")
        _add(entry, "link", href=link(article.slug), rel="alternate")
        _add(entry, "published", article.published_at)
        _add(entry, "updated", article.updated_at)
        if article.author:
            _add(_add(entry, "author"), "name", article.author)
        for term in _terms(article):
            _add(entry, "category", term=term)
        _add(entry, "summary", _summary(article), type="text")
        _add(entry, "content", article.body_html, type="html")
        _media(entry, article)
    return _document(root)


def _terms(article: StoredArticle) -> list[str]:
    return list(dict.fromkeys([*([article.category] if article.category else []), *article.tags]))


def _alternates(url: ET.Element, versions: Sequence[Translation], link: Callable[[str], str]) -> None:
    """Every public version of the story, this one included (Google wants the set on each of them), so the
    alternates are reciprocal; a story in one language has none."""
    if len(versions) > 1:
        for version in sorted(versions, key=lambda version: (version.lang, version.slug)):
            _add(url, "xhtml:link", rel="alternate", hreflang=version.lang, href=link(version.slug))


def news_sitemap(
    cards: Sequence[Mapping[str, Any]], groups: Mapping[str, Sequence[Translation]], link: Callable[[str], str]
) -> str:
    root = ET.Element("urlset", {"xmlns": _SITEMAP, **_declare("news", "xhtml")})
    for card in cards:
        url = _add(root, "url")
        _add(url, "loc", link(card["slug"]))
        news = _add(url, "news:news")
        publication = _add(news, "news:publication")
        _add(publication, "news:name", PUBLICATION)
        _add(publication, "news:language", card["lang"])
        _add(news, "news:publication_date", card["published_at"])
        _add(news, "news:title", card["title"])
        _alternates(url, groups.get(_group(card), ()), link)
    return _document(root)


def month_sitemap(
    cards: Sequence[Mapping[str, Any]], groups: Mapping[str, Sequence[Translation]], link: Callable[[str], str]
) -> str:
    root = ET.Element("urlset", {"xmlns": _SITEMAP, **_declare("xhtml")})
    for card in cards:
        url = _add(root, "url")
        _add(url, "loc", link(card["slug"]))
        # Cards written before they carried `updated_at` have only their publication time.
        _add(url, "lastmod", card.get("updated_at") or card["published_at"])
        _alternates(url, groups.get(_group(card), ()), link)
    return _document(root)


def sitemap_index(months: Iterable[str], site: str) -> str:
    root = ET.Element("sitemapindex", {"xmlns": _SITEMAP})
    for month in months:
        _add(_add(root, "sitemap"), "loc", site + MONTH_SITEMAP_PATH.format(month=month))
    return _document(root)


def _group(card: Mapping[str, Any]) -> str:
    return str(card.get("translation_group") or "").casefold()


def months_between(first: datetime, last: datetime) -> list[str]:
    """Every `yyyy-mm` from `first`'s month to `last`'s, newest first."""
    months: list[str] = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


class Syndication:
    """The feeds and sitemaps of one request: `site` is the public address articles' paths hang off."""

    def __init__(self, shelf: Shelf, *, now: datetime, site: str, path: Callable[[str], str]) -> None:
        self._shelf = shelf
        self._now = now
        self._site = site
        self._path = path

    def link(self, slug: str) -> str:
        return self._site + self._path(slug)

    def feed(self, feed_format: FeedFormat, facets: Sequence[str], feed: Feed) -> str:
        cards, _ = self._shelf.listing(facets, before=listing_key(self._now), limit=FEED_SIZE, start_after=None)
        now = timestamp(self._now)
        stored = self._shelf.articles([card["slug"] for card in cards])
        # Checked again on the articles themselves: one may have been hidden or rescheduled since the listing.
        articles = [article for article in stored if article.public and article.published_at <= now]
        build = rss if feed_format == "rss" else atom
        return build(feed, articles, self._site, self.link)

    def news(self) -> str:
        since = timestamp(self._now - NEWS_WINDOW)
        cards, _ = self._shelf.listing(
            ["all"], before=listing_key(self._now), limit=NEWS_LIMIT, start_after=None, since=since
        )
        return news_sitemap(cards, self._groups(cards), self.link)

    def month(self, year: int, month: int) -> str | None:
        """The month's sitemap (months in UTC); None for a month that has not begun."""
        start = datetime(year, month, 1, tzinfo=UTC)
        if start > self._now:
            return None
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        # `timestamp(end)` sorts before every key of an article published at `end`, the next month's first.
        before = min(timestamp(end), listing_key(self._now))
        cards, _ = self._shelf.listing(
            ["all"], before=before, limit=SITEMAP_LIMIT, start_after=None, since=timestamp(start)
        )
        return month_sitemap(cards, self._groups(cards), self.link)

    def index(self) -> str:
        oldest = self._shelf.oldest_listed(before=listing_key(self._now))
        months = months_between(datetime.fromisoformat(oldest), self._now) if oldest else []
        return sitemap_index(months, self._site)

    def _groups(self, cards: Sequence[Mapping[str, Any]]) -> dict[str, list[Translation]]:
        """The public versions of each translated story shown: one Query per translation group."""
        before = timestamp(self._now)
        wanted = dict.fromkeys(group for card in cards if (group := _group(card)))
        return {group: self._shelf.translations(group, before=before) for group in wanted}
