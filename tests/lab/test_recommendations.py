"""Recommendations derived from theory (lab.diagnosis.advise), and every text that states one.

The targets are checked against independent scipy quadrature; the recommendations against
reference.md; and every sentence that recommends an init (the engine's reasons and verdicts,
the Signal propagation and Forward pass cards, the quiz keys, explanations and feedback)
against the engine's numbers, activation by activation.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import integrate

from lab.activations import get_activation
from lab.diagnosis import (
    MATCH_TOLERANCE,
    REFERENCE_DEPTH,
    advise,
    diagnose_prediction,
    match_verdict,
    recommended_init,
    scheme_fit,
)
from lab.experiments import forward_pass, signal_propagation
from lab.health import flat_share_normal
from lab.initializers import variance_scaling
from lab.theory import predict
from quizzes import bank_concepts, bank_signal
from quizzes.grading import grade

ACTIVATIONS = ("linear", "relu", "leaky_relu", "tanh", "sigmoid", "gelu", "selu")
#: reference.md: the scheme each activation gets, and whether it is a match (both scales kept)
#: or only the standard scheme closest to chi1 = 1.
EXPECTED = {
    "relu": ("he_normal", True),
    "leaky_relu": ("he_normal", True),
    "linear": ("xavier_normal", True),
    "selu": ("lecun_normal", True),
    "tanh": ("xavier_normal", False),
    "sigmoid": ("he_normal", False),
    "gelu": ("he_normal", False),
}


def gauss(f, q: float) -> float:
    """E[f(sqrt(q) z)], z ~ N(0, 1), by scipy quad split at 0 (independent of lab.theory)."""
    s = math.sqrt(q)

    def integrand(z: float) -> float:
        return float(f(np.array([s * z]))[0]) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    return sum(integrate.quad(integrand, a, b, epsabs=1e-13, limit=200)[0] for a, b in
               ((-np.inf, 0.0), (0.0, np.inf)))  # fmt: skip


# --- the targets -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize(("input_std", "bias_std"), [(1.0, 0.0), (2.0, 0.0), (1.0, 0.3)])
def test_forward_target_keeps_the_input_scale(name, input_std, bias_std):
    act = get_activation(name)
    advice = advise(name, input_std=input_std, bias_std=bias_std)
    q, sb2 = input_std**2, bias_std**2
    second = gauss(lambda u: act.function(u) ** 2, q)
    # q is a fixed point of the length map at sigma_w^2 = forward_sw2
    assert advice.forward_sw2 * second + sb2 == pytest.approx(q, rel=1e-8)
    chi = advice.forward_sw2 * gauss(lambda u: act.derivative(u) ** 2, q)
    assert advice.forward_chi1 == pytest.approx(chi, rel=1e-8)


def test_gelu_and_relu_forward_targets_are_the_references():
    # reference.md: sigma_w^2 = 1 / 0.42522 = 2.352 keeps q = 1 for GELU; 2 for ReLU.
    assert advise("gelu").forward_sw2 == pytest.approx(2.352, abs=5e-4)
    assert advise("relu").forward_sw2 == 2.0
    assert advise("leaky_relu", slope=0.2).forward_sw2 == pytest.approx(2 / 1.04)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu", "selu"])
def test_critical_target_puts_chi1_at_1_at_its_fixed_point(name):
    act = get_activation(name)
    advice = advise(name, bias_std=0.2)  # with a bias every critical point has q* > 0
    sw2, q_star = advice.critical_sw2, advice.critical_q
    assert sw2 * gauss(lambda u: act.function(u) ** 2, q_star) + 0.04 == pytest.approx(q_star)
    assert sw2 * gauss(lambda u: act.derivative(u) ** 2, q_star) == pytest.approx(1.0, rel=1e-6)


def test_critical_targets_without_bias():
    tanh, sigmoid, gelu = advise("tanh"), advise("sigmoid"), advise("gelu")
    assert (tanh.critical_sw2, tanh.critical_q, tanh.critical_reached) == (1.0, 0.0, True)
    # sigmoid is critical only at sigma_w^2 = 103 with q* = 45.6, where most units saturate
    assert sigmoid.critical_sw2 == pytest.approx(103.0, rel=0.01)
    at_critical = flat_share_normal(sigmoid.activation, sigmoid.critical_q)
    assert sigmoid.critical_q == pytest.approx(45.6, rel=0.01)
    assert sigmoid.critical_saturated == at_critical > 0.5
    # GELU's only critical point is q* = 0 at sigma_w^2 = 4, and the length map leaves it
    assert (gelu.critical_sw2, gelu.critical_q, gelu.critical_reached) == (4.0, 0.0, False)


@pytest.mark.parametrize("name", ["linear", "relu", "leaky_relu"])
@pytest.mark.parametrize("input_std", [0.5, 1.0, 3.0])
def test_homogeneous_activations_keep_any_scale_at_their_edge(name, input_std):
    """Without a bias, linear, ReLU and leaky ReLU map q to sigma_w^2 E[phi^2](q) = q at the edge
    (chi1 = 1): every q is a fixed point, so the network keeps its first layer's
    q_1 = sigma_w^2 input_std^2 (the input enters unrectified), the engine's own prediction,
    and the advice never says that it leaves q* behind."""
    advice = advise(name, input_std=input_std)
    edge = variance_scaling(advice.critical_sw2, "fan_in", "normal")
    pre_var = predict(edge, name, 6, 256, input_std=input_std).pre_var
    assert pre_var == pytest.approx(np.full(6, advice.critical_sw2 * input_std**2))
    assert advice.critical_q == pytest.approx(pre_var[-1])
    assert advice.critical_reached
    assert f"q* = {advice.critical_q:.3g}" in advice.reason
    assert "never reaches" not in advice.reason


# --- the schemes' numbers and the recommendations --------------------------------------------


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_the_recommendation_is_the_reference(name):
    init, matched = EXPECTED[name]
    recommendation = recommended_init(name)
    assert (recommendation.init, recommendation.matches) == (init, matched)
    advice = advise(name)
    labels = {fit.name: fit.label for fit in advice.fits}
    assert ("match" in labels.values()) == matched
    if not matched:  # the recommendation is the scheme closest to chi1 = 1
        distance = [abs(math.log(fit.chi1)) for fit in advice.fits]
        assert abs(math.log(advice.recommended.chi1)) == min(distance)


def test_sigmoid_numbers_are_the_references():
    # reference.md: He gives q* = 0.555, chi1 = 0.101; Xavier chi1 = 0.056.
    advice = advise("sigmoid")
    he, xavier = scheme_fit(advice, "he_normal"), scheme_fit(advice, "xavier_normal")
    assert he.q_star == pytest.approx(0.555, abs=5e-4) and he.chi1 == pytest.approx(0.101, abs=5e-4)
    assert xavier.chi1 == pytest.approx(0.0557, abs=5e-4)
    assert he.label == xavier.label == "mismatch"


def test_tanh_schemes_are_the_references():
    advice = advise("tanh")
    xavier = scheme_fit(advice, "xavier_normal")
    (torch,) = [fit for fit in advice.fits if dict(fit.params).get("gain") == 5 / 3]
    # reference.md: gain 5/3 is chaotic, q* = 1.1785, chi1 = 1.2098; Xavier at the edge
    assert torch.q_star == pytest.approx(1.1785, abs=1e-4)
    assert torch.chi1 == pytest.approx(1.2098, abs=1e-4)
    assert torch.label == "partial" and torch.forward_ok and not torch.critical_ok
    assert xavier.chi1 == pytest.approx(1.0) and xavier.label == "partial"
    # unit-scale signals decay under Xavier: RMS ratio 0.16 and gradient 1/3.6 after 20 layers
    assert xavier.rms_ratio == pytest.approx(0.16, abs=0.005)
    assert 1 / xavier.gradient_ratio == pytest.approx(3.6, abs=0.05)


def test_he_gelu_outcome_is_the_reference():
    fit = scheme_fit(advise("gelu"), "he_normal")
    # reference.md: sigma_w^2 E[gelu(z)^2] = 0.85 at q = 1; RMS ratio 0.037 at 20 layers
    assert fit.forward_gain == pytest.approx(0.85, abs=0.001)
    assert fit.rms_ratio == pytest.approx(0.037, abs=0.0005)
    assert fit.label == "mismatch" and fit.chi1 == pytest.approx(0.5)
    prediction = predict("he_normal", "gelu", 50, 256)
    assert prediction.rms_ratio[-1] == pytest.approx(1.1e-6, rel=0.1)  # "about 1e-6 at 50"


def test_match_needs_both_scales_within_the_tolerance():
    # Xavier with gain g has sigma_w^2 = g^2 at equal fans. ReLU: forward gain = chi1 = g^2/2.
    inside = match_verdict("xavier_normal", "relu", {"gain": math.sqrt(2 * (1 + 0.099))})
    outside = match_verdict("xavier_normal", "relu", {"gain": math.sqrt(2 * (1 + 0.101))})
    assert inside.label == "match" and outside.label == "mismatch"
    assert MATCH_TOLERANCE == pytest.approx(0.1)  # the 0.099 / 0.101 pair straddles it


# --- every text that states a recommendation agrees with the numbers -------------------------

CHI = re.compile(r"χ₁ = ([0-9.e+-]+)")
SW2 = re.compile(r"σ_w² = ([0-9.e+-]+)")


def engine_numbers(name: str) -> tuple[set[str], set[str]]:
    """Every chi1 and sigma_w^2 the engine knows for this activation, as texts print them."""
    advice = advise(name)
    chis = {1.0, advice.forward_chi1, *(fit.chi1 for fit in advice.fits)}
    sw2s = {advice.forward_sw2, advice.critical_sw2, *(fit.sw2 for fit in advice.fits)}
    return {f"{c:.3g}" for c in chis}, {f"{s:.3g}" for s in sw2s}


def assert_agrees(text: str, name: str, *, extra_sw2: tuple[float, ...] = ()) -> None:
    """Every chi1 and sigma_w^2 quoted in ``text`` is one of the engine's for ``name``; a text
    that calls something a match or says it keeps the scale does so only for a match."""
    chis, sw2s = engine_numbers(name)
    sw2s |= {f"{s:.3g}" for s in extra_sw2}
    for quoted in CHI.findall(text):
        assert quoted.rstrip(".") in chis, (name, quoted, text)
    for quoted in SW2.findall(text):
        assert quoted.rstrip(".") in sw2s, (name, quoted, text)
    advice = advise(name)
    if "a match" in text:
        assert advice.matched
    for phrase in ("keeps small signals", "shrinks by", "pushes tanh", "almost no gradient"):
        assert phrase not in text, (name, phrase)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_the_recommendation_texts_quote_the_engine(name):
    advice = advise(name)
    reason = recommended_init(name).reason
    assert reason == advice.reason
    assert_agrees(reason, name)
    rec = advice.recommended
    assert f"{rec.name} " in reason and f"σ_w² = {rec.sw2:.3g}" in reason
    assert f"RMS ratio is {rec.rms_ratio:.2g}" in reason
    if advice.matched:
        assert "a match" in reason
    else:
        assert "No standard scheme keeps both" in reason and "Closest to χ₁ = 1" in reason
    for fit in advice.fits:
        verdict = match_verdict(fit.init, name, fit.params)
        assert verdict.label == fit.label
        assert_agrees(verdict.reason, name)
        assert f"χ₁ = {fit.chi1:.3g}" in verdict.reason
        assert f"after {REFERENCE_DEPTH} layers" in verdict.reason.lower()


def test_named_texts_say_what_the_issue_asks():
    gelu = match_verdict("he_normal", "gelu")
    assert gelu.label == "mismatch" and "keeps the signal" not in gelu.reason
    assert "q × 0.85 per layer" in gelu.reason and "needs σ_w² = 2.35" in gelu.reason
    sigmoid = recommended_init("sigmoid").reason
    assert "problem case" in sigmoid and "not as Xavier's" in sigmoid
    assert "no variance-scaling scheme can keep both scales" in sigmoid
    he_sigmoid = match_verdict("he_normal", "sigmoid").reason
    assert "grow" not in he_sigmoid and "χ₁ = 0.101" in he_sigmoid
    torch = match_verdict("xavier_normal", "tanh", {"gain": 5 / 3})
    share = flat_share_normal(get_activation("tanh"), 1.1784804903859076)
    assert torch.label == "partial"
    assert f"mildly chaotic (χ₁ = 1.21, {100 * share:.2g}% saturated) and trains well" in (
        torch.reason
    )
    xavier_tanh = match_verdict("xavier_normal", "tanh").reason
    assert "RMS ratio is 0.16" in xavier_tanh and "0.28 of the output's" in xavier_tanh
    assert "polynomially" in xavier_tanh and "like 1/l" in xavier_tanh
    selu = recommended_init("selu").reason
    assert "calculate_gain('selu') = 3/4" in selu and "nonlinearity='linear'" in selu


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu", "relu", "selu"])
def test_the_pages_show_the_engines_recommendation(name):
    config = signal_propagation.Config(activation=name, layers=3, width=16, samples=20)
    result = signal_propagation.run(config)
    cards = {card.label: card for card in result.cards}
    advice = advise(name, depth=3)  # the network's depth, not REFERENCE_DEPTH
    title = "Recommended" if advice.matched else "Closest scheme"
    rec = cards[f"{title} for {advice.activation.label}"]
    assert rec.captions[-1] == advice.reason
    assert (len(rec.captions) == 1) == advice.matched  # "no scheme keeps both" when none does
    verdict = cards["Match verdict"]
    reason = match_verdict("he_normal", name, width=16, depth=3).reason
    if name == "relu":
        # He + ReLU is a match, but these 16 units read "vanishing" (0.43 of the input's RMS
        # at layer 3): the card says why the two differ (lab.diagnosis.width_caveat).
        assert result.summary.diagnosis.state == "vanishing"
        (caveat,) = verdict.captions[1:]
        assert "with 16 units per layer this simulation is vanishing" in caveat
    else:
        assert verdict.captions[1:] == ()
    assert verdict.captions[0] == reason
    assert "after 3 layers the mean-field rms ratio" in verdict.captions[0].lower()
    small = {"view": "network", "layers": 3, "width": 16, "samples": 20}
    view = forward_pass.run(forward_pass.Config(activation=name, **small)).network
    assert view.fit.endswith(match_verdict("xavier_normal", name, width=16, depth=3).reason)


def test_the_quoted_outcome_is_the_networks_depth_and_theorys_prediction():
    """A page quotes the mean-field outcome at its network's depth (100 layers: 2^-50 for
    Xavier + ReLU, the walkthrough's case, not 2^-10 at REFERENCE_DEPTH), and the number is
    theory's prediction at that depth."""
    deep = match_verdict("xavier_normal", "relu", width=512, depth=100).reason
    rms = predict("xavier_normal", "relu", 100, 512).rms_ratio[-1]
    assert rms == pytest.approx(2.0**-50, rel=1e-6)
    assert f"after 100 layers the mean-field rms ratio is {rms:.2g}" in deep.lower()
    assert (
        f"after {REFERENCE_DEPTH} layers" in match_verdict("xavier_normal", "relu").reason.lower()
    )
    with pytest.raises(ValueError, match="depth"):
        advise("relu", depth=0)


