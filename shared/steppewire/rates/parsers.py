"""Parsers for the official rate feeds: raw response bytes in, one `RateSheet` out.

Each parser is pure and raises `FeedFormatError` for anything that is not a trustworthy rate sheet
(empty body, HTML page, malformed or truncated document, wrong document, no date, no usable rows).
Single rows that cannot be trusted (code not `^[A-Z]{3}$`, number missing, unreadable or not positive)
are skipped; a sheet left with no rows is an error. Conflicting duplicate rows are an error too.

Each parser's docstring sums up the format it reads and the quirks that matter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from steppewire.rates.model import FeedFormatError, Quote, RateSheet

__all__ = [
    "parse_cbr",
    "parse_cbt",
    "parse_cbu",
    "parse_nbk",
    "parse_nbk_rss",
    "parse_nbkr",
    "parse_nbt",
]

# (ISO code, nominal text, value text) as found in a feed, before any checking.
Row = tuple[str | None, str | None, str | None]

_CODE = re.compile(r"[A-Z]{3}")
# Sign, digits, one optional comma or point: nothing else, so no separator is ever stripped blindly.
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?", re.ASCII)
_DMY = re.compile(r"(\d{2})\.(\d{2})\.(\d{4}|\d{2})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


# --- shared helpers ---------------------------------------------------------------------------------


def _decimal(text: str | None) -> Decimal | None:
    """`87,4500`, ` 472.31 `, `+0.02` -> Decimal; None when the text is not a plain number."""
    if text is None:
        return None
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    return Decimal(text.replace(",", ".").lstrip("+"))


def _date(text: str | None) -> date | None:
    """DD.MM.YYYY, YYYY-MM-DD or DD.MM.YY (the old NBK RSS; read as 20YY) -> date; None otherwise."""
    if text is None:
        return None
    text = text.strip()
    try:
        if m := _DMY.fullmatch(text):
            day, month, year = m.groups()
            return date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
        if m := _ISO.fullmatch(text):
            return date(*(int(part) for part in m.groups()))
    except ValueError:  # 31.02.2026 and the like
        return None
    return None


def _looks_like_html(body: bytes) -> bool:
    """Maintenance and error pages come back as HTML, sometimes with status 200."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _check_body(source: str, body: bytes) -> None:
    if not body.strip():
        raise FeedFormatError(source, "empty response")
    if _looks_like_html(body):
        raise FeedFormatError(source, "got an HTML page instead of the rate feed")


def _xml_root(source: str, body: bytes, *expected: str) -> Element:
    """Parse the raw bytes, so the document's own encoding declaration (windows-1251) is honoured."""
    _check_body(source, body)
    try:
        # None of the feeds needs a DTD; refusing one also stops entity tricks.
        root = SafeET.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise FeedFormatError(source, f"malformed XML ({exc})") from exc
    if root.tag not in expected:
        raise FeedFormatError(source, f"expected a <{expected[0]}> document, got <{root.tag}>")
    return root


def _required_date(source: str, text: str | None) -> date:
    if text is None or not text.strip():
        raise FeedFormatError(source, "the document carries no date")
    parsed = _date(text)
    if parsed is None:
        raise FeedFormatError(source, f"unreadable date {text.strip()!r}")
    return parsed


def _quote(row: Row) -> Quote | None:
    code, nominal_text, value_text = row
    code = (code or "").strip()
    nominal, value = _decimal(nominal_text), _decimal(value_text)
    if not _CODE.fullmatch(code) or nominal is None or value is None or nominal <= 0 or value <= 0:
        return None
    return Quote(currency=code, nominal=nominal, value=value)


def _sheet(source: str, effective_date: date, rows: Iterable[Row]) -> RateSheet:
    quotes: dict[str, Quote] = {}
    for quote in filter(None, map(_quote, rows)):
        known = quotes.setdefault(quote.currency, quote)
        if known.per_unit != quote.per_unit:
            raise FeedFormatError(source, f"two different rates for {quote.currency}")
    if not quotes:
        raise FeedFormatError(source, "no usable rate rows")
    return RateSheet(source=source, effective_date=effective_date, quotes=quotes)


def _only_dated(source: str, dated_rows: list[tuple[date | None, Row]], day: date | None) -> RateSheet:
    """Feeds that date each row: keep only the rows of the chosen day (older ones are stale)."""
    if day is None:
        raise FeedFormatError(source, "no row carries a readable date")
    return _sheet(source, day, (row for when, row in dated_rows if when == day))


# --- one parser per feed -----------------------------------------------------------------------------


def parse_nbk(body: bytes) -> RateSheet:
    """NBK `get_rates.cfm?fdate=`: `<rates><date>DD.MM.YYYY</date><item>` with `title` (code),
    `description` (KZT per `quant` units) and `quant`. An `<rss>` body (`rates_all.xml`) is handed to
    `parse_nbk_rss`, so the configured NBK URL may point at either feed."""
    root = _xml_root("NBK", body, "rates", "rss")
    if root.tag == "rss":
        return _nbk_rss(root)
    rows = [(i.findtext("title"), i.findtext("quant"), i.findtext("description")) for i in root.iter("item")]
    return _sheet("NBK", _required_date("NBK", root.findtext("date")), rows)


