"""Verdicts in words: the network's health, and which weight scale suits an activation.

Health: ``lab.health`` holds the one health model (its thresholds, states and headline); this
module re-exports it and applies it to a mean-field prediction (``diagnose_prediction``).

Recommendations are derived from mean-field theory (``lab.theory``; Poole et al. 2016,
Schoenholz et al. 2017), never typed in. For an activation (with its slope), the bias variance
sb2 and the input's scale q = input_std^2, ``advise`` computes

- the sw2 = n Var(W) that keeps q a fixed point of the length map (``preserving_sw2``): the
  forward second moment keeps the input's scale;
- the sw2 that puts chi1 = 1 (``edge_of_chaos``: the gradient keeps its scale), with its fixed
  point q* and whether the length map reaches it from the input's scale;
- for each standard scheme (He, Xavier, LeCun, PyTorch's gain for the activation, PyTorch's
  nn.Linear default) its sw2 at equal fans, its forward gain q_1 / q_0 at the input's scale,
  its chi1 at the fixed point reached from there and the mean-field outcome after the
  network's depth (``REFERENCE_DEPTH`` layers unless given).

A scheme *matches* when both its forward gain and its chi1 are within ``MATCH_TOLERANCE`` of 1,
is *partial* when one is, a *mismatch* when neither is. Its chi1 passes when chi1 at q* does,
or, for a network that is still far from q* a few layers past its last, when chi1 averaged over
its depth does (``SchemeFit.depth_chi1``): a network that never gets near q* is judged where it
is, as the simulation judges it. Either way chi1 passes only while the mean-field gradient
reaching layer 1 at the network's depth is one the health model calls healthy
(``lab.health.trend_state``): a chi1 of 1.07 compounds to 31 times over 100 layers, and a
network that starts far above its q* can lose decades on its way there. The recommended scheme
is the closest match; when there is none (tanh, sigmoid, GELU), the scheme closest to chi1 = 1,
because the gradient's factor per layer decides how deep a network can train (Schoenholz et al.
2017: about 6 depth scales), among the schemes whose mean-field network at the given depth the
health model calls healthy, when there are any (where the biases are at least as large as the
input only its gradient counts: the RMS ratio then measures the biases). Xavier and LeCun
coincide at equal fans: the lab names LeCun for SELU (Klambauer et al. 2017 derive SELU's fixed
point with fan_in) and Xavier otherwise (Glorot & Bengio 2010).
Every sentence that states a recommendation is built from these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from lab.activations import DEFAULT_LEAKY_SLOPE, Activation, calculate_gain, get_activation
from lab.health import (
    DEAD_FRACTION,
    EXPLODING_RATE,
    EXPLODING_RATIO,
    LAYER_STATES,
    RATE_DEPTH,
    SATURATED_SHARE,
    SATURATION_SLOPE,
    STATES,
    VANISHING_RATE,
    VANISHING_RATIO,
    Health,
    Measurements,
    assess,
    flat_share_normal,
    flat_threshold,
    percent,
    rate_text,
    trend_state,
)
from lab.initializers import MAX_FAN, Initializer, get_initializer, variance_scaling
from lab.text import plural
from lab.theory import (
    MAX_LAYERS,
    ActivationLike,
    InitParams,
    TheoryPrediction,
    chi1_from,
    classify_phase,
    edge_of_chaos,
    expected_dphi2,
    expected_phi2,
    fixed_point,
    predict,
    preserving_sw2,
)
from lab.validation import check_float, check_int

__all__ = [
    "DEAD_FRACTION",
    "EXPLODING_RATE",
    "EXPLODING_RATIO",
    "LAYER_STATES",
    "MATCH_TOLERANCE",
    "RATE_DEPTH",
    "REFERENCE_DEPTH",
    "SATURATED_SHARE",
    "SATURATION_SLOPE",
    "STATES",
    "VANISHING_RATE",
    "VANISHING_RATIO",
    "VERDICT_LABELS",
    "Advice",
    "Diagnosis",
    "Health",
    "Recommendation",
    "SchemeFit",
    "Verdict",
    "advise",
    "describe_fit",
    "diagnose_prediction",
    "match_verdict",
    "recommended_init",
    "scheme_fit",
]

#: The health of a network (``lab.health.Health``), under the name the lab has always used.
Diagnosis = Health

MATCH_TOLERANCE = 0.10
"""A scheme keeps the forward scale when its gain q_1 / q_0 at the input's scale is within this
relative distance of 1, and keeps the gradient's scale when its chi1 is (and the gradient at
the network's depth stays healthy: ``SchemeFit.critical_ok``)."""

REFERENCE_DEPTH = 20
"""The depth at which recommendations quote the mean-field outcome (RMS ratio, gradient) when
no network is given; a page with a network quotes its depth (``advise(depth=...)``)."""

VERDICT_LABELS: tuple[str, ...] = ("match", "partial", "mismatch", "never")

#: Why each activation behaves as it does (no numbers: those come from the theory).
_MECHANISM = {
    "relu": "ReLU zeroes the negative half of its input, which halves E[a²]; He's factor 2 "
    "wins it back (He et al. 2015).",
    "leaky_relu": "Leaky ReLU with slope a keeps (1 + a²)/2 of E[z²]; He's 2/(1 + a²) wins it "
    "back (He et al. 2015).",
    "linear": "A linear layer multiplies E[z²] by σ_w² = n Var(W); Xavier makes that 1 and, "
    "when fan_in and fan_out differ, balances the forward and backward passes (Glorot & "
    "Bengio 2010).",
    "selu": "SELU's self-normalizing fixed point (mean 0, variance 1) needs n Var(W) = 1 over "
    "fan_in: LeCun normal (Klambauer et al. 2017). PyTorch's calculate_gain('selu') = 3/4 "
    "is not that: PyTorch's documentation says to use nonlinearity='linear' for SELU, which "
    "gives Var(W) = 1/fan_in.",
    "tanh": "tanh has slope 1 at 0 and bends below |z| further out; Glorot & Bengio (2010) "
    "derived Xavier from its linear regime.",
    "sigmoid": "Sigmoid's slope is at most 1/4 and its mean 1/2 shifts every layer; Glorot & "
    "Bengio (2010) show it as the problem case of deep networks, not as Xavier's.",
    "gelu": "GELU passes large positive z and zeroes large negative z like ReLU, but bends "
    "near 0 (Hendrycks & Gimpel 2016), so ReLU's factor 2 is not exact.",
}


