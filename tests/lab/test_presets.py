"""Engine tests of lab/presets.py: the teaching experiments against theory and the engine.

Numbers are pinned to ../shared/reference.md (Xavier + ReLU: E[a^2] halves per layer, RMS
2^(-l/2); He keeps it), to the mean-field recursion computed here by hand, or to the engine
itself (the sigma sweep must reproduce ``simulate`` exactly).
"""

from __future__ import annotations

import math
import tracemalloc
import warnings
from dataclasses import replace

import numpy as np
import pytest

from lab.network import simulate
from lab.presets import (
    COMPARISON_INITS,
    HISTOGRAM_EDGES,
    SIGMA_SWEEP_SIGMAS,
    comparison_configs,
    init_comparison,
    layer_histograms,
    network_config,
    panel_layers,
    sigma_sweep,
    sigma_sweep_config,
    sweep_cost,
)

SMALL = dict(layers=4, width=20, samples=300)


def histograms(init="xavier_normal", activation="relu", **kwargs):
    """``layer_histograms`` of ``network_config(init, activation, **kwargs)``."""
    return layer_histograms(network_config(init, activation, **kwargs))


# --------------------------------------------------------------------------- layer histograms


def test_every_value_is_counted_at_the_five_layer_sizes():
    run = histograms("xavier_normal", "tanh")
    assert run.label == "Xavier/Glorot normal + tanh"
    np.testing.assert_array_equal(run.layers, [1, 2, 3, 4, 5])
    for tensor in (run.pre, run.post):
        assert tensor.counts.shape == (5, 60)
        counted = tensor.counts.sum(axis=1) + tensor.below + tensor.above + tensor.nonfinite
        np.testing.assert_array_equal(counted, tensor.total)
        np.testing.assert_array_equal(tensor.total, 5000 * 100)
        np.testing.assert_array_equal(tensor.nonfinite, 0)
    # tanh output lies in (-1, 1), and so does each layer's own range after the activation.
    assert np.all(run.post.edges[:, 0] > -1) and np.all(run.post.edges[:, -1] < 1)


def test_histograms_are_those_of_the_simulated_values():
    # Independent check: numpy's histogram of the kept z_l and a_l of the same simulation.
    run = histograms("he_normal", "relu", input_std=2.0, seed=3, **SMALL)
    kept = simulate(replace(run.config, keep_activations=True))
    for index in range(4):
        for tensor, values in (
            (run.pre, kept.pre_activations[index]),
            (run.post, kept.activations[index]),
        ):
            # Each layer's own range: its mean +- 5 std, cut to its smallest and largest value.
            edges = tensor.edges[index]
            mean, std = np.mean(values, dtype=np.float64), np.std(values, dtype=np.float64)
            assert edges[0] == pytest.approx(max(values.min(), mean - 5 * std), rel=1e-6)
            assert edges[-1] == pytest.approx(min(values.max(), mean + 5 * std), rel=1e-6)
            counts, _ = np.histogram(values, bins=edges)
            np.testing.assert_array_equal(tensor.counts[index], counts)
            assert tensor.below[index] == np.count_nonzero(values < edges[0])
            assert tensor.above[index] == np.count_nonzero(values > edges[-1])
            assert tensor.std[index] == pytest.approx(std, rel=1e-9)
    # ReLU: post-activations are >= 0 and about half of them are exactly 0.
    np.testing.assert_array_equal(run.post.below, 0)
    assert np.all(np.abs(run.post.frac_zero - 0.5) < 0.1)


def test_fixed_edges_are_shared_by_every_layer():
    config = network_config("he_normal", "relu", edges=HISTOGRAM_EDGES, **SMALL)
    run = layer_histograms(config)
    kept = simulate(replace(config, keep_activations=True))
    for index, values in enumerate(kept.pre_activations):
        np.testing.assert_array_equal(run.pre.edges[index], HISTOGRAM_EDGES)
        assert run.pre.below[index] + run.pre.above[index] == np.count_nonzero(np.abs(values) > 3)


