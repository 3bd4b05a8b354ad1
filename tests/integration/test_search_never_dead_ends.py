"""Search that never dead-ends, end to end (issue 11's "Done when"): the articles of
`tests/fixtures/search/` uploaded, published and indexed, then found by a typo, a name's typo, a synonym,
a query with one word the article lacks and a long question, each answer saying how it matched."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from steppewire_local import LocalStack
from tools.search_check import ARTICLES, QUESTION


@pytest.fixture
def newsroom(deploy: Callable[..., LocalStack]) -> LocalStack:
    stack = deploy()
    bucket = stack.physical_id("ArticlesBucket")
    for path in sorted(ARTICLES.glob("*.md")):
        boto3.client("s3").put_object(Bucket=bucket, Key=f"incoming/{path.name}", Body=path.read_bytes())
    stack.drain()
    return stack


def search(stack: LocalStack, q: str, **options: Any) -> dict[str, Any]:
    response = stack.api_request("GET", "/search?" + urlencode({"q": q, **options}))
    assert response.status == 200, response.body_text
    answer: dict[str, Any] = response.json()
    return answer


def titles(answer: dict[str, Any]) -> list[str]:
    return [hit["title"] for hit in answer["results"]]


SMOG = "Smog returns to Almaty as the heating season starts"
CHESS = "Ziganshin wins the Bishkek open after a tense final round"
NBK_RU = "Национальный банк Казахстана сохранил базовую ставку на уровне 16,5%"
NBK_EN = "National Bank of Kazakhstan holds the base rate at 16.5 percent"
TENGE = "Tenge firms against the dollar in a quiet week"


def test_a_typo_finds_the_article_and_says_what_it_meant(newsroom: LocalStack) -> None:
    answer = search(newsroom, "Almatty smog")
    assert titles(answer)[0] == SMOG
    assert answer["corrections"] == {"Almatty": "almaty"} and answer["did_you_mean"] == "almaty smog"
    assert answer["results"][0]["missing"] == []  # both words, one corrected; the page goes on with either
    assert search(newsroom, "Almatty smog", per_page=1)["matched"] == "all"
    name = search(newsroom, "Ziganshn")
    assert titles(name) == [CHESS] and name["did_you_mean"] == "ziganshin"
    assert "<mark>Ziganshin</mark>" in name["results"][0]["title_highlighted"]


def test_a_typo_is_not_corrected_inside_quotes_or_in_a_number(newsroom: LocalStack) -> None:
    assert search(newsroom, '"Almatty"')["total"] == 0
    assert search(newsroom, "16.6")["corrections"] == {}


def test_a_synonym_the_editors_seeded_finds_both_languages(newsroom: LocalStack) -> None:
    found = titles(search(newsroom, "нацбанк"))
    assert NBK_RU in found and NBK_EN in found


def test_a_word_the_article_lacks_and_a_long_question_still_find_it(newsroom: LocalStack) -> None:
    answer = search(newsroom, "Kazakhstan tenge forecast")
    assert TENGE in titles(answer)[:2] and answer["matched"] == "partial"
    assert answer["optional"] and all(hit["missing"] for hit in answer["results"] if "forecast" not in hit["snippet"])
    assert len(QUESTION) >= 300
    question = search(newsroom, QUESTION)
    assert titles(question)[0] == NBK_EN and question["matched"] == "partial"
    assert question["total"] == len(question["results"]) <= 10
