"""Engine tests of lab.gradient_flow: uniform (rand, U(-1, 1), U(-sqrt3, sqrt3)) versus N(0, 1)
weights in a deep tanh network.

Pinned to reference.md (U(-b, b) has variance b^2/3; the 004 errata: rand saturates tanh, the
variance gap explains U(-1, 1), matched variances give the same gradients within noise), to
lab.theory's mean-field computation (an independent path: quadrature, no sampling) and to
lab.network.simulate run directly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.activations import get_activation
from lab.gradient_flow import (
    DEFAULT_SAMPLES,
    DEFAULT_SWEEP_VALUES,
    LIMITS,
    MAX_RUNS,
    SWEEP_PARAMETERS,
    SWEEP_RANGES,
    TANH_FLAT_THRESHOLD,
    UNIFORM_KINDS,
    compare,
    estimate_work,
    gradient_ratio,
    many_runs,
    network_config,
    sweep,
    weight_scheme,
)
from lab.health import SATURATION_SLOPE, flat_threshold
from lab.network import NetworkConfig, simulate
from lab.theory import expected_dphi2, predict


@pytest.fixture(scope="module")
def rand_default():
    return compare(uniform="rand")


@pytest.fixture(scope="module")
def matched_default():
    return compare(uniform="matched")


# --------------------------------------------------------------------------- schemes


def test_scheme_moments_follow_the_uniform_and_normal_formulas():
    # U[0, 1): mean 1/2, variance 1/12; U(-b, b): mean 0, variance b^2/3 (reference.md).
    rand = weight_scheme("rand")
    assert (rand.mean, rand.variance) == pytest.approx((0.5, 1 / 12), rel=1e-12)
    assert rand.second_moment == pytest.approx(1 / 3, rel=1e-12)
    centered = weight_scheme("centered")
    assert (centered.mean, centered.variance) == pytest.approx((0.0, 1 / 3), abs=1e-12)
    matched, normal = weight_scheme("matched"), weight_scheme("normal")
    assert matched.variance == pytest.approx(math.sqrt(3) ** 2 / 3, rel=1e-12)
    assert matched.variance == pytest.approx(normal.variance, rel=1e-12) == 1.0
    assert matched.mean == normal.mean == 0.0
    assert [weight_scheme(k).label for k in UNIFORM_KINDS] == [
        "rand: U[0, 1)",
        "U(-1, 1)",
        "matched variance U(-√3, √3)",
    ]


def test_sampled_weights_have_the_stated_moments():
    # 200_000 draws: the standard error of the sample variance of U(-1, 1) is about
    # sqrt((E[w^4] - Var^2) / N) = sqrt((1/5 - 1/9) / 2e5) = 6.7e-4; 5e-3 is over 7 of them.
    rng = np.random.default_rng(3)
    for kind in (*UNIFORM_KINDS, "normal"):
        scheme = weight_scheme(kind)
        config = NetworkConfig(init=scheme.init, init_params=scheme.init_params)
        draws = config.initializer().sample(rng, 400, 500)
        assert draws.mean() == pytest.approx(scheme.mean, abs=5e-3)
        assert draws.var() == pytest.approx(scheme.variance, abs=5e-3 * max(1, scheme.variance))


# --------------------------------------------------------------------------- compare


def test_rand_saturates_tanh_and_its_gradient_dies(rand_default):
    uniform, normal = rand_default.uniform, rand_default.normal
    # All-positive weights with mean 1/2: each unit of layer l >= 2 sums ~50 inputs of the same
    # sign (|a| ~ 1), so |z| ~ 50 * 1/2 = 25, far past lab.health's threshold 1.82.
    assert uniform.z.saturated_share > 0.95
    assert normal.z.saturated_share < 0.85
    # Unsaturated share: 1 - 0.972 = 0.028 for rand against 0.21 for randn.
    assert (1 - normal.z.saturated_share) > 5 * (1 - uniform.z.saturated_share)
    assert uniform.z.mean_abs > 3 * normal.z.mean_abs
    # Deep layers: |z| = |sum_i w_i a_i| with a_i = +-1 (all one sign) is a sum of 50 U[0, 1)
    # draws, mean 25 and std sqrt(50/12) = 2.0 per unit; averaged over 64 x 50 values, 10%.
    assert uniform.mean_abs_z_per_layer[-1] == pytest.approx(50 / 2, rel=0.10)
    # tanh'(25) = 4 exp(-50) rounds to 0: not a small gradient but exactly none.
    assert uniform.final_gradient == 0.0
    assert uniform.zero_gradient_layers == tuple(range(1, 11))
    assert normal.zero_gradient_layers == ()
    assert rand_default.ratio == math.inf
    assert rand_default.winner == "normal"


def test_matched_variance_gives_the_same_pre_activations(matched_default):
    uniform, normal = matched_default.uniform, matched_default.normal
    # Same mean and variance: by the central limit theorem z has the same law. Across 10 seeds
    # the relative gap in mean |z| scattered by 0.5% and the saturated-share gap by 0.004;
    # the tolerances are 5 of those.
    assert uniform.z.mean_abs == pytest.approx(normal.z.mean_abs, rel=0.025)
    assert uniform.z.saturated_share == pytest.approx(normal.z.saturated_share, abs=0.02)
    assert uniform.zero_gradient_layers == normal.zero_gradient_layers == ()


@pytest.mark.parametrize("kind", ["normal", "centered", "matched"])
def test_pre_activation_spread_matches_mean_field_theory(kind):
    # Pooled over layers (zero means), Var(z) = mean over l of q_l, q_l from lab.theory's
    # length map by quadrature. At width 200 the seed-to-seed scatter of this std was 0.15%;
    # 2% leaves room for the O(1/width) finite-size correction.
    scheme = weight_scheme(kind)
    theory = predict(scheme.init, "tanh", 10, 200, input_width=64, init_params=scheme.init_params)
    result = compare(10, 200, 64, 64, seed=1, uniform="matched" if kind == "normal" else kind)
    flow = result.normal if kind == "normal" else result.uniform
    assert flow.z.std == pytest.approx(math.sqrt(theory.pre_var.mean()), rel=0.02)


def test_both_backward_passes_start_from_the_same_output_gradient():
    # L = mean(a_L): dL/da_L = 1 / (samples * neurons) everywhere (float32 rounding).
    result = compare(layers=4, neurons=30, features=16, samples=40, uniform="centered")
    assert result.output_gradient == pytest.approx(1 / (40 * 30), rel=1e-6)
    for scheme in (result.uniform.scheme, result.normal.scheme):
        config = NetworkConfig(
            init=scheme.init,
            init_params=scheme.init_params,
            activation="tanh",
            layers=4,
            width=30,
            input_width=16,
            samples=40,
            backward="mean",
            seed=0,
        )
        direct = simulate(config)
        assert direct.grad_post.mean_abs[-1] == result.output_gradient
        flow = result.uniform if scheme.kind == "centered" else result.normal
        # The gradient per layer is the engine's mean |dL/dW_l| of that same network.
        np.testing.assert_array_equal(flow.gradient, direct.grad_weight.mean_abs)
        assert flow.final_gradient == direct.grad_weight.mean_abs[0]


def test_z_histogram_accounts_for_every_value(rand_default, matched_default):
    for result in (rand_default, matched_default):
        for flow in (result.uniform, result.normal):
            z = flow.z
            assert z.count == DEFAULT_SAMPLES * 50 * 10
            assert z.counts.sum() + z.above + z.nonfinite == z.count
            assert z.above == 0 and z.nonfinite == 0
            np.testing.assert_array_equal(z.edges, result.uniform.z.edges)  # shared edges
            assert z.edges[0] == 0 and z.edges[-1] > flow.mean_abs_z_per_layer.max()
            # lab.health's threshold is a bin edge, so the histogram's mass above it is the
            # saturated share the engine counted on its own (a float32 z within 1e-12 of the
            # irrational 1.8184... does not occur).
            threshold = flat_threshold(get_activation("tanh"))
            (edge,) = np.flatnonzero(np.isclose(z.edges, threshold, rtol=0, atol=1e-12))
            assert z.counts[edge:].sum() / z.count == pytest.approx(z.saturated_share, abs=1e-9)
            # The histogram's mean from bin centres is within half a bin of the exact mean |z|.
            centres = (z.edges[:-1] + z.edges[1:]) / 2
            width = z.edges[1] - z.edges[0]
            assert abs(centres @ z.counts / z.count - z.mean_abs) <= width / 2


def test_saturation_is_lab_health_definition_counted_on_the_same_z():
    # lab.health: a unit is saturated when its slope is below SATURATION_SLOPE of the
    # activation's maximum, tanh'(0) = 1. Counted here on the very z values of both networks
    # (same configs, same seed: the draws are identical), by the slope, not by |z|.
    sizes = {"layers": 6, "neurons": 40, "features": 32, "samples": 50}
    result = compare(**sizes, seed=3, uniform="centered")
    tanh = get_activation("tanh")
    assert TANH_FLAT_THRESHOLD == flat_threshold(tanh) == pytest.approx(1.8184464592, rel=1e-9)
    for flow in (result.uniform, result.normal):
        kept = simulate(network_config(flow.scheme, 3, keep=True, **sizes))
        z = [layer.astype(np.float64).ravel() for layer in kept.pre_activations]
        flat = [tanh.derivative(layer) < SATURATION_SLOPE * tanh.derivative(0.0) for layer in z]
        expected = [float(np.mean(layer)) for layer in flat]
        np.testing.assert_allclose(flow.saturated_share_per_layer, expected, rtol=0, atol=1e-12)
        pooled = float(np.mean(np.concatenate(flat)))
        assert flow.z.saturated_share == pytest.approx(pooled, abs=1e-12)
        # Not the old |z| > 2 count: here 4.2% (uniform) and 2.5% (normal) of z lie in (1.82, 2].
        beyond_two = float(np.mean(np.abs(np.concatenate(z)) > 2.0))
        assert flow.z.saturated_share - beyond_two > 0.02


def test_compare_is_deterministic_and_seed_dependent():
    first = compare(layers=5, neurons=20, features=8, samples=16, seed=7, uniform="matched")
    again = compare(layers=5, neurons=20, features=8, samples=16, seed=7, uniform="matched")
    other = compare(layers=5, neurons=20, features=8, samples=16, seed=8, uniform="matched")
    for a, b in ((first.uniform, again.uniform), (first.normal, again.normal)):
        np.testing.assert_array_equal(a.gradient, b.gradient)
        np.testing.assert_array_equal(a.z.counts, b.z.counts)
    assert first.ratio == again.ratio
    assert not np.array_equal(first.normal.gradient, other.normal.gradient)


def test_gradient_rows_list_both_schemes_per_layer():
    result = compare(layers=3, neurons=8, features=4, samples=8, uniform="centered")
    rows = result.gradient_rows()
    assert [(r["scheme"], r["layer"]) for r in rows] == [
        ("U(-1, 1)", 1),
        ("U(-1, 1)", 2),
        ("U(-1, 1)", 3),
        ("randn: N(0, 1)", 1),
        ("randn: N(0, 1)", 2),
        ("randn: N(0, 1)", 3),
    ]
    assert rows[3]["gradient"] == result.normal.final_gradient


# --------------------------------------------------------------------------- many runs


def test_rand_loses_every_run():
    stats = many_runs(20, uniform="rand")
    assert stats.n_runs == 20
    np.testing.assert_array_equal(stats.seeds, np.arange(20))
    assert stats.uniform_dead == 20 and stats.normal_dead == 0
    assert stats.normal_wins == 20 and stats.normal_win_share == 1.0
    assert stats.uniform_mean == 0.0 and stats.uniform_geometric_mean == 0.0
    assert stats.ratio_of_means == math.inf
    assert math.isnan(stats.log_ratio_mean)  # no run where both are alive
    assert set(stats.run_winners) == {"normal"}
    assert np.all(np.isinf(stats.run_ratios))


def test_centered_uniform_loses_by_the_variance_gap_mean_field_predicts():
    # U(-1, 1) has a third of randn's variance. Mean-field (lab.theory, no sampling): the first
    # layer's gradient variance is Var(dL/da_L) * prod_{l>=2} chi_l * E[tanh'(z_1)^2] with
    # chi_l = sw2 E[tanh'(z_l)^2], so ln(ratio) = 0.5 ln(normal / centered) of that product.
    layers, neurons, runs = 10, 200, 30
    predicted = {}
    for kind in ("normal", "centered"):
        scheme = weight_scheme(kind)
        theory = predict(
            scheme.init, "tanh", layers, neurons, input_width=64, init_params=scheme.init_params
        )
        predicted[kind] = theory.grad_var[0] * float(expected_dphi2("tanh", theory.pre_var[0]))
    expected = 0.5 * math.log(predicted["normal"] / predicted["centered"])
    stats = many_runs(runs, layers=layers, neurons=neurons, uniform="centered")
    assert stats.normal_wins == runs
    standard_error = stats.log_ratio_std / math.sqrt(runs)
    # Finite width corrects each layer's chi by O(1/width): over 9 layers at width 200 a few
    # percent of the log ratio (measured 6%); 10% of it plus 3 standard errors.
    assert abs(stats.log_ratio_mean - expected) <= 0.1 * expected + 3 * standard_error
    assert expected > 1.5  # the gap is large: more than a factor e^1.5 = 4.5


def test_matched_variance_splits_the_runs_about_evenly():
    # Same mean, same variance, wide layers: no systematic winner. With N runs the win share
    # has binomial standard error 0.5 / sqrt(N) and the mean log ratio sd / sqrt(N); both are
    # allowed 3 standard errors.
    runs = 40
    stats = many_runs(runs, layers=10, neurons=200, uniform="matched")
    assert abs(stats.normal_win_share - 0.5) <= 3 * 0.5 / math.sqrt(runs)
    standard_error = stats.log_ratio_std / math.sqrt(runs)
    assert abs(stats.log_ratio_mean) <= 3 * standard_error
    assert abs(math.log(stats.ratio_of_means)) <= 3 * standard_error + 0.02
    assert stats.uniform_dead == stats.normal_dead == 0
    assert stats.normal_wins + stats.uniform_wins + stats.ties == runs


def test_many_runs_summaries_match_the_per_run_values():
    stats = many_runs(12, layers=4, neurons=16, features=8, samples=16, uniform="centered")
    assert stats.normal_mean == pytest.approx(stats.normal_final.mean(), rel=1e-12)
    assert stats.uniform_geometric_mean == pytest.approx(
        math.exp(np.log(stats.uniform_final).mean()), rel=1e-12
    )
    np.testing.assert_allclose(stats.run_ratios, stats.normal_final / stats.uniform_final)
    assert stats.normal_wins == int(np.sum(stats.normal_final > stats.uniform_final))
    again = many_runs(12, layers=4, neurons=16, features=8, samples=16, uniform="centered")
    np.testing.assert_array_equal(stats.normal_final, again.normal_final)
    shifted = many_runs(
        11, layers=4, neurons=16, features=8, samples=16, seed=1, uniform="centered"
    )
    # Run i uses seed + i: seeds 1..11 repeat runs 2..12 of the first call.
    np.testing.assert_array_equal(shifted.normal_final, stats.normal_final[1:])


# --------------------------------------------------------------------------- sweeps


def test_default_sweeps_stay_inside_the_demo_ranges():
    for parameter in SWEEP_PARAMETERS:
        low, high = SWEEP_RANGES[parameter]
        values = DEFAULT_SWEEP_VALUES[parameter]
        assert values[0] == low and values[-1] == high
        assert list(values) == sorted(set(values))
        assert high <= LIMITS[parameter][1]


def test_sweep_shapes_and_base_configuration():
    result = sweep("features", [1, 8, 32], layers=3, neurons=12, samples=16, n_seeds=2)
    assert result.values.tolist() == [1, 8, 32]
    assert result.base == {"layers": 3, "neurons": 12}
    assert result.seeds == (0, 1)
    for array in (result.normal_final, result.uniform_final, result.ratio, result.normal_wins):
        assert array.shape == (3,)
    assert result.run_ratios.shape == (3, 2)
    assert len(result.rows()) == 3 and result.rows()[1]["features"] == 8
    # Each point is the mean over seeds of the same runs compare() would make.
    single = compare(layers=3, neurons=12, features=8, samples=16, seed=1, uniform="rand")
    assert result.run_ratios[1, 1] == pytest.approx(single.ratio, rel=1e-12) or (
        math.isinf(result.run_ratios[1, 1]) and math.isinf(single.ratio)
    )
    again = sweep("features", [1, 8, 32], layers=3, neurons=12, samples=16, n_seeds=2)
    np.testing.assert_array_equal(result.ratio, again.ratio)


def test_centered_ratio_grows_with_depth():
    # The variance gap costs a roughly constant factor per layer, so ln(ratio) rises about
    # linearly with depth: the rank correlation is near 1 and 12 layers beat 1 layer by far.
    result = sweep("layers", [1, 2, 4, 6, 8, 10, 12], neurons=50, samples=32, uniform="centered")
    ranks = np.argsort(np.argsort(result.ratio))
    spearman = np.corrcoef(ranks, np.arange(len(ranks)))[0, 1]
    assert spearman > 0.9
    assert result.ratio[-1] > 10 * result.ratio[0]


def test_rand_dies_with_depth_and_width():
    depth = sweep("layers", [1, 6, 12], neurons=50, samples=32, uniform="rand")
    # One layer: its |z| ~ N(0, 64/3) is often below 2, the gradient lives; deeper: dead.
    assert math.isfinite(depth.ratio[0])
    assert np.all(np.isinf(depth.ratio[1:]))
    assert depth.dead_values == (6, 12)  # what the page counts as ▲ ∞
    width = sweep("neurons", [1, 100], layers=10, samples=32, uniform="rand")
    # With one neuron |z| <= |w| * |a| < 1 after layer 1: no saturation, no death.
    assert math.isfinite(width.ratio[0]) and math.isinf(width.ratio[1])


def test_matched_ratio_approaches_one_as_layers_widen():
    # Central limit theorem: with 1 neuron the weights' shape still shows (E ln|w| differs:
    # -0.64 for N(0, 1), -0.45 for U(-sqrt3, sqrt3)); with 100 it does not.
    result = sweep("neurons", [1, 100], layers=10, samples=32, n_seeds=6, uniform="matched")
    narrow, wide = np.abs(np.log(result.ratio))
    assert wide < narrow
    assert wide < 0.3  # 6 seeds at width 100: run-to-run sd ~0.3 in ln, so SE ~0.12


# --------------------------------------------------------------------------- ratio, validation


def test_gradient_ratio_spells_out_zero_and_overflow():
    assert gradient_ratio(2.0, 0.5) == 4.0
    assert gradient_ratio(1.0, 0.0) == math.inf
    assert math.isnan(gradient_ratio(0.0, 0.0))
    assert math.isnan(gradient_ratio(math.nan, 1.0))
    assert gradient_ratio(0.0, 3.0) == 0.0


def test_estimate_work_counts_forward_and_backward_products():
    # 3 products per layer: forward a W, backward dL/dz W^T and a^T dL/dz.
    assert estimate_work(1, layers=2, neurons=3, features=5, samples=7) == 3 * 7 * (5 * 3 + 3 * 3)


BAD_CALLS = [
    (lambda: compare(layers=0), "layers must be an integer in [1, 50]; got 0"),
    (lambda: compare(neurons=513), "neurons must be an integer in [1, 512]; got 513"),
    (lambda: compare(features=2.5), "features must be an integer in [1, 512]; got 2.5"),
    (lambda: compare(samples=0), "samples must be an integer in [1, 1024]; got 0"),
    (lambda: compare(seed=-1), "seed must be an integer in [0, 4.29497e+09]; got -1"),
    (lambda: compare(uniform="bell"), "uniform must be one of rand, centered, matched"),
    (lambda: compare(bins=0), "bins must be an integer in [1, 1000]; got 0"),
    (lambda: sweep("depth"), "parameter must be one of layers, neurons, features"),
    (lambda: sweep("layers", [0]), "layers must be an integer in [1, 50]; got 0"),
    (lambda: sweep("layers", []), "values must hold 1 to 200 integers; got 0"),
    (lambda: sweep("layers", "12"), "values must be a sequence of integers"),
    (lambda: sweep("neurons", n_seeds=0), "n_seeds must be an integer in [1, 50]; got 0"),
    (lambda: many_runs(0), f"n_runs must be an integer in [1, {MAX_RUNS}]; got 0"),
    (lambda: many_runs(True), "n_runs must be an integer"),
    (
        lambda: many_runs(500, layers=50, neurons=512, features=512, samples=1024),
        "multiply-adds, over the budget of 5e+10; reduce the number of runs",
    ),
    (lambda: gradient_ratio(-1.0, 1.0), "normal must be a number >= 0"),
    (lambda: gradient_ratio(1.0, "x"), "uniform must be a number >= 0"),
    (lambda: weight_scheme("triangle"), "kind must be one of rand, centered, matched, normal"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_bad_arguments_raise_value_errors_naming_the_parameter(call, message):
    with pytest.raises(ValueError, match=None) as error:
        call()
    assert message in str(error.value)


@settings(max_examples=25, deadline=None)
@given(
    layers=st.integers(1, 4),
    neurons=st.integers(1, 12),
    features=st.integers(1, 12),
    samples=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(UNIFORM_KINDS),
)
def test_small_configurations_never_raise_or_warn(layers, neurons, features, samples, seed, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare(layers, neurons, features, samples, seed, kind)
    assert result.uniform.gradient.shape == result.normal.gradient.shape == (layers,)
    for flow in (result.uniform, result.normal):
        assert flow.z.counts.sum() + flow.z.above + flow.z.nonfinite == flow.z.count
        assert 0.0 <= flow.z.saturated_share <= 1.0
    expected_winner = (
        "normal"
        if result.normal.final_gradient > result.uniform.final_gradient
        else "uniform"
        if result.uniform.final_gradient > result.normal.final_gradient
        else "tie"
    )
    assert result.winner == expected_winner
