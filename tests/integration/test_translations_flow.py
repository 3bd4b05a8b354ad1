"""Translations, hidden articles and old addresses end to end through the template-driven stack: editors'
uploads linked by `translation_group`, and articles saved as the WordPress importer saves them (a draft,
then published, then made private again) through the same store, read through the API and search."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from steppewire.articles.aws_adapters import SqsIndexFeed
from steppewire.articles.document import parse_article
from steppewire.articles.store import DynamoArticleStore
from steppewire.aws import dynamodb_client, sqs_client
from steppewire_local import LocalStack
from tests.integration.test_publishing_flow import bucket, story, upload

EN = "tenge-steadies-after-the-rate-decision"
RU = "tenge-stabiliziruetsia-posle-resheniia-po-stavke"


@pytest.fixture
def stack(deploy: Callable[..., LocalStack]) -> LocalStack:
    return deploy()


def get(stack: LocalStack, path: str) -> tuple[int, Any]:
    response = stack.api_request("GET", path)
    return response.status, response.json()


def translations(stack: LocalStack, slug: str) -> list[dict[str, str]]:
    status, article = get(stack, f"/articles/{slug}")
    assert status == 200, article
    return list(article["translations"])


def redirect(stack: LocalStack, address: str) -> tuple[int, Any]:
    return get(stack, f"/redirects?path={quote(address, safe='')}")


def listed(stack: LocalStack, query: str = "") -> list[str]:
    return [card["slug"] for card in get(stack, f"/articles{query}")[1]["items"]]


def found(stack: LocalStack, words: str) -> list[str]:
    return [hit["slug"] for hit in get(stack, f"/search?q={quote(words)}")[1]["results"]]


def test_the_english_and_russian_versions_link_to_each_other(stack: LocalStack) -> None:
    upload(stack, "incoming/en.md", story(translation_group="rate-decision-2026-11"))
    upload(
        stack,
        "incoming/ru.md",
        story("Тенге стабилизируется после решения по ставке", lang="ru", translation_group="Rate-Decision-2026-11"),
    )

    assert translations(stack, EN) == [{"lang": "ru", "slug": RU, "url": f"/articles/{RU}"}]
    assert translations(stack, RU) == [{"lang": "en", "slug": EN, "url": f"/articles/{EN}"}]

    # A new slug for the Russian version: the English one links to where it is now.
    upload(
        stack,
        "incoming/ru.md",
        story("Тенге стабилизируется", lang="ru", slug="tenge-ru", translation_group="rate-decision-2026-11"),
    )
    assert translations(stack, EN) == [{"lang": "ru", "slug": "tenge-ru", "url": "/articles/tenge-ru"}]

    boto3.client("s3").delete_object(Bucket=bucket(stack), Key="incoming/ru.md")
    stack.drain()
    assert translations(stack, EN) == []


def test_a_scheduled_version_is_linked_only_from_its_time(stack: LocalStack) -> None:
    upload(stack, "incoming/en.md", story(translation_group="budget"))
    upload(stack, "incoming/ru.md", story("Бюджет", lang="ru", date="2099-01-01", translation_group="budget"))
    assert translations(stack, EN) == []
    assert get(stack, "/articles/biudzhet")[0] == 404


def test_an_imported_draft_is_stored_but_never_public_until_it_is_published(stack: LocalStack) -> None:
    upload(stack, "incoming/ru.md", story("Утечка бюджета", lang="ru", translation_group="leak"))
    store = DynamoArticleStore(dynamodb_client(), stack.physical_id("ArticlesTable"))
    index = SqsIndexFeed(sqs_client(), stack.physical_id("IndexQueue"))
    text = story("Leaked memorandum", body="A memorandum on the budget leaked.", tags="memo", translation_group="leak")
    imported = replace(
        parse_article(text, "post-101.xml"),
        legacy_paths=("https://old.steppewire.kz/2025/03/20/leaked-memorandum/", "https://old.steppewire.kz/?p=101"),
    )
    previous = None

    def save_as_the_importer_does(order: str, hidden_reason: str | None) -> None:
        nonlocal previous
        previous = store.save(
            replace(imported, hidden_reason=hidden_reason),
            slug="leaked-memorandum",
            source_key="imports/old.steppewire.kz/101",
            order=order,
            content_sha256=order * 64,
            previous=previous,
            now=datetime.now(UTC),
        )
        index.announce("upsert", previous.slug, previous.revision)
        stack.drain()

    def public() -> bool:
        status, body = get(stack, "/articles/leaked-memorandum")
        if status == 404:
            assert body == {"statusCode": 404, "message": "No published article 'leaked-memorandum'"}  # as if absent
            assert listed(stack) == ["utechka-biudzheta"] and listed(stack, "?tag=memo") == []
            assert found(stack, "memorandum") == []
            assert translations(stack, "utechka-biudzheta") == []
            assert redirect(stack, "/2025/03/20/leaked-memorandum/")[0] == 404
            return False
        assert sorted(listed(stack)) == ["leaked-memorandum", "utechka-biudzheta"]
        assert listed(stack, "?tag=memo") == ["leaked-memorandum"]
        assert found(stack, "memorandum") == ["leaked-memorandum"]
        assert [link["slug"] for link in translations(stack, "utechka-biudzheta")] == ["leaked-memorandum"]
        return True

    save_as_the_importer_does("1", "draft")
    assert not public()
    save_as_the_importer_does("2", None)
    assert public()
    for address in ("/2025/03/20/leaked-memorandum/", "/2025/03/20/leaked-memorandum", "/?p=101"):
        assert redirect(stack, address) == (200, {"slug": "leaked-memorandum", "url": "/articles/leaked-memorandum"})
    save_as_the_importer_does("3", "private")  # indexed before: the indexer now drops it
    assert not public()
    assert redirect(stack, "/?p=101")[0] == 404


def test_an_unknown_or_malformed_old_address_gets_a_clear_answer(stack: LocalStack) -> None:
    status, body = redirect(stack, "/2025/03/20/never-here/")
    assert status == 404 and body["message"]
    for query in ("", "?path=", "?path=" + "a" * 2001):
        response = stack.api_request("GET", f"/redirects{query}")
        assert response.status == 422 and "'path'" in response.json()["message"], response.body_text