# --- quizzes ---------------------------------------------------------------------------------

QUESTION = bank_concepts.INIT_FOR_ACTIVATION


def variants() -> list[dict]:
    """One variant per activation and layer type (the generator draws both at random)."""
    seen, out = set(), []
    for seed in range(400):
        params = QUESTION.variant_params(np.random.default_rng(seed))
        key = (params["activation"], params["layer"])
        if key not in seen:
            seen.add(key)
            out.append(params)
    assert len(out) == 2 * len(bank_concepts.INIT_ACTIVATIONS)
    return out


def option_chi1(name: str, option: str) -> float:
    return 0.0 if option == "zeros" else scheme_fit(advise(name), option).chi1


@pytest.mark.parametrize("params", variants(), ids=lambda p: f"{p['activation']}-{p['layer']}")
def test_quiz_key_explanation_and_feedback_follow_the_engine(params):
    name = params["activation"]
    advice = advise(name)
    (key,) = QUESTION.correct_ids(params)
    assert key == advice.recommended.init
    prompt = QUESTION.render_prompt(params)
    options = [option for option, _ in QUESTION.option_list(params)]
    if advice.matched:
        assert "keeps the signal's scale" in prompt
        # the key is the only option that matches (N(0, 1) at any width above a few units
        # explodes for these unbounded activations)
        fan_scaled = [o for o in options if o not in ("zeros", "large_random")]
        assert [o for o in fan_scaled if scheme_fit(advice, o).label == "match"] == [key]
    else:
        assert "No standard initialization keeps both" in prompt and "closest" in prompt
        assert "large_random" not in options  # its chi1 depends on a width not given
        distances = {o: abs(math.log(option_chi1(name, o) or 1e-300)) for o in options}
        assert min(distances, key=distances.get) == key
    explanation = QUESTION.render_explanation(params)
    assert explanation.startswith(advice.reason)
    assert_agrees(explanation, name)
    for option in options:
        if option == key:
            continue
        feedback = grade(QUESTION, params, [option]).feedback
        assert_agrees(feedback, name)
        if option not in ("zeros", "large_random"):
            assert f"χ₁ = {option_chi1(name, option):.3g}" in feedback