# --- health of a mean-field prediction -------------------------------------------------------


def _resolve(activation: ActivationLike, slope: float) -> Activation:
    if isinstance(activation, Activation):
        return activation
    return get_activation(activation, slope)


def prediction_measurements(
    prediction: TheoryPrediction, activation: ActivationLike, slope: float = DEFAULT_LEAKY_SLOPE
) -> Measurements:
    """``lab.health.Measurements`` of a mean-field prediction: ratios of the predicted RMS and
    std to the input's, dead where E[a^2] = 0, overflow where it is inf, the saturated share of
    N(0, q_l) (``lab.health.flat_share_normal``) and the predicted gradient."""
    if not isinstance(prediction, TheoryPrediction):
        raise ValueError(f"prediction must be a TheoryPrediction; got {prediction!r}")
    if not prediction.applicable:
        raise ValueError(f"prediction is not applicable: {prediction.reason}")
    act = _resolve(activation, slope)
    second = prediction.post_second_moment
    overflowed = ~np.isfinite(second) | ~np.isfinite(prediction.pre_var)
    with np.errstate(all="ignore"):
        rms = np.where(overflowed, np.nan, prediction.rms_ratio)
        spread = np.where(overflowed, np.nan, prediction.post_std / prediction.input_std)
        gradient = prediction.grad_std
    saturated = None
    if flat_threshold(act) is not None:
        saturated = tuple(
            flat_share_normal(act, float(q)) if math.isfinite(q) else 1.0
            for q in prediction.pre_var
        )
    return Measurements(
        activation=act,
        rms_ratio=tuple(rms),
        spread_ratio=tuple(spread),
        frac_zero=tuple((second == 0).astype(float)),
        frac_nonfinite=tuple(overflowed.astype(float)),
        constant=tuple(bool(v) for v in (prediction.post_var == 0) & (second > 0)),
        saturated=saturated,
        gradient=tuple(np.where(np.isfinite(gradient), gradient, np.nan)),
        gradient_source="mean-field theory",
    )


def diagnose_prediction(
    prediction: TheoryPrediction, activation: ActivationLike, slope: float = DEFAULT_LEAKY_SLOPE
) -> Health:
    """The health (``lab.health.assess``) of a mean-field prediction of ``activation``."""
    return assess(prediction_measurements(prediction, activation, slope))


# --- recommendations -------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeFit:
    """How one weight scale fits an activation, by mean-field theory at equal fans.

    init, params: the scheme (``get_initializer(init, **dict(params))``); label: its name;
    sw2 = n Var(W); forward_gain: q_1 / q_0 at the input's scale q_0 (1 keeps the scale);
    q_star, chi1: the fixed point the length map reaches from q_0 and chi1 there (1: the
    gradient keeps its scale); saturated: the share of units past the flat threshold at q*
    (None for activations that do not saturate); rms_ratio, gradient_ratio: mean-field RMS of
    a_L over the input's and gradient at layer 1 over the output's after ``depth`` layers;
    depth_chi1: chi1's geometric mean over the depth - 1 factors of gradient_ratio,
    gradient_ratio^(2 / (depth - 1)) (NaN for one layer); far_at_depth: chi1 at the last
    layer's q is not within ``MATCH_TOLERANCE`` of chi1 at q* (the texts then quote
    depth_chi1 too); stays_far: so it is RATE_DEPTH layers further on, the network is not just
    on its way to q*, and depth_chi1 may keep the gradient's scale;
    forward_ok: forward_gain within ``MATCH_TOLERANCE``; chi1_ok: chi1 or depth_chi1 within
    it; critical_ok: chi1_ok, and the gradient reaching layer 1 after ``depth`` layers is one
    the health model calls healthy (``lab.health.trend_state``: within a decade, and no factor
    per layer that would cost one within ``RATE_DEPTH`` layers), so that the simulation's
    headline at that depth cannot call a gradient the verdict keeps vanishing or exploding;
    outcome: the health model's judgement of the mean-field network after ``depth`` layers
    (``diagnose_prediction``); label: match, partial or mismatch.
    """

    init: str
    params: tuple[tuple[str, float], ...]
    name: str
    sw2: float
    forward_gain: float
    q_star: float
    chi1: float
    saturated: float | None
    rms_ratio: float
    gradient_ratio: float
    forward_ok: bool
    critical_ok: bool
    depth: int = REFERENCE_DEPTH
    depth_chi1: float = math.nan
    far_at_depth: bool = False
    stays_far: bool = False
    chi1_ok: bool = False
    outcome: Health | None = None

    @property
    def gradient_lost_over_depth(self) -> bool:
        """chi1 is within the tolerance, but the health model does not call the gradient
        reaching layer 1 after ``depth`` layers healthy: SELU with LeCun's scale (chi1 = 1.07)
        compounds to 31 times over 100 layers, and SELU with gain 3/4 started at input std 1000
        loses three decades on its way down to q*."""
        return self.chi1_ok and not self.critical_ok

    @property
    def label(self) -> str:
        if self.forward_ok and self.critical_ok:
            return "match"
        return "partial" if self.forward_ok or self.critical_ok else "mismatch"

    @property
    def distance(self) -> float:
        """max(|ln forward_gain|, |ln chi1|): how far from keeping both scales (0 = exact),
        with the chi1 the texts quote (``quoted_chi1``)."""
        return max(_log_distance(self.forward_gain), self.gradient_distance)

    @property
    def gradient_distance(self) -> float:
        """|ln quoted_chi1|: how far the gradient's factor per layer is from 1."""
        return _log_distance(self.quoted_chi1)

    @property
    def quoted_chi1(self) -> float:
        """The chi1 the texts judge by: over the depth when that alone keeps the gradient's
        scale (``far_from_fixed_point``), else at q*."""
        return self.depth_chi1 if self.far_from_fixed_point else self.chi1

    @property
    def far_from_fixed_point(self) -> bool:
        """Whether chi1 passes only as averaged over the depth of a network that stays far
        from q*, where chi1 is not within ``MATCH_TOLERANCE`` of 1."""
        return self.chi1_ok and not _within(self.chi1)


