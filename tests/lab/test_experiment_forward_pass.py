"""Engine tests of lab/experiments/forward_pass.py: the page's one result against lab.presets,
lab.network and lab.theory, the declared ranges, and the budget.

Every number the result carries is compared with an independent call of the module it comes
from (same config, same seed: the draws are identical), or with the mean-field recursion worked
out by hand (reference.md: Xavier + ReLU halves E[a^2] per layer).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lab import presets
from lab.budget import MAX_MULTIPLY_ADDS, MAX_PEAK_BYTES
from lab.controls.forward_pass import CONTROLS
from lab.diagnosis import advise, scheme_fit
from lab.experiments.forward_pass import (
    COMPARISON_MIN_SAMPLES,
    COMPARISON_PRIORITY,
    HISTOGRAM_PANELS,
    Config,
    LineChart,
    Series,
    axis_decades,
    config_from_values,
    fit_network_view,
    fit_networks,
    fmt,
    network_config,
    overlapping_series,
    pair_configs,
    run,
)
from lab.health import band_text
from lab.initializers import get_initializer
from lab.network import network_cost, simulate
from lab.theory import predict

#: A small custom network, quick to simulate.
SMALL = Config(view="network", layers=3, width=16, samples=60, seed=2)


def series_values(chart, name):
    (series,) = [s for s in chart.series if s.name == name]
    return series.x, series.y


# --------------------------------------------------------------------------- configuration


def test_config_defaults_are_the_declared_defaults():
    assert config_from_values({}) == Config() == config_from_values(CONTROLS.defaults())
    assert Config().view == "five_layers"
    # A scheme parameter left out takes its control's default: one config per network.
    assert Config(init="he_normal") == Config(
        init="he_normal", init_params=(("mode", "fan_in"), ("slope", 0.0))
    )


def test_config_from_values_reads_the_scheme_and_activation_parameters():
    values = {"view": "network", "init": "normal", "std": 0.2, "activation": "leaky_relu"}
    config = config_from_values(values | {"leaky_slope": 0.1, "gain": 2.0})
    # gain belongs to other schemes: only the chosen scheme's parameters are kept.
    assert config.init_params == (("std", 0.2),)
    assert config.leaky_slope == 0.1
    network = network_config(config)
    assert network.initializer().label == "Normal (std 0.2)"
    assert network.activation_function().params["slope"] == 0.1
    he = config_from_values({"init": "he_normal", "slope": 0.3, "mode": "fan_out"})
    assert he.init_params == (("mode", "fan_out"), ("slope", 0.3))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layers": 101}, r"layers must be an integer in \[1, 100\]; got 101"),
        ({"width": 1}, rf"width must be an integer in \[2, {CONTROLS['width'].high}\]"),
        ({"samples": 10_001}, r"samples must be an integer in \[1, 10000\]"),
        ({"view": "bogus"}, "view must be one of five_layers, network"),
        ({"activation": "softmax"}, "activation must be one of"),
        ({"repeats": 3}, "reps must be one of 1, 10, 50"),
        ({"repeats": 2.0}, "reps must be one of"),
        ({"pair_layers": 21}, r"pair_layers must be an integer in \[1, 20\]"),
        ({"input_std": 0.3}, "input_std must be one of"),
        ({"init": "normal", "init_params": (("std", 0.3),)}, "std must be one of"),
        ({"init_params": (("std", 0.2),)}, "takes gain; got std"),
    ],
)
def test_config_refuses_what_the_page_does_not_declare(change, message):
    with pytest.raises(ValueError, match=message):
        Config(**change)


def test_config_from_values_refuses_undeclared_names():
    with pytest.raises(ValueError, match="has no control 'act'"):
        config_from_values({"act": "relu"})
    with pytest.raises(ValueError, match="config must be a forward_pass.Config"):
        run({"view": "network"})


# --------------------------------------------------------------------------- network views


def test_five_layers_matches_the_engine_and_the_theory():
    config = Config(init="he_normal", activation="tanh", input_std=2.0, bias_std=0.1, seed=3)
    result = run(config)
    view = result.network
    assert result.budget_note == "" and result.pair is None and result.sweep is None
    assert (view.layers, view.width, view.samples) == (
        presets.FIVE_LAYERS_DEPTH,
        presets.FIVE_LAYERS_WIDTH,
        presets.FIVE_LAYERS_SAMPLES,
    )
    engine = presets.layer_histograms(network_config(config))
    assert view.label == engine.label == "He/Kaiming normal + tanh"
    hist = view.histograms
    assert hist.band == presets.HISTOGRAM_BAND == (-3.0, 3.0)
    assert hist.shown == (1, 2, 3, 4, 5)
    for kind, tensor in (("pre", engine.pre), ("post", engine.post)):
        (panels,) = hist.panels[kind]
        for panel in panels:
            i = panel.layer - 1
            # Each panel on its own layer's edges (the engine's), the band marked on every one.
            assert panel.edges == tuple(tensor.edges[i]) and panel.band == hist.band
            assert panel.counts == tuple(tensor.counts[i])
            assert (panel.below, panel.above, panel.nonfinite) == (
                tensor.below[i],
                tensor.above[i],
                tensor.nonfinite[i],
            )
            assert panel.title.startswith(f"Layer {panel.layer} · std {tensor.std[i]:.3g}")
    # The theory lines are lab.theory.predict of the same network, layer 0 being the input.
    theory = predict("he_normal", "tanh", 5, 100, input_std=2.0, bias_std=0.1)
    x, y = series_values(view.std_chart, "this network")
    assert x == (0, 1, 2, 3, 4, 5)
    np.testing.assert_array_equal(y, [engine.result.input.std[0], *engine.result.post.std])
    (dashed,) = view.std_chart.theory
    np.testing.assert_allclose(dashed.y, [2.0, *theory.post_std], rtol=1e-12)
    pre, post = view.variance_chart.theory
    np.testing.assert_allclose(pre.y, theory.pre_var, rtol=1e-12)
    np.testing.assert_allclose(post.y, theory.post_var, rtol=1e-12)
    assert view.state.message == engine.diagnosis.message
    assert view.state.healthy == (engine.diagnosis.state == "healthy")
    assert len(view.layer_rows) == 5 and not any("grad" in key for key in view.layer_rows[0])


def test_xavier_relu_theory_halves_the_second_moment_per_layer():
    view = run(Config(view="network", layers=6, width=32, samples=50)).network
    (dashed,) = view.std_chart.theory
    pre, _ = view.variance_chart.theory
    # reference.md: Xavier (1/n) + ReLU: E[z_l^2] = 2^-(l-1) for a unit input.
    np.testing.assert_allclose(pre.y, 2.0 ** -np.arange(6), rtol=1e-12)
    assert dashed.x[0] == 0 and dashed.y[0] == 1.0


def test_comparison_rows_are_the_five_classic_inits_in_the_same_network():
    result = run(SMALL)
    view = result.network
    outcomes = presets.init_comparison(network_config(SMALL))
    assert [row["scheme"] for row in view.comparison_rows] == [o.label for o in outcomes]
    assert [row["state"] for row in view.comparison_rows] == [o.state for o in outcomes]
    assert [row["final std"] for row in view.comparison_rows] == [
        f"{o.final_std:.3g}" for o in outcomes
    ]
    for outcome in outcomes:
        _, y = series_values(view.comparison, outcome.label)
        np.testing.assert_array_equal(y, [outcome.input_std, *outcome.post_std])
    assert view.state_band == f"the lab's states: {band_text()}"


def test_no_theory_line_when_the_theory_does_not_apply():
    view = run(replace(SMALL, init="rand", init_params=())).network
    assert view.std_chart.theory == () and view.variance_chart.theory == ()
    assert "mean" in view.theory_reason


def test_a_deep_network_shows_evenly_spaced_layers_and_flags_an_overflow():
    config = replace(
        SMALL, init="large_random", init_params=(), activation="linear", layers=50, width=64
    )
    view = run(config).network
    hist = view.histograms
    assert len(hist.shown) == HISTOGRAM_PANELS and hist.shown[0] == 1 and hist.shown[-1] == 50
    assert not view.state.healthy and "overflow at layer" in view.state.message
    assert hist.panels["pre"][0][-1].nonfinite == 60 * 64
    # Before the overflow every shown layer fills its own axis, however far it has grown: with
    # a fixed [-3, 3] window these layers were empty frames.
    finite = [panel for panel in hist.panels["pre"][0] if panel.nonfinite == 0]
    assert len(finite) >= 3
    for panel in finite:
        assert sum(panel.counts) >= 0.99 * 60 * 64
        assert panel.edges[-1] - panel.edges[0] > 0
    assert finite[-1].edges[-1] > 1e10  # N(0, 1) weights, 64 wide: x8 per layer


# --------------------------------------------------------------------------- budget


def comparison_cost(requested, budget):
    """Multiply-adds and peak bytes of the view's networks as the budget runs them."""
    chosen = presets.comparison_configs(requested, budget.compared) if budget.compared else ()
    costs = [network_cost(replace(requested, samples=budget.samples.used))] + [
        network_cost(replace(c, samples=budget.comparison_samples)) for c in chosen
    ]
    return sum(c.multiply_adds for c in costs), max(c.peak_bytes for c in costs)


