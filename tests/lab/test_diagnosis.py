"""lab.diagnosis: the health of a mean-field prediction, match verdicts and their labels, and
argument checks. The health model itself is tested in test_health.py, the recommendations and
every text that states one in test_recommendations.py."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lab import diagnosis, theory


def predict(init: str, activation: str, layers: int, width: int = 256, **kw) -> object:
    return theory.predict(init, activation, layers, width, **kw)


# --- health of a mean-field prediction -------------------------------------------------------


def test_xavier_relu_theory_vanishes_at_any_depth():
    # E[a^2] halves per layer: RMS and gradient x 2^-1/2 = 0.71 per layer; 1/64 at 12 layers.
    for layers in (2, 5, 12):
        result = diagnosis.diagnose_prediction(predict("xavier_normal", "relu", layers), "relu")
        assert result.problem == "vanishing signal and gradient"
        assert result.signal_rate == pytest.approx(2**-0.5, rel=1e-12)
        assert result.gradient_rate == pytest.approx(2**-0.5, rel=1e-12)
        assert "RMS × 0.71 per layer from layer 1 on" in result.message
    result = diagnosis.diagnose_prediction(predict("xavier_normal", "relu", 12), "relu")
    assert result.signal_ratio == pytest.approx(1 / 64, rel=1e-12)
    assert result.gradient_source == "mean-field theory"


@pytest.mark.parametrize(
    ("init", "activation", "layers", "problem"),
    [
        ("he_normal", "relu", 10, "healthy"),
        ("lecun_normal", "selu", 20, "healthy"),  # gradient x 1.035 per layer: 1.9 in all
        ("large_random", "linear", 10, "exploding signal and gradient"),
        ("zeros", "relu", 10, "dead"),
        ("zeros", "sigmoid", 10, "dead"),  # every unit 0.5: constant, not "healthy"
        ("he_normal", "sigmoid", 50, "vanishing gradient"),  # 4e-25 (reference.md)
        ("large_random", "tanh", 20, "saturated"),  # q* = 243: 91% beyond 1.82
        ("xavier_normal", "tanh", 20, "healthy"),  # RMS 0.16, gradient 0.28: inside a decade
        ("xavier_normal", "tanh", 100, "vanishing signal"),  # RMS 0.071: like 1/l
        ("he_normal", "gelu", 20, "vanishing signal and gradient"),  # RMS 0.037
    ],
)
def test_theory_diagnoses(init, activation, layers, problem):
    result = diagnosis.diagnose_prediction(predict(init, activation, layers), activation)
    assert result.problem == problem


def test_theory_overflow_is_reported():
    prediction = predict("large_random", "relu", 300)
    result = diagnosis.diagnose_prediction(prediction, "relu")
    assert result.state == "overflow"
    # q_l = 128^l: float64 (1.8e308) overflows once 128^l passes ~1e306, at layer 146.
    assert result.first_bad_layer == int(np.argmax(~np.isfinite(prediction.pre_var))) + 1


# --- verdicts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "activation", "params", "label", "phrase"),
    [
        ("he_normal", "relu", (), "match", "a match for ReLU"),
        ("he_uniform", "relu", (), "match", "σ_w² = 2"),
        ("lecun_normal", "selu", (), "match", "SELU"),
        ("xavier_normal", "linear", (), "match", "σ_w² = 1"),
        ("xavier_normal", "tanh", (), "partial", "keeps the gradient's scale"),
        ("xavier_normal", "tanh", {"gain": 5 / 3}, "partial", "keeps the forward scale"),
        ("he_normal", "gelu", (), "mismatch", "this is the closest"),
        ("xavier_normal", "relu", (), "mismatch", "ordered"),
        ("he_normal", "tanh", (), "mismatch", "mildly chaotic"),
        ("small_random", "tanh", (), "mismatch", "ignores the fan-in"),
        ("large_random", "relu", (), "mismatch", "chaotic"),
        ("torch_linear_default", "relu", (), "mismatch", "ordered"),
        ("zeros", "relu", (), "never", "same gradient"),
        ("constant", "tanh", {"value": 0.5}, "never", "identically"),
        ("rand", "tanh", (), "never", "positive"),
    ],
)
def test_common_verdicts(init, activation, params, label, phrase):
    verdict = diagnosis.match_verdict(init, activation, params)
    assert verdict.label == label and label in diagnosis.VERDICT_LABELS
    assert verdict.matches == (label == "match")
    assert phrase in verdict.reason


def test_leaky_relu_needs_its_own_slope():
    # slope 0.5: sigma_w^2 = 2 / 1.25 = 1.6; plain He (2) is 25% too much on both counts.
    assert not diagnosis.match_verdict("he_normal", "leaky_relu", slope=0.5).matches
    assert diagnosis.match_verdict("he_normal", "leaky_relu", {"slope": 0.5}, slope=0.5).matches
    recommendation = diagnosis.recommended_init("leaky_relu", slope=0.2)
    assert recommendation.params == (("slope", 0.2),) and recommendation.matches


def test_the_input_scale_and_the_bias_enter_the_verdict():
    # tanh with small inputs is nearly linear: Xavier keeps q = 0.01 (forward gain 0.98).
    assert diagnosis.match_verdict("xavier_normal", "tanh", input_std=0.1).label == "match"
    assert diagnosis.match_verdict("xavier_normal", "tanh").label == "partial"
    advice = diagnosis.advise("tanh", input_std=0.1)
    assert advice.recommended.init == "xavier_normal" and advice.matched
    # a bias adds sb2 to every q: ReLU + He stays critical, and q grows by sb2 per layer
    biased = diagnosis.advise("relu", bias_std=0.5)
    assert biased.forward_sw2 == pytest.approx(1.5)  # (1 - 0.25) / (1/2)
    assert diagnosis.match_verdict("he_normal", "relu", bias_std=0.5).label == "partial"


def test_fixed_scale_match_is_flagged_as_a_coincidence():
    # N(0, 0.0884^2) at width 256 gives sigma_w^2 = 2.0: a match for ReLU at this width only.
    verdict = diagnosis.match_verdict("normal", "relu", {"std": math.sqrt(2 / 256)}, width=256)
    assert verdict.matches and "ignores the fan-in" in verdict.reason
    assert not diagnosis.match_verdict(
        "normal", "relu", {"std": math.sqrt(2 / 256)}, width=64
    ).matches


# --- argument checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: diagnosis.recommended_init("swish"), "activation"),
        (lambda: diagnosis.advise("relu", input_std=0.0), "input_std"),
        (lambda: diagnosis.advise("relu", bias_std=-1.0), "bias_std"),
        (lambda: diagnosis.match_verdict("he_normal", "relu", width=0), "width"),
        (lambda: diagnosis.match_verdict("glorot", "relu"), "init"),
        (lambda: diagnosis.match_verdict("he_normal", "relu", {"std": 1.0}), "he_normal"),
        (lambda: diagnosis.match_verdict("he_normal", "relu", 3), "init_params"),
        (lambda: diagnosis.scheme_fit(diagnosis.advise("relu"), "zeros"), "standard schemes"),
        (lambda: diagnosis.diagnose_prediction("x", "relu"), "prediction"),
        (
            lambda: diagnosis.diagnose_prediction(predict("rand", "relu", 2, 4), "relu"),
            "not applicable",
        ),
    ],
)
def test_invalid_arguments_name_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=parameter):
        call()


@pytest.mark.parametrize(
    ("activation", "input_std"), [("relu", 1.0), ("relu", 0.5), ("linear", 2.0)]
)
def test_the_advice_and_the_schemes_name_one_fixed_point(activation, input_std):
    """At the edge of a bias-free homogeneous network every q is fixed and the network stays
    at its first layer's q_1 = sw2 q. The advice named q* = 2 for ReLU at sw2 = 2 while He's fit
    beside it said 'chi1 = 1 at q* = 1': one card, two fixed points for one network."""
    advice = diagnosis.advise(activation, input_std=input_std)
    critical = next(
        fit for fit in advice.fits if fit.critical_ok and "gain" not in dict(fit.params)
    )
    assert critical.sw2 == pytest.approx(advice.critical_sw2)
    assert critical.q_star == pytest.approx(advice.critical_q)
    assert advice.critical_q == pytest.approx(advice.critical_sw2 * input_std**2)
    named = set(re.findall(r"q\* = ([0-9]+(?:\.[0-9]+)?)", advice.reason))
    assert named == {f"{critical.q_star:g}"}, advice.reason


def test_the_advice_never_denies_a_scheme_it_calls_a_match():
    """tanh with bias std 0.5: sigma_w^2 = 1.9 keeps the signal and 2.4 the gradient, each
    missing the other, and the advice said 'no single sigma_w^2 does both' beside 'He/Kaiming
    normal gives sigma_w^2 = 2: ... both within 10% of 1, a match'."""
    advice = diagnosis.advise("tanh", bias_std=0.5)
    he = diagnosis.scheme_fit(advice, "he_normal")
    assert he.forward_ok and he.critical_ok and advice.matched
    assert "no single σ_w² does both" not in advice.reason
    # Where no standard scheme keeps both, the sentence stays (sigmoid, no bias).
    sigmoid = diagnosis.advise("sigmoid")
    assert not any(fit.forward_ok and fit.critical_ok for fit in sigmoid.fits)
    assert "no single σ_w² does both" in sigmoid.reason


def test_a_tiny_gradient_factor_keeps_its_digits():
    # Small random weights (std 0.01) on sigmoid at 2 units: sigma_w^2 = 2e-4 and chi1 =
    # 1.25e-5, a std factor of 0.0035 per layer; two decimals read "× 0.00 per layer".
    verdict = diagnosis.match_verdict("small_random", "sigmoid", width=2)
    assert "× 0.00 per layer" not in verdict.reason
    assert re.search(r"gradient's std × 0\.00[1-9]\d* per layer", verdict.reason)


def test_the_forward_scale_a_verdict_keeps_is_named_as_the_pre_activations():
    """tanh is bounded: a verdict that keeps q (the pre-activations' variance) can sit beside an
    activation std that falls at layer 1, so the sentence says which scale it keeps."""
    verdict = diagnosis.match_verdict("xavier_normal", "tanh", {"gain": 5 / 3})
    assert "keeps the forward scale (q, the pre-activations' variance) but not" in verdict.reason