@dataclass(frozen=True)
class Advice:
    """What mean-field theory says about initializing ``activation`` (see the module docstring).

    q: the input's scale (input_std^2); sb2: the bias variance; forward_sw2: keeps q (NaN when
    no sw2 does); forward_chi1: chi1 at q with that sw2; critical_sw2, critical_q: chi1 = 1 and
    its fixed point (NaN when none); critical_reached: the length map reaches that fixed point
    from q; fits: every standard scheme; recommended: the closest match, else the scheme closest
    to chi1 = 1 (among those with a healthy outcome at the depth, when any); closest_forward,
    closest_critical: the schemes closest to each target; reason:
    the recommendation in words, every number from the fields above.
    """

    activation: Activation
    q: float
    sb2: float
    forward_sw2: float
    forward_chi1: float
    critical_sw2: float
    critical_q: float
    critical_reached: bool
    critical_gain: float
    critical_saturated: float | None
    fits: tuple[SchemeFit, ...]
    recommended: SchemeFit
    closest_forward: SchemeFit
    closest_critical: SchemeFit
    reason: str

    @property
    def matched(self) -> bool:
        return self.recommended.label == "match"

    @property
    def passed_over(self) -> bool:
        """No match, and the scheme closest to chi1 = 1 was passed over because the health
        model does not call its network at the depth healthy while another's it does."""
        closest, rec = self.closest_critical, self.recommended
        return not self.matched and closest is not rec and not math.isclose(closest.sw2, rec.sw2)


def _log_distance(value: float) -> float:
    if value == 0.0 or math.isnan(value):
        return math.inf
    return abs(math.log(value))


def _within(value: float) -> bool:
    return math.isfinite(value) and abs(value - 1.0) <= MATCH_TOLERANCE


def _gain_text(gain: float) -> str:
    fraction = Fraction(gain).limit_denominator(12)
    if abs(float(fraction) - gain) < 1e-12 and fraction.denominator > 1:
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{gain:.4g}"


def _pytorch_gain(act: Activation) -> float | None:
    """PyTorch's calculate_gain for the activation when it is a scale no other candidate has."""
    if act.name in ("tanh", "selu"):
        return calculate_gain(act.name)
    return None


def _candidates(act: Activation) -> list[tuple[str, tuple[tuple[str, float], ...], str]]:
    """(init, params, name) of the standard schemes, in the lab's order of preference."""
    slope = float(act.params.get("slope", 0.0)) if act.name == "leaky_relu" else 0.0
    he_params = (("slope", slope),) if act.name == "leaky_relu" else ()
    he_name = f"He/Kaiming normal (a = {slope:g})" if he_params else "He/Kaiming normal"
    xavier = ("xavier_normal", (), "Xavier/Glorot normal")
    lecun = ("lecun_normal", (), "LeCun normal")
    first = [lecun, xavier] if act.name == "selu" else [xavier, lecun]
    out = [("he_normal", he_params, he_name), *first]
    gain = _pytorch_gain(act)
    if gain is not None:
        name = f"Xavier/Glorot normal, gain {_gain_text(gain)} (calculate_gain('{act.name}'))"
        out.append(("xavier_normal", (("gain", gain),), name))
    out.append(("torch_linear_default", (), "PyTorch nn.Linear default"))
    return out


def _depth_outcome(
    act: Activation, sw2: float, q: float, sb2: float, depth: int
) -> tuple[float, float, float, float, Health]:
    """(RMS ratio, gradient ratio, q) of the mean-field prediction after ``depth`` layers, q
    RATE_DEPTH layers further on (where a network heading for q* is by then), and the health
    model's judgement of that predicted network (``diagnose_prediction``)."""
    scaled = variance_scaling(sw2, "fan_in", "normal") if sw2 > 0 else get_initializer("zeros")
    scales = {"input_std": math.sqrt(q), "bias_std": math.sqrt(sb2)}
    prediction = predict(scaled, act, depth, 256, **scales)
    ahead = predict(scaled, act, min(depth + RATE_DEPTH, MAX_LAYERS), 256, **scales)
    return (
        float(prediction.rms_ratio[-1]),
        float(prediction.grad_std[0]),
        float(prediction.pre_var[-1]),
        float(ahead.pre_var[-1]),
        diagnose_prediction(prediction, act),
    )


def _far_from(act: Activation, sw2: float, chi: float, q: float) -> bool:
    """Whether chi1 at variance ``q`` is not within ``MATCH_TOLERANCE`` of ``chi`` (chi1 at q*):
    a network at ``q`` is far from its fixed point, as its gradient sees it."""
    if not math.isfinite(q):
        return False
    here = sw2 * float(expected_dphi2(act, q))
    return math.isfinite(here) and not math.isclose(here, chi, rel_tol=MATCH_TOLERANCE)


