"""A deterministic generator of WordPress exports (WXR 1.2) in the shape WordPress 6.x writes them.

    python tools/make_wxr.py --posts 2000 --seed 7 --out /tmp/export.xml [--gzip] \
        [--manifest /tmp/export.jsonl] [--changed 5]

What comes out, as `wp-admin/export.php` (with Polylang and Yoast) writes it:
- the header comments, the five namespaces, `wp:wxr_version` 1.2, base site and blog URLs;
- channel authors, categories (English and Russian), tags, and `wp:term`s: Polylang's `language` terms
  and one `post_translations` term per translated story, whose `term_description` is the serialized PHP
  map `a:2:{s:2:"en";i:101;s:2:"ru";i:102;}`;
- `--posts N` items of type `post` (exactly N), English/Russian pairs linked by Polylang, singles in each
  language, statuses publish / future / draft / pending / private / trash / auto-draft, password-protected
  posts; alongside them pages, attachments (`_wp_attachment_image_alt`), revisions and nav_menu_items;
- bodies: classic-editor text with bare newlines, Gutenberg block comments, `[caption]`, `[gallery]`,
  `[embed]`; every CDATA written by WordPress's `wxr_cdata` rule (`]]>` -> `]]]]><![CDATA[>`);
- the pitfalls, each present whenever N >= 40 (they come first, then a seeded mix): a body with `]]>`,
  entities in titles, an empty title, an empty body, more than 20 tags, duplicate `post_name`s, drafts
  whose `post_date_gmt` is the null date, percent-encoded Cyrillic `post_name`s, comments.

The output is streamed item by item (two passes over a seeded plan: the channel's translation terms must
come before the items), so `--posts 100000` runs in bounded memory. The same arguments give the same
bytes (gzip included: no name, mtime 0).

`--manifest FILE` writes one JSON line per `post` item: its id, status, language, what an importer
should make of it (`expect`: public, scheduled, hidden, skipped or rejected), its translation's id, the
special case it carries and its decoded `post_name`, for a campaign to check the import against.
`--changed K` makes a "later export" of the same site: the same items, with K published posts edited
(a paragraph added, `post_modified` moved on); their manifest lines say `"changed": true`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Final, Protocol
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

__all__ = ["ExportPlan", "PlannedPost", "main", "write_export"]

SITE: Final = "https://news.example.kz"
SITE_ZONE: Final = ZoneInfo("Asia/Almaty")
NULL_DATE: Final = "0000-00-00 00:00:00"
EXPORTED_AT: Final = datetime(2026, 11, 30, 9, 12, tzinfo=UTC)  # fixed: the same seed gives the same bytes
FIRST_POST_ID: Final = 100
FIRST_TERM_ID: Final = 1000  # post_translations terms; categories and tags are below
WXR_NAMESPACES: Final = (
    ("excerpt", "http://wordpress.org/export/1.2/excerpt/"),
    ("content", "http://purl.org/rss/1.0/modules/content/"),
    ("wfw", "http://wellformedweb.org/CommentAPI/"),
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("wp", "http://wordpress.org/export/1.2/"),
)

# --------------------------------------------------------------------------------------------- the site
AUTHORS: Final = (
    ("aigerim", "Aigerim Sultanova", "Aigerim", "Sultanova"),
    ("daniyar", "Daniyar Abenov", "Daniyar", "Abenov"),
    ("olga.k", "Ольга Ким", "Ольга", "Ким"),
    ("timur", "Тимур Рахимов", "Тимур", "Рахимов"),
    ("editor", "Steppe Wire Desk", "", ""),
    ("zarina_t", "Zarina Tashkentova", "Zarina", "Tashkentova"),
)
# term_id, nicename, English name, Russian name (Polylang keeps a category per language; both are here)
CATEGORIES: Final = (
    (1, "uncategorized", "Uncategorized", "Без рубрики"),
    (5, "economy", "Economy", "Экономика"),
    (6, "politics", "Politics", "Политика"),
    (7, "energy", "Energy", "Энергетика"),
    (8, "markets", "Markets", "Рынки"),
    (9, "regions", "Regions", "Регионы"),
    (10, "transport", "Transport", "Транспорт"),
)
_RU_CATEGORY_OFFSET: Final = 100  # the Russian twin of category 5 is term 105, nicename economy-ru
TAGS: Final = (
    "tenge", "oil", "gas", "inflation", "national-bank", "budget", "wheat", "uranium", "astana", "almaty",
    "tashkent", "bishkek", "dushanbe", "ashgabat", "caspian", "rail", "sanctions", "eaeu", "china", "russia",
    "elections", "parliament", "mining", "banks", "remittances", "cotton", "water", "energy-prices", "tax",
    "trade", "logistics", "middle-corridor", "copper", "gold", "bonds", "imf", "world-bank", "drought",
)  # fmt: skip
RU_TAGS: Final = (
    "тенге", "нефть", "инфляция", "нацбанк", "бюджет", "пшеница", "уран", "астана", "алматы", "ташкент",
    "бишкек", "каспий", "санкции", "еаэс", "выборы", "парламент", "банки", "переводы", "хлопок", "вода",
)  # fmt: skip
LANGUAGE_TERMS: Final = (
    (2, "en", "English", 'a:3:{s:6:"locale";s:5:"en_US";s:3:"rtl";i:0;s:9:"flag_code";s:2:"us";}'),
    (3, "ru", "Русский", 'a:3:{s:6:"locale";s:5:"ru_RU";s:3:"rtl";i:0;s:9:"flag_code";s:2:"ru";}'),
)

# ----------------------------------------------------------------------------------------- the words
EN_SUBJECTS: Final = (
    "The National Bank of Kazakhstan", "Uzbekistan's finance ministry", "Kyrgyzstan's parliament",
    "Tajikistan's energy ministry", "The Eurasian Development Bank", "Kazakhstan's government",
    "Samruk-Kazyna", "KazMunayGas", "The Astana International Exchange", "Turkmenistan's gas exporter",
    "The central bank in Tashkent", "Regional governors", "The Ministry of Agriculture",
    "Analysts in Almaty", "The Caspian Pipeline Consortium", "Kazakhstan Temir Zholy",
)  # fmt: skip
EN_VERBS: Final = (
    "kept its base rate at", "raised its forecast to", "cut its estimate to", "reported growth of",
    "announced a budget of", "warned of inflation near", "signed a deal worth", "expects exports of",
)  # fmt: skip
EN_FIGURES: Final = (
    "15.25%", "4.8%", "$1.2bn", "12.3 million tonnes", "470 tenge to the dollar", "KZT 2.1 trillion",
    "$640m", "8.6%", "3.1 billion cubic metres", "1.4 million barrels a day",
)  # fmt: skip
EN_TAILS: Final = (
    "as oil prices eased.", "citing weaker remittances from Russia.", "after talks in Astana.",
    "despite a drought in the north.", "ahead of parliamentary elections.", "as the tenge steadied.",
    "along the Middle Corridor.", "under pressure from the IMF.", "while wheat harvests recovered.",
    "for the third quarter running.", "as Chinese demand picked up.", "amid a row over water quotas.",
)  # fmt: skip
RU_SUBJECTS: Final = (
    "Национальный банк Казахстана", "Минфин Узбекистана", "Жогорку Кенеш", "Минэнерго Таджикистана",
    "Евразийский банк развития", "Правительство Казахстана", "Фонд «Самрук-Казына»", "КазМунайГаз",
    "Биржа МФЦА", "Аналитики в Алматы", "Каспийский трубопроводный консорциум", "Акиматы областей",
)  # fmt: skip
RU_VERBS: Final = (
    "сохранил базовую ставку на уровне", "повысил прогноз до", "снизил оценку до", "сообщил о росте на",
    "утвердил бюджет в", "предупредил об инфляции около", "подписал соглашение на",
)  # fmt: skip
RU_FIGURES: Final = (
    "15,25%", "4,8%", "1,2 млрд долларов", "12,3 млн тонн", "470 тенге за доллар", "2,1 трлн тенге", "8,6%",
)  # fmt: skip
RU_TAILS: Final = (
    "на фоне снижения цен на нефть.", "из-за сокращения денежных переводов.", "после переговоров в Астане.",
    "несмотря на засуху на севере.", "накануне выборов в парламент.", "пока тенге оставался стабильным.",
    "по Среднему коридору.", "под давлением МВФ.", "третий квартал подряд.", "на фоне спора о воде.",
)  # fmt: skip
EN_HEADLINES: Final = (
    "Tenge steadies as oil recovers", "Astana weighs new budget rule", "Wheat exports hit record",
    "Tashkent opens bond market to foreigners", "Bishkek debates mining tax", "Drought hits northern farms",
    "Rail freight to China grows", "Inflation slows for a fourth month", "Uranium output rises",
    "Parliament passes banking law", "Caspian pipeline resumes loading", "Remittances fall again",
)  # fmt: skip
RU_HEADLINES: Final = (
    "Тенге укрепился вслед за нефтью", "Астана обсуждает бюджетное правило", "Экспорт пшеницы бьёт рекорды",
    "Ташкент открыл рынок облигаций", "В Бишкеке спорят о налоге на добычу", "Засуха ударила по северу",
    "Грузоперевозки в Китай растут", "Инфляция замедлилась", "Добыча урана выросла",
    "Парламент принял закон о банках", "КТК возобновил отгрузку", "Денежные переводы снова упали",
)  # fmt: skip
ENTITY_TITLES: Final = (
    "Oil &amp; gas: Kazakhstan&#8217;s output &lt;forecast&gt; revised",
    "&laquo;Самрук-Казына&raquo; &mdash; итоги года",
    "Q&amp;A: what the rate decision means &#8230;",
)
EMBEDS: Final = (
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://twitter.com/SteppeWire/status/1700000000000000000",
    "https://vimeo.com/76979871",
)

# The pitfalls, one unit each, before the seeded mix.
SPECIALS: Final = (
    "pair",
    "cdata-split",
    "entities-title",
    "empty-title",
    "empty-body",
    "many-tags",
    "slug-collision",
    "null-date-draft",
    "cyrillic-slug",
    "gutenberg",
    "shortcodes",
    "password",
    "future",
    "draft",
    "pending",
    "private",
    "trash",
    "auto-draft",
    "comments",
    "page",
    "nav-menu",
    "revision",
    "pair",
)
_STATUS_WEIGHTS: Final = (
    ("publish", 70),
    ("future", 5),
    ("draft", 7),
    ("pending", 3),
    ("private", 3),
    ("password", 3),
    ("trash", 3),
    ("auto-draft", 2),
)
EXPECT: Final = {
    "publish": "public",
    "future": "scheduled",
    "draft": "hidden",
    "pending": "hidden",
    "private": "hidden",
    "trash": "skipped",
    "auto-draft": "skipped",
}


# ---------------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class PlannedPost:
    """One `post` item as the plan decides it (text is drawn later, from its own seeded stream)."""

    post_id: int
    lang: str
    status: str  # WordPress's wp:status
    password: bool
    special: str  # one of SPECIALS, or "" for the seeded mix
    partner: int | None  # the post id of its translation
    group: str | None  # the Polylang post_translations term slug
    thumbnail: int | None  # the attachment's post id
    collides_with: int | None  # a post whose post_name this one repeats
    changed: bool

    @property
    def expect(self) -> str:
        if self.special == "empty-body" and self.status not in ("trash", "auto-draft"):
            return "rejected"
        if self.password and self.status not in ("trash", "auto-draft"):
            return "hidden"
        return EXPECT.get(self.status, "hidden")


@dataclass(frozen=True)
class PlannedUnit:
    """What one step of the plan writes: a story (one post, or a translated pair) or a non-post item."""

    index: int
    kind: str  # "posts", "page", "nav-menu"
    posts: tuple[PlannedPost, ...] = ()
    item_id: int = 0  # a page's or menu item's post id
    revision_id: int | None = None  # a revision of the first post
    attachment_ids: tuple[int, ...] = ()


@dataclass
class ExportPlan:
    """The export as a seeded sequence of units; `units()` can be walked any number of times alike."""

    posts: int
    seed: int
    changed: int = 0
    _changed_every: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.posts < 0:
            raise ValueError("--posts must be >= 0")
        # Spread the K changed posts over the export: every n-th published post from the 30th on.
        publishable = max(self.posts * 7 // 10 - 30, 1)
        self._changed_every = max(publishable // self.changed, 1) if self.changed else 0

    def units(self) -> Iterator[PlannedUnit]:
        next_id = FIRST_POST_ID
        written = 0
        published = 0
        changed = 0
        recent_names: list[int] = []  # recent public posts: a slug collision repeats one of them
        index = 0
        while written < self.posts:
            rng = random.Random(f"{self.seed}/plan/{index}")
            special = SPECIALS[index] if index < len(SPECIALS) else ""
            kind = _unit_kind(rng, special)
            if kind in ("page", "nav-menu"):
                yield PlannedUnit(index, kind, item_id=next_id)
                next_id += 1
                index += 1
                continue
            pair = special == "pair" or (not special and rng.random() < 0.45)
            pair = pair and self.posts - written >= 2
            langs = ("en", "ru") if pair else (("ru",) if special == "cyrillic-slug" or rng.random() < 0.3 else ("en",))
            ids = list(range(next_id, next_id + len(langs)))
            next_id += len(langs)
            group = f"pll_{rng.getrandbits(52):013x}" if pair else None
            attachments: list[int] = []
            posts: list[PlannedPost] = []
            for position, (post_id, lang) in enumerate(zip(ids, langs, strict=True)):
                status, password = _status(rng, special)
                thumbnail = None
                if status != "auto-draft" and rng.random() < 0.5:
                    thumbnail = next_id
                    attachments.append(next_id)
                    next_id += 1
                collides = None
                if special == "slug-collision" and recent_names:
                    collides = recent_names[0]
                is_changed = False
                if status == "publish" and not password and special in ("", "pair"):
                    if special == "":
                        published += 1
                        if self._changed_every and changed < self.changed and published % self._changed_every == 0:
                            is_changed = True
                            changed += 1
                    if lang == "en" and len(recent_names) < 8:
                        recent_names.append(post_id)
                partner = ids[1 - position] if pair else None
                posts.append(
                    PlannedPost(
                        post_id, lang, status, password, special, partner, group, thumbnail, collides, is_changed
                    )
                )
            revision = None
            if special == "revision" or (not special and rng.random() < 0.08):
                revision = next_id
                next_id += 1
            written += len(posts)
            yield PlannedUnit(index, "posts", tuple(posts), revision_id=revision, attachment_ids=tuple(attachments))
            index += 1


def _unit_kind(rng: random.Random, special: str) -> str:
    if special in ("page", "nav-menu"):
        return special
    if special:
        return "posts"
    draw = rng.random()
    return "page" if draw < 0.02 else "nav-menu" if draw < 0.04 else "posts"


def _status(rng: random.Random, special: str) -> tuple[str, bool]:
    if special in ("future", "draft", "pending", "private", "trash", "auto-draft"):
        return special, False
    if special == "null-date-draft":
        return "draft", False
    if special == "password":
        return "publish", True
    if special:
        return "publish", False
    names = [name for name, _ in _STATUS_WEIGHTS]
    status = rng.choices(names, weights=[weight for _, weight in _STATUS_WEIGHTS])[0]
    return ("publish", True) if status == "password" else (status, False)


# ------------------------------------------------------------------------------------------ writing XML
def cdata(text: str) -> str:
    """WordPress's `wxr_cdata`: the text in one CDATA section, a `]]>` inside it split across two."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wp_slug(text: str) -> str:
    """A post_name or term slug as WordPress stores a non-Latin one: UTF-8 percent-encoded, lowercase."""
    return "".join(part.lower() if part.startswith("%") else part for part in _percent_parts(quote(text, safe="-")))


