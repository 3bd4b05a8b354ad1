"""Making editor markup safe (nh3, an allow-list sanitizer) and reading plain text back out of it."""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

__all__ = ["TextBlock", "plain_text", "sanitize_html", "shorten", "text_blocks"]

# Removed together with their content: active content, or content that is not article text.
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "noembed", "noframes", "xmp", "plaintext",
        "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "canvas",
        "audio", "video", "form", "textarea", "select", "button",
    }
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BODY_TAGS = _HEADINGS | {
    "p", "br", "hr", "blockquote", "pre", "code", "kbd", "ul", "ol", "li", "dl", "dt", "dd",
    "a", "img", "figure", "figcaption", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark",
    "small", "sub", "sup", "q", "cite", "abbr",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}  # fmt: skip
_BODY_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    # Markdown tables align columns with style="text-align:..."; every other property is filtered out.
    "th": {"colspan", "rowspan", "style"},
    "td": {"colspan", "rowspan", "style"},
}
# data: is refused on purpose, images included: they must be hosted, and data: is how payloads hide.
_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def _site_relative(url: str) -> str | None:
    """Keep `/path` and `#anchor`; a bare relative URL depends on where the page lives, and the odd
    ones (`java script:...`) are schemes in disguise."""
    return url if url.startswith(("/", "#")) else None


_BODY = nh3.Cleaner(
    tags=_BODY_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_BODY_ATTRIBUTES,
    link_rel="noopener noreferrer nofollow",
    url_schemes=_URL_SCHEMES,
    url_relative=_site_relative,
    filter_style_properties={"text-align"},
)
_NO_MARKUP = nh3.Cleaner(tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT)

# Elements that end a line of plain text; the innermost one names the block (see `TextBlock`).
_BLOCKS = _HEADINGS | {
    "p", "br", "hr", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd",
    "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}  # fmt: skip
_VOID = frozenset({"br", "hr"})


@dataclass(frozen=True)
class TextBlock:
    """One line of plain text and the block element it sits in ("p", "h2", "figcaption", "" at top level)."""

    tag: str
    text: str


def sanitize_html(markup: str) -> str:
    """Only allow-listed elements, attributes and URL schemes survive; links get rel="noopener ..."."""
    return _BODY.clean(markup)


def plain_text(markup: str) -> str:
    """All markup removed (script and style content too), entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_NO_MARKUP.clean(markup)).split())


def text_blocks(safe_html: str) -> list[TextBlock]:
    """The text of sanitized HTML, one block per paragraph, heading, list item, caption, cell..."""
    collector = _BlockCollector()
    collector.feed(safe_html)
    collector.close()
    return collector.blocks


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed, at most `limit` characters, cut at a word boundary and ended with "…"."""
    short = textwrap.shorten(text, width=limit, placeholder="…", break_on_hyphens=False)
    # textwrap gives up on a first word longer than the limit; a hard cut beats an excerpt of just "…".
    return text.strip()[: limit - 1] + "…" if short == "…" else short


class _BlockCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[TextBlock] = []
        self._open: list[str] = []
        self._pending: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()
            if tag not in _VOID:
                self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._flush()
            if self._open and self._open[-1] == tag:
                self._open.pop()

    def handle_data(self, data: str) -> None:
        self._pending.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._pending).split())
        self._pending.clear()
        if text:
            self.blocks.append(TextBlock(self._open[-1] if self._open else "", text))
