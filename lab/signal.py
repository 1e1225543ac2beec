"""Signal-propagation summaries for the Signal propagation page: verdicts, phase, gradients, view.

Builds on ``lab.network`` (the Monte-Carlo pass), ``lab.theory`` (mean-field theory, Poole et al.
2016; Schoenholz et al. 2017) and ``lab.diagnosis`` (the lab's state thresholds):

- ``measure``, ``diagnose_forward``: a simulation's ``lab.health.Measurements`` and health (the
  one health model: overflow, dead, saturated, gradient, signal);
- ``summarize_signal``: final-layer std, RMS ratio to the input, the health and the backward
  signal's state;
- ``valid_gradient_layers``: where the simulated gradients survived overflow;
- ``layer_table``: one row per layer (mean, std, max |a|, RMS ratio, zero and saturated
  shares, state);
- ``mean_field_phase``: sw2, q*, chi1, ordered/critical/chaotic and the depth scale;
- ``gradient_prediction``: mean-field std of dL/da_l, dL/dz_l and dL/dW_l per layer;
- ``network_view``: per node of a drawn network, its layer's std on a clipped log scale;
  ``simulated_network_view``: the same for a simulation, with each layer's state;
- ``number_text``: a measured number as a card shows it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from lab.activations import DEFAULT_LEAKY_SLOPE
from lab.health import DEAD_FRACTION, Health, Measurements, assess
from lab.initializers import MAX_FAN, Initializer
from lab.network import MAX_SAMPLES, SimulationResult
from lab.text import MISSING_TEXT
from lab.theory import (
    ActivationLike,
    InitParams,
    TheoryPrediction,
    chi1,
    classify_phase,
    depth_scale,
    effective_sw2,
    expected_dphi2,
    fixed_point,
    predict,
)
from lab.validation import check_float, check_int

MAX_NODES_PER_LAYER = 32
MAX_DECADES = 30.0
#: Nodes drawn per layer and the clipping range (decades either side of the input's std) of
#: the Signal propagation page's network view.
VIEW_NODES_PER_LAYER = 5
VIEW_DECADES = 3.0
#: Node kinds of ``network_view``: a finite nonzero std, an all-zero layer, an inf/NaN layer.
NODE_KINDS: tuple[str, ...] = ("signal", "zero", "overflow")


def _check_result(result: object) -> SimulationResult:
    if not isinstance(result, SimulationResult):
        raise ValueError(f"result must be a SimulationResult; got {type(result).__name__}")
    return result


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def number_text(value: float | None) -> str:
    """A measured number as the lab shows it: 3 significant digits, "inf/NaN" when it is not
    finite (or None)."""
    if value is None or not math.isfinite(value):
        return "inf/NaN"
    return f"{value:.3g}"


# --- forward and backward summary ------------------------------------------------------------


@dataclass(frozen=True)
class SignalSummary:
    """What happened to the signal in one simulation.

    input_std, input_rms: measured on a_0. final_std, final_rms: of a_L (NaN once inf/NaN took
    over). final_saturated: share of the last layer's units whose slope is below
    ``lab.health.SATURATION_SLOPE`` of its maximum (|z_L| beyond ``lab.health.flat_threshold``;
    NaN for activations that do not saturate or without finite values). rms_ratios:
    post-activation RMS of every layer over the input's RMS (NaN where a layer has no finite
    value); rms_ratio: the last of them. nonfinite: share of inf/NaN in z_l or a_l per layer.
    diagnosis: the network's health (``lab.health.assess`` of ``measure``). gradient_ratio: RMS
    of dL/da_1 over that of dL/da_L (NaN when either is not meaningful); gradient_state: the
    backward signal's own state (``Health.gradient_state``). overflow_message and
    backward_overflow_message: the simulation's, e.g. "overflow: inf/NaN at layer 7", or None.
    underflow_layer: the first layer whose zeros come from underflow (``underflow_layers``), or
    None.

    For plots, the per-layer stds with NaN where a number would mislead: forward_std (of a_l) is
    NaN in a layer holding any inf/NaN (the spread of its finite rest is not the layer's);
    grad_post_std (of dL/da_l) and grad_weight_std (of dL/dW_l) are NaN where the backward pass
    ran through inf/NaN (see ``valid_gradient_layers``).
    """

    input_std: float
    input_rms: float
    final_std: float
    final_rms: float
    final_saturated: float
    rms_ratio: float
    rms_ratios: np.ndarray
    nonfinite: np.ndarray
    diagnosis: Health
    gradient_ratio: float
    gradient_state: str
    overflow_message: str | None
    backward_overflow_message: str | None
    underflow_layer: int | None
    forward_std: np.ndarray
    grad_post_std: np.ndarray
    grad_weight_std: np.ndarray


def valid_gradient_layers(result: SimulationResult) -> tuple[np.ndarray, np.ndarray]:
    """Per layer, whether the simulated std of dL/da_l and of dL/dW_l means anything.

    dL/da_l is built from dL/dz_k = dL/da_k phi'(z_k) and W_k of the layers k > l, and
    dL/dW_l = a_{l-1}^T dL/dz_l (Rumelhart et al. 1986). After a forward overflow z_L is inf/NaN,
    so only dL/da_L (the injected output gradient) is valid; a ReLU mask of NaN even turns the
    rest into plausible-looking zeros. Otherwise dL/da_l is valid while neither it nor any
    gradient of the layers above holds inf/NaN, and dL/dW_l when dL/da_l, dL/dz_l and dL/dW_l
    are all finite. Without a backward pass (``backward="none"``) nothing is valid.
    """
    result = _check_result(result)
    post_bad = result.grad_post.nonfinite > 0
    pre_bad = result.grad_pre.nonfinite > 0
    weight_bad = result.grad_weight.nonfinite > 0
    # Walking down from the output: is a gradient of some layer above this one already broken?
    broken_from_above = np.zeros(len(post_bad), dtype=bool)
    broken_from_above[:-1] = np.logical_or.accumulate((post_bad | pre_bad)[::-1])[::-1][1:]
    grad_post = ~(post_bad | broken_from_above) & (result.grad_post.count > 0)
    if result.first_nonfinite_layer is not None:
        grad_post[:-1] = False
    grad_weight = grad_post & ~pre_bad & ~weight_bad
    if result.first_nonfinite_layer is not None:
        grad_weight[:] = False
    return grad_post, grad_weight


def _nonfinite_share(result: SimulationResult) -> np.ndarray:
    """Per layer, the larger share of inf/NaN among z_l and a_l (tanh(inf) is finite)."""
    return np.maximum(result.pre.frac_nonfinite, result.post.frac_nonfinite)


def _rms_ratios(result: SimulationResult) -> np.ndarray:
    input_rms = float(result.input.rms[0])
    if not input_rms > 0.0:
        raise ValueError(
            "result must have an input with RMS > 0 to measure ratios (input_std > 0); "
            f"got input RMS {input_rms:g}"
        )
    return result.post.rms / input_rms


def constant_layers(result: SimulationResult) -> np.ndarray:
    """Per layer, True when its output is the same for every input, so that nothing of the
    input gets through: every a_l is the same finite value (std exactly 0 over more than one
    value), or the weights are all exactly 0 (each unit then outputs phi(b_j), its own bias's
    image, whatever the input: the layer's std is the biases' spread, not the input's). Such a
    layer is dead whatever its RMS (``lab.health``)."""
    result = _check_result(result)
    post = result.post
    # One input says nothing about "whatever the input": equal units are only equal to each
    # other (constant weights make every unit of a layer alike for any input).
    several = result.config.batch_size > 1
    constant = (post.std == 0.0) & (post.count - post.nonfinite > 1) & several
    init = result.config.initializer()
    if init.distribution == "constant" and init.value == 0.0:
        constant = np.ones_like(constant)
    return constant


def _theory_gradient(result: SimulationResult) -> np.ndarray | None:
    """Mean-field RMS of dL/da_l relative to dL/da_L for a forward-only simulation, or None
    where the theory does not apply (weights with a nonzero mean)."""
    config = result.config
    prediction = predict(
        config.initializer(),
        config.activation_function(),
        config.depth,
        None,
        widths=config.layer_widths,
        input_width=config.input_features,
        # The configured input's std, as every other mean-field number of the lab (the verdicts'
        # outcome at depth); rows typed in by hand have only their measured RMS.
        input_std=config.input_std
        if config.input_data is None
        else min(float(result.input.rms[0]), 1e6),
        bias_std=config.bias_std,
    )
    if not prediction.applicable:
        return None
    with np.errstate(all="ignore"):
        gradient = prediction.grad_std
    return np.where(np.isfinite(gradient), gradient, np.nan)


def measure(result: SimulationResult) -> Measurements:
    """A simulation's inputs to the health model (``lab.health.Measurements``).

    Forward: RMS and std of a_l over the input's (with one input row the std runs over units
    only, so the RMS stands in for it), shares of exact zeros and of inf/NaN (in z_l or a_l),
    constant layers, and the saturated share of z_l (``TensorStats.frac_flat``).
    Backward: the RMS of dL/da_l over that of dL/da_L where ``valid_gradient_layers`` holds
    (NaN elsewhere), and the backward pass's first inf/NaN; a forward-only simulation
    (``backward="none"``) takes the mean-field gradient of the same network instead.
    """
    result = _check_result(result)
    ratios = _rms_ratios(result)
    nonfinite = _nonfinite_share(result)
    input_std = float(result.input.std[0])
    with np.errstate(all="ignore"):
        spread = result.post.std / input_std if input_std > 0 else np.full(len(ratios), np.nan)
    if result.config.batch_size < 2:
        # With one input the std runs over units only, not over inputs: it cannot tell
        # whether every input gives the same output, so the RMS alone judges the signal.
        spread = ratios
    zeros = np.where(nonfinite > 0.0, 0.0, np.nan_to_num(result.post.frac_zero, nan=0.0))
    saturated = result.pre.frac_flat
    source, gradient, backward_layer = "", None, None
    if result.config.backward == "none":
        gradient = _theory_gradient(result)
        source = "" if gradient is None else "mean-field theory"
    else:
        valid, _ = valid_gradient_layers(result)
        rms = np.where(valid, result.grad_post.rms, np.nan)
        with np.errstate(all="ignore"):
            gradient = rms / rms[-1] if rms[-1] > 0 else np.full(len(rms), np.nan)
        source = "simulation"
        if result.first_nonfinite_layer is None:
            backward_layer = result.backward_first_nonfinite_layer
    return Measurements(
        activation=result.config.activation_function(),
        rms_ratio=tuple(np.where(nonfinite > 0.0, np.nan, ratios)),
        spread_ratio=tuple(np.where(nonfinite > 0.0, np.nan, spread)),
        frac_zero=tuple(zeros),
        frac_nonfinite=tuple(nonfinite),
        constant=tuple(bool(c) for c in constant_layers(result)),
        saturated=None if saturated is None else tuple(np.nan_to_num(saturated, nan=0.0)),
        gradient=None if gradient is None else tuple(gradient),
        gradient_source=source,
        backward_overflow_layer=backward_layer,
        underflow=underflow_layers(result),
    )


def underflow_layers(result: SimulationResult) -> tuple[bool, ...]:
    """Per layer, whether its exact zeros come from underflow: at least ``DEAD_FRACTION`` of
    a_l is exactly 0 while the layer below still had a signal, but one whose RMS lay below the
    format's smallest normal number (``numpy.finfo(dtype).tiny``: 1.2e-38 in float32), so its
    products rounded to 0; and every such layer above one that underflowed. Zero weights, or
    ReLU units that are off, leave zeros below a normal-sized signal (or below nothing at all)
    and are not underflow."""
    tiny = float(np.finfo(np.dtype(result.config.dtype)).tiny)
    below = [float(result.input.rms[0]), *(float(r) for r in result.post.rms[:-1])]
    zeros = np.nan_to_num(result.post.frac_zero, nan=0.0)
    flags: list[bool] = []
    for layer, (rms, share) in enumerate(zip(below, zeros, strict=True)):
        tiny_below = 0.0 < rms < tiny or (layer > 0 and flags[-1])
        flags.append(bool(share >= DEAD_FRACTION and tiny_below))
    return tuple(flags)


def diagnose_forward(result: SimulationResult) -> Health:
    """The health (``lab.health.assess``) of a simulation: its forward pass, and its backward
    pass or, for a forward-only simulation, the mean-field gradient (see ``measure``)."""
    return assess(measure(result))


def summarize_signal(result: SimulationResult) -> SignalSummary:
    """Final-layer numbers and the health of a simulation (thresholds: ``lab.health``).

    The ratio is RMS over RMS, the quantity Glorot & Bengio (2010) and He et al. (2015) keep
    constant: E[a_l^2] / E[a_0^2] is 1 per layer for He + ReLU, 1/2 for Xavier + ReLU.
    """
    result = _check_result(result)
    ratios = _rms_ratios(result)
    nonfinite = _nonfinite_share(result)
    measured = measure(result)
    health = assess(measured)
    valid_post, valid_weight = valid_gradient_layers(result)
    grad_post_std = np.where(valid_post, result.grad_post.std, np.nan)
    ratio = health.gradient_ratio
    flat = result.pre.frac_flat
    return SignalSummary(
        input_std=float(result.input.std[0]),
        input_rms=float(result.input.rms[0]),
        final_std=float(result.post.std[-1]),
        final_rms=float(result.post.rms[-1]),
        final_saturated=math.nan if flat is None else float(flat[-1]),
        rms_ratio=float(ratios[-1]),
        rms_ratios=ratios,
        nonfinite=nonfinite,
        diagnosis=health,
        gradient_ratio=math.nan
        if ratio is None or health.gradient_source != "simulation"
        else float(ratio),
        gradient_state=health.gradient_state,
        overflow_message=result.overflow_message,
        backward_overflow_message=result.backward_overflow_message,
        underflow_layer=next(
            (layer for layer, flag in enumerate(measured.underflow or (), 1) if flag), None
        ),
        forward_std=np.where(nonfinite > 0.0, np.nan, result.post.std),
        grad_post_std=grad_post_std,
        grad_weight_std=np.where(valid_weight, result.grad_weight.std, np.nan),
    )


def layer_table(result: SimulationResult) -> list[dict[str, int | float | str | None]]:
    """One row per layer for display: layer, width, pre_std (of z_l), mean, std, max_abs (of
    a_l), rms_ratio (a_l RMS over a_0 RMS), frac_zero, frac_saturated (share of units whose
    slope is below ``lab.health.SATURATION_SLOPE`` of its maximum; None for activations that
    do not saturate), frac_nonfinite, grad_std (of dL/da_l, None where
    ``valid_gradient_layers`` says it is meaningless) and status (the layer's state in
    ``lab.health``). Statistics over the finite values only; non-finite numbers become None."""
    result = _check_result(result)
    ratios = _rms_ratios(result)
    nonfinite = _nonfinite_share(result)
    states = diagnose_forward(result).layer_states
    valid_grad, _ = valid_gradient_layers(result)
    grad_std = np.where(valid_grad, result.grad_post.std, np.nan)
    flat = result.pre.frac_flat
    rows: list[dict[str, int | float | str | None]] = []
    for index, layer in enumerate(result.layers):
        zero = result.post.frac_zero[index]
        rows.append(
            {
                "layer": int(layer),
                "width": int(result.widths[index + 1]),
                "pre_std": _finite_or_none(result.pre.std[index]),
                "mean": _finite_or_none(result.post.mean[index]),
                "std": _finite_or_none(result.post.std[index]),
                "max_abs": _finite_or_none(result.post.max_abs[index]),
                "rms_ratio": _finite_or_none(ratios[index]),
                "frac_zero": _finite_or_none(zero),
                "frac_saturated": None if flat is None else _finite_or_none(flat[index]),
                "frac_nonfinite": float(nonfinite[index]),
                "grad_std": _finite_or_none(grad_std[index]),
                "status": states[index],
            }
        )
    return rows


#: ``layer_table`` columns that hold shares (shown as percentages) and integers (shown as is).
SHARE_COLUMNS = ("frac_zero", "frac_saturated", "frac_nonfinite")
INTEGER_COLUMNS = ("layer", "width")


def layer_table_text(
    rows: Sequence[dict[str, int | float | str | None]],
) -> list[dict[str, int | str]]:
    """``layer_table`` rows as the page prints them: numbers to 3 significant digits with an
    exponent when large or small ("6.02e+10", not 60200000000), shares as percentages ("50%",
    "0.12%"), ``MISSING_TEXT`` for None; layer, width and the state unchanged."""
    shown: list[dict[str, int | str]] = []
    for row in rows:
        text: dict[str, int | str] = {}
        for name, value in row.items():
            if name in INTEGER_COLUMNS or isinstance(value, str):
                text[name] = value  # type: ignore[assignment]
            elif value is None or not math.isfinite(value):
                text[name] = MISSING_TEXT
            elif name in SHARE_COLUMNS:
                text[name] = f"{100 * value:.3g}%"
            else:
                text[name] = f"{value:.3g}"
        shown.append(text)
    return shown


# --- mean-field phase --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanFieldPhase:
    """The mean-field phase of an infinitely wide net with this init (Schoenholz et al. 2017).

    sw2 = fan_in Var(W) at equal fans ``width``; sb2 = bias_std^2; q_star: the fixed point of the
    length map reached from q = 1; chi1 = sw2 E[phi'(sqrt(q*) z)^2]; phase: "ordered" (chi1 < 1,
    gradients vanish), "critical" or "chaotic" (chi1 > 1, gradients explode); depth_scale =
    1/|ln chi1|, the number of layers over which the gradient variance changes by a factor e (inf
    at chi1 = 1). When ``applicable`` is False (weights with nonzero mean) the numbers are None
    and ``reason`` says why.
    """

    applicable: bool
    reason: str
    sw2: float | None
    sb2: float
    q_star: float | None
    chi1: float | None
    phase: str | None
    depth_scale: float | None


def mean_field_phase(
    init: str | Initializer,
    activation: ActivationLike,
    width: int,
    bias_std: float = 0.0,
    *,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> MeanFieldPhase:
    """sw2, q*, chi1, phase and depth scale at equal fans ``width`` (``lab.theory``)."""
    width = check_int("width", width, 1, MAX_FAN)
    bias_std = check_float("bias_std", bias_std, 0.0, 1e6)
    scale = effective_sw2(init, width, width, init_params)
    sb2 = bias_std * bias_std
    if scale.sw2 is None:
        return MeanFieldPhase(False, scale.reason, None, sb2, None, None, None, None)
    q_star = fixed_point(activation, scale.sw2, sb2, slope=slope)
    gain = chi1(activation, scale.sw2, sb2, slope=slope)
    if math.isfinite(gain):
        phase, xi = classify_phase(gain), depth_scale(gain)
    else:
        phase, xi = "chaotic", 0.0
    return MeanFieldPhase(True, "", scale.sw2, sb2, q_star, gain, phase, xi)


# --- backward pass in mean-field theory --------------------------------------------------------


@dataclass(frozen=True)
class GradientPrediction:
    """Mean-field std per layer l = 1..L of dL/da_l, dL/dz_l and the entries of dL/dW_l.

    For the simulation's backward pass: dL/da_L is N(0, 1) noise, independent across ``samples``
    rows, and dL/dW_l = a_{l-1}^T dL/dz_l is summed (not averaged) over the rows. All NaN when
    the prediction is not applicable (``reason`` says why).
    """

    layers: np.ndarray
    samples: int
    grad_post_std: np.ndarray
    grad_pre_std: np.ndarray
    grad_weight_std: np.ndarray
    applicable: bool
    reason: str


def gradient_prediction(
    prediction: TheoryPrediction,
    activation: ActivationLike,
    samples: int,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> GradientPrediction:
    """Backward statistics from a forward ``lab.theory.predict`` (same activation and slope).

    Var(dL/da_l) = grad_var_l (the product of chi_k over the layers above, Schoenholz et al.
    2017, for a unit-variance output gradient); Var(dL/dz_l) = Var(dL/da_l) E[phi'(z_l)^2] with
    z_l ~ N(0, q_l); under the gradient-independence assumption of the same paper each entry of
    dL/dW_l is a sum over the rows of a_{l-1} dL/dz_l, terms of mean 0, so
    Var(dL/dW_l) = samples E[a_{l-1}^2] Var(dL/dz_l), with E[a_0^2] = input_std^2.
    """
    if not isinstance(prediction, TheoryPrediction):
        raise ValueError(f"prediction must be a TheoryPrediction; got {prediction!r}")
    samples = check_int("samples", samples, 1, MAX_SAMPLES)
    layers = prediction.layers
    if not prediction.applicable:
        nan = np.full(len(layers), np.nan)
        return GradientPrediction(layers, samples, nan, nan, nan, False, prediction.reason)
    gain = np.asarray(expected_dphi2(activation, prediction.pre_var, slope=slope), dtype=float)
    below = np.concatenate([[prediction.input_std**2], prediction.post_second_moment[:-1]])
    with np.errstate(all="ignore"):
        # Products of standard deviations (``TheoryPrediction.grad_std``): the variances of a
        # deep ordered network underflow float64 where their square roots do not.
        post_std = prediction.grad_std
        pre_std = post_std * np.sqrt(gain)
        return GradientPrediction(
            layers=layers,
            samples=samples,
            grad_post_std=post_std,
            grad_pre_std=pre_std,
            grad_weight_std=np.sqrt(samples * below) * pre_std,
            applicable=True,
            reason="",
        )


# --- the drawn network -------------------------------------------------------------------------


def _check_sequence(name: str, values: object) -> list[float]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of numbers; got {values!r}")
    items = np.asarray(values, dtype=object).ravel().tolist()
    if not items:
        raise ValueError(f"{name} must have at least one layer; got an empty sequence")
    for index, value in enumerate(items):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{name}[{index}] must be a number; got {value!r}")
    return [float(value) for value in items]


def network_view(
    layer_stds: Sequence[float],
    layer_nonfinite: Sequence[float],
    reference_std: float,
    *,
    nodes_per_layer: int = 5,
    decades: float = 4.0,
) -> list[dict[str, int | float | str | bool | None]]:
    """Rows of a drawn network: ``nodes_per_layer`` nodes for every entry of ``layer_stds``
    (layer 0 = the input), all nodes of a layer sharing that layer's std.

    log_ratio = log10(std / reference_std) clipped to [-decades, decades]; level = (log_ratio +
    decades) / (2 decades) in [0, 1] (0.5 = the reference scale), for node size and brightness.
    kind: "overflow" where the layer's inf/NaN share is > 0 (std None, level None), "zero" where
    its std is 0 (level 0), else "signal". clipped: the true log ratio lies beyond the range.
    """
    stds = _check_sequence("layer_stds", layer_stds)
    shares = _check_sequence("layer_nonfinite", layer_nonfinite)
    if len(stds) != len(shares):
        raise ValueError(
            "layer_stds and layer_nonfinite must have the same length; got "
            f"{len(stds)} and {len(shares)}"
        )
    reference = check_float("reference_std", reference_std, 0.0, low_inclusive=False)
    nodes = check_int("nodes_per_layer", nodes_per_layer, 1, MAX_NODES_PER_LAYER)
    decades = check_float("decades", decades, 0.0, MAX_DECADES, low_inclusive=False)
    rows: list[dict[str, int | float | str | bool | None]] = []
    for layer, (std, share) in enumerate(zip(stds, shares, strict=True)):
        if math.isnan(share) or share < 0.0 or share > 1.0:
            raise ValueError(f"layer_nonfinite[{layer}] must be a share in [0, 1]; got {share}")
        if share > 0.0 or not math.isfinite(std):
            kind, value, log_ratio, level, clipped = "overflow", None, None, None, False
        elif std < 0.0:
            raise ValueError(f"layer_stds[{layer}] must be >= 0 or inf/NaN; got {std:g}")
        elif std == 0.0:
            kind, value, log_ratio, level, clipped = "zero", 0.0, -decades, 0.0, True
        else:
            exact = math.log10(std) - math.log10(reference)
            log_ratio = min(max(exact, -decades), decades)
            kind, value, clipped = "signal", std, log_ratio != exact
            level = (log_ratio + decades) / (2.0 * decades)
        for node in range(nodes):
            rows.append(
                {
                    "layer": layer,
                    "node": node,
                    "std": value,
                    "log_ratio": log_ratio,
                    "level": level,
                    "kind": kind,
                    "clipped": clipped,
                }
            )
    return rows


def simulated_network_view(
    result: SimulationResult,
    *,
    nodes_per_layer: int = VIEW_NODES_PER_LAYER,
    decades: float = VIEW_DECADES,
) -> list[dict[str, int | float | str | bool | None]]:
    """``network_view`` of a simulation: layer 0 is the input, layer l the std of a_l measured
    against the input's std, an overflow where z_l or a_l holds any inf/NaN. Each row also
    has ``state`` ("input" for layer 0, else the layer's state in ``lab.health``, as in
    ``layer_table``) and ``std_text`` (``number_text`` of the std)."""
    result = _check_result(result)
    input_std = float(result.input.std[0])
    if not input_std > 0.0:
        raise ValueError(
            f"result must have an input with std > 0 to draw the network view; got {input_std:g}"
        )
    shares = [0.0, *_nonfinite_share(result).tolist()]
    stds = [input_std, *result.post.std.tolist()]
    states = ("input", *diagnose_forward(result).layer_states)
    rows = network_view(stds, shares, input_std, nodes_per_layer=nodes_per_layer, decades=decades)
    for row in rows:
        layer = int(row["layer"])  # type: ignore[arg-type]
        row["state"] = states[layer]
        row["std_text"] = number_text(row["std"])  # type: ignore[arg-type]
    return rows