def _percent_parts(encoded: str) -> Iterator[str]:
    position = 0
    while position < len(encoded):
        if encoded[position] == "%":
            yield encoded[position : position + 3]
            position += 3
        else:
            yield encoded[position]
            position += 1


def php_serialize_ids(members: dict[str, int]) -> str:
    """Polylang's translation map as PHP's serialize() writes it: `a:2:{s:2:"en";i:101;s:2:"ru";i:102;}`."""
    pairs = "".join(f's:{len(key.encode())}:"{key}";i:{value};' for key, value in members.items())
    return f"a:{len(members)}:{{{pairs}}}"


def _wp_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


class ByteSink(Protocol):
    """Where the export goes: a binary file, a GzipFile, a BytesIO."""

    def write(self, data: bytes, /) -> int: ...


class _Writer:
    """Text out, UTF-8 encoded, to a binary stream (a file or a GzipFile)."""

    def __init__(self, stream: ByteSink) -> None:
        self._stream = stream
        self.bytes = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.bytes += len(data)
        self._stream.write(data)


def _header(out: _Writer) -> None:
    out.write('<?xml version="1.0" encoding="UTF-8" ?>\n')
    out.write(
        "<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->\n"
        "<!-- It contains information about your site's posts, pages, comments, categories, and other content. -->\n"
        "<!-- You may use this file to transfer that content from one site to another. -->\n"
        "<!-- This file is not intended to serve as a complete backup of your site. -->\n\n"
        "<!-- To import this information into a WordPress site follow these steps: -->\n"
        "<!-- 1. Log in to that site as an administrator. -->\n"
        "<!-- 2. Go to Tools: Import in the WordPress admin panel. -->\n"
        '<!-- 3. Install the "WordPress" importer from the list. -->\n'
        "<!-- 4. Activate & Run Importer. -->\n"
        "<!-- 5. Upload this file using the form provided on that page. -->\n"
        "<!-- 6. You will first be asked to map the authors in this export file to users -->\n"
        "<!--    on the site. For each author, you may choose to map to an -->\n"
        "<!--    existing user on the site or to create a new user. -->\n"
        "<!-- 7. WordPress will then import each of the posts, pages, comments, categories, etc. -->\n"
        "<!--    contained in this file into your site. -->\n\n"
    )
    out.write(f'<!-- generator="WordPress/6.6.2" created="{EXPORTED_AT:%Y-%m-%d %H:%M}" -->\n')
    out.write('<rss version="2.0"\n')
    for prefix, uri in WXR_NAMESPACES:
        out.write(f'\txmlns:{prefix}="{uri}"\n')
    out.write(">\n\n<channel>\n")
    out.write("\t<title>Steppe Wire Archive</title>\n")
    out.write(f"\t<link>{SITE}</link>\n")
    out.write("\t<description>Central Asia news in English and Russian</description>\n")
    out.write(f"\t<pubDate>{_rfc822(EXPORTED_AT)}</pubDate>\n")
    out.write("\t<language>en-US</language>\n")
    out.write("\t<wp:wxr_version>1.2</wp:wxr_version>\n")
    out.write(f"\t<wp:base_site_url>{SITE}</wp:base_site_url>\n")
    out.write(f"\t<wp:base_blog_url>{SITE}</wp:base_blog_url>\n\n")