def _fit(
    act: Activation,
    sw2: float,
    q: float,
    sb2: float,
    init: str,
    params: tuple,
    name: str,
    depth: int = REFERENCE_DEPTH,
) -> SchemeFit:
    gain = (sw2 * float(expected_phi2(act, q)) + sb2) / q
    # The length map starts at the first layer's pre-activation, q_1 = sw2 q + sb2 (the input
    # enters unrectified), as ``edge_of_chaos(input_q=q)`` does: at the edge of a bias-free
    # linear, ReLU or leaky ReLU network every q is fixed, and the network stays at q_1.
    chi, q_star = chi1_from(act, sw2, sb2, q0=sw2 * q + sb2)
    saturated = None
    if flat_threshold(act) is not None:
        saturated = flat_share_normal(act, q_star)
    rms, gradient, q_last, q_ahead, outcome = _depth_outcome(act, sw2, q, sb2, depth)
    # chi1 where the network is: the gradient's factor over the depth, per layer. GELU started
    # at q = 1e6 with sw2 = 2 keeps both scales for 100 layers while chi1 at its q* = 0 is 0.5.
    # It counts only while the network is still far from q* RATE_DEPTH layers past its last
    # (chi1 there unlike chi1 at q*): tanh with sw2 = 2 or gain 5/3 reaches q* within a few
    # layers, and the transient of its first layers must not move the verdict.
    # Xavier + GELU from q = 1e6 loses × 0.71 a layer for 20 layers (chi1 = 0.25 at its q* = 0
    # would give × 0.5) and reaches q* only after them: far at its depth, not staying far.
    far_at_depth, far = (_far_from(act, sw2, chi, at) for at in (q_last, q_ahead))
    depth_chi1 = math.nan
    if depth > 1 and 0.0 < gradient < math.inf:
        # grad_std[0] is the product of the factors of layers 2..depth: depth - 1 of them.
        depth_chi1 = math.exp(2.0 * math.log(gradient) / (depth - 1))
    chi1_ok = _within(chi) or (far_at_depth and far and _within(depth_chi1))
    return SchemeFit(
        init=init,
        params=params,
        name=name,
        sw2=sw2,
        forward_gain=gain,
        q_star=q_star,
        chi1=chi,
        saturated=saturated,
        rms_ratio=rms,
        gradient_ratio=gradient,
        forward_ok=_within(gain),
        critical_ok=chi1_ok and _gradient_kept(gradient, depth),
        depth=depth,
        depth_chi1=depth_chi1,
        far_at_depth=far_at_depth,
        stays_far=far_at_depth and far,
        chi1_ok=chi1_ok,
        outcome=outcome,
    )


def _gradient_kept(ratio: float, depth: int) -> bool:
    """Whether the health model calls a gradient that reaches layer 1 of a ``depth``-layer
    network at ``ratio`` times the output's healthy: within a decade, and no factor per layer
    that would cost one within ``RATE_DEPTH`` layers (``lab.health.trend_state``)."""
    return trend_state(ratio, depth - 1) == "healthy"


def _biases_dominate(q: float, sb2: float) -> bool:
    """Whether the biases are at least as large as the input (sb2 >= q): the RMS ratio then
    measures the biases, not what becomes of the input. ReLU from input std 0.01 with biases of
    std 0.1 grows tenfold under He's scale, yet only the biases grow."""
    return sb2 >= q


def _outcome_kept(fit: SchemeFit, q: float, sb2: float) -> bool:
    """Whether the health model calls the fit's mean-field network after its depth healthy
    (``SchemeFit.outcome``); where the biases dominate the input, whether it calls its gradient
    healthy and names no other problem than the signal's scale."""
    health = fit.outcome
    if health is None:
        return False
    if health.state == "healthy":
        return True
    return (
        _biases_dominate(q, sb2)
        and health.gradient_state == "healthy"
        and health.state in ("vanishing", "exploding")
    )


def advise(
    activation: ActivationLike,
    slope: float = DEFAULT_LEAKY_SLOPE,
    *,
    input_std: float = 1.0,
    bias_std: float = 0.0,
    depth: int = REFERENCE_DEPTH,
) -> Advice:
    """The theory's advice for ``activation`` with inputs of std ``input_std`` and biases of std
    ``bias_std``, quoting the outcome after ``depth`` layers (see the module docstring)."""
    act = _resolve(activation, slope)
    input_std = check_float("input_std", input_std, 0.0, 1e3, low_inclusive=False)
    bias_std = check_float("bias_std", bias_std, 0.0, 1e3)
    depth = check_int("depth", depth, 1, MAX_LAYERS)
    return _advise(act.name, float(act.params.get("slope", slope)), input_std, bias_std, depth)


#: Advice kept per process: pages ask for any activation, input and bias scale and depth.
ADVICE_CACHE_SIZE = 1024


