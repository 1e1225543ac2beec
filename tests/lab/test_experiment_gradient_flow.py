"""Tests of lab.experiments.gradient_flow: the page's one engine call, its config checks and its
budget (lab.budget): every value inside the declared ranges runs, within MAX_PEAK_BYTES, and
only the counts (runs, sweep seeds) are lowered, never the network."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import numpy as np
import pytest

import lab.gradient_flow as engine
from lab.activations import get_activation
from lab.budget import MAX_PEAK_BYTES
from lab.controls.gradient_flow import CONTROLS
from lab.experiments.gradient_flow import (
    Config,
    _layers_text,
    config_from_values,
    request_cost,
    run,
)
from lab.gradient_flow import DEFAULT_SWEEP_SEEDS, compare, many_runs, sweep
from lab.health import SATURATION_SLOPE, flat_threshold
from lab.network import network_cost

#: Every size and the collected runs at the top of their declared ranges.
HEAVIEST = Config(
    layers=CONTROLS["layers"].high,
    width=CONTROLS["width"].high,
    features=CONTROLS["features"].high,
    runs=CONTROLS["runs"].high,
)
SMALL = Config(layers=3, width=6, features=4, seed=5, uniform="centered", runs=4)


@pytest.fixture(scope="module")
def default_result():
    return run(Config())


# --------------------------------------------------------------------------- config


def test_config_takes_the_page_values_and_ignores_the_button_count():
    values = CONTROLS.defaults() | {"width": 80, "uniform": "matched", "n": 7}
    config = config_from_values(values)
    assert (config.width, config.uniform, config.runs) == (80, "matched", 0)
    assert config.sizes["neurons"] == 80  # the engine's name for the width
    assert config_from_values({}) == Config()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("width", 101, "width must be an integer in [1, 100]; got 101"),
        ("layers", 0, "layers must be an integer in [1, 20]; got 0"),
        ("features", 129, "features must be an integer in [1, 128]; got 129"),
        ("runs", 201, "runs must be an integer in [0, 200]; got 201"),
        ("uniform", "bell", "uniform must be one of rand, centered, matched"),
    ],
)
def test_config_refuses_values_outside_the_declarations(field, value, message):
    with pytest.raises(ValueError) as error:
        Config(**{field: value})
    assert message in str(error.value)


def test_run_refuses_anything_but_a_config():
    with pytest.raises(ValueError, match="config must be a gradient-flow Config; got dict"):
        run({"layers": 3})  # type: ignore[arg-type]


def test_the_old_neurons_parameter_gives_one_warning_naming_it():
    parsed = CONTROLS.parse_query({"neurons": "80", "layers": "12"})
    assert parsed.values["width"] == CONTROLS["width"].default and parsed.values["layers"] == 12
    (warning,) = parsed.warnings
    assert warning.startswith("URL parameter 'neurons' is not used on this page")


# --------------------------------------------------------------------------- one call


def test_run_is_the_engine_calls_of_the_page(default_result):
    result = default_result
    assert result.runs is None and result.stats is None and result.budget_note == ""
    assert result.sweep_seeds.used == DEFAULT_SWEEP_SEEDS
    direct = compare(10, 50, 64, result.samples, 0, "rand")
    np.testing.assert_array_equal(result.pair.normal.gradient, direct.normal.gradient)
    np.testing.assert_array_equal(result.pair.uniform.z.counts, direct.uniform.z.counts)
    assert [s.parameter for s in result.sweeps] == ["layers", "neurons", "features"]
    features = sweep("features", layers=10, neurons=50, samples=result.samples, uniform="rand")
    np.testing.assert_array_equal(result.sweeps[2].run_ratios, features.run_ratios)
    # lab.health's saturation: tanh' below SATURATION_SLOPE (10%) of its maximum tanh'(0) = 1,
    # i.e. |z| > atanh(sqrt(0.9)) = 1.818, where tanh' = 1 - 0.9 = 0.1.
    assert result.saturation_slope == SATURATION_SLOPE == 0.1
    assert result.saturation_threshold == flat_threshold(get_activation("tanh"))
    assert result.saturation_threshold == pytest.approx(np.arctanh(np.sqrt(0.9)), rel=1e-12)
    assert result.tanh_slope_at_threshold == pytest.approx(SATURATION_SLOPE, rel=1e-12)


def test_rand_pair_reports_where_the_gradient_is_zero(default_result):
    assert default_result.zero_gradient == (("rand: U[0, 1)", "every layer"),)
    uniform_row, normal_row = default_result.summary_rows
    assert uniform_row["layers with gradient exactly 0"] == "every layer"
    assert normal_row["layers with gradient exactly 0"] == "none"
    assert uniform_row["saturated share"] == default_result.pair.uniform.z.saturated_share


def test_zero_gradient_layers_are_named_in_words():
    assert _layers_text((1, 2, 3), 3) == "every layer"
    assert _layers_text((1, 2), 5) == "layers 1, 2"
    assert _layers_text((4,), 5) == "layer 4"
    assert _layers_text((), 5, none="none") == "none"


def test_runs_use_consecutive_seeds_from_the_page_seed():
    result = run(SMALL)
    assert result.runs.used == 4 and result.budget_note == ""
    direct = many_runs(4, layers=3, neurons=6, features=4, seed=5, uniform="centered")
    np.testing.assert_array_equal(result.stats.seeds, [5, 6, 7, 8])
    np.testing.assert_array_equal(result.stats.normal_final, direct.normal_final)
    assert result.zero_gradient == ()


def test_request_cost_counts_every_network_run_simulates(monkeypatch):
    # Count the multiply-adds of the networks actually simulated; the estimate must agree.
    spent = []
    simulate = engine.simulate

    def counting(config):
        spent.append(network_cost(config).multiply_adds)
        return simulate(config)

    monkeypatch.setattr(engine, "simulate", counting)
    result = run(SMALL)
    assert sum(spent) == result.cost.multiply_adds
    assert result.cost == request_cost(SMALL, result.runs.used, result.sweep_seeds.used)


# --------------------------------------------------------------------------- budget


def test_heaviest_request_lowers_counts_not_the_network_and_fits_in_memory():
    tracemalloc.start()
    try:
        result = run(HEAVIEST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.cost.fits()
    assert peak <= result.cost.peak_bytes <= MAX_PEAK_BYTES  # the estimate bounds the truth
    # The network is the one asked for ...
    assert result.pair.layers == HEAVIEST.layers and result.pair.neurons == HEAVIEST.width
    assert result.pair.features == HEAVIEST.features
    # ... and the counts are the largest that fit: one more run would not.
    runs, seeds = result.runs, result.sweep_seeds
    assert 1 <= runs.used < runs.requested and result.stats.n_runs == runs.used
    assert not request_cost(HEAVIEST, runs.used + 1, 1).fits()
    assert seeds.used == len(result.sweeps[0].seeds) >= 1
    assert result.budget_note == f"{runs.note} {seeds.note}"
    assert result.budget_note.startswith(
        f"20 layers × 100 units: {runs.used} runs instead of 200, to stay within the lab's budget."
    )


def test_runs_come_before_sweep_seeds():
    # A heavy link: its 80 runs fit only with fewer seeds per sweep point.
    config = Config(layers=20, width=100, uniform="matched", runs=80)
    result = run(config)
    assert result.runs.used == 80 and result.stats.n_runs == 80
    used = result.sweep_seeds.used
    assert 1 <= used < DEFAULT_SWEEP_SEEDS
    assert not request_cost(config, 80, used + 1).fits()
    assert result.budget_note == (
        f"Each sweep point: {used} seed{'s' if used > 1 else ''} instead of "
        f"{DEFAULT_SWEEP_SEEDS}, to stay within the lab's budget."
    )


def test_smallest_network_runs():
    result = run(replace(Config(), layers=1, width=1, features=1, runs=1, uniform="matched"))
    assert result.pair.uniform.gradient.shape == (1,)
    assert result.stats.n_runs == 1 and result.budget_note == ""


# --------------------------------------------------------------------------- the variance note


@pytest.mark.parametrize(
    ("width", "uniform", "layers", "features"),
    [(50, "rand", 10, 64), (1, "matched", 10, 64), (4, "rand", 10, 64), (1, "rand", 1, 128)],
)
def test_the_variance_note_reads_the_pairs_normal_network(width, uniform, layers, features):
    """What the "Why" tab says a variance of 1 does is what the N(0, 1) network of the pair
    shows: its size against LeCun's 1/n in layer 1 (fan-in: the features) and after it (the
    width), its saturated share (the table's) and its gradient from the last layer to layer 1.
    Fifty units saturate most tanh units and the gradient grows towards the input; one unit
    after a first layer of 64 inputs saturates few and the gradient shrinks."""
    config = Config(width=width, uniform=uniform, layers=layers, features=features)
    result = run(config)
    normal = result.pair.normal
    note = result.variance_note
    share = result.summary_rows[1]["saturated share"]
    assert result.summary_rows[1]["weights"] == normal.scheme.label == "randn: N(0, 1)"
    assert f"{share:.0%} of N(0, 1)'s tanh units saturate (table above)" in note
    assert f"{features} times LeCun's 1/n in layer 1 (fan-in {features})" in note
    after = "LeCun's 1/n itself" if width == 1 else f"{width} times LeCun's 1/n"
    assert (f"{after} in the layers after it (fan-in {width})" in note) == (layers > 1)
    assert ("too large" in note) == (share >= 0.5)
    if layers > 1:
        ratio = normal.gradient[0] / normal.gradient[-1]
        assert f"(layer 1's is {ratio:.3g} times layer {layers}'s)" in note
        assert ("grows towards the input" in note) == (ratio > 1)
    if width == 1 and layers > 1:
        assert share < 0.1 and "shrinks towards the input" in note
    if width == 50:
        assert share > 0.5 and "grows towards the input" in note