def _authors(out: _Writer) -> None:
    for number, (login, display, first, last) in enumerate(AUTHORS, start=1):
        out.write(
            f"\t<wp:author><wp:author_id>{number}</wp:author_id><wp:author_login>{cdata(login)}</wp:author_login>"
            f"<wp:author_email>{cdata(login + '@news.example.kz')}</wp:author_email>"
            f"<wp:author_display_name>{cdata(display)}</wp:author_display_name>"
            f"<wp:author_first_name>{cdata(first)}</wp:author_first_name>"
            f"<wp:author_last_name>{cdata(last)}</wp:author_last_name></wp:author>\n"
        )
    out.write("\n")


def _category_entry(term_id: int, nicename: str, name: str) -> str:
    return (
        f"\t<wp:category>\n\t\t<wp:term_id>{term_id}</wp:term_id>\n"
        f"\t\t<wp:category_nicename>{cdata(nicename)}</wp:category_nicename>\n"
        f"\t\t<wp:category_parent>{cdata('')}</wp:category_parent>\n"
        f"\t\t<wp:cat_name>{cdata(name)}</wp:cat_name>\n\t</wp:category>\n"
    )


def _term_entry(term_id: int, taxonomy: str, slug: str, name: str, description: str) -> str:
    described = f"\t\t<wp:term_description>{cdata(description)}</wp:term_description>\n" if description else ""
    return (
        f"\t<wp:term>\n\t\t<wp:term_id>{cdata(str(term_id))}</wp:term_id>\n"
        f"\t\t<wp:term_taxonomy>{cdata(taxonomy)}</wp:term_taxonomy>\n"
        f"\t\t<wp:term_slug>{cdata(slug)}</wp:term_slug>\n"
        f"\t\t<wp:term_parent>{cdata('')}</wp:term_parent>\n"
        f"\t\t<wp:term_name>{cdata(name)}</wp:term_name>\n{described}\t</wp:term>\n"
    )


