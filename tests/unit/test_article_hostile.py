"""Hostile and out-of-contract article files: each gets a rejection naming what is wrong, in bounded time
and memory, and never an exception of another kind (which would retry the file and lose its report)."""

from __future__ import annotations

import json
import re
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steppewire.articles.document import (
    MAX_FRONT_MATTER_CHARS,
    ArticleRejected,
    Problem,
    parse_article,
)
from steppewire.editor_yaml import MAX_DEPTH as MAX_FRONT_MATTER_DEPTH
from tests.unit.test_article_rejections import only

FIELDS = ("title", "date", "slug", "lang", "author", "category", "tags", "country", "summary", "image")
# Where a problem may point: a field, the body, or a place in the file.
PLACE = re.compile(r"(title|date|slug|lang|author|category|tags|country|summary|image|body|file|front matter|line \d+)")


def markdown(front_matter: str, body: str = "Markets calmed.") -> bytes:
    return f"---\n{front_matter}\n---\n\n{body}\n".encode()


def problems_of(data: bytes, filename: str = "incoming/story.md") -> list[tuple[str, str]]:
    with pytest.raises(ArticleRejected) as rejection:
        parse_article(data, filename)
    return [(problem.field, problem.message) for problem in rejection.value.problems]


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": each level is a list of nine references to the level below (616 bytes)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(["title: Bomb", *lines, f"date: *a{levels - 1}"])


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    (where, message), *_ = problems_of(markdown(alias_bomb()))

    assert where == "line 4"  # the first alias, counted in the whole file
    assert "aliases (*a0) are not allowed" in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("!!timestamp 2025-02-30", "YAML tags (tag:yaml.org,2002:timestamp) are not allowed"),
        ("!!int abc", "YAML tags (tag:yaml.org,2002:int) are not allowed"),
        ("!!bool maybe", "YAML tags (tag:yaml.org,2002:bool) are not allowed"),
        ("!!python/name:os.system", "YAML tags (tag:yaml.org,2002:python/name:os.system) are not allowed"),
        ("[" * (MAX_FRONT_MATTER_DEPTH + 1) + "]" * (MAX_FRONT_MATTER_DEPTH + 1), "nest more than 16 levels"),
    ],
)
def test_yaml_that_would_crash_its_constructor_is_refused_with_its_line(value: str, words: str) -> None:
    (where, message), *_ = problems_of(markdown(f"title: Rates\ndate: {value}"))

    assert where == "line 3"
    assert words in message


def test_a_number_too_long_to_read_is_refused() -> None:
    (where, message), *_ = problems_of(markdown(f"title: Rates\ndate: 2025-03-07\nviews: {'9' * 5000}"))

    assert where == "line 4"
    assert "a number of 5,000 digits cannot be read" in message


def test_oversized_front_matter_is_refused_before_parsing() -> None:
    summary = "x" * MAX_FRONT_MATTER_CHARS
    (where, message), *_ = problems_of(markdown(f"title: Rates\ndate: 2025-03-07\nsummary: {summary}"))

    assert where == "front matter"
    assert f"the limit is {MAX_FRONT_MATTER_CHARS:,}" in message


@pytest.mark.parametrize(
    "document",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than Python's recursion limit
        '{"title": "Rates", "date": "2025-03-07", "views": ' + "9" * 5000 + ', "body": "Text"}',
    ],
    ids=["deep-nesting", "huge-number"],
)
def test_json_that_cannot_be_read_is_refused(document: str) -> None:
    (where, _message), *_ = problems_of(document.encode(), "incoming/story.json")

    assert where == "file"


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01",  # midnight in Almaty is still in year 0 in UTC
        "9999-12-31T23:30:00-10:00",  # the UTC moment is in year 10000
        "1969-12-31T23:59:59+00:00",  # before the first minute the index counts
        "0001-01-01T00:00:00+00:00",
    ],
)
def test_a_date_outside_the_publishable_range_is_named(when: str) -> None:
    problem = only(_rejected_problems(f"title: Rates\ndate: '{when}'"))

    assert problem.field == "date"
    assert "out of range" in problem.message
    assert "1970-01-01 and 9999-12-31 (UTC)" in problem.message


def test_the_range_edges_publish() -> None:
    first = parse_article(markdown("title: Rates\ndate: 1970-01-01T00:00:00+00:00"), "incoming/a.md")
    last = parse_article(markdown("title: Rates\ndate: 9999-12-31T23:59:59+00:00"), "incoming/b.md")

    assert first.published_at.isoformat() == "1970-01-01T00:00:00+00:00"
    assert last.published_at.isoformat() == "9999-12-31T23:59:59+00:00"


def test_a_nested_value_is_named_by_its_kind_not_printed() -> None:
    nested = "[" + ",".join(["[" + ",".join(["long text"] * 50) + "]"] * 50) + "]"
    problems = {p.field: p.message for p in _rejected_problems(f"title: Rates\ndate: {nested}\nlang: {nested}")}

    assert problems["date"].endswith("not a list")
    assert problems["lang"].endswith("not a list")
    assert all(len(message) < 200 for message in problems.values())


def _rejected_problems(front_matter: str) -> list[Problem]:
    with pytest.raises(ArticleRejected) as rejection:
        parse_article(markdown(front_matter), "incoming/story.md")
    return list(rejection.value.problems)


# --- properties over open-ended input ------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["2025-02-30", "0001-01-01", "9999-12-31T23:30:00-10:00", "en", "ru", "https://a.example/b"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
front_matters = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=8)


def _assert_published_or_named(data: bytes, filename: str) -> None:
    try:
        parse_article(data, filename)
    except ArticleRejected as rejection:
        assert rejection.problems
        for problem in rejection.problems:
            assert PLACE.fullmatch(problem.field), problem
            assert problem.message.strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front_matter=front_matters, body=st.text(max_size=200))
def test_any_yaml_front_matter_publishes_or_names_what_is_wrong(front_matter: dict[str, object], body: str) -> None:
    text = yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False)
    _assert_published_or_named(markdown(text, body), "incoming/story.md")


@settings(max_examples=150, deadline=None)
@given(fields=front_matters, body=st.one_of(st.text(max_size=200), values))
def test_any_json_article_publishes_or_names_what_is_wrong(fields: dict[str, object], body: object) -> None:
    _assert_published_or_named(json.dumps({**fields, "body": body}).encode(), "incoming/story.json")


yaml_tokens = st.sampled_from(
    [*"-:[]{},&*!|>'\"#%@`?\n ", "---", "...", "&a", "*a", "!!", "<<", "title", "date", "2025-03-07", "\t", "\\"]
) | st.text(alphabet=string.printable + "тенгеё", max_size=5)


@settings(max_examples=250, deadline=None)
@given(tokens=st.lists(yaml_tokens, max_size=40))
def test_any_front_matter_text_publishes_or_names_what_is_wrong(tokens: list[str]) -> None:
    _assert_published_or_named(markdown("title: Rates\n" + "".join(tokens)), "incoming/story.md")


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_publish_or_name_what_is_wrong(data: bytes) -> None:
    _assert_published_or_named(data, "incoming/story.md")