def test_a_vanished_or_exploded_layer_still_fills_its_histogram():
    # Fixed [-3, 3] bins left N(0, 1) weights' deep layers (std ~ 7^l) as empty frames and
    # Xavier + ReLU's (std ~ 2^(-l/2)) as one spike at 0: each layer's own range spreads both
    # over many bins, with at most a few values per thousand beyond +-5 std.
    for init in ("large_random", "xavier_normal"):
        run = histograms(init, "relu", layers=16, samples=500)
        share = run.pre.counts / run.pre.total[:, None]
        assert np.all(share.max(axis=1) < 0.1), init
        assert np.all((share > 0.001).sum(axis=1) >= 30), init
        assert np.all(run.pre.below + run.pre.above <= 0.005 * run.pre.total), init
    assert run.pre.edges[-1, -1] < 0.1 < run.pre.edges[0, -1]  # Xavier + ReLU: the range shrinks


def test_layer_histograms_are_deterministic_and_depend_on_the_seed():
    first, again = histograms(seed=7), histograms(seed=7)
    np.testing.assert_array_equal(first.pre.counts, again.pre.counts)
    np.testing.assert_array_equal(first.post.std, again.post.std)
    other = histograms(seed=8)
    assert not np.array_equal(first.pre.counts, other.pre.counts)


def test_theory_is_attached_and_matches_the_reference():
    layers = np.arange(1, 6)
    xavier = histograms("xavier_normal", "relu", samples=100)
    # reference.md: Xavier (1/n) + ReLU halves E[a^2] per layer, RMS 2^(-l/2).
    np.testing.assert_allclose(xavier.theory.post_rms, 2.0 ** (-layers / 2), rtol=1e-12)
    he = histograms("he_normal", "relu", samples=100)
    np.testing.assert_allclose(he.theory.post_rms, 1.0, rtol=1e-12)
    np.testing.assert_allclose(he.theory.pre_std, math.sqrt(2.0), rtol=1e-12)
    positive = histograms("rand", "tanh", **SMALL)
    assert positive.theory is None
    assert "mean" in positive.theory_reason


def test_bias_reaches_the_simulation_and_the_theory():
    # He + ReLU with N(0, 0.5^2) biases: q_1 = 2 * 1 + 0.25 and q_l = 2 * q_{l-1} / 2 + 0.25, so
    # q = 2.25, 2.5, 2.75. Width 1000 and 400 samples: the scatter of one weight draw is a few
    # percent at three layers (reference.md), so 10% is about three standard deviations.
    run = histograms("he_normal", "relu", layers=3, width=1000, samples=400, bias_std=0.5)
    np.testing.assert_allclose(run.theory.pre_var, [2.25, 2.5, 2.75], rtol=1e-12)
    np.testing.assert_allclose(run.result.pre.variance, run.theory.pre_var, rtol=0.1)
    plain = histograms("he_normal", "relu", layers=3, width=1000, samples=400)
    assert np.all(run.result.pre.variance > plain.result.pre.variance)


def test_xavier_linear_keeps_the_rms_and_relu_halves_the_second_moment():
    # reference.md: compare to theory at width >= 1000 or average over seeds. Measured over
    # 20 seeds at width 1000 and 100 samples: linear E[a_l^2] scatters by sd <= 0.014 per
    # seed, ReLU 2^l E[a_l^2] by sd 0.009, 0.036, 0.066, 0.074, 0.075 at layers 1..5.
    # Averaging 4 seeds halves that; the tolerances are about 4 of those standard errors.
    linear, relu = [], []
    for seed in range(4):
        common = dict(width=1000, samples=100, seed=seed)
        linear.append(histograms("xavier_normal", "linear", **common).post.rms ** 2)
        relu.append(histograms("xavier_normal", "relu", **common).post.rms ** 2)
    layers = np.arange(1, 6)
    np.testing.assert_allclose(np.mean(linear, axis=0), 1.0, atol=0.03)
    np.testing.assert_array_less(
        np.abs(np.mean(relu, axis=0) * 2.0**layers - 1.0), [0.02, 0.08, 0.14, 0.15, 0.16]
    )