def test_signal_bank_feedback_on_xavier_quotes_the_engine():
    text = bank_signal._CRITICAL_FEEDBACK["xavier_normal"]
    xavier = scheme_fit(advise("tanh"), "xavier_normal")
    assert f"χ₁ = {xavier.chi1:.3g} at q* = 0" in text and "like 1/l" in text
    assert advise("linear").recommended.init == "xavier_normal"  # "keeps ... a linear layer"
    (xavier_keeps,) = [
        m.feedback for m in bank_signal.XAVIER_RELU_RMS.mistakes if m.name == "xavier_preserves"
    ]
    assert "linear layer" in xavier_keeps and "tanh" not in xavier_keeps


def test_the_advice_cache_is_bounded():
    """Pages ask for any depth, input and bias scale: the process keeps a bounded number of
    answers (a class exploring 100 depths x many scales would otherwise grow it for good)."""
    from lab import diagnosis

    maxsize = diagnosis._advise.cache_info().maxsize
    assert maxsize is not None and maxsize == diagnosis.ADVICE_CACHE_SIZE <= 4096


def test_the_recommended_he_names_the_leaky_slope():
    """Leaky ReLU (a = 0.5): the card recommended plain 'He/Kaiming normal' beside a
    'mismatch' verdict for the student's He/Kaiming normal (a = 0); the slope is the point."""
    config = signal_propagation.Config(
        activation="leaky_relu", leaky_slope=0.5, layers=3, width=16, samples=20
    )
    cards = {card.label: card for card in signal_propagation.run(config).cards}
    (title,) = [label for label in cards if label.endswith("for Leaky ReLU (a=0.5)")]
    assert cards[title].value == "He/Kaiming normal (a = 0.5)"
    assert cards["Match verdict"].value == "mismatch"


