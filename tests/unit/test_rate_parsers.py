"""Rate feed parsers, run against hand-made fixtures in each bank's real format (encoding, layout, quirks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from steppewire.rates.model import FeedFormatError, RateSheet
from steppewire.rates.parsers import (
    parse_cbr,
    parse_cbt,
    parse_cbu,
    parse_nbk,
    parse_nbk_rss,
    parse_nbkr,
    parse_nbt,
)
from steppewire.rates.sources import BY_CODE

Parser = Callable[[bytes], RateSheet]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rates"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def truncated(name: str) -> bytes:
    body = fixture(name)
    return body[: len(body) * 2 // 3]


def edited(name: str, old: bytes, new: bytes) -> bytes:
    body = fixture(name)
    assert old in body, f"{name} no longer contains {old!r}"
    return body.replace(old, new)


def nbkr_doc(*rows: tuple[str, str, str]) -> bytes:
    """A daily.xml with the given (ISOCode, Nominal, Value) rows."""
    currencies = "".join(
        f'<Currency ISOCode="{code}">\n<Nominal>{nominal}</Nominal>\n<Value>{value}</Value>\n</Currency>\n'
        for code, nominal, value in rows
    )
    return (
        '<?xml version="1.0" encoding="windows-1251" ?>\n'
        f'<CurrencyRates Name="Daily Exchange Rates" Date="11.02.2026">\n{currencies}</CurrencyRates>\n'
    ).encode("cp1251")


def cbu_doc(*rows: dict[str, object]) -> bytes:
    return json.dumps(list(rows), separators=(",", ":")).encode()


# --- what each feed says -------------------------------------------------------------------------------

SHEETS = [
    # parser, fixture, source, base, effective date, rows kept, {currency: per-unit value in base}
    pytest.param(
        parse_nbk, "nbk-getrates-2026-02-11.xml", "NBK", "KZT", date(2026, 2, 11), 13,
        {"USD": "494.8", "KGS": "5.66", "TJS": "52.34", "UZS": "0.0407"},
        id="nbk-getrates",
    ),
    pytest.param(
        parse_nbk_rss, "nbk-rss-2016-05-05.xml", "NBK", "KZT", date(2016, 5, 5), 9,
        {"USD": "343.87", "KGS": "4.98", "TJS": "43.69", "UZS": "0.1186"},
        id="nbk-rss-dd.mm.yy",
    ),
    pytest.param(
        parse_nbk, "nbk-rss-2024-06-14.xml", "NBK", "KZT", date(2024, 6, 14), 5,
        {"USD": "452.2", "KGS": "5.18", "TJS": "42.37", "UZS": "0.0358"},
        id="nbk-rss-dd.mm.yyyy-via-parse_nbk",
    ),
    pytest.param(
        parse_nbkr, "nbkr-daily-2026-02-11.xml", "NBKR", "KGS", date(2026, 2, 11), 5,
        {"USD": "87.45", "KZT": "0.1767"},
        id="nbkr-daily",
    ),
    pytest.param(
        parse_nbkr, "nbkr-weekly-2026-02-11.xml", "NBKR", "KGS", date(2026, 2, 11), 11,
        {"TJS": "9.2614", "UZS": "0.0072", "TMT": "24.9857"},
        id="nbkr-weekly",
    ),
    pytest.param(
        parse_nbt, "nbt-2026-02-11.xml", "NBT", "TJS", date(2026, 2, 11), 16,
        {"USD": "9.4512", "KZT": "0.0191", "KGS": "0.10808", "UZS": "0.000778", "TMT": "2.7003"},
        id="nbt",
    ),
    pytest.param(
        parse_cbu, "cbu-all-2026-02-11.json", "CBU", "UZS", date(2026, 2, 11), 12,
        {"USD": "12150.37", "KZT": "24.56", "KGS": "138.94", "TJS": "1285.61", "TMT": "3471.53"},
        id="cbu",
    ),
    pytest.param(
        parse_cbt, "cbt-2026-02-11.xml", "CBT", "TMT", date(2026, 2, 11), 14,
        {"USD": "3.5", "KZT": "0.007074", "KGS": "0.040023", "TJS": "0.3703", "UZS": "0.0002881"},
        id="cbt",
    ),
    pytest.param(
        parse_cbt, "cbt-2022-03-15.xml", "CBT", "TMT", date(2022, 3, 15), 7,
        {"USD": "3.5", "KZT": "0.006957", "KGS": "0.033509", "TJS": "0.3097", "UZS": "0.0003034"},
        id="cbt-iso-date",
    ),
    pytest.param(
        parse_cbr, "cbr-daily-2022-10-12.xml", "CBR", "RUB", date(2022, 10, 12), 15,
        {"USD": "62.0157", "KZT": "0.131405", "KGS": "0.76419", "TJS": "6.08001", "UZS": "0.0055843",
         "TMT": "17.7188"},
        id="cbr-2022-no-vunitrate",
    ),
    pytest.param(
        parse_cbr, "cbr-daily-2026-02-11.xml", "CBR", "RUB", date(2026, 2, 11), 15,
        {"USD": "77.8614", "KZT": "0.157358", "KGS": "0.890359", "TJS": "8.2384", "UZS": "0.00640812",
         "TMT": "22.2461"},
        id="cbr-2026",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("parser", "name", "source", "base", "day", "rows", "per_unit"), SHEETS)
def test_sheet_states_date_and_exact_per_unit_rates(
    parser: Parser, name: str, source: str, base: str, day: date, rows: int, per_unit: dict[str, str]
) -> None:
    sheet = parser(fixture(name))

    assert (sheet.source, BY_CODE[sheet.source].base, sheet.effective_date) == (source, base, day)
    assert len(sheet.quotes) == rows
    assert {code: sheet.quotes[code].per_unit for code in per_unit} == {
        code: Decimal(value) for code, value in per_unit.items()
    }
    for code, quote in sheet.quotes.items():
        assert quote.currency == code
        assert type(quote.nominal) is Decimal and type(quote.value) is Decimal


@pytest.mark.parametrize(
    ("parser", "name", "code", "nominal", "value"),
    [
        (parse_nbk, "nbk-getrates-2026-02-11.xml", "UZS", "100", "4.07"),
        (parse_nbk, "nbk-getrates-2026-02-11.xml", "IRR", "1000", "0.4"),
        (parse_nbt, "nbt-2026-02-11.xml", "KGS", "10", "1.0808"),
        (parse_cbt, "cbt-2026-02-11.xml", "IRR", "10000", "0.0296"),
        (parse_cbr, "cbr-daily-2022-10-12.xml", "KGS", "10", "7.6419"),
        (parse_cbr, "cbr-daily-2026-02-11.xml", "KGS", "100", "89.0359"),
        (parse_cbr, "cbr-daily-2022-10-12.xml", "UZS", "1000", "5.5843"),
        (parse_cbr, "cbr-daily-2026-02-11.xml", "UZS", "10000", "64.0812"),
        (parse_nbkr, "nbkr-weekly-2026-02-11.xml", "BYR", "100", "0.3402"),
    ],
)
def test_nominal_is_read_from_the_file_not_assumed(
    parser: Parser, name: str, code: str, nominal: str, value: str
) -> None:
    quote = parser(fixture(name)).quotes[code]
    assert (quote.nominal, quote.value) == (Decimal(nominal), Decimal(value))


@pytest.mark.parametrize(
    ("name", "quirk"),
    [
        ("cbt-2026-02-11.xml", b"\r\n\t\t<rate_tmt>0.7074</rate_tmt>\r\n"),
        ("cbt-2022-03-15.xml", b"\t<date>2022-03-15</date>\r\n"),
        ("cbr-daily-2026-02-11.xml", b"<Value>89,0359</Value><VunitRate>0,890359</VunitRate>"),
        ("nbk-rss-2016-05-05.xml", b"<pubDate>31.12.13</pubDate>"),
        ("cbu-all-2026-02-11.json", b'"Nominal":"1","Rate":"12150.37"'),
    ],
)
def test_fixtures_keep_the_real_quirks(name: str, quirk: bytes) -> None:
    assert quirk in fixture(name)


@pytest.mark.parametrize(
    ("parser", "name"),
    [(parse_nbkr, "nbkr-daily-2026-02-11.xml"), (parse_cbr, "cbr-daily-2026-02-11.xml")],
)
def test_windows_1251_bytes_are_parsed_with_the_declared_encoding(parser: Parser, name: str) -> None:
    body = fixture(name)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the fixture really holds cp1251 Cyrillic, so the declaration matters
    assert "USD" in parser(body).quotes


def test_nbk_rss_keeps_only_the_newest_items() -> None:
    sheet = parse_nbk_rss(fixture("nbk-rss-2016-05-05.xml"))
    assert sheet.effective_date == date(2016, 5, 5)
    assert {"LVL", "EEK", "TRL"}.isdisjoint(sheet.quotes)


def test_parse_nbk_accepts_either_nbk_feed() -> None:
    body = fixture("nbk-rss-2016-05-05.xml")
    assert parse_nbk(body) == parse_nbk_rss(body)


# --- rows: number formats and untrustworthy rows --------------------------------------------------------


@pytest.mark.parametrize("value", ["87,4500", "87.45", " 87,45\n", "+87,45", "\r\n\t87.4500\r\n"])
def test_number_formats_read_as_exact_decimals(value: str) -> None:
    assert parse_nbkr(nbkr_doc(("USD", "1", value))).quotes["USD"].per_unit == Decimal("87.45")


@pytest.mark.parametrize(
    ("code", "nominal", "value"),
    [
        ("usd", "1", "87,45"),
        ("US", "1", "87,45"),
        ("", "1", "87,45"),
        ("USD", "1", ""),
        ("USD", "1", "n/a"),
        ("USD", "1", "87 450,00"),
        ("USD", "1", "1.087,45"),
        ("USD", "1", "8.745e1"),
        ("USD", "1", "NaN"),
        ("USD", "1", "-87,45"),
        ("USD", "1", "0,0000"),
        ("USD", "0", "87,45"),
        ("USD", "one", "87,45"),
    ],
)
def test_untrustworthy_row_is_skipped_and_the_rest_kept(code: str, nominal: str, value: str) -> None:
    sheet = parse_nbkr(nbkr_doc((code, nominal, value), ("EUR", "1", "103,7712")))
    assert set(sheet.quotes) == {"EUR"}


def test_conflicting_duplicate_rows_are_rejected() -> None:
    with pytest.raises(FeedFormatError, match="two different rates for USD"):
        parse_nbkr(nbkr_doc(("USD", "1", "87,45"), ("USD", "1", "88,10")))


def test_agreeing_duplicate_rows_are_accepted() -> None:
    sheet = parse_nbkr(nbkr_doc(("USD", "1", "87,45"), ("USD", "10", "874,5")))
    assert sheet.quotes["USD"].per_unit == Decimal("87.45")


# --- CBU: the date is per row ----------------------------------------------------------------------------


def test_cbu_takes_the_usd_date_and_drops_rows_of_other_dates() -> None:
    sheet = parse_cbu(
        cbu_doc(
            {"Ccy": "KZT", "Nominal": "1", "Rate": "24.56", "Date": "13.02.2026"},
            {"Ccy": "USD", "Nominal": "1", "Rate": "12150.37", "Date": "12.02.2026"},
            {"Ccy": "KGS", "Nominal": "1", "Rate": "138.94", "Date": "12.02.2026"},
            {"Ccy": "TJS", "Nominal": "1", "Rate": "1285.61", "Date": "11.02.2026"},
        )
    )
    assert (sheet.effective_date, set(sheet.quotes)) == (date(2026, 2, 12), {"USD", "KGS"})


def test_cbu_without_usd_takes_the_newest_date() -> None:
    sheet = parse_cbu(
        cbu_doc(
            {"Ccy": "KZT", "Nominal": "1", "Rate": "24.56", "Date": "11.02.2026"},
            {"Ccy": "KGS", "Nominal": "1", "Rate": "138.94", "Date": "12.02.2026"},
        )
    )
    assert (sheet.effective_date, set(sheet.quotes)) == (date(2026, 2, 12), {"KGS"})


def test_cbu_row_with_non_string_numbers_is_skipped() -> None:
    sheet = parse_cbu(
        cbu_doc(
            {"Ccy": "USD", "Nominal": 1, "Rate": 12150.37, "Date": "11.02.2026"},
            {"Ccy": "EUR", "Nominal": "1", "Rate": "14154.92", "Date": "11.02.2026"},
        )
    )
    assert set(sheet.quotes) == {"EUR"}


# --- whole documents that cannot be trusted -------------------------------------------------------------

MAINTENANCE_PAGE = (
    b'<!DOCTYPE html>\n<html lang="ru"><head><meta charset="utf-8"><title>503</title></head>\n'
    b"<body><h1>\xd0\xa2\xd0\xb5\xd1\x85\xd0\xbd\xd0\xb8\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb8\xd0\xb5 "
    b"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd1\x8b</h1></body></html>\n"
)
XHTML_ERROR_PAGE = (
    b'<?xml version="1.0" encoding="utf-8"?>\r\n<html xmlns="http://www.w3.org/1999/xhtml">'
    b"<head><title>403 Forbidden</title></head><body>Forbidden</body></html>"
)


@pytest.mark.parametrize("source", sorted(BY_CODE))
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty response"),
        (b" \r\n\t", "empty response"),
        (MAINTENANCE_PAGE, "HTML page"),
        (XHTML_ERROR_PAGE, "HTML page"),
    ],
    ids=["empty", "whitespace", "html", "xhtml"],
)
def test_every_parser_rejects_a_body_that_is_no_feed(source: str, body: bytes, problem: str) -> None:
    with pytest.raises(FeedFormatError, match=problem) as caught:
        BY_CODE[source].parse(body)
    assert caught.value.source == source


CBR_DYNAMIC = (
    b'<?xml version="1.0" encoding="windows-1251"?><ValCurs ID="R01235" DateRange1="09.02.2026" '
    b'DateRange2="11.02.2026" name="Foreign Currency Market Dynamic"><Record Date="10.02.2026" Id="R01235">'
    b"<Nominal>1</Nominal><Value>77,5402</Value><VunitRate>77,5402</VunitRate></Record></ValCurs>"
)
ENTITY_EXPANSION = (
    b'<?xml version="1.0"?><!DOCTYPE ValCurs [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b'<ValCurs Date="11.02.2026"><Valute><CharCode>&b;</CharCode></Valute></ValCurs>'
)

BROKEN = [
    pytest.param(parse_nbk, truncated("nbk-getrates-2026-02-11.xml"), "malformed XML", id="nbk-truncated"),
    pytest.param(parse_nbk_rss, truncated("nbk-rss-2016-05-05.xml"), "malformed XML", id="rss-truncated"),
    pytest.param(parse_nbkr, truncated("nbkr-daily-2026-02-11.xml"), "malformed XML", id="nbkr-truncated"),
    pytest.param(parse_nbt, truncated("nbt-2026-02-11.xml"), "malformed XML", id="nbt-truncated"),
    pytest.param(parse_cbt, truncated("cbt-2026-02-11.xml"), "malformed XML", id="cbt-truncated"),
    pytest.param(parse_cbr, truncated("cbr-daily-2026-02-11.xml"), "malformed XML", id="cbr-truncated"),
    pytest.param(parse_cbu, truncated("cbu-all-2026-02-11.json"), "malformed JSON", id="cbu-truncated"),
    pytest.param(parse_cbr, ENTITY_EXPANSION, "malformed XML", id="cbr-dtd-refused"),
    pytest.param(parse_cbu, b"[]", "empty list of rates", id="cbu-empty-array"),
    pytest.param(parse_cbu, b'{"error":"not found"}', "expected a JSON array", id="cbu-object"),
    pytest.param(parse_cbu, fixture("nbt-2026-02-11.xml"), "malformed JSON", id="cbu-given-xml"),
    pytest.param(
        parse_nbkr,
        b'<?xml version="1.0" encoding="windows-1251" ?>\n<CurrencyRates Name="Daily Exchange Rates" '
        b'Date="24.11.2026"/>\n',
        "no usable rate rows",
        id="nbkr-empty-sheet",
    ),
    pytest.param(parse_nbkr, nbkr_doc(("usd", "1", "87,45")), "no usable rate rows", id="nbkr-only-bad-rows"),
    pytest.param(
        parse_nbk,
        edited("nbk-getrates-2026-02-11.xml", b"<date>11.02.2026</date>", b""),
        "carries no date",
        id="nbk-no-date",
    ),
    pytest.param(
        parse_nbkr,
        edited("nbkr-daily-2026-02-11.xml", b' Date="11.02.2026"', b""),
        "carries no date",
        id="nbkr-no-date",
    ),
    pytest.param(
        parse_nbt,
        edited("nbt-2026-02-11.xml", b' Date="2026-02-11"', b""),
        "carries no date",
        id="nbt-no-date",
    ),
    pytest.param(
        parse_cbt,
        edited("cbt-2026-02-11.xml", b"<date>11.02.2026</date>", b"<date>\r\n\t</date>"),
        "carries no date",
        id="cbt-blank-date",
    ),
    pytest.param(parse_cbr, CBR_DYNAMIC, "carries no date", id="cbr-given-dynamic"),
    pytest.param(
        parse_nbk_rss,
        edited("nbk-rss-2024-06-14.xml", b"<pubDate>14.06.2024</pubDate>", b"<pubDate></pubDate>").replace(
            b"<pubDate>31.12.2013</pubDate>", b""
        ),
        "no row carries a readable date",
        id="rss-no-dates",
    ),
    pytest.param(
        parse_cbu,
        cbu_doc({"Ccy": "USD", "Nominal": "1", "Rate": "12150.37"}),
        "no row carries a readable date",
        id="cbu-no-date",
    ),
    pytest.param(
        parse_cbr,
        edited("cbr-daily-2026-02-11.xml", b'Date="11.02.2026"', b'Date="31.02.2026"'),
        "unreadable date '31.02.2026'",
        id="cbr-impossible-date",
    ),
    pytest.param(
        parse_nbt,
        edited("nbt-2026-02-11.xml", b'Date="2026-02-11"', b'Date="11/02/2026"'),
        "unreadable date '11/02/2026'",
        id="nbt-foreign-date-format",
    ),
    pytest.param(parse_nbk, fixture("nbkr-daily-2026-02-11.xml"), "expected a <rates>", id="nbk-given-nbkr"),
    pytest.param(parse_nbk_rss, fixture("nbk-getrates-2026-02-11.xml"), "expected a <rss>", id="rss-given-rates"),
    pytest.param(parse_nbkr, fixture("cbr-daily-2026-02-11.xml"), "expected a <CurrencyRates>", id="nbkr-given-cbr"),
    pytest.param(parse_nbt, fixture("cbt-2026-02-11.xml"), "expected a <ValCurs>", id="nbt-given-cbt"),
    pytest.param(parse_cbt, fixture("nbt-2026-02-11.xml"), "expected a <cbt_currency_rate>", id="cbt-given-nbt"),
]


@pytest.mark.parametrize(("parser", "body", "problem"), BROKEN)
def test_untrustworthy_document_raises_feed_format_error(parser: Parser, body: bytes, problem: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parser(body)
    assert problem in caught.value.problem
