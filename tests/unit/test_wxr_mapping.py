"""What each WordPress item becomes (mapping.py) and how its body is rendered (wordpress.py)."""

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppewire.articles.document import ArticleRejected, article_from_wordpress
from steppewire.articles.wordpress import wordpress_html
from steppewire.imports.mapping import ExportContext, ImportedPost, Skipped, map_item
from steppewire.imports.service import imported_article
from steppewire.imports.wxr import ExportReader, Term, WxrItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"


def read(name: str) -> tuple[ExportContext, list[WxrItem]]:
    with (FIXTURES / name).open("rb") as stream:
        reader = ExportReader(stream)
        items = list(reader)
    context = ExportContext(channel=reader.channel)
    for item in items:
        context.see(item)
    return context, items


def mapped(name: str) -> dict[int, ImportedPost | Skipped]:
    context, items = read(name)
    groups = context.groups()
    return {item.post_id or 0: map_item(item, context, groups) for item in items}


def post(decision: ImportedPost | Skipped) -> ImportedPost:
    assert isinstance(decision, ImportedPost), decision
    return decision


def test_a_published_post_takes_every_field_from_where_wordpress_keeps_it() -> None:
    english = post(mapped("bilingual-export.xml")[101])
    assert english.source_key == "wxr:https://news.example.kz/?p=101"
    assert english.fields == {
        "title": "Tenge steadies & markets calm",
        "date": "2025-03-20T09:30:00+00:00",
        "slug": "tenge-steadies",
        "lang": "en",
        "author": "Aigerim Sultanova",
        "category": "Economy",
        "tags": ["tenge"],
        "summary": "The rate held.",
        "image": "https://news.example.kz/wp-content/uploads/2025/03/nbk.jpg",
        "image_alt": "The National Bank in Almaty",
    }
    assert english.hidden_reason is None
    assert english.translation_group == "https://news.example.kz#pll_6565a1b2c3d4e"
    assert english.legacy_paths == ("/2025/03/20/tenge-steadies/", "/?p=101")


def test_the_translation_and_its_language_and_slug() -> None:
    russian = post(mapped("bilingual-export.xml")[102])
    assert russian.fields["lang"] == "ru" and russian.fields["slug"] == "tenge"
    assert russian.translation_group == post(mapped("bilingual-export.xml")[101]).translation_group
    assert russian.legacy_paths[0] == "/ru/2025/03/20/%d1%82%d0%b5%d0%bd%d0%b3%d0%b5/"


def test_a_group_known_only_from_the_channel_still_links_the_versions() -> None:
    context, items = read("bilingual-export.xml")
    russian = next(item for item in items if item.post_id == 102)
    without_term = replace(russian, terms=tuple(term for term in russian.terms if term.domain != "post_translations"))
    assert post(map_item(without_term, context, context.groups())).translation_group == (
        "https://news.example.kz#pll_6565a1b2c3d4e"
    )


@pytest.mark.parametrize(
    ("post_id", "reason"),
    [(103, "draft"), (302, "password protected"), (307, "pending"), (308, "private")],
)
def test_posts_that_were_not_public_are_stored_hidden(post_id: int, reason: str) -> None:
    decisions = mapped("bilingual-export.xml") | mapped("newsroom-export.xml")
    assert post(decisions[post_id]).hidden_reason == reason


def test_a_draft_without_a_utc_date_is_dated_in_almaty_time() -> None:
    draft = post(mapped("bilingual-export.xml")[103])
    assert draft.fields["date"] == "2026-11-29T18:00:00+05:00"
    assert draft.fields["slug"] == "draft-border-crossing"  # no post_name: the title's slug


@pytest.mark.parametrize(
    ("post_id", "reason"),
    [(201, "attachment"), (2, "page"), (303, "trash"), (309, "auto-draft"), (311, "nav_menu_item"), (312, "revision")],
)
def test_what_is_not_an_article_is_skipped_with_its_reason(post_id: int, reason: str) -> None:
    decisions = mapped("bilingual-export.xml") | mapped("newsroom-export.xml")
    skipped = decisions[post_id]
    assert isinstance(skipped, Skipped) and reason in skipped.reason


def test_the_default_category_is_none_and_tags_beyond_twenty_are_noted() -> None:
    decisions = mapped("newsroom-export.xml")
    assert post(decisions[301]).fields["category"] == "Politics"
    many = post(decisions[304])
    assert len(many.fields["tags"]) == 20 and "22 tags" in many.notes[1]
    assert many.notes[0].startswith("[gallery] removed")  # its body has a gallery


def test_an_untitled_post_takes_its_first_words_as_title() -> None:
    untitled = post(mapped("newsroom-export.xml")[305])
    assert untitled.fields["title"] == "Gas prices rose in Bishkek on Monday as supplies tightened."
    assert "no title" in untitled.notes[0]


