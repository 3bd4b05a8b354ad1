"""Configuration read from the environment the template gives each function, validated once per container.

A missing or malformed variable fails the first invocation with a message that names it.
"""

from functools import lru_cache

from pydantic_settings import BaseSettings


class RatesSettings(BaseSettings):
    rates_table_name: str
    # strftime templates for the requested date; empty = the bank's official URL (see rates/feeds.py)
    rates_nbk_url: str = ""
    rates_nbkr_url: str = ""
    rates_nbt_url: str = ""
    rates_cbu_url: str = ""
    rates_cbt_url: str = ""
    rates_cbr_url: str = ""
    rates_http_timeout_seconds: float = 8.0
    rates_http_attempts: int = 3

    def feed_url_overrides(self) -> dict[str, str]:
        overrides = {
            "NBK": self.rates_nbk_url,
            "NBKR": self.rates_nbkr_url,
            "NBT": self.rates_nbt_url,
            "CBU": self.rates_cbu_url,
            "CBT": self.rates_cbt_url,
            "CBR": self.rates_cbr_url,
        }
        return {source: url for source, url in overrides.items() if url}


@lru_cache(maxsize=1)
def get_rates_settings() -> RatesSettings:
    return RatesSettings()
