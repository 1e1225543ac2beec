"""Verdicts in words: the state of each layer, of the network, and whether an init fits.

A layer's *ratio* is its post-activation RMS divided by the input's RMS. The thresholds below are
the lab's teaching conventions (one decade either way), not published constants; every verdict
uses them, so they are defined once here. Recommendations follow He et al. 2015 (ReLU family),
Glorot & Bengio 2010 (tanh, sigmoid, linear) and Klambauer et al. 2017 (SELU); the match verdict
judges a scheme by its mean-field weight scale sw2 = n Var(W) (``lab.theory``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from numbers import Real
from typing import NamedTuple

import numpy as np

from lab.activations import DEFAULT_LEAKY_SLOPE, Activation, get_activation
from lab.initializers import MAX_FAN, Initializer, get_initializer
from lab.theory import (
    ActivationLike,
    InitParams,
    TheoryPrediction,
    chi1,
    classify_phase,
    edge_of_chaos,
    expected_phi2,
    fixed_point,
)
from lab.validation import check_float, check_int

VANISHING_RATIO = 0.1
"""A layer whose RMS ratio is below this has lost over 90% of the input's scale: vanishing."""

EXPLODING_RATIO = 10.0
"""A layer whose RMS ratio is above this has grown more than tenfold: exploding."""

DEAD_FRACTION = 0.99
"""A layer in which at least this share of the post-activations is exactly zero is dead. So is
a layer whose every value is the same (std exactly 0, e.g. sigmoid after zero weights outputs
0.5 everywhere): it passes nothing of the input on."""

MATCH_TOLERANCE = 0.10
"""An init matches when its sw2 (or, for ReLU-like activations, its per-layer second-moment
gain) is within this relative distance of the recommended one."""

LAYER_STATES: tuple[str, ...] = ("overflow", "dead", "vanishing", "exploding", "healthy")
VERDICT_LABELS: tuple[str, ...] = ("match", "mismatch", "never")

#: Activations judged by their per-layer second-moment gain sw2 E[phi(z)^2] / q at q = 1: those
#: that pass large positive inputs through (nearly) unchanged.
GAIN_JUDGED: tuple[str, ...] = ("linear", "relu", "leaky_relu", "gelu")


# --- states ----------------------------------------------------------------------------------


def _check_ratio(name: str, value: object) -> float:
    """A ratio or std >= 0; inf is allowed (a float64 statistic can overflow), NaN is not."""
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be a number >= 0 (inf allowed); got {value!r}")
    return float(value)


def _check_fraction(name: str, value: object) -> float:
    return check_float(name, value, 0.0, 1.0)


def layer_state(
    rms_ratio: float, frac_zero: float, frac_nonfinite: float, *, constant: bool = False
) -> str:
    """One layer's state, first that applies: "overflow" (any inf/NaN), "dead" (share of exact
    zeros >= DEAD_FRACTION, or ``constant``: every value the same), "vanishing"
    (ratio < VANISHING_RATIO), "exploding" (ratio > EXPLODING_RATIO), else "healthy"."""
    frac_nonfinite = _check_fraction("frac_nonfinite", frac_nonfinite)
    if frac_nonfinite > 0.0:
        # An overflowed layer may have no finite value at all: its ratio and its share of
        # zeros are then NaN, and only the overflow matters.
        for name, value in (("rms_ratio", rms_ratio), ("frac_zero", frac_zero)):
            if isinstance(value, bool) or not isinstance(value, Real):
                raise ValueError(f"{name} must be a number; got {value!r}")
        return "overflow"
    frac_zero = _check_fraction("frac_zero", frac_zero)
    rms_ratio = _check_ratio("rms_ratio", rms_ratio)
    if not isinstance(constant, bool | np.bool_):
        raise ValueError(f"constant must be True or False; got {constant!r}")
    if frac_zero >= DEAD_FRACTION or constant:
        return "dead"
    if rms_ratio < VANISHING_RATIO:
        return "vanishing"
    if rms_ratio > EXPLODING_RATIO:
        return "exploding"
    return "healthy"


@dataclass(frozen=True)
class Diagnosis:
    """The network's state, the layer (1-based) where it sets in for good, and one sentence.

    ``first_bad_layer`` is None when healthy; ``layer_states`` lists every layer's state.
    """

    state: str
    first_bad_layer: int | None
    message: str
    layer_states: tuple[str, ...]


