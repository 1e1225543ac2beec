"""lab.health: the one health model, its thresholds, its order of problems, and the wrong
verdicts it replaces (each named case of the issue is a regression test here).

Simulations are small (widths 32 to 256, a few dozen samples) with fixed seeds; each assertion
says why the Monte-Carlo scatter cannot flip it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lab.activations import get_activation
from lab.cli import simulate_report
from lab.experiments import forward_pass, signal_propagation
from lab.health import (
    DEAD_FRACTION,
    EXPLODING_RATE,
    EXPLODING_RATIO,
    SATURATED_SHARE,
    SATURATION_SLOPE,
    VANISHING_RATE,
    VANISHING_RATIO,
    Measurements,
    assess,
    flat_share_normal,
    flat_threshold,
    percent,
)
from lab.network import NetworkConfig, simulate
from lab.signal import diagnose_forward, measure, underflow_layers

TANH, SIGMOID, RELU = (get_activation(name) for name in ("tanh", "sigmoid", "relu"))


def measurements(depth: int = 5, activation=RELU, **fields) -> Measurements:
    """A healthy network's measurements (every ratio 1), with ``fields`` replaced."""
    base = {
        "activation": activation,
        "rms_ratio": [1.0] * depth,
        "spread_ratio": [1.0] * depth,
        "frac_zero": [0.0] * depth,
        "frac_nonfinite": [0.0] * depth,
        "constant": [False] * depth,
        "gradient": [1.0] * depth,
        "gradient_source": "simulation",
    }
    return Measurements(**(base | fields))


def run(**fields) -> object:
    return simulate(NetworkConfig(**fields))


# --- saturation: activation-specific, from the slope -----------------------------------------


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_the_flat_threshold_is_where_the_slope_falls_to_the_stated_share(name):
    act = get_activation(name)
    threshold = flat_threshold(act)
    peak = float(act.derivative(np.array([0.0]))[0])  # both slopes peak at 0
    slope = float(act.derivative(np.array([threshold]))[0])
    assert slope == pytest.approx(SATURATION_SLOPE * peak, rel=1e-12)
    # and it is symmetric: the slope is an even function
    assert float(act.derivative(np.array([-threshold]))[0]) == pytest.approx(slope, rel=1e-12)


def test_sigmoid_at_2_keeps_42_percent_of_its_slope_and_is_not_saturated():
    # reference.md: sigmoid'(2) / sigmoid'(0) = 0.42, so |z| = 2 is not "almost no gradient".
    ratio = float(SIGMOID.derivative(np.array([2.0]))[0]) / 0.25
    assert ratio == pytest.approx(0.42, abs=0.005)
    assert flat_threshold(SIGMOID) > 3.6 and flat_threshold(TANH) < 2.0


@pytest.mark.parametrize("name", ["linear", "relu", "leaky_relu", "gelu", "selu"])
def test_one_sided_activations_have_no_saturated_share(name):
    act = get_activation(name)
    assert flat_threshold(act) is None
    assert flat_share_normal(act, 100.0) == 0.0
    assert run(activation=name, layers=2, width=8, samples=4).pre.frac_flat is None


@pytest.mark.parametrize(("q", "mean"), [(0.01, 0.0), (1.0, 0.0), (1.1785, 0.0), (30.0, 2.0)])
def test_flat_share_of_a_normal_is_scipys(q, mean):
    threshold = flat_threshold(TANH)
    law = stats.norm(mean, math.sqrt(q))
    expected = law.sf(threshold) + law.cdf(-threshold)
    assert flat_share_normal(TANH, q, mean) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_the_simulation_counts_the_flat_units():
    # The engine's count is an exact count over the stored values: recount it from them.
    result = run(
        init="xavier_normal",
        activation="tanh",
        layers=3,
        width=32,
        samples=40,
        input_std=2.0,
        keep_activations=True,
    )
    threshold = flat_threshold(TANH)
    recount = [np.mean(np.abs(z.astype(np.float64)) > threshold) for z in result.pre_activations]
    np.testing.assert_allclose(result.pre.frac_flat, recount, rtol=0, atol=1e-15)
    assert 0.0 < result.pre.frac_flat[0] < 1.0


# --- the order of problems and the thresholds ------------------------------------------------


