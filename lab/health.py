"""One health model for a network at initialization, per layer and for the whole network.

A network is judged on five things, measured by a simulation (``lab.signal``) or predicted by
mean-field theory (``lab.diagnosis.diagnose_prediction``):

1. overflow: inf or NaN in a pre-activation z_l, an activation a_l or a gradient;
2. dead layers: at least ``DEAD_FRACTION`` of a layer's activations are exactly 0, or every value
   of the layer is the same, or the weights are all 0 (nothing of the input gets through). Zeros
   that come from underflow (``Measurements.underflow``: a signal that shrank below the format's
   smallest normal number and rounded to 0) are a vanishing signal instead, named as such;
3. saturation: the share of units whose slope phi'(z) has fallen below ``SATURATION_SLOPE`` of
   its maximum. Only tanh and sigmoid flatten on both sides; for them this is |z| beyond
   ``flat_threshold`` (tanh 1.82, sigmoid 3.64: sigmoid'(2) is still 42% of sigmoid'(0)). The
   flat side of ReLU-like activations is their "off" state and counts through dead layers;
4. the backward gradient that reaches layer 1: the scale of dL/da_1 over that of dL/da_L (the
   gradient at the output), and its factor per layer;
5. the forward signal: the RMS of a_L over the input's RMS (and the std of a_L over the input's,
   which falls even when a mean keeps the RMS up, as with sigmoid), and its factor per layer
   from layer 1 to layer L (the first layer's change is what the activation does to the
   input's scale once: sigmoid's mean 1/2, tanh's compression).

The headline names the worst problem first: overflow, dead, saturated, a vanishing or exploding
gradient, a vanishing or exploding signal, else healthy, with the numbers that justify it and
the factor per layer ("RMS × 0.71 per layer"), so a trend is named before it has cost a decade.

Thresholds: the lab's teaching conventions, defined here once and used by every page, the
command line and the quizzes. A total change of more than a decade either way
(``VANISHING_RATIO``, ``EXPLODING_RATIO``), or a factor per layer that would cost a decade
within ``RATE_DEPTH`` layers (``VANISHING_RATE`` = 10^(-1/10) = 0.794, ``EXPLODING_RATE`` =
1.259), is a problem. Xavier + ReLU (x 0.71 per layer) is vanishing at any depth from 2 layers;
He + tanh's gradient (x 1.05 per layer) only once it has grown tenfold (about 50 layers).
tanh and sigmoid are bounded, so their forward signal is never called exploding: what goes
wrong there is saturation or the gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lab.activations import Activation
from lab.validation import check_choice

VANISHING_RATIO = 0.1
"""A signal (or gradient) below this share of its reference has lost a decade: vanishing."""

EXPLODING_RATIO = 10.0
"""A signal (or gradient) above this multiple of its reference has grown a decade: exploding."""

RATE_DEPTH = 10
"""A factor per layer that would lose or gain a decade within this many layers is a trend."""

VANISHING_RATE = VANISHING_RATIO ** (1.0 / RATE_DEPTH)
"""Factor per layer below which the signal or the gradient is vanishing with depth (0.794)."""

EXPLODING_RATE = EXPLODING_RATIO ** (1.0 / RATE_DEPTH)
"""Factor per layer above which the signal or the gradient is exploding with depth (1.259)."""

DEAD_FRACTION = 0.99
"""A layer in which at least this share of the activations is exactly zero is dead. So is a
layer whose every value is the same (std exactly 0, e.g. sigmoid after zero weights outputs 0.5
everywhere): it passes nothing of the input on."""

SATURATION_SLOPE = 0.1
"""A unit is saturated when its activation's slope has fallen below this share of its maximum:
it passes back less than a tenth of the gradient a unit at the steepest point would."""

SATURATED_SHARE = 0.5
"""A layer in which more than this share of the units is saturated is saturated."""

#: Per-layer states, worst first.
LAYER_STATES: tuple[str, ...] = (
    "overflow",
    "dead",
    "saturated",
    "vanishing",
    "exploding",
    "healthy",
)
#: Network states (the first word of the headline, coloured by the pages), worst first.
STATES = LAYER_STATES
#: Where the gradient of a health report comes from.
GRADIENT_SOURCES: tuple[str, ...] = ("simulation", "mean-field theory", "")
#: States of the backward signal alone; "unknown" when there is no gradient to judge.
GRADIENT_STATES: tuple[str, ...] = (
    "overflow",
    "vanishing",
    "exploding",
    "healthy",
    "unknown",
)

#: Activations whose slope falls to 0 on both sides, so that large |z| of either sign saturates.
SATURATING: tuple[str, ...] = ("tanh", "sigmoid")


def flat_threshold(activation: Activation) -> float | None:
    """|z| beyond which the activation's slope is below ``SATURATION_SLOPE`` of its maximum, or
    None for activations that do not saturate on both sides.

    tanh'(z) = 1 - tanh(z)^2 < f  <=>  |z| > atanh(sqrt(1 - f))  (1.818 for f = 0.1);
    sigmoid(z) = (1 + tanh(z/2)) / 2, so sigmoid'(z) / sigmoid'(0) = 1 - tanh(z/2)^2 and the
    threshold is 2 atanh(sqrt(1 - f))  (3.637).
    """
    if not isinstance(activation, Activation):
        raise ValueError(f"activation must be an Activation; got {activation!r}")
    if activation.name not in SATURATING:
        return None
    root = math.atanh(math.sqrt(1.0 - SATURATION_SLOPE))
    return root if activation.name == "tanh" else 2.0 * root


def flat_share_normal(activation: Activation, q: float, mean: float = 0.0) -> float:
    """Share of z ~ N(mean, q) beyond ``flat_threshold`` (0 for non-saturating activations):
    the saturated share mean-field theory predicts for a layer of pre-activation variance q."""
    threshold = flat_threshold(activation)
    if threshold is None:
        return 0.0
    if not q >= 0.0:
        raise ValueError(f"q must be a number >= 0; got {q!r}")
    if math.isinf(q):
        return 1.0
    if q == 0.0:
        return float(abs(mean) > threshold)
    scale = math.sqrt(2.0 * q)
    above = 0.5 * math.erfc((threshold - mean) / scale)
    below = 0.5 * math.erfc((threshold + mean) / scale)
    return above + below


# --- inputs and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Measurements:
    """What the health model reads, one entry per layer l = 1..L.

    rms_ratio: RMS of a_l over the input's RMS; spread_ratio: std of a_l over the input's std
    (NaN where a layer has no finite value); frac_zero: share of a_l exactly 0; frac_nonfinite:
    share of inf/NaN in z_l or a_l; constant: each unit of a_l one value whatever the input;
    saturated: share of units beyond ``flat_threshold`` (None when the activation does not
    saturate);
    gradient: the scale (RMS) of dL/da_l over that of dL/da_L, NaN where the backward pass ran
    through inf/NaN, None when no gradient is known (a forward-only run without theory);
    gradient_source: "simulation", "mean-field theory" or ""; backward_overflow_layer: the first
    layer the backward pass met with inf/NaN, or None; underflow: per layer, whether its exact
    zeros come from a signal that shrank below the format's smallest normal number and rounded
    to 0, not from units that are off (None when not known).
    """

    activation: Activation
    rms_ratio: tuple[float, ...]
    spread_ratio: tuple[float, ...]
    frac_zero: tuple[float, ...]
    frac_nonfinite: tuple[float, ...]
    constant: tuple[bool, ...]
    saturated: tuple[float, ...] | None = None
    gradient: tuple[float, ...] | None = None
    gradient_source: str = ""
    backward_overflow_layer: int | None = None
    underflow: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.activation, Activation):
            raise ValueError(f"activation must be an Activation; got {self.activation!r}")
        layers = _floats("rms_ratio", self.rms_ratio)
        depth = len(layers)
        object.__setattr__(self, "rms_ratio", layers)
        for name in ("spread_ratio", "frac_zero", "frac_nonfinite"):
            object.__setattr__(self, name, _floats(name, getattr(self, name), depth))
        object.__setattr__(self, "constant", _bools("constant", self.constant, depth))
        if self.underflow is not None:
            object.__setattr__(self, "underflow", _bools("underflow", self.underflow, depth))
        for name in ("saturated", "gradient"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _floats(name, value, depth))
        check_choice("gradient_source", self.gradient_source, GRADIENT_SOURCES)
        if (self.gradient is None) != (self.gradient_source == ""):
            raise ValueError(
                "gradient_source must be '' exactly when gradient is None; got "
                f"{self.gradient_source!r} with gradient "
                f"{'None' if self.gradient is None else 'given'}"
            )
        layer = self.backward_overflow_layer
        if layer is not None and (
            isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= depth
        ):
            raise ValueError(
                f"backward_overflow_layer must be None or a layer in [1, {depth}]; got {layer!r}"
            )

    @property
    def depth(self) -> int:
        return len(self.rms_ratio)


@dataclass(frozen=True)
class Health:
    """The network's state and the numbers behind it.

    state: one of ``STATES`` (the worst problem); problem: what the headline names first
    ("vanishing gradient", "vanishing signal and gradient", "saturated", ...); message: the
    headline, problem first, with its numbers; first_bad_layer: the first layer (1-based) in
    that state, None when healthy; layer_states: every layer's state (``LAYER_STATES``).
    signal_ratio: RMS of a_L over the input's; spread_ratio: std of a_L over the input's;
    signal_rate: the RMS's factor per layer from layer 1 to L (None for one layer or without
    finite values); gradient_ratio, gradient_rate: the same for the gradient from layer L down
    to layer 1 (None when unknown); gradient_state: the backward signal's own state
    (``GRADIENT_STATES``); gradient_source: where the gradient comes from; saturated_share and
    saturated_layer: the most saturated layer's share and number (None when the activation does
    not saturate).
    """

    state: str
    problem: str
    message: str
    first_bad_layer: int | None
    layer_states: tuple[str, ...]
    signal_ratio: float
    spread_ratio: float
    signal_rate: float | None
    gradient_ratio: float | None
    gradient_rate: float | None
    gradient_state: str
    gradient_source: str
    saturated_share: float | None
    saturated_layer: int | None


def _floats(name: str, values: object, length: int | None = None) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of numbers, one per layer; got {values!r}")
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers; got {values!r}") from None
    if array.size == 0:
        raise ValueError(f"{name} must have at least one layer; got an empty sequence")
    if length is not None and array.size != length:
        raise ValueError(f"{name} must have one entry per layer ({length}); got {array.size}")
    if np.any(array < 0):
        raise ValueError(f"{name} must hold numbers >= 0 (NaN and inf allowed); got {values!r}")
    return tuple(float(v) for v in array)


def _bools(name: str, values: object, length: int) -> tuple[bool, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of booleans, one per layer; got {values!r}")
    items = list(np.asarray(values, dtype=object).ravel())
    if len(items) != length or not all(isinstance(v, bool | np.bool_) for v in items):
        raise ValueError(f"{name} must hold {length} booleans, one per layer; got {values!r}")
    return tuple(bool(v) for v in items)


# --- text ------------------------------------------------------------------------------------


def rate_text(rate: float) -> str:
    """A factor per layer: 0.7071 -> "0.71", 1.0488 -> "1.05", 2e-5 -> "2e-05"."""
    if rate == 0.0:
        return "0"
    if 0.01 <= rate < 100.0:
        return f"{rate:.2f}"
    return f"{rate:.2g}"


def ratio_text(ratio: float) -> str:
    """A total ratio: 3 significant digits; 0 is "exactly 0"."""
    return "exactly 0" if ratio == 0.0 else f"{ratio:.3g}"


def percent(share: float) -> str:
    """A share as a percentage that never rounds to a wrong extreme: 0.906 -> "91%",
    0.0049 -> "0.49%", 1e-9 -> "<0.01%", 0.9996 -> "99.96%", 1 -> "100%"."""
    value = 100.0 * share
    if 0.0 < value < 0.01:
        return "<0.01%"
    if share in (0.0, 1.0) or 10.0 <= value < 99.5:
        return f"{value:.0f}%"
    if value >= 99.5:
        return f"{100.0 - float(f'{100.0 - value:.1g}'):g}%"
    return f"{value:.2g}%"


def thresholds_text() -> str:
    """The thresholds in one sentence, for captions."""
    return f"States: {band_text()}."


def band_text() -> str:
    """The thresholds as one clause (no capital, no full stop)."""
    return (
        f"vanishing or exploding when the RMS or the std of the activations has lost or "
        f"gained a decade against the input's (or the gradient reaching layer 1 against the "
        f"output's): {VANISHING_RATIO:g} or {EXPLODING_RATIO:g} times, the smaller of RMS and "
        f"std deciding vanishing and the larger exploding; or when the RMS or the gradient "
        f"changes by a factor per layer below {VANISHING_RATE:.3f} or above "
        f"{EXPLODING_RATE:.3f} (a decade within {RATE_DEPTH} layers); saturated when over "
        f"{SATURATED_SHARE:.0%} of a layer's units have a slope below {SATURATION_SLOPE:.0%} of "
        f"its maximum; dead when at least {DEAD_FRACTION:.0%} of a layer's units output "
        "exactly 0 (or each outputs one value whatever the input); zeros from underflow, a "
        "signal too small for its number format, count as vanishing"
    )


# --- the model -------------------------------------------------------------------------------


def _trend(value: float, steps: int) -> float | None:
    """value^(1/steps), the geometric-mean factor per step (None when undefined)."""
    if steps < 1 or not math.isfinite(value) or value < 0:
        return None
    return value ** (1.0 / steps)


def _band(
    low: float, rate: float | None, bounded_above: bool = False, high: float | None = None
) -> str:
    """The state ("vanishing", "exploding" or "healthy") from a total ratio (``low`` decides
    vanishing, ``high`` exploding; the same number unless given) and a factor per layer."""
    if low < VANISHING_RATIO or (rate is not None and rate < VANISHING_RATE):
        return "vanishing"
    if bounded_above:
        return "healthy"
    high = low if high is None else high
    if high > EXPLODING_RATIO or (rate is not None and rate > EXPLODING_RATE):
        return "exploding"
    return "healthy"


def trend_state(ratio: float, steps: int) -> str:
    """The state ("vanishing", "exploding" or "healthy") of a scale that changed by ``ratio``
    over ``steps`` layers: its total and its factor per layer both count, as ``assess`` judges
    the gradient from the output down to a layer. No step (one layer) is healthy; a ratio that
    is not finite is "overflow"."""
    if not math.isfinite(ratio):
        return "overflow"
    if steps == 0:
        return "healthy"
    return _band(ratio, _trend(ratio, steps))


def _signal(m: Measurements, layer: int) -> tuple[str, float | None]:
    """The forward state of layers 1..layer and its factor per layer."""
    rms = m.rms_ratio[layer - 1]
    spread = m.spread_ratio[layer - 1]
    rate = _trend(rms / m.rms_ratio[0], layer - 1) if m.rms_ratio[0] > 0 else None
    if not (math.isfinite(rms) and math.isfinite(spread)):
        return "healthy", rate
    bounded = m.activation.saturates
    return _band(min(rms, spread), rate, bounded, high=max(rms, spread)), rate


def _gradient_at(m: Measurements, layer: int) -> tuple[str, float | None]:
    """The backward state from layer L down to ``layer`` and its factor per layer."""
    if m.gradient is None:
        return "unknown", None
    value, steps = m.gradient[layer - 1], m.depth - layer
    return trend_state(value, steps), _trend(value, steps)  # inf/NaN: "overflow", None


def _layer_state(m: Measurements, layer: int) -> str:
    i = layer - 1
    backward = m.backward_overflow_layer
    if m.frac_nonfinite[i] > 0.0 or (backward is not None and layer <= backward):
        return "overflow"
    if m.underflow is not None and m.underflow[i]:
        return "vanishing"
    if m.frac_zero[i] >= DEAD_FRACTION or m.constant[i]:
        return "dead"
    if m.saturated is not None and m.saturated[i] > SATURATED_SHARE:
        return "saturated"
    gradient, _ = _gradient_at(m, layer)
    if gradient in ("vanishing", "exploding"):
        return gradient
    signal, _ = _signal(m, layer)
    return signal


def assess(m: Measurements) -> Health:
    """The network's health from ``m`` (see the module docstring for the order and thresholds)."""
    if not isinstance(m, Measurements):
        raise ValueError(f"m must be a Measurements; got {m!r}")
    depth = m.depth
    states = tuple(_layer_state(m, layer) for layer in range(1, depth + 1))
    signal_state, signal_rate = _signal(m, depth)
    signal_ratio, spread_ratio = m.rms_ratio[-1], m.spread_ratio[-1]
    gradient_ratio = None if m.gradient is None else m.gradient[0]
    gradient_state, gradient_rate = _gradient_at(m, 1)
    if m.backward_overflow_layer is not None:
        gradient_state = "overflow"
    saturated_share = saturated_layer = None
    if m.saturated is not None:
        shares = np.nan_to_num(np.asarray(m.saturated), nan=0.0)
        saturated_layer = int(np.argmax(shares)) + 1
        saturated_share = float(shares[saturated_layer - 1])

    def first(state: str) -> int | None:
        return states.index(state) + 1 if state in states else None

    common = dict(
        layer_states=states,
        signal_ratio=signal_ratio,
        spread_ratio=spread_ratio,
        signal_rate=signal_rate,
        gradient_ratio=gradient_ratio,
        gradient_rate=gradient_rate,
        gradient_state=gradient_state,
        gradient_source=m.gradient_source,
        saturated_share=saturated_share,
        saturated_layer=saturated_layer,
    )
    gradient_clause = _gradient_clause(m, gradient_ratio, gradient_rate)
    signal_clause = _signal_clause(m, signal_ratio, spread_ratio, signal_rate)

    forward_overflow = next((i + 1 for i, f in enumerate(m.frac_nonfinite) if f > 0.0), None)
    if forward_overflow is not None:
        share = percent(m.frac_nonfinite[forward_overflow - 1])
        message = f"overflow at layer {forward_overflow}: {share} of its values are inf or NaN"
        return Health("overflow", "overflow", message, forward_overflow, **common)
    if m.backward_overflow_layer is not None:
        layer = m.backward_overflow_layer
        message = (
            f"overflow in the backward pass at layer {layer}: on its way down from the output "
            "the gradient grew past the largest number the format holds"
        )
        return Health("overflow", "overflow", message, first("overflow"), **common)
    dead = first("dead")
    underflow = next((i + 1 for i, flag in enumerate(m.underflow or ()) if flag), None)
    if underflow is not None and (dead is None or underflow < dead):
        message = (
            f"vanishing signal: it shrank below the smallest normal number of its format, and "
            f"at layer {underflow} {percent(m.frac_zero[underflow - 1])} of the units output "
            "exactly 0 because their inputs rounded to 0 (underflow), not because they are off; "
            f"nothing of the input gets through; {gradient_clause}"
        )
        return Health("vanishing", "vanishing signal", message, underflow, **common)
    if dead is not None:
        i = dead - 1
        if m.frac_zero[i] >= DEAD_FRACTION:
            message = (
                f"dead: at layer {dead} {percent(m.frac_zero[i])} of the units output exactly "
                f"0 (at least {percent(DEAD_FRACTION)} counts as dead), so nothing of the input "
                "gets through"
            )
        else:
            message = (
                f"dead: at layer {dead} each unit outputs one value whatever the input, so "
                "nothing of the input gets through"
            )
        return Health("dead", "dead", message, dead, **common)
    saturated = first("saturated")
    if saturated is not None:
        threshold = flat_threshold(m.activation)
        message = (
            f"saturated: {percent(saturated_share)} of the units of layer {saturated_layer} "
            f"have {m.activation.label}′ below {SATURATION_SLOPE:.0%} of its maximum "
            f"(|z| > {threshold:.3g}); "
        )
        if gradient_state in ("vanishing", "exploding"):
            message += f"{gradient_state} gradient: "
        # The signal's clause too: tanh started at input std 1000 is squeezed to RMS 0.00055
        # of the input's at layer 1, which a headline of "saturated" alone left unexplained.
        signal = (
            f"the signal's {signal_clause}" if signal_clause.startswith("RMS") else signal_clause
        )
        message += f"{gradient_clause}; {signal}"
        return Health("saturated", "saturated", message, saturated, **common)
    if gradient_state in ("vanishing", "exploding"):
        state = gradient_state
        if signal_state == state:
            problem = f"{state} signal and gradient"
        elif signal_state != "healthy":  # e.g. a signal that explodes while its gradient dies
            problem = f"{state} gradient and {signal_state} signal"
        else:
            problem = f"{state} gradient"
        message = f"{problem}: {gradient_clause}; {signal_clause}"
        layer = first(state) or 1
        return Health(state, problem, message, layer, **common)
    if signal_state != "healthy":
        problem = f"{signal_state} signal"
        message = f"{problem}: {signal_clause}; {gradient_clause}"
        return Health(signal_state, problem, message, first(signal_state) or depth, **common)
    message = f"healthy: {signal_clause}; {gradient_clause}"
    return Health("healthy", "healthy", message, None, **common)


