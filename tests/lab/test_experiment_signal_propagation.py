"""Engine tests of lab/experiments/signal_propagation.py: the page's one result against
lab.network, lab.signal, lab.theory and lab.diagnosis, the declared ranges, and the budget.

Every series and verdict of the result is compared with an independent call of the module it
comes from (same config, same seed: the draws are identical), for networks whose scheme and
activation parameters would change the answer if they were dropped on the way.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from lab.budget import MAX_PEAK_BYTES
from lab.controls.signal_propagation import CONTROLS
from lab.diagnosis import match_verdict, recommended_init
from lab.experiments.signal_propagation import Config, config_from_values, run
from lab.health import flat_threshold, percent, thresholds_text
from lab.network import NetworkConfig, fit_samples, network_cost, simulate
from lab.signal import (
    gradient_prediction,
    layer_table,
    mean_field_phase,
    number_text,
    simulated_network_view,
    summarize_signal,
)
from lab.theory import predict

#: He weights for leaky ReLU with slope 0.5 (Var(W) = 2 / ((1 + 0.25) n)), fan_out mode, a
#: bias: every scheme and activation parameter changes the numbers.
LEAKY = Config(
    init="he_normal",
    init_params=(("mode", "fan_out"), ("slope", 0.5)),
    activation="leaky_relu",
    leaky_slope=0.5,
    layers=8,
    width=64,
    samples=120,
    bias_std=0.05,
    seed=4,
)

#: The widest network the pages declare.
WIDTH = int(CONTROLS["width"].high)


def cards(result) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {card.label: (card.value, card.captions) for card in result.cards}


# --------------------------------------------------------------------------- configuration


def test_config_defaults_are_the_declared_defaults():
    assert config_from_values({}) == Config() == config_from_values(CONTROLS.defaults())
    # A scheme parameter left out takes its control's default: one config per network.
    assert Config().init_params == (("mode", "fan_in"), ("slope", 0.0))


def test_config_from_values_keeps_only_the_chosen_schemes_parameters():
    values = {"init": "normal", "std": 0.5, "gain": 2.0, "activation": "tanh", "layers": 30}
    config = config_from_values(values)
    assert config.init_params == (("std", 0.5),)
    assert (config.activation, config.layers) == ("tanh", 30)
    assert config.network().initializer().label == "Normal (std 0.5)"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"layers": 101}, r"layers must be an integer in \[1, 100\]; got 101"),
        ({"width": 2048}, rf"width must be an integer in \[2, {WIDTH}\]; got 2048"),
        ({"neurons": 5}, "signal_propagation has no control 'neurons'"),
        ({"std": 0.3}, "std must be one of 0.0001, "),
    ],
)
def test_config_refuses_what_the_page_does_not_declare(values, message):
    with pytest.raises(ValueError, match=message):
        config_from_values(values)


def test_run_refuses_other_objects():
    with pytest.raises(ValueError, match="config must be a signal_propagation.Config"):
        run(NetworkConfig())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the result


@pytest.fixture(scope="module")
def leaky():
    return run(LEAKY)


def test_series_and_table_are_the_simulations(leaky):
    network = NetworkConfig(
        init="he_normal",
        init_params=(("mode", "fan_out"), ("slope", 0.5)),
        activation="leaky_relu",
        slope=0.5,
        layers=8,
        width=64,
        samples=120,
        bias_std=0.05,
        seed=4,
    )
    assert leaky.network == network and leaky.budget_note == ""
    simulation = simulate(network)
    summary = summarize_signal(simulation)
    np.testing.assert_array_equal(
        leaky.forward.simulated, [summary.input_std, *summary.forward_std]
    )
    np.testing.assert_array_equal(leaky.grad_post.simulated, summary.grad_post_std)
    np.testing.assert_array_equal(leaky.grad_weight.simulated, summary.grad_weight_std)
    assert leaky.forward.layers == tuple(range(9)) and leaky.grad_post.layers == tuple(range(1, 9))
    assert list(leaky.table) == layer_table(simulation)
    assert list(leaky.view) == simulated_network_view(simulation, decades=leaky.view_decades)
    assert cards(leaky)["Final-layer std"][0] == number_text(summary.final_std)
    assert cards(leaky)["Ratio to input (RMS)"][0] == number_text(summary.rms_ratio)
    state, captions = cards(leaky)["Signal state"]
    assert state == summary.diagnosis.state and captions[0] == summary.diagnosis.message + "."


def test_theory_uses_the_scheme_and_activation_parameters(leaky):
    common = {"init_params": LEAKY.init_params, "slope": 0.5}
    prediction = predict("he_normal", "leaky_relu", 8, 64, bias_std=0.05, **common)
    # He with a = 0.5: sw2 = 2 / (1 + a^2) = 1.6, the leaky-ReLU critical point (reference.md's
    # (1 + a^2) / 2 second-moment gain): the phase is critical, the verdict a match.
    assert prediction.sw2 == pytest.approx(np.full(8, 1.6))
    np.testing.assert_array_equal(leaky.forward.theory, [1.0, *prediction.post_std])
    gradients = gradient_prediction(prediction, "leaky_relu", 120, slope=0.5)
    np.testing.assert_array_equal(leaky.grad_post.theory, gradients.grad_post_std)
    np.testing.assert_array_equal(leaky.grad_weight.theory, gradients.grad_weight_std)
    phase = mean_field_phase("he_normal", "leaky_relu", 64, 0.05, **common)
    assert leaky.phase == phase
    assert cards(leaky)["Mean-field phase"][0] == phase.phase
    verdict = match_verdict("he_normal", "leaky_relu", width=64, bias_std=0.05, **common)
    assert leaky.verdict == verdict and verdict.label == "match"
    # Plain He (a = 0) with the same activation gives sw2 = 2, 25% too much: a mismatch.
    plain_he = run(Config(activation="leaky_relu", leaky_slope=0.5, layers=2, width=64))
    assert plain_he.verdict.label == "mismatch"
    recommendation = recommended_init(leaky.network.activation_function(), bias_std=0.05)
    assert leaky.recommendation == recommendation and recommendation.params == (("slope", 0.5),)


def test_saturation_and_thresholds_come_from_the_engine():
    result = run(Config(init="large_random", activation="tanh", layers=5, width=64, samples=50))
    summary = result.summary
    threshold = flat_threshold(result.network.activation_function())
    assert result.saturation_threshold == threshold
    state, saturation = cards(result)["Signal state"][1][:2]
    assert state == summary.diagnosis.message + "."
    assert saturation.startswith(f"{percent(summary.final_saturated)} of the last layer's")
    assert f"|z| > {threshold:.3g}" in saturation
    assert result.states_caption == thresholds_text()


def test_overflow_is_reported_at_the_simulations_layer():
    result = run(Config(init="large_random", layers=50, width=256, samples=100))
    layer = simulate(result.network).first_nonfinite_layer
    assert layer is not None and 1 < layer < 50
    assert result.warnings[0].startswith(f"overflow: inf/NaN at layer {layer}: the float32")
    assert cards(result)["Final-layer std"][0] == "inf/NaN"
    assert result.gradient_caption.startswith("Backward signal: overflow.")
    assert math.isnan(result.forward.simulated[layer])  # the std of a layer with inf/NaN


def test_no_theory_line_for_weights_with_a_mean():
    result = run(Config(init="rand", activation="tanh", layers=4, width=32, samples=50))
    assert result.forward.theory is None and result.grad_post.theory is None
    assert result.forward_caption.startswith("No theory line: rand has mean 0.5")
    assert cards(result)["Mean-field phase"] == ("not applicable", (result.phase.reason,))
    assert result.verdict.label == "never"


# --------------------------------------------------------------------------- the budget


def test_a_network_over_the_budget_runs_with_fewer_samples_and_says_so():
    config = Config(layers=40, width=WIDTH, samples=10_000)
    result = run(config)
    fitted, scaled = fit_samples(config.network())
    assert result.network == fitted and 1 < fitted.samples < 10_000
    assert (
        result.budget_note
        == scaled.note
        == (
            f"40 layers × {WIDTH:,} units: {fitted.samples:,} samples instead of 10,000, to stay "
            "within the lab's budget."
        )
    )
    assert result.config.samples == 10_000  # the request is kept: the URL does not change
    assert f"summed over {fitted.samples:,} samples" in result.grad_weight.title
    assert f"{fitted.samples:,} samples in float32" in result.forward_caption


def test_the_heaviest_allowed_request_stays_under_the_byte_budget():
    # The largest declared network with the most samples; SELU keeps z_l beside a_l and
    # computes in float64, so it needs the most memory of the activations.
    heaviest = config_from_values(
        {"init": "large_random", "activation": "selu", "layers": 100, "width": WIDTH}
        | {"samples": 10_000}
    )
    assert (heaviest.layers, heaviest.width, heaviest.samples) == tuple(
        CONTROLS[name].high for name in ("layers", "width", "samples")
    )
    tracemalloc.start()
    try:
        result = run(heaviest)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.budget_note.startswith(f"100 layers × {WIDTH:,} units: ")
    assert peak < MAX_PEAK_BYTES


@pytest.mark.parametrize("activation", CONTROLS["activation"].values)
def test_every_scheme_of_the_largest_network_fits_the_byte_budget(activation):
    # estimate_bytes bounds the traced peak (tests/lab/test_network.py), so a fitted estimate
    # under the budget means a run under it.
    for init in CONTROLS["init"].values:
        config = Config(init=init, activation=activation, layers=100, width=WIDTH, samples=10_000)
        fitted, scaled = fit_samples(config.network())
        cost = network_cost(fitted)
        assert scaled.scaled and cost.peak_bytes <= MAX_PEAK_BYTES
        # Orthogonal weights of the largest network cost more than the compute budget even for
        # one sample (one QR per layer): the floor runs, with one sample.
        assert cost.fits() or (init == "orthogonal" and fitted.samples == 1)