def test_the_worst_problem_comes_first():
    every = measurements(
        activation=TANH,
        frac_nonfinite=[0.0, 0.0, 0.2, 0.0, 0.0],
        frac_zero=[0.0, 1.0, 0.0, 0.0, 0.0],
        saturated=[0.9] * 5,
        gradient=[1e-9, 1e-7, 1e-5, 1e-3, 1.0],
        rms_ratio=[1.0, 0.5, 0.2, 0.05, 0.01],
    )
    assert assess(every).state == "overflow"
    no_overflow = Measurements(**(vars(every) | {"frac_nonfinite": (0.0,) * 5}))
    assert assess(no_overflow).state == "dead"
    no_dead = Measurements(**(vars(no_overflow) | {"frac_zero": (0.0,) * 5}))
    health = assess(no_dead)
    assert health.state == "saturated" and health.message.startswith("saturated: 90% ")
    assert "vanishing gradient: the gradient reaching layer 1 is 1e-09" in health.message
    no_saturation = Measurements(**(vars(no_dead) | {"saturated": (0.1,) * 5}))
    health = assess(no_saturation)
    assert health.problem == "vanishing signal and gradient"
    no_gradient = Measurements(**(vars(no_saturation) | {"gradient": (1.0,) * 5}))
    assert assess(no_gradient).problem == "vanishing signal"
    clean = Measurements(**(vars(no_gradient) | {"rms_ratio": (1.0,) * 5}))
    assert assess(clean).state == "healthy" and assess(clean).first_bad_layer is None


def test_a_decade_in_total_or_a_decade_within_ten_layers_is_a_problem():
    def signal(total: float, depth: int) -> str:
        # a geometric decay from layer 1 (ratio 1) to `total` at layer `depth`
        rate = total ** (1.0 / (depth - 1))
        return assess(measurements(depth, rms_ratio=[rate**k for k in range(depth)])).state

    # factor per layer just above/below 10^(-1/10) = 0.794, total still above 1/10
    assert signal(VANISHING_RATE**2 * 1.001, 3) == "healthy"
    assert signal(VANISHING_RATE**2 * 0.999, 3) == "vanishing"
    # a slow factor (0.95) that has lost a decade by layer 50
    assert signal(0.95**4, 5) == "healthy" and signal(0.95**49, 50) == "vanishing"
    assert signal(EXPLODING_RATE**2 * 0.999, 3) == "healthy"
    assert signal(EXPLODING_RATE**2 * 1.001, 3) == "exploding"
    just = assess(measurements(1, rms_ratio=[VANISHING_RATIO]))
    assert just.state == "healthy" and just.signal_rate is None  # one layer: no trend
    assert assess(measurements(1, rms_ratio=[VANISHING_RATIO * 0.99])).state == "vanishing"
    assert assess(measurements(1, rms_ratio=[EXPLODING_RATIO * 1.01])).state == "exploding"


def test_the_gradient_is_judged_by_the_same_rule():
    depth = 20
    slow = [1.05 ** (depth - k) for k in range(1, depth + 1)]  # x1.05 per layer, 2.5x in all
    assert assess(measurements(depth, gradient=slow)).state == "healthy"
    fast = [1.3 ** (depth - k) for k in range(1, depth + 1)]
    health = assess(measurements(depth, gradient=fast))
    assert health.problem == "exploding gradient" and health.gradient_rate == pytest.approx(1.3)
    assert "(× 1.30 per layer)" in health.message
    zero = assess(measurements(3, gradient=[0.0, 0.0, 1.0]))
    assert zero.problem == "vanishing gradient" and "is exactly 0" in zero.message


def test_dead_and_constant_layers():
    dead = assess(measurements(frac_zero=[0.0, DEAD_FRACTION, 1.0, 1.0, 1.0]))
    assert dead.state == "dead" and dead.first_bad_layer == 2
    assert assess(measurements(frac_zero=[0.0, 0.98, 0.0, 0.0, 0.0])).state == "healthy"
    flat = assess(measurements(constant=[False, False, True, True, True]))
    assert flat.state == "dead" and "each unit outputs one value whatever the input" in flat.message