def _as_list(name: str, values: object) -> list[object]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of numbers; got {values!r}")
    items = np.asarray(values, dtype=object).ravel().tolist()
    if not items:
        raise ValueError(f"{name} must have at least one layer; got an empty sequence")
    return items


def _ratio_text(ratio: float) -> str:
    """0.015625 -> "1/64 of", 2.5e12 -> "2.5e+12 times"."""
    if ratio == 0.0:
        return "0 times"
    if ratio < 1.0:
        return f"1/{1.0 / ratio:.3g} of"
    return f"{ratio:.3g} times"


def _percent(fraction: float) -> str:
    return f"{100.0 * fraction:.3g}%"


def network_state(
    rms_ratios: Sequence[float],
    frac_zero: Sequence[float],
    frac_nonfinite: Sequence[float],
    constant: Sequence[bool] | None = None,
) -> Diagnosis:
    """The network's state from per-layer values (layer 1 first): overflow if any layer
    overflowed, else the final layer's state, with the layer from which it holds to the end.
    ``constant`` marks layers whose every value is the same (see ``layer_state``)."""
    ratios = _as_list("rms_ratios", rms_ratios)
    zeros = _as_list("frac_zero", frac_zero)
    nonfinite = _as_list("frac_nonfinite", frac_nonfinite)
    flat = [False] * len(ratios) if constant is None else _as_list("constant", constant)
    if not len(ratios) == len(zeros) == len(nonfinite) == len(flat):
        raise ValueError(
            "rms_ratios, frac_zero, frac_nonfinite and constant must have the same length; got "
            f"{len(ratios)}, {len(zeros)}, {len(nonfinite)} and {len(flat)}"
        )
    states = tuple(
        layer_state(ratio, zero, bad, constant=bool(same))
        for ratio, zero, bad, same in zip(ratios, zeros, nonfinite, flat, strict=True)
    )
    last = len(states)
    if "overflow" in states:
        layer = states.index("overflow") + 1
        share = _percent(float(nonfinite[layer - 1]))
        message = f"overflow at layer {layer}: {share} of its values are inf or NaN"
        return Diagnosis("overflow", layer, message, states)
    state = states[-1]
    onset = last
    while onset > 1 and states[onset - 2] == state:
        onset -= 1
    final = float(ratios[-1])
    if state == "healthy":
        message = (
            f"healthy: the RMS ends at {final:.3g} times the input's at layer {last}, inside "
            f"the band from 1/{1.0 / VANISHING_RATIO:g} to {EXPLODING_RATIO:g} times"
        )
        return Diagnosis(state, None, message, states)
    if state == "dead" and float(zeros[-1]) < DEAD_FRACTION:
        message = (
            f"dead: from layer {onset} on every unit outputs the same value for every input, "
            "so nothing of the input gets through"
        )
    elif state == "dead":
        message = (
            f"dead: from layer {onset} on at least {_percent(DEAD_FRACTION)} of the units output "
            f"exactly zero ({_percent(float(zeros[-1]))} at layer {last})"
        )
    elif state == "vanishing":
        message = (
            f"vanishing: the RMS falls below {_ratio_text(VANISHING_RATIO)} the input's at layer "
            f"{onset} and to {_ratio_text(final)} the input's by layer {last}"
        )
    else:
        message = (
            f"exploding: the RMS rises above {_ratio_text(EXPLODING_RATIO)} the input's at layer "
            f"{onset} and to {_ratio_text(final)} the input's by layer {last}"
        )
    return Diagnosis(state, onset, message, states)


def diagnose_prediction(prediction: TheoryPrediction) -> Diagnosis:
    """``network_state`` of a mean-field prediction: ratio = post RMS / input std; a layer is dead
    when its E[a^2] is 0 and overflowed when it is inf (the theory sees no partial death)."""
    if not isinstance(prediction, TheoryPrediction):
        raise ValueError(f"prediction must be a TheoryPrediction; got {prediction!r}")
    if not prediction.applicable:
        raise ValueError(f"prediction is not applicable: {prediction.reason}")
    second = prediction.post_second_moment
    overflowed = ~np.isfinite(second) | ~np.isfinite(prediction.pre_var)
    ratios = np.where(overflowed, 0.0, prediction.rms_ratio)
    return network_state(
        ratios.tolist(), (second == 0).astype(float).tolist(), overflowed.astype(float).tolist()
    )