def test_a_scheme_that_keeps_the_scale_exactly_is_not_said_to_miss_it():
    """GELU at q = 1e6 behaves like ReLU: He's σ_w² = 2 is the σ_w² that keeps the scale, to
    every digit shown; the reason read "σ_w² = 2 is <0.01% below 2"."""
    reason = advise("gelu", input_std=1000.0, depth=1).reason
    assert "σ_w² = 2 is the one that keeps it" in reason
    assert "<0.01%" not in reason


def test_a_scheme_without_a_fixed_point_is_not_said_to_have_one_at_infinity():
    """SELU with He's scale started at input std 1000 grows its q without bound (× 1.1 a layer):
    the reason read "χ₁ = 1.1 at q* = inf"; it now says there is no fixed point."""
    reason = match_verdict("he_normal", "selu", input_std=1000.0, depth=20).reason
    assert "q* = inf" not in reason and "at q*" not in reason
    assert "χ₁ = 1.1 as q grows without bound, with no fixed point" in reason


# --- verdicts and recommendations at the network's depth --------------------------------------


def _signal_run(init: str, activation: str, **values):
    controls = signal_propagation.CONTROLS
    full = controls.defaults() | {"init": init, "activation": activation} | values
    return signal_propagation.run(signal_propagation.config_from_values(full))


