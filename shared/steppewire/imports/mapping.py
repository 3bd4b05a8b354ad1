"""What a WordPress export item becomes: a post to publish (public, scheduled or hidden) or a skip.

The choices where the issue is silent (also in the README):
- only `post` items are articles; every other type is skipped and counted by type;
- `trash` and `auto-draft` are skipped; `draft`, `pending`, `private`, a password or a status we do not
  know are stored hidden, never public; `future` is scheduled at its date;
- the date is `post_date_gmt`, else `post_date` in the newsroom's zone (Asia/Almaty); a post with
  neither is rejected by the same date rule as an upload ("date is missing");
- an empty title is derived from the body's first words (noted in the report); an empty body is rejected;
- WordPress's default category ("Uncategorized") is no category;
- the slug is `post_name` percent-decoded, transliterated by the project's slug rule; a draft without
  one gets the title's slug.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Final, get_args
from urllib.parse import unquote, urlsplit

from steppewire.articles.document import NEWSROOM_TIMEZONE, Lang, make_slug
from steppewire.articles.publishing import MAX_TAGS
from steppewire.articles.sanitize import plain_text, shorten
from steppewire.articles.shortcodes import dropped_media
from steppewire.imports.wxr import Channel, WxrItem

__all__ = ["ExportContext", "ImportedPost", "Skipped", "map_item", "source_key"]

ARTICLE_TYPE: Final = "post"
SKIPPED_STATUSES: Final = frozenset({"trash", "auto-draft"})
HIDDEN_STATUSES: Final = frozenset({"draft", "pending", "private"})
PUBLIC_STATUSES: Final = frozenset({"publish", "future"})
DERIVED_TITLE_CHARS: Final = 80
NULL_DATE: Final = "0000-00-00 00:00:00"
DEFAULT_CATEGORY: Final = "uncategorized"
_POLYLANG_MEMBER = re.compile(r's:\d+:"([^"]*)";i:(\d+);')  # one {language: post id} pair of the map


@dataclass(frozen=True)
class Attachment:
    url: str
    alt: str


@dataclass
class ExportContext:
    """What posts refer to elsewhere in the file, gathered by the first pass: authors and categories (in
    the channel), featured images (attachment items, which may come after the post) and translation
    groups (Polylang terms of the channel, by member post id)."""

    channel: Channel = field(default_factory=Channel)
    attachments: dict[int, Attachment] = field(default_factory=dict)

    def see(self, item: WxrItem) -> None:
        if item.post_type == "attachment" and item.post_id is not None and item.attachment_url:
            self.attachments[item.post_id] = Attachment(
                item.attachment_url, item.meta.get("_wp_attachment_image_alt", "")
            )

    def groups(self) -> dict[int, str]:
        """Post id -> its Polylang translation group, from the channel's `post_translations` terms."""
        members: dict[int, str] = {}
        for (taxonomy, slug), description in self.channel.term_descriptions.items():
            if taxonomy == "post_translations":
                members |= {int(post_id): slug for _, post_id in _POLYLANG_MEMBER.findall(description)}
        return members


@dataclass(frozen=True)
class Skipped:
    reason: str


