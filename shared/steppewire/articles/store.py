"""Where articles live. The publishing domain sees the Protocol; DynamoDB is one implementation.

Table layout (string keys `pk`/`sk`; no Scan on any path):
  `ARTICLE#<slug>` / `ARTICLE`    the full article (sanitized HTML, plain text, metadata, revision)
  `SOURCE#<s3 key>` / `SOURCE`    which slug a file owns, the last applied event's order, content hash
  `LIST#<facet>` / `<published>#<slug>`   one card per listing the article appears in: `all`,
      `lang#en`, `category#economy`, `tag#elections`, `country#kazakhstan` (facet values lower-cased);
      a hidden article (a draft, a private post: `hidden_reason`) has none
  `GROUP#<translation group>` / `<slug>`   one per version of a story (group lower-cased): lang,
      published_at and whether it is hidden
  `REDIRECT#<legacy path>` / `<slug>`   one per old site address of an article (`legacy_path` form):
      published_at and whether it is hidden; two imported sites may share an address (`/?p=1`)
Access patterns: one article = GetItem; a page of articles = BatchGetItem; a listing, newest first = Query
on one `LIST#` partition, descending, with `sk` <= now (scheduled articles stay hidden until their time),
and for a time range (a sitemap's month, the news sitemap's 48 hours) also `sk` >= its start; other filters
of the same request are a FilterExpression on that partition; a story's versions = Query on its `GROUP#`
partition; an old address = Query on its `REDIRECT#` partition. Every publish, update or unpublish is one
TransactWriteItems of the article and all its other items, so readers never see half an article.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, unquote_to_bytes

from botocore.exceptions import ClientError

from steppewire.dynamo_items import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from steppewire.articles.document import Article

# `updated_at` and `translation_group` are for the sitemaps (`<lastmod>`, hreflang alternates).
CARD_FIELDS = (
    "slug", "title", "excerpt", "published_at", "lang", "category", "tags", "country", "updated_at", "translation_group"
)  # fmt: skip
# A save writes the article, its source, cards (4 + MAX_TAGS), a group item and a redirect per path, and deletes
# the old ones that changed: with 20 paths at most 93 actions, within DynamoDB's 100 per transaction.
MAX_LEGACY_PATHS = 20
# A legacy path is a partition key: DynamoDB's limit is 2,048 bytes, and the normal form is ASCII.
MAX_PATH_CHARS = 2000
_ORIGIN = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[^/?#]*", re.IGNORECASE)
# Old links shared on social media carry these; they never tell one article from another.
_TRACKING = re.compile(r"utm_.*|fbclid|gclid|yclid|_ga", re.IGNORECASE)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in sort keys."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def listing_key(moment: datetime) -> str:
    """The greatest listing sort key of an article published at or before `moment` (any slug)."""
    return timestamp(moment) + "#\uffff"


def listing_facets(article: StoredArticle) -> list[str]:
    facets = ["all", f"lang#{article.lang}"]
    for name, value in (("category", article.category), ("country", article.country)):
        if value:
            facets.append(f"{name}#{value.casefold()}")
    facets += [f"tag#{tag.casefold()}" for tag in article.tags]
    return facets


def legacy_path(address: str) -> str | None:
    """The one form in which an old site address is stored and looked up: a full URL is cut to its path and
    query; the fragment, empty segments and a trailing slash go; percent-encoding is made uniform (every
    byte but letters, digits and `-._~` encoded, in upper case), so `/2025/03/20/old-slug/` and
    `https://old.example/2025/03/20/old-slug` are one path; query parameters are sorted, tracking ones
    dropped, and otherwise kept (`/?p=101`). None when nothing is left but the home page, or the result
    is longer than MAX_PATH_CHARS: no article can live there."""
    text = address.strip()
    if origin := _ORIGIN.match(text):
        text = text[origin.end() :]
    path, _, query = text.partition("#")[0].partition("?")
    segments = [_encoded(segment) for segment in path.split("/") if segment]
    parameters = sorted(_parameter(part) for part in query.split("&") if part.partition("=")[0])
    parameters = [part for part in parameters if not _TRACKING.fullmatch(part.partition("=")[0])]
    normal = "/" + "/".join(segments) + ("?" + "&".join(parameters) if parameters else "")
    return normal if normal != "/" and len(normal) <= MAX_PATH_CHARS else None


def _encoded(text: str, *, plus_is_space: bool = False) -> str:
    if plus_is_space:  # as PHP (WordPress) reads a query
        text = text.replace("+", " ")
    # Lone surrogates (from \ud800 in a JSON event) pass through as bytes: any text has a normal form.
    return quote(unquote_to_bytes(text.encode("utf-8", "surrogatepass")), safe="")


def _parameter(part: str) -> str:
    name, _, value = part.partition("=")
    return f"{_encoded(name, plus_is_space=True)}={_encoded(value, plus_is_space=True)}"


@dataclass(frozen=True)
class SourceState:
    slug: str | None  # None once unpublished
    order: str
    content_sha256: str | None


@dataclass(frozen=True)
class StoredArticle:
    """An article as the table holds it; `to_item`/`from_item` are its only conversions to and from DynamoDB."""

    slug: str
    title: str
    published_at: str  # fixed-width UTC text (`timestamp`), so string order is time order
    lang: str
    author: str | None
    category: str | None
    tags: tuple[str, ...]
    country: str | None
    summary: str | None
    image: str | None
    image_alt: str | None
    body_html: str
    excerpt: str
    text: str
    revision: int
    source_key: str
    content_sha256: str
    created_at: str
    updated_at: str
    translation_group: str | None = None
    hidden_reason: str | None = None  # None: public
    legacy_paths: tuple[str, ...] = ()  # in `legacy_path` form

    @classmethod
    def of(
        cls, article: Article, *, slug: str, source_key: str, sha: str, previous: StoredArticle | None, now: datetime
    ) -> StoredArticle:
        """The next revision of `previous` (or the first one), with the checked article's content. Raises
        ValueError for more than MAX_LEGACY_PATHS legacy paths (addresses no article can have are dropped)."""
        paths = tuple(dict.fromkeys(path for path in map(legacy_path, article.legacy_paths) if path))
        if len(paths) > MAX_LEGACY_PATHS:
            raise ValueError(f"{len(paths)} legacy paths for '{slug}'; at most {MAX_LEGACY_PATHS} fit a transaction")
        updated_at = timestamp(now)
        return cls(
            slug=slug,
            title=article.title,
            published_at=timestamp(article.published_at),
            lang=article.lang,
            author=article.author,
            category=article.category,
            tags=article.tags,
            country=article.country,
            summary=article.summary,
            image=article.image,
            image_alt=article.image_alt,
            body_html=article.body_html,
            excerpt=article.excerpt,
            text=article.text,
            revision=previous.revision + 1 if previous else 1,
            source_key=source_key,
            content_sha256=sha,
            created_at=previous.created_at if previous else updated_at,
            updated_at=updated_at,
            translation_group=article.translation_group,
            hidden_reason=article.hidden_reason,
            legacy_paths=paths,
        )

    def to_item(self) -> dict[str, Any]:
        return {"pk": f"ARTICLE#{self.slug}", "sk": "ARTICLE", **asdict(self), "tags": list(self.tags)}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> StoredArticle:
        values: dict[str, Any] = {name: item.get(name) for name in _STORED_FIELDS}
        lists = {name: tuple(item.get(name) or ()) for name in ("tags", "legacy_paths")}
        return cls(**values | lists | {"revision": int(item["revision"])})

    @property
    def public(self) -> bool:
        return self.hidden_reason is None

    @property
    def card(self) -> dict[str, Any]:
        """What a listing shows of it."""
        return {name: getattr(self, name) for name in CARD_FIELDS} | {"tags": list(self.tags)}


@dataclass(frozen=True)
class Translation:
    """Another version of a story, public and published."""

    slug: str
    lang: str


class SlugTaken(Exception):
    def __init__(self, slug: str, owner: str) -> None:
        super().__init__(f"slug '{slug}' is already used by {owner}")
        self.slug = slug
        self.owner = owner


class OutOfOrder(Exception):
    """A newer event for the same file was applied already; this one must change nothing."""


class ArticleStore(Protocol):
    def source_state(self, source_key: str) -> SourceState | None: ...

    def article(self, slug: str) -> StoredArticle | None:
        """The stored article, hidden or not."""
        ...

    def public_article(self, slug: str) -> StoredArticle | None:
        """The article unless it is hidden (scheduled ones included)."""
        ...

    def save(
        self,
        article: Article,
        *,
        slug: str,
        source_key: str,
        order: str,
        content_sha256: str,
        previous: StoredArticle | None,
        now: datetime,
    ) -> StoredArticle:
        """Publish or replace; raises SlugTaken or OutOfOrder and then writes nothing."""
        ...

    def remove(self, *, source_key: str, order: str, previous: StoredArticle | None) -> None:
        """Unpublish; raises OutOfOrder and then writes nothing."""
        ...

    def listing(
        self, facets: Sequence[str], *, before: str, limit: int, start_after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Cards carrying every facet, newest first, sort key <= `before`; the page and, if more remain,
        the sort key to continue after."""
        ...

    def translations(self, group: str, *, before: str) -> list[Translation]:
        """The versions in this translation group that are public and published at or before `before`."""
        ...

    def redirect(self, address: str, *, before: str) -> str | None:
        """The slug of the public article, published at or before `before`, that an old site address (any
        form `legacy_path` takes) leads to; the earliest published if two imported sites shared it."""
        ...


