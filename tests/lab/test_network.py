"""Tests of the Monte-Carlo network simulation (lab.network).

Numbers are pinned to ../shared/reference.md or to an independent computation done here
(a naive re-implementation of the forward/backward pass, Gauss-Hermite quadrature). Every
statistical test uses fixed seeds; its tolerance is justified next to it.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import tracemalloc
import warnings
from dataclasses import replace

import numpy as np
import pytest
import threadpoolctl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from lab import network
from lab.activations import ACTIVATION_NAMES, get_activation
from lab.health import flat_threshold
from lab.initializers import SCHEME_NAMES, get_initializer
from lab.network import NetworkConfig, estimate_bytes, sample_weights, simulate

cached_simulate = functools.cache(simulate)  # configs are hashable cache keys


def gauss_hermite_mean(function, variance: float, points: int = 100) -> float:
    """E[f(z)] for z ~ N(0, variance) (reference.md: sum w_i f(sqrt2 x_i) / sqrt(pi))."""
    nodes, weights = np.polynomial.hermite.hermgauss(points)
    return float(np.sum(weights * function(math.sqrt(2.0 * variance) * nodes)) / math.sqrt(math.pi))


def tanh_square_mean(variance: float) -> float:
    return gauss_hermite_mean(lambda u: np.tanh(u) ** 2, variance)


# --- reference values -----------------------------------------------------------------------


def test_large_random_linear_variance_grows_by_512_per_layer():
    # reference.md: 10 linear layers, width 512, N(0, 1) weights, unit input -> 512^10 = 2^90.
    result = simulate(
        NetworkConfig(
            init="large_random", activation="linear", layers=10, width=512, samples=200, seed=1
        )
    )
    log_variance = np.log10(result.post.variance)
    # Each layer multiplies the mean square by the average of 512 chi2_1 variables (given the
    # layer input), relative sd at most sqrt(2/512) = 6.3% even for a single input direction:
    # 0.027 in log10 per layer, 0.086 over 10 independent layers. 0.26 = 3 sd.
    assert log_variance[-1] == pytest.approx(math.log10(2.0**90), abs=0.26)
    assert np.diff(log_variance) == pytest.approx(np.full(9, math.log10(512)), abs=3 * 0.027)
    assert result.first_nonfinite_layer is None


@functools.cache
def twelve_layer_relu_runs(init: str) -> np.ndarray:
    """Per seed: layer-12 pre std, post std, post rms, and log2 of the post mean square and
    of the dL/da variance at layers 1..12."""
    rows = []
    for seed in range(30):
        result = simulate(NetworkConfig(init=init, layers=12, width=256, samples=200, seed=seed))
        rows.append(
            np.concatenate(
                [
                    [result.pre.std[-1], result.post.std[-1], result.post.rms[-1]],
                    np.log2(result.post.rms**2),
                    np.log2(result.grad_post.std**2),
                ]
            )
        )
    return np.array(rows)


# reference.md: width-256 values scatter by about +-15% across seeds (measured here: 14-15% sd of
# the layer-12 stds). The mean of 30 seeds then has a standard error of 15% / sqrt(30) = 2.7%.
# A std is the square root of a fluctuating variance and its seed average sits a few percent
# below theory (measured 4-6%); 15% leaves more than 3 standard errors beyond that bias.
WIDTH_256_TOLERANCE = 0.15


def test_he_relu_12_layers_keeps_the_signal():
    pre_std, post_std, post_rms = twelve_layer_relu_runs("he_normal")[:, :3].mean(axis=0)
    assert pre_std == pytest.approx(math.sqrt(2.0), rel=WIDTH_256_TOLERANCE)
    assert post_std == pytest.approx(math.sqrt(1.0 - 1.0 / math.pi), rel=WIDTH_256_TOLERANCE)
    assert post_rms == pytest.approx(1.0, rel=WIDTH_256_TOLERANCE)


def test_xavier_relu_12_layers_halves_the_mean_square_per_layer():
    runs = twelve_layer_relu_runs("xavier_normal")
    pre_std, _, post_rms = runs[:, :3].mean(axis=0)
    assert pre_std == pytest.approx(2.0**-5.5, rel=WIDTH_256_TOLERANCE)
    assert post_rms == pytest.approx(1.0 / 64.0, rel=WIDTH_256_TOLERANCE)
    # E[a_l^2] halves per layer: the slope of log2 E[a^2] against l is -1. Per seed the slope
    # scatters with sd 0.044 (measured), so the mean of 30 has SE 0.008; 0.05 > 4 SE beyond the
    # finite-width bias measured here (0.02).
    mean_square_log2 = runs[:, 3:15].mean(axis=0)
    slope = np.polyfit(np.arange(1, 13), mean_square_log2, 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.05)


def test_backward_he_relu_keeps_gradients_xavier_relu_shrinks_them_toward_the_input():
    # Mean-field chi1 = sw2 * E[relu'^2] = sw2 / 2 (reference.md): 1 for He, 1/2 for Xavier.
    # Walking down from layer 12 the dL/da variance is multiplied by chi1 per layer, so the
    # slope of log2 Var(dL/da_l) against l is -log2(chi1): 0 for He, +1 for Xavier. Per seed
    # the slope scatters with sd 0.022 (measured): SE of the mean of 30 is 0.004; 0.05 > 10 SE.
    layers = np.arange(1, 13)
    he = twelve_layer_relu_runs("he_normal")[:, 15:].mean(axis=0)
    xavier = twelve_layer_relu_runs("xavier_normal")[:, 15:].mean(axis=0)
    assert np.polyfit(layers, he, 1)[0] == pytest.approx(0.0, abs=0.05)
    assert np.polyfit(layers, xavier, 1)[0] == pytest.approx(1.0, abs=0.05)
    assert 2.0 ** (he[0] - he[-1]) == pytest.approx(1.0, rel=0.3)  # "roughly constant"
    assert 2.0 ** (xavier[0] - xavier[-1]) < 1.0 / 500  # 2^-11 in theory


# --- wide layers against closed-form theory -------------------------------------------------

# Given the layer input a (covariance C over the batch), the measured Var(z_l) / (sw2 E[a^2])
# is a mean of n_l quadratic forms w^T C w, relative sd sqrt(2 / (n_l r)) with r the
# participation ratio of C (r >= 1). The worst case r = 1 gives sqrt(2 / 1024) = 4.4% at
# width 1024, so 13% = 3 sd is safe for any input.
WIDE = 1024
ONE_STEP_TOLERANCE = 3 * math.sqrt(2.0 / WIDE)


@pytest.mark.parametrize(
    ("init", "activation", "weight_variance_times_fan_in"),
    [("he_normal", "relu", 2.0), ("lecun_normal", "linear", 1.0), ("xavier_normal", "relu", 1.0)],
)
def test_wide_layers_follow_the_variance_recursion(init, activation, weight_variance_times_fan_in):
    for seed in range(3):
        result = simulate(
            NetworkConfig(
                init=init, activation=activation, layers=4, width=WIDE, samples=200, seed=seed
            )
        )
        previous_mean_square = np.concatenate(
            [[result.input.rms[0] ** 2], result.post.rms[:-1] ** 2]
        )
        expected = weight_variance_times_fan_in * previous_mean_square
        assert result.pre.variance == pytest.approx(expected, rel=ONE_STEP_TOLERANCE)
        if activation == "linear":
            assert np.array_equal(result.post.variance, result.pre.variance)
        else:
            # Layer 1 sees a zero-mean isotropic input, so each z_1 unit is symmetric and
            # E[relu(z)^2] = Var(z)/2 up to sampling: relative SE sqrt(5 / (200 * 1024)) = 0.5%
            # (Var(relu(z)^2) / E[relu(z)^2]^2 = 5 for a normal z); 2% = 4 SE.
            assert result.post.rms[0] ** 2 == pytest.approx(result.pre.variance[0] / 2, rel=0.02)


def test_wide_tanh_follows_the_mean_field_length_map():
    # Independent computation: q_l = sw2 E[tanh(sqrt(q_{l-1}) z)^2] by Gauss-Hermite quadrature,
    # checked against reference.md at q = 1 (0.3942944904), with PyTorch's tanh gain
    # (sw2 = 25/9), whose fixed point reference.md gives as q* = 1.1785.
    assert tanh_square_mean(1.0) == pytest.approx(0.3942944904, abs=1e-9)
    sw2 = 25.0 / 9.0
    result = simulate(
        NetworkConfig(
            init="xavier_normal",
            init_params=(("gain", 5.0 / 3.0),),
            activation="tanh",
            layers=8,
            width=WIDE,
            samples=200,
            seed=4,
        )
    )
    theory = [sw2 * result.input.rms[0] ** 2]
    for _ in range(7):
        theory.append(sw2 * tanh_square_mean(theory[-1]))
    # tanh outputs have zero mean, so the activations spread over many directions (r >> 1 in
    # the bound above); the relative deviation measured over 5 seeds had sd 0.4%. 3% stays
    # > 7 sd away, and still catches gain 1 instead of 5/3 (a factor 2.8 in q).
    assert result.pre.variance == pytest.approx(theory, rel=0.03)
    assert result.pre.variance[-1] == pytest.approx(1.1785, rel=0.03)
    measured_map = [tanh_square_mean(q) for q in result.pre.variance]
    assert result.post.rms**2 == pytest.approx(measured_map, rel=0.03)


# --- overflow -------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_large_random_overflows_to_a_reported_layer_without_warnings(activation):
    config = NetworkConfig(
        init="large_random", activation=activation, layers=50, width=512, samples=32, seed=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = simulate(config)
    layer = result.first_nonfinite_layer
    assert layer is not None
    assert result.overflow_message == f"overflow: inf/NaN at layer {layer}"
    # float32 overflows at 3.4e38 = 2^128; the std grows by sqrt(512) = 2^4.5 per layer
    # (ReLU: sqrt(256)), so the largest of 16k values (~4.5 std) crosses 2^128 near layer
    # (128 - 2) / 4.5 = 28 (linear) or (128 - 2) / 4 = 31.5 (ReLU).
    assert 24 <= layer <= 34
    nonfinite = result.pre.nonfinite + result.post.nonfinite
    assert np.all(nonfinite[: layer - 1] == 0) and nonfinite[layer - 1] > 0
    assert np.all(np.isfinite(result.post.std[: layer - 1]))
    assert result.post.frac_nonfinite[-1] == 1.0  # later layers are all NaN/inf
    assert np.isnan(result.post.std[-1])
    assert result.backward_first_nonfinite_layer == 50
    # The output's dL/da_50 is drawn finite, and so is dL/dz_50 (ReLU's slope at inf is 1, at
    # NaN 0); dL/dW_50 = a_49^T dL/dz_50 takes the forward pass's inf.
    assert result.backward_overflow_message == (
        "overflow: inf/NaN in the backward pass at layer 50 (dL/dW_50)"
    )
    assert np.isfinite(result.grad_post.std[-1]) and not np.isfinite(result.grad_weight.std[-1])
    json.dumps(result.rows(), allow_nan=False)  # NaN/inf become None


def test_float64_does_not_overflow_where_float32_does():
    result = simulate(
        NetworkConfig(
            init="large_random",
            activation="linear",
            layers=50,
            width=512,
            samples=16,
            dtype="float64",
        )
    )
    assert result.first_nonfinite_layer is None
    # 50 layers x log10(512) = 135.5; 3 sd of 0.027 per layer over 50 layers = 0.57.
    assert math.log10(result.post.variance[-1]) == pytest.approx(50 * math.log10(512), abs=0.6)


@pytest.mark.parametrize("init", ["large_random", "small_random"])
def test_statistics_survive_float64_values_whose_squares_overflow_or_underflow(init):
    # Linear, width 64: the std is multiplied by 8 (large_random) or 0.08 (small_random) per
    # layer. At layer 200 that is ~2^600 or ~1e-220: the squares overflow (underflow) float64
    # although the values do not, so np.std gives inf (0.0). Independent check: np.std of the
    # values rescaled by a power of two.
    config = NetworkConfig(
        init=init,
        activation="linear",
        layers=200,
        width=64,
        samples=8,
        dtype="float64",
        keep_activations=True,
    )
    result = simulate(config)
    assert result.first_nonfinite_layer is None
    last = result.activations[-1]
    scale = 2.0 ** math.frexp(float(np.max(np.abs(last))))[1]
    assert result.post.std[-1] == pytest.approx(float(np.std(last / scale)) * scale, rel=1e-12)
    assert result.post.rms[-1] == pytest.approx(
        float(np.sqrt(np.mean((last / scale) ** 2))) * scale, rel=1e-12
    )
    assert result.post.mean_abs[-1] == pytest.approx(float(np.mean(np.abs(last))), rel=1e-12)
    assert result.post.max_abs[-1] == float(np.max(np.abs(last)))
    assert result.post.variance[-1] == (np.inf if init == "large_random" else 0.0)


# --- exact properties -----------------------------------------------------------------------


def test_zeros_init_gives_all_zero_activations_and_gradients():
    result = simulate(NetworkConfig(init="zeros", layers=5, width=32, samples=50))
    assert np.all(result.post.frac_zero == 1.0)
    assert np.all(result.pre.frac_zero == 1.0)
    assert np.all(result.post.std == 0.0) and np.all(result.post.max_abs == 0.0)
    assert np.all(result.grad_pre.std == 0.0)  # relu'(0) = 0
    assert np.all(result.grad_weight.mean_abs == 0.0)


def test_constant_input_has_exactly_zero_std():
    result = simulate(NetworkConfig(init="constant", layers=3, width=16, input_std=0.0))
    assert np.all(result.pre.std == 0.0)
    assert np.all(result.post.variance == 0.0)


@pytest.mark.parametrize(
    "edges", [tuple(np.linspace(-3.0, 3.0, 13)), (-10.0, -1.0, -0.1, 0.0, 0.5, 2.0)]
)
def test_histogram_counts_add_up(edges):
    config = NetworkConfig(
        init="normal",
        init_params=(("std", 0.2),),
        activation="tanh",
        layers=4,
        width=40,
        samples=30,
        repeats=2,
        histogram_edges=edges,
        keep_activations=True,
    )
    result = simulate(config)
    for stats in (result.pre, result.post, result.input):
        finite = stats.count - stats.nonfinite
        assert np.array_equal(stats.hist_counts.sum(axis=1), finite - stats.below - stats.above)
    # The first repeat's activations, histogrammed independently, are part of the pooled counts.
    first = [np.histogram(a, bins=np.array(edges))[0] for a in result.activations]
    assert np.all(result.post.hist_counts >= np.array(first))
    assert np.array_equal(result.input.hist_counts[0], np.histogram(result.input_values, edges)[0])
    assert result.grad_post.hist_counts is None


def test_histogram_counts_add_up_after_overflow():
    result = simulate(
        NetworkConfig(
            init="large_random",
            activation="linear",
            layers=40,
            width=256,
            samples=8,
            histogram_edges=(-3.0, 0.0, 3.0),
        )
    )
    stats = result.post
    assert stats.nonfinite[-1] > 0
    assert np.array_equal(
        stats.hist_counts.sum(axis=1), stats.count - stats.nonfinite - stats.below - stats.above
    )


def test_auto_ranged_histograms_take_each_layer_range_from_its_first_repeat():
    config = NetworkConfig(
        init="normal",
        init_params=(("std", 0.5),),
        activation="relu",
        layers=5,
        width=30,
        samples=40,
        repeats=3,
        histogram_bins=20,
        keep_activations=True,
    )
    result = simulate(config)
    assert result.pre.edges.shape == (5, 21) and result.input.edges.shape == (1, 21)
    for index, values in enumerate(result.pre_activations):
        edges = result.pre.edges[index]
        mean, std = np.mean(values, dtype=np.float64), np.std(values, dtype=np.float64)
        low = max(values.min(), mean - network.AUTO_RANGE_STDS * std)
        high = min(values.max(), mean + network.AUTO_RANGE_STDS * std)
        assert (edges[0], edges[-1]) == (
            pytest.approx(low, rel=1e-6),
            pytest.approx(high, rel=1e-6),
        )
        np.testing.assert_allclose(np.diff(edges), (edges[-1] - edges[0]) / 20, rtol=1e-9)
        # The later repeats are binned on the first one's edges (their extremes spill over).
        assert np.all(result.pre.hist_counts[index] >= np.histogram(values, bins=edges)[0])
    for stats in (result.input, result.pre, result.post):
        finite = stats.count - stats.nonfinite
        assert np.array_equal(stats.hist_counts.sum(axis=1), finite - stats.below - stats.above)
    assert np.all(result.post.edges[:, 0] == 0)  # ReLU: the smallest value is 0


def test_auto_ranged_histograms_of_constant_and_overflowed_layers_have_finite_edges():
    zeros = simulate(NetworkConfig(init="zeros", layers=2, width=8, samples=5, histogram_bins=4))
    np.testing.assert_array_equal(zeros.pre.edges, [[-0.5, -0.25, 0.0, 0.25, 0.5]] * 2)
    np.testing.assert_array_equal(zeros.pre.hist_counts[:, 2], 40)  # every 0 in bin [0, 0.25)
    overflow = simulate(
        NetworkConfig(
            init="large_random",
            activation="linear",
            layers=40,
            width=256,
            samples=8,
            histogram_bins=10,
        )
    )
    assert overflow.post.nonfinite[-1] == 8 * 256
    assert np.all(np.isfinite(overflow.post.edges))
    np.testing.assert_array_equal(overflow.post.edges[-1], np.linspace(-1.0, 1.0, 11))
    with pytest.raises(ValueError, match="histogram_edges and histogram_bins must not both"):
        NetworkConfig(histogram_edges=(0.0, 1.0), histogram_bins=3)
    with pytest.raises(ValueError, match=r"histogram_bins must be an integer in \[1, 1000\]"):
        NetworkConfig(histogram_bins=0)


def test_same_config_gives_identical_numbers_and_other_seeds_differ():
    config = NetworkConfig(layers=4, width=64, samples=100, repeats=2, bias_std=0.1, seed=7)
    first, second = simulate(config), simulate(config)
    for name in ("input", "pre", "post", "grad_post", "grad_pre", "grad_weight"):
        for field in ("mean", "std", "rms", "max_abs", "mean_abs"):
            assert np.array_equal(
                getattr(getattr(first, name), field), getattr(getattr(second, name), field)
            )
    assert first.rows() == second.rows()
    other = simulate(
        NetworkConfig(layers=4, width=64, samples=100, repeats=2, bias_std=0.1, seed=8)
    )
    assert not np.array_equal(first.post.std, other.post.std)


def test_orthogonal_linear_network_keeps_the_gradient_norm_exactly():
    # Orthogonal W: g W^T keeps every row norm (reference.md: dynamical isometry), so the mean
    # square of dL/da is the same at every layer up to float64 rounding.
    result = simulate(
        NetworkConfig(
            init="orthogonal", activation="linear", layers=8, width=64, samples=100, dtype="float64"
        )
    )
    rms = result.grad_post.rms
    assert rms == pytest.approx(np.full(8, rms[-1]), rel=1e-12)
    # The std differs from the rms only by the mean, ~ 1/sqrt(6400) of the rms: 1e-3 relative.
    assert result.grad_post.std == pytest.approx(np.full(8, result.grad_post.std[-1]), rel=1e-3)
    assert result.post.rms == pytest.approx(np.full(8, result.input.rms[0]), rel=1e-12)


def test_mean_loss_backward_starts_from_a_constant_gradient():
    result = simulate(NetworkConfig(layers=3, width=16, samples=25, backward="mean"))
    assert result.grad_post.std[-1] == 0.0
    assert result.grad_post.mean[-1] == pytest.approx(1.0 / (25 * 16), rel=1e-6)


def test_explicit_input_rows_pooled_over_repeats():
    # The source experiment: X = [1, 2, 3, 4, 5], 8 hidden ReLU layers of 10 units.
    config = NetworkConfig(
        init="normal",
        init_params=(("std", 0.5),),
        widths=(10,) * 8,
        input_data=((1, 2, 3, 4, 5),),
        repeats=20,
    )
    result = simulate(config)
    assert result.widths == (5,) + (10,) * 8
    assert result.input.mean[0] == pytest.approx(3.0)
    assert result.input.variance[0] == pytest.approx(2.0)
    assert np.all(result.post.count == 20 * 10)
    # Layer 1 pooled over 20 weight draws: z = x . w with w ~ N(0, 0.25): Var = 0.25 * 55.
    # The sample variance of 200 values has relative SE sqrt(2/200) = 10%; 35% > 3 SE.
    assert result.pre.variance[0] == pytest.approx(0.25 * 55, rel=0.35)


def test_uniform_input_matches_the_requested_std():
    result = simulate(
        NetworkConfig(
            layers=1, width=100, samples=1000, input_distribution="uniform", input_std=2.0
        )
    )
    # 100k uniform values: relative SE of the std is sqrt(0.8 / 4 / 1e5) = 0.14%; 1% > 7 SE.
    assert result.input.std[0] == pytest.approx(2.0, rel=0.01)
    assert result.input.max_abs[0] <= math.sqrt(3.0) * 2.0
    assert result.input.frac_saturated[0] == pytest.approx(1 - 2 / (2 * math.sqrt(3)), abs=0.01)


def test_widths_and_input_width_set_the_shapes():
    result = simulate(NetworkConfig(widths=(8, 4, 2), input_width=3, samples=10))
    assert result.widths == (3, 8, 4, 2)
    assert list(result.pre.count) == [80, 40, 20]
    assert list(result.grad_weight.count) == [24, 32, 8]
    assert [row["width"] for row in result.rows()] == [8, 4, 2]


def test_keep_activations_returns_read_only_arrays_in_the_simulation_dtype():
    result = simulate(NetworkConfig(layers=3, width=8, samples=5, keep_activations=True))
    assert len(result.activations) == len(result.pre_activations) == 3
    assert all(a.dtype == np.float32 and not a.flags.writeable for a in result.activations)
    assert simulate(NetworkConfig(layers=3, width=8, samples=5)).activations is None


def test_rows_are_plain_json():
    result = simulate(NetworkConfig(layers=3, width=8, samples=5))
    rows = result.rows()
    expected_keys = {
        "layer",
        "width",
        "pre_mean",
        "pre_std",
        "pre_var",
        "post_mean",
        "post_std",
        "post_var",
        "post_rms",
        "post_max_abs",
        "post_frac_zero",
        "pre_frac_saturated",
        "grad_post_std",
        "grad_post_mean_abs",
        "grad_weight_std",
        "grad_weight_mean_abs",
        "nonfinite",
    }
    assert [row["layer"] for row in rows] == [1, 2, 3]
    assert all(set(row) == expected_keys for row in rows)
    assert all(type(row["post_std"]) is float and type(row["nonfinite"]) is int for row in rows)
    assert json.loads(json.dumps(rows, allow_nan=False)) == rows


# --- against an independent, naive implementation ------------------------------------------


def naive_simulation(config: NetworkConfig):
    """The same draws in the same order, with the textbook formulas and nothing clever."""
    rng = np.random.default_rng(config.seed)
    dtype = np.dtype(config.dtype)
    x = rng.normal(0.0, config.input_std, (config.samples, config.input_features)).astype(dtype)
    phi, initializer = config.activation_function(), config.initializer()
    widths = (config.input_features, *config.layer_widths)
    tensors = {
        name: [[] for _ in config.layer_widths] for name in ("pre", "post", "ga", "gz", "gw")
    }
    for _ in range(config.repeats):
        weights, biases = [], []
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            weights.append(initializer.sample(rng, fan_in, fan_out).astype(dtype))
            biases.append(rng.normal(0.0, config.bias_std, fan_out).astype(dtype))
        activations, pre = [x], []
        for w, b in zip(weights, biases, strict=True):
            pre.append(activations[-1] @ w + b)
            activations.append(np.asarray(phi.function(pre[-1]), dtype=dtype))
        grad = rng.standard_normal(activations[-1].shape).astype(dtype)
        for layer in range(len(weights) - 1, -1, -1):
            grad_z = (grad * phi.derivative(pre[layer])).astype(dtype)
            values = {
                "pre": pre[layer],
                "post": activations[layer + 1],
                "ga": grad,
                "gz": grad_z,
                "gw": activations[layer].T @ grad_z,
            }
            for name, value in values.items():
                tensors[name][layer].append(np.asarray(value, dtype=np.float64).ravel())
            grad = grad_z @ weights[layer].T
    return {
        name: [np.concatenate(parts) for parts in per_layer] for name, per_layer in tensors.items()
    }


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_statistics_match_a_naive_implementation(activation, dtype):
    config = NetworkConfig(
        init="he_normal",
        activation=activation,
        slope=0.2,
        widths=(7, 5, 9),
        input_width=6,
        samples=11,
        repeats=3,
        bias_std=0.3,
        dtype=dtype,
        seed=3,
    )
    result = simulate(config)
    naive = naive_simulation(config)
    # float32: the naive derivative product is rounded once from float64, ours in float32
    # (one rounding each, 2^-24 = 6e-8 apart); statistics agree to a few float32 ulps.
    rel = 1e-6 if dtype == "float32" else 1e-12
    pairs = [
        ("pre", result.pre),
        ("post", result.post),
        ("ga", result.grad_post),
        ("gz", result.grad_pre),
        ("gw", result.grad_weight),
    ]
    for name, stats in pairs:
        for layer, values in enumerate(naive[name]):
            assert stats.mean[layer] == pytest.approx(values.mean(), rel=rel, abs=1e-12)
            assert stats.std[layer] == pytest.approx(values.std(), rel=rel)
            assert stats.rms[layer] == pytest.approx(np.sqrt(np.mean(values**2)), rel=rel)
            assert stats.mean_abs[layer] == pytest.approx(np.mean(np.abs(values)), rel=rel)
            assert stats.max_abs[layer] == pytest.approx(np.max(np.abs(values)), rel=rel)
            assert stats.count[layer] == values.size
            if stats.frac_zero is not None:
                assert stats.frac_zero[layer] == np.mean(values == 0)
            if stats.frac_saturated is not None:
                assert stats.frac_saturated[layer] == np.mean(np.abs(values) > 2)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("init", ["he_normal", "large_random"])
def test_fast_activation_paths_equal_the_library_functions(activation, init):
    # large_random over 40 layers of width 256 overflows float32, so inf/NaN go through the
    # activations too.
    config = NetworkConfig(
        init=init, activation=activation, layers=40, width=256, samples=4, keep_activations=True
    )
    result = simulate(config)
    phi = config.activation_function()
    for z, a in zip(result.pre_activations, result.activations, strict=True):
        with np.errstate(all="ignore"):  # the library functions meet inf/NaN here
            expected = np.asarray(phi.function(z), dtype=np.float32)
        assert np.array_equal(a, expected, equal_nan=True)


# --- memory guard ---------------------------------------------------------------------------


def test_memory_guard_refuses_huge_configs_with_a_useful_message():
    config = NetworkConfig(layers=1000, width=4096, samples=100_000)
    assert estimate_bytes(config) > network.MEMORY_BUDGET_BYTES
    with pytest.raises(ValueError) as error:
        simulate(config)
    message = str(error.value)
    for word in ("MB", "budget", "samples", "width", "layers"):
        assert word in message
    assert f"{network.MEMORY_BUDGET_BYTES // 2**20:,} MB" in message


def traced_peak(function, *args) -> int:
    """Peak bytes tracemalloc sees while ``function(*args)`` runs (numpy's arrays included)."""
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


MEMORY_CASES = [
    # (init, activation, layers, width, samples, backward): batch-sized and matrix-sized
    # temporaries, float64 activations (SELU, GELU), overflow, the cancellation path (zeros),
    # the heavy weight draws (orthogonal, truncated normal) and the forward-only mode.
    ("he_normal", "relu", 20, 64, 2000, "random"),
    ("large_random", "relu", 30, 64, 1000, "random"),
    ("zeros", "tanh", 5, 64, 2000, "random"),
    ("he_normal", "selu", 10, 128, 500, "random"),
    ("he_normal", "gelu", 3, 300, 700, "none"),
    ("he_normal", "leaky_relu", 20, 64, 2000, "none"),
    ("large_random", "sigmoid", 4, 512, 20, "mean"),
    ("orthogonal", "tanh", 3, 512, 20, "random"),
    ("he_truncated_normal", "relu", 3, 512, 20, "none"),
    ("xavier_normal", "linear", 2, 1024, 5, "random"),
    # Products large enough for the helper thread (network._OVERLAP_PRODUCT): draws beside
    # the products and the statistics, batch-sized and matrix-sized.
    ("he_normal", "relu", 4, 256, 2000, "random"),
    ("large_random", "tanh", 3, 1024, 16, "random"),
    # ReLU: the helper also measures z_l, a_l, dL/da_l and dL/dz_l beside the products, with
    # and without a backward pass, and hands inf/NaN back (HELPER_MEMORY_CASES: more).
    ("he_normal", "relu", 4, 256, 2000, "none"),
    ("large_random", "relu", 36, 512, 80, "random"),
]


@pytest.mark.parametrize(
    ("init", "activation", "layers", "width", "samples", "backward"), MEMORY_CASES
)
def test_memory_estimate_bounds_the_traced_peak_and_is_not_loose(
    init, activation, layers, width, samples, backward
):
    config = NetworkConfig(
        init=init,
        activation=activation,
        layers=layers,
        width=width,
        samples=samples,
        backward=backward,
    )
    peak = traced_peak(simulate, config)
    # An upper bound within a factor 2 (measured 1.0 to 1.9 over these cases).
    assert peak <= estimate_bytes(config) <= 2 * peak


HELPER_MEMORY_CASES = [
    # ReLU with the helper's statistics (one BLAS thread): all-zero arrays handed back, with
    # kept activations, in float64, with a bias and repeats, every weight drawn again or kept.
    dict(init="zeros", keep_activations=True, dtype="float64"),
    dict(init="zeros", keep_activations=True),
    dict(init="zeros", backward="mean", dtype="float64"),
    dict(init="he_normal", keep_activations=True, dtype="float64"),
    dict(init="he_normal", bias_std=0.3, repeats=2),
    # z_l measured by the helper beside the next product: with histograms, forward only.
    dict(init="he_normal", histogram_bins=40),
    dict(init="he_normal", backward="none"),
]


@pytest.mark.parametrize("case", HELPER_MEMORY_CASES)
@pytest.mark.parametrize("keep_weights", [True, False])
def test_memory_estimate_bounds_the_peak_with_the_helpers_statistics(
    monkeypatch, case, keep_weights
):
    monkeypatch.setattr(network, "_blas_on_one_thread", lambda: True)
    if not keep_weights:
        monkeypatch.setattr(network, "MAX_PEAK_BYTES", 0)  # every W_l is drawn again
    config = NetworkConfig(
        **({"activation": "relu", "layers": 4, "width": 256, "samples": 2000} | case)
    )
    assert config.batch_size * 256 * 256 >= network._OVERLAP_PRODUCT  # the helper is used
    peak = traced_peak(simulate, config)
    assert peak <= estimate_bytes(config) <= 2 * peak


def test_forward_only_keeps_neither_the_weights_nor_the_activations():
    base = dict(init="he_normal", activation="tanh", layers=60, width=256, samples=200)
    everything = 60 * 256 * (256 + 200) * 4  # every W_l and a_l in float32
    assert traced_peak(simulate, NetworkConfig(**base)) > everything
    # Forward only: one layer's weights and a few batch-sized arrays at a time.
    assert traced_peak(simulate, NetworkConfig(**base, backward="none")) < everything / 10


HELPER_CASES = [
    # bias draws between the weight draws, redrawn weights, repeats and histograms
    dict(init="he_normal", activation="relu", bias_std=0.2, repeats=2, histogram_bins=12),
    # z_l kept for the derivative, every activation returned, fixed edges
    dict(
        init="he_truncated_normal",
        activation="selu",
        keep_activations=True,
        histogram_edges=(-2.0, 0.0, 1.0, 3.0),
    ),
    dict(init="xavier_uniform", activation="linear", bias_std=0.1),  # a_l is z_l
    dict(init="large_random", activation="relu", layers=60, width=64),  # inf/NaN
    dict(init="zeros", activation="tanh", backward="mean", dtype="float64"),  # cancellation
    dict(init="he_normal", activation="leaky_relu", backward="none"),
    dict(init="orthogonal", activation="relu"),  # stays on the calling thread
    # the helper's statistics: handed back (zeros), kept activations, float64
    dict(init="zeros", activation="relu", bias_std=0.0),
    dict(init="he_uniform", activation="relu", keep_activations=True, backward="mean"),
    dict(init="he_normal", activation="relu", dtype="float64", repeats=2),
    # kept activations in the first repeat only: z_l on either thread, a_l in either pass
    dict(init="he_normal", activation="relu", keep_activations=True, repeats=3, bias_std=0.2),
]


def assert_same_statistics(beside, alone) -> None:
    """Every field of every tensor's statistics, and the first inf/NaN layers, are equal."""
    for name in ("input", "pre", "post", "grad_post", "grad_pre", "grad_weight"):
        ours, theirs = getattr(beside, name), getattr(alone, name)
        for field in ours.__dataclass_fields__:
            if getattr(theirs, field) is None:
                assert getattr(ours, field) is None
            else:
                np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field))
    assert beside.first_nonfinite_layer == alone.first_nonfinite_layer
    assert beside.backward_first_nonfinite_layer == alone.backward_first_nonfinite_layer


