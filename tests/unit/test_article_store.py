"""The articles table's translation groups, hidden articles and old addresses, on the in-memory store and
on DynamoDB (moto, in process): what readers find after each save and removal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from steppewire.articles.document import Article, parse_article
from steppewire.articles.store import (
    MAX_LEGACY_PATHS,
    ArticleStore,
    DynamoArticleStore,
    StoredArticle,
    Translation,
    timestamp,
)
from steppewire.dynamo_items import to_item
from tests.fakes import InMemoryArticleStore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BEFORE = timestamp(NOW)
TABLE = "articles"


def story(title: str, *, lang: str = "en", date: str = "2026-11-20", **fields: Any) -> Article:
    data = f"---\ntitle: {title}\ndate: {date}\nlang: {lang}\n---\n\nThe National Bank kept its rate.\n".encode()
    return replace(parse_article(data, "story.md"), **fields)


class Desk:
    """Saves and removes as the publisher does: each file's events in order, the previous version passed."""

    def __init__(self, store: ArticleStore) -> None:
        self.store = store
        self._order = 0

    def _next(self, source: str) -> tuple[str, StoredArticle | None]:
        self._order += 1
        state = self.store.source_state(source)
        previous = self.store.article(state.slug) if state is not None and state.slug else None
        return f"{self._order:06d}", previous

    def save(self, source: str, article: Article, slug: str | None = None) -> StoredArticle:
        order, previous = self._next(source)
        slug = slug or article.slug
        return self.store.save(
            article, slug=slug, source_key=source, order=order, content_sha256="0" * 64, previous=previous, now=NOW
        )

    def remove(self, source: str) -> None:
        order, previous = self._next(source)
        self.store.remove(source_key=source, order=order, previous=previous)


def dynamodb_table() -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


@pytest.fixture(params=["memory", "dynamodb"])
def desk(request: pytest.FixtureRequest) -> Iterator[Desk]:
    if request.param == "memory":
        yield Desk(InMemoryArticleStore())
        return
    with mock_aws():
        yield Desk(DynamoArticleStore(dynamodb_table(), TABLE))


@pytest.fixture
def dynamodb() -> Iterator[tuple[Desk, Any]]:
    with mock_aws():
        client = dynamodb_table()
        yield Desk(DynamoArticleStore(client, TABLE)), client


def items(client: Any) -> set[tuple[str, str]]:
    return {(item["pk"]["S"], item["sk"]["S"]) for item in client.scan(TableName=TABLE)["Items"]}


# --- translations ------------------------------------------------------------------------------------


def test_the_versions_of_a_story_find_each_other(desk: Desk) -> None:
    desk.save("en.md", story("Tenge steadies", translation_group="Rate-Decision"))
    desk.save("ru.md", story("Тенге стабилен", lang="ru", translation_group="rate-decision"))
    desk.save("other.md", story("Water summit", translation_group="water"))

    assert desk.store.translations("RATE-DECISION", before=BEFORE) == [
        Translation("tenge-stabilen", "ru"),
        Translation("tenge-steadies", "en"),
    ]


def test_hidden_scheduled_and_removed_versions_are_not_translations(desk: Desk) -> None:
    desk.save("en.md", story("Tenge steadies", translation_group="g"))
    desk.save("draft.md", story("Черновик", lang="ru", translation_group="g", hidden_reason="draft"))
    desk.save("later.md", story("Позже", lang="ru", translation_group="g", date="2099-01-01"))
    desk.save("gone.md", story("Удалено", lang="ru", translation_group="g"))
    desk.remove("gone.md")

    assert desk.store.translations("g", before=BEFORE) == [Translation("tenge-steadies", "en")]
    assert desk.store.translations("g", before="\uffff") == [
        Translation("pozzhe", "ru"),
        Translation("tenge-steadies", "en"),
    ]


def test_a_new_slug_or_group_moves_the_version(desk: Desk) -> None:
    desk.save("ru.md", story("Тенге стабилен", lang="ru", translation_group="g"))
    desk.save("ru.md", story("Тенге стабилен", lang="ru", translation_group="g"), slug="tenge-ru")
    assert desk.store.translations("g", before=BEFORE) == [Translation("tenge-ru", "ru")]

    desk.save("ru.md", story("Тенге стабилен", lang="ru", translation_group="h"), slug="tenge-ru")
    assert desk.store.translations("g", before=BEFORE) == []
    assert desk.store.translations("h", before=BEFORE) == [Translation("tenge-ru", "ru")]


# --- hidden articles ---------------------------------------------------------------------------------


def test_a_hidden_article_is_stored_but_not_public(desk: Desk) -> None:
    stored = desk.save("draft.md", story("Budget leak", hidden_reason="password protected"))

    assert not stored.public
    assert desk.store.article("budget-leak") == stored  # the publisher still sees what it replaces
    assert desk.store.public_article("budget-leak") is None
    published = desk.save("draft.md", replace(story("Budget leak"), hidden_reason=None))
    assert published.public and desk.store.public_article("budget-leak") == published