# --------------------------------------------------------------------------- sigma sweep


def test_sigma_sweep_reproduces_the_engine_simulation():
    sweep = sigma_sweep(repeats=100, seed=5)
    for index, sigma in enumerate(sweep.sigmas):
        result = simulate(sigma_sweep_config(sigma, repeats=100, seed=5))
        np.testing.assert_allclose(sweep.pre_var[index], result.pre.variance, rtol=1e-12)
        np.testing.assert_allclose(sweep.post_var[index], result.post.variance, rtol=1e-12)
        np.testing.assert_allclose(sweep.pre_second_moment[index], result.pre.rms**2, rtol=1e-12)
        np.testing.assert_allclose(sweep.post_second_moment[index], result.post.rms**2, rtol=1e-12)


def test_sigma_sweep_theory_is_the_hand_computed_recursion():
    sweep = sigma_sweep()
    np.testing.assert_array_equal(sweep.sigmas, [1e-5, 1e-3, 1e-2, 1e-1, 0.5])
    assert (sweep.width, sweep.repeats, len(sweep.layers)) == (10, 200, 8)
    for index, sigma in enumerate(sweep.sigmas):
        # q_1 = sigma^2 * sum(x^2) = 55 sigma^2; then each ReLU layer of 10 units multiplies
        # E[z^2] by 10 sigma^2 / 2 (E[relu(z)^2] = E[z^2] / 2).
        expected = 55 * sigma**2 * (10 * sigma**2 / 2) ** np.arange(8)
        np.testing.assert_allclose(sweep.theory_pre_var[index], expected, rtol=1e-12)
        np.testing.assert_allclose(sweep.theory_post_second_moment[index], expected / 2, rtol=1e-12)
        assert sweep.theory_factor[index] == pytest.approx(5 * sigma**2, rel=1e-12)


def test_sigma_sweep_second_moments_agree_with_theory_within_their_standard_errors():
    sweep = sigma_sweep()
    # The per-draw mean squares are independent across the 200 draws, so the pooled value has
    # the reported standard error; products of chi-square factors make its distribution skewed,
    # hence 4 standard errors rather than 3.
    for measured, se, theory in (
        (sweep.pre_second_moment, sweep.pre_second_moment_se, sweep.theory_pre_var),
        (sweep.post_second_moment, sweep.post_second_moment_se, sweep.theory_post_second_moment),
    ):
        assert np.all(np.abs(measured - theory) < 4 * se)
        assert np.all(se > 0)
    # The measured per-layer factor (geometric mean of E[z_{l+1}^2] / E[z_l^2]) is 5 sigma^2:
    # its relative error is that of E[z_8^2] / E[z_1^2] over 7 steps.
    relative = np.hypot(
        sweep.pre_second_moment_se[:, -1] / sweep.pre_second_moment[:, -1],
        sweep.pre_second_moment_se[:, 0] / sweep.pre_second_moment[:, 0],
    )
    np.testing.assert_array_less(
        np.abs(sweep.measured_factor / (5 * sweep.sigmas**2) - 1), 4 * relative / 7
    )


def test_more_repeats_shrink_the_standard_error():
    few = sigma_sweep((0.1,), repeats=200, seed=1)
    many = sigma_sweep((0.1,), repeats=2000, seed=1)
    # 10 times the draws: about sqrt(10) = 3.2 times smaller. Deep layers are products of
    # chi-square factors, heavy-tailed, so their estimated standard error converges slowly:
    # ask for a factor 2 in the first four layers and any decrease further down.
    np.testing.assert_array_less(
        many.pre_second_moment_se[:, :4], few.pre_second_moment_se[:, :4] / 2
    )
    np.testing.assert_array_less(many.pre_second_moment_se, few.pre_second_moment_se)
    single = sigma_sweep((0.1,), repeats=1)
    assert np.all(np.isnan(single.pre_second_moment_se))