@lru_cache(maxsize=ADVICE_CACHE_SIZE)
def _advise(name: str, slope: float, input_std: float, bias_std: float, depth: int) -> Advice:
    act = get_activation(name, slope)
    q, sb2 = input_std * input_std, bias_std * bias_std
    forward = preserving_sw2(act, q, sb2)
    forward_chi = forward * float(expected_dphi2(act, q)) if math.isfinite(forward) else math.nan
    critical, critical_q = edge_of_chaos(act, sb2, input_q=q)
    reached, gain_at_critical = False, math.nan
    critical_saturated = None
    if math.isfinite(critical):
        # Layer 1 sees the input unrectified: q_1 = sw2 q + sb2 (lab.theory.predict).
        reached_q = fixed_point(act, critical, sb2, q0=critical * q + sb2)
        reached = math.isclose(reached_q, critical_q, rel_tol=1e-6, abs_tol=1e-9)
        gain_at_critical = (critical * float(expected_phi2(act, q)) + sb2) / q
        if flat_threshold(act) is not None:
            critical_saturated = flat_share_normal(act, critical_q)
    fits = []
    for init, params, label in _candidates(act):
        initializer = get_initializer(init, **dict(params))
        sw2 = 256 * initializer.variance(256, 256)
        fits.append(_fit(act, sw2, q, sb2, init, params, label, depth))
    order = {id(fit): index for index, fit in enumerate(fits)}
    matched = [fit for fit in fits if fit.label == "match"]
    if matched:
        recommended = min(matched, key=lambda f: (f.distance, order[id(f)]))
    else:
        # Closest to chi1 = 1 among the schemes whose outcome at this depth the health model
        # calls healthy, when there are any: SELU started at input std 1000 keeps both scales
        # over 20 layers with He's, while gain 3/4 (chi1 = 1 at its q*) loses three decades of
        # RMS and gradient on its way down to q*.
        kept = [fit for fit in fits if _outcome_kept(fit, q, sb2)]
        recommended = min(
            kept or fits,
            key=lambda f: (f.gradient_distance, _log_distance(f.forward_gain), order[id(f)]),
        )
    closest_forward = min(fits, key=lambda f: (_log_distance(f.forward_gain), order[id(f)]))
    closest_critical = min(fits, key=lambda f: (f.gradient_distance, order[id(f)]))
    advice = Advice(
        activation=act,
        q=q,
        sb2=sb2,
        forward_sw2=forward,
        forward_chi1=forward_chi,
        critical_sw2=critical,
        critical_q=critical_q,
        critical_reached=reached,
        critical_gain=gain_at_critical,
        critical_saturated=critical_saturated,
        fits=tuple(fits),
        recommended=recommended,
        closest_forward=closest_forward,
        closest_critical=closest_critical,
        reason="",
    )
    return _with_reason(advice)


# --- sentences -------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:.3g}"


def _q(value: float) -> str:
    """A variance q as the texts show it: below 1e-12 it is the fixed point 0."""
    return "0" if value < 1e-12 else _n(value)


def _of_output(ratio: float) -> str:
    """0.28 -> "0.28 of the output's", 1.9 -> "1.9 times the output's"."""
    if ratio == 0.0:
        return "exactly 0"
    text = f"{ratio:.2g}"  # 0.997 reads "1": "times", as the number is written
    return f"{text} {'times' if float(text) >= 1.0 else 'of'} the output's"


def _scale_text(q: float) -> str:
    return f"q = {q:g}"


def _grad_factor(chi: float) -> str:
    """The gradient's std factor per layer, sqrt(chi1), as the health model writes a factor
    (``lab.health.rate_text``: chi1 = 9e-6 read "× 0.00 per layer" with two decimals)."""
    return rate_text(math.sqrt(chi)) if chi > 0 else "0"


def _phase_text(chi: float) -> str:
    """The phase in words, "mildly" when the gradient's std factor per layer stays inside the
    health model's band (``lab.health.VANISHING_RATE`` .. ``EXPLODING_RATE``)."""
    if _within(chi):
        return "at the edge of chaos" if classify_phase(chi) == "critical" else "near critical"
    rate = math.sqrt(chi)
    if chi < 1.0:
        return "mildly ordered" if rate >= VANISHING_RATE else "ordered"
    return "mildly chaotic" if rate <= EXPLODING_RATE else "chaotic"


def _targets_text(advice: Advice) -> str:
    act, q = advice.activation, advice.q
    parts = []
    if math.isfinite(advice.forward_sw2):
        parts.append(
            f"keeping the input's scale ({_scale_text(q)}) needs σ_w² = "
            f"{_n(advice.forward_sw2)} (χ₁ = {_n(advice.forward_chi1)} there)"
        )
    else:
        parts.append(f"no σ_w² keeps the input's scale ({_scale_text(q)}) against this bias")
    if math.isfinite(advice.critical_sw2):
        fixed = (
            f"with fixed point q* = {_q(advice.critical_q)}"
            if math.isfinite(advice.critical_q)
            else "with no fixed point (q grows without bound)"
        )
        text = f"χ₁ = 1 needs σ_w² = {_n(advice.critical_sw2)}, {fixed}"
        if advice.critical_q < 1e-12 and advice.critical_reached:
            text += " (the signal decays to 0 there)"
        if advice.critical_saturated is not None and advice.critical_saturated > 0.005:
            text += f" ({percent(advice.critical_saturated)} of the units saturated)"
        if not advice.critical_reached:
            text += (
                f", which a network started at {_scale_text(q)} never reaches: {act.label}'s "
                "length map moves away from it"
            )
        parts.append(text)
    else:
        parts.append("no σ_w² puts χ₁ at 1")
    text = "; ".join(parts)
    # Each target's own sigma_w^2 misses the other, but one in between may keep both within
    # the tolerance (tanh with biases: He's 2 between 1.9 and 2.4); then the claim is false.
    both = any(fit.forward_ok and fit.chi1_ok for fit in advice.fits)
    if not (_within(advice.forward_chi1) or _within(advice.critical_gain) or both):
        text += "; no single σ_w² does both, so no variance-scaling scheme can keep both scales"
    return text


def _where(fit: SchemeFit) -> str:
    """Where ``fit.chi1`` holds: at the fixed point, or in the limit when there is none."""
    return "at q*" if math.isfinite(fit.q_star) else "as q grows"