def test_comparison_priority_ranks_every_classic_init_once():
    assert sorted(COMPARISON_PRIORITY) == sorted(presets.COMPARISON_INITS)


@pytest.mark.parametrize("layers", [90, 95, 100])
def test_deep_networks_keep_their_samples_and_the_comparison_gets_fewer(layers):
    # 256 units: the six networks together do not fit at 500 samples, the student's alone does.
    config = Config(view="network", layers=layers)
    requested = network_config(config)
    assert fit_networks((requested, *presets.comparison_configs(requested))).scaled
    budget = fit_network_view(requested)
    assert not budget.samples.scaled and budget.samples.used == 500
    assert budget.compared == presets.COMPARISON_INITS and budget.dropped == ()
    used = budget.comparison_samples
    assert COMPARISON_MIN_SAMPLES <= used < 500
    assert budget.note == (
        f"{layers} layers × 256 units: the 5 classic inits run beside your network, on "
        f"{used} samples (the first of its 500 inputs), so that yours keeps 500 samples "
        "within the lab's budget."
    )
    work, peak = comparison_cost(requested, budget)
    assert work <= MAX_MULTIPLY_ADDS and peak <= MAX_PEAK_BYTES
    # The comparison's samples are the most that fit: one more does not.
    more = replace(budget, comparison_samples=used + 1)
    assert comparison_cost(requested, more)[0] > MAX_MULTIPLY_ADDS