@pytest.mark.parametrize("case", HELPER_CASES)
@pytest.mark.parametrize("keep_weights", [True, False])
def test_the_helper_thread_gives_exactly_the_numbers_of_one_thread(monkeypatch, case, keep_weights):
    config = NetworkConfig(**({"layers": 5, "width": 40, "samples": 30, "seed": 9} | case))
    if not keep_weights:
        monkeypatch.setattr(network, "MAX_PEAK_BYTES", 0)  # every W_l is drawn again
    monkeypatch.setattr(network, "_OVERLAP_PRODUCT", 2**62)  # no helper thread
    monkeypatch.setattr(network, "_blas_on_one_thread", lambda: True)  # it measures too
    alone = simulate(config)
    threads = []
    original = network.sample_weights

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(network, "sample_weights", spy)
    monkeypatch.setattr(network, "_OVERLAP_PRODUCT", 1)  # the helper beside every layer
    beside = simulate(config)
    helped = [name for name in threads if name != threading.current_thread().name]
    if config.init == "orthogonal":
        assert not helped
    else:  # W_2 .. W_L at least (W_1 comes before the first product)
        assert len(helped) >= config.depth - 1
    assert_same_statistics(beside, alone)
    if config.keep_activations:
        for ours, theirs in zip(beside.activations, alone.activations, strict=True):
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "case",
    [
        dict(histogram_bins=12, repeats=2),
        dict(init="large_random", keep_activations=True, repeats=2, histogram_bins=12),
        dict(init="zeros", backward="none"),
        dict(backward="mean", dtype="float64", bias_std=0.5),
    ],
)
def test_layers_with_and_without_the_helper_give_the_numbers_of_one_thread(monkeypatch, case):
    # Widths 40 -> 8 -> 64 -> 16 -> 40 -> 40 with 30 samples: only the layers whose products
    # reach 30 x 40 x 40 multiply-adds run beside the helper, so the statistics left to the
    # backward pass are measured on both threads in one network.
    shape = dict(activation="relu", widths=(8, 64, 16, 40, 40), input_width=40, samples=30)
    config = NetworkConfig(**(shape | {"seed": 4} | case))
    monkeypatch.setattr(network, "_blas_on_one_thread", lambda: True)
    monkeypatch.setattr(network, "_OVERLAP_PRODUCT", 2**62)
    alone = simulate(config)
    calls = record_measures(monkeypatch)
    monkeypatch.setattr(network, "_OVERLAP_PRODUCT", 30 * 40 * 40)
    beside = simulate(config)
    threads = {thread for _, _, thread in calls}
    assert len(threads) == 2  # both threads measured
    assert_same_statistics(beside, alone)