def gradient_state(first_layer_grad_std: float, last_layer_grad_std: float) -> str:
    """State of the backward signal from ratio = first layer's gradient std / last layer's:
    "overflow" (inf/NaN), "dead" (both 0), "vanishing" (< VANISHING_RATIO), "exploding"
    (> EXPLODING_RATIO), else "healthy"."""
    named = (
        ("first_layer_grad_std", first_layer_grad_std),
        ("last_layer_grad_std", last_layer_grad_std),
    )
    for name, value in named:
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{name} must be a number >= 0 (inf/NaN mean overflow); got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be a number >= 0 (inf/NaN mean overflow); got {value}")
    first, last = float(first_layer_grad_std), float(last_layer_grad_std)
    if not (math.isfinite(first) and math.isfinite(last)):
        return "overflow"
    if last == 0.0:
        return "dead" if first == 0.0 else "exploding"
    ratio = first / last
    if ratio < VANISHING_RATIO:
        return "vanishing"
    if ratio > EXPLODING_RATIO:
        return "exploding"
    return "healthy"


# --- recommendations -------------------------------------------------------------------------


class Recommendation(NamedTuple):
    """A scheme for ``get_initializer(init, **dict(params))`` and why it suits the activation."""

    init: str
    params: tuple[tuple[str, float], ...]
    reason: str


def _resolve(activation: ActivationLike, slope: float) -> Activation:
    if isinstance(activation, Activation):
        return activation
    return get_activation(activation, slope)


@cache
def _smooth_reason(name: str) -> str:
    """Reasons that quote mean-field numbers (computed once, they take a few milliseconds)."""
    if name == "tanh":
        critical, _ = edge_of_chaos("tanh", 0.0)
        return (
            "tanh has slope 1 at zero, so Xavier's n Var(W) = 1 keeps small signals at their "
            f"scale and, without bias, sits on tanh's edge of chaos (sw2 = {critical:g}) "
            "(Glorot & Bengio 2010; Schoenholz et al. 2017)."
        )
    if name == "sigmoid":
        shrink = chi1("sigmoid", 1.0, 0.0)
        critical, _ = edge_of_chaos("sigmoid", 0.0)
        return (
            "Xavier is the classic choice for sigmoid (Glorot & Bengio 2010), but it only "
            f"limits the damage: at sw2 = 1 the gradient variance shrinks by {shrink:.2g} per "
            f"layer and the edge of chaos needs sw2 = {critical:.0f}, so deep nets prefer tanh "
            "or ReLU."
        )
    gain = 2.0 * float(expected_phi2("gelu", 1.0))
    return (
        "GELU tends to z for large positive z and to 0 for large negative z, like ReLU, so He's "
        "2/fan_in is the usual choice; its exact mean-field critical point is not ReLU's "
        f"sw2 = 2, and with He E[a^2] shrinks to {gain:.2f} q per layer at q = 1, a slow drift "
        "down (Hendrycks & Gimpel 2016; He et al. 2015)."
    )


def recommended_init(
    activation: ActivationLike, slope: float = DEFAULT_LEAKY_SLOPE
) -> Recommendation:
    """The textbook scheme for ``activation`` (``slope`` is the leaky-ReLU slope)."""
    act = _resolve(activation, slope)
    if act.name == "relu":
        reason = (
            "ReLU zeroes half of its inputs, which halves E[a^2], and He's variance 2/fan_in "
            "doubles it back, so every layer keeps the signal's scale (He et al. 2015)."
        )
        return Recommendation("he_normal", (), reason)
    if act.name == "leaky_relu":
        a = float(act.params.get("slope", DEFAULT_LEAKY_SLOPE))
        kept = (1.0 + a * a) / 2.0
        reason = (
            f"Leaky ReLU with slope {a:g} keeps (1 + a^2)/2 = {kept:.4g} of E[z^2], and He's "
            "variance 2/((1 + a^2) fan_in) restores it exactly (He et al. 2015)."
        )
        return Recommendation("he_normal", (("slope", a),), reason)
    if act.name == "linear":
        reason = (
            "A linear layer multiplies the variance by n Var(W); Xavier makes that 1 for equal "
            "widths and balances the forward and backward passes when fan_in and fan_out differ "
            "(Glorot & Bengio 2010)."
        )
        return Recommendation("xavier_normal", (), reason)
    if act.name == "selu":
        reason = (
            "SELU's self-normalizing fixed point (mean 0, variance 1) needs n Var(W) = 1, which "
            "is LeCun normal (Klambauer et al. 2017)."
        )
        return Recommendation("lecun_normal", (), reason)
    if act.name in ("tanh", "sigmoid"):
        return Recommendation("xavier_normal", (), _smooth_reason(act.name))
    if act.name == "gelu":
        return Recommendation("he_normal", (), _smooth_reason("gelu"))
    raise ValueError(f"activation has no recommendation; got {act.name!r}")


