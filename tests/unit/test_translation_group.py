"""The `translation_group` front-matter field: the versions of one story (en, ru) name the same group.

Any value publishes with the group as written (spaces tidied) or names the field and what is wrong."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.articles.document import MAX_TRANSLATION_GROUP_CHARS, Article, ArticleRejected, parse_article
from tests.unit.test_article_document import article, parse, rejected

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=250),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=2),
    max_leaves=6,
)


def as_json(group: object) -> Article:
    fields = {"title": "Base rate unchanged", "date": "2025-03-07", "translation_group": group, "body": "Rates held."}
    return parse_article(json.dumps(fields).encode(), "story.json")


def test_a_group_links_the_versions_of_a_story() -> None:
    english = parse(translation_group="rate-decision-2025-03")
    russian = parse(
        "Ставка не изменилась.", title="Ставка не изменилась", lang="ru", translation_group="rate-decision-2025-03"
    )

    assert english.translation_group == russian.translation_group == "rate-decision-2025-03"
    assert (english.hidden_reason, english.legacy_paths) == (None, ())  # set by imports only
    assert parse().translation_group is None


def test_spaces_are_tidied_and_a_blank_group_is_none() -> None:
    assert parse(translation_group="'  Budget\tday  2026 '").translation_group == "Budget day 2026"
    assert parse(translation_group="''").translation_group is None


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("2025", "translation_group must be text, not a number; put it in quotes"),
        ("[a, b]", "translation_group must be text, not a list"),
        ("'" + "a" * (MAX_TRANSLATION_GROUP_CHARS + 1) + "'", "is 201 characters long; the limit is 200"),
        ('"rate\\u200bdecision"', "invisible character (U+200B)"),
    ],
)
def test_a_wrong_group_is_named(written: str, words: str) -> None:
    (problem,) = rejected(article(translation_group=written))

    assert problem.field == "translation_group" and words in problem.message


def test_a_misspelt_key_is_pointed_out() -> None:
    assert parse(**{"translation-group": "rate-decision"}).warnings == (
        "unknown key 'translation-group' was ignored (did you mean 'translation_group'?)",
    )


@given(group=st.text(max_size=MAX_TRANSLATION_GROUP_CHARS))
def test_printable_text_within_the_limit_is_kept_as_written(group: str) -> None:
    tidy = " ".join(group.split())
    if tidy and tidy.isprintable():
        assert as_json(group).translation_group == tidy


@given(group=values)
def test_any_value_publishes_or_names_the_field(group: object) -> None:
    try:
        result = as_json(group)
    except ArticleRejected as rejection:
        assert [problem.field for problem in rejection.problems] == ["translation_group"]
        assert rejection.problems[0].message.startswith("translation_group")
    else:
        assert result.translation_group is None or 0 < len(result.translation_group) <= MAX_TRANSLATION_GROUP_CHARS
