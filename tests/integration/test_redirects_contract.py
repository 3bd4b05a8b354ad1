"""`GET /redirects` answers any `path` with a 2xx or a 4xx naming what is wrong, never a 5xx (as the other
routes in test_api_contract.py), with old addresses stored so that the success path runs too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.articles.document import parse_article
from steppewire.articles.store import DynamoArticleStore
from steppewire.aws import dynamodb_client
from steppewire_local import LocalStack
from tests.integration.test_api_contract import PROPERTY, any_text, assert_within_contract, query
from tests.integration.test_publishing_flow import story

OLD_ADDRESSES = ("https://old.steppewire.kz/2025/03/20/tenge/", "/?p=101", "/2025/03/новости/")


@pytest.fixture
def old_site(deploy: Callable[..., LocalStack]) -> LocalStack:
    stack = deploy()
    store = DynamoArticleStore(dynamodb_client(), stack.physical_id("ArticlesTable"))
    imported = replace(parse_article(story(), "post.xml"), legacy_paths=OLD_ADDRESSES)
    store.save(
        imported,
        slug="tenge",
        source_key="imports/101",
        order="1",
        content_sha256="0",
        previous=None,
        now=datetime.now(UTC),
    )
    return stack


@PROPERTY
@given(
    params=query(
        {
            "path": st.sampled_from([*OLD_ADDRESSES, "/2025/03/20/tenge", "/?p=102", "%", "/%zz", "a" * 2001])
            | any_text
            | st.text(min_size=1990, max_size=2010, alphabet="/%ж?=&p")
        }
    )
)
def test_redirects_answer_any_path_within_contract(old_site: LocalStack, params: dict[str, str]) -> None:
    assert_within_contract(old_site, "/redirects", params)


def test_an_old_address_in_any_spelling_leads_to_the_article(old_site: LocalStack) -> None:
    for address in ("/2025/03/20/tenge", "/?p=101", "/2025/03/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"):
        response = old_site.api_request("GET", f"/redirects?path={quote(address, safe='')}")
        assert response.json() == {"slug": "tenge", "url": "/articles/tenge"}, address