def test_a_deep_network_runs_its_comparison_on_fewer_samples_and_says_so():
    config = Config(view="network", layers=100)
    result = run(config)
    view = result.network
    budget = fit_network_view(network_config(config))
    assert view.layers == 100 and view.width == 256 and view.samples == 500
    assert view.comparison_samples == budget.comparison_samples < 500 and view.dropped == ()
    assert result.budget_note == budget.note
    assert f"on {view.comparison_samples} samples (the first of its 500 inputs)" in (
        result.budget_note
    )
    # The comparison rows are the classic inits on the first rows of the same inputs.
    outcomes = presets.init_comparison(
        replace(network_config(config), samples=view.comparison_samples)
    )
    assert [row["final std"] for row in view.comparison_rows] == [
        fmt(o.final_std) for o in outcomes
    ]
    assert view.layer_rows[-1]["layer"] == 100


def test_the_heaviest_network_keeps_its_samples_and_drops_the_comparison():
    # 100 layers x 512 units x 10,000 samples: the six networks together fitted 2 samples;
    # each comparison network's weight draws alone cost as much as ~200 of the student's
    # samples, so the comparison is left out and the student's network gets all it can have.
    config = Config(view="network", layers=100, width=512, samples=10_000)
    requested = network_config(config)
    assert fit_networks((requested, *presets.comparison_configs(requested))).used == 2
    alone = fit_networks((requested,))
    result = run(config)
    view = result.network
    assert view.samples == alone.used >= 800
    assert view.comparison_rows == () and view.comparison.series == ()
    assert view.dropped == tuple(get_initializer(init).label for init in presets.COMPARISON_INITS)
    assert result.budget_note == (
        f"100 layers × 512 units: {alone.used} samples instead of 10,000, to stay within the "
        "lab's budget. The 5 classic inits do not run beside your network, so that yours "
        "keeps those samples."
    )


def test_comparison_networks_that_do_not_fit_are_left_out_in_priority_order():
    # At 500 samples the student's 100 x 512 network fits alone; beside it only He's network
    # fits (at fewer samples), the first of COMPARISON_PRIORITY.
    requested = network_config(Config(view="network", layers=100, width=512, samples=500))
    budget = fit_network_view(requested)
    assert budget.samples.used == 500 and not budget.samples.scaled
    assert budget.compared == ("he_normal",)
    assert budget.dropped == ("zeros", "small_random", "large_random", "xavier_normal")
    assert COMPARISON_MIN_SAMPLES <= budget.comparison_samples < 500
    assert budget.note == (
        "100 layers × 512 units: only He/Kaiming normal runs beside your network, on "
        f"{budget.comparison_samples} samples (the first of its 500 inputs); left out: Zeros, "
        "Small random (std 0.01), Large random (std 1.0) and Xavier/Glorot normal, so that "
        "yours keeps 500 samples within the lab's budget."
    )
    work, peak = comparison_cost(requested, budget)
    assert work <= MAX_MULTIPLY_ADDS and peak <= MAX_PEAK_BYTES
    # Xavier's network, next in line, would not fit even at the floor.
    with_xavier = replace(
        budget, compared=("xavier_normal", "he_normal"), comparison_samples=COMPARISON_MIN_SAMPLES
    )
    assert comparison_cost(requested, with_xavier)[0] > MAX_MULTIPLY_ADDS


