"""Article files as editors upload them: bytes in, a checked, safe `Article` out, or every problem at once.

Two formats: Markdown with YAML front matter between `---` lines, or a JSON object with the same fields and
the Markdown in `body` (told apart by the `.json` name or a leading `{`). `parse_article` runs small pure
steps: decode (UTF-8 only, with a diagnosis otherwise) -> split fields from body -> check every field,
collecting all problems -> expand shortcodes, render Markdown, sanitize -> plain text and excerpt.

Problems are for editors: each names the field (or "file", "front matter", "line 7") and says in plain
words what is wrong and, where it helps, how to fix it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import yaml
from markdown_it import MarkdownIt
from slugify import slugify

from steppewire.articles.sanitize import TextBlock, plain_text, sanitize_html, shorten, text_blocks
from steppewire.articles.shortcodes import expand_shortcodes
from steppewire.articles.wordpress import wordpress_html
from steppewire.editor_yaml import YAML_HINT, EditorYamlLoader, kind_of
from steppewire.newsroom import NEWSROOM_TIMEZONE, Lang

__all__ = [
    "EXCERPT_CHARS",
    "MAX_ARTICLE_BYTES",
    "MAX_SLUG_CHARS",
    "MAX_TITLE_CHARS",
    "MAX_TRANSLATION_GROUP_CHARS",
    "NEWSROOM_TIMEZONE",
    "Lang",
    "Article",
    "ArticleRejected",
    "Problem",
    "article_from_wordpress",
    "make_slug",
    "parse_article",
]

MAX_ARTICLE_BYTES = 1_048_576
# Fields are short; the cap keeps YAML parsing (pure Python) to a fraction of a second whatever the file.
MAX_FRONT_MATTER_CHARS = 65_536
# The search index counts minutes since 1970 in 32 bits; listings sort on 4-digit years.
EARLIEST_PUBLICATION = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_PUBLICATION = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
# A date without a time means midnight in the newsroom, not in UTC (which would be the evening before).
MAX_TITLE_CHARS = 300
MAX_SLUG_CHARS = 80
MAX_TRANSLATION_GROUP_CHARS = 200
EXCERPT_CHARS = 280

T = TypeVar("T")

_LANGUAGES: dict[str, Lang] = {"en": "en", "ru": "ru"}
_FIELDS = (
    "title",
    "date",
    "slug",
    "lang",
    "author",
    "category",
    "tags",
    "country",
    "summary",
    "image",
    "image_alt",
    "translation_group",
)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_EXAMPLE = "2025-03-07 or 2025-03-07T14:30:00+05:00"
# Applied before transliteration: "Tokayev's" -> "tokayevs", not "tokayev-s"; text-unidecode drops Kazakh ә.
_SLUG_REPLACEMENTS = (("'", ""), ("\u2019", ""), ("ә", "a"), ("Ә", "A"))
_UPLOAD_HINT = "upload the article as a Markdown (.md) or JSON text file saved as UTF-8"
# The encodings an editor's files are likely to be in (charset-normalizer's codec names), as text editors
# call them. Any other guess is not trusted enough to be named.
_ENCODING_NAMES = {
    "cp1251": "windows-1251 (Cyrillic)",
    "koi8_r": "KOI8-R (Cyrillic)",
    "mac_cyrillic": "Mac Cyrillic",
    "cp866": "cp866 (DOS Cyrillic)",
    "iso8859_5": "ISO-8859-5 (Cyrillic)",
    "kz1048": "KZ-1048 (Kazakh)",
    "cp1252": "windows-1252 (Western European)",
    "cp1250": "windows-1250 (Central European)",
    "latin_1": "ISO-8859-1 (Western European)",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "utf_32": "UTF-32",
    "utf_32_le": "UTF-32",
    "utf_32_be": "UTF-32",
}
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word .doc (or other Microsoft Office) file"),
    (b"{\\rtf", "an RTF (rich text) document"),
    (b"\x1f\x8b", "a gzip archive"),
)


@dataclass(frozen=True)
class Problem:
    """One thing the editor must fix: `field` is a field name, "file", "front matter" or "line 7"."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ArticleRejected(Exception):
    """The file cannot be published as it is; `problems` holds everything that was found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(["The article was rejected:", *(f"- {problem}" for problem in problems)]))
        self.problems = problems


@dataclass(frozen=True)
class Article:
    """A checked article, ready to store. Every text field is plain text except `body_html`."""

    slug: str
    slug_from_title: bool  # the editor gave none: an update keeps the stored slug even if the title changes
    title: str  # plain text
    published_at: datetime  # timezone-aware, UTC
    lang: Lang
    author: str | None
    category: str | None  # stripped, editor's case kept for display
    tags: tuple[str, ...]  # stripped, de-duplicated ignoring case, first spelling and order kept
    country: str | None
    summary: str | None  # plain text
    image: str | None  # an http(s) URL
    image_alt: str | None  # plain text: what the image shows, for readers who cannot see it
    body_html: str  # sanitized HTML
    excerpt: str  # plain text, at most EXCERPT_CHARS
    text: str  # plain text of the body, one block per line
    warnings: tuple[str, ...]
    translation_group: str | None = None  # the versions (en, ru) sharing it are translations of one story
    hidden_reason: str | None = None  # e.g. "draft", "private" (imports): stored, but never public
    legacy_paths: tuple[str, ...] = ()  # addresses on the old site that must redirect to the article


def parse_article(data: bytes, filename: str) -> Article:
    """Raises `ArticleRejected` listing every problem found (file-level ones stop the reading early)."""
    text = _decode(data)
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        fields, body = _read_json(text)
    else:
        fields, body = _read_front_matter(text)
    return _build(fields, body, _render_markdown)


def article_from_wordpress(fields: Mapping[str, object], content: str) -> Article:
    """A WordPress post: its fields named and checked as an editor's front matter is, its body the HTML
    WordPress stores (`content:encoded`) rather than Markdown. Raises `ArticleRejected` likewise."""
    return _build(fields, content, wordpress_html)


def make_slug(title: str) -> str:
    """URL slug of a title, Cyrillic transliterated, at most MAX_SLUG_CHARS cut at a word boundary;
    empty when the title has no letters or digits."""
    return slugify(
        title, max_length=MAX_SLUG_CHARS, word_boundary=True, save_order=True, replacements=_SLUG_REPLACEMENTS
    )


# --- decoding ----------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if len(data) > MAX_ARTICLE_BYTES:
        _reject(
            "file",
            f"The file is {len(data) / MAX_ARTICLE_BYTES:.1f} MiB ({len(data):,} bytes); "
            f"the limit is 1 MiB ({MAX_ARTICLE_BYTES:,} bytes).",
        )
    if kind := _binary_kind(data):
        _reject("file", f"The file is {kind}, not an article: {_UPLOAD_HINT}.")
    if b"\x00" in data:  # UTF-8 allows NUL bytes and text never has them, but UTF-16 and UTF-32 text does
        encoding = _known_encoding(data)
        if encoding is None or not encoding.startswith("UTF-"):
            _reject("file", f"The file contains NUL bytes, so it is not text: {_UPLOAD_HINT}.")
        _reject("file", f"The file is not UTF-8; it looks like {encoding}. Save it as UTF-8.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if encoding := _known_encoding(data):
            _reject("file", f"The file is not UTF-8; it looks like {encoding}. Save it as UTF-8.")
        line = data.count(b"\n", 0, error.start) + 1
        _reject("file", f"The file is not UTF-8 (line {line} has bytes that are not UTF-8 text). Save it as UTF-8.")
    if not text.strip():
        _reject("file", "The file is empty.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _binary_kind(data: bytes) -> str | None:
    """What a non-text upload looks like, from its magic number; None when it could be text."""
    if data.startswith(b"PK\x03\x04"):  # every Office Open XML and OpenDocument file is a ZIP
        if b"word/" in data:
            return "a Word document (.docx)"
        if b"opendocument.text" in data:
            return "an OpenDocument text (.odt)"
        return "a ZIP archive"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        return "a HEIC photo or MP4 video"
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def _known_encoding(data: bytes) -> str | None:
    """The editor-facing name of the encoding charset-normalizer sees; None for an unlikely guess (a UTF-8
    file with one stray byte "looks like" Urdu cp1006). Equivalent guesses are all tried: cp1251 for the
    bytes that kz1048 and ptcp154 would also read."""
    # Imported here: only a file that is not UTF-8 pays for the detector at cold start.
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    candidates = guess.could_be_from_charset if guess else []
    return next((_ENCODING_NAMES[name] for name in candidates if name in _ENCODING_NAMES), None)


# --- fields and body ---------------------------------------------------------------------------------


def _read_front_matter(text: str) -> tuple[Mapping[Any, object], object]:
    lines = text.split("\n")
    start = next(number for number, line in enumerate(lines) if line.strip())
    if lines[start].rstrip() != "---":
        _reject(
            "front matter",
            "The file has no front matter: it must start with a '---' line, then the fields "
            "('title: ...', 'date: ...' and so on), then another '---' line, then the article.",
        )
    end = next((number for number in range(start + 1, len(lines)) if lines[number].rstrip() in ("---", "...")), None)
    if end is None:
        _reject("front matter", f"The front matter opened on line {start + 1} is never closed with a '---' line.")
    front_matter = "\n".join(lines[start + 1 : end])
    if len(front_matter) > MAX_FRONT_MATTER_CHARS:
        _reject(
            "front matter",
            f"The front matter (between the '---' lines) is {len(front_matter):,} characters long; "
            f"the limit is {MAX_FRONT_MATTER_CHARS:,}. Long text belongs in the article below it.",
        )
    try:
        fields = yaml.load(front_matter, Loader=EditorYamlLoader)
    except yaml.YAMLError as error:
        mark, problem = (error.problem_mark, error.problem) if isinstance(error, yaml.MarkedYAMLError) else (None, None)
        # The mark counts from 0 within the front matter; editors count from 1 in the whole file.
        where = f"line {start + 2 + mark.line}" if mark else "front matter"
        _reject(where, f"The front matter is not valid YAML ({problem or error}); {YAML_HINT}.")
    if fields is None:  # nothing between the fences: every required field will be reported missing
        fields = {}
    if not isinstance(fields, dict):
        _reject("front matter", f"The front matter must be 'key: value' lines, not {kind_of(fields)}.")
    return fields, "\n".join(lines[end + 1 :])


def _read_json(text: str) -> tuple[Mapping[Any, object], object]:
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:
        _reject(f"line {error.lineno}", f"The JSON is not valid: {error.msg} (column {error.colno}).")
    except RecursionError:
        _reject("file", "The JSON nests lists or objects too deeply to be an article.")
    except ValueError as error:  # e.g. an integer of 5,000 digits
        _reject("file", f"The JSON has a value that cannot be read ({_shown(error)}).")
    if not isinstance(fields, dict):
        _reject("file", f"The JSON must be one object {{...}} holding the article fields, not {kind_of(fields)}.")
    body = fields.pop("body", None)
    return fields, body


@dataclass(frozen=True)
class _Body:
    html: str
    blocks: tuple[TextBlock, ...]


def _build(fields: Mapping[Any, object], body: object, render: Callable[[str], str]) -> Article:
    problems: list[Problem] = []
    title = _check(problems, fields, "title", _title, required=True)
    published_at = _check(problems, fields, "date", _published_at, required=True)
    slug = _check(problems, fields, "slug", _slug)
    lang = _check(problems, fields, "lang", _lang)
    author = _check(problems, fields, "author", _optional_text)
    category = _check(problems, fields, "category", _optional_text)
    tags = _check(problems, fields, "tags", _tags)
    country = _check(problems, fields, "country", _optional_text)
    summary = _check(problems, fields, "summary", _optional_text)
    image = _check(problems, fields, "image", _image)
    image_alt = _check(problems, fields, "image_alt", _optional_text)
    translation_group = _check(problems, fields, "translation_group", _translation_group)
    rendered = _check(problems, {"body": body}, "body", partial(_body, render=render), required=True)
    if _blank(fields.get("slug")) and title is not None:
        slug = make_slug(title)
        if not slug:
            problems.append(Problem("slug", "no slug can be made from the title; add one, like 'slug: rate-decision'"))
    if problems:
        raise ArticleRejected(problems)
    # Each required value that failed added a problem, so none of these is missing any more.
    assert title is not None and published_at is not None and slug and rendered is not None
    paragraphs = [block.text for block in rendered.blocks if block.tag == "p"]
    return Article(
        slug=slug,
        slug_from_title=_blank(fields.get("slug")),
        title=title,
        published_at=published_at,
        lang=lang or "en",
        author=author,
        category=category,
        tags=tags or (),
        country=country,
        summary=summary,
        image=image,
        image_alt=image_alt if image else None,
        body_html=rendered.html,
        # Captions and headings make poor teasers: paragraphs first, any text if the body has none.
        excerpt=shorten(summary or " ".join(paragraphs or [block.text for block in rendered.blocks]), EXCERPT_CHARS),
        text="\n".join(block.text for block in rendered.blocks),
        warnings=tuple(_unknown_key(key, fields) for key in fields if key not in _FIELDS),
        translation_group=translation_group,
    )


class _Invalid(ValueError):
    """A field value that cannot be used; the message is shown to the editor as it is."""


def _check(
    problems: list[Problem],
    fields: Mapping[Any, object],
    field: str,
    validate: Callable[[object, str], T],
    *,
    required: bool = False,
) -> T | None:
    """The checked value; None when it is blank or wrong (a problem was added, unless blank and optional)."""
    value = fields.get(field)
    if _blank(value):
        if required:
            problems.append(Problem(field, _missing(field, fields)))
        return None
    try:
        return validate(value, field)
    except _Invalid as error:
        problems.append(Problem(field, str(error)))
        return None


def _title(value: object, field: str) -> str:
    title = _plain(_text(value, field))
    if not title:
        raise _Invalid(f"{field} is empty")
    if len(title) > MAX_TITLE_CHARS:
        raise _Invalid(f"{field} is {len(title)} characters long; the limit is {MAX_TITLE_CHARS}")
    return title


def _published_at(value: object, field: str) -> datetime:
    if isinstance(value, list | dict | set):  # checked first: str() of a nested value can be huge
        raise _Invalid(f"{field} must be one date like {_DATE_EXAMPLE}, not {kind_of(value)}")
    text = str(value).strip()
    day = _ISO_DATE.match(text) if isinstance(value, str) else None
    if day is None:
        raise _Invalid(f"{field} '{_shown(text)}' is not a date; write it like {_DATE_EXAMPLE}")
    try:
        date(*(int(part) for part in day.groups()))
    except ValueError:
        raise _Invalid(f"{field} '{_shown(text)}' is not a real calendar date") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"{field} '{_shown(text)}' cannot be read; write it like {_DATE_EXAMPLE}") from None
    if day.end() == len(text):
        moment = moment.replace(tzinfo=NEWSROOM_TIMEZONE)
    elif moment.tzinfo is None:
        # Guessing the zone would silently shift the publication time by hours, so the editor says it.
        example = moment.replace(tzinfo=NEWSROOM_TIMEZONE).isoformat()
        raise _Invalid(
            f"{field} '{_shown(text)}' has a time but no UTC offset, so the moment is unclear; "
            f"add the offset, e.g. '{example}' for Almaty time"
        )
    try:
        published = moment.astimezone(UTC)
    except OverflowError:  # the UTC moment falls outside years 1-9999
        published = None
    if published is None or not EARLIEST_PUBLICATION <= published <= LATEST_PUBLICATION:
        raise _Invalid(
            f"{field} '{_shown(text)}' is out of range: a publication date must fall between "
            f"{EARLIEST_PUBLICATION:%Y-%m-%d} and {LATEST_PUBLICATION:%Y-%m-%d} (UTC)"
        )
    return published


def _slug(value: object, field: str) -> str:
    slug = _text(value, field).strip()
    if len(slug) > MAX_SLUG_CHARS:
        raise _Invalid(f"{field} is {len(slug)} characters long; the limit is {MAX_SLUG_CHARS}")
    if not _SLUG.fullmatch(slug):
        example = make_slug(slug) or "rate-decision"
        raise _Invalid(
            f"{field} '{_shown(slug)}' may only have lower-case latin letters and digits, "
            f"joined by single hyphens, like '{example}'"
        )
    return slug


def _lang(value: object, field: str) -> Lang:
    if isinstance(value, list | dict | set):
        raise _Invalid(f"{field} must be one language, en (English) or ru (Russian), not {kind_of(value)}")
    lang = _LANGUAGES.get(value.strip().lower()) if isinstance(value, str) else None
    if lang is None:
        raise _Invalid(f"language '{_shown(value)}' is not supported; use en (English) or ru (Russian)")
    return lang


def _tags(value: object, field: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise _Invalid(f"{field} must be a list, or words separated by commas, not {kind_of(value)}")
    wrong = [
        f"tag {number} ({_shown(item)}) is {kind_of(item)}"
        for number, item in enumerate(items, 1)
        if not isinstance(item, str)
    ]
    if wrong:
        raise _Invalid(f"every tag must be text, but {', '.join(wrong)}; put such tags in quotes")
    unique: dict[str, str] = {}
    for tag in (_plain(item) for item in items if isinstance(item, str)):
        if tag:
            unique.setdefault(tag.casefold(), tag)
    return tuple(unique.values())


def _image(value: object, field: str) -> str:
    url = _text(value, field).strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and url.isprintable()
    except ValueError:  # e.g. an unbalanced [ in the host
        valid = False
    if not valid or any(char.isspace() for char in url):
        raise _Invalid(f"{field} must be a web address starting with http:// or https://, not '{_shown(value)}'")
    return url


def _translation_group(value: object, field: str) -> str:
    group = " ".join(_text(value, field).split())  # a pasted tab, line break or no-break space is just a space
    if len(group) > MAX_TRANSLATION_GROUP_CHARS:
        raise _Invalid(f"{field} is {len(group)} characters long; the limit is {MAX_TRANSLATION_GROUP_CHARS}")
    if invisible := next((char for char in group if not char.isprintable()), None):
        raise _Invalid(
            f"{field} has an invisible character (U+{ord(invisible):04X}); "
            "retype it as plain words or a code, like 'rate-decision-2026-11'"
        )
    return group


def _optional_text(value: object, field: str) -> str | None:
    return _plain(_text(value, field)) or None


def _render_markdown(source: str) -> str:
    html: str = _MARKDOWN.render(expand_shortcodes(source))
    return html


def _body(value: object, field: str, *, render: Callable[[str], str]) -> _Body:
    html = sanitize_html(render(_text(value, field)))
    blocks = tuple(text_blocks(html))
    if not blocks and "<img" not in html:
        raise _Invalid(f"{field} has nothing left to show once shortcodes and unsafe markup are removed")
    return _Body(html, blocks)


class _Markdown(MarkdownIt):
    """CommonMark with raw HTML (nh3 cleans it), tables and strikethrough."""

    def validateLink(self, url: str) -> bool:
        # nh3 alone judges URLs: markdown-it would leave a link it refuses as visible Markdown source.
        return True


_MARKDOWN = _Markdown("commonmark", {"html": True}).enable(["table", "strikethrough"])


# --- small helpers -----------------------------------------------------------------------------------


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        quote = "; put it in quotes" if isinstance(value, int | float) else ""  # bool is an int too
        raise _Invalid(f"{field} must be text, not {kind_of(value)}{quote}")
    return value


def _plain(value: str) -> str:
    return plain_text(expand_shortcodes(value))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing(field: str, fields: Mapping[Any, object]) -> str:
    if isinstance(fields.get(field), str):
        return f"{field} is empty"
    near = next((key for key in fields if key not in _FIELDS and _meant(key, fields) == field), None)
    return f"{field} is missing" + (f" (there is a key '{near}': did you mean '{field}'?)" if near else "")


def _unknown_key(key: object, fields: Mapping[Any, object]) -> str:
    meant = _meant(key, fields)
    return f"unknown key '{_shown(key)}' was ignored" + (f" (did you mean '{meant}'?)" if meant else "")


def _meant(key: object, fields: Mapping[Any, object]) -> str | None:
    """The known field an unknown key is probably a misspelling of, among those not given."""
    candidates = [field for field in _FIELDS if field not in fields]
    return next(iter(difflib.get_close_matches(str(key).lower(), candidates, n=1, cutoff=0.75)), None)


def _shown(value: object) -> str:
    """A value quoted back to the editor, shortened: it may be a whole paragraph or a data: URL. A list or
    group is named by its kind, never printed: it may be nested thousands of values deep."""
    if isinstance(value, list | dict | set):
        return kind_of(value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _reject(field: str, message: str) -> NoReturn:
    raise ArticleRejected([Problem(field, message)])
