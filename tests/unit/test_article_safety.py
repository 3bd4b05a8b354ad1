"""What reaches readers: no executable markup whatever the editor pastes, and no raw WordPress shortcode,
while Markdown links and bracketed prose stay as written."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.unit.test_article_document import parse

# OWASP filter-evasion style vectors, raw HTML and Markdown. The flag says whether the text after the
# vector survives: an unclosed <style> inside <math> turns the rest of the body into style text.
VECTORS = [
    ("<script>alert(1)</script>", True),
    ("<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>", True),
    ("<ScRiPt>alert(1)</sCrIpT>", True),
    ('<<SCRIPT>alert("XSS");//<</SCRIPT>', True),
    ("<img src=x onerror=alert(1)>", True),
    ("<IMG SRC=JaVaScRiPt:alert('XSS')>", True),
    ("<IMG SRC=javascript:alert(&quot;XSS&quot;)>", True),
    ('<IMG """><SCRIPT>alert("XSS")</SCRIPT>">', True),
    ('<img src="jav&#x09;ascript:alert(1)">', True),
    ('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">', True),
    ('<a href="jav&#x09;ascript:alert(1)">click</a>', True),
    ('<a href="jav\tascript:alert(1)">click</a>', True),
    ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>', True),
    ('<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">click</a>', True),
    ('<a href=" &#14;  javascript:alert(1)">click</a>', True),
    ('<a href="javascript&colon;alert(1)">click</a>', True),
    ('<a href="java script:alert(1)">click</a>', True),
    ("<a href=vbscript:msgbox(1)>click</a>", True),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>', True),
    ('<a href="#" onclick="alert(1)">click</a>', True),
    ('<a href="https://steppewire.kz" target="_blank" rel="opener">click</a>', True),
    ("<svg onload=alert(1)>", True),
    ("<svg><script>alert(1)</script></svg>", True),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", False),
    ('<math href="javascript:alert(1)">click</math>', True),
    ('<iframe src="https://evil.example/"></iframe>', True),
    ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', True),
    ('<object data="javascript:alert(1)"></object>', True),
    ('<embed src="javascript:alert(1)">', True),
    ('<form action="javascript:alert(1)"><button>go</button></form>', True),
    ('<style>body{background:url("javascript:alert(1)")}</style>', True),
    ('<p style="background-image:url(javascript:alert(1))">styled</p>', True),
    ('<td style="text-align:left;background:url(javascript:alert(1))">cell</td>', True),
    ("<body onload=alert(1)>", True),
    ("<input onfocus=alert(1) autofocus>", True),
    ("<details open ontoggle=alert(1)>", True),
    ('<div/onmouseover="alert(1)">hover</div>', True),
    ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', True),
    ('<base href="javascript:alert(1)//">', True),
    ('<link rel="stylesheet" href="javascript:alert(1)">', True),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', True),
    ('<table background="javascript:alert(1)"><tr><td>cell</td></tr></table>', True),
    ("<!--<img src=x onerror=alert(1)>-->", True),
    ("[click](javascript:alert(1))", True),
    ("[click](JAVASCRIPT:alert(1))", True),
    ("[click](<javascript:alert(1)>)", True),
    ("![pic](javascript:alert(1))", True),
    ("[click](data:text/html;base64,PHNjcmlwdD4=)", True),
    ("![pic](data:image/png;base64,iVBORw0KGgo=)", True),
    ("[click](vbscript:msgbox(1))", True),
    ("[click][evil]\n\n[evil]: javascript:alert(1)", True),
    ("<javascript:alert(1)>", True),
    ('[gallery ids="1" onload="alert(1)"]', True),
    ('[caption id="1"]<img src=x onerror=alert(1)> <script>alert(1)</script>Caption[/caption]', True),
]

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd", "ul", "ol",
    "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption", "strong", "b", "em", "i", "u", "s", "del",
    "ins", "mark", "small", "sub", "sup", "q", "cite", "abbr", "table", "caption", "thead", "tbody",
    "tfoot", "tr", "th", "td",
}  # fmt: skip
SAFE_URL = re.compile(r"(?:https?://|mailto:|/|#)")
NEVER_IN_OUTPUT = ("<script", "<iframe", "<object", "<embed", "<form", "<style", "<svg", "<math", "<meta", "<base")


