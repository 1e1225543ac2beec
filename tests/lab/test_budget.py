"""The per-request budget (lab.budget) and the network's use of it (lab.network.fit_samples)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lab.budget import MAX_MULTIPLY_ADDS, MAX_PEAK_BYTES, Cost, fit_count
from lab.network import NetworkConfig, fit_samples, network_cost


def linear_cost(per_unit: int):
    return lambda count: Cost(multiply_adds=count * per_unit, peak_bytes=0)


def test_a_request_within_the_budget_is_left_alone() -> None:
    scaled = fit_count(500, linear_cost(1000), what="samples", subject="net")
    assert (scaled.used, scaled.scaled, scaled.note) == (500, False, "")


def test_the_largest_fitting_count_is_chosen_and_named_in_one_line() -> None:
    per_unit = MAX_MULTIPLY_ADDS // 300 + 1  # 299 fit, 300 do not
    scaled = fit_count(1000, linear_cost(per_unit), what="samples", subject="50 layers × 256 units")
    assert scaled.used == 299
    assert scaled.note == (
        "50 layers × 256 units: 299 samples instead of 1,000, to stay within the lab's budget."
    )


def test_one_sample_is_singular() -> None:
    scaled = fit_count(10, linear_cost(MAX_MULTIPLY_ADDS), what="samples", subject="net")
    assert scaled.used == 1 and "1 sample instead of 10" in scaled.note


def test_the_floor_runs_even_when_it_does_not_fit() -> None:
    scaled = fit_count(10, linear_cost(MAX_MULTIPLY_ADDS + 1), what="runs", subject="net")
    assert scaled.used == 1


def test_fit_samples_lowers_samples_never_the_network() -> None:
    config = NetworkConfig(layers=50, width=256, samples=10_000)
    fitted, scaled = fit_samples(config)
    assert (fitted.layers, fitted.width) == (50, 256)
    assert scaled.scaled and fitted.samples == scaled.used < 10_000
    assert network_cost(fitted).multiply_adds <= MAX_MULTIPLY_ADDS
    assert network_cost(fitted).peak_bytes <= MAX_PEAK_BYTES
    assert not network_cost(replace(fitted, samples=fitted.samples + 1)).fits()


def test_fit_samples_refuses_given_inputs() -> None:
    with pytest.raises(ValueError, match="input_data"):
        fit_samples(NetworkConfig(layers=2, width=2, input_data=((1.0, 2.0),)))
