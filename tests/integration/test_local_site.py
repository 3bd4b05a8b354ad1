"""The reader's site as `make run` serves it: the site's files with CloudFront's headers and 404 page, the
API's address in /config.json, sample articles in both languages, and the API open to the site's origin."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steppewire_local import LocalStack
from steppewire_local.samples import SAMPLES, SampleArticles
from steppewire_local.site_server import SiteEdge, SiteServer, site_edge
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

API = "http://127.0.0.1:3000"
SITE_ORIGIN = "http://127.0.0.1:8080"
FILES = {
    "index.html": "<!doctype html><title>front</title>",
    "404.html": "<!doctype html><title>not found</title>",
    "app.js": "export const x = 1;",
    "style.css": "body { margin: 0 }",
    "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "data/labels.json": '{"en": {}}',
    "search/index.html": "<!doctype html><title>search</title>",
    "empty/.keep": "",
}


def write_site(folder: Path) -> None:
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def edge() -> SiteEdge:
    return site_edge(LocalStack.create(ROOT / "template.yaml").template.resources, API)


@pytest.fixture
def site(tmp_path: Path, edge: SiteEdge) -> Iterator[Callable[..., tuple[int, Message, bytes]]]:
    write_site(tmp_path)
    server = SiteServer(tmp_path, "127.0.0.1", 0, edge, {"api": API})
    server.start()

    def get(path: str, method: str = "GET") -> tuple[int, Message, bytes]:
        """Status, headers (case-insensitive, as a browser reads them) and body."""
        request = urllib.request.Request(server.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except HTTPError as error:
            return error.code, error.headers, error.read()

    yield get
    server.stop()


@pytest.mark.parametrize(
    ("path", "content_type", "file"),
    [
        ("/", "text/html; charset=utf-8", "index.html"),
        ("/index.html", "text/html; charset=utf-8", "index.html"),
        ("/app.js", "text/javascript; charset=utf-8", "app.js"),
        ("/style.css", "text/css; charset=utf-8", "style.css"),
        ("/img/logo.svg", "image/svg+xml", "img/logo.svg"),
        ("/data/labels.json", "application/json", "data/labels.json"),
        ("/app.js?v=2", "text/javascript; charset=utf-8", "app.js"),
    ],
)
def test_files_are_served_with_their_content_type(site, path: str, content_type: str, file: str) -> None:
    status, headers, body = site(path)
    assert (status, headers["Content-Type"], body.decode()) == (200, content_type, FILES[file])


# A folder is no page but at the root, as on CloudFront (DefaultRootObject) over S3: the site links files.
@pytest.mark.parametrize(
    "path", ["/nope", "/nope.js", "/empty/", "/search/", "/search", "/../template.yaml", "/%2e%2e/template.yaml"]
)
def test_an_unknown_path_is_the_sites_404_page_with_status_404(site, path: str) -> None:
    status, headers, body = site(path)
    assert (status, headers["Content-Type"], body.decode()) == (404, "text/html; charset=utf-8", FILES["404.html"])
    assert "Content-Security-Policy" in headers


def test_head_of_a_missing_page_has_no_body(site) -> None:
    assert site("/nope", "HEAD")[::2] == (404, b"")


def test_config_json_points_the_site_at_the_local_api(site) -> None:
    status, headers, body = site("/config.json")
    assert (status, headers["Content-Type"], json.loads(body)) == (200, "application/json", {"api": API})


@pytest.mark.parametrize("path", ["/", "/app.js", "/config.json", "/nope"])
def test_every_answer_carries_the_sites_security_headers(site, path: str) -> None:
    headers = site(path)[1]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    policy = {d.split()[0]: d.split()[1:] for d in headers["Content-Security-Policy"].split("; ")}
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no third party
    assert policy["connect-src"] == ["'self'", API]
    assert policy["img-src"] == ["'self'", "data:", API]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source or "*" in source for sources in policy.values() for source in sources)


def test_sample_articles_are_published_in_both_languages_once(deploy: Callable[..., LocalStack]) -> None:
    stack = deploy()
    samples = SampleArticles()
    assert "4 sample articles" in samples.before_start(stack)[0]
    stack.drain()
    for lang in ("en", "ru"):
        items = stack.api_request("GET", f"/articles?lang={lang}").json()["items"]
        assert len(items) == len([p for p in SAMPLES.iterdir() if p.name.startswith(f"{lang}-")]) == 2
        assert {item["lang"] for item in items} == {lang}
    english = stack.api_request("GET", "/articles/tenge-ends-week-stronger").json()
    russian = "tenge-zavershil-nedelyu-ukrepleniem"
    assert english["translations"] == [{"slug": russian, "url": f"/articles/{russian}", "lang": "ru"}]
    assert {"category", "tags", "country"} <= english.keys()

    assert samples.before_start(stack)[0].startswith("Samples        0 sample articles")  # a restart adds none
    assert stack.drain() == 0


def test_the_api_answers_a_cross_origin_get_from_the_local_site(deploy: Callable[..., LocalStack]) -> None:
    stack = deploy()
    preflight = stack.api_request("OPTIONS", "/rates", {"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "GET"})
    answer = stack.api_request("GET", "/articles?lang=en", {"Origin": SITE_ORIGIN})
    assert (answer.status, answer.header("Access-Control-Allow-Origin")) == (200, "*")
    assert preflight.header("Access-Control-Allow-Origin") == "*"
    assert "GET" in preflight.header("Access-Control-Allow-Methods")


@pytest.fixture(scope="module")
def served_site(tmp_path_factory: pytest.TempPathFactory, edge: SiteEdge) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("served")
    (root / "secret.txt").write_text("outside the site", encoding="utf-8")
    write_site(root / "site")
    server = SiteServer(root / "site", "127.0.0.1", 0, edge, {"api": API})
    server.start()
    yield server.url, root / "site"
    server.stop()


@settings(max_examples=60, deadline=None)
@given(
    path=st.lists(
        st.sampled_from(["..", ".", "%2e%2e", "secret.txt", "index.html", "img", "", "%00", "ü"]) | st.text(max_size=8)
    )
)
def test_no_path_fails_or_reaches_outside_the_site(served_site: tuple[str, Path], path: list[str]) -> None:
    url, folder = served_site
    request_path = "/" + quote("/".join(path), safe="/%")
    try:
        with urllib.request.urlopen(url + request_path, timeout=10) as response:
            status, body = response.status, response.read()
    except HTTPError as error:
        status, body = error.code, error.read()
    assert status in (200, 400, 404), request_path
    if status == 200:
        assert body in {(folder / name).read_bytes() for name in FILES} | {json.dumps({"api": API}).encode()}
