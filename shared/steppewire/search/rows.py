"""A search result row: what a hit shows of one article, one item per indexed document.

`SearchRow.of` shapes it from the stored article; `to_item`/`from_item` are its only conversions to and
from the index table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from steppewire.dynamo_items import item_size, to_item
from steppewire.search.index_store import Key

if TYPE_CHECKING:
    from steppewire.articles.store import StoredArticle

# A result row stays within one 4 KB read unit (0.5 RCU each): the text lead for snippets gets what is left.
ROW_BYTES = 4000


def doc_key(doc: int) -> Key:
    return (f"DOC#{doc}", "DOC")


@dataclass(frozen=True)
class SearchRow:
    slug: str
    title: str
    summary: str | None
    published_at: str
    lang: str
    category: str | None
    country: str | None
    tags: tuple[str, ...]
    text: str  # the lead of the body, for snippets

    @classmethod
    def of(cls, article: StoredArticle) -> SearchRow:
        row = cls(
            slug=article.slug,
            title=article.title,
            summary=article.summary,
            published_at=article.published_at,
            lang=article.lang,
            category=article.category,
            country=article.country,
            tags=article.tags,
            text="",
        )
        room = max(0, ROW_BYTES - item_size(to_item(row.to_item(1_000_000))))
        # Cut by bytes, not characters: Cyrillic is 2 bytes a letter.
        return replace(row, text=article.text.encode("utf-8")[:room].decode("utf-8", errors="ignore"))

    def to_item(self, doc: int) -> dict[str, Any]:
        pk, sk = doc_key(doc)
        return {"pk": pk, "sk": sk, "doc": doc, **asdict(self), "tags": list(self.tags)}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SearchRow:
        return cls(
            slug=str(item["slug"]),
            title=str(item["title"]),
            summary=item.get("summary"),
            published_at=str(item["published_at"]),
            lang=str(item["lang"]),
            category=item.get("category"),
            country=item.get("country"),
            tags=tuple(item.get("tags") or ()),
            text=str(item.get("text") or ""),
        )