def test_zeros_from_underflow_are_a_vanishing_signal_not_dead_units():
    zeros = [0.0, 0.0, 0.0, 0.9994, 1.0]
    dead = assess(measurements(frac_zero=zeros, rms_ratio=[0.1, 1e-20, 1e-44, 0.0, 0.0]))
    assert dead.state == "dead" and dead.first_bad_layer == 4
    flags = [False, False, False, True, True]
    under = assess(
        measurements(frac_zero=zeros, rms_ratio=[0.1, 1e-20, 1e-44, 0.0, 0.0], underflow=flags)
    )
    assert under.state == "vanishing" and under.problem == "vanishing signal"
    assert under.first_bad_layer == 4 and under.layer_states[3:] == ("vanishing", "vanishing")
    assert "at layer 4 99.94% of the units output exactly 0" in under.message
    assert "(underflow), not because they are off" in under.message
    # Units that were off before the signal underflowed are still dead units.
    earlier = assess(
        measurements(frac_zero=[0.0, 1.0, 1.0, 1.0, 1.0], underflow=flags, rms_ratio=[1.0] * 5)
    )
    assert earlier.state == "dead" and earlier.first_bad_layer == 2
    with pytest.raises(ValueError, match="underflow"):
        measurements(underflow=[False] * 4)


def test_the_simulation_tells_underflow_from_dead_units():
    """N(0, 0.01²) + ReLU, 256 wide: the RMS shrinks × 0.11 per layer and passes float32's
    smallest normal number (1.2e-38) near layer 38; about ten layers later the products round
    to 0. The page called that 'dead: 99.94% of the units output exactly 0'."""
    shrinking = run(
        init="normal", init_params=(("std", 0.01),), activation="relu", layers=50, width=256,
        samples=500, seed=0,
    )  # fmt: skip
    flags = underflow_layers(shrinking)
    first = flags.index(True) + 1
    assert 40 < first <= 50 and all(flags[first - 1 :])
    tiny = float(np.finfo(np.float32).tiny)
    assert 0.0 < shrinking.post.rms[first - 2] < tiny  # the layer below: a subnormal signal
    health = diagnose_forward(shrinking)
    assert health.state == "vanishing" and health.first_bad_layer == first
    assert "underflow" in health.message and "dead" not in health.message
    # Zero weights give zeros below a normal-sized input: dead, not underflow.
    zeros = run(init="zeros", activation="relu", layers=5, width=16, samples=50, seed=0)
    assert not any(underflow_layers(zeros)) and diagnose_forward(zeros).state == "dead"


def test_saturation_counts_from_over_half_the_units():
    at = measurements(activation=TANH, saturated=[SATURATED_SHARE] * 5)
    over = measurements(activation=TANH, saturated=[0.0, 0.0, 0.51, 0.0, 0.0])
    assert assess(at).state == "healthy"
    health = assess(over)
    assert health.state == "saturated" and health.saturated_layer == 3
    assert health.layer_states == ("healthy", "healthy", "saturated", "healthy", "healthy")


def test_a_bounded_activation_is_never_called_exploding_forward():
    # tanh with input std 0.01 grows to its fixed point: 50 times the input's RMS, not a blow-up.
    grown = measurements(activation=TANH, rms_ratio=[1.4, 20, 40, 50, 50], saturated=[0.01] * 5)
    assert assess(grown).state == "healthy"
    relu = measurements(rms_ratio=[1.4, 20, 40, 50, 50])
    assert assess(relu).state == "exploding"