def test_sigma_sweep_is_deterministic_and_vanishes_for_small_sigma():
    first, again = sigma_sweep(seed=2), sigma_sweep(seed=2)
    np.testing.assert_array_equal(first.pre_var, again.pre_var)
    assert not np.array_equal(first.pre_var, sigma_sweep(seed=3).pre_var)
    # sigma = 1e-5: about 55e-10 * (5e-10)^7, far below float32's range, and still > 0.
    assert 0 < first.pre_var[0, -1] < 1e-70
    # sigma = 0.5 grows by 1.25 per layer; sigma = 0.1 shrinks by 0.05.
    assert first.pre_second_moment[4, -1] > first.pre_second_moment[4, 0]
    assert first.pre_second_moment[3, -1] < first.pre_second_moment[3, 0] * 1e-6


def test_sigma_sweep_accepts_other_activations():
    sweep = sigma_sweep((0.5,), activation="tanh", repeats=50)
    assert sweep.activation == "tanh"
    assert np.all(sweep.post_second_moment < 1.0)  # |tanh| < 1


@pytest.mark.parametrize("repeats", [200, 2000])
def test_sweep_cost_bounds_what_the_sweep_allocates(repeats):
    # numpy reports its allocations to tracemalloc: the estimate must hold the measured peak
    # and stay within a factor 1.5 of it (a budget that overestimates refuses too much).
    tracemalloc.start()
    try:
        sigma_sweep(repeats=repeats)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = sweep_cost(repeats).peak_bytes
    assert peak <= estimate <= 1.5 * peak
    # 5 inputs -> 10 units, then 7 layers of 10 x 10: 750 weights per draw, each drawn once
    # and multiplied once per sigma.
    assert sweep_cost(repeats).multiply_adds == repeats * 750 * (1 + len(SIGMA_SWEEP_SIGMAS))


# --------------------------------------------------------------------------- init comparison


def test_init_comparison_states_for_relu():
    outcomes = init_comparison(network_config("he_normal", "relu", samples=1000, edges=None))
    assert tuple(o.init for o in outcomes) == COMPARISON_INITS
    states = {o.init: o.state for o in outcomes}
    assert states == {
        "zeros": "dead",
        "small_random": "vanishing",
        "large_random": "exploding",
        "xavier_normal": "vanishing",  # RMS x 0.71 per layer: a trend, at 5 layers already
        "he_normal": "healthy",
    }
    ratio = {o.init: o.ratio for o in outcomes}
    assert ratio["zeros"] == 0.0
    # Same random stream, ReLU positively homogeneous: scaling every weight by c scales the
    # 5-layer output by c^5. std 1 vs 0.01: 100^5; Xavier 0.1 vs 0.01: 10^5; He vs Xavier:
    # sqrt(2)^5. Float32 rounding only.
    assert ratio["large_random"] / ratio["small_random"] == pytest.approx(1e10, rel=1e-4)
    assert ratio["xavier_normal"] / ratio["small_random"] == pytest.approx(1e5, rel=1e-4)
    assert ratio["he_normal"] / ratio["xavier_normal"] == pytest.approx(2**2.5, rel=1e-4)
    for outcome in outcomes:
        assert len(outcome.post_std) == 5
        assert outcome.post_std[-1] == outcome.final_std
        assert outcome.input_std == pytest.approx(1.0, abs=0.01)  # 100,000 N(0, 1) values


def test_comparison_keeps_the_network_and_drops_the_scheme_parameters():
    config = network_config(
        "normal", "tanh", init_params={"std": 0.3}, bias_std=0.1, seed=4, **SMALL
    )
    for scheme, init in zip(comparison_configs(config), COMPARISON_INITS, strict=True):
        assert (scheme.init, scheme.init_params, scheme.histogram_bins) == (init, (), None)
        assert scheme == replace(config, init=init, init_params=(), histogram_bins=None)