def _tag_slug(tag: str) -> str:
    return wp_slug(tag)


def _terms(out: _Writer, plan: ExportPlan) -> None:
    for term_id, nicename, english, russian in CATEGORIES:
        out.write(_category_entry(term_id, nicename, english))
        if nicename != "uncategorized":
            out.write(_category_entry(term_id + _RU_CATEGORY_OFFSET, f"{nicename}-ru", russian))
    for number, tag in enumerate(TAGS + RU_TAGS, start=20):
        out.write(
            f"\t<wp:tag>\n\t\t<wp:term_id>{number}</wp:term_id>\n\t\t<wp:tag_slug>{cdata(_tag_slug(tag))}</wp:tag_slug>\n"
            f"\t\t<wp:tag_name>{cdata(tag)}</wp:tag_name>\n\t</wp:tag>\n"
        )
    for term_id, slug, name, description in LANGUAGE_TERMS:
        out.write(_term_entry(term_id, "language", slug, name, description))
    out.write(_term_entry(4, "nav_menu", "main-menu", "Main menu", ""))
    term_id = FIRST_TERM_ID
    for unit in plan.units():  # the first pass: the translation groups, before any item
        if len(unit.posts) == 2 and unit.posts[0].group:
            members = {post.lang: post.post_id for post in unit.posts}
            group = unit.posts[0].group
            out.write(_term_entry(term_id, "post_translations", group, group, php_serialize_ids(members)))
            term_id += 1
    out.write("\t<generator>https://wordpress.org/?v=6.6.2</generator>\n\n")


# ----------------------------------------------------------------------------------------------- texts
def _sentence(rng: random.Random, lang: str) -> str:
    if lang == "ru":
        return f"{rng.choice(RU_SUBJECTS)} {rng.choice(RU_VERBS)} {rng.choice(RU_FIGURES)} {rng.choice(RU_TAILS)}"
    return f"{rng.choice(EN_SUBJECTS)} {rng.choice(EN_VERBS)} {rng.choice(EN_FIGURES)} {rng.choice(EN_TAILS)}"


def _paragraph(rng: random.Random, lang: str) -> list[str]:
    return [_sentence(rng, lang) for _ in range(rng.randint(1, 4))]


def _classic_body(rng: random.Random, lang: str) -> str:
    """Classic-editor text: paragraphs apart by a blank line, a bare newline inside some of them."""
    paragraphs = []
    for _ in range(rng.randint(2, 6)):
        sentences = _paragraph(rng, lang)
        joiner = "\n" if len(sentences) > 2 and rng.random() < 0.3 else " "
        paragraphs.append(joiner.join(sentences))
    if rng.random() < 0.2:
        paragraphs.insert(1, f"<blockquote>{_sentence(rng, lang)}</blockquote>")
    if rng.random() < 0.2:
        paragraphs.append(f"<strong>{_sentence(rng, lang)}</strong> <em>{_sentence(rng, lang)}</em>")
    return "\r\n\r\n".join(paragraphs) if rng.random() < 0.1 else "\n\n".join(paragraphs)