def test_fewer_samples_are_the_first_rows_of_the_same_inputs():
    # What the note promises: the engine draws the input first, row by row, so a network of
    # the same seed with fewer samples sees the first rows of the same inputs.
    network = replace(network_config(SMALL), keep_activations=True)
    full = simulate(network)
    first = simulate(replace(network, samples=7))
    np.testing.assert_array_equal(first.input_values, full.input_values[:7])


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_the_heaviest_allowed_request_fits_the_budget(activation):
    # gelu keeps z_l as well as a_l (its derivative needs z): the larger memory estimate.
    heaviest = Config(view="network", layers=100, width=CONTROLS["width"].high, samples=10_000)
    requested = network_config(replace(heaviest, activation=activation))
    budget = fit_network_view(requested)
    assert budget.samples.used >= 1
    work, peak = comparison_cost(requested, budget)
    assert work <= MAX_MULTIPLY_ADDS and peak <= MAX_PEAK_BYTES
    pair = pair_configs(Config(view="xavier_pair", pair_layers=CONTROLS["pair_layers"].high))
    assert not fit_networks(pair).scaled
    assert presets.sweep_cost(int(CONTROLS["reps"].high)).fits()


# --------------------------------------------------------------------------- pair and sweep


def test_xavier_pair_matches_the_engine():
    result = run(Config(view="xavier_pair", pair_layers=3, seed=1))
    view = result.pair
    assert result.budget_note == "" and result.network is None
    linear, relu = (
        presets.layer_histograms(c) for c in pair_configs(Config(pair_layers=3, seed=1))
    )
    assert [s.title for s in view.states] == ["Xavier + linear", "Xavier + ReLU"]
    assert view.states[1].message == relu.diagnosis.message
    for name, engine in (("Xavier + linear", linear), ("Xavier + ReLU", relu)):
        _, y = series_values(view.rms_chart, name)
        np.testing.assert_array_equal(y, [engine.result.input.rms[0], *engine.result.post.rms])
    linear_theory, relu_theory = view.rms_chart.theory
    np.testing.assert_allclose(linear_theory.y, 1.0, rtol=1e-12)
    np.testing.assert_allclose(relu_theory.y, 2.0 ** (-np.arange(4) / 2), rtol=1e-12)
    left, right = view.histograms.panels["post"]
    assert [p.counts for p in left] == [tuple(c) for c in linear.post.counts]
    assert "zeros" not in left[0].title
    # After ReLU the exact zeros (about half the values, all in the first bin, [0, e_1)) leave
    # the bars; the title gives their share. With them the first bar dwarfed every other one.
    kept = simulate(replace(relu.result.config, keep_activations=True))
    for i, panel in enumerate(right):
        engine_counts = relu.post.counts[i]
        zeros = int(np.count_nonzero(kept.activations[i] == 0))
        assert 0.4 < zeros / relu.post.total[i] < 0.6
        assert panel.edges[0] == 0.0
        assert panel.counts[0] == engine_counts[0] - zeros
        assert panel.counts[1:] == tuple(engine_counts[1:])
        assert panel.title.endswith(f"\n{relu.post.frac_zero[i]:.0%} zeros, not drawn")
        # The tallest bar is now within a few times the median positive bar, not ~100 times.
        positive = [c for c in panel.counts if c > 0]
        assert max(positive) < 10 * float(np.median(positive))


