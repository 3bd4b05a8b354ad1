"""Lines of text packed with zlib into one binary attribute: a list of thousands of short strings stored
as a DynamoDB list costs a few bytes of overhead per element and does not compress."""

from __future__ import annotations

import zlib
from collections.abc import Iterable


def pack_lines(lines: Iterable[str]) -> bytes:
    """The lines joined and compressed; a line with a newline in it would come back as two (ValueError)."""
    listed = list(lines)
    if any("\n" in line for line in listed):
        raise ValueError("a packed line cannot contain a newline")
    return zlib.compress("\n".join(listed).encode("utf-8"))


def unpack_lines(data: bytes) -> list[str]:
    text = zlib.decompress(bytes(data)).decode("utf-8")
    return text.split("\n") if text else []
