"""Articles as editors upload them: fields, slug, dates, rendered body, excerpt and search text.

Fixtures in tests/fixtures/articles are hand-written in the shapes editors produce: an English article
migrated from WordPress (caption and gallery shortcodes), a Russian one with a Cyrillic title, a JSON
article, an old WordPress post full of plugin shortcodes, a windows-1251 file and a PNG uploaded by mistake.
Rejections are in test_article_rejections.py, XSS and the shortcode rule in test_article_safety.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from steppewire.articles.document import MAX_ARTICLE_BYTES, Article, ArticleRejected, Problem, make_slug, parse_article

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"

# Any trace of the shortcodes used in the fixtures, opening or closing.
RAW_SHORTCODE = re.compile(
    r"\[/?(?:caption|wp_caption|gallery|embed|audio|video|playlist|youtube|contact-form-7|su_\w+)\b"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def article(body: str = "The National Bank kept its base rate unchanged.", /, **fields: str | None) -> bytes:
    """A Markdown article file. `fields` are raw YAML values over a valid title and date; None drops a key."""
    values = {"title": "Base rate unchanged", "date": "2025-03-07", **fields}
    front_matter = "".join(f"{key}: {value}\n" for key, value in values.items() if value is not None)
    return f"---\n{front_matter}---\n\n{body}\n".encode()


def parse(body: str = "The National Bank kept its base rate unchanged.", /, **fields: str | None) -> Article:
    return parse_article(article(body, **fields), "article.md")


def rejected(data: bytes, filename: str = "article.md") -> list[Problem]:
    with pytest.raises(ArticleRejected) as caught:
        parse_article(data, filename)
    return caught.value.problems


# --- the fixtures ------------------------------------------------------------------------------------


def test_english_article_from_wordpress() -> None:
    result = parse_article(fixture("en-rate-decision.md"), "en-rate-decision.md")

    assert result.slug == "national-bank-of-kazakhstan-holds-base-rate-at-15-25"
    assert result.title == "National Bank of Kazakhstan holds base rate at 15.25%"
    assert result.published_at == datetime(2025, 3, 7, 10, 0, tzinfo=UTC)
    assert result.lang == "en"
    assert result.author == "Aigerim Sadykova"
    assert result.category == "Economy"
    assert result.tags == ("economy", "central bank", "tenge")
    assert result.country == "Kazakhstan"
    assert result.image == "https://cdn.steppewire.kz/2025/03/nbk-building.jpg"
    assert result.summary is None
    assert result.warnings == ("unknown key 'subtitle' was ignored",)


def test_english_article_caption_becomes_a_figure_and_the_gallery_goes() -> None:
    result = parse_article(fixture("en-rate-decision.md"), "en-rate-decision.md")

    assert result.body_html.startswith(
        '<figure><img src="https://cdn.steppewire.kz/2025/03/nbk-building.jpg"'
        ' alt="The National Bank building in Almaty" width="800" height="533">'
        "<figcaption>The National Bank of Kazakhstan building in Almaty.</figcaption></figure>"
    )
    assert "wp-image" not in result.body_html  # class attributes are not kept
    for output in (result.body_html, result.excerpt, result.text):
        assert not RAW_SHORTCODE.search(output)
        assert "29924" not in output


def test_english_article_links_and_bracketed_prose_survive() -> None:
    html = parse_article(fixture("en-rate-decision.md"), "en-rate-decision.md").body_html

    assert (
        '<a href="https://nationalbank.kz/en/news/press-releases" rel="noopener noreferrer nofollow">'
        "official statement</a>" in html
    )
    assert (
        '<a href="https://nationalbank.kz/en/page/inflation-report" rel="noopener noreferrer nofollow">'
        "March inflation report</a>" in html
    )
    assert "stubbornly high [sic] despite" in html
    assert "25 basis point cut [1], but" in html
    assert "<p>[1] The committee's minutes" in html
    assert "[report]" not in html
    assert "<h2>What analysts expect</h2>" in html


def test_english_article_excerpt_and_text() -> None:
    result = parse_article(fixture("en-rate-decision.md"), "en-rate-decision.md")

    assert result.excerpt == (
        "ALMATY — The National Bank of Kazakhstan kept its base rate at 15.25% on Friday, saying that inflation "
        '"remains stubbornly high [sic] despite a stronger tenge" and that the committee saw no room for a cut '
        "before the summer. Annual inflation slowed to 8.9% in February, still well…"
    )
    assert result.text.splitlines() == [
        "The National Bank of Kazakhstan building in Almaty.",
        "ALMATY — The National Bank of Kazakhstan kept its base rate at 15.25% on Friday, saying that inflation "
        '"remains stubbornly high [sic] despite a stronger tenge" and that the committee saw no room for a cut '
        "before the summer. Annual inflation slowed to 8.9% in February, still well above the 5% target.",
        "Governor Timur Suleimenov told reporters the committee had considered a 25 basis point cut [1], but "
        "chose to wait for the effect of higher utility tariffs. Read the official statement and the March "
        "inflation report.",
        "What analysts expect",
        "Most economists polled by Steppe Wire expect the first cut in June, once the tariff increases have "
        "passed through to prices.",
        "[1] The committee's minutes are published two weeks after each meeting.",
    ]


def test_russian_article() -> None:
    result = parse_article(fixture("ru-tenge.md"), "ru-tenge.md")

    assert result.slug == "tenge-ukrepilsia-k-dollaru-posle-resheniia-natsbanka"
    assert result.title == "Тенге укрепился к доллару после решения Нацбанка"
    assert result.lang == "ru"
    assert result.published_at == datetime(2025, 3, 10, 4, 30, tzinfo=UTC)
    assert result.author == "Данияр Ахметов"
    assert result.category == "Экономика"
    assert result.tags == ("тенге", "курс валют", "Нацбанк")
    assert result.country == "Казахстан"
    assert (
        result.excerpt == result.summary == ("Курс тенге укрепился на 1,2% за неделю — сильнее, чем ожидали аналитики.")
    )
    assert result.warnings == ()


def test_russian_article_keeps_the_note_text_and_drops_the_embed() -> None:
    result = parse_article(fixture("ru-tenge.md"), "ru-tenge.md")

    assert result.body_html.startswith("<p>Материал обновлён в 12:00 по времени Астаны.</p>")
    assert "«Рынок ждал сигнала о снижении ставки [в апреле], но не получил его»" in result.text
    for output in (result.body_html, result.text):
        assert "youtube" not in output
        assert not RAW_SHORTCODE.search(output)


def test_json_article() -> None:
    result = parse_article(fixture("en-border-crossing.json"), "en-border-crossing.json")

    assert result.slug == "uzbekistan-kyrgyzstan-border-crossing"
    assert result.title == "Uzbekistan and Kyrgyzstan open a new border crossing in the Fergana Valley"
    # A date alone is midnight in Almaty (UTC+5), so the evening before in UTC.
    assert result.published_at == datetime(2025, 4, 1, 19, 0, tzinfo=UTC)
    assert result.tags == ("Uzbekistan", "Kyrgyzstan", "trade")
    assert "<blockquote>\n<p>Trade between our countries will double" in result.body_html
    assert result.text.splitlines()[-1] == "Trucks had waited up to three days at the old crossing."
    assert result.warnings == ()


def test_old_wordpress_post_leaves_no_shortcode_behind() -> None:
    result = parse_article(fixture("en-wordpress-legacy.md"), "flooding.md")

    for output in (result.body_html, result.excerpt, result.text, result.summary or ""):
        assert not RAW_SHORTCODE.search(output), output
    assert result.text.splitlines() == [
        # Removed tags still separate the text they stood between.
        "Water levels in the Zhaiyk river rose by 40 cm overnight. More than 3,000 people have been evacuated.",
        "Volunteers reinforce a dam near Atyrau.",
        "Rescuers in a boat on a flooded street.",
        "The regional akim said the peak was expected on Thursday. Roads to [Makhambet] district are closed.",
    ]
    for media in ("akim-briefing.mp3", "flood.mp4", "abc123", "Send us your photos"):
        assert media not in result.body_html


def test_old_wordpress_post_captions_in_both_forms() -> None:
    html = parse_article(fixture("en-wordpress-legacy.md"), "flooding.md").body_html

    assert (
        '<figure><a href="https://cdn.steppewire.kz/2024/04/dam-full.jpg" rel="noopener noreferrer nofollow">'
        '<img src="https://cdn.steppewire.kz/2024/04/dam.jpg" alt="A dam" width="1024" height="683"></a>'
        "<figcaption>Volunteers reinforce a dam near Atyrau.</figcaption></figure>" in html
    )
    assert (
        '<figure><img src="https://cdn.steppewire.kz/2024/04/boat.jpg" alt="">'
        "<figcaption>Rescuers in a boat on a flooded street.</figcaption></figure>" in html
    )


def test_shortcode_in_summary_leaves_its_caption_text() -> None:
    result = parse_article(fixture("en-wordpress-legacy.md"), "flooding.md")

    assert result.summary == "Flood water in Atyrau Thousands evacuated as the Zhaiyk river rises."
    assert result.excerpt == result.summary


# --- slug --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Tenge strengthens against the dollar", "tenge-strengthens-against-the-dollar"),
        ("Тенге укрепился к доллару", "tenge-ukrepilsia-k-dollaru"),
        ("Семья и подъезд: объём работ", "semia-i-podezd-obem-rabot"),
        ("Әлихан Бөкейхан и Қазақстан", "alikhan-bokeikhan-i-kazakstan"),
        ("Ўзбекистон ва Тоҷикистон", "uzbekiston-va-tochikiston"),
        ("Tokayev’s reform: what’s next?", "tokayevs-reform-whats-next"),
        ("  «Кофе» — 15.25%  ", "kofe-15-25"),
    ],
)
def test_make_slug(title: str, slug: str) -> None:
    assert make_slug(title) == slug


def test_make_slug_cuts_long_titles_at_a_word_boundary() -> None:
    title = "Национальный банк Казахстана сохранил базовую ставку на уровне 15,25% годовых и пообещал снизить её"
    slug = make_slug(title)

    assert len(slug) <= 80
    assert slug == "natsionalnyi-bank-kazakhstana-sokhranil-bazovuiu-stavku-na-urovne-1525-godovykh"
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)


def test_slug_from_the_front_matter_wins() -> None:
    assert parse(slug="nbk-rate-march").slug == "nbk-rate-march"


@pytest.mark.parametrize("blank", ["", "''", "'  '"])
def test_blank_slug_is_made_from_the_title(blank: str) -> None:
    assert parse(title="Тенге укрепился", slug=blank).slug == "tenge-ukrepilsia"


# --- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "published_at"),
    [
        # Midnight in Almaty: UTC+5 since March 2024, UTC+6 before.
        ("2025-03-07", datetime(2025, 3, 6, 19, 0, tzinfo=UTC)),
        ("'2025-03-07'", datetime(2025, 3, 6, 19, 0, tzinfo=UTC)),
        ("2023-03-07", datetime(2023, 3, 6, 18, 0, tzinfo=UTC)),
        ("2025-03-07T14:30:00+05:00", datetime(2025, 3, 7, 9, 30, tzinfo=UTC)),
        ("2025-03-07 14:30:00+05:00", datetime(2025, 3, 7, 9, 30, tzinfo=UTC)),
        ("2025-03-07T14:30+03:00", datetime(2025, 3, 7, 11, 30, tzinfo=UTC)),
        ("2025-03-07T14:30:00Z", datetime(2025, 3, 7, 14, 30, tzinfo=UTC)),
        ("2025-03-07T23:30:00-05:00", datetime(2025, 3, 8, 4, 30, tzinfo=UTC)),
    ],
)
def test_published_at_is_utc(written: str, published_at: datetime) -> None:
    result = parse(date=written).published_at

    assert result == published_at
    assert result.utcoffset() is not None and result.utcoffset() == published_at.utcoffset()


# --- other fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "lang"), [(None, "en"), ("en", "en"), ("ru", "ru"), ("RU", "ru"), (" ru ", "ru")])
def test_lang(written: str | None, lang: str) -> None:
    assert parse(lang=written).lang == lang


@pytest.mark.parametrize(
    ("written", "tags"),
    [
        ("economy, banks , , Economy", ("economy", "banks")),
        ("[economy, banks, Economy, ' banks ']", ("economy", "banks")),
        ("['<b>Tenge</b>', 'Курс валют', 'курс ВАЛЮТ']", ("Tenge", "Курс валют")),
        ("[]", ()),
        (None, ()),
    ],
)
def test_tags_are_stripped_and_deduplicated_in_order(written: str | None, tags: tuple[str, ...]) -> None:
    assert parse(tags=written).tags == tags


def test_optional_text_fields_are_plain_and_stripped() -> None:
    result = parse(author="' <em>Aigerim</em> Sadykova '", category="' Economy '", country="''")

    assert (result.author, result.category, result.country) == ("Aigerim Sadykova", "Economy", None)


@pytest.mark.parametrize(
    ("written", "title"),
    [
        ("'Tom &amp; Jerry <b>return</b>'", "Tom & Jerry return"),
        ("'<script>alert(1)</script>Rates <b onmouseover=alert(1)>up</b>'", "Rates up"),
        ("'5 < 6, and [sic] stays'", "5 < 6, and [sic] stays"),
        ('\'[caption id="1"]<img src="a.jpg"> Almaty[/caption] at dawn [gallery]\'', "Almaty at dawn"),
        ("'  Spaces   and\ttabs  '", "Spaces and tabs"),
    ],
)
def test_title_is_plain_text(written: str, title: str) -> None:
    assert parse(title=written).title == title


def test_summary_is_plain_text() -> None:
    result = parse(summary="'<style>p{color:red}</style>Rates <img src=x onerror=alert(1)>held.'")

    assert result.summary == result.excerpt == "Rates held."


def test_image_url_is_kept() -> None:
    assert parse(image="https://cdn.steppewire.kz/a.jpg").image == "https://cdn.steppewire.kz/a.jpg"


# --- excerpt and text --------------------------------------------------------------------------------

LONG_PARAGRAPH = " ".join(["The committee said inflation expectations remained elevated."] * 8)


def test_excerpt_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    excerpt = parse(LONG_PARAGRAPH).excerpt

    assert len(excerpt) <= 280
    assert excerpt.endswith("…")
    assert LONG_PARAGRAPH.startswith(excerpt[:-1])
    assert LONG_PARAGRAPH[len(excerpt) - 1] == " "  # the cut fell between two words


def test_excerpt_of_a_short_body_is_the_whole_text() -> None:
    assert parse("Rates  held\nat **15.25%**.").excerpt == "Rates held at 15.25%."


def test_excerpt_skips_headings_captions_and_lists_when_there_are_paragraphs() -> None:
    body = (
        '## Key points\n\n- rate held\n- tenge up\n\n[caption]<img src="https://x.kz/a.jpg"> Photo: AP[/caption]\n\n'
        "The first paragraph.\n\nThe second paragraph."
    )

    assert parse(body).excerpt == "The first paragraph. The second paragraph."


def test_excerpt_falls_back_to_any_text() -> None:
    assert parse("## Only a heading\n\n- and a list item").excerpt == "Only a heading and a list item"


def test_excerpt_of_one_endless_word_is_cut_hard() -> None:
    excerpt = parse("x" * 400).excerpt

    assert excerpt == "x" * 279 + "…"


def test_summary_is_shortened_for_the_excerpt_but_kept_whole() -> None:
    result = parse(summary=f"'{LONG_PARAGRAPH}'")

    assert result.summary == LONG_PARAGRAPH
    assert len(result.excerpt) <= 280
    assert result.excerpt.endswith("…")


def test_text_has_one_line_per_block_and_no_markup() -> None:
    body = (
        "# Heading\n\nFirst *paragraph*\nwrapped.\n\n- one\n- two\n\n> quoted\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode block\n```\n\nLine<br>break"
    )

    assert parse(body).text.splitlines() == [
        "Heading",
        "First paragraph wrapped.",
        "one",
        "two",
        "quoted",
        "a",
        "b",
        "1",
        "2",
        "code block",
        "Line",
        "break",
    ]


# --- file handling -----------------------------------------------------------------------------------


def test_json_is_recognised_by_its_leading_brace_whatever_the_name() -> None:
    data = b'  {"title": "Hi", "date": "2025-03-07T10:00:00Z", "body": "Hello *world*"}'

    assert parse_article(data, "article.md").body_html == "<p>Hello <em>world</em></p>\n"


def test_windows_line_endings_and_a_byte_order_mark_are_fine() -> None:
    data = b"\xef\xbb\xbf" + article("First line\n\nSecond", slug="crlf").replace(b"\n", b"\r\n")

    result = parse_article(data, "article.md")
    assert result.slug == "crlf"
    assert result.text == "First line\nSecond"


def test_blank_lines_before_the_front_matter_are_fine() -> None:
    assert parse_article(b"\n\n" + article(slug="late-start"), "article.md").slug == "late-start"


def test_a_file_of_exactly_the_limit_is_accepted() -> None:
    data = article("Filler text.")
    data += b" " * (MAX_ARTICLE_BYTES - len(data))

    assert len(data) == MAX_ARTICLE_BYTES
    assert parse_article(data, "article.md").text == "Filler text."


@pytest.mark.parametrize(
    ("keys", "warnings"),
    [
        (
            {"subtitle": "More", "categories": "Economy", "Lang": "ru"},
            (
                "unknown key 'subtitle' was ignored",
                "unknown key 'categories' was ignored (did you mean 'category'?)",
                "unknown key 'Lang' was ignored (did you mean 'lang'?)",
            ),
        ),
        ({"tag": "economy", "tags": "banks"}, ("unknown key 'tag' was ignored",)),
        ({"body": "front matter has no body"}, ("unknown key 'body' was ignored",)),
    ],
)
def test_unknown_keys_are_warnings(keys: dict[str, str], warnings: tuple[str, ...]) -> None:
    result = parse(**keys)

    assert result.warnings == warnings
    assert result.title == "Base rate unchanged"
