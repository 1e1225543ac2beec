"""Diagnosis: layer and network states at their thresholds, recommendations, match verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab import diagnosis, theory
from lab.diagnosis import DEAD_FRACTION, EXPLODING_RATIO, VANISHING_RATIO

below = math.nextafter


# --- layer states ----------------------------------------------------------------------------


def test_threshold_constants():
    # one decade either way, and "dead" = at least 99% exact zeros (module docstrings).
    assert (VANISHING_RATIO, EXPLODING_RATIO, DEAD_FRACTION) == (0.1, 10.0, 0.99)


def test_layer_state_at_the_boundaries():
    assert diagnosis.layer_state(VANISHING_RATIO, 0.0, 0.0) == "healthy"
    assert diagnosis.layer_state(below(VANISHING_RATIO, 0.0), 0.0, 0.0) == "vanishing"
    assert diagnosis.layer_state(EXPLODING_RATIO, 0.0, 0.0) == "healthy"
    assert diagnosis.layer_state(below(EXPLODING_RATIO, math.inf), 0.0, 0.0) == "exploding"
    assert diagnosis.layer_state(math.inf, 0.0, 0.0) == "exploding"
    assert diagnosis.layer_state(1.0, DEAD_FRACTION, 0.0) == "dead"
    assert diagnosis.layer_state(1.0, below(DEAD_FRACTION, 0.0), 0.0) == "healthy"
    assert diagnosis.layer_state(1.0, 0.0, 1e-9) == "overflow"


def test_layer_state_priority():
    assert diagnosis.layer_state(math.nan, 1.0, 0.5) == "overflow"  # overflow beats dead
    assert diagnosis.layer_state(0.0, 1.0, 0.0) == "dead"  # dead beats vanishing
    assert diagnosis.layer_state(0.001, 0.5, 0.0) == "vanishing"


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=0.0, allow_infinity=True),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_layer_state_agrees_with_the_thresholds(ratio, frac_zero):
    state = diagnosis.layer_state(ratio, frac_zero, 0.0)
    assert state in diagnosis.LAYER_STATES
    assert (state == "dead") == (frac_zero >= DEAD_FRACTION)
    if state != "dead":
        assert (state == "vanishing") == (ratio < VANISHING_RATIO)
        assert (state == "exploding") == (ratio > EXPLODING_RATIO)


# --- network states --------------------------------------------------------------------------


def test_overflow_anywhere_wins():
    ratios = [1.0] * 6 + [math.inf, math.nan, 1.0]
    nonfinite = [0.0] * 6 + [0.25, 1.0, 0.0]
    result = diagnosis.network_state(ratios, [0.0] * 9, nonfinite)
    assert result.state == "overflow" and result.first_bad_layer == 7
    assert result.message.startswith("overflow at layer 7")
    assert "25%" in result.message
    assert result.layer_states[6:8] == ("overflow", "overflow")


def test_final_state_and_its_onset():
    ratios = [1.0, 0.05, 0.5, 0.08, 0.02]
    result = diagnosis.network_state(ratios, [0.0] * 5, [0.0] * 5)
    assert result.state == "vanishing"
    assert result.first_bad_layer == 4  # from layer 4 on it stays vanishing
    assert result.layer_states == ("healthy", "vanishing", "healthy", "vanishing", "vanishing")
    assert "1/50 of" in result.message and "layer 5" in result.message


def test_healthy_network_has_no_bad_layer():
    result = diagnosis.network_state(np.array([0.9, 1.1, 1.0]), np.zeros(3), np.zeros(3))
    assert result.state == "healthy" and result.first_bad_layer is None
    assert result.message.startswith("healthy")


def test_xavier_relu_theory_vanishes_from_layer_7():
    # RMS ratio 2^(-l/2): 2^-3 = 0.125 at layer 6, 2^-3.5 = 0.088 < 0.1 at layer 7; 1/64 at 12.
    result = diagnosis.diagnose_prediction(theory.predict("xavier_normal", "relu", 12, 256))
    assert result.state == "vanishing" and result.first_bad_layer == 7
    assert result.message == (
        "vanishing: the RMS falls below 1/10 of the input's at layer 7 "
        "and to 1/64 of the input's by layer 12"
    )


@pytest.mark.parametrize(
    ("init", "activation", "width", "state", "onset"),
    [
        ("he_normal", "relu", 256, "healthy", None),
        ("large_random", "linear", 512, "exploding", 1),
        ("zeros", "relu", 256, "dead", 1),
        ("xavier_normal", "tanh", 256, "healthy", None),
    ],
)
def test_theory_diagnoses(init, activation, width, state, onset):
    result = diagnosis.diagnose_prediction(theory.predict(init, activation, 10, width))
    assert (result.state, result.first_bad_layer) == (state, onset)


def test_theory_overflow_is_reported():
    result = diagnosis.diagnose_prediction(theory.predict("large_random", "relu", 300, 256))
    assert result.state == "overflow"
    # q_l = 128^l * 256 / 2... overflows float64 (1.8e308) once 128^l passes ~1e306: l = 146.
    q = theory.predict("large_random", "relu", 300, 256).pre_var
    assert result.first_bad_layer == int(np.argmax(~np.isfinite(q))) + 1


def test_gradient_state():
    assert diagnosis.gradient_state(1.0, 1.0) == "healthy"
    assert diagnosis.gradient_state(0.1, 1.0) == "healthy"
    assert diagnosis.gradient_state(below(0.1, 0.0), 1.0) == "vanishing"
    assert diagnosis.gradient_state(10.0, 1.0) == "healthy"
    assert diagnosis.gradient_state(below(10.0, 11.0), 1.0) == "exploding"
    assert diagnosis.gradient_state(math.inf, 1.0) == "overflow"
    assert diagnosis.gradient_state(math.nan, 1.0) == "overflow"
    assert diagnosis.gradient_state(0.0, 0.0) == "dead"
    assert diagnosis.gradient_state(1e-3, 0.0) == "exploding"


# --- recommendations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "init", "params"),
    [
        ("relu", "he_normal", ()),
        ("leaky_relu", "he_normal", (("slope", 0.01),)),
        ("tanh", "xavier_normal", ()),
        ("sigmoid", "xavier_normal", ()),
        ("linear", "xavier_normal", ()),
        ("selu", "lecun_normal", ()),
        ("gelu", "he_normal", ()),
    ],
)
def test_recommended_init(activation, init, params):
    recommendation = diagnosis.recommended_init(activation)
    assert (recommendation.init, recommendation.params) == (init, params)
    reason = recommendation.reason
    assert reason.endswith(".") and reason.replace("et al.", "").count(". ") == 0  # one sentence
    assert "et al." in reason or "Bengio" in reason  # cites its source


def test_leaky_recommendation_carries_the_slope_and_restores_the_second_moment():
    recommendation = diagnosis.recommended_init("leaky_relu", slope=0.2)
    assert recommendation.params == (("slope", 0.2),)
    sw2 = theory.effective_sw2("he_normal", 100, 100, recommendation.params).sw2
    assert theory.chi1("leaky_relu", sw2, 0.0, slope=0.2) == pytest.approx(1.0, rel=1e-12)


def test_recommendations_are_what_the_theory_says():
    # He + ReLU is critical; LeCun + SELU has its fixed point at q = 1 (Klambauer et al. 2017);
    # Xavier + tanh without bias sits on the edge of chaos (sw2 = 1).
    assert theory.chi1("relu", 2.0, 0.0) == 1.0
    assert theory.fixed_point("selu", 1.0, 0.0, q0=0.3) == pytest.approx(1.0, rel=1e-9)
    assert theory.edge_of_chaos("tanh", 0.0)[0] == 1.0


def test_gelu_reason_quotes_the_theory():
    reason = diagnosis.recommended_init("gelu").reason
    gain = 2.0 * theory.expected_phi2("gelu", 1.0)
    assert f"{gain:.2f}" in reason and "ReLU" in reason and "critical" in reason
    # the quoted drift is real: He + GELU shrinks the signal in the mean-field limit.
    assert theory.predict("he_normal", "gelu", 30, 256).rms_ratio[-1] < 0.2


def test_sigmoid_reason_quotes_the_theory():
    reason = diagnosis.recommended_init("sigmoid").reason
    assert f"{theory.chi1('sigmoid', 1.0, 0.0):.2g}" in reason
    assert f"{theory.edge_of_chaos('sigmoid', 0.0)[0]:.0f}" in reason


# --- match verdicts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "activation", "params", "label", "phrase"),
    [
        ("he_normal", "relu", (), "match", "the scale ReLU needs"),
        ("he_uniform", "relu", (), "match", "n Var(W) = 2"),
        ("xavier_normal", "tanh", (), "match", "n Var(W) = 1"),
        ("lecun_normal", "selu", (), "match", "SELU"),
        ("he_normal", "gelu", (), "match", "GELU"),
        ("xavier_normal", "relu", (), "mismatch", "halves E[a^2] per layer"),
        ("he_normal", "tanh", (), "mismatch", "toward saturation"),
        ("small_random", "tanh", (), "mismatch", "ignores the fan-in"),
        ("large_random", "relu", (), "mismatch", "explodes"),
        ("torch_linear_default", "relu", (), "mismatch", "vanishes"),
        ("zeros", "relu", (), "never", "same gradient"),
        ("constant", "tanh", {"value": 0.5}, "never", "identically"),
        ("rand", "tanh", (), "never", "positive"),
    ],
)
def test_common_verdicts(init, activation, params, label, phrase):
    verdict = diagnosis.match_verdict(init, activation, params)
    assert verdict.label == label
    assert verdict.matches == (label == "match")
    assert phrase in verdict.reason


def test_he_with_tanh_is_chaotic():
    verdict = diagnosis.match_verdict("he_normal", "tanh")
    chi = theory.chi1("tanh", 2.0, 0.0)
    assert chi > 1 and f"chi1 = {chi:.3g}" in verdict.reason and "chaotic" in verdict.reason


def test_pytorch_tanh_gain_is_chaotic_in_theory():
    verdict = diagnosis.match_verdict("xavier_normal", "tanh", {"gain": 5 / 3})
    assert verdict.label == "mismatch"
    assert "chi1 = 1.21" in verdict.reason  # reference.md: chi1 = 1.2098


def test_match_tolerance_boundary():
    # Xavier with gain g has sw2 = g^2 at equal widths; tanh needs 1 within 10%.
    inside = diagnosis.match_verdict("xavier_normal", "tanh", {"gain": math.sqrt(1.09)})
    outside = diagnosis.match_verdict("xavier_normal", "tanh", {"gain": math.sqrt(1.11)})
    assert inside.matches and not outside.matches


def test_relu_like_activations_are_judged_by_their_gain():
    # Xavier with gain sqrt 2 equals He at equal widths.
    assert diagnosis.match_verdict("xavier_normal", "relu", {"gain": math.sqrt(2)}).matches
    # GELU: sw2 E[gelu^2](1) = 1 is a match even though sw2 is 17% above He's 2.
    sw2 = 1.0 / theory.expected_phi2("gelu", 1.0)
    verdict = diagnosis.match_verdict("xavier_normal", "gelu", {"gain": math.sqrt(sw2)})
    assert verdict.matches
    assert not diagnosis.match_verdict("xavier_normal", "gelu", {"gain": 1.8}).matches
    # leaky ReLU with slope 0.5 needs 2/1.25 = 1.6; plain He (2) is 25% too much.
    assert not diagnosis.match_verdict("he_normal", "leaky_relu", slope=0.5).matches
    assert diagnosis.match_verdict("he_normal", "leaky_relu", {"slope": 0.5}, slope=0.5).matches


def test_fixed_scale_match_is_flagged_as_a_coincidence():
    verdict = diagnosis.match_verdict("normal", "tanh", {"std": 0.01}, width=10_000)
    assert verdict.matches and "ignores the fan-in" in verdict.reason
    assert not diagnosis.match_verdict("normal", "tanh", {"std": 0.01}, width=256).matches


# --- argument checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: diagnosis.layer_state(-1.0, 0.0, 0.0), "rms_ratio"),
        (lambda: diagnosis.layer_state(math.nan, 0.0, 0.0), "rms_ratio"),
        (lambda: diagnosis.layer_state("big", 0.0, 0.0), "rms_ratio"),
        (lambda: diagnosis.layer_state(1.0, 1.5, 0.0), "frac_zero"),
        (lambda: diagnosis.layer_state(1.0, 0.0, -0.1), "frac_nonfinite"),
        (lambda: diagnosis.network_state([1.0, 2.0], [0.0], [0.0, 0.0]), "same length"),
        (lambda: diagnosis.network_state([], [], []), "rms_ratios"),
        (lambda: diagnosis.network_state(1.0, [0.0], [0.0]), "rms_ratios"),
        (lambda: diagnosis.gradient_state(-1.0, 1.0), "first_layer_grad_std"),
        (lambda: diagnosis.gradient_state(1.0, "x"), "last_layer_grad_std"),
        (lambda: diagnosis.recommended_init("swish"), "activation"),
        (lambda: diagnosis.match_verdict("he_normal", "relu", width=0), "width"),
        (lambda: diagnosis.match_verdict("glorot", "relu"), "init"),
        (lambda: diagnosis.match_verdict("he_normal", "relu", {"std": 1.0}), "he_normal"),
        (lambda: diagnosis.match_verdict("he_normal", "relu", 3), "init_params"),
        (lambda: diagnosis.diagnose_prediction("x"), "prediction"),
        (
            lambda: diagnosis.diagnose_prediction(theory.predict("rand", "relu", 2, 4)),
            "not applicable",
        ),
    ],
)
def test_invalid_arguments_name_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=parameter):
        call()


@settings(max_examples=50, deadline=None)
@given(st.floats(allow_nan=True).filter(lambda x: not 0.0 <= x <= 1.0))
def test_any_fraction_outside_0_1_is_refused(fraction):
    with pytest.raises(ValueError, match=r"frac_zero must be a finite number in \[0, 1\]"):
        diagnosis.layer_state(1.0, fraction, 0.0)


def test_a_constant_layer_is_dead_whatever_its_rms():
    # sigmoid after zero weights outputs 0.5 everywhere: RMS ratio 0.5, but no signal.
    assert diagnosis.layer_state(0.5, 0.0, 0.0) == "healthy"
    assert diagnosis.layer_state(0.5, 0.0, 0.0, constant=True) == "dead"
    assert diagnosis.layer_state(0.5, 0.0, 0.1, constant=True) == "overflow"  # overflow comes first
    verdict = diagnosis.network_state([0.5, 0.5], [0.0, 0.0], [0.0, 0.0], [True, True])
    assert verdict.state == "dead"
    assert verdict.first_bad_layer == 1
    assert "same value for every input" in verdict.message
    with pytest.raises(ValueError, match="constant must be True or False"):
        diagnosis.layer_state(0.5, 0.0, 0.0, constant="yes")
    with pytest.raises(ValueError, match="must have the same length"):
        diagnosis.network_state([0.5], [0.0], [0.0], [True, False])