def _fit_numbers(fit: SchemeFit, q: float) -> str:
    text = f"σ_w² = {_n(fit.sw2)}: q × {_n(fit.forward_gain)} per layer at {_scale_text(q)}, " + (
        f"χ₁ = {_n(fit.chi1)} at q* = {_q(fit.q_star)}"
        if math.isfinite(fit.q_star)
        else f"χ₁ = {_n(fit.chi1)} as q grows without bound, with no fixed point"
    )
    if fit.saturated is not None:
        text += f", {percent(fit.saturated)} saturated"
    if fit.far_at_depth and math.isfinite(fit.depth_chi1):
        if not math.isfinite(fit.q_star):
            where = ", as q keeps growing,"
        else:
            where = " the network stays far from q*, and" if fit.stays_far else ""
        text += (
            f"; over {plural(fit.depth, 'layer')}{where} χ₁ averages {_n(fit.depth_chi1)} a layer"
        )
    return text


def _outcome_text(fit: SchemeFit) -> str:
    return (
        f"after {plural(fit.depth, 'layer')} the mean-field RMS ratio is {fit.rms_ratio:.2g} and "
        f"the gradient reaching layer 1 is {_of_output(fit.gradient_ratio)}"
    )


def _polynomial_note(act: Activation, fit: SchemeFit) -> str:
    """At chi1 = 1 with q* = 0 (tanh, sb2 = 0) the signal decays, but like 1/l."""
    if (
        fit.chi1_ok
        and not fit.far_from_fixed_point
        and fit.q_star < 1e-12
        and act.name not in ("linear", "relu", "leaky_relu")
    ):
        return (
            " At χ₁ = 1 with q* = 0 a critical network still decays, but polynomially (q_l "
            "falls like 1/l), not exponentially."
        )
    return ""


def _pytorch_note(act: Activation, fit: SchemeFit) -> str:
    gain = _pytorch_gain(act)
    if act.name != "tanh" or gain is None or not math.isclose(fit.sw2, gain * gain, rel_tol=1e-3):
        return ""
    return (
        f" PyTorch's calculate_gain('tanh') = {_gain_text(gain)} is {_phase_text(fit.chi1)} "
        f"(χ₁ = {_n(fit.chi1)}, {percent(fit.saturated or 0.0)} saturated) and trains well "
        "in practice."
    )


def _healthy_among(advice: Advice) -> str:
    """The pool a passed-over recommendation was chosen in, as the words that follow "closest to
    χ₁ = 1"."""
    layers = plural(advice.recommended.depth, "layer")
    if _biases_dominate(advice.q, advice.sb2):
        return (
            f" among the schemes whose network after {layers} the health model calls healthy "
            "but for its RMS ratio (which measures the biases here, at least as large as the "
            "input)"
        )
    return f" among the schemes whose network after {layers} the health model calls healthy"


def _why_passed_over(fit: SchemeFit, advice: Advice) -> str:
    """What the health model says of a passed-over scheme's mean-field network at its depth:
    its gradient's state where the biases dominate the input (only the gradient is weighed
    there), else its headline up to the first clause, with its numbers."""
    health = fit.outcome
    layers = plural(fit.depth, "layer")
    if health is None:  # pragma: no cover - every fit of ``advise`` has its outcome
        return f"the health model has no verdict on its network after {layers}"
    if _biases_dominate(advice.q, advice.sb2) and health.gradient_state != "healthy":
        return f"the health model calls its gradient after {layers} {health.gradient_state}"
    return f"the health model finds its network after {layers} “{_first_clause(health.message)}”"


def _first_clause(message: str) -> str:
    """A health headline up to its first "; " outside parentheses: the problem and its
    numbers ("… 0.0011 of the output's (× 0.70 per layer; mean-field theory)" stays whole)."""
    depth = 0
    for i, char in enumerate(message):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and message.startswith("; ", i):
            return message[:i]
    return message


def _with_reason(advice: Advice) -> Advice:
    act, rec = advice.activation, advice.recommended
    sentences = [_MECHANISM[act.name], f"Mean-field theory: {_targets_text(advice)}."]
    if advice.matched:
        sentences.append(
            f"{rec.name} gives {_fit_numbers(rec, advice.q)}: both within "
            f"{MATCH_TOLERANCE:.0%} of 1, a match; {_outcome_text(rec)}."
        )
    else:
        forward, critical = advice.closest_forward, advice.closest_critical
        passed_over = advice.passed_over
        lead = f"Closest to χ₁ = 1{_healthy_among(advice)}" if passed_over else "Closest to χ₁ = 1"
        layers = plural(rec.depth, "layer")
        # LeCun + SELU over 100 layers has both numbers within the tolerance, yet its gradient
        # compounds: "keeps both within 10%" would be false of it.
        if any(fit.forward_ok and fit.chi1_ok for fit in advice.fits):
            none = f"No standard scheme is a match over {layers}"
        else:
            none = f"No standard scheme keeps both within {MATCH_TOLERANCE:.0%}"
        if not any(_outcome_kept(fit, advice.q, advice.sb2) for fit in advice.fits):
            none += f", and the health model calls none of their networks after {layers} healthy"
        sentences.append(
            f"{none}. {lead}: "
            f"{rec.name} ({_fit_numbers(rec, advice.q)}); {_outcome_text(rec)}."
            + _polynomial_note(act, rec)
        )
        if passed_over:
            sentences.append(
                f"{critical.name} is closer to χ₁ = 1 ({_fit_numbers(critical, advice.q)}), "
                f"but {_why_passed_over(critical, advice)}; {_outcome_text(critical)}."
            )
        if math.isfinite(advice.forward_sw2):
            off = forward.sw2 / advice.forward_sw2 - 1.0
            if forward is not rec:
                which = f"{forward.name} is the closest"
            else:  # after the passed-over scheme's sentence, "It" would name that one
                which = (
                    f"{rec.name} is also the closest" if passed_over else "It is also the closest"
                )
            if _n(forward.sw2) == _n(advice.forward_sw2):  # equal as written: no "<0.01% below"
                where = f"σ_w² = {_n(forward.sw2)} is the one that keeps it"
            else:
                where = (
                    f"σ_w² = {_n(forward.sw2)} is {percent(abs(off))} "
                    f"{'above' if off > 0 else 'below'} {_n(advice.forward_sw2)}"
                )
            chi = f"χ₁ = {_n(forward.chi1)} {_where(forward)}"
            if forward.gradient_lost_over_depth:
                chi += (
                    f", yet after {plural(forward.depth, 'layer')} the gradient reaching layer 1 "
                    f"is {_of_output(forward.gradient_ratio)}"
                )
            sentences.append(f"{which} to keeping the scale: {where} ({chi}).")
    for fit in advice.fits:
        note = _pytorch_note(act, fit)
        if note:
            sentences.append(note.strip())
    return replace(advice, reason=" ".join(sentences))