def _group_pk(group: str) -> str:
    return f"GROUP#{group.casefold()}"


def _cards(article: StoredArticle) -> list[dict[str, Any]]:
    if not article.public:
        return []  # so a hidden article is in no listing
    sort_key = f"{article.published_at}#{article.slug}"
    facets = listing_facets(article)
    # Each card carries all its facets, so a second filter is one `contains` on the chosen partition.
    card = article.card | {"facets": facets}
    return [{"pk": f"LIST#{facet}", "sk": sort_key, **card} for facet in facets]


def _pointers(article: StoredArticle) -> list[dict[str, Any]]:
    """Its translation group and redirect items: what readers of those need to know of it."""
    state = {
        "slug": article.slug,
        "lang": article.lang,
        "published_at": article.published_at,
        "hidden": not article.public,
    }
    pks = [f"REDIRECT#{path}" for path in article.legacy_paths]
    if article.translation_group:
        pks.append(_group_pk(article.translation_group))
    return [{"pk": pk, "sk": article.slug, **state} for pk in pks]


def _derived(article: StoredArticle) -> list[dict[str, Any]]:
    """Every item besides the article's own, written and deleted with it."""
    return _cards(article) + _pointers(article)


def _visible(items: Sequence[Mapping[str, Any]], before: str) -> list[Mapping[str, Any]]:
    return [item for item in items if not item["hidden"] and item["published_at"] <= before]


class DynamoArticleStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self._client.get_item(TableName=self._table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True)
        return from_item(found["Item"]) if "Item" in found else None

    def source_state(self, source_key: str) -> SourceState | None:
        item = self._get(f"SOURCE#{source_key}", "SOURCE")
        if item is None:
            return None
        return SourceState(item.get("slug"), str(item["order"]), item.get("content_sha256"))

    def article(self, slug: str) -> StoredArticle | None:
        item = self._get(f"ARTICLE#{slug}", "ARTICLE")
        return StoredArticle.from_item(item) if item else None

    def public_article(self, slug: str) -> StoredArticle | None:
        stored = self.article(slug)
        return stored if stored is not None and stored.public else None

    def _source_put(self, source_key: str, order: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item({"pk": f"SOURCE#{source_key}", "sk": "SOURCE", "order": order, **fields}),
                "ConditionExpression": "attribute_not_exists(pk) OR #order < :order",
                "ExpressionAttributeNames": {"#order": "order"},
                "ExpressionAttributeValues": to_item({":order": order}),
            }
        }

    def _deletes(self, article: StoredArticle | None) -> list[dict[str, Any]]:
        if article is None:
            return []
        keys = [{"pk": item["pk"], "sk": item["sk"]} for item in _derived(article)]
        keys.append({"pk": f"ARTICLE#{article.slug}", "sk": "ARTICLE"})
        return [{"Delete": {"TableName": self._table, "Key": to_item(key)}} for key in keys]

    def _transact(self, actions: Sequence[dict[str, Any]]) -> int | None:
        """Runs the transaction; returns the index of the action whose condition failed, if one did."""
        try:
            self._client.transact_write_items(TransactItems=list(actions))  # type: ignore[arg-type]
            return None
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            failed = [i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"]
            if not failed:
                raise  # conflicts and throttling are transient: the message is retried
            return failed[0]

    def save(
        self,
        article: Article,
        *,
        slug: str,
        source_key: str,
        order: str,
        content_sha256: str,
        previous: StoredArticle | None,
        now: datetime,
    ) -> StoredArticle:
        stored = StoredArticle.of(
            article, slug=slug, source_key=source_key, sha=content_sha256, previous=previous, now=now
        )
        item = stored.to_item()
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(item),
                    # A slug belongs to one file: another file claiming it is refused, not merged.
                    "ConditionExpression": "attribute_not_exists(pk) OR source_key = :source",
                    "ExpressionAttributeValues": to_item({":source": source_key}),
                }
            },
            self._source_put(source_key, order, {"slug": slug, "content_sha256": content_sha256}),
        ]
        derived = _derived(stored)
        new_keys = {(other["pk"], other["sk"]) for other in derived} | {(item["pk"], item["sk"])}
        actions += [
            delete
            for delete in self._deletes(previous)
            if (delete["Delete"]["Key"]["pk"]["S"], delete["Delete"]["Key"]["sk"]["S"]) not in new_keys
        ]
        actions += [{"Put": {"TableName": self._table, "Item": to_item(other)}} for other in derived]
        failed = self._transact(actions)
        if failed == 0:
            owner = self.article(slug)
            raise SlugTaken(slug, owner.source_key if owner else "another file")
        if failed == 1:
            raise OutOfOrder()
        return stored

    def remove(self, *, source_key: str, order: str, previous: StoredArticle | None) -> None:
        actions = [self._source_put(source_key, order, {"slug": None, "content_sha256": None})]
        actions += self._deletes(previous)
        if self._transact(actions) is not None:
            raise OutOfOrder()

    def listing(
        self,
        facets: Sequence[str],
        *,
        before: str,
        limit: int,
        start_after: str | None,
        since: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Cards carrying every facet, newest first, `since` <= sort key <= `before`; the page and, if more
        remain, the sort key to continue after."""
        partition, *others = facets
        values: dict[str, Any] = {":pk": f"LIST#{partition}", ":before": before}
        values |= {f":f{index}": facet for index, facet in enumerate(others)}
        if since is not None:
            if since > before:
                return [], None  # DynamoDB refuses an empty BETWEEN
            values[":since"] = since
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND " + ("sk BETWEEN :since AND :before" if since else "sk <= :before"),
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,
        }
        if others:
            request["FilterExpression"] = " AND ".join(f"contains(facets, :f{i})" for i in range(len(others)))
        if start_after:
            request["ExclusiveStartKey"] = to_item({"pk": f"LIST#{partition}", "sk": start_after})
        cards: list[dict[str, Any]] = []
        while True:
            # One more than needed tells whether another page exists without a second read.
            page = self._client.query(**request, Limit=limit + 1 - len(cards))
            cards += [from_item(item) for item in page["Items"]]
            if len(cards) > limit or "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        more = len(cards) > limit
        cards = cards[:limit]
        return cards, (str(cards[-1]["sk"]) if more and cards else None)

    def oldest_listed(self, *, before: str) -> str | None:
        """The publication time of the oldest public article published at or before `before`, if any."""
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk <= :before",
            ExpressionAttributeValues=to_item({":pk": "LIST#all", ":before": before}),
            ScanIndexForward=True,
            Limit=1,
        )
        return str(from_item(page["Items"][0])["published_at"]) if page["Items"] else None

    def articles(self, slugs: Sequence[str]) -> list[StoredArticle]:
        """These articles, in this order, hidden or not; a slug no longer stored is left out."""
        from steppewire.search.index_store import DynamoIndexTable

        # The index's batched reader (BatchGetItem by 100 keys, unprocessed keys retried with backoff) is
        # generic over `pk`/`sk`: reused on this table rather than written twice.
        keys = [(f"ARTICLE#{slug}", "ARTICLE") for slug in slugs]
        found = DynamoIndexTable(self._client, self._table).get_many(keys)
        return [StoredArticle.from_item(found[key]) for key in keys if key in found]

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        """A group's versions or an address's articles: a handful of small items, one page."""
        page = self._client.query(
            TableName=self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=to_item({":pk": pk})
        )
        return [from_item(item) for item in page["Items"]]

    def translations(self, group: str, *, before: str) -> list[Translation]:
        members = _visible(self._partition(_group_pk(group)), before)
        return [Translation(str(member["slug"]), str(member["lang"])) for member in members]

    def redirect(self, address: str, *, before: str) -> str | None:
        path = legacy_path(address)
        targets = _visible(self._partition(f"REDIRECT#{path}"), before) if path else []
        if not targets:
            return None
        return str(min(targets, key=lambda target: (target["published_at"], target["slug"]))["slug"])


_STORED_FIELDS = tuple(spec.name for spec in fields(StoredArticle))