def _gradient_clause(m: Measurements, ratio: float | None, rate: float | None) -> str:
    if m.gradient is None:
        return "the gradient is not known here (mean-field theory does not apply)"
    if m.depth == 1:
        return "with one layer no gradient passes between layers"
    notes = [] if m.gradient_source != "mean-field theory" else ["mean-field theory"]
    if ratio is None or math.isnan(ratio):
        text = "the gradient reaching layer 1 is not finite"
    else:
        text = f"the gradient reaching layer 1 is {ratio_text(ratio)}"
        if ratio != 0.0:
            text += " times the output's" if ratio >= 1.0 else " of the output's"
        if rate is not None and ratio != 0.0:
            notes.insert(0, f"× {rate_text(rate)} per layer")
    return f"{text} ({'; '.join(notes)})" if notes else text


def _signal_clause(m: Measurements, ratio: float, spread: float, rate: float | None) -> str:
    depth = m.depth
    if not math.isfinite(ratio):
        return "the signal has no finite value"
    times = "times the input's" if ratio >= 1.0 else "of the input's"
    if rate is None:
        text = f"RMS {ratio_text(ratio)} {times} after one layer"
    else:
        text = f"RMS × {rate_text(rate)} per layer from layer 1 on, "
        text += f"{ratio_text(ratio)} {times} at layer {depth}"
    if spread < VANISHING_RATIO <= ratio:
        text += (
            f", but its spread (std) is {ratio_text(spread)} of the input's: every input gives "
            "nearly the same output, so the input is lost"
        )
    return text
