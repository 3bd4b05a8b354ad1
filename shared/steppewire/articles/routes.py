"""HTTP routes of the articles API: the newest-first listing with filters, one article by slug (with its
translations), where an address of the old site now leads, and the feeds and sitemaps."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseContentSchema
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from steppewire.api.http_caching import CLOSED, EDITORIAL, SYNDICATION, Freshness, cacheable
from steppewire.api.resolver import BadRequest, ErrorBody, NotFound, documented
from steppewire.articles.store import MAX_PATH_CHARS, listing_key, timestamp
from steppewire.articles.syndication import (
    CONTENT_TYPES,
    FEED_SIZE,
    MEDIA_TYPES,
    PUBLICATION,
    Feed,
    FeedFormat,
    Syndication,
)
from steppewire.settings import ArticlesApiSettings, load_settings
from steppewire.wiring import article_reader, utc_now

router = APIGatewayRouter()
DEFAULT_PAGE = 20
MAX_PAGE = 100
# The listing partition is the most selective filter given; the others filter that partition.
FACET_PRIORITY = ("tag", "category", "country", "lang")


class ArticleCard(BaseModel):
    slug: str
    title: str
    excerpt: str
    published_at: str = Field(description="UTC, ISO 8601")
    lang: Literal["en", "ru"]
    category: str | None
    tags: list[str]
    country: str | None


class ArticlePage(BaseModel):
    items: list[ArticleCard]
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class ArticleLink(BaseModel):
    slug: str
    url: str = Field(description="The article's path in this API: /articles/<slug>")


class TranslationLink(ArticleLink):
    lang: Literal["en", "ru"]


class ArticleView(ArticleCard):
    summary: str | None
    author: str | None
    image: str | None
    image_alt: str | None = Field(description="What the image shows, for readers who cannot see it")
    body_html: str = Field(description="Sanitized HTML")
    revision: int
    created_at: str
    updated_at: str
    translations: list[TranslationLink] = Field(
        description="The other versions of this story (other languages) that are published; empty if none"
    )


def _url(slug: str) -> str:
    return f"/articles/{slug}"


def _encode_cursor(facets: list[str], after: str) -> str:
    raw = json.dumps({"facets": facets, "after": after}, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, facets: list[str]) -> str:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after, cursor_facets = decoded["after"], decoded["facets"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise BadRequest("cursor", "'cursor' is not one this API gave out; start again without it") from error
    if cursor_facets != facets or not isinstance(after, str):
        raise BadRequest("cursor", "'cursor' belongs to a listing with other filters; start again without it")
    return after


def _facets(given: dict[str, str | None]) -> list[str]:
    return [f"{name}#{value.strip().casefold()}" for name in FACET_PRIORITY if (value := given.get(name))] or ["all"]


def _card(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item.get(name) for name in ArticleCard.model_fields} | {"tags": item.get("tags") or []}


@router.get(
    "/articles",
    summary="Published articles, newest first",
    tags=["articles"],
    responses=documented(ArticlePage, 400),
    middlewares=[cacheable(EDITORIAL)],
)
def list_articles(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (1-{MAX_PAGE})")] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=2000, description="From the previous page")] = None,
    lang: Annotated[Literal["en", "ru"] | None, Query()] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    country: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> ArticlePage:
    facets = _facets({"tag": tag, "category": category, "country": country, "lang": lang})
    after = _decode_cursor(cursor, facets) if cursor else None
    # Scheduled articles (dated in the future) stay out of every listing until their time.
    cards, last = article_reader().listing(facets, before=listing_key(utc_now()), limit=limit, start_after=after)
    return ArticlePage(
        items=[ArticleCard(**_card(card)) for card in cards],
        limit=limit,
        next_cursor=_encode_cursor(facets, last) if last else None,
    )


def _version(article: dict[str, Any]) -> object:
    return article["slug"], article["revision"], [link["slug"] for link in article["translations"]]


@router.get(
    "/articles/<slug>",
    summary="One published article",
    tags=["articles"],
    responses=documented(ArticleView, 404),
    # Its translations' links are part of it: one published later changes the answer, not the revision.
    middlewares=[cacheable(EDITORIAL, version=_version, last_modified=lambda a: a["updated_at"])],
)
def get_article(
    slug: Annotated[str, Path(min_length=1, max_length=80, description="The article's slug")],
) -> ArticleView:
    reader = article_reader()
    now = timestamp(datetime.now(UTC))
    stored = reader.public_article(slug)  # a hidden one (a draft, a private post) is as absent as a missing one
    if stored is None or stored.published_at > now:
        raise NotFound(f"No published article '{slug}'")
    group = stored.translation_group
    versions = reader.translations(group, before=now) if group else []
    translations = [
        TranslationLink(slug=version.slug, url=_url(version.slug), lang=version.lang)
        for version in versions
        if version.slug != stored.slug
    ]
    fields = {name: getattr(stored, name) for name in ArticleView.model_fields if name != "translations"}
    return ArticleView(**fields | stored.card, translations=translations)


@router.get(
    "/redirects",
    summary="Where an address of the old site now is",
    tags=["articles"],
    responses=documented(ArticleLink, 404),
    middlewares=[cacheable(EDITORIAL)],
)
def find_redirect(
    path: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_PATH_CHARS,
            description="An old permalink, as a path (/2025/03/20/old-slug/, /?p=101) or a full URL",
        ),
    ],
) -> ArticleLink:
    slug = article_reader().redirect(path, before=timestamp(datetime.now(UTC)))
    if slug is None:
        raise NotFound("No published article was at the old address given in 'path'")
    return ArticleLink(slug=slug, url=_url(slug))


FeedFacet = Literal["category", "tag", "country"]
_FEED_FILE = r"\.(rss|atom)$"


def _xml_answers(*content_types: str, errors: tuple[int, ...] = ()) -> dict[int, OpenAPIResponse]:
    """A route answering XML: its 200 as text of these types, and the errors' JSON bodies."""
    answers = documented(ErrorBody, *errors)
    xml: OpenAPIResponseContentSchema = {"schema": {"type": "string"}}
    answers[200] = {"description": "Successful Response", "content": dict.fromkeys(content_types, xml)}
    return answers