def test_a_chi1_within_the_tolerance_does_not_keep_a_gradient_that_compounds_over_the_depth():
    """LeCun + SELU has chi1 = 1.07 at its fixed point: a match over 20 layers, but over 100
    the factor compounds to 31 times the output's gradient, which the simulation calls
    exploding. The verdict at 100 layers says so instead of calling it a match."""
    short = _signal_run("lecun_normal", "selu", layers=20)
    assert short.verdict.label == "match"
    assert short.summary.diagnosis.gradient_state == "healthy"
    deep = _signal_run("lecun_normal", "selu", layers=100)
    assert deep.verdict.label == "partial"
    assert deep.summary.diagnosis.gradient_state == "exploding"
    assert (
        "χ₁ = 1.07 at q* is within 10% of 1, but after 100 layers the gradient reaching layer 1 "
        "is 31 times the output's, which the health model calls exploding (above 10)"
    ) in deep.verdict.reason
    # The theory's 31 and the simulation's ratio (256 units) agree within a factor of 1.5.
    assert deep.summary.diagnosis.gradient_ratio == pytest.approx(31, rel=0.5)
    # LeCun meets both numbers, so the reason does not say no scheme does; gain 3/4, the one
    # recommended, has a healthy network over 100 layers, and its simulation agrees.
    advice = advise("selu", depth=100)
    reason = advice.reason
    assert "No standard scheme is a match over 100 layers. Closest" in reason
    assert "within 10%. Closest" not in reason
    assert dict(advice.recommended.params) == {"gain": 0.75}
    gained = _signal_run("xavier_normal", "selu", gain=0.75, layers=100)
    assert gained.summary.diagnosis.state == "healthy"
    assert "yet after 100 layers the gradient reaching layer 1 is 31 times the output's" in reason


