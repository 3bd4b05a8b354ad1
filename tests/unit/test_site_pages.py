"""The reader site's static rules, in `make test`: well-formed pages, labelled fields, no inline script, style or
handler (the CSP forbids them), and API HTML inserted only where the API sanitized or escaped it
(`site/tests/check_pages.py`, which also runs on its own)."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SITE = Path(__file__).resolve().parents[2] / "site"


def _checks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_pages", SITE / "tests" / "check_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKS = _checks()


@pytest.mark.parametrize("page", sorted(SITE.glob("*.html")), ids=lambda path: path.name)
def test_a_page_keeps_the_site_rules(page: Path) -> None:
    assert CHECKS.check(page) == []


def test_scripts_insert_only_the_api_html_that_is_safe() -> None:
    assert CHECKS.check_scripts() == []


def test_the_checks_catch_an_inline_handler_and_an_unsafe_insert(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><body><img src="x" onerror="go()"><input id="q"></body></html>')
    problems = CHECKS.check(page)
    assert any("onerror" in problem for problem in problems) and any("label" in problem for problem in problems)