def _site() -> str:
    """The public address articles' paths hang off: the `PublicBaseUrl` setting, else where this request came
    in (straight at API Gateway the stage is part of every address; a custom domain has none)."""
    configured: str = load_settings(ArticlesApiSettings).public_base_url
    if configured:
        return configured.rstrip("/")
    event = router.current_event
    context = event.request_context
    host = str(event.headers.get("Host") or context.domain_name)
    stage = f"/{context.stage}" if host == context.domain_name else ""
    return f"{event.headers.get('X-Forwarded-Proto', 'http')}://{host}{stage}"


def _syndication() -> tuple[Syndication, str]:
    site = _site()
    return Syndication(article_reader(), now=utc_now(), site=site, path=_url), site


def _feed(feed_format: FeedFormat, lang: str, facets: list[str], title: str) -> Response[str]:
    syndication, site = _syndication()
    feed = Feed(title=title, lang=lang, self_url=site + quote(router.current_event.path))
    return Response(200, CONTENT_TYPES[feed_format], syndication.feed(feed_format, facets, feed))


def _format(feed: str) -> FeedFormat:
    return "rss" if feed.endswith(".rss") else "atom"


@router.get(
    "/feeds/<feed>",
    summary=f"The latest {FEED_SIZE} public articles in one language, as RSS 2.0 or Atom",
    tags=["feeds"],
    responses=_xml_answers(MEDIA_TYPES["rss"], MEDIA_TYPES["atom"]),
    middlewares=[cacheable(SYNDICATION)],
)
def language_feed(
    feed: Annotated[
        str, Path(pattern=r"^(en|ru)" + _FEED_FILE, description="`en.rss`, `en.atom`, `ru.rss` or `ru.atom`")
    ],
) -> Response[str]:
    lang = feed.partition(".")[0]
    return _feed(_format(feed), lang, _facets({"lang": lang}), f"{PUBLICATION} ({lang})")


@router.get(
    "/feeds/<lang>/<facet>/<feed>",
    summary=f"The latest {FEED_SIZE} public articles in one language of a category, tag or country, as RSS or Atom",
    tags=["feeds"],
    responses=_xml_answers(MEDIA_TYPES["rss"], MEDIA_TYPES["atom"]),
    middlewares=[cacheable(SYNDICATION)],
)
def facet_feed(
    lang: Annotated[Literal["en", "ru"], Path()],
    facet: Annotated[FeedFacet, Path(description="What the value is: " + ", ".join(get_args(FeedFacet)))],
    feed: Annotated[
        str,
        Path(
            pattern=r"^\s*\S.{0,99}" + _FEED_FILE,
            description="The category, tag or country (as in the articles, case ignored), then `.rss` or `.atom`: "
            "`Economy.rss`, `national bank.atom`",
        ),
    ],
) -> Response[str]:
    value = feed.rpartition(".")[0]
    title = f"{PUBLICATION} ({lang}): {value.strip()}"
    return _feed(_format(feed), lang, _facets({facet: value, "lang": lang}), title)


@router.get(
    "/sitemaps/news.xml",
    summary="Google News sitemap: the articles published in the last 48 hours (at most 1,000)",
    tags=["sitemaps"],
    responses=_xml_answers(MEDIA_TYPES["sitemap"]),
    middlewares=[cacheable(SYNDICATION)],
)
def news_sitemap() -> Response[str]:
    return Response(200, CONTENT_TYPES["sitemap"], _syndication()[0].news())


@router.get(
    "/sitemaps/index.xml",
    summary="Sitemap index: one sitemap per month (UTC) from the oldest public article to this month",
    tags=["sitemaps"],
    responses=_xml_answers(MEDIA_TYPES["sitemap"]),
    middlewares=[cacheable(EDITORIAL)],
)
def sitemap_index() -> Response[str]:
    return Response(200, CONTENT_TYPES["sitemap"], _syndication()[0].index())


def _year_month(month: str) -> tuple[int, int]:
    """`yyyy-mm.xml` as the year and the month's number."""
    return int(month[:4]), int(month[5:7])


def _month_freshness(month: str) -> Freshness:
    """A month before this one (UTC) is closed: its sitemap changes only with an edit or a backdated import."""
    now = utc_now()
    return CLOSED if _year_month(month) < (now.year, now.month) else EDITORIAL


@router.get(
    "/sitemaps/<month>",
    summary="The sitemap of one month (UTC): every public article published in it, with hreflang alternates",
    tags=["sitemaps"],
    responses=_xml_answers(MEDIA_TYPES["sitemap"], errors=(404,)),
    middlewares=[cacheable(lambda arguments: _month_freshness(arguments["month"]))],
)
def month_sitemap(
    month: Annotated[str, Path(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])\.xml$", description="`yyyy-mm.xml`")],
) -> Response[str]:
    body = _syndication()[0].month(*_year_month(month))
    if body is None:
        raise NotFound(f"No sitemap for {month[:7]}: that month has not begun")
    return Response(200, CONTENT_TYPES["sitemap"], body)