def _gutenberg_body(rng: random.Random, lang: str, image: str | None, image_id: int | None) -> str:
    blocks = []
    for number in range(rng.randint(2, 5)):
        if number == 1 and rng.random() < 0.5:
            heading = _sentence(rng, lang).rstrip(".")
            blocks.append(
                f'<!-- wp:heading {{"level":3}} -->\n<h3 class="wp-block-heading">{heading}</h3>\n<!-- /wp:heading -->'
            )
        blocks.append(f"<!-- wp:paragraph -->\n<p>{' '.join(_paragraph(rng, lang))}</p>\n<!-- /wp:paragraph -->")
    if image and image_id:
        blocks.insert(
            1,
            f'<!-- wp:image {{"id":{image_id},"sizeSlug":"large","linkDestination":"none"}} -->\n'
            f'<figure class="wp-block-image size-large"><img src="{image}" alt="" class="wp-image-{image_id}"/>'
            f'<figcaption class="wp-element-caption">{escape(_sentence(rng, lang))}</figcaption></figure>\n'
            "<!-- /wp:image -->",
        )
    if rng.random() < 0.3:
        items = "".join(f"<li>{_sentence(rng, lang)}</li>" for _ in range(3))
        blocks.append(f'<!-- wp:list -->\n<ul class="wp-block-list">{items}</ul>\n<!-- /wp:list -->')
    return "\n\n".join(blocks)


def _shortcode_body(rng: random.Random, lang: str, image: str | None, image_id: int | None) -> str:
    parts = [" ".join(_paragraph(rng, lang))]
    attachment = image_id or 29923
    src = image or f"{SITE}/wp-content/uploads/2025/03/photo-{attachment}.jpg"
    caption = _sentence(rng, lang).rstrip(".")
    parts.append(
        f'[caption id="attachment_{attachment}" align="aligncenter" width="800"]'
        f'<img class="size-full wp-image-{attachment}" src="{src}" alt="{escape(caption, {chr(34): "&quot;"})}" '
        f'width="800" height="533" /> {caption}[/caption]'
    )
    parts.append(" ".join(_paragraph(rng, lang)))
    parts.append(f'[gallery ids="{attachment},{attachment + 1},{attachment + 2}" columns="3"]')
    parts.append(f"[embed]{rng.choice(EMBEDS)}[/embed]")
    parts.append(" ".join(_paragraph(rng, lang)))
    return "\n\n".join(parts)


def _cdata_split_body(rng: random.Random, lang: str) -> str:
    """A body with `]]>` in it (a code sample), so the export splits its CDATA section."""
    code = "if (rates[i]]>0) { show(rates[i]); }"
    return "\n\n".join(
        [
            " ".join(_paragraph(rng, lang)),
            f"The ticker script reads <code>{escape(code)}</code> and the raw text {code} stays.",
            "A second split: ]]> and again ]]>.",
            " ".join(_paragraph(rng, lang)),
        ]
    )


@dataclass(frozen=True)
class _Texts:
    title: str  # as WordPress stores it (entities possible)
    body: str
    excerpt: str
    post_name: str  # decoded (the file has it percent-encoded)
    tags: tuple[str, ...]
    category: int  # term id


def _texts(plan: ExportPlan, post: PlannedPost, image: str | None) -> _Texts:
    rng = random.Random(f"{plan.seed}/text/{post.post_id}")
    lang = post.lang
    headline = rng.choice(RU_HEADLINES if lang == "ru" else EN_HEADLINES)
    title = f"{headline}: {rng.choice(('Q1', 'Q2', 'Q3', 'Q4', 'H1', 'H2'))} {2019 + post.post_id % 8}"
    title = f"{title} ({post.post_id})"  # real headlines repeat; the id keeps the slugs apart
    special = post.special
    style = rng.random()
    if special == "gutenberg" or (not special and style < 0.35):
        body = _gutenberg_body(rng, lang, image, post.thumbnail)
    elif special == "shortcodes" or (not special and style < 0.5):
        body = _shortcode_body(rng, lang, image, post.thumbnail)
    elif special == "cdata-split":
        body = _cdata_split_body(rng, lang)
    else:
        body = _classic_body(rng, lang)
    if special == "entities-title":
        title = ENTITY_TITLES[post.post_id % len(ENTITY_TITLES)]
    if special == "empty-title":
        title = ""
    if special == "empty-body":
        body = ""
    tag_pool = RU_TAGS if lang == "ru" else TAGS
    count = 25 if special == "many-tags" else rng.randint(0, 6)
    tags = tuple(rng.sample(tag_pool, min(count, len(tag_pool))))
    if special == "many-tags" and len(tags) < 25:
        tags += tuple(f"tag-{number}" for number in range(25 - len(tags)))
    if special == "cyrillic-slug" or lang == "ru":
        post_name = headline.lower().replace(" ", "-").replace("«", "").replace("»", "") + f"-{post.post_id}"
    else:
        post_name = headline.lower().replace(" ", "-") + f"-{post.post_id}"
    if special == "null-date-draft" or (post.status in ("draft", "auto-draft") and rng.random() < 0.6):
        post_name = ""  # WordPress gives a draft its post_name when it is first published
    excerpt = "" if rng.random() < 0.6 else _sentence(rng, lang)
    category = rng.choice(CATEGORIES[1:])[0] if rng.random() < 0.9 else 1
    if lang == "ru" and category != 1:
        category += _RU_CATEGORY_OFFSET
    if post.changed:  # drawn last: the rest of the post is the same as in the earlier export
        body += "\n\n" + ("Обновлено: " if lang == "ru" else "Updated: ") + _sentence(rng, lang)
    return _Texts(title, body, excerpt, post_name, tags, category)