def test_init_comparison_row_equals_the_histogram_run():
    config = network_config("he_normal", "tanh", **SMALL)
    (outcome,) = init_comparison(config, inits=("he_normal",))
    run = layer_histograms(config)
    assert outcome.final_std == float(run.post.std[-1])
    assert outcome.state == run.diagnosis.state


def test_overflow_is_a_result_not_an_error():
    config = network_config("large_random", "linear", layers=50, width=64, samples=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = layer_histograms(config)
        (outcome,) = init_comparison(config, inits=("large_random",))
    layer = run.result.first_nonfinite_layer
    assert layer is not None
    assert run.diagnosis.state == "overflow"
    assert run.diagnosis.first_bad_layer == layer
    assert f"overflow at layer {layer}" in run.diagnosis.message
    assert outcome.overflow_message == f"overflow: inf/NaN at layer {layer}"
    assert run.pre.nonfinite[-1] == 50 * 64
    counted = run.pre.counts.sum(axis=1) + run.pre.below + run.pre.above + run.pre.nonfinite
    np.testing.assert_array_equal(counted, run.pre.total)


# --------------------------------------------------------------------------- helpers


def test_panel_layers():
    assert panel_layers(5) == (1, 2, 3, 4, 5)
    spread = panel_layers(50, 10)
    assert len(spread) == 10 and spread[0] == 1 and spread[-1] == 50
    assert all(b > a for a, b in zip(spread, spread[1:], strict=False))
    assert panel_layers(12, 4) == (1, 5, 8, 12)


BAD_CALLS = [
    (lambda: network_config("nope"), "init must be one of"),
    (lambda: network_config("he_normal", "softmax"), "activation must be one of"),
    (lambda: network_config(input_std=0.0), r"input_std must be a finite number in \(0, 1e\+06\]"),
    (lambda: network_config(input_std=math.nan), "input_std must be"),
    (lambda: network_config(seed=-1), "seed must be an integer"),
    (lambda: network_config(layers=0), r"layers must be an integer in \[1, 1000\]"),
    (lambda: network_config(width=0), "width must be an integer"),
    (lambda: network_config(init_params=5), "init_params must be"),
    (lambda: layer_histograms(network_config(edges=None)), "config must be a NetworkConfig with"),
    (lambda: layer_histograms("config"), "config must be a NetworkConfig"),
    (lambda: sigma_sweep((0.0,)), r"sigmas must be a finite number in \[1e-06, 10\]"),
    (lambda: sigma_sweep(()), "sigmas must hold 1 to 20 values"),
    (lambda: sigma_sweep("0.1"), "sigmas must be a sequence"),
    (lambda: sigma_sweep(repeats=0), r"repeats must be an integer in \[1, 2000\]"),
    (lambda: sigma_sweep(layers=1), r"layers must be an integer in \[2, 20\]"),
    (lambda: sigma_sweep(width=101), r"width must be an integer in \[1, 100\]"),
    (lambda: sigma_sweep(activation="leaky_relu"), "activation must be one of relu"),
    (lambda: sigma_sweep(input_row=(0, 0)), "input_row must be"),
    (lambda: sigma_sweep(input_row=(math.inf,)), "input_row must be"),
    (lambda: sigma_sweep_config(0.0), "sigma must be"),
    (lambda: sweep_cost(2001), r"repeats must be an integer in \[1, 2000\]"),
    (lambda: comparison_configs(network_config(), inits="zeros"), "inits must be a non-empty"),
    (lambda: init_comparison(network_config(), inits=("zeros", "bogus")), "init must be one of"),
    (lambda: comparison_configs({}), "config must be a NetworkConfig"),
    (lambda: panel_layers(0), r"layers must be an integer in \[1, 1000\]"),
    (lambda: panel_layers(5, 1), r"panels must be an integer in \[2, 100\]"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_invalid_arguments_raise_value_errors_naming_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()
