"""Page-support functions of lab/formats.py (the Quantization range page): the one-pass
analysis and its cost, per-layer activation ranges, the INT8 kept range and the SQNR examples.
Numbers are pinned to ../shared/reference.md ("Number formats") or to independent numpy/scipy
computations."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest
from scipy import stats

from lab.formats import (
    ANALYSIS_WORK_PER_VALUE,
    INT8,
    LOW_PERCENTILE,
    SQNR_EXAMPLE_SIZES,
    activation_ranges,
    analysis_cost,
    analyze_activations,
    analyze_layers,
    int8_range,
    int8_report,
    int8_sqnr_examples,
    int8_sqnr_model_db,
    uniform_int8_sqnr_db,
)
from lab.network import NetworkConfig, simulate

# --- one pass, and its cost ----------------------------------------------------------------


def _layers():
    config = NetworkConfig(
        init="large_random", activation="tanh", layers=4, width=128, samples=256,
        keep_activations=True,
    )  # fmt: skip
    return simulate(config).activations


def test_one_pass_gives_the_reports_and_the_ranges():
    layers = _layers()
    reports, ranges = analyze_activations(layers, "first_layer", percentile=5.0)
    assert reports == analyze_layers(layers, "first_layer")
    assert ranges == activation_ranges(layers, percentile=5.0)


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_analysis_cost_holds_the_measured_peak(activation):
    # Large random weights: later layers hold inf/NaN, which costs masks and copies.
    config = NetworkConfig(
        init="large_random", activation=activation, layers=40, width=256, samples=256,
        keep_activations=True,
    )  # fmt: skip
    layers = simulate(config).activations
    tracemalloc.start()
    try:
        analyze_activations(layers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cost = analysis_cost(256 * 256, 40)
    assert peak <= cost.peak_bytes
    assert cost.multiply_adds == ANALYSIS_WORK_PER_VALUE * 256 * 256 * 40


# --- activation ranges ----------------------------------------------------------------------


def _manual_percentile(values: list[float], percent: float) -> float:
    """Linear interpolation between order statistics (numpy's default 'linear' method),
    written out independently."""
    ordered = sorted(values)
    position = percent / 100.0 * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def test_layer_range_by_hand():
    layer = np.array([0.0, 0.0, 1.0, -2.0, 3.0, np.inf, np.nan], dtype=np.float32)
    (spread,) = activation_ranges([layer], percentile=50.0)
    assert spread.layer == 1
    assert spread.max_abs == math.inf  # inf counts, NaN does not
    assert spread.rms == pytest.approx(math.sqrt((1 + 4 + 9) / 5))  # finite entries only
    assert spread.low_percentile == pytest.approx(_manual_percentile([1.0, 2.0, 3.0], 50.0))
    assert spread.min_nonzero == 1.0
    assert spread.frac_zero == pytest.approx(2 / 7)
    assert spread.frac_nonfinite == pytest.approx(2 / 7)
    assert spread.percentile == 50.0


def test_low_percentile_matches_an_independent_interpolation():
    values = np.random.default_rng(1).standard_normal(1001)
    (spread,) = activation_ranges([values], percentile=LOW_PERCENTILE)
    expected = _manual_percentile(list(np.abs(values)), LOW_PERCENTILE)
    assert spread.low_percentile == pytest.approx(expected, rel=1e-12)
    assert spread.min_nonzero == pytest.approx(np.min(np.abs(values)))


def test_all_zero_and_all_nan_layers():
    zero, nan = activation_ranges([np.zeros((4, 3)), np.full(5, np.nan)])
    assert (zero.max_abs, zero.rms, zero.low_percentile) == (0.0, 0.0, 0.0)
    assert math.isnan(zero.min_nonzero)
    assert zero.frac_zero == 1.0 and zero.frac_nonfinite == 0.0
    assert all(math.isnan(v) for v in (nan.max_abs, nan.rms, nan.low_percentile))
    assert nan.frac_nonfinite == 1.0 and nan.frac_zero == 0.0


@pytest.mark.parametrize("magnitude", [1e-200, 1e200])
def test_rms_survives_extreme_float64_magnitudes(magnitude):
    layer = np.array([3.0, -4.0]) * magnitude  # rms = magnitude * sqrt(12.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (spread,) = activation_ranges([layer])
    assert spread.rms == pytest.approx(magnitude * math.sqrt(12.5), rel=1e-12)
    assert spread.max_abs == pytest.approx(4.0 * magnitude)


def test_gaussian_layer_against_theory():
    sigma, n = 0.3, 200_000
    layer = np.random.default_rng(2).normal(0.0, sigma, n)
    (spread,) = activation_ranges([layer])
    # RMS: relative SE of the sample RMS is 1/sqrt(2n) = 0.16%; 1% is ~6 SE.
    assert spread.rms == pytest.approx(sigma, rel=0.01)
    # |z| has quantile p at sigma * Phi^-1((1 + p) / 2). SE of the sample quantile:
    # sqrt(p (1 - p) / n) / f(q) with f(q) = 2 phi(q) / sigma ~ 0.80 / sigma, i.e. 1.4% of
    # the 0.0125 sigma quantile; 6% is ~4 SE.
    expected = sigma * stats.norm.ppf((1.0 + LOW_PERCENTILE / 100.0) / 2.0)
    assert spread.low_percentile == pytest.approx(expected, rel=0.06)


def test_relu_zeros_are_left_out_of_the_small_values():
    config = NetworkConfig(layers=3, width=128, samples=256, keep_activations=True)
    spreads = activation_ranges(simulate(config).activations)
    assert [s.layer for s in spreads] == [1, 2, 3]
    for spread in spreads:
        # He + ReLU: about half the values are exactly 0. After layer 1 the inputs are all
        # positive, so z_j has a weight-dependent mean and the share of zeros varies from unit
        # to unit (SD ~0.3); averaged over 128 units the SE is ~0.027, and 0.1 is ~4 SE.
        assert spread.frac_zero == pytest.approx(0.5, abs=0.1)
        assert 0.0 < spread.min_nonzero <= spread.low_percentile < spread.rms < spread.max_abs


def test_network_overflow_is_a_result():
    config = NetworkConfig(
        init="large_random", activation="linear", layers=40, width=256, samples=16,
        keep_activations=True,
    )  # fmt: skip
    result = simulate(config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spreads = activation_ranges(result.activations)
    first = result.first_nonfinite_layer
    assert first is not None
    assert spreads[first - 1].frac_nonfinite > 0.0
    assert all(s.frac_nonfinite == 0.0 for s in spreads[: first - 1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activations": []}, r"activations must be a non-empty list"),
        ({"activations": np.zeros((2, 3))}, r"activations must be a non-empty list.*ndarray"),
        ({"activations": [np.array(["a"])]}, r"activations\[0\] must be a non-empty array"),
        ({"activations": [np.zeros(0)]}, r"activations\[0\] must be a non-empty array"),
        ({"activations": [np.ones(2)], "percentile": 101}, r"percentile must be a finite number"),
        ({"activations": [np.ones(2)], "percentile": np.nan}, r"percentile must be a finite"),
    ],
)
def test_activation_ranges_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        activation_ranges(**kwargs)


# --- INT8 kept range --------------------------------------------------------------------------


def test_int8_range_edges_agree_with_int8_report():
    scale = 0.02
    low, high = int8_range(scale)
    assert low == pytest.approx(scale / 2) and high == pytest.approx(INT8.qmax * scale)
    # Just below half a step rounds to level 0, just above survives.
    assert int8_report([0.99 * low], scale=scale).frac_zero == 1.0
    assert int8_report([1.01 * low], scale=scale).frac_zero == 0.0
    # Above the top level by more than half a step the value clips.
    assert int8_report([high + 0.51 * scale], scale=scale).frac_clipped == 1.0
    assert int8_report([0.99 * high], scale=scale).frac_clipped == 0.0


@pytest.mark.parametrize("scale", [0.0, -1.0, math.nan, math.inf, "1"])
def test_int8_range_rejects_bad_scales(scale):
    with pytest.raises(ValueError, match=r"^scale must be a finite number > 0"):
        int8_range(scale)


# --- SQNR -------------------------------------------------------------------------------------


def test_uniform_sqnr_closed_form_is_48_1_db():
    assert uniform_int8_sqnr_db() == pytest.approx(10 * math.log10(4 * 127**2), rel=1e-15)
    assert round(uniform_int8_sqnr_db(), 1) == 48.1  # reference.md
    # The crest-factor model reduces to it for c = sqrt(3), the uniform signal's max / rms.
    assert int8_sqnr_model_db(math.sqrt(3.0)) == pytest.approx(uniform_int8_sqnr_db(), rel=1e-12)


def test_model_validation():
    with pytest.raises(ValueError, match=r"^crest_factor must be a finite number > 0"):
        int8_sqnr_model_db(0.0)


def test_sqnr_examples_cover_each_size_and_distribution():
    examples = int8_sqnr_examples()
    assert [(e.distribution, e.samples) for e in examples] == [
        (distribution, size)
        for size in SQNR_EXAMPLE_SIZES
        for distribution in ("uniform", "gaussian")
    ]
    assert int8_sqnr_examples() == examples  # same seed, same numbers


def test_sqnr_examples_against_an_independent_computation():
    sizes = (1_000, 1_000_000)
    examples = {(e.distribution, e.samples): e for e in int8_sqnr_examples(sizes, seed=3)}
    rng = np.random.default_rng(3)  # the documented drawing order: per size, uniform then normal
    for size in sizes:
        for distribution, x in (
            ("uniform", rng.uniform(-1.0, 1.0, size)),
            ("gaussian", rng.standard_normal(size)),
        ):
            example = examples[(distribution, size)]
            scale = np.max(np.abs(x)) / 127
            x_hat = np.clip(np.rint(x / scale), -127, 127) * scale
            measured = 10 * np.log10(np.sum(x**2) / np.sum((x - x_hat) ** 2))
            assert example.sqnr_db == pytest.approx(measured, rel=1e-9)
            crest = np.max(np.abs(x)) / np.sqrt(np.mean(x**2))
            assert example.crest_factor == pytest.approx(crest, rel=1e-9)
            # The uniform-noise model (error uniform on +-step/2): noise-power estimate has
            # relative SE sqrt(1.8 / n), 4% at n = 1000 (0.18 dB); 0.6 dB is > 3 SE.
            assert example.predicted_db == pytest.approx(example.sqnr_db, abs=0.6)


def test_gaussian_loses_sqnr_as_the_batch_grows():
    by_key = {(e.distribution, e.samples): e for e in int8_sqnr_examples()}
    small, large = SQNR_EXAMPLE_SIZES[0], SQNR_EXAMPLE_SIZES[-1]
    # Uniform: 48.1 dB at every size; the noise estimate's SE at 1e6 values is 0.006 dB, at
    # 1e3 values 0.18 dB (see above): 0.6 dB covers both.
    assert by_key[("uniform", large)].sqnr_db == pytest.approx(48.1, abs=0.05)
    assert by_key[("uniform", small)].sqnr_db == pytest.approx(48.1, abs=0.6)
    assert by_key[("uniform", large)].crest_factor == pytest.approx(math.sqrt(3), rel=0.01)
    # Gaussian: the expected max |z| grows from ~3.2 (1e3 values) to ~4.9 (1e6), which costs
    # 20 log10(4.9 / 3.2) = 3.7 dB; Gumbel scatter of the max is ~0.4 dB per draw.
    assert by_key[("gaussian", small)].sqnr_db - by_key[("gaussian", large)].sqnr_db > 2.0
    # reference.md: ~38.4 dB for a large Gaussian batch; at 1e6 values the median max |z| is
    # 4.9 (39.1 dB); +-1.2 dB covers the model offset and 2 Gumbel SDs.
    assert by_key[("gaussian", large)].sqnr_db == pytest.approx(38.4, abs=1.2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": []}, r"^sizes must be a non-empty list"),
        ({"sizes": "1000"}, r"^sizes must be a non-empty list"),
        ({"sizes": [1]}, r"^sizes must be an integer in \[2, 4e\+06\]; got 1"),
        ({"sizes": [10**7]}, r"^sizes must be an integer in \[2, 4e\+06\]; got 10000000"),
        ({"seed": -1}, r"^seed must be an integer >= 0; got -1"),
    ],
)
def test_sqnr_examples_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        int8_sqnr_examples(**kwargs)
