"""The rate sources, each written down once: adding a bank is one row here, a parser and its fixtures.

Everything else derives from this table: the feed URLs and their overrides (`RATES_<CODE>_URL`, set from
the template parameter `Rates<Code>Url`), the fallback, `/rates/sources` and the local stack's recorded
feeds. Which source serves which currency is the currency table's (`currencies.CURRENCIES`). A test checks
that the template declares each source's parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from steppewire.rates.model import RateSheet
from steppewire.rates.parsers import parse_cbr, parse_cbt, parse_cbu, parse_nbk, parse_nbkr, parse_nbt


@dataclass(frozen=True)
class RateSource:
    code: str
    base: str  # the currency its sheet quotes everything in
    official_url: str  # strftime template of the requested date
    parse: Callable[[bytes], RateSheet]
    # When a new sheet is expected: the banks' publishing hours as observed (no feed states a time).
    window: str
    fallback: bool = False  # a cross-rate source for every currency rather than one national bank

    @property
    def url_variable(self) -> str:
        """The function's environment variable that overrides `official_url` (empty = official)."""
        return f"RATES_{self.code}_URL"

    @property
    def template_parameter(self) -> str:
        return f"Rates{self.code.title()}Url"


SOURCES: tuple[RateSource, ...] = (
    RateSource(
        "NBK",
        "KZT",
        "https://nationalbank.kz/rss/get_rates.cfm?fdate=%d.%m.%Y",
        parse_nbk,
        "business days, 09:00-11:30 UTC",
    ),
    # NBKR has no dated URL: it always serves its latest sheet, and the sheet says which date that is.
    RateSource(
        "NBKR",
        "KGS",
        "https://www.nbkr.kg/XML/daily.xml",
        parse_nbkr,
        "trading days 15:00-15:30 Bishkek (09:00-09:30 UTC), dated the next day",
    ),
    RateSource(
        "NBT",
        "TJS",
        "https://www.nbt.tj/en/kurs/export_xml.php?date=%Y-%m-%d&export=xmlout",
        parse_nbt,
        "every morning, 04:00-06:30 UTC",
    ),
    RateSource(
        "CBU",
        "UZS",
        "https://cbu.uz/en/arkhiv-kursov-valyut/json/all/%Y-%m-%d/",
        parse_cbu,
        "business days, 08:00-10:30 UTC, dated the next day",
    ),
    RateSource(
        "CBT",
        "TMT",
        "https://cbt.tm/kurs/%Y/%d%m%Y.xml",
        parse_cbt,
        "the day before, 10:20-10:35 UTC; no sheet on Sundays",
    ),
    RateSource(
        "CBR",
        "RUB",
        "https://www.cbr.ru/scripts/XML_daily.asp?date_req=%d/%m/%Y",
        parse_cbr,
        "business days, 09:00-11:30 UTC, dated the next day (Friday's holds through Monday)",
        fallback=True,
    ),
)
BY_CODE: Mapping[str, RateSource] = MappingProxyType({source.code: source for source in SOURCES})
(FALLBACK_SOURCE,) = (source.code for source in SOURCES if source.fallback)


def feed_url_overrides(environment: Mapping[str, str]) -> dict[str, str]:
    """The sources whose URL the deployment overrides, and with what."""
    return {s.code: environment[s.url_variable] for s in SOURCES if environment.get(s.url_variable)}