def record_measures(monkeypatch) -> list[tuple[str, int, str]]:
    """A list that fills with (tensor, layer, thread name) for every statistics call of the
    simulations run after this."""
    calls: list[tuple[str, int, str]] = []
    runner_init = network._Runner.__init__

    def named_runner(self, *args, **kwargs):
        runner_init(self, *args, **kwargs)
        for name in ("pre", "post", "grad_post", "grad_pre", "grad_weight"):
            accumulator = getattr(self, name)
            accumulator.add = spy(accumulator.add, name)

    def spy(add, name):
        def add_and_record(repeat, layer, *args, **kwargs):
            calls.append((name, layer, threading.current_thread().name))
            return add(repeat, layer, *args, **kwargs)

        return add_and_record

    monkeypatch.setattr(network._Runner, "__init__", named_runner)
    monkeypatch.setattr(network, "_OVERLAP_PRODUCT", 1)  # the helper beside every layer
    return calls


@pytest.mark.parametrize(
    ("case", "one_blas_thread", "on_helper"),
    [
        (dict(activation="relu"), True, {"pre", "post", "grad_post", "grad_pre"}),
        (dict(activation="relu", dtype="float64"), True, {"pre", "post", "grad_post", "grad_pre"}),
        (dict(activation="relu", backward="none"), True, {"pre", "post"}),
        # Kept activations are not released in the backward pass: no room for dL/dz_l.
        (dict(activation="relu", keep_activations=True), True, {"post"}),
        (dict(activation="relu"), False, set()),  # BLAS on more threads: the product's to use
        (dict(activation="linear"), True, set()),  # a_l is z_l, dL/dz_l is dL/da_l: copied
        (dict(activation="tanh"), True, set()),  # its temporaries wait for the helper's draws
    ],
)
def test_the_helper_measures_what_nothing_changes_any_more(
    monkeypatch, case, one_blas_thread, on_helper
):
    # z_l, a_l once activated, dL/da_l and dL/dz_l are only read from then on (for ReLU, a_l
    # and dL/dz_l go to arrays of their own), so their statistics can run beside the next
    # product. z_l stays on the calling thread where it is kept (kept activations), and so
    # does dL/dW_l, measured after W_l is released.
    monkeypatch.setattr(network, "_blas_on_one_thread", lambda: one_blas_thread)
    calls = record_measures(monkeypatch)
    config = NetworkConfig(**({"layers": 4, "width": 16, "samples": 8, "seed": 3} | case))
    simulate(config)
    caller = threading.current_thread().name
    measured = {name for name, _, _ in calls}
    helped = {name for name, _, thread in calls if thread != caller}
    assert helped == on_helper
    assert {name for name, _, thread in calls if thread == caller} == measured - on_helper
    assert len(calls) == len(measured) * config.depth  # every tensor of every layer, once