def _category_name(term_id: int) -> str | None:
    """The category an importer should give the post: Yoast's primary (none for Uncategorized)."""
    for number, _, english, russian in CATEGORIES:
        if number == term_id:
            return None if number == 1 else english
        if number + _RU_CATEGORY_OFFSET == term_id:
            return russian
    return None


def _dates(plan: ExportPlan, post: PlannedPost) -> tuple[datetime, datetime]:
    """(published, modified), UTC."""
    rng = random.Random(f"{plan.seed}/date/{post.post_id}")
    if post.status == "future":
        published = EXPORTED_AT + timedelta(days=rng.randint(40, 400), minutes=rng.randint(0, 1440))
    else:
        start = datetime(2019, 1, 1, tzinfo=UTC)
        published = start + timedelta(minutes=rng.randint(0, int((EXPORTED_AT - start).total_seconds() // 60) - 1))
    modified = published + timedelta(hours=rng.randint(0, 72))
    modified = min(modified, EXPORTED_AT) if post.status != "future" else published
    if post.changed:
        modified = EXPORTED_AT + timedelta(days=10)
    return published.replace(second=0), modified.replace(second=0)


# ------------------------------------------------------------------------------------------------ items
def _item(
    out: _Writer,
    *,
    title: str,
    link: str,
    pub_date: str,
    creator: str,
    guid: str,
    content: str,
    excerpt: str,
    post_id: int,
    post_date: str,
    post_date_gmt: str,
    modified: str,
    modified_gmt: str,
    post_name: str,
    status: str,
    parent: int,
    menu_order: int,
    post_type: str,
    password: str,
    attachment_url: str = "",
    categories: tuple[tuple[str, str, str], ...] = (),
    meta: tuple[tuple[str, str], ...] = (),
    comments: str = "",
) -> None:
    parts = [
        "\t<item>\n",
        f"\t\t<title>{cdata(title)}</title>\n",
        f"\t\t<link>{escape(link)}</link>\n",
        f"\t\t<pubDate>{pub_date}</pubDate>\n",
        f"\t\t<dc:creator>{cdata(creator)}</dc:creator>\n",
        f'\t\t<guid isPermaLink="false">{escape(guid)}</guid>\n',
        "\t\t<description></description>\n",
        f"\t\t<content:encoded>{cdata(content)}</content:encoded>\n",
        f"\t\t<excerpt:encoded>{cdata(excerpt)}</excerpt:encoded>\n",
        f"\t\t<wp:post_id>{post_id}</wp:post_id>\n",
        f"\t\t<wp:post_date>{cdata(post_date)}</wp:post_date>\n",
        f"\t\t<wp:post_date_gmt>{cdata(post_date_gmt)}</wp:post_date_gmt>\n",
        f"\t\t<wp:post_modified>{cdata(modified)}</wp:post_modified>\n",
        f"\t\t<wp:post_modified_gmt>{cdata(modified_gmt)}</wp:post_modified_gmt>\n",
        f"\t\t<wp:comment_status>{cdata('closed' if post_type == 'attachment' else 'open')}</wp:comment_status>\n",
        f"\t\t<wp:ping_status>{cdata('closed' if post_type == 'attachment' else 'open')}</wp:ping_status>\n",
        f"\t\t<wp:post_name>{cdata(post_name)}</wp:post_name>\n",
        f"\t\t<wp:status>{cdata(status)}</wp:status>\n",
        f"\t\t<wp:post_parent>{parent}</wp:post_parent>\n",
        f"\t\t<wp:menu_order>{menu_order}</wp:menu_order>\n",
        f"\t\t<wp:post_type>{cdata(post_type)}</wp:post_type>\n",
        f"\t\t<wp:post_password>{cdata(password)}</wp:post_password>\n",
        "\t\t<wp:is_sticky>0</wp:is_sticky>\n",
    ]
    if attachment_url:
        parts.append(f"\t\t<wp:attachment_url>{cdata(attachment_url)}</wp:attachment_url>\n")
    for domain, nicename, name in categories:
        parts.append(
            f"\t\t<category domain={quoteattr(domain)} nicename={quoteattr(nicename)}>{cdata(name)}</category>\n"
        )
    for key, value in meta:
        parts.append(
            f"\t\t<wp:postmeta>\n\t\t\t<wp:meta_key>{cdata(key)}</wp:meta_key>\n"
            f"\t\t\t<wp:meta_value>{cdata(value)}</wp:meta_value>\n\t\t</wp:postmeta>\n"
        )
    parts.append(comments)
    parts.append("\t</item>\n")
    out.write("".join(parts))


def _local(moment: datetime) -> str:
    return _wp_date(moment.astimezone(SITE_ZONE))


def _permalink(published: datetime, post_name: str, lang: str) -> str:
    local = published.astimezone(SITE_ZONE)
    prefix = "/ru" if lang == "ru" else ""
    return f"{SITE}{prefix}/{local:%Y/%m/%d}/{wp_slug(post_name)}/"


def _attachment(out: _Writer, plan: ExportPlan, attachment_id: int, parent: PlannedPost) -> str:
    rng = random.Random(f"{plan.seed}/attachment/{attachment_id}")
    published, _ = _dates(plan, parent)
    name = f"photo-{attachment_id}"
    url = f"{SITE}/wp-content/uploads/{published:%Y/%m}/{name}.jpg"
    alt = "" if rng.random() < 0.2 else _sentence(rng, parent.lang).rstrip(".")
    meta = [("_wp_attached_file", f"{published:%Y/%m}/{name}.jpg")]
    meta.append(
        (
            "_wp_attachment_metadata",
            f'a:5:{{s:5:"width";i:1200;s:6:"height";i:800;s:4:"file";s:{len(meta[0][1]) + 0}:"{meta[0][1]}";'
            's:8:"filesize";i:183244;s:5:"sizes";a:0:{}}',
        )
    )
    if alt:
        meta.append(("_wp_attachment_image_alt", alt))
    _item(
        out,
        title=name,
        link=f"{SITE}/{name}/",
        pub_date=_rfc822(published),
        creator=AUTHORS[attachment_id % len(AUTHORS)][0],
        guid=url,
        content="",
        excerpt=alt,
        post_id=attachment_id,
        post_date=_local(published),
        post_date_gmt=_wp_date(published),
        modified=_local(published),
        modified_gmt=_wp_date(published),
        post_name=name,
        status="inherit",
        parent=parent.post_id,
        menu_order=0,
        post_type="attachment",
        password="",
        attachment_url=url,
        meta=tuple(meta),
    )
    return url


def _comments(rng: random.Random, lang: str, post_id: int) -> str:
    parts = []
    for number in range(rng.randint(1, 3)):
        moment = EXPORTED_AT - timedelta(days=rng.randint(1, 300))
        parts.append(
            f"\t\t<wp:comment>\n\t\t\t<wp:comment_id>{post_id * 10 + number}</wp:comment_id>\n"
            f"\t\t\t<wp:comment_author>{cdata('Reader ' + str(number))}</wp:comment_author>\n"
            f"\t\t\t<wp:comment_author_email>{cdata(f'reader{number}@example.com')}</wp:comment_author_email>\n"
            f"\t\t\t<wp:comment_author_url>https://example.com</wp:comment_author_url>\n"
            f"\t\t\t<wp:comment_author_IP>{cdata('203.0.113.' + str(number + 1))}</wp:comment_author_IP>\n"
            f"\t\t\t<wp:comment_date>{cdata(_local(moment))}</wp:comment_date>\n"
            f"\t\t\t<wp:comment_date_gmt>{cdata(_wp_date(moment))}</wp:comment_date_gmt>\n"
            f"\t\t\t<wp:comment_content>{cdata(_sentence(rng, lang) + ' <b>ok</b> ]]> end')}</wp:comment_content>\n"
            f"\t\t\t<wp:comment_approved>{cdata('1')}</wp:comment_approved>\n"
            f"\t\t\t<wp:comment_type>{cdata('comment')}</wp:comment_type>\n"
            f"\t\t\t<wp:comment_parent>0</wp:comment_parent>\n"
            f"\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n\t\t</wp:comment>\n"
        )
    return "".join(parts)


def _post(out: _Writer, plan: ExportPlan, post: PlannedPost, image: str | None, names: dict[int, str]) -> _Texts:
    texts = _texts(plan, post, image)
    post_name = names.get(post.collides_with, texts.post_name) if post.collides_with else texts.post_name
    published, modified = _dates(plan, post)
    null_date = post.special == "null-date-draft" or (
        post.status in ("draft", "pending", "auto-draft") and post.post_id % 2
    )
    rng = random.Random(f"{plan.seed}/post/{post.post_id}")
    link = (
        _permalink(published, post_name, post.lang)
        if post_name and post.status == "publish"
        else f"{SITE}/?p={post.post_id}"
    )
    lang_name = {slug: name for _, slug, name, _ in LANGUAGE_TERMS}[post.lang]
    category = next(entry for entry in CATEGORIES if entry[0] == texts.category % _RU_CATEGORY_OFFSET)
    categories: list[tuple[str, str, str]] = []
    if post.lang == "ru" and texts.category != 1:
        categories.append(("category", f"{category[1]}-ru", category[3]))
    else:
        categories.append(("category", category[1], category[2]))
    if rng.random() < 0.2 and texts.category != 1:  # a second category: Yoast's primary says which wins
        other = CATEGORIES[1 + (CATEGORIES.index(category) % (len(CATEGORIES) - 1))]
        categories.insert(0, ("category", other[1], other[2]))
    categories += [("post_tag", _tag_slug(tag), tag) for tag in texts.tags]
    categories.append(("language", post.lang, lang_name))
    if post.group:
        categories.append(("post_translations", post.group, post.group))
    categories.sort(key=lambda entry: (entry[0] != "category", entry[0] != "post_tag", entry[0]))
    meta: list[tuple[str, str]] = [("_edit_last", "1")]
    if post.thumbnail:
        meta.append(("_thumbnail_id", str(post.thumbnail)))
    if texts.category != 1:
        meta.append(("_yoast_wpseo_primary_category", str(texts.category)))
    if rng.random() < 0.3:
        meta.append(("_yoast_wpseo_metadesc", _sentence(rng, post.lang)))
    if post.special == "comments":
        meta.append(("_wp_old_slug", "old-" + (texts.post_name or "draft")))
    _item(
        out,
        title=texts.title,
        link=link,
        pub_date="Mon, 30 Nov -0001 00:00:00 +0000" if null_date else _rfc822(published),
        creator=AUTHORS[post.post_id % len(AUTHORS)][0],
        guid=f"{SITE}/?p={post.post_id}",
        content=texts.body,
        excerpt=texts.excerpt,
        post_id=post.post_id,
        post_date=_local(published),
        post_date_gmt=NULL_DATE if null_date else _wp_date(published),
        modified=_local(modified),
        modified_gmt=_wp_date(modified),
        post_name=wp_slug(post_name),
        status=post.status,
        parent=0,
        menu_order=0,
        post_type="post",
        password=f"secret{post.post_id}" if post.password else "",
        categories=tuple(categories),
        meta=tuple(meta),
        comments=_comments(rng, post.lang, post.post_id) if post.special == "comments" or rng.random() < 0.05 else "",
    )
    return replace_name(texts, post_name)


def replace_name(texts: _Texts, post_name: str) -> _Texts:
    return _Texts(texts.title, texts.body, texts.excerpt, post_name, texts.tags, texts.category)


def _revision(out: _Writer, plan: ExportPlan, revision_id: int, post: PlannedPost, texts: _Texts) -> None:
    published, _ = _dates(plan, post)
    _item(
        out,
        title=texts.title,
        link=f"{SITE}/?p={revision_id}",
        pub_date=_rfc822(published),
        creator=AUTHORS[post.post_id % len(AUTHORS)][0],
        guid=f"{SITE}/?p={revision_id}",
        content=texts.body[: len(texts.body) // 2],
        excerpt="",
        post_id=revision_id,
        post_date=_local(published),
        post_date_gmt=_wp_date(published),
        modified=_local(published),
        modified_gmt=_wp_date(published),
        post_name=f"{post.post_id}-revision-v1",
        status="inherit",
        parent=post.post_id,
        menu_order=0,
        post_type="revision",
        password="",
    )


def _page(out: _Writer, plan: ExportPlan, unit: PlannedUnit) -> None:
    rng = random.Random(f"{plan.seed}/page/{unit.item_id}")
    moment = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 2000))
    name = rng.choice(("about-us", "contacts", "advertising", "privacy-policy", "team"))
    _item(
        out,
        title=name.replace("-", " ").title(),
        link=f"{SITE}/{name}/",
        pub_date=_rfc822(moment),
        creator="editor",
        guid=f"{SITE}/?page_id={unit.item_id}",
        content=_classic_body(rng, "en"),
        excerpt="",
        post_id=unit.item_id,
        post_date=_local(moment),
        post_date_gmt=_wp_date(moment),
        modified=_local(moment),
        modified_gmt=_wp_date(moment),
        post_name=name,
        status="publish",
        parent=0,
        menu_order=0,
        post_type="page",
        password="",
        categories=(("language", "en", "English"),),
    )


def _nav_menu_item(out: _Writer, unit: PlannedUnit) -> None:
    moment = datetime(2021, 5, 5, tzinfo=UTC)
    _item(
        out,
        title="",
        link=f"{SITE}/{unit.item_id}/",
        pub_date=_rfc822(moment),
        creator="editor",
        guid=f"{SITE}/?p={unit.item_id}",
        content="",
        excerpt="",
        post_id=unit.item_id,
        post_date=_local(moment),
        post_date_gmt=_wp_date(moment),
        modified=_local(moment),
        modified_gmt=_wp_date(moment),
        post_name=str(unit.item_id),
        status="publish",
        parent=0,
        menu_order=unit.index % 7 + 1,
        post_type="nav_menu_item",
        password="",
        categories=(("nav_menu", "main-menu", "Main menu"),),
        meta=(
            ("_menu_item_type", "taxonomy"),
            ("_menu_item_menu_item_parent", "0"),
            ("_menu_item_object_id", "5"),
            ("_menu_item_object", "category"),
            ("_menu_item_target", ""),
            ("_menu_item_classes", 'a:1:{i:0;s:0:"";}'),
            ("_menu_item_xfn", ""),
            ("_menu_item_url", ""),
        ),
    )


# ------------------------------------------------------------------------------------------------- main
@dataclass
class ExportCounts:
    by_type: Counter[str] = field(default_factory=Counter)
    by_type_and_status: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)
    bytes: int = 0


def write_export(plan: ExportPlan, stream: ByteSink, manifest: IO[str] | None = None) -> ExportCounts:
    """Write the whole export to `stream`, item by item; one manifest line per post when asked."""
    out = _Writer(stream)
    counts = ExportCounts()

    def count(post_type: str, status: str) -> None:
        counts.by_type[post_type] += 1
        counts.by_type_and_status[f"{post_type}/{status}"] += 1

    _header(out)
    _authors(out)
    _terms(out, plan)
    names: dict[int, str] = {}  # post_names of the few posts a slug collision may repeat
    for unit in plan.units():
        if unit.kind == "page":
            _page(out, plan, unit)
            count("page", "publish")
            continue
        if unit.kind == "nav-menu":
            _nav_menu_item(out, unit)
            count("nav_menu_item", "publish")
            continue
        first_texts: _Texts | None = None
        for post in unit.posts:
            image = _attachment(out, plan, post.thumbnail, post) if post.thumbnail else None
            if post.thumbnail:
                count("attachment", "inherit")
            texts = _post(out, plan, post, image, names)
            count("post", post.status)
            counts.expected[post.expect] += 1
            if len(names) < 16 and texts.post_name and post.special in ("", "pair"):
                names[post.post_id] = texts.post_name
            first_texts = first_texts or texts
            if manifest is not None:
                line = {
                    "post_id": post.post_id,
                    "lang": post.lang,
                    "status": post.status,
                    "password": post.password,
                    "expect": post.expect,
                    "special": post.special,
                    "partner": post.partner,
                    "post_name": texts.post_name,
                    "title": texts.title,
                    "collides_with": post.collides_with,
                    "changed": post.changed,
                    "tags": len(texts.tags),
                    "category": _category_name(texts.category),
                }
                manifest.write(json.dumps(line, ensure_ascii=False) + "\n")
        if unit.revision_id is not None and unit.posts and first_texts is not None:
            _revision(out, plan, unit.revision_id, unit.posts[0], first_texts)
            count("revision", "inherit")
    out.write("</channel>\n</rss>\n")
    counts.bytes = out.bytes
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, required=True, help="items of type post (exactly)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--gzip", action="store_true", help="write it gzipped (.xml.gz), reproducibly")
    parser.add_argument("--manifest", type=Path, help="one JSON line per post: what an importer should make of it")
    parser.add_argument("--changed", type=int, default=0, help="a later export: this many published posts edited")
    args = parser.parse_args(argv)
    plan = ExportPlan(args.posts, args.seed, args.changed)
    manifest = args.manifest.open("w", encoding="utf-8") if args.manifest else None
    try:
        with args.out.open("wb") as raw:
            if args.gzip:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
                    counts = write_export(plan, zipped, manifest)
            else:
                counts = write_export(plan, raw, manifest)
    finally:
        if manifest is not None:
            manifest.close()
    digest = hashlib.sha256()
    with args.out.open("rb") as written:
        while chunk := written.read(1 << 20):
            digest.update(chunk)
    summary = {
        "out": str(args.out),
        "bytes": args.out.stat().st_size,
        "xml_bytes": counts.bytes,
        "sha256": digest.hexdigest(),
        "items_by_type": dict(sorted(counts.by_type.items())),
        "posts_by_status": {
            key: value for key, value in sorted(counts.by_type_and_status.items()) if key.startswith("post/")
        },
        "posts_expected": dict(sorted(counts.expected.items())),
    }
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
