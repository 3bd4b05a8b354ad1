"""The currencies the newsroom serves, each written down once: ISO codes, names, symbol, country, where its
rate comes from and its peg. Everything else (ingestion, `/rates`, `/currencies`) derives from this table.

Every rate is stored against USD (units of the currency per USD), so USD itself has no source: it is the
pivot every cross goes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

PIVOT = "USD"


@dataclass(frozen=True)
class Currency:
    code: str
    numeric_code: str  # ISO 4217, three digits, leading zeros kept
    name_en: str
    name_ru: str
    symbol: str
    country_en: str
    country_ru: str
    primary: str | None  # the source whose rate is stored; None for the pivot
    fallback: str | None = None  # the source used when the primary failed
    peg_per_usd: Decimal | None = None  # an official peg, served when every source failed
    ticker: bool = False  # one of the five currencies of the newsroom's ticker

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_en

    def country(self, lang: str) -> str:
        return self.country_ru if lang == "ru" else self.country_en

    @property
    def sources(self) -> tuple[str, ...]:
        """In order of preference."""
        return tuple(source for source in (self.primary, self.fallback) if source)


# The ticker's order is this table's order. NBK and CBR both publish EUR, RUB and CNY: CBR's own RUB per
# USD is the Russian rate, and its EUR and CNY come with it through the same USD row; NBK's cross through
# KZT is the fallback.
CURRENCIES: tuple[Currency, ...] = (
    Currency("KGS", "417", "Kyrgyzstani som", "Киргизский сом", "сом", "Kyrgyzstan", "Киргизия",
             primary="NBKR", fallback="CBR", ticker=True),
    Currency("KZT", "398", "Kazakhstani tenge", "Казахстанский тенге", "₸", "Kazakhstan", "Казахстан",
             primary="NBK", fallback="CBR", ticker=True),
    Currency("TJS", "972", "Tajikistani somoni", "Таджикский сомони", "SM", "Tajikistan", "Таджикистан",
             primary="NBT", fallback="CBR", ticker=True),
    Currency("UZS", "860", "Uzbekistani sum", "Узбекский сум", "soʻm", "Uzbekistan", "Узбекистан",
             primary="CBU", fallback="CBR", ticker=True),
    # Pegged at 3.5 per USD since 2015-01-01.
    Currency("TMT", "934", "Turkmenistani manat", "Туркменский манат", "m", "Turkmenistan", "Туркмения",
             primary="CBT", fallback="CBR", peg_per_usd=Decimal("3.5"), ticker=True),
    Currency("USD", "840", "US dollar", "Доллар США", "$", "United States", "США", primary=None),
    Currency("EUR", "978", "Euro", "Евро", "€", "Euro area", "Еврозона", primary="CBR", fallback="NBK"),
    Currency("RUB", "643", "Russian ruble", "Российский рубль", "₽", "Russia", "Россия", primary="CBR", fallback="NBK"),
    Currency("CNY", "156", "Chinese yuan", "Китайский юань", "¥", "China", "Китай", primary="CBR", fallback="NBK"),
)  # fmt: skip
BY_CURRENCY: Mapping[str, Currency] = MappingProxyType({c.code: c for c in CURRENCIES})
TICKER_CURRENCIES: tuple[str, ...] = tuple(c.code for c in CURRENCIES if c.ticker)
# The currencies whose rates ingestion stores: all but the pivot.
STORED_CURRENCIES: tuple[str, ...] = tuple(c.code for c in CURRENCIES if c.primary)