@pytest.mark.parametrize("init", ["zeros", "large_random"])
def test_the_helper_hands_back_what_needs_large_temporaries(monkeypatch, init):
    # All-zero values take the two-pass variance and inf/NaN a finite copy: temporaries that
    # estimate_bytes counts on the calling thread only, so the helper hands those arrays back
    # and the calling thread measures them. (HELPER_CASES checks the numbers.)
    monkeypatch.setattr(network, "_blas_on_one_thread", lambda: True)
    calls = record_measures(monkeypatch)
    config = NetworkConfig(init=init, activation="relu", layers=60, width=64, samples=30)
    assert (simulate(config).first_nonfinite_layer is not None) is (init == "large_random")
    caller = threading.current_thread().name
    tried = [(name, layer) for name, layer, thread in calls if thread != caller]
    on_caller = [(name, layer) for name, layer, thread in calls if thread == caller]
    handed_back = [key for key in tried if key in on_caller]
    assert len(set(tried)) == len(tried) and len(set(on_caller)) == len(on_caller)
    assert len(calls) == 5 * config.depth + len(handed_back)  # each once, or tried and redone
    assert handed_back
    if init == "large_random":  # only the layers past the overflow
        assert len(handed_back) < len(tried)


def test_blas_on_one_thread_reads_the_libraries_thread_count_now():
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert network._blas_on_one_thread()
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        # A BLAS built for one core keeps one thread: the answer follows what it runs.
        counts = [
            p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"
        ]
        assert network._blas_on_one_thread() is (max(counts) == 1)