@dataclass(frozen=True)
class ImportedPost:
    """One post as the publishing domain takes it: fields named as in an editor's front matter, the
    WordPress HTML body, and what only an import knows. Travels as JSON in one SQS message."""

    source_key: str  # the post's identity: the site's URL and the post id
    post_id: int
    title: str  # as the export has it, for the report
    modified: str  # post_modified_gmt: a later export's version of the post wins
    fields: dict[str, Any]
    content: str
    hidden_reason: str | None
    translation_group: str | None
    legacy_paths: tuple[str, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ImportedPost:
        return cls(**dict(value) | {"legacy_paths": tuple(value["legacy_paths"]), "notes": tuple(value["notes"])})

    @property
    def content_sha256(self) -> str:
        """Of everything the article is made from: the same post exported again hashes alike."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


def source_key(base_site_url: str, post_id: int) -> str:
    return f"wxr:{base_site_url.rstrip('/')}/?p={post_id}"


def map_item(item: WxrItem, context: ExportContext, groups: Mapping[int, str]) -> ImportedPost | Skipped:
    if item.post_type != ARTICLE_TYPE:
        return Skipped(f"a {item.post_type or 'typeless'} item, not a post")
    if item.status in SKIPPED_STATUSES:
        return Skipped(f"status {item.status}")
    if item.post_id is None:
        return Skipped("no wp:post_id, so it cannot be told apart on a later import")
    channel = context.channel
    notes: list[str] = []
    title = plain_text(item.title).strip()
    if not title:
        title = shorten(plain_text(item.content), DERIVED_TITLE_CHARS)
        if title:
            notes.append(f"the post has no title; its first words were used: '{title}'")
    if dropped := dropped_media(item.content):
        names = ", ".join(f"[{name}]" for name in dropped)
        notes.append(f"{names} removed: the article shows no players, embeds or galleries")
    tags = [term.name for term in item.terms if term.domain == "post_tag" and term.name]
    if len(tags) > MAX_TAGS:
        notes.append(f"the post has {len(tags)} tags; the first {MAX_TAGS} were kept")
    fields: dict[str, Any] = {
        "title": title,
        "date": _date(item),
        "slug": _slug(item, title),
        "lang": _language(item, channel),
        "author": channel.authors[item.creator].display_name if item.creator in channel.authors else item.creator,
        "category": _category(item, channel),
        "tags": tags[:MAX_TAGS],
        "summary": plain_text(item.excerpt).strip(),
    }
    image = _featured_image(item, context)
    if image is not None:
        fields["image"] = image.url
        if image.alt:
            fields["image_alt"] = image.alt
    group = next((term.nicename for term in item.terms if term.domain == "post_translations"), None)
    group = group or groups.get(item.post_id)
    site = channel.base_site_url.rstrip("/")
    return ImportedPost(
        source_key=source_key(site, item.post_id),
        post_id=item.post_id,
        title=item.title,
        modified=item.post_modified_gmt if item.post_modified_gmt not in ("", NULL_DATE) else item.post_date_gmt,
        fields={name: value for name, value in fields.items() if value not in (None, "", [])},
        content=item.content,
        hidden_reason=_hidden_reason(item),
        translation_group=f"{site}#{group}" if group else None,
        legacy_paths=tuple(dict.fromkeys(_legacy_paths(item))),
        notes=tuple(notes),
    )


def _hidden_reason(item: WxrItem) -> str | None:
    if item.password:
        return "password protected"
    if item.status in PUBLIC_STATUSES:
        return None
    return item.status if item.status in HIDDEN_STATUSES else f"status '{item.status}'"


def _date(item: WxrItem) -> str | None:
    """ISO text for the article's date rule: UTC when WordPress knew it, else the site's local time."""
    for value, zone in ((item.post_date_gmt, "+00:00"), (item.post_date, None)):
        if value and value != NULL_DATE:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value  # the date rule names what is wrong with it
            if zone is None:
                return moment.replace(tzinfo=NEWSROOM_TIMEZONE).isoformat()
            return f"{moment.isoformat()}{zone}"
    return None


def _slug(item: WxrItem, title: str) -> str:
    return make_slug(unquote(item.post_name)) or make_slug(title)


def _language(item: WxrItem, channel: Channel) -> str:
    polylang = next((term.nicename for term in item.terms if term.domain == "language"), None)
    if polylang:
        return polylang  # an unsupported one is rejected by the language rule, naming it
    channel_language = channel.language.split("-")[0].lower()
    return channel_language if channel_language in get_args(Lang) else "en"


def _category(item: WxrItem, channel: Channel) -> str | None:
    categories = [term for term in item.terms if term.domain == "category" and term.name]
    primary = item.meta.get("_yoast_wpseo_primary_category", "").strip()
    if primary.isdigit() and int(primary) in channel.category_names:
        return channel.category_names[int(primary)]
    first = next((term for term in categories if term.nicename != DEFAULT_CATEGORY), None)
    return first.name if first else None


def _featured_image(item: WxrItem, context: ExportContext) -> Attachment | None:
    thumbnail = item.meta.get("_thumbnail_id", "").strip()
    return context.attachments.get(int(thumbnail)) if thumbnail.isdigit() else None


def _legacy_paths(item: WxrItem) -> Iterable[str]:
    """The old permalink's path and the `?p=` link WordPress answers for every post."""
    try:
        link = urlsplit(item.link)
    except ValueError:
        link = None
    if link is not None and (link.path not in ("", "/") or link.query):
        yield link.path + (f"?{link.query}" if link.query else "")
    yield f"/?p={item.post_id}"