# --- match verdicts --------------------------------------------------------------------------


class Verdict(NamedTuple):
    """Whether an init suits an activation: label "match", "mismatch" or "never"."""

    matches: bool
    label: str
    reason: str


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


def _growth_text(gain: float) -> str:
    if abs(gain - 0.5) <= 0.005:
        return "halves E[a^2] per layer"
    if abs(gain - 2.0) <= 0.01:
        return "doubles E[a^2] per layer"
    return f"multiplies E[a^2] by {gain:.3g} per layer"


def _consequence(act: Activation, sw2: float, target: float) -> str:
    """What a wrong sw2 does, from the mean-field theory at zero bias."""
    if act.name in GAIN_JUDGED:
        gain = sw2 * float(expected_phi2(act, 1.0))
        trend = "vanishes" if gain < 1.0 else "explodes"
        return f"it {_growth_text(gain)} near q = 1, so the signal {trend} with depth"
    chi = chi1(act, sw2, 0.0)
    phase = classify_phase(chi)
    effect = {
        "ordered": "gradients vanish",
        "chaotic": "gradients explode and nearby inputs decorrelate",
        "critical": "gradients keep their scale, but the forward signal drifts",
    }[phase]
    if act.saturates:
        start = (
            f"it pushes {act.label} toward saturation"
            if sw2 > target
            else "it shrinks the signal toward zero"
        )
        return f"{start}: the network is in the {phase} phase (chi1 = {chi:.3g}), so {effect}"
    settle = fixed_point(act, sw2, 0.0)
    where = {0.0: "to 0", math.inf: "without bound"}.get(settle, f"at q = {settle:.3g}")
    return (
        f"the variance drifts {where} instead of staying at 1 and the network is {phase} "
        f"(chi1 = {chi:.3g}), so {effect}"
    )


def match_verdict(
    init: str | Initializer,
    activation: ActivationLike,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
    width: int = 256,
) -> Verdict:
    """Does ``init`` (at equal fans ``width``) suit ``activation``?

    "never": zeros/constant (symmetry never breaks) and all-positive weights (rand);
    "match": sw2 = width Var(W) within MATCH_TOLERANCE of the recommended scheme's, or for
    GAIN_JUDGED activations a per-layer gain sw2 E[phi^2](1) within MATCH_TOLERANCE of 1;
    otherwise "mismatch", with what goes wrong.
    """
    initializer = _build(init, init_params)
    act = _resolve(activation, slope)
    width = check_int("width", width, 1, MAX_FAN)
    never = _never(initializer)
    if never is not None:
        return never
    recommendation = recommended_init(act)
    target_init = get_initializer(recommendation.init, **dict(recommendation.params))
    target = width * target_init.variance(width, width)
    sw2 = width * initializer.variance(width, width)
    close = abs(sw2 / target - 1.0) <= MATCH_TOLERANCE
    if act.name in GAIN_JUDGED:
        close = close or abs(sw2 * float(expected_phi2(act, 1.0)) - 1.0) <= MATCH_TOLERANCE
    label = initializer.label
    if close and not initializer.is_scaled:
        reason = (
            f"{label} happens to give n Var(W) = {sw2:.3g} at width {width}, close to what "
            f"{act.label} needs, but it ignores the fan-in: another width breaks it."
        )
        return Verdict(True, "match", reason)
    if close:
        reason = (
            f"{label} gives n Var(W) = {sw2:.3g}, the scale {act.label} needs "
            f"(recommended: {target_init.label})."
        )
        return Verdict(True, "match", reason)
    if initializer.is_scaled:
        start = f"{label} gives n Var(W) = {sw2:.3g} where {act.label} needs {target:.3g}"
    else:
        start = (
            f"{label} ignores the fan-in: at width {width} it gives n Var(W) = {sw2:.3g} "
            f"where {act.label} needs {target:.3g}"
        )
    reason = f"{start}; {_consequence(act, sw2, target)}."
    return Verdict(False, "mismatch", reason)