def test_counts_at_the_thresholds_are_exact_in_float32():
    # z = x * 1 in float32, so the pre-activations are these inputs exactly: float32 numbers
    # next to the flat threshold (which float32 rounds up) and next to 2, compared exactly.
    threshold = flat_threshold(get_activation("tanh"))
    near = np.float32(threshold)
    assert float(near) > threshold  # the nearest float32 is above the threshold
    values = [
        np.nextafter(near, np.float32(0)),
        near,
        np.nextafter(near, np.float32(3)),
        -near,
        np.float32(2.0),
        np.nextafter(np.float32(2.0), np.float32(3)),
        np.float32(-2.0),
        np.float32(-2.5),
        np.float32(0.0),
        np.float32(-0.5),
    ]
    exact = np.array(values, dtype=np.float64)
    config = NetworkConfig(
        init="constant",
        init_params=(("value", 1.0),),
        activation="tanh",
        widths=(1,),
        input_data=tuple((float(v),) for v in values),
    )
    result = simulate(config)
    assert result.pre.frac_flat[0] == np.mean(np.abs(exact) > threshold) == 7 / 10
    assert result.pre.frac_saturated[0] == np.mean(np.abs(exact) > 2) == 2 / 10
    assert result.pre.frac_zero[0] == 1 / 10
    assert result.input.frac_saturated[0] == 2 / 10
    assert result.pre.mean_abs[0] == pytest.approx(np.mean(np.abs(exact)), rel=1e-15)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_one_signed_values_sum_their_magnitudes(sign):
    # All of one sign (ReLU outputs; a negated input), where the sum of |x| is |sum x|.
    rows = tuple((sign * (row + 1.0), sign * 0.5 * row) for row in range(6))
    result = simulate(
        NetworkConfig(init="he_normal", activation="relu", widths=(3,), input_data=rows)
    )
    values = np.array(rows, dtype=np.float32).astype(np.float64)
    assert result.input.mean_abs[0] == pytest.approx(np.mean(np.abs(values)), rel=1e-15)
    assert result.input.mean_abs[0] > 0 and math.copysign(1.0, result.input.mean_abs[0]) == 1
    assert result.input.frac_zero[0] == np.mean(values == 0) == 1 / 12
    assert result.post.mean_abs[0] == result.post.mean[0] >= 0