class Recommendation(NamedTuple):
    """A scheme for ``get_initializer(init, **dict(params))`` and why it suits the activation.

    matches: True when the scheme keeps both scales (a match), False when it is only the
    closest standard scheme (``lab.diagnosis.advise``)."""

    init: str
    params: tuple[tuple[str, float], ...]
    reason: str
    matches: bool = True


def recommended_init(
    activation: ActivationLike,
    slope: float = DEFAULT_LEAKY_SLOPE,
    *,
    input_std: float = 1.0,
    bias_std: float = 0.0,
    depth: int = REFERENCE_DEPTH,
) -> Recommendation:
    """The standard scheme mean-field theory recommends for ``activation`` (``advise``)."""
    advice = advise(activation, slope, input_std=input_std, bias_std=bias_std, depth=depth)
    rec = advice.recommended
    return Recommendation(rec.init, rec.params, advice.reason, advice.matched)


# --- match verdicts --------------------------------------------------------------------------


class Verdict(NamedTuple):
    """Whether an init suits an activation: label "match", "partial", "mismatch" or "never";
    closest: no standard scheme matches and this one's weight scale is the one theory
    recommends (``Advice.recommended``), the best there is; depth_chi1: chi1 averaged over the
    depth of a network still far from q* at its last layer (``SchemeFit.far_at_depth``), else
    NaN."""

    matches: bool
    label: str
    reason: str
    closest: bool = False
    depth_chi1: float = math.nan
    far_at_depth: bool = False
    stays_far: bool = False


def _is_closest(fit: SchemeFit, advice: Advice) -> bool:
    """Whether ``fit`` is the best there is: nothing matches and its weight scale is the
    recommended scheme's (schemes of equal sigma_w^2 behave alike)."""
    return not advice.matched and math.isclose(fit.sw2, advice.recommended.sw2)


def _build(init: str | Initializer, init_params: InitParams) -> Initializer:
    if isinstance(init, Initializer):
        return init
    try:
        params = dict(init_params or ())
    except (TypeError, ValueError):
        raise ValueError(
            f"init_params must be a mapping or (name, value) pairs; got {init_params!r}"
        ) from None
    return get_initializer(init, **params)


def _never(initializer: Initializer) -> Verdict | None:
    if initializer.distribution == "constant":
        if initializer.value == 0.0:
            reason = (
                "All-zero weights give every unit the same output and the same gradient (and "
                "zero signal past the biases), so the units can never become different."
            )
        else:
            reason = (
                f"Every weight equal to {initializer.value:g} makes all units of a layer compute "
                "the same function, and gradient descent updates them identically forever."
            )
        return Verdict(False, "never", reason)
    if initializer.mean() != 0.0:
        reason = (
            f"{initializer.label} draws only positive weights (mean {initializer.mean():g}), so "
            "every unit sums its inputs with the same sign and the pre-activations drift one way "
            "at any width: tanh and sigmoid saturate and ReLU never switches off."
        )
        return Verdict(False, "never", reason)
    return None


def _verdict_sentence(act: Activation, fit: SchemeFit, advice: Advice) -> str:
    if fit.label == "match":
        return f"Both within {MATCH_TOLERANCE:.0%} of 1: a match for {act.label}."
    closest = ""
    if _is_closest(fit, advice):
        closest = f" No standard scheme does better for {act.label}: this is the closest"
        closest += f" to χ₁ = 1{_healthy_among(advice)}." if advice.passed_over else "."
    if fit.forward_ok and fit.gradient_lost_over_depth:
        return (
            "It keeps the forward scale (q, the pre-activations' variance) but not the "
            f"gradient's: {_depth_loss_text(fit)}.{closest}"
        )
    if fit.forward_ok:
        return (
            f"It keeps the forward scale (q, the pre-activations' variance) but not the "
            f"gradient's: {_phase_text(fit.chi1)}, the "
            f"gradient's std × {_grad_factor(fit.chi1)} per layer {_where(fit)}.{closest}"
        )
    if fit.critical_ok:
        phase = (
            f"χ₁ near 1 over its {plural(fit.depth, 'layer')}"
            if fit.far_from_fixed_point
            else _phase_text(fit.chi1)
        )
        return (
            f"It keeps the gradient's scale ({phase}) but not the forward one: "
            + _forward_need(advice)
            + "."
            + _polynomial_note(act, fit)
            + closest
        )
    if fit.gradient_lost_over_depth:
        return (
            f"It keeps neither scale: the forward gain is not within {MATCH_TOLERANCE:.0%} of "
            f"1 ({_forward_need(advice)}), and {_depth_loss_text(fit)}.{closest}"
        )
    text = (
        f"Neither the forward gain nor χ₁ {_where(fit)} is within {MATCH_TOLERANCE:.0%} of 1: "
        f"{_phase_text(fit.chi1)}, the "
        f"gradient's std × {_grad_factor(fit.chi1)} per layer {_where(fit)}"
    )
    return f"{text}, and {_forward_need(advice)}.{closest}"


