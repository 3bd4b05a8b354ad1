"""A WordPress post body (`content:encoded`) as the site showed it, before it goes through our sanitizer.

WordPress stores classic-editor posts as text with bare line breaks and adds the paragraphs when it
renders them (`wpautop`: a blank line is a paragraph, a single newline a `<br />`). Block-editor
(Gutenberg) posts carry their markup already, between `<!-- wp:… -->` comments, and WordPress does not
run `wpautop` on them; the comments go. Shortcodes are expanded first, as WordPress does at render
time, so a `[caption]` becomes a `<figure>` that paragraphing leaves alone.
"""

from __future__ import annotations

import re

from steppewire.articles.shortcodes import expand_shortcodes

__all__ = ["wordpress_html"]

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
# Block-level elements: paragraphs are made between them, never around or inside them.
_BLOCK_TAGS = (
    "address|article|aside|blockquote|details|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|"
    r"h[1-6]|header|hr|iframe|li|main|nav|ol|p|pre|section|summary|table|tbody|td|tfoot|th|thead|tr|ul"
)
_OPENING_BLOCK = re.compile(rf"<(?:{_BLOCK_TAGS})\b[^>]*>", re.IGNORECASE)
_CLOSING_BLOCK = re.compile(rf"</(?:{_BLOCK_TAGS})\s*>", re.IGNORECASE)
_ANY_BLOCK = re.compile(rf"</?(?:{_BLOCK_TAGS})\b", re.IGNORECASE)
_STARTS_WITH_BLOCK = re.compile(rf"\A</?(?:{_BLOCK_TAGS})\b", re.IGNORECASE)
_PRE = re.compile(r"<pre\b.*?</pre\s*>", re.IGNORECASE | re.DOTALL)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_KEPT = "\x00{}\x00"  # stands for a <pre> block while the text around it is paragraphed
_KEPT_MARK = re.compile("\x00(\\d+)\x00")


def wordpress_html(content: str) -> str:
    """The HTML WordPress would render for a post body, shortcodes expanded (still to be sanitized)."""
    text = content.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if _BLOCK_COMMENT.search(text):
        return expand_shortcodes(_BLOCK_COMMENT.sub("", text))
    return _paragraphs(expand_shortcodes(text))


def _paragraphs(text: str) -> str:
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return "\n\n" + _KEPT.format(len(kept) - 1) + "\n\n"

    text = _PRE.sub(keep, text)  # preformatted text keeps its line breaks
    # A block starts and ends a paragraph; what it encloses stays with it.
    text = _OPENING_BLOCK.sub(lambda tag: f"\n\n{tag.group(0)}", text)
    text = _CLOSING_BLOCK.sub(lambda tag: f"{tag.group(0)}\n\n", text)
    chunks = (chunk.strip() for chunk in _PARAGRAPH_BREAK.split(text))
    html = "\n".join(_paragraph(chunk) for chunk in chunks if chunk)
    return _KEPT_MARK.sub(lambda mark: kept[int(mark.group(1))], html)


def _paragraph(chunk: str) -> str:
    if _STARTS_WITH_BLOCK.match(chunk) or _KEPT_MARK.fullmatch(chunk):
        return chunk
    # Text that ends inside a block (the last paragraph of a quote): the paragraph closes before the block.
    block = _ANY_BLOCK.search(chunk)
    text, rest = (chunk[: block.start()], chunk[block.start() :]) if block else (chunk, "")
    return "<p>" + text.strip().replace("\n", "<br />\n") + "</p>" + rest
