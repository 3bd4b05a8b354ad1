"""Reading WordPress exports: items and channel facts as WordPress writes them, broken files refused with
their line and column, and memory that does not grow with the export."""

from __future__ import annotations

import io
import tracemalloc
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steppewire.imports.wxr import ExportBroken, ExportReader, Term, scan

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wxr" / "bilingual-export.xml"


def export(items: str, namespace: str = "http://wordpress.org/export/1.2/") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:wp="{namespace}" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n<wp:wxr_version>1.2</wp:wxr_version>\n'
        f"<wp:base_site_url>https://site.example</wp:base_site_url>\n{items}</channel>\n</rss>\n"
    ).encode()


def item(post_id: int, title: str = "A post", content: str = "Text.") -> str:
    return (
        f"<item><title>{escape(title)}</title><wp:post_id>{post_id}</wp:post_id>"
        f"<content:encoded>{escape(content)}</content:encoded>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>\n"
    )


def test_items_and_channel_facts_read_as_wordpress_writes_them() -> None:
    reader = ExportReader(FIXTURE.open("rb"))
    items = {entry.post_id: entry for entry in reader}

    assert reader.channel.base_site_url == "https://news.example.kz"
    assert reader.channel.language == "en-US"
    assert reader.channel.authors["aigerim"].display_name == "Aigerim Sultanova"
    assert reader.channel.term_descriptions[("post_translations", "pll_6565a1b2c3d4e")].startswith("a:2:{")
    story = items[101]
    assert story.title == "Tenge steadies &amp; markets calm"  # CDATA: the entity is the editor's text
    assert story.content.startswith("The National Bank kept its rate.\n\nMarkets calmed")
    assert "The code ]]> stays." in story.content  # the exporter's split CDATA is joined again
    assert story.post_date_gmt == "2025-03-20 09:30:00"
    assert story.meta == {"_thumbnail_id": "201", "_yoast_wpseo_primary_category": "5"}
    assert Term("language", "en", "English") in story.terms
    assert items[102].post_name == "%d1%82%d0%b5%d0%bd%d0%b3%d0%b5"
    assert (items[103].status, items[103].post_date_gmt) == ("draft", "0000-00-00 00:00:00")
    assert items[201].attachment_url.endswith("/nbk.jpg")


def test_scan_counts_every_item_by_type_and_status() -> None:
    summary = scan(FIXTURE.open("rb"))

    assert summary.items == 5
    assert summary.by_type_and_status == Counter(
        {("post", "publish"): 2, ("post", "draft"): 1, ("attachment", "inherit"): 1, ("page", "publish"): 1}
    )


def test_namespaces_are_matched_by_path_as_wordpress_com_writes_them() -> None:
    data = export(item(7, "Over https"), namespace="https://wordpress.org/export/1.1/")

    (only,) = ExportReader(io.BytesIO(data))
    assert (only.post_id, only.title) == (7, "Over https")


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (export(item(1)).replace(b"</channel>\n</rss>\n", b""), 7),  # truncated after its last item
        (export(item(1) + "<item><title>bell \x07</title></item>\n"), 7),  # a control character
        (export(item(1)).replace(b"<title>A post</title>", b"<title>A post</titel>"), 6),
    ],
    ids=["truncated", "control-character", "mismatched-tag"],
)
def test_a_broken_export_is_refused_with_its_line_and_column(data: bytes, line: int) -> None:
    with pytest.raises(ExportBroken) as broken:
        scan(io.BytesIO(data))

    assert broken.value.line == line
    assert broken.value.column is not None and broken.value.column >= 1
    assert f"line {line}, column" in str(broken.value)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss><channel/></rss>', "DTD"),
        (b"<html><body>Error establishing a database connection</body></html>", "not a WordPress export"),
        (b'<rss version="2.0"><channel><title>Feed</title></channel></rss>', "no <wp:wxr_version>"),
    ],
    ids=["dtd", "html-page", "plain-rss"],
)
def test_what_is_not_a_wordpress_export_is_refused_by_name(data: bytes, words: str) -> None:
    with pytest.raises(ExportBroken, match=words):
        scan(io.BytesIO(data))


def test_memory_stays_flat_however_long_the_export() -> None:
    body = "Paragraph of a long archive. " * 40
    data = export("".join(item(n, f"Post {n}", body) for n in range(1, 4001)))
    tracemalloc.start()
    try:
        count = sum(1 for _ in ExportReader(io.BytesIO(data)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 4000
    assert peak < len(data) / 10  # each item is freed once read: the peak is a few items, not the file


@settings(max_examples=100, deadline=None)
@given(
    title=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
    content=st.text(st.characters(blacklist_categories=("Cs",), whitelist_characters="\n\t"), max_size=200).map(
        lambda text: "".join(char for char in text if char in "\n\t" or ord(char) >= 0x20)
    ),
)
def test_any_text_comes_back_as_written(title: str, content: str) -> None:
    (only,) = ExportReader(io.BytesIO(export(item(1, title, content))))

    assert only.title == title.strip()
    assert only.content == content.replace("\r", "\n")