def test_media_shortcodes_the_article_cannot_show_are_noted_by_name() -> None:
    context, items = read("bilingual-export.xml")
    item = next(item for item in items if item.post_id == 101)
    content = (
        'Budget day.\n\n[gallery ids="7,8"]\n\n[embed]https://youtu.be/x[/embed] [video src="a.mp4"][/video]'
        "\n\n[gallery] and [sic] stay prose."
    )
    imported = post(map_item(replace(item, content=content), context, context.groups()))
    assert imported.notes == ("[gallery], [embed], [video] removed: the article shows no players, embeds or galleries",)
    assert post(map_item(item, context, context.groups())).notes == ()  # a body without them: no note


def test_a_post_travels_as_json_unchanged_and_hashes_alike() -> None:
    english = post(mapped("bilingual-export.xml")[101])
    again = ImportedPost.from_json(english.to_json())
    assert again == english and again.content_sha256 == english.content_sha256


def test_the_article_made_from_a_post_carries_what_only_an_import_knows() -> None:
    article = imported_article(post(mapped("bilingual-export.xml")[103]))
    assert article.hidden_reason == "draft" and article.legacy_paths == ("/?p=103",)


def test_an_empty_body_is_rejected_by_the_body_rule() -> None:
    with pytest.raises(ArticleRejected, match="body"):
        imported_article(post(mapped("newsroom-export.xml")[306]))


@pytest.mark.parametrize(
    ("content", "html"),
    [
        ("One.\n\nTwo\nlines.", "<p>One.</p>\n<p>Two<br />\nlines.</p>"),
        ("<p>Already</p>\n\nthen text", "<p>Already</p>\n<p>then text</p>"),
        ("<!-- wp:paragraph -->\n<p>Block</p>\n<!-- /wp:paragraph -->", "\n<p>Block</p>\n"),
        ("a<pre>x\n\ny</pre>b", "<p>a</p>\n<pre>x\n\ny</pre>\n<p>b</p>"),
        ("<ul>\n<li>one</li>\n<li>two</li>\n</ul>", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ],
)
def test_wordpress_paragraphs(content: str, html: str) -> None:
    assert wordpress_html(content) == html


_WORDPRESS_PIECES = [*"ab \n<>/p[]=\"'", "<p>", "</p>", "<!-- wp:x -->", "[caption]", "[/caption]", "<script>", "<pre>"]
_WORDPRESS_TEXT = st.lists(st.sampled_from(_WORDPRESS_PIECES), max_size=60).map("".join)


@given(_WORDPRESS_TEXT)
def test_any_wordpress_body_is_published_safe_or_refused_by_name(content: str) -> None:
    fields = {"title": "A title", "date": "2025-03-20T09:30:00+00:00"}
    try:
        article = article_from_wordpress(fields, content)
    except ArticleRejected as rejection:
        assert [problem.field for problem in rejection.problems] == ["body"]
        return
    assert "<script" not in article.body_html and "[/caption]" not in article.body_html


_ITEM_TEXT = st.text(max_size=40)


@given(
    post_type=st.sampled_from(["post", "page", "attachment", ""]),
    status=st.sampled_from(["publish", "future", "draft", "pending", "private", "trash", "auto-draft", "inherit", "x"]),
    title=_ITEM_TEXT,
    content=_ITEM_TEXT,
    post_date=st.one_of(st.just("0000-00-00 00:00:00"), _ITEM_TEXT, st.just("2025-02-30 10:00:00")),
    post_name=_ITEM_TEXT,
    link=_ITEM_TEXT,
    password=st.sampled_from(["", "pw"]),
    thumbnail=_ITEM_TEXT,
    language=st.sampled_from(["", "en", "ru", "kk"]),
)
def test_any_item_is_mapped_or_skipped_and_its_post_becomes_an_article_or_a_named_rejection(
    post_type: str,
    status: str,
    title: str,
    content: str,
    post_date: str,
    post_name: str,
    link: str,
    password: str,
    thumbnail: str,
    language: str,
) -> None:
    item = WxrItem(
        post_id=7,
        post_type=post_type,
        status=status,
        title=title,
        link=link,
        creator="nobody",
        content=content,
        excerpt="",
        post_date=post_date,
        post_date_gmt=post_date,
        post_modified_gmt="",
        post_name=post_name,
        password=password,
        terms=(Term("language", language, language),) if language else (),
        meta={"_thumbnail_id": thumbnail, "_yoast_wpseo_primary_category": thumbnail},
        attachment_url="",
    )
    decision = map_item(item, ExportContext(), {})
    if isinstance(decision, Skipped):
        assert decision.reason
        return
    assert (decision.hidden_reason is None) == (status in ("publish", "future") and not password)
    try:
        article = imported_article(decision)
    except ArticleRejected as rejection:
        assert all(problem.field and problem.message for problem in rejection.problems)
        return
    assert article.slug and article.title and article.lang in ("en", "ru")