@pytest.mark.parametrize(
    ("init", "activation", "bias_std", "backward"),
    [
        ("he_normal", "relu", 0.0, "random"),
        ("orthogonal", "tanh", 0.1, "random"),
        ("he_truncated_normal", "selu", 0.0, "mean"),
        ("large_random", "linear", 0.0, "random"),
    ],
)
def test_redrawn_weights_give_exactly_the_kept_weights_numbers(
    monkeypatch, init, activation, bias_std, backward
):
    config = NetworkConfig(
        init=init,
        activation=activation,
        layers=6,
        width=48,
        samples=40,
        bias_std=bias_std,
        backward=backward,
        repeats=2,
        seed=5,
    )
    assert all(network.kept_weights(config)[1:])
    kept = simulate(config)
    monkeypatch.setattr(network, "MAX_PEAK_BYTES", 0)  # nothing fits: every W_l is redrawn
    assert not any(network.kept_weights(config))
    assert network.redrawn_weights(config) == 5 * 48 * 48
    redrawn = simulate(config)
    for name in ("pre", "post", "grad_post", "grad_pre", "grad_weight"):
        for field in ("mean", "std", "rms", "max_abs", "nonfinite"):
            np.testing.assert_array_equal(
                getattr(getattr(redrawn, name), field), getattr(getattr(kept, name), field)
            )


