"""The ticker's numbers: inversion precision, percent rounding and the sign of zero."""

from decimal import Decimal

import pytest

from steppewire.rates.ticker import absolute_change, cross_rate, percent_change, usd_per_unit


@pytest.mark.parametrize(
    ("local_per_usd", "expected"),
    [
        ("12149.84", "0.000082305611"),  # UZS: the seed site printed 0.00008
        ("87.45", "0.011435106"),  # KGS
        ("472.31", "0.0021172535"),  # KZT
        ("3.5", "0.28571429"),  # TMT peg
        ("9.3288", "0.10719492"),  # TJS
    ],
)
def test_ticker_value_keeps_eight_significant_digits(local_per_usd: str, expected: str) -> None:
    assert usd_per_unit(Decimal(local_per_usd)) == Decimal(expected)
    assert format(usd_per_unit(Decimal(local_per_usd)), "f") == expected


def test_unchanged_rate_is_plain_zero_never_negative_zero() -> None:
    pct = percent_change(Decimal("87.45"), Decimal("87.4500"))
    assert str(pct) == "0.00"
    assert str(absolute_change(Decimal("0.011435106"), Decimal("0.011435106"))) == "0"


def test_tiny_moves_that_round_to_zero_do_not_show_minus_zero() -> None:
    # USD per KGS falls by 0.0001 %: rounds to -0.00, which must print as 0.00
    assert str(percent_change(Decimal("87.45"), Decimal("87.4501"))) == "0.00"


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ("478.77", "475.09", "0.77"),  # tenge strengthened: USD per KZT rises
        ("475.09", "478.77", "-0.77"),
        ("12142.10", "12149.84", "-0.06"),
        # exactly half a cent of a percent: half-even rounds 0.125 down to 0.12 and 0.135 up to 0.14
        ("100.125", "100", "0.12"),
        ("100.135", "100", "0.14"),
    ],
)
def test_percent_change_is_half_even_on_two_places(previous: str, current: str, expected: str) -> None:
    assert str(percent_change(Decimal(previous), Decimal(current))) == expected


def test_cross_rate_through_rub() -> None:
    # Bank of Russia 17.03.2026: 100 KGS = 92.6836 RUB, 1 USD = 81.0517 RUB -> about 87.45 KGS per USD
    kgs_per_usd = cross_rate(Decimal("92.6836") / 100, Decimal("81.0517"))
    assert abs(kgs_per_usd - Decimal("87.45")) < Decimal("0.01")
