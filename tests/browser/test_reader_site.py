"""What a reader sees on the site, in chromium, against the whole local system (see conftest.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HOSTILE_SLUG, HOSTILE_TITLE, Reader, Tab

PAGES = ["/", "/search.html?q=tenge", "/article.html?slug=tenge-ends-week-stronger", "/no-such-page"]


def test_the_ticker_shows_the_five_rates_with_their_signs_as_the_api_gives_them(tab: Tab, reader: Reader) -> None:
    rates = reader.api_json("/rates")["items"]
    tab.open("/")
    ticks = tab.page.locator("#ticker .tick-btn")
    expect(ticks).to_have_count(5)
    shown = {}
    for i in range(5):
        tick = ticks.nth(i)
        shown[tick.locator(".code").inner_text()] = (
            tick.locator(".value").evaluate("e => e.firstChild.textContent"),
            tick.locator(".chg").get_attribute("class"),
            tick.locator(".chg").inner_text(),
        )
    assert set(shown) == {"KGS", "KZT", "TJS", "UZS", "TMT"}
    for item in rates:
        value, classes, change = shown[item["currency"]]
        number = Decimal(value.replace(",", ""))
        assert len(value.replace(",", "").replace(".", "").lstrip("0")) >= 4, value  # ≥4 significant digits
        assert abs(number - Decimal(item["local_per_usd"])) <= Decimal("0.0005") * number, (value, item)
        pct = Decimal(item["change_pct"]) if item["change_pct"] is not None else None
        direction = "none" if pct is None else "flat" if round(pct, 2) == 0 else "up" if pct > 0 else "down"
        assert direction in classes.split(), (item, classes)
        if direction == "up":
            assert f"+{abs(pct):.2f}%" in change
        elif direction == "down":
            assert f"−{abs(pct):.2f}%" in change
        elif direction == "flat":
            assert "0.00%" in change and "-" not in change and "−" not in change
    assert tab.errors == []


def test_typing_a_query_shows_its_results_and_the_exact_range(tab: Tab, reader: Reader) -> None:
    expected = reader.api_json("/search?q=tenge")
    tab.open("/search.html")
    tab.page.locator("#q").press_sequentially("tenge", delay=30)
    expect(tab.page.locator("#count")).to_have_text(f"1–{len(expected['results'])} of {expected['total']}")
    titles = tab.page.locator("#results h3, #results h2").all_inner_texts()
    assert titles == [hit["title"] for hit in expected["results"]]
    expect(tab.page.locator("#results mark").first).to_have_text(re.compile("tenge", re.I))
    assert "q=tenge" in tab.page.url
    assert tab.errors == []


def test_a_facet_narrows_the_results(tab: Tab, reader: Reader) -> None:
    narrowed = reader.api_json("/search?q=tenge&lang=ru")
    everything = reader.api_json("/search?q=tenge")
    assert 0 < narrowed["total"] < everything["total"]  # else the test could not fail
    tab.open("/search.html?q=tenge")
    expect(tab.page.locator("#count")).to_have_text(f"1–{everything['total']} of {everything['total']}")
    tab.page.locator("#facet-groups a[href*='lang=ru']").first.click()
    expect(tab.page.locator("#count")).to_have_text(f"1–{narrowed['total']} of {narrowed['total']}")
    assert "lang=ru" in tab.page.url
    assert tab.errors == []


def test_a_typo_offers_did_you_mean_and_following_it_searches(tab: Tab, reader: Reader) -> None:
    suggestion = reader.api_json("/search?q=tengee+weak")["did_you_mean"]
    assert suggestion
    tab.open("/search.html?q=tengee%20weak")
    notice = tab.page.locator("#notices .notice", has_text="Did you mean")
    expect(notice).to_contain_text(suggestion)
    notice.locator("a").click()
    expect(tab.page.locator("#q")).to_have_value(suggestion)
    assert tab.errors == []


def test_the_language_switch_changes_the_interface_and_is_remembered(tab: Tab) -> None:
    tab.open("/")
    expect(tab.page.locator("#rates-h")).to_have_text("Exchange rates")
    tab.page.locator("[data-lang-choice=ru]").click()
    expect(tab.page.locator("#rates-h")).to_have_text("Курсы валют")
    assert tab.page.locator("html").get_attribute("lang") == "ru"
    tab.open("/search.html")
    expect(tab.page.locator("h1")).to_have_text("Поиск")
    assert tab.errors == []


def test_an_article_links_its_other_language_version(tab: Tab) -> None:
    tab.open("/article.html?slug=tenge-ends-week-stronger")
    expect(tab.page.locator("h1")).to_have_text("Tenge ends the week stronger as oil prices recover")
    tab.page.locator(".translations a[hreflang=ru]").click()
    tab.page.wait_for_url(re.compile("slug=tenge-zavershil-nedelyu-ukrepleniem"))
    expect(tab.page.locator("h1")).to_contain_text("Тенге")
    assert tab.page.locator("h1").get_attribute("lang") == "ru"
    assert tab.page.locator(".translations a[hreflang=en]").count() == 1
    assert tab.errors == []


def test_back_restores_the_previous_search(tab: Tab) -> None:
    tab.open("/search.html?q=tenge")
    expect(tab.page.locator("#count")).to_have_text(re.compile(r"^1–\d+ of \d+$"))
    first = tab.page.locator("#count").inner_text()
    tab.page.locator("#q").fill("gold")
    tab.page.locator("#search-form button[type=submit]").click()
    expect(tab.page).to_have_url(re.compile(r"q=gold"))
    expect(tab.page.locator("#count")).not_to_have_text(first)
    tab.page.go_back()
    expect(tab.page).to_have_url(re.compile(r"q=tenge"))
    expect(tab.page.locator("#q")).to_have_value("tenge")
    expect(tab.page.locator("#count")).to_have_text(first)
    assert tab.errors == []


@pytest.mark.parametrize("path", [f"/article.html?slug={HOSTILE_SLUG}", "/search.html?q=hostile%20markup", "/"])
def test_a_hostile_article_renders_as_text_and_runs_nothing(tab: Tab, path: str) -> None:
    tab.open(path)
    # What a reader's pointer would set off, on every element at once.
    tab.page.evaluate(
        "document.querySelectorAll('main *').forEach(e => e.dispatchEvent(new MouseEvent('mouseover', {bubbles:true})))"
    )
    assert tab.page.evaluate("typeof window.pwned") == "undefined"
    # The CSP stops inline handlers anyway: no live element is what shows the text went in as text.
    assert tab.page.locator("main script, main [onerror], main [onload], main [onmouseover]").count() == 0
    assert tab.page.locator("main a[href^='javascript:']").count() == 0
    if "article" in path:
        expect(tab.page.locator("h1")).to_have_text(HOSTILE_TITLE)
        expect(tab.page.locator("main")).to_contain_text("Mallory <script>window.pwned=2</script>")
    elif "search" in path:
        expect(tab.page.locator("#results")).to_contain_text(HOSTILE_TITLE)


@pytest.mark.parametrize("lang", ["en", "ru"], indirect=True)
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_no_console_errors_and_no_serious_axe_violations(tab: Tab, path: str) -> None:
    status = tab.open(path)
    missing = path == "/no-such-page"
    assert status == (404 if missing else 200)
    assert tab.axe_serious() == []
    # Chromium logs the 404 page's own status as an error: that one is the page working.
    own_status = "console: Failed to load resource: the server responded with a status of 404 (Not Found)"
    own_status += f" at {tab.base}{path}"
    assert [error for error in tab.errors if not (missing and error == own_status)] == []
