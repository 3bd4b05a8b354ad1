"""The source registry is the one list of banks: the template and the functions' settings follow it."""

from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from steppewire.rates.currencies import CURRENCIES, TICKER_CURRENCIES
from steppewire.rates.sources import BY_CODE, FALLBACK_SOURCE, SOURCES, feed_url_overrides

ROOT = Path(__file__).resolve().parents[2]


def template() -> Any:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


def test_every_source_has_a_template_parameter_that_reaches_the_ingest_function() -> None:
    document = template()
    variables = document["Resources"]["RatesIngestFunction"]["Properties"]["Environment"]["Variables"]
    for source in SOURCES:
        assert document["Parameters"][source.template_parameter]["Default"] == ""
        assert variables[source.url_variable] == {"Ref": source.template_parameter}


def test_every_ticker_currency_has_one_national_bank_and_all_share_the_fallback() -> None:
    national = {c.code: c.primary for c in CURRENCIES if c.ticker}
    assert sorted(national) == sorted(TICKER_CURRENCIES)
    assert all(BY_CODE[str(bank)].base == code for code, bank in national.items())
    assert FALLBACK_SOURCE == "CBR"
    assert {c.fallback for c in CURRENCIES if c.ticker} == {FALLBACK_SOURCE}


def test_every_currency_source_is_a_known_bank() -> None:
    assert {source for c in CURRENCIES for source in c.sources} <= set(BY_CODE)


def test_only_set_overrides_apply() -> None:
    environment = {"RATES_NBK_URL": "http://127.0.0.1:8801/nbk.xml", "RATES_CBR_URL": "", "OTHER": "x"}
    assert feed_url_overrides(environment) == {"NBK": "http://127.0.0.1:8801/nbk.xml"}