def test_xavier_pair_defaults_to_a_depth_where_relu_has_plainly_decayed():
    view = run(Config(view="xavier_pair")).pair
    assert view.layers == CONTROLS["pair_layers"].default == 16
    linear_theory, relu_theory = view.rms_chart.theory
    # The theory's RMS after 16 layers: 1 with the identity, 2^-8 with ReLU.
    assert linear_theory.y[-1] == pytest.approx(1.0, rel=1e-12)
    assert relu_theory.y[-1] == pytest.approx(2.0**-8, rel=1e-12)
    _, linear = series_values(view.rms_chart, "Xavier + linear")
    _, relu = series_values(view.rms_chart, "Xavier + ReLU")
    assert relu[-1] < linear[-1] / 100
    assert len(view.histograms.shown) == HISTOGRAM_PANELS and view.histograms.shown[-1] == 16


def test_sigma_sweep_matches_the_engine():
    result = run(Config(view="sigma_sweep", sigma_set="course", sigma=0.1, repeats=50, seed=4))
    view = result.sweep
    sweep = presets.sigma_sweep(repeats=50, seed=4)
    assert result.budget_note == ""
    assert (view.repeats, view.values_per_layer) == (50, 50 * sweep.width)
    assert view.input_row == presets.SIGMA_SWEEP_INPUT
    assert view.he_sigma == pytest.approx(math.sqrt(2 / sweep.width), rel=1e-12)
    for i, series in enumerate(view.pre_chart.series):
        yours = " (yours)" if sweep.sigmas[i] == 0.1 else ""
        factor = f"{sweep.theory_factor[i]:.3g}"
        assert series.name == f"σ = {sweep.sigmas[i]:.3g}{yours}: × {factor} per layer"
        np.testing.assert_array_equal(series.y, sweep.pre_var[i])
        np.testing.assert_array_equal(view.post_chart.series[i].y, sweep.post_var[i])
        np.testing.assert_array_equal(view.pre_chart.theory[i].y, sweep.theory_pre_var[i])
    assert view.post_chart.theory == ()
    assert [row["factor per layer, measured"] for row in view.rows] == [
        f"{f:.3g}" for f in sweep.measured_factor
    ]


def test_sigma_sweep_takes_any_sigma_and_grows_as_far_as_it_decays():
    view = run(Config(view="sigma_sweep", sigma=0.447, repeats=200, seed=1)).sweep
    assert view.sigmas == (0.1, 0.2, 0.447, 1.0, 2.0) and view.sigma == 0.447
    assert view.pre_chart.trends == ("decays", "decays", "holds", "grows", "grows")
    (yours,) = [s for s in view.pre_chart.series if "(yours)" in s.name]
    assert yours.name.startswith("σ = 0.447 (yours)")
    # 5 sigma^2 = 0.999 per layer: He's sigma keeps E[z^2] at 55 sigma^2 = 11 (theory), and
    # 200 pooled draws measure it within a few standard errors (products of chi-square
    # factors: skewed, hence 4).
    row = view.rows[2]
    assert row["factor per layer, theory"] == "0.999"
    measured, error = float(row["E[z²] at layer 8, measured"]), float(row["± standard error"])
    assert abs(measured - 11.0) < 4 * error
    # The reference sigmas around He's: the fastest growth gains as many decades by layer 8 as
    # the fastest decay loses.
    first, last = view.pre_chart.theory[0].y, view.pre_chart.theory[-1].y
    assert math.log10(last[-1] / last[0]) == pytest.approx(-math.log10(first[-1] / first[0]))
    assert math.log10(last[-1] / last[0]) > 8


def test_sigma_sweep_draws_a_reference_sigma_once():
    view = run(Config(view="sigma_sweep", sigma=1.0, repeats=10)).sweep
    assert view.sigmas == (0.1, 0.2, 1.0, 2.0)
    assert [s.name.endswith("(yours): × 5 per layer") for s in view.pre_chart.series] == [
        False,
        False,
        True,
        False,
    ]


@pytest.mark.parametrize("sigma", [0.0, 11.0, math.nan])
def test_sigma_outside_the_declared_range_is_refused(sigma):
    with pytest.raises(ValueError, match=r"sigma must be a finite number in \[1e-06, 10\]"):
        Config(view="sigma_sweep", sigma=sigma)


# --------------------------------------------------------------------------- lines on top