def _depth_loss_text(fit: SchemeFit) -> str:
    """Why a chi1 within the tolerance does not keep the gradient over the fit's depth."""
    if fit.far_from_fixed_point:
        chi, where = _n(fit.depth_chi1), f"averaged over {plural(fit.depth, 'layer')}"
    else:
        chi, where = _n(fit.chi1), _where(fit)
    ratio = fit.gradient_ratio
    lost = (
        f"χ₁ = {chi} {where} is within {MATCH_TOLERANCE:.0%} of 1, but after "
        f"{plural(fit.depth, 'layer')} the gradient reaching layer 1 is"
    )
    if not math.isfinite(ratio):
        return f"{lost} not finite"
    state = trend_state(ratio, fit.depth - 1)
    if VANISHING_RATIO <= ratio <= EXPLODING_RATIO:  # its factor per layer decides
        state += f" (× {rate_text(ratio ** (1.0 / (fit.depth - 1)))} per layer)"
    elif ratio < VANISHING_RATIO:
        state += f" (below {_n(VANISHING_RATIO)})"
    else:
        state += f" (above {_n(EXPLODING_RATIO)})"
    return f"{lost} {_of_output(ratio)}, which the health model calls {state}"


def _forward_need(advice: Advice) -> str:
    """What keeping the input's scale takes: a σ_w², or none against this bias."""
    if math.isfinite(advice.forward_sw2):
        return f"keeping {_scale_text(advice.q)} needs σ_w² = {_n(advice.forward_sw2)}"
    return f"no σ_w² keeps {_scale_text(advice.q)} against this bias"


def match_verdict(
    init: str | Initializer,
    activation: ActivationLike,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
    width: int = 256,
    *,
    input_std: float = 1.0,
    bias_std: float = 0.0,
    depth: int = REFERENCE_DEPTH,
) -> Verdict:
    """Does ``init`` (at equal fans ``width``) suit ``activation``, for inputs of std
    ``input_std`` and biases of std ``bias_std``? The reason quotes the mean-field outcome after
    ``depth`` layers.

    "never": zeros/constant (symmetry never breaks) and all-positive weights (rand); otherwise
    the label of its ``SchemeFit``: "match" (forward gain and chi1 both within
    ``MATCH_TOLERANCE`` of 1), "partial" (one of them) or "mismatch", with the numbers.
    """
    initializer = _build(init, init_params)
    act = _resolve(activation, slope)
    width = check_int("width", width, 1, MAX_FAN)
    never = _never(initializer)
    if never is not None:
        return never
    advice = advise(act, input_std=input_std, bias_std=bias_std, depth=depth)
    sw2 = width * initializer.variance(width, width)
    fit = _fit(act, sw2, advice.q, advice.sb2, initializer.name, (), initializer.label, depth)
    reason = describe_fit(fit, advice)
    if not initializer.is_scaled:
        reason = (
            f"{initializer.label} ignores the fan-in (another width changes it); at width "
            f"{width} it {reason.removeprefix(initializer.label + ' ')}"
        )
    far = fit.depth_chi1 if fit.far_at_depth else math.nan
    return Verdict(fit.label == "match", fit.label, reason, _is_closest(fit, advice), far)


#: Simulated states a narrow network can reach by chance while mean-field theory's infinitely
#: wide one stays healthy (overflow is the number format's range, not the width).
CHANCE_STATES: tuple[str, ...] = ("dead", "saturated", "vanishing", "exploding")


def width_caveat(verdict: Verdict, simulated: Health, theory: Health | None, width: int) -> str:
    """Why a theory's "match" can sit beside a simulation that lost its scale, in a few
    sentences naming the width; "" unless the verdict is a match, the theory's own network
    (``diagnose_prediction``) is healthy and the simulated one is in a state of
    ``CHANCE_STATES``."""
    width = check_int("width", width, 1, MAX_FAN)
    if (
        verdict.label != "match"
        or theory is None
        or theory.state != "healthy"
        or simulated.state not in CHANCE_STATES
    ):
        return ""
    return (
        "The verdict is mean-field theory's, for infinitely wide layers; with "
        f"{plural(width, 'unit')} per layer this simulation is {simulated.state}. The fewer "
        "the units, the more each layer's scale depends on its own random draws, so a scheme "
        "that keeps the scale on average need not keep it in one narrow network: wider layers "
        "bring the simulation to the theory."
    )


def describe_fit(fit: SchemeFit, advice: Advice) -> str:
    """What a weight scale does to ``advice.activation``, in sentences built from the numbers:
    its sw2, forward gain, chi1 and q*, the verdict and the mean-field outcome at depth."""
    act = advice.activation
    outcome = _outcome_text(fit)
    return (
        f"{fit.name} gives {_fit_numbers(fit, advice.q)}. {_verdict_sentence(act, fit, advice)} "
        f"{outcome[0].upper()}{outcome[1:]}.{_pytorch_note(act, fit)}"
    )


def scheme_fit(advice: Advice, init: str) -> SchemeFit:
    """The fit of the standard scheme ``init`` (with the activation's parameters, PyTorch's
    gain aside) among ``advice.fits``."""
    for fit in advice.fits:
        if fit.init == init and "gain" not in dict(fit.params):
            return fit
    raise ValueError(
        f"init must be one of the standard schemes "
        f"{sorted({fit.init for fit in advice.fits})}; got {init!r}"
    )
