"""The token-bucket arithmetic the three kinds of bucket share."""

from __future__ import annotations

import pytest

from record_catalogue.token_bucket import refilled, seconds_to_token


def test_a_bucket_refills_at_its_rate_up_to_full() -> None:
    assert refilled(0.0, 1.0, 60) == pytest.approx(1.0)
    assert refilled(2.5, 6.0, 30) == pytest.approx(5.5)
    assert refilled(59.0, 3600.0, 60) == 60.0


def test_a_clock_that_stepped_back_takes_nothing_away() -> None:
    assert refilled(3.0, -120.0, 60) == 3.0


def test_the_wait_is_zero_with_a_token_else_the_time_to_one() -> None:
    assert seconds_to_token(1.0, 60) == 0.0
    assert seconds_to_token(0.25, 60) == pytest.approx(0.75)
    assert seconds_to_token(-1.0, 30) == pytest.approx(4.0)


def test_the_wait_and_the_refill_agree() -> None:
    for tokens in (0.0, 0.3, 0.99):
        for per_minute in (1, 7, 60, 600):
            wait = seconds_to_token(tokens, per_minute)
            assert refilled(tokens, wait, per_minute) == pytest.approx(1.0)