def test_weights_that_do_not_fit_are_redrawn_from_the_top_layer_down(monkeypatch):
    config = NetworkConfig(layers=5, width=64, samples=10)
    matrix = 64 * 64 * 4
    # Room for two and a half matrices beside the rest: the top two are kept, never W_1.
    monkeypatch.setattr(network, "MAX_PEAK_BYTES", network._peak_bytes(config, 0) + 5 * matrix // 2)
    assert network.kept_weights(config) == (False, False, False, True, True)
    assert network.redrawn_weights(config) == 2 * 64 * 64
    # Products, the weights' normal draws (two redrawn), the input's draws, the statistics of
    # the input, z, a, both gradients and dL/dW of every layer.
    draws = network.DRAW_COSTS["normal"] * (7 * 64 * 64 + 10 * 64)
    statistics = network.STATISTICS_COST * (10 * 64 * (1 + 4 * 5) + 5 * 64 * 64)
    expected = 10 * 5 * 64 * 64 * 3 + draws + statistics
    assert network.network_cost(config).multiply_adds == expected
    assert not any(network.kept_weights(replace(config, backward="none")))


@pytest.mark.parametrize("init", SCHEME_NAMES)
def test_sample_weights_draws_the_initializers_numbers(init):
    initializer = get_initializer(init)
    for seed, (fan_in, fan_out) in enumerate([(37, 53), (300, 2), (2, 300)]):
        expected = initializer.sample(np.random.default_rng(seed), fan_in, fan_out)
        drawn = sample_weights(initializer, np.random.default_rng(seed), fan_in, fan_out)
        np.testing.assert_array_equal(drawn, expected.astype(np.float32))


def test_truncated_normal_weights_take_bounded_memory():
    initializer = get_initializer("he_truncated_normal")
    size = 512 * 1024
    peak = traced_peak(sample_weights, initializer, np.random.default_rng(0), 512, 1024)
    # The float64 uniform draws turned into the samples in place, and the float32 cast (scipy's
    # truncnorm.rvs held about 200 bytes per value).
    assert peak < 13 * size


def test_an_orthogonal_draw_costs_its_qr_factorization():
    # Drawing an (m, n) orthogonal matrix factors an (m, n) Gaussian matrix: the cost grows as
    # m n^2, so a square matrix twice as wide costs about 8 times as much, a normal draw 4.
    normal = [network.draw_cost("normal", n, n) for n in (256, 512)]
    orthogonal = [network.draw_cost("orthogonal", n, n) for n in (256, 512)]
    assert normal[1] == 4 * normal[0]
    assert 7 < orthogonal[1] / orthogonal[0] <= 8
    assert network.draw_cost("orthogonal", 512, 16) == network.draw_cost("orthogonal", 16, 512)
    with pytest.raises(ValueError, match="distribution must be one of"):
        network.draw_cost("gamma", 2, 2)


def test_slow_draws_lower_the_samples_of_a_wide_network():
    # The same network: truncated normal and orthogonal weights cost more to draw than uniform
    # ones, so within the same budget they leave room for fewer samples.
    base = NetworkConfig(init="he_uniform", layers=100, width=512, samples=10_000)
    used = {
        init: network.fit_samples(replace(base, init=init))[0].samples
        for init in ("he_uniform", "he_truncated_normal", "orthogonal")
    }
    assert used["he_uniform"] > used["he_truncated_normal"] > used["orthogonal"] >= 1


def test_memory_guard_uses_the_module_budget(monkeypatch):
    config = NetworkConfig(layers=2, width=16, samples=10)
    monkeypatch.setattr(network, "MEMORY_BUDGET_BYTES", estimate_bytes(config) - 1)
    with pytest.raises(ValueError, match="budget"):
        simulate(config)


# --- validation -----------------------------------------------------------------------------


INVALID_FIELDS = [
    ("layers", -1),
    ("layers", 0),
    ("layers", 1001),
    ("layers", 2.5),
    ("width", 0),
    ("width", 4097),
    ("widths", (8, 0)),
    ("widths", ()),
    ("input_width", 0),
    ("samples", 0),
    ("samples", 100_001),
    ("input_std", float("nan")),
    ("input_std", -1.0),
    ("input_std", float("inf")),
    ("bias_std", float("nan")),
    ("repeats", 0),
    ("repeats", 101),
    ("init", "glorot"),
    ("activation", "swish"),
    ("slope", 1.5),
    ("backward", "sum"),
    ("input_distribution", "laplace"),
    ("dtype", "float16"),
    ("seed", -1),
    ("histogram_edges", (1.0, 0.0)),
    ("histogram_edges", (1.0,)),
    ("input_data", ((1.0, float("nan")),)),
    ("input_data", ((1.0, 2.0), (3.0,))),
    ("input_data", (1.0, 2.0)),
    ("keep_activations", "yes"),
]


@pytest.mark.parametrize(("field", "value"), INVALID_FIELDS)
def test_invalid_fields_raise_value_error_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        NetworkConfig(**{field: value})


def test_init_params_are_checked_by_the_initializer():
    with pytest.raises(ValueError, match="slope"):
        NetworkConfig(init="he_normal", init_params=(("slope", -1.0),))
    with pytest.raises(ValueError, match="xavier_normal"):
        NetworkConfig(init="xavier_normal", init_params=(("slope", 0.1),))
    with pytest.raises(ValueError, match="init_params"):
        NetworkConfig(init="he_normal", init_params=("slope",))


def test_config_is_normalized_and_hashable():
    config = NetworkConfig(
        widths=[4, 4], init="he_normal", init_params=[("slope", 0), ("mode", "fan_in")]
    )
    assert config.widths == (4, 4)
    assert config.init_params == (("mode", "fan_in"), ("slope", 0.0))
    same = NetworkConfig(widths=(4, 4), init_params=(("slope", 0.0), ("mode", "fan_in")))
    assert hash(config) == hash(same) and config == same
    assert cached_simulate(config) is cached_simulate(same)


def test_simulate_refuses_other_objects():
    with pytest.raises(ValueError, match="config"):
        simulate({"layers": 3})


BAD_VALUES = {
    "layers": st.one_of(st.integers(max_value=0), st.integers(min_value=1001)),
    "width": st.one_of(st.integers(max_value=0), st.integers(min_value=4097)),
    "samples": st.integers(max_value=0),
    "repeats": st.one_of(st.integers(max_value=0), st.integers(min_value=101)),
    "input_std": st.one_of(
        st.just(float("nan")), st.floats(max_value=-1e-9), st.floats(min_value=1.1e6)
    ),
    "bias_std": st.one_of(st.just(float("nan")), st.floats(max_value=-1e-9)),
    "slope": st.one_of(st.just(float("nan")), st.floats(min_value=1.01, allow_infinity=False)),
    "init": st.text(max_size=12).filter(lambda name: name not in SCHEME_NAMES),
    "activation": st.text(max_size=12).filter(lambda name: name not in ACTIVATION_NAMES),
    "dtype": st.sampled_from(["float16", "int8", "", "bfloat16"]),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), field=st.sampled_from(sorted(BAD_VALUES)))