def test_a_transient_that_costs_decades_of_gradient_is_not_called_keeping_it():
    """SELU with PyTorch's gain 3/4 from input std 1000: chi1 = 1 at its q*, but on its way
    down to q* the network loses three decades of gradient, as the simulation measures. The
    verdict no longer says it keeps the gradient's scale."""
    result = _signal_run("xavier_normal", "selu", gain=0.75, input_std=1000.0, layers=20)
    assert result.summary.diagnosis.gradient_state == "vanishing"
    assert result.verdict.label == "mismatch"
    assert "It keeps neither scale" in result.verdict.reason
    assert "keeps the gradient's scale" not in result.verdict.reason


def test_selu_from_a_huge_input_is_recommended_a_scheme_its_simulation_calls_healthy():
    """From input std 1000 over 20 layers, gain 3/4 (closest to chi1 = 1 at q*) vanishes in
    both scales; He keeps both within a decade. The recommendation is He, the reason says why
    gain 3/4 is passed over, and both simulations agree."""
    advice = advise("selu", input_std=1000.0, depth=20)
    assert advice.recommended.init == "he_normal" and not advice.matched
    assert advice.closest_critical.params == (("gain", 0.75),)
    assert "among the schemes whose network after 20 layers the health model calls healthy" in (
        advice.reason
    )
    assert (
        "Xavier/Glorot normal, gain 3/4 (calculate_gain('selu')) is closer to χ₁ = 1"
        in advice.reason
    )
    assert (
        "but the health model finds its network after 20 layers “vanishing signal and gradient: "
        "the gradient reaching layer 1 is 0.00109 of the output's (× 0.70 per layer; mean-field "
        "theory)”;"
    ) in advice.reason
    # After that sentence, "It is also the closest" would name gain 3/4.
    assert "He/Kaiming normal is also the closest to keeping the scale" in advice.reason
    recommended = _signal_run("he_normal", "selu", input_std=1000.0, layers=20)
    assert recommended.summary.diagnosis.state == "healthy"
    card = {c.label: c for c in recommended.cards}["Closest scheme for SELU"]
    assert card.value == "He/Kaiming normal"  # the page's card names the same scheme
    passed_over = _signal_run("xavier_normal", "selu", gain=0.75, input_std=1000.0, layers=20)
    assert passed_over.summary.diagnosis.state == "vanishing"
    # He's own verdict says among which schemes it is the closest.
    assert (
        "this is the closest to χ₁ = 1 among the schemes whose network after 20 layers the "
        "health model calls healthy"
    ) in recommended.verdict.reason