def test_lines_on_top_of_each_other_are_named_under_their_chart():
    """Var(z) and Var(a) coincide for the identity (a_l is z_l), for SELU (within 1.2 % on an
    axis that Vega rounds out to 0.1 to 10) and wherever a small ratio is lost on an axis of
    many decades. He + ReLU keeps them about a factor 3 apart (Var(a) is (1/2 - 1/2π) Var(z))
    on an axis of one decade: plainly apart."""
    names = "“Var(z_l), pre-activation” and “Var(a_l), activation”"

    def variance_note(init: str, activation: str, view: str = "five_layers") -> str:
        values = CONTROLS.defaults() | {"view": view, "init": init, "activation": activation}
        return run(config_from_values(values)).network.variance_chart.overlap_note

    assert variance_note("xavier_normal", "linear") == (
        f"{names} have the same value at every layer: one line hides the other."
    )
    # Small random + tanh (the walkthrough's case): 5 % apart at layer 1, the same after it,
    # on an axis of 19 decades.
    tanh = variance_note("small_random", "tanh", view="network")
    assert tanh.startswith(f"{names} lie within a factor of 1.05 of each other")
    assert "an axis of 19 decades" in tanh
    selu = variance_note("lecun_normal", "selu")
    assert selu.startswith(f"{names} lie within a factor of 1.01") and "of 2 decades" in selu
    assert variance_note("he_normal", "relu") == ""
    assert variance_note("xavier_normal", "relu") == ""


def test_overlap_depends_on_the_decades_the_axis_spans():
    """Two lines a factor 2 apart are 0.3 decades apart: plainly separate on a 2-decade axis,
    less than 1 % of an axis that another line stretches to 40 decades (2 px of a 260-px plot)."""
    layers = (0, 1, 2, 3)
    low = Series("low", layers, (1.0, 1.0, 1.0, 1.0))
    high = Series("high", layers, (2.0, 2.0, 2.0, 2.0))
    assert overlapping_series(LineChart("t", "y", "s", (low, high))) == []
    far = Series("far", layers, (1.0, 1e-13, 1e-26, 1e-39))
    wide = LineChart("t", "y", "s", (low, high, far))
    assert axis_decades(wide) == 40  # from 1e-39 up to 10, the power of ten above 2
    ((group, factor),) = overlapping_series(wide)
    assert group == ("low", "high") and factor == pytest.approx(2.0)
    assert "a factor of 2 of each other" in wide.overlap_note
    assert "an axis of 40 decades" in wide.overlap_note
    # The same values with a point the log axis cannot show at one layer only: two lines that
    # break at different places are told apart.
    gap = Series("gap", layers, (2.0, 0.0, 2.0, 2.0))
    assert overlapping_series(LineChart("t", "y", "s", (low, gap, far))) == []
    # Theory lines stretch the axis too, but are never named.
    theory = LineChart("t", "y", "s", (low, high), theory=(far,))
    assert [g for g, _ in overlapping_series(theory)] == [("low", "high")]


def test_the_verdict_and_the_state_line_quote_one_mean_field_gradient():
    """A forward-only page takes its gradient from mean-field theory in two places, the state
    line (lab.signal) and the verdict's outcome at depth (lab.diagnosis): both start from the
    configured input's std, so they give one number (they once differed by 2 %, the state line
    starting from the sampled input's RMS)."""
    values = {"view": "network", "init": "he_normal", "activation": "gelu", "layers": 30}
    config = config_from_values(CONTROLS.defaults() | values | {"width": 64, "samples": 200})
    network = fit_network_view(network_config(config)).samples  # the run's own network
    run_result = presets.layer_histograms(replace(network_config(config), samples=network.used))
    fit = scheme_fit(advise("gelu", depth=30), "he_normal")
    assert run_result.diagnosis.gradient_ratio == pytest.approx(fit.gradient_ratio, rel=1e-9)


def test_a_theory_match_on_a_dead_narrow_network_names_the_width():
    narrow = run(Config(view="network", init="he_normal", layers=50, width=2, samples=200)).network
    assert not narrow.state.healthy and narrow.state.message.startswith("dead")
    assert "a match for ReLU" in narrow.fit
    assert "with 2 units per layer this simulation is dead" in narrow.fit
    wide = run(Config(view="network", init="he_normal", layers=50, width=128, samples=200)).network
    assert "a match for ReLU" in wide.fit
    assert "infinitely wide" not in wide.fit


def test_a_theory_gradient_below_float64s_variance_is_quoted_not_zero():
    # chi1 of about 9e-6 a layer over 100 layers: a gradient std of 1.43e-250 (its variance
    # underflows float64). The line used to read "the gradient reaching layer 1 is exactly 0".
    config = Config(
        view="network", init="small_random", activation="sigmoid", layers=100, width=2,
        samples=1, bias_std=1.0,
    )  # fmt: skip
    message = run(config).network.state.message
    assert "the gradient reaching layer 1 is 1.43e-250 of the output's" in message
