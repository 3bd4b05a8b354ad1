"""HTTP route of the search API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from steppewire.api.http_caching import SEARCH_RESULTS, cacheable
from steppewire.api.resolver import BadRequest, documented
from steppewire.search.engine import SearchRequest
from steppewire.wiring import search_engine

router = APIGatewayRouter()
MAX_PER_PAGE = 50
MAX_QUERY_CHARS = 500
MAX_PAGE = 1000


class SearchHit(BaseModel):
    slug: str
    title: str
    title_highlighted: str = Field(description="HTML: the title escaped, matched words in <mark>")
    snippet: str = Field(description="HTML: a passage of the text escaped, matched words in <mark>")
    date: str = Field(description="Publication time, UTC ISO 8601")
    lang: str
    category: str | None
    country: str | None
    score: float
    missing: list[str] = Field(description="The query words this article does not match (a partial match)")


class SearchResponse(BaseModel):
    total: int = Field(description="Exact number of articles in this answer, over all its pages")
    page: int
    per_page: int
    matched: Literal["all", "partial"] = Field(
        description="all: every article shown matches every word (some maybe through a correction); partial:"
        " fewer than a page did, so the answer goes on with the articles that match the most words"
    )
    optional: list[str] = Field(description="The query words that some article shown does not match")
    corrections: dict[str, str] = Field(description="A word as typed -> the indexed word it was also matched as")
    did_you_mean: str | None = Field(description="The query with its corrections, when they found more")
    results: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(description="Counts by lang, category and country over all matches")


@router.get(
    "/search",
    summary="Ranked, highlighted article search in English and Russian",
    tags=["search"],
    responses=documented(SearchResponse, 400),
    middlewares=[cacheable(SEARCH_RESULTS)],
)
def search(
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Words, or a question; articles with every word first, then those with the most",
        ),
    ],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description=f"1-{MAX_PER_PAGE}")] = 10,
    lang: Annotated[Literal["en", "ru"] | None, Query()] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    country: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    from_date: Annotated[dt.date | None, Query(alias="from")] = None,
    to_date: Annotated[dt.date | None, Query(alias="to")] = None,
    sort: Annotated[Literal["relevance", "date"], Query()] = "relevance",
) -> SearchResponse:
    if not q.strip():
        raise BadRequest("q", "'q' is empty: type at least one word")
    if from_date and to_date and from_date > to_date:
        raise BadRequest("from", f"'from' ({from_date}) is after 'to' ({to_date})")
    request = SearchRequest(q, page, per_page, lang, category, country, tag, from_date, to_date, sort)
    result = search_engine().search(request)
    return SearchResponse(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        matched=result.matched,
        optional=list(result.optional),
        corrections=result.corrections,
        did_you_mean=result.did_you_mean,
        results=[
            SearchHit(
                slug=hit.slug,
                title=hit.title,
                title_highlighted=hit.title_highlighted,
                snippet=hit.snippet,
                date=hit.published_at,
                lang=hit.lang,
                category=hit.category,
                country=hit.country,
                score=hit.score,
                missing=list(hit.missing),
            )
            for hit in result.hits
        ],
        facets=result.facets,
    )