def _theory_health(fit, activation: str, input_std: float, bias_std: float):
    """The health model's state of the scheme's own mean-field network (256 units) at the
    fit's depth, built by ``lab.theory.predict`` from the scheme's name and parameters."""
    prediction = predict(
        fit.init,
        activation,
        fit.depth,
        256,
        input_std=input_std,
        bias_std=bias_std,
        init_params=dict(fit.params),
    )
    return diagnose_prediction(prediction, activation)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_verdict_that_keeps_the_gradient_agrees_with_the_theorys_health(activation):
    """Over input scales, biases and depths: a scheme whose verdict keeps the gradient's scale
    (a match, or a partial on chi1) is one whose mean-field network at that depth has a
    gradient the health model (``diagnose_prediction``, 256 units) calls neither vanishing nor
    exploding."""
    for input_std in (0.001, 1.0, 1000.0):
        for bias_std in (0.0, 0.1):
            for depth in (1, 2, 3, 20, 100):
                advice = advise(activation, input_std=input_std, bias_std=bias_std, depth=depth)
                for fit in advice.fits:
                    if not fit.critical_ok:
                        continue
                    health = _theory_health(fit, activation, input_std, bias_std)
                    case = (fit.name, input_std, bias_std, depth)
                    assert health.gradient_state not in ("vanishing", "exploding"), case


def test_where_the_biases_dominate_the_recommendation_weighs_only_the_gradient():
    """tanh from input std 0.01 with biases of std 0.1 over 3 layers: every scheme's RMS ratio
    measures the biases (17 times the input's even for Xavier). He, closest to chi1 = 1 at its
    q*, starts at chi1 = 2 near q = 0 and the simulation calls its gradient exploding; Xavier's
    is healthy. The recommendation is Xavier and its reason says why the RMS is not weighed."""
    advice = advise("tanh", input_std=0.01, bias_std=0.1, depth=3)
    assert advice.recommended.init == "xavier_normal" and advice.passed_over
    assert "but for its RMS ratio (which measures the biases here" in advice.reason
    values = {"input_std": 0.01, "bias_std": 0.1, "layers": 3}
    he = _signal_run("he_normal", "tanh", **values).summary.diagnosis
    xavier = _signal_run("xavier_normal", "tanh", **values).summary.diagnosis
    assert he.gradient_state == "exploding"
    assert xavier.gradient_state == "healthy"


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_passed_over_recommendation_is_the_healthy_one(activation):
    """Over input scales, biases and depths: when the recommendation passes over the scheme
    closest to chi1 = 1, the health model (``diagnose_prediction`` of each scheme's own
    mean-field network, 256 units) calls the recommended network healthy (its gradient, where
    the biases dominate the input) and the passed-over one not."""
    seen = 0
    for input_std in (0.001, 0.01, 1.0, 10.0, 1000.0):
        for bias_std in (0.0, 0.1, 1.0):
            for depth in (1, 2, 3, 20, 100):
                advice = advise(activation, input_std=input_std, bias_std=bias_std, depth=depth)
                if not advice.passed_over:
                    continue
                seen += 1
                case = (input_std, bias_std, depth)
                recommended, passed = (
                    _theory_health(fit, activation, input_std, bias_std)
                    for fit in (advice.recommended, advice.closest_critical)
                )
                if bias_std**2 >= input_std**2:  # the RMS ratio measures the biases
                    signal_only = ("healthy", "vanishing", "exploding")
                    assert recommended.gradient_state == "healthy", case
                    assert recommended.state in signal_only, case
                    assert passed.gradient_state != "healthy" or passed.state not in signal_only
                else:
                    assert recommended.state == "healthy", case
                    assert passed.state != "healthy", case
    if activation in ("tanh", "selu"):
        assert seen > 0  # the grid reaches the cases this test is about


def test_a_reason_says_when_no_scheme_keeps_its_network_healthy():
    """SELU from input std 0.001 over 100 layers: every scheme's mean-field network is one the
    health model calls unhealthy, so the choice falls back to the closest to chi1 = 1 among all,
    and the reason says so; where a healthy one exists it does not."""
    advice = advise("selu", input_std=0.001, depth=100)
    assert not any(fit.outcome.state == "healthy" for fit in advice.fits)
    assert "the health model calls none of their networks after 100 layers healthy" in (
        advice.reason
    )
    healthy = advise("selu", input_std=1000.0, depth=20)
    assert "calls none of their networks" not in healthy.reason


def test_a_gradient_that_rounds_to_1_is_not_one_of_the_outputs():
    """0.997 is written "1": the text says "1 times the output's", not "1 of the output's"."""
    for activation in ACTIVATIONS:
        for depth in (2, 3, 20):
            for input_std in (0.001, 1.0):
                text = advise(activation, input_std=input_std, bias_std=0.1, depth=depth).reason
                assert " 1 of the output's" not in text, (activation, depth, input_std)
