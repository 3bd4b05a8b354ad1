"""Files an editor must fix: each problem names the field (or file, front matter, line) in plain words."""

from __future__ import annotations

import io
import zipfile

import pytest

from steppewire.articles.document import MAX_ARTICLE_BYTES, ArticleRejected, Problem, parse_article
from tests.unit.test_article_document import article, fixture, rejected

RUSSIAN = "---\ntitle: Тенге укрепился\ndate: 2025-03-07\nlang: ru\n---\n\nКурс тенге укрепился до 492,5 за доллар.\n"


def docx() -> bytes:
    """The start of what Word saves: a ZIP whose parts live under word/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --- the file as a whole -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param(b"", ["The file is empty."], id="empty"),
        pytest.param(b" \r\n\t\n", ["The file is empty."], id="whitespace"),
        pytest.param(b"\xef\xbb\xbf\n", ["The file is empty."], id="byte-order-mark-only"),
        pytest.param(
            fixture("ru-cp1251.md"),
            ["The file is not UTF-8; it looks like windows-1251 (Cyrillic). Save it as UTF-8."],
            id="windows-1251",
        ),
        pytest.param(RUSSIAN.encode("cp866"), ["not UTF-8", "cp866 (DOS Cyrillic)", "Save it as UTF-8"], id="cp866"),
        pytest.param(RUSSIAN.encode("utf-16"), ["not UTF-8", "UTF-16", "Save it as UTF-8"], id="utf-16"),
        pytest.param(
            # UTF-8 with one character cut in half, as a bad copy and paste leaves it.
            RUSSIAN.encode().replace("доллар".encode(), "доллар".encode()[:-1]),
            ["The file is not UTF-8 (line 7 has bytes that are not UTF-8 text). Save it as UTF-8."],
            id="broken-character",
        ),
        pytest.param(fixture("nbk-building.png"), ["PNG image", "Markdown (.md) or JSON", "UTF-8"], id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", ["JPEG image"], id="jpeg"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", ["PDF document"], id="pdf"),
        pytest.param(docx(), ["Word document (.docx)"], id="docx"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), ["old Word .doc"], id="doc"),
        pytest.param(b"{\\rtf1\\ansi\\deff0 {\\fonttbl}", ["RTF"], id="rtf"),
        pytest.param(b"RIFF\x24\x00\x00\x00WEBPVP8 ", ["WebP image"], id="webp"),
        pytest.param(b"\x00\x00\x00\x18ftypheic", ["HEIC photo"], id="heic"),
        pytest.param(b"title: x\x00\x01\x02\x03 binary", ["NUL bytes", "not text"], id="nul-bytes"),
        pytest.param(
            b"x" * (MAX_ARTICLE_BYTES + 1),
            ["1,048,577 bytes", "the limit is 1 MiB (1,048,576 bytes)"],
            id="too-big",
        ),
    ],
)
def test_unreadable_files(data: bytes, words: list[str]) -> None:
    problem = only(rejected(data))

    assert problem.field == "file"
    for word in words:
        assert word in problem.message


def test_size_is_checked_before_anything_else() -> None:
    message = only(rejected(fixture("nbk-building.png") * 20_000)).message

    assert message.startswith("The file is 1.3 MiB (1,380,000 bytes)")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        pytest.param(
            b"# Rates unchanged\n\nThe National Bank kept its rate.\n",
            "front matter",
            ["no front matter", "'---'"],
            id="no-front-matter",
        ),
        pytest.param(
            b"---\ntitle: Rates unchanged\ndate: 2025-03-07\n\nThe National Bank kept its rate.\n",
            "front matter",
            ["never closed", "line 1"],
            id="not-closed",
        ),
        pytest.param(
            b"---\ntitle: Breaking: rates unchanged\ndate: 2025-03-07\n---\n\nText.\n",
            "line 2",
            ["not valid YAML", "mapping values are not allowed here", "quotes"],
            id="colon-in-title",
        ),
        pytest.param(
            b"\n---\ntitle: Rates\ndate: 2025-03-07\ntags: [economy, banks\n---\n\nText.\n",
            "line 5",
            ["not valid YAML"],
            id="unclosed-list-after-a-blank-first-line",
        ),
        pytest.param(
            b"---\ntitle: Rates\n\tdate: 2025-03-07\n---\n\nText.\n",
            "line 3",
            ["not valid YAML"],
            id="tab",
        ),
        pytest.param(
            b"---\n- title: Rates\n- date: 2025-03-07\n---\n\nText.\n",
            "front matter",
            ["must be 'key: value' lines, not a list"],
            id="list",
        ),
        pytest.param(b"---\nJust a sentence.\n---\n\nText.\n", "front matter", ["not text"], id="scalar"),
        pytest.param(
            b'{\n  "title": "Rates",\n  "date": "2025-03-07"\n  "body": "Text"\n}',
            "line 4",
            ["JSON is not valid", "Expecting ',' delimiter"],
            id="broken-json",
        ),
    ],
)
def test_unreadable_front_matter(data: bytes, field: str, words: list[str]) -> None:
    problem = only(rejected(data))

    assert problem.field == field
    for word in words:
        assert word in problem.message


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (article(), Problem("line 1", "The JSON is not valid: Expecting value (column 1).")),
        (
            b'[{"title": "Rates"}]',
            Problem("file", "The JSON must be one object {...} holding the article fields, not a list."),
        ),
    ],
)
def test_a_json_name_means_json(data: bytes, problem: Problem) -> None:
    assert rejected(data, "Article.JSON") == [problem]


# --- one field at a time -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": None}, "title", "title is missing"),
        ({"title": "''"}, "title", "title is empty"),
        ({"title": "'<b></b> [gallery]'"}, "title", "title is empty"),
        ({"title": "2024"}, "title", "title must be text, not a number; put it in quotes"),
        ({"title": "yes"}, "title", "title must be text, not yes/no; put it in quotes"),
        ({"title": "[Rates, held]"}, "title", "title must be text, not a list"),
        ({"title": "x" * 301}, "title", "title is 301 characters long; the limit is 300"),
        ({"date": None}, "date", "date is missing"),
        ({"date": "2025-02-30"}, "date", "date '2025-02-30' is not a real calendar date"),
        ({"date": "2025-13-01T10:00:00+05:00"}, "date", "date '2025-13-01T10:00:00+05:00' is not a real calendar date"),
        (
            {"date": "2025-03-07T14:30"},
            "date",
            "date '2025-03-07T14:30' has a time but no UTC offset, so the moment is unclear; "
            "add the offset, e.g. '2025-03-07T14:30:00+05:00' for Almaty time",
        ),
        (
            {"date": "2025-03-07T25:00+05:00"},
            "date",
            "date '2025-03-07T25:00+05:00' cannot be read; write it like 2025-03-07 or 2025-03-07T14:30:00+05:00",
        ),
        (
            {"date": "7 March 2025"},
            "date",
            "date '7 March 2025' is not a date; write it like 2025-03-07 or 2025-03-07T14:30:00+05:00",
        ),
        (
            {"date": "07.03.2025"},
            "date",
            "date '07.03.2025' is not a date; write it like 2025-03-07 or 2025-03-07T14:30:00+05:00",
        ),
        (
            {"date": "20250307"},
            "date",
            "date '20250307' is not a date; write it like 2025-03-07 or 2025-03-07T14:30:00+05:00",
        ),
        ({"lang": "kk"}, "lang", "language 'kk' is not supported; use en (English) or ru (Russian)"),
        ({"lang": "no"}, "lang", "language 'false' is not supported; use en (English) or ru (Russian)"),
        ({"lang": "[en, ru]"}, "lang", "lang must be one language, en (English) or ru (Russian), not a list"),
        (
            {"slug": "Rate Decision"},
            "slug",
            "slug 'Rate Decision' may only have lower-case latin letters and digits, joined by single hyphens, "
            "like 'rate-decision'",
        ),
        ({"slug": "rate--decision"}, "slug", "like 'rate-decision'"),
        ({"slug": "-rate"}, "slug", "like 'rate'"),
        ({"slug": "ставка"}, "slug", "like 'stavka'"),
        ({"slug": "a" * 81}, "slug", "slug is 81 characters long; the limit is 80"),
        ({"slug": "12"}, "slug", "slug must be text, not a number; put it in quotes"),
        ({"title": "'!!!'"}, "slug", "no slug can be made from the title; add one, like 'slug: rate-decision'"),
        ({"tags": "[economy, 2024, true]"}, "tags", "tag 2 (2024) is a number, tag 3 (true) is yes/no"),
        ({"tags": "{economy: yes}"}, "tags", "tags must be a list, or words separated by commas, not a group of"),
        ({"tags": "2024"}, "tags", "tags must be a list, or words separated by commas, not a number"),
        ({"image": "javascript:alert(1)"}, "image", "image must be a web address starting with http:// or https://"),
        ({"image": "data:image/png;base64," + "A" * 200}, "image", "not 'data:image/png;base64,AAAA"),
        ({"image": "ftp://cdn.steppewire.kz/a.jpg"}, "image", "http:// or https://"),
        ({"image": "/uploads/a.jpg"}, "image", "http:// or https://"),
        ({"image": "https://"}, "image", "http:// or https://"),
        ({"author": "42"}, "author", "author must be text, not a number; put it in quotes"),
        ({"category": "[a, b]"}, "category", "category must be text, not a list"),
        ({"country": "{name: Kazakhstan}"}, "country", "country must be text, not a group of 'key: value' pairs"),
        ({"summary": "3.5"}, "summary", "summary must be text, not a number; put it in quotes"),
    ],
)
def test_one_wrong_field(fields: dict[str, str | None], field: str, message: str) -> None:
    problem = only(rejected(article(**fields)))

    assert problem.field == field
    assert message in problem.message


def test_long_values_are_shortened_when_quoted_back() -> None:
    message = only(rejected(article(image="data:image/png;base64," + "A" * 5000))).message

    assert len(message) < 200
    assert "…" in message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "body is empty"),
        ("   \n\n   ", "body is empty"),
        (
            '[gallery ids="1,2,3"]\n\n[embed]https://youtu.be/x[/embed]\n\n<script>alert(1)</script>',
            "body has nothing left to show once shortcodes and unsafe markup are removed",
        ),
    ],
)
def test_body_with_nothing_to_show(body: str, message: str) -> None:
    problem = only(rejected(article(body)))

    assert (problem.field, problem.message) == ("body", message)


def test_a_body_of_just_a_picture_is_fine() -> None:
    data = article('[caption id="1"]<img src="https://cdn.steppewire.kz/a.jpg" alt="Almaty">[/caption]')

    assert "<img" in parse_article(data, "article.md").body_html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"title": "Rates", "date": "2025-03-07"}', "body is missing"),
        (b'{"title": "Rates", "date": "2025-03-07", "body": ""}', "body is empty"),
        (b'{"title": "Rates", "date": "2025-03-07", "body": 42}', "body must be text, not a number"),
        (b'{"title": "Rates", "date": "2025-03-07", "body": ["Text"]}', "body must be text, not a list"),
    ],
)
def test_json_body(data: bytes, message: str) -> None:
    problem = only(rejected(data, "article.json"))

    assert problem.field == "body"
    assert message in problem.message


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (
            b"---\nTitle: Rates\nDate: 2025-03-07\n---\n\nText.\n",
            [
                Problem("title", "title is missing (there is a key 'Title': did you mean 'title'?)"),
                Problem("date", "date is missing (there is a key 'Date': did you mean 'date'?)"),
            ],
        ),
        (
            b"---\n---\n",
            [
                Problem("title", "title is missing"),
                Problem("date", "date is missing"),
                Problem("body", "body is empty"),
            ],
        ),
    ],
)
def test_missing_fields(data: bytes, problems: list[Problem]) -> None:
    assert rejected(data) == problems


# --- everything at once ------------------------------------------------------------------------------


def test_every_problem_is_reported_together() -> None:
    data = article(
        "",
        title="''",
        date="2025-02-30",
        slug="Rate Decision",
        lang="kk",
        author="42",
        tags="[economy, 2024]",
        image="javascript:alert(1)",
        subtitle="unknown keys are no problem",
    )

    problems = rejected(data)

    assert [problem.field for problem in problems] == [
        "title",
        "date",
        "slug",
        "lang",
        "author",
        "tags",
        "image",
        "body",
    ]
    assert Problem("date", "date '2025-02-30' is not a real calendar date") in problems


def test_rejection_reads_as_a_list() -> None:
    with pytest.raises(ArticleRejected) as caught:
        parse_article(article(date="2025-02-30", lang="kk"), "article.md")

    assert str(caught.value) == (
        "The article was rejected:\n"
        "- date: date '2025-02-30' is not a real calendar date\n"
        "- lang: language 'kk' is not supported; use en (English) or ru (Russian)"
    )
