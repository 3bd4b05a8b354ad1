"""The export generator (tools/make_wxr.py): what it writes is a WordPress export the project's reader
reads, with the counts it says, the pitfalls it promises, and the same bytes for the same seed."""

from __future__ import annotations

import gzip
import io
import json
import re
import tracemalloc
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from steppewire.imports.mapping import ExportContext, Skipped, map_item
from steppewire.imports.wxr import ExportReader, WxrItem, scan
from tools.make_wxr import ExportPlan, cdata, main, php_serialize_ids, wp_slug, write_export


def generate(posts: int, seed: int = 3, changed: int = 0) -> tuple[bytes, list[dict[str, object]]]:
    out = io.BytesIO()
    manifest = io.StringIO()
    write_export(ExportPlan(posts, seed, changed), out, manifest)
    return out.getvalue(), [json.loads(line) for line in manifest.getvalue().splitlines()]


def items(data: bytes) -> tuple[ExportReader, list[WxrItem]]:
    reader = ExportReader(io.BytesIO(data))
    return reader, list(reader)


@pytest.mark.parametrize("posts", [0, 1, 2, 39, 120])
def test_exactly_the_posts_asked_for_and_counts_that_match_the_manifest(posts: int) -> None:
    data, manifest = generate(posts)
    summary = scan(io.BytesIO(data))
    by_type = Counter[str]()
    for (post_type, _status), count in summary.by_type_and_status.items():
        by_type[post_type] += count
    assert by_type["post"] == posts == len(manifest)
    statuses = Counter(str(line["status"]) for line in manifest)
    assert statuses == Counter(
        {status: n for (kind, status), n in summary.by_type_and_status.items() if kind == "post"}
    )
    assert len({line["post_id"] for line in manifest}) == posts


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    assert generate(150, seed=11)[0] == generate(150, seed=11)[0]
    assert generate(150, seed=11)[0] != generate(150, seed=12)[0]
    first, second = tmp_path / "a.xml.gz", tmp_path / "b.xml.gz"
    for path in (first, second):
        assert main(["--posts", "60", "--seed", "5", "--out", str(path), "--gzip"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()) == generate(60, seed=5)[0]


def test_the_channel_is_written_as_wordpress_writes_it() -> None:
    data, manifest = generate(80)
    head = data[:4000].decode()
    assert head.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n')
    assert '<!-- generator="WordPress/6.6.2"' in head
    for namespace in (
        'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"',
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"',
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/"',
        'xmlns:dc="http://purl.org/dc/elements/1.1/"',
        'xmlns:wp="http://wordpress.org/export/1.2/"',
    ):
        assert namespace in head
    reader, _ = items(data)
    channel = reader.channel
    assert channel.wxr_version == "1.2"
    assert channel.base_site_url == "https://news.example.kz"
    assert channel.authors["olga.k"].display_name == "Ольга Ким"
    assert channel.category_names[5] == "Economy" and channel.category_names[105] == "Экономика"
    assert channel.term_descriptions[("language", "ru")].startswith('a:3:{s:6:"locale";s:5:"ru_RU"')
    # Every translated pair has its Polylang group in the channel, a serialized {lang: post id} map.
    pairs = {line["post_id"]: line["partner"] for line in manifest if line["partner"]}
    assert pairs and all(pairs[partner] == post_id for post_id, partner in pairs.items())
    context = ExportContext(channel=channel)
    groups = context.groups()
    assert all(groups[post_id] == groups[partner] for post_id, partner in pairs.items())  # type: ignore[index]


def test_the_pitfalls_are_all_there() -> None:
    data, manifest = generate(60)
    text = data.decode()
    reader, read = items(data)
    posts = {item.post_id: item for item in read if item.post_type == "post"}
    special = {str(line["special"]): posts[int(str(line["post_id"]))] for line in manifest if line["special"]}
    # The CDATA split, written as wxr_cdata does and read back whole.
    assert "]]]]><![CDATA[>" in text
    assert "rates[i]]>0" in special["cdata-split"].content
    assert "&amp;" in special["entities-title"].title or "&laquo;" in special["entities-title"].title
    assert special["empty-title"].title == "" and special["empty-body"].content == ""
    assert sum(term.domain == "post_tag" for term in special["many-tags"].terms) > 20
    collision = next(line for line in manifest if line["special"] == "slug-collision")
    assert collision["collides_with"] is not None
    assert special["slug-collision"].post_name == posts[int(str(collision["collides_with"]))].post_name
    draft = special["null-date-draft"]
    assert draft.status == "draft" and draft.post_date_gmt == "0000-00-00 00:00:00" and draft.post_date
    assert re.fullmatch(r"(%[0-9a-f]{2}|[a-z0-9-])+", special["cyrillic-slug"].post_name)
    assert re.search("[а-я]", unquote(special["cyrillic-slug"].post_name))  # Cyrillic, percent-encoded
    assert "<!-- wp:paragraph -->" in special["gutenberg"].content
    for shortcode in ("[caption ", "[gallery ", "[embed]"):
        assert shortcode in special["shortcodes"].content
    assert special["password"].password and special["future"].status == "future"
    types = Counter(item.post_type for item in read)
    assert {"post", "page", "attachment", "revision", "nav_menu_item"} <= set(types)
    assert "<wp:comment>" in text
    assert any("\n" in item.content and "\n\n" in item.content and "<p>" not in item.content for item in posts.values())
    languages = Counter(next(t.nicename for t in item.terms if t.domain == "language") for item in posts.values())
    assert languages["en"] and languages["ru"]
    del reader


def test_featured_images_and_primary_categories_resolve() -> None:
    data, manifest = generate(100)
    reader, read = items(data)
    context = ExportContext()
    for item in read:
        context.see(item)
    context.channel = reader.channel
    groups = context.groups()
    expected = {int(str(line["post_id"])): line for line in manifest}
    thumbnails = alts = 0
    for item in read:
        if item.post_type != "post":
            continue
        decision = map_item(item, context, groups)
        line = expected[int(item.post_id or 0)]
        if isinstance(decision, Skipped):
            assert line["expect"] == "skipped"
            continue
        assert decision.fields.get("category") == line["category"]
        if "_thumbnail_id" in item.meta:
            thumbnails += 1
            assert decision.fields["image"].startswith("https://news.example.kz/wp-content/uploads/")
            alts += "image_alt" in decision.fields
        hidden = line["expect"] in ("hidden",)
        assert (decision.hidden_reason is not None) == hidden
    assert thumbnails > 10 and alts > 5


def test_a_later_export_changes_only_the_posts_it_says() -> None:
    before, _ = generate(300, seed=9)
    after, manifest = generate(300, seed=9, changed=4)
    changed = {int(str(line["post_id"])) for line in manifest if line["changed"]}
    assert len(changed) == 4
    old = {item.post_id: item for item in items(before)[1]}
    new = {item.post_id: item for item in items(after)[1]}
    assert old.keys() == new.keys()
    differing = {post_id for post_id in old if old[post_id] != new[post_id]}
    assert differing == changed
    for post_id in changed:
        assert new[post_id].post_modified_gmt > old[post_id].post_modified_gmt
        assert new[post_id].content.startswith(old[post_id].content)


def test_the_output_is_streamed_in_bounded_memory() -> None:
    class Sink:
        def __init__(self) -> None:
            self.size = 0

        def write(self, data: bytes, /) -> int:
            self.size += len(data)
            return len(data)

    peaks = []
    for posts in (500, 2000):
        sink = Sink()
        tracemalloc.start()
        write_export(ExportPlan(posts, 1), sink)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert sink.size > posts * 1000
    assert peaks[1] < peaks[0] * 1.5 + 200_000  # four times the posts, about the same memory


def test_the_small_helpers_write_what_wordpress_writes() -> None:
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert wp_slug("тенге-2025") == "%d1%82%d0%b5%d0%bd%d0%b3%d0%b5-2025"
    assert php_serialize_ids({"en": 101, "ru": 102}) == 'a:2:{s:2:"en";i:101;s:2:"ru";i:102;}'