def test_hypothesis_invalid_values_raise_value_error_naming_the_field(data, field):
    value = data.draw(BAD_VALUES[field])
    with pytest.raises(ValueError) as error:
        NetworkConfig(**{field: value})
    assert field in str(error.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    init=st.sampled_from(SCHEME_NAMES),
    activation=st.sampled_from(ACTIVATION_NAMES),
    widths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    samples=st.integers(1, 12),
    input_std=st.floats(0.0, 100.0),
    bias_std=st.floats(0.0, 10.0),
    repeats=st.integers(1, 3),
    dtype=st.sampled_from(["float32", "float64"]),
    backward=st.sampled_from(["random", "mean"]),
    distribution=st.sampled_from(["normal", "uniform"]),
    edges=st.sampled_from([None, (-3.0, 0.0, 3.0), (-1.0, 1.0)]),
    seed=st.integers(0, 2**32),
)
def test_hypothesis_small_valid_configs_never_raise_or_warn(
    init,
    activation,
    widths,
    samples,
    input_std,
    bias_std,
    repeats,
    dtype,
    backward,
    distribution,
    edges,
    seed,
):
    config = NetworkConfig(
        init=init,
        activation=activation,
        widths=tuple(widths),
        samples=samples,
        input_std=input_std,
        bias_std=bias_std,
        repeats=repeats,
        dtype=dtype,
        backward=backward,
        input_distribution=distribution,
        histogram_edges=edges,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = simulate(config)
        rows = result.rows()
    assert len(rows) == len(widths) == len(result.post)
    assert np.all(result.post.count == repeats * samples * np.array(widths))
    json.dumps(rows, allow_nan=False)


def test_forward_only_mode_skips_the_gradients_and_keeps_the_forward_pass():
    base = dict(init="he_normal", activation="relu", layers=4, width=32, samples=64, seed=3)
    full = simulate(NetworkConfig(**base))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forward = simulate(NetworkConfig(**base, backward="none"))
    # The backward noise is drawn last, so the forward pass is identical.
    np.testing.assert_array_equal(forward.post.std, full.post.std)
    np.testing.assert_array_equal(forward.pre.rms, full.pre.rms)
    assert np.all(np.isnan(forward.grad_post.std)) and np.all(np.isnan(forward.grad_weight.std))
    assert np.all(forward.grad_post.count == 0)
    assert forward.backward_overflow_message is None
    assert all(row["grad_post_std"] is None for row in forward.rows())
    assert np.all(np.isfinite(full.grad_post.std))


def test_truncated_normal_weights_are_scipys_inverse_cdf_of_the_same_uniforms():
    # scipy's truncnorm.rvs transforms rng.uniform draws by truncnorm.ppf; the in-place ndtri
    # transform gives the same numbers up to float64 rounding (measured 2e-15 relative).
    initializer = get_initializer("he_truncated_normal")
    sigma = initializer.untruncated_std(300, 200)
    drawn = sample_weights(initializer, np.random.default_rng(7), 300, 200, dtype="float64")
    expected = scipy_stats.truncnorm.rvs(
        -2.0, 2.0, scale=sigma, size=(300, 200), random_state=np.random.default_rng(7)
    )
    np.testing.assert_allclose(drawn, expected, rtol=0, atol=1e-13 * sigma)
