"""Reading a WordPress export (WXR 1.0-1.2): a stream of bytes in, the channel's facts and one typed item
at a time out, in bounded memory whatever the file's size.

Parsed with defusedxml's iterparse (no DTD, no entities, nothing external), each item freed once read.
Namespaces are matched by their path, not one exact URI: WordPress.com writes `https://wordpress.org/
export/1.2/`, older sites `http://wordpress.org/export/1.0/`. A file that is not well-formed raises
`ExportBroken` with its line and column; `scan` reads the whole file that way first, so that a broken
export is refused before anything is imported, and counts the items so that progress has a total.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

__all__ = ["Author", "Channel", "ExportBroken", "ExportReader", "ExportSummary", "Term", "WxrItem", "scan"]

# Namespaces by their path, whatever the scheme and WXR version: `wordpress.org/export/1.2/` is `wp`,
# `wordpress.org/export/1.2/excerpt/` is `excerpt`.
_WORDPRESS = re.compile(r"wordpress\.org/export/\d+\.\d+/(?P<excerpt>excerpt/)?")
_WXR_VERSION = re.compile(r"\d+\.\d+")
_OTHER_NAMESPACES = {"purl.org/rss/1.0/modules/content/": "content", "purl.org/dc/elements/1.1/": "dc"}


class ExportBroken(ValueError):
    """The file is not a WordPress export we can read; `line` and `column` say where, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Author:
    login: str
    display_name: str


@dataclass(frozen=True)
class Term:
    """A `<category domain=… nicename=…>Name</category>` of an item: a category, tag, language, …"""

    domain: str
    nicename: str
    name: str


@dataclass(frozen=True)
class WxrItem:
    post_id: int | None
    post_type: str
    status: str
    title: str
    link: str
    creator: str
    content: str  # content:encoded, HTML as the editor left it
    excerpt: str
    post_date: str  # site-local "YYYY-MM-DD HH:MM:SS"
    post_date_gmt: str  # "0000-00-00 00:00:00" for drafts
    post_modified_gmt: str  # when the post last changed (empty in old exports)
    post_name: str  # percent-encoded for non-Latin slugs; empty for drafts
    password: str
    terms: tuple[Term, ...]
    meta: dict[str, str]
    attachment_url: str


@dataclass
class Channel:
    """What the export says before its items: the site, its language, its authors and its terms."""

    title: str = ""
    link: str = ""
    language: str = ""
    wxr_version: str = ""
    base_site_url: str = ""
    authors: dict[str, Author] = field(default_factory=dict)
    # Taxonomy terms of the channel (`wp:term`), e.g. Polylang's post_translations groups: (taxonomy, slug)
    # -> description, where Polylang keeps its serialized {language: post id} map.
    term_descriptions: dict[tuple[str, str], str] = field(default_factory=dict)
    # Term ids of categories (`wp:category`, or a `wp:term` of taxonomy category) -> their names: Yoast's
    # primary category names its term by id.
    category_names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportSummary:
    channel: Channel
    items: int
    by_type_and_status: Counter[tuple[str, str]]


@lru_cache(maxsize=1024)  # a few dozen distinct tags, millions of elements; bounded for hostile files
def _short(tag: str) -> str:
    """`{http://wordpress.org/export/1.2/}post_id` -> `wp:post_id`; an unknown namespace keeps its URI."""
    if not tag.startswith("{"):
        return tag
    uri, _, local = tag[1:].partition("}")
    path = uri.split("://", 1)[-1]
    if wordpress := _WORDPRESS.fullmatch(path):
        return f"{'excerpt' if wordpress['excerpt'] else 'wp'}:{local}"
    short = _OTHER_NAMESPACES.get(path)
    return f"{short}:{local}" if short else tag


def _text(element: Element | None) -> str:
    return (element.text or "") if element is not None else ""


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _short(child.tag) == name), None)


def _child_text(element: Element, name: str, *, strip: bool = True) -> str:
    text = _text(_child(element, name))
    return text.strip() if strip else text


