"""Highlighted titles and snippets: the original text, HTML-escaped, with matched words in <mark>.

Only text that came out of the sanitizer's plain-text step is used (never HTML or shortcodes), and
every character is escaped before the marks are added, so a result can be inserted as HTML as is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape

from steppewire.search.analysis import token_spans

SNIPPET_CHARS = 200


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    out, position = [], 0
    for start, end in spans:
        out += [escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>"]
        position = end
    out.append(escape(text[position:]))
    return "".join(out)


def _matches(text: str, matched_terms: Collection[str]) -> list[tuple[int, int]]:
    """The spans of the tokens whose term matched, or the term of one of their parts (the whole of
    ``Cell-Biologist`` is marked for ``biologist``: a part alone would read as a broken word)."""
    return [
        (token.start, token.end)
        for token in token_spans(text)
        if token.term in matched_terms or any(part.term in matched_terms for part in token.parts)
    ]


def highlight(text: str, matched_terms: Collection[str]) -> str:
    return _marked(text, _matches(text, matched_terms))


def snippet(text: str, matched_terms: Collection[str], length: int = SNIPPET_CHARS) -> str:
    """The window of about `length` characters with the most matches, cut at word boundaries."""
    text = " ".join(text.split())
    return _window(text, _matches(text, matched_terms), length)


def best_snippet(candidates: Sequence[str], matched_terms: Collection[str], length: int = SNIPPET_CHARS) -> str:
    """The snippet of the first candidate text that contains a match (else of the first non-empty one);
    each text is tokenized once, which is most of a query's CPU."""
    texts = [" ".join(text.split()) for text in candidates if text.strip()] or [""]
    for text in texts:
        if matches := _matches(text, matched_terms):
            return _window(text, matches, length)
    return _window(texts[0], [], length)


def _window(text: str, matches: list[tuple[int, int]], length: int) -> str:
    start = 0
    if matches:
        best = max(range(len(matches)), key=lambda i: sum(1 for s, _ in matches[i:] if s < matches[i][0] + length))
        # Start a little before the first match of the best window, at a word boundary.
        start = max(0, matches[best][0] - length // 5)
        if start:
            start = text.rfind(" ", 0, start) + 1
    end = min(len(text), start + length)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    inside = [(s - start, e - start) for s, e in matches if s >= start and e <= end]
    body = _marked(text[start:end], inside)
    return ("…" if start else "") + body + ("…" if end < len(text) else "")