def test_a_hidden_article_is_in_no_listing(dynamodb: tuple[Desk, Any]) -> None:
    desk, _ = dynamodb
    desk.save("a.md", story("Budget leak", hidden_reason="private", tags=("budget",), category="Economy"))
    assert desk.store.listing(["all"], before="\uffff", limit=10, start_after=None) == ([], None)

    desk.save("a.md", story("Budget leak", tags=("budget",), category="Economy"))
    for facets in (["all"], ["tag#budget"], ["category#economy", "lang#en"]):
        cards, _ = desk.store.listing(facets, before="\uffff", limit=10, start_after=None)
        assert [card["slug"] for card in cards] == ["budget-leak"]

    desk.save("a.md", story("Budget leak", hidden_reason="draft", tags=("budget",), category="Economy"))
    assert desk.store.listing(["tag#budget"], before="\uffff", limit=10, start_after=None) == ([], None)


# --- old addresses -----------------------------------------------------------------------------------

OLD_LINK = "https://steppewire.kz/2025/03/20/old-slug/"


def test_every_spelling_of_an_old_address_leads_to_the_article(desk: Desk) -> None:
    desk.save("a.md", story("Tenge steadies", legacy_paths=(OLD_LINK, "/?p=101")))

    for address in ("/2025/03/20/old-slug/", "/2025/03/20/old-slug", OLD_LINK + "?utm_source=fb", "/?p=101"):
        assert desk.store.redirect(address, before=BEFORE) == "tenge-steadies", address
    assert desk.store.redirect("/?p=102", before=BEFORE) is None
    assert desk.store.redirect("/", before=BEFORE) is None


def test_an_old_address_follows_the_article_and_goes_with_it(desk: Desk) -> None:
    desk.save("a.md", story("Tenge steadies", legacy_paths=(OLD_LINK, "/?p=101")))
    desk.save("a.md", story("Tenge steadies", legacy_paths=("/?p=101",)), slug="tenge-holds")
    assert desk.store.redirect(OLD_LINK, before=BEFORE) is None
    assert desk.store.redirect("/?p=101", before=BEFORE) == "tenge-holds"

    desk.save("a.md", story("Tenge steadies", legacy_paths=("/?p=101",), hidden_reason="draft"), slug="tenge-holds")
    assert desk.store.redirect("/?p=101", before=BEFORE) is None
    desk.save("a.md", story("Tenge steadies", legacy_paths=("/?p=101",), date="2099-01-01"), slug="tenge-holds")
    assert desk.store.redirect("/?p=101", before=BEFORE) is None
    assert desk.store.redirect("/?p=101", before="\uffff") == "tenge-holds"

    desk.remove("a.md")
    assert desk.store.redirect("/?p=101", before="\uffff") is None


def test_an_address_two_imported_sites_shared_leads_to_the_first_published(desk: Desk) -> None:
    desk.save("site-a/101", story("Older story", date="2020-01-01", legacy_paths=("/?p=101",)))
    desk.save("site-b/101", story("Newer story", date="2024-01-01", legacy_paths=("/?p=101",)))
    assert desk.store.redirect("/?p=101", before=BEFORE) == "older-story"

    desk.remove("site-a/101")
    assert desk.store.redirect("/?p=101", before=BEFORE) == "newer-story"  # the other claim was not touched


def test_legacy_paths_are_stored_normalized_once_each_and_bounded() -> None:
    article = story("Tenge steadies", legacy_paths=(OLD_LINK, "/2025/03/20/old-slug", "", "/", "/?p=101"))
    stored = StoredArticle.of(article, slug="tenge-steadies", source_key="a.md", sha="0", previous=None, now=NOW)
    assert stored.legacy_paths == ("/2025/03/20/old-slug", "/?p=101")

    too_many = story("Tenge steadies", legacy_paths=tuple(f"/?p={n}" for n in range(MAX_LEGACY_PATHS + 1)))
    with pytest.raises(ValueError, match=f"at most {MAX_LEGACY_PATHS}"):
        StoredArticle.of(too_many, slug="tenge-steadies", source_key="a.md", sha="0", previous=None, now=NOW)


# --- the DynamoDB items ------------------------------------------------------------------------------


def test_an_article_stored_before_these_fields_reads_as_public_and_ungrouped(dynamodb: tuple[Desk, Any]) -> None:
    desk, client = dynamodb
    stored = desk.save("a.md", story("Tenge steadies"))
    old = {
        name: value
        for name, value in stored.to_item().items()
        if name not in ("translation_group", "hidden_reason", "legacy_paths")
    }
    client.put_item(TableName=TABLE, Item=to_item(old))

    assert desk.store.article("tenge-steadies") == stored
    assert desk.store.public_article("tenge-steadies") == stored


def test_the_largest_change_fits_one_transaction_and_leaves_nothing_behind(dynamodb: tuple[Desk, Any]) -> None:
    desk, client = dynamodb

    def everything(marker: str) -> Article:
        return story(
            "Tenge steadies",
            category=f"Economy {marker}",
            country=f"Kazakhstan {marker}",
            tags=tuple(f"tag {marker}{n}" for n in range(20)),  # MAX_TAGS
            translation_group=f"group {marker}",
            legacy_paths=tuple(f"/{marker}/{n}/" for n in range(MAX_LEGACY_PATHS)),
        )

    desk.save("a.md", everything("a"))
    desk.save("a.md", everything("b"), slug="tenge-renamed")  # every card, group and address changes

    assert desk.store.redirect("/a/1/", before=BEFORE) is None
    assert desk.store.redirect("/b/1/", before=BEFORE) == "tenge-renamed"
    cards, _ = desk.store.listing(["all"], before="\uffff", limit=10, start_after=None)
    assert [card["slug"] for card in cards] == ["tenge-renamed"]
    desk.remove("a.md")
    assert items(client) == {("SOURCE#a.md", "SOURCE")}