def _item(element: Element) -> WxrItem:
    fields: dict[str, str] = {}  # the first of each child, as WordPress writes one
    meta = {}
    terms = []
    for child in element:
        name = _short(child.tag)
        if name == "wp:postmeta":
            key = _child_text(child, "wp:meta_key")
            if key:
                meta[key] = _text(_child(child, "wp:meta_value"))
        elif name == "category":
            terms.append(Term(child.get("domain", ""), child.get("nicename", ""), (child.text or "").strip()))
        else:
            fields.setdefault(name, child.text or "")

    def text(name: str) -> str:
        return fields.get(name, "").strip()

    post_id = text("wp:post_id")
    return WxrItem(
        post_id=int(post_id) if post_id.isdigit() else None,
        post_type=text("wp:post_type"),
        status=text("wp:status"),
        title=text("title"),
        link=text("link"),
        creator=text("dc:creator"),
        content=fields.get("content:encoded", ""),
        excerpt=fields.get("excerpt:encoded", ""),
        post_date=text("wp:post_date"),
        post_date_gmt=text("wp:post_date_gmt"),
        post_modified_gmt=text("wp:post_modified_gmt"),
        post_name=text("wp:post_name"),
        password=text("wp:post_password"),
        terms=tuple(terms),
        meta=meta,
        attachment_url=text("wp:attachment_url"),
    )


def _channel_fact(channel: Channel, element: Element) -> None:
    name = _short(element.tag)
    if name == "wp:author":
        login = _child_text(element, "wp:author_login")
        channel.authors[login] = Author(login, _child_text(element, "wp:author_display_name") or login)
    elif name == "wp:category":
        _name_category(channel, _child_text(element, "wp:term_id"), _child_text(element, "wp:cat_name"))
    elif name == "wp:term":
        key = (_child_text(element, "wp:term_taxonomy"), _child_text(element, "wp:term_slug"))
        channel.term_descriptions[key] = _child_text(element, "wp:term_description")
        if key[0] == "category":
            _name_category(channel, _child_text(element, "wp:term_id"), _child_text(element, "wp:term_name"))
    elif name in ("title", "link", "language"):
        setattr(channel, name, _text(element).strip())
    elif name in ("wp:wxr_version", "wp:base_site_url"):
        setattr(channel, name.removeprefix("wp:"), _text(element).strip())


def _name_category(channel: Channel, term_id: str, name: str) -> None:
    if term_id.isdigit() and name:
        channel.category_names[int(term_id)] = name


class ExportReader:
    """The items of one export, one at a time; `channel` fills in as the file is read (WordPress writes
    the channel's facts before its items). Iterating raises `ExportBroken` where the file stops being a
    readable export."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.channel = Channel()

    def __iter__(self) -> Iterator[WxrItem]:
        open_elements: list[Element] = []
        started = False
        checked = False
        parser = SafeET.DefusedXMLParser(forbid_dtd=True)  # ours, so that a refusal can say where expat was
        try:
            for event, element in SafeET.iterparse(self._stream, events=("start", "end"), parser=parser):
                if event == "start":
                    if not started and element.tag != "rss":
                        raise ExportBroken(f"the file is {_named(element.tag)}, not a WordPress export (<rss>)")
                    started = True
                    open_elements.append(element)
                    continue
                open_elements.pop()
                # A child of <channel> is a channel fact or an item: read it, then free it.
                if len(open_elements) == 2:
                    if _short(element.tag) == "item":
                        checked = checked or self._check_version()
                        yield _item(element)
                    else:
                        _channel_fact(self.channel, element)
                    open_elements[-1].remove(element)
        except ParseError as error:
            if not started:
                raise ExportBroken("the file is empty or holds no XML element") from None
            line, column = error.position
            raise ExportBroken("the export is not well-formed XML", line, column + 1) from None
        except DefusedXmlException as error:
            problem = f"the export declares a DTD or entities, which are refused ({type(error).__name__})"
            expat = parser.parser
            raise ExportBroken(problem, expat.CurrentLineNumber, expat.CurrentColumnNumber + 1) from None
        self._check_version()

    def _check_version(self) -> bool:
        """WordPress writes the version before the first item; an RSS feed that is not an export has none."""
        version = self.channel.wxr_version
        if not version:
            raise ExportBroken("the file has no <wp:wxr_version>: it is not a WordPress export")
        if not _WXR_VERSION.fullmatch(version):
            raise ExportBroken(f"<wp:wxr_version> is '{version[:40]}', not a version like 1.2: not a WordPress export")
        return True


def _named(tag: str) -> str:
    """An element as an editor can read it: `<feed>` (its namespace after it), not `{uri}feed`."""
    uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f"<{local}> ({uri})" if uri else f"<{local}>"


def scan(stream: IO[bytes]) -> ExportSummary:
    """The first pass: the whole file read for well-formedness, its items counted by type and status."""
    reader = ExportReader(stream)
    counts = Counter((item.post_type, item.status) for item in reader)
    return ExportSummary(reader.channel, sum(counts.values()), counts)