def test_measurements_are_checked():
    with pytest.raises(ValueError, match="rms_ratio must have at least one layer"):
        measurements(0)
    with pytest.raises(ValueError, match=r"frac_zero must have one entry per layer \(5\); got 4"):
        measurements(frac_zero=[0.0] * 4)
    with pytest.raises(ValueError, match="spread_ratio must hold numbers >= 0"):
        measurements(spread_ratio=[1.0, -1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="gradient_source must be '' exactly when"):
        measurements(gradient=None)
    with pytest.raises(ValueError, match=r"backward_overflow_layer must be None or a layer"):
        measurements(backward_overflow_layer=6)
    with pytest.raises(ValueError, match="constant must hold 5 booleans"):
        measurements(constant=[0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="m must be a Measurements"):
        assess({})


def test_percentages_never_round_to_a_wrong_extreme():
    assert [percent(v) for v in (0.0, 1e-9, 0.0049, 0.906, 0.9996, 1.0)] == [
        "0%",
        "<0.01%",
        "0.49%",
        "91%",
        "99.96%",
        "100%",
    ]


# --- the wrong verdicts of the issue, as regression tests ------------------------------------


def test_rand_tanh_is_saturated_with_no_gradient_not_healthy():
    # U[0, 1) weights (mean 1/2): every unit of a layer sums with the same sign, |z| ~ n/2, so
    # tanh is flat everywhere and 1 - tanh(z)^2 rounds to exactly 0 in float32.
    result = run(init="rand", activation="tanh", layers=20, width=256, samples=32)
    health = diagnose_forward(result)
    assert health.state == "saturated" and health.saturated_share == 1.0
    assert health.gradient_ratio == 0.0 and health.gradient_state == "vanishing"
    assert health.message.startswith("saturated: 100% of the units of layer")
    assert "the gradient reaching layer 1 is exactly 0" in health.message


def test_he_sigmoid_at_50_layers_has_a_vanishing_gradient():
    # reference.md: He + sigmoid, chi1 = 0.101 at q* = 0.555; the gradient's std falls by
    # sqrt(0.101) per layer, sqrt(0.101)^49 = 4e-25 over 49 layers. Width 128 and 32 samples
    # scatter that by a factor of a few, never by the 19 decades that separate it from 1e-6.
    result = run(init="he_normal", activation="sigmoid", layers=50, width=128, samples=32)
    health = diagnose_forward(result)
    assert health.problem == "vanishing gradient"
    assert 1e-27 < health.gradient_ratio < 1e-22
    assert health.gradient_rate == pytest.approx(math.sqrt(0.101), rel=0.05)
    assert health.signal_ratio == pytest.approx(0.527, rel=0.05)  # the forward RMS looks fine


def test_standard_normal_tanh_is_saturated_and_chaotic_not_healthy():
    # N(0, 1) at width 256: q* = 243, chi1 = 8.7 (mean-field); ~91% of units beyond 1.82.
    result = run(init="large_random", activation="tanh", layers=20, width=256, samples=32)
    health = diagnose_forward(result)
    assert health.state == "saturated" and 0.85 < health.saturated_share < 0.95
    assert health.gradient_state == "exploding" and health.gradient_ratio > 1e6
    assert "exploding gradient: the gradient reaching layer 1 is" in health.message
    assert health.signal_ratio == pytest.approx(1.0, rel=0.05)  # bounded: RMS near 1


def test_small_normal_sigmoid_loses_the_input():
    # N(0, 0.01^2) at width 256: sw2 = 0.0256, every unit outputs 0.5 plus a spread of ~0.02;
    # chi1 = 0.0016, so the gradient falls 25 decades over 19 layers.
    result = run(init="small_random", activation="sigmoid", layers=20, width=256, samples=32)
    health = diagnose_forward(result)
    assert health.problem == "vanishing signal and gradient"
    assert health.signal_ratio > 0.45 and health.spread_ratio < 0.03
    assert "the input is lost" in health.message
    assert health.gradient_ratio < 1e-20


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("init", ["large_random", "he_normal", "xavier_normal", "small_random"])
def test_a_bounded_network_with_unit_input_is_never_exploding_forward(activation, init):
    result = run(init=init, activation=activation, layers=12, width=64, samples=16)
    health = diagnose_forward(result)
    assert "exploding signal" not in health.problem
    if init == "large_random":  # what is wrong there: saturation (and tanh's gradient)
        assert health.state == "saturated"
        # sigma_w^2 = 64: tanh is chaotic (chi1 = 4.5); sigmoid is near critical (chi1 = 0.79,
        # the gradient's std x 0.89 per layer), and its trouble is the saturation alone.
        if activation == "tanh":
            assert health.gradient_state == "exploding"


def test_forward_pass_default_is_vanishing_not_green():
    view = forward_pass.run(forward_pass.Config()).network
    assert not view.state.healthy
    assert view.state.message.startswith("vanishing signal and gradient: ")
    assert "RMS × 0.7" in view.state.message  # 1/sqrt(2) per layer, within 5% at width 100


def test_xavier_pair_shows_the_difference_in_colour():
    pair = forward_pass.run(forward_pass.Config(view="xavier_pair", pair_layers=5)).pair
    linear, relu = pair.states
    assert linear.healthy and not relu.healthy


def test_xavier_tanh_at_100_layers_is_critical_and_says_why_it_still_decays():
    config = signal_propagation.Config(
        init="xavier_normal", activation="tanh", layers=100, width=256, samples=40
    )
    result = signal_propagation.run(config)
    cards = {card.label: card for card in result.cards}
    assert result.phase.phase == "critical"
    # mean-field RMS ratio 0.071 at layer 100; one network of 256 units lands near it
    assert cards["Signal state"].value == "vanishing"
    (note,) = [c for c in cards["Mean-field phase"].captions if c.startswith("Critical yet")]
    assert "like 1/l" in note and "polynomially" in note
    assert cards["Match verdict"].value == "partial"


def test_the_forward_only_pages_take_the_gradient_from_the_theory():
    result = run(init="he_normal", activation="sigmoid", layers=30, width=32, samples=8)
    forward = run(
        init="he_normal", activation="sigmoid", layers=30, width=32, samples=8, backward="none"
    )
    backward_only, forward_only = measure(result), measure(forward)
    assert backward_only.gradient_source == "simulation"
    assert forward_only.gradient_source == "mean-field theory"
    assert diagnose_forward(forward).problem == "vanishing gradient"
    assert "(× 0.32 per layer; mean-field theory)" in diagnose_forward(forward).message


# --- the grid: never healthy without a gradient or with most units saturated -----------------

GRID_ACTIVATIONS = ("linear", "relu", "leaky_relu", "tanh", "sigmoid", "gelu", "selu")
GRID_SCHEMES = (
    "zeros",
    "small_random",
    "large_random",
    "rand",
    "xavier_normal",
    "he_normal",
    "lecun_normal",
    "torch_linear_default",
)
GRID_DEPTHS = (2, 12, 40)


def _grid():
    for activation in GRID_ACTIVATIONS:
        for init in GRID_SCHEMES:
            for depth in GRID_DEPTHS:
                yield activation, init, depth


def test_the_headline_is_never_healthy_without_a_gradient_or_when_saturated():
    # Width 24 and 8 samples: the invariant holds for any draw, so small networks suffice.
    exercised = 0
    for activation, init, depth in _grid():
        for backward in ("random", "none"):
            result = run(
                init=init,
                activation=activation,
                layers=depth,
                width=24,
                samples=8,
                seed=depth,
                backward=backward,
            )
            health = diagnose_forward(result)
            gradient = health.gradient_ratio
            no_gradient = gradient is not None and (math.isnan(gradient) or gradient < 1e-6)
            flat = result.pre.frac_flat
            saturated = flat is not None and bool(np.nanmax(flat) > SATURATED_SHARE)
            exercised += no_gradient or saturated
            if no_gradient or saturated:
                assert health.state != "healthy", (activation, init, depth, backward)
                assert not health.message.startswith("healthy")
    assert exercised > 100  # the grid does reach both conditions, many times


def test_the_command_lines_health_and_advice_fields_are_documented():
    lines = (Path(__file__).resolve().parents[2] / "README.md").read_text().splitlines()
    (row,) = [line for line in lines if line.startswith("| `diagnosis` |")]
    (advice_row,) = [line for line in lines if line.startswith("| `recommended_init` |")]
    (layer_row,) = [line for line in lines if line.startswith("| `layers[]` |")]
    report = simulate_report(NetworkConfig(activation="tanh", layers=3, width=8, samples=4))
    diagnosis, advice = report["diagnosis"], report["recommended_init"]
    for key in (*diagnosis, *diagnosis["thresholds"]):
        assert f"`{key}`" in row, key
    for key in (*advice, *advice["schemes"][0]):
        assert f"`{key}`" in advice_row or f"`{key}[]`" in advice_row, key
    assert "`saturated`" in layer_row and report["layers"][0]["saturated"] is not None


def test_a_signal_that_explodes_while_its_gradient_vanishes_names_both():
    # RMS 2, 4, ..., 32 times the input's while the gradient reaching layer 1 is 1e-4 of the
    # output's: the headline named only the vanishing gradient above "32 times the input's".
    m = measurements(
        rms_ratio=[2.0, 4.0, 8.0, 16.0, 32.0],
        spread_ratio=[2.0, 4.0, 8.0, 16.0, 32.0],
        gradient=[1e-4, 1e-3, 1e-2, 1e-1, 1.0],
    )
    health = assess(m)
    assert health.state == "vanishing"
    assert health.problem == "vanishing gradient and exploding signal"
    assert health.message.startswith("vanishing gradient and exploding signal: ")