class Elements(HTMLParser):
    """Every start tag of an HTML fragment, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_no_executable_markup(html: str) -> None:
    lowered = html.lower()
    for opening in NEVER_IN_OUTPUT:
        assert opening not in lowered  # text never holds a raw "<": it is escaped as &lt;
    for tag, attributes in Elements(html).found:
        assert tag in ALLOWED_TAGS
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript" not in (value or "").lower()
            if name in ("href", "src"):
                assert SAFE_URL.match(value or ""), (tag, name, value)
            if name == "style":
                assert re.fullmatch(r"text-align:\s*\w+;?", value or ""), value
            if name == "rel":
                assert value == "noopener noreferrer nofollow"


@pytest.mark.parametrize(("vector", "keeps_the_rest"), VECTORS)
def test_xss_vector_leaves_no_executable_markup(vector: str, keeps_the_rest: bool) -> None:
    result = parse(f"Before the vector.\n\n{vector}\n\nAfter the vector.")

    assert_no_executable_markup(result.body_html)
    assert "<p>Before the vector.</p>" in result.body_html
    assert result.text.startswith("Before the vector.")
    assert ("After the vector." in result.text) is keeps_the_rest


@pytest.mark.parametrize(
    ("body", "survivor"),
    [
        ("<b onclick=alert(1)>bold</b> words", "<p><b>bold</b> words</p>"),
        ("<img src=x onerror=alert(1)> caption", "caption"),
        ("[click](javascript:alert(1)) here", '<a rel="noopener noreferrer nofollow">click</a> here'),
        ("<details open ontoggle=alert(1)><summary>More</summary>Hidden text</details>", "MoreHidden text"),
        ("<div style=\"color:red\"><span class='x'>Plain</span></div>", "Plain"),
    ],
)
def test_harmless_content_survives(body: str, survivor: str) -> None:
    html = parse(body).body_html

    assert_no_executable_markup(html)
    assert survivor in html


# --- links, images, tables ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "html"),
    [
        (
            "[Reuters](https://www.reuters.com/world/asia-pacific/)",
            '<a href="https://www.reuters.com/world/asia-pacific/" rel="noopener noreferrer nofollow">Reuters</a>',
        ),
        ('[Write to us](mailto:desk@steppewire.kz "Desk")', 'href="mailto:desk@steppewire.kz" title="Desk"'),
        ("[Earlier story](/ru/news/tenge-rate)", 'href="/ru/news/tenge-rate"'),
        ("[Below](#analysis)", 'href="#analysis"'),
        ("[Page](page.html)", '<a rel="noopener noreferrer nofollow">Page</a>'),
        ("[Call us](tel:+77272000000)", '<a rel="noopener noreferrer nofollow">Call us</a>'),
        ("![Almaty](https://cdn.steppewire.kz/a.jpg)", '<img src="https://cdn.steppewire.kz/a.jpg" alt="Almaty">'),
        ('<img src="uploads/a.jpg" alt="relative">', '<img alt="relative">'),
        (
            "| a | b |\n|--:|:-:|\n| 1 | 2 |",
            '<th style="text-align:right">a</th>\n<th style="text-align:center">b</th>',
        ),
        ("~~old~~ new", "<s>old</s> new"),
    ],
)
def test_links_images_and_tables(body: str, html: str) -> None:
    assert html in parse(body).body_html


# --- the shortcode rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "html"),
    [
        # Bracketed prose, and bare names WordPress does not know, are not shortcodes.
        ("He said [sic] it.", "<p>He said [sic] it.</p>"),
        ("A footnote [1] and [2a].", "<p>A footnote [1] and [2a].</p>"),
        ("[VIDEO] Protest in Almaty", "<p>[VIDEO] Protest in Almaty</p>"),
        ("[the minister] declined", "<p>[the minister] declined</p>"),
        ("[Ed.: this was corrected]", "<p>[Ed.: this was corrected]</p>"),
        ("Ставка [в апреле] не изменилась", "<p>Ставка [в апреле] не изменилась</p>"),
        ("[b]bold?[/ i]", "<p>[b]bold?[/ i]</p>"),
        # Markdown links keep their text, even when it is a WordPress name.
        ("[gallery](https://steppewire.kz/photos)", ">gallery</a>"),
        ("[video][1]\n\n[1]: https://steppewire.kz/video", '<a href="https://steppewire.kz/video"'),
        ("[text][ref]\n\n[ref]: https://steppewire.kz", '<a href="https://steppewire.kz"'),
        (
            "[ref]\n\n[ref]: https://steppewire.kz",
            '<a href="https://steppewire.kz" rel="noopener noreferrer nofollow">ref</a>',
        ),
        ('[caption id="1"](https://steppewire.kz)', '>caption id="1"</a>'),
        ("![gallery](https://cdn.steppewire.kz/a.jpg)", 'alt="gallery"'),
    ],
)
def test_not_shortcodes(body: str, html: str) -> None:
    assert html in parse(body).body_html


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('Before [gallery ids="1,2"] after', "Before after"),
        ("Before [gallery] after", "Before after"),
        ('[gallery link="file" columns="3" /]', ""),
        ("Before [embed]https://www.youtube.com/watch?v=x[/embed] after", "Before after"),
        ('[audio mp3="https://cdn.steppewire.kz/a.mp3"][/audio]', ""),
        ('[video mp4="https://cdn.steppewire.kz/a.mp4"]Your browser cannot play it[/video]', ""),
        ("[playlist ids='1,2' type=\"audio\"]", ""),
        ("Text [/su_note] more", "Text more"),
        ('[su_note note_color="#fff"]Kept inside[/su_note]', "Kept inside"),
        ("[su_box][su_note]Nested[/su_note][/su_box]", "Nested"),
        ("[b]Bold[/b] words", "Bold words"),
        ("One.[/su_column][su_column size='1/2']Two.", "One. Two."),
        ('[contact-form-7 id="412" title="Send us your photos"]', ""),
        ("[youtube https://www.youtube.com/watch?v=x]", ""),
        ("[br /]", ""),
        # Everywhere: the rule is about text, Markdown code spans included.
        ('Type `[gallery ids="1"]` here', "Type here"),
    ],
)
def test_shortcodes_are_removed(body: str, text: str) -> None:
    result = parse(f"{body}\n\nEnd.")

    assert result.text.splitlines() == ([text] if text else []) + ["End."]
    assert "[" not in result.body_html


def test_a_shortcode_line_does_not_make_a_code_block() -> None:
    body = "[su_column size='1/2'] [su_note color=red] [su_box title='x'] [su_spoiler open=yes] Four tags, then text."

    assert parse(body).body_html == "<p>Four tags, then text.</p>\n"


@pytest.mark.parametrize(
    ("body", "html"),
    [
        (
            '[caption id="attachment_29923" align="alignnone" width="800"]<img src="https://cdn.steppewire.kz/a.jpg" '
            'alt="" width="800" /> Almaty at dawn[/caption]',
            '<figure><img src="https://cdn.steppewire.kz/a.jpg" alt="" width="800">'
            "<figcaption>Almaty at dawn</figcaption></figure>",
        ),
        (
            '[caption width="300" caption="From the attribute"]<img src="https://cdn.steppewire.kz/a.jpg" />[/caption]',
            '<figure><img src="https://cdn.steppewire.kz/a.jpg"><figcaption>From the attribute</figcaption></figure>',
        ),
        (
            '[wp_caption]<img src="https://cdn.steppewire.kz/a.jpg">\nTwo\nlines <em>of</em> caption[/wp_caption]',
            '<figure><img src="https://cdn.steppewire.kz/a.jpg">'
            "<figcaption>Two lines <em>of</em> caption</figcaption></figure>",
        ),
        (
            '[caption]<img src="https://cdn.steppewire.kz/a.jpg">[/caption]',
            '<figure><img src="https://cdn.steppewire.kz/a.jpg"></figure>',
        ),
        ("[caption]Words only[/caption]", "<figure><figcaption>Words only</figcaption></figure>"),
        (
            "[caption]Photo [su_note]AP[/su_note] [gallery][/caption]",
            "<figure><figcaption>Photo AP</figcaption></figure>",
        ),
        (
            '[caption id="1"]<img src="https://cdn.steppewire.kz/a.jpg"> Never closed',
            '<img src="https://cdn.steppewire.kz/a.jpg"> Never closed',
        ),
    ],
)
def test_captions_become_figures(body: str, html: str) -> None:
    assert html in parse(body).body_html


def test_the_line_after_a_caption_is_still_markdown() -> None:
    html = parse('[caption]<img src="https://cdn.steppewire.kz/a.jpg"> Dawn[/caption]\nThe *next* line').body_html

    assert html.endswith("</figure>\n<p>The <em>next</em> line</p>\n")
