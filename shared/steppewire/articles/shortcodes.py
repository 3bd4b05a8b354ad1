"""WordPress shortcodes: `[caption]` becomes a `<figure>`, every other shortcode disappears.

The old site leaked raw shortcodes into excerpts, so they are handled in the source text, before Markdown,
wherever they appear (code spans included: a newsroom article has no reason to show shortcode syntax).

The rule that tells a shortcode from Markdown or bracketed prose:

* `[name` + `]` where name is an ASCII letter then letters, digits, `_` or `-`; then
* a bracket group immediately followed by `(` is Markdown link text (`[text](url)`, `![alt](src)`): left alone;
* `[/name]` (a closing tag) is a shortcode;
* `[name attrs]` is a shortcode when every attribute is `key=value` (value quoted or bare), a quoted
  string or an http(s) URL, and `[name /]` (self-closing) is one too;
* a bare `[name]` is a shortcode when `[/name]` also appears in the text (it encloses something), or when
  it is a WordPress core shortcode (`caption`, `gallery`, `audio`, ..., case-sensitive like WordPress
  itself) not followed by `[` or `:` (that would be a reference link `[video][1]` or a definition).

So `[sic]`, `[1]`, `[VIDEO]`, `[the minister]`, `[text][ref]` and `[ref]: url` stay as they are.

What happens to a shortcode: `[caption]...[/caption]` becomes `<figure><img><figcaption>` (from its
`caption` attribute or the text after the image); the media ones (`embed`, `audio`, `video`, `playlist`)
go with everything they enclose, which is a URL or player fallback, not prose; any other tag is removed
and what it encloses stays. The result still holds raw HTML: it must go through the sanitizer.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["expand_shortcodes", "dropped_media"]

_CAPTIONS = frozenset({"caption", "wp_caption"})
_MEDIA = frozenset({"embed", "audio", "video", "playlist"})
# Registered by WordPress core, so meaningful even bare (`[gallery]` shows every attached image).
_CORE = _CAPTIONS | _MEDIA | {"gallery"}

_PAIR = r"""(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'\]]+))"""
_ATTRIBUTE = rf"""(?:{_PAIR}|"[^"]*"|'[^']*'|https?://[^\s\]]+)"""
_TAG = re.compile(
    rf"""\[(?P<closing>/)?(?P<name>[A-Za-z][A-Za-z0-9_-]*)
    (?P<attributes>(?:\s+{_ATTRIBUTE})*)\s*(?P<self_closing>/)?\](?!\()""",
    re.VERBOSE,
)
_PAIRS = re.compile(_PAIR)
_BLANKS = re.compile(r"[ \t]*")
# What WordPress puts first in a caption: the image, possibly linked to its full size.
_CAPTIONED_MEDIA = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class _Tag:
    start: int
    end: int
    name: str
    closing: bool
    attributes: str


def expand_shortcodes(text: str) -> str:
    """`text` with every shortcode replaced as the module docstring says; anything else untouched."""
    tags = _shortcode_tags(text)
    closings: dict[str, list[int]] = {}
    for number, tag in enumerate(tags):
        if tag.closing:
            closings.setdefault(tag.name, []).append(number)
    pieces: list[str] = []
    tail = "\n"  # the last character written: the start counts as a line start
    position = index = 0
    while index < len(tags):
        tag = tags[index]
        pieces.append(text[position : tag.start])
        tail = pieces[-1][-1:] or tail
        close = _closing_partner(tag, index, closings)
        if close is not None and tag.name in _CAPTIONS:
            pieces.append(_figure(tag.attributes, text[tag.end : tags[close].start], own_line=tail == "\n"))
            tail = pieces[-1][-1]
        elif not tail.isspace():
            # A removed shortcode still parts words ("overnight.[/su_column][su_column]More"), but adds nothing
            # after whitespace: at a line start, four spaces would make a Markdown code block.
            pieces.append(" ")
            tail = " "
        # A caption or media pair goes as a whole; any other tag alone, leaving what it encloses.
        index = close if close is not None else index
        position = tags[index].end
        # Nothing written on this line yet: the blanks after the tag would indent it.
        if tail == "\n" and (blanks := _BLANKS.match(text, position)):
            position = blanks.end()
        index += 1
    pieces.append(text[position:])
    return "".join(pieces)


def dropped_media(text: str) -> list[str]:
    """The media shortcodes `expand_shortcodes` removes with what they show (players, embeds, galleries), each
    name once in order of appearance: what an importer tells the editor is gone from the article."""
    names = (tag.name for tag in _shortcode_tags(text) if not tag.closing and tag.name in _MEDIA | {"gallery"})
    return list(dict.fromkeys(names))


def _closing_partner(tag: _Tag, index: int, closings: dict[str, list[int]]) -> int | None:
    """Where the `[/name]` of a caption or media tag is; None for any other tag or an unclosed one."""
    if tag.closing or tag.name not in _CAPTIONS | _MEDIA:
        return None
    candidates = closings.get(tag.name, [])
    after = bisect.bisect_right(candidates, index)  # a lookup, not a scan: a 1 MiB file may hold 80,000 tags
    return candidates[after] if after < len(candidates) else None


def _shortcode_tags(text: str) -> list[_Tag]:
    matches = list(_TAG.finditer(text))
    closed = {match["name"] for match in matches if match["closing"]}
    return [
        _Tag(match.start(), match.end(), match["name"], bool(match["closing"]), match["attributes"])
        for match in matches
        if match["closing"]
        or match["attributes"]
        or match["self_closing"]
        or match["name"] in closed
        or (match["name"] in _CORE and text[match.end() : match.end() + 1] not in ("[", ":"))
    ]


def _figure(attributes: str, inner: str, own_line: bool) -> str:
    """One line of HTML, so that Markdown keeps it as a single HTML block (blank lines would split it)."""
    media_match = _CAPTIONED_MEDIA.fullmatch(inner)
    media, caption = (media_match[1], media_match[2]) if media_match else ("", inner)
    # The pair was taken whole, so shortcodes inside the caption have not been seen yet.
    caption = expand_shortcodes(_attribute(attributes, "caption") or caption)
    figure = "<figure>{}{}</figure>".format(
        " ".join(media.split()),
        f"<figcaption>{' '.join(caption.split())}</figcaption>" if caption.strip() else "",
    )
    # Alone on its line it is a block; the blank line after stops Markdown from swallowing the next line
    # into the same raw HTML block.
    return figure + "\n\n" if own_line else figure


def _attribute(attributes: str, key: str) -> str | None:
    for pair in _PAIRS.finditer(attributes):
        if pair["key"] == key:
            return next(value for value in (pair["dq"], pair["sq"], pair["bare"]) if value is not None)
    return None