def parse_nbk_rss(body: bytes) -> RateSheet:
    """NBK `rates_all.xml`: RSS 2.0 with a `pubDate` per item (DD.MM.YY or DD.MM.YYYY) and no sheet
    date. Retired currencies linger with years-old dates, so only the items of the newest date count."""
    return _nbk_rss(_xml_root("NBK", body, "rss"))


def _nbk_rss(root: Element) -> RateSheet:
    dated = [
        (_date(i.findtext("pubDate")), (i.findtext("title"), i.findtext("quant"), i.findtext("description")))
        for i in root.iter("item")
    ]
    return _only_dated("NBK", dated, max((when for when, _ in dated if when), default=None))


def parse_nbkr(body: bytes) -> RateSheet:
    """NBKR `daily.xml` / `weekly.xml`: `<CurrencyRates Date="DD.MM.YYYY">` with
    `<Currency ISOCode=…><Nominal/><Value>87,4500</Value>`; windows-1251, comma decimals."""
    root = _xml_root("NBKR", body, "CurrencyRates")
    rows = [(c.get("ISOCode"), c.findtext("Nominal"), c.findtext("Value")) for c in root.iter("Currency")]
    return _sheet("NBKR", _required_date("NBKR", root.get("Date")), rows)


def _valcurs(source: str, body: bytes) -> RateSheet:
    """NBT and CBR share the `<ValCurs Date=…><Valute><CharCode/><Nominal/><Value/>` layout.

    The numeric `ID` is unreliable, so rows are keyed on `CharCode`. CBR's `VunitRate` is ignored: it
    is missing from older responses, and `Value`/`Nominal` gives the same figure exactly.
    """
    root = _xml_root(source, body, "ValCurs")
    rows = [(v.findtext("CharCode"), v.findtext("Nominal"), v.findtext("Value")) for v in root.iter("Valute")]
    return _sheet(source, _required_date(source, root.get("Date")), rows)


def parse_nbt(body: bytes) -> RateSheet:
    """NBT `export_xml.php`: `<ValCurs Date="YYYY-MM-DD">`, TJS per `Nominal` units, decimal point."""
    return _valcurs("NBT", body)


def parse_cbr(body: bytes) -> RateSheet:
    """CBR `XML_daily.asp`: `<ValCurs Date="DD.MM.YYYY">`, RUB per `Nominal` units, windows-1251,
    comma decimals, nominals that change over the years (KGS 10 -> 100, UZS 1000 -> 10000)."""
    return _valcurs("CBR", body)


def parse_cbt(body: bytes) -> RateSheet:
    """CBT `kurs/YYYY/DDMMYYYY.xml`: `<cbt_currency_rate><date>` (DD.MM.YYYY since 2024, YYYY-MM-DD
    before), `<rate code=…>` with `multiplier` and `rate_tmt` (TMT per `multiplier` units); CRLF, tabs."""
    root = _xml_root("CBT", body, "cbt_currency_rate")
    rows = [(r.get("code"), r.findtext("multiplier"), r.findtext("rate_tmt")) for r in root.iter("rate")]
    return _sheet("CBT", _required_date("CBT", root.findtext("date")), rows)


def parse_cbu(body: bytes) -> RateSheet:
    """CBU `json/all/{date}/`: a JSON array of objects whose values are all strings (`Ccy`, `Nominal`,
    `Rate`, `Date` DD.MM.YYYY); UZS per `Nominal` units.

    The date is per row. All rows share it in practice; should they not, the sheet takes the USD row's
    date (the rate the ticker needs) or, without a dated USD row, the newest date, and drops rows of any
    other date. Values that are not strings make the row unusable: the format promises strings.
    """
    _check_body("CBU", body)
    try:
        data: Any = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and undecodable bytes alike
        raise FeedFormatError("CBU", f"malformed JSON ({exc})") from exc
    if not isinstance(data, list):
        raise FeedFormatError("CBU", "expected a JSON array of rates")
    if not data:
        raise FeedFormatError("CBU", "empty list of rates (no rates for that date)")

    def text(obj: object, key: str) -> str | None:
        value = obj.get(key) if isinstance(obj, dict) else None
        return value if isinstance(value, str) else None

    dated = [(_date(text(o, "Date")), (text(o, "Ccy"), text(o, "Nominal"), text(o, "Rate"))) for o in data]
    usd_dates = [when for when, (code, _, _) in dated if when and code == "USD"]
    day = usd_dates[0] if usd_dates else max((when for when, _ in dated if when), default=None)
    return _only_dated("CBU", dated, day)
