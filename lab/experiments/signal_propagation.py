"""The Signal propagation page's experiment: ``run(config) -> Result``, everything it shows.

One Monte-Carlo forward and backward pass (``lab.network.simulate``, Glorot & Bengio 2010; He
et al. 2015) next to the mean-field prediction of infinitely wide layers (``lab.theory``, Poole
et al. 2016; Schoenholz et al. 2017), summarized by ``lab.signal`` and judged by
``lab.health`` (the one health model) and ``lab.diagnosis`` (recommendations derived from the
theory): the result cards, the std of the activations and of the gradients per layer, the
network view and the per-layer table.

Every value inside the page's declared ranges runs: a network over the lab's budget
(``lab.budget``) gets fewer samples (``lab.network.fit_samples``), never a smaller network, and
``Result.budget_note`` says so in one line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lab.controls.network import init_params as scheme_params
from lab.controls.signal_propagation import CONTROLS
from lab.diagnosis import (
    Diagnosis,
    Recommendation,
    Verdict,
    diagnose_prediction,
    match_verdict,
    recommended_init,
    width_caveat,
)
from lab.formats import FORMATS
from lab.health import SATURATION_SLOPE, flat_threshold, percent, rate_text, thresholds_text
from lab.initializers import SCHEME_PARAMETERS, get_initializer
from lab.network import (
    NetworkConfig,
    check_init_params,
    fit_samples,
    simulate,
)
from lab.signal import (
    VIEW_DECADES,
    GradientPrediction,
    MeanFieldPhase,
    SignalSummary,
    gradient_prediction,
    layer_table,
    mean_field_phase,
    number_text,
    simulated_network_view,
    summarize_signal,
)
from lab.text import plural
from lab.theory import (
    FIRST_ORDER_LOG_SD,
    FiniteWidthSpread,
    TheoryPrediction,
    finite_width_spread,
    predict,
)

#: Names of the two lines of every chart.
SIMULATED = "simulation"
THEORY = "theory (infinite width)"

#: Config field -> the declared control that bounds it (lab.controls.signal_propagation).
_CONTROLLED = (
    "init",
    "activation",
    "leaky_slope",
    "layers",
    "width",
    "input_std",
    "bias_std",
    "samples",
    "seed",
)


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """One request of the page. Every field is checked against the page's declared control
    (``lab.controls.signal_propagation.CONTROLS``), so the experiment accepts exactly what the
    URL and the widgets accept. ``init_params`` holds the scheme's own parameters (gain, slope,
    mode, std, bound, value) as sorted (name, value) pairs, a missing one at its control's
    default, so equal networks have equal configs. ``samples`` is the number asked for; the
    run may use fewer (``Result.network.samples``)."""

    init: str = CONTROLS["init"].default
    init_params: tuple[tuple[str, float | str], ...] = ()
    activation: str = CONTROLS["activation"].default
    leaky_slope: float = CONTROLS["leaky_slope"].default
    layers: int = CONTROLS["layers"].default
    width: int = CONTROLS["width"].default
    input_std: float = CONTROLS["input_std"].default
    bias_std: float = CONTROLS["bias_std"].default
    samples: int = CONTROLS["samples"].default
    seed: int = CONTROLS["seed"].default

    def __post_init__(self) -> None:
        for name in _CONTROLLED:
            object.__setattr__(self, name, CONTROLS[name].check(getattr(self, name)))
        given = dict(check_init_params(self.init, self.init_params))
        params = {
            name: CONTROLS[name].check(given.get(name, CONTROLS[name].default))
            for name in SCHEME_PARAMETERS.get(self.init, ())
        }
        object.__setattr__(self, "init_params", tuple(sorted(params.items())))

    def network(self) -> NetworkConfig:
        """The simulation asked for (before the budget)."""
        return NetworkConfig(
            init=self.init,
            init_params=self.init_params,
            activation=self.activation,
            slope=self.leaky_slope,
            layers=self.layers,
            width=self.width,
            samples=self.samples,
            input_std=self.input_std,
            bias_std=self.bias_std,
            seed=self.seed,
        )


def config_from_values(values: Mapping[str, object]) -> Config:
    """The Config of the control values ``draw_controls`` or ``parse_query`` returns (missing
    controls take their defaults; an undeclared name or an illegal value raises ValueError)."""
    full = CONTROLS.defaults() | CONTROLS.check_values(values)
    return Config(
        init_params=scheme_params(full),
        **{name: full[name] for name in _CONTROLLED},  # type: ignore[arg-type]
    )


# --- what the page draws --------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """One result card: a label, its value, a tooltip and the sentences under it."""

    label: str
    value: str
    help: str = ""
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSeries:
    """One chart of a std per layer: the simulation's (NaN where a number would mislead, see
    ``lab.signal.SignalSummary``) and the theory's, None where the theory does not apply."""

    title: str
    y_title: str
    layers: tuple[int, ...]
    simulated: tuple[float, ...]
    theory: tuple[float, ...] | None


@dataclass(frozen=True)
class Result:
    """Everything the Signal propagation page shows for one Config.

    network: the simulation that ran (its samples after the budget); budget_note: one line
    when the budget lowered the samples, else "". heading: scheme, activation and size.
    warnings: the forward and backward overflow lines (empty without overflow). cards: six
    result cards, two rows of three (final std, RMS ratio, state; recommendation, verdict,
    phase); states_caption: the thresholds of the states (``lab.health.thresholds_text``).
    forward, grad_post, grad_weight: the charts' series (std of a_l from layer 0 = the input,
    of dL/da_l and of dL/dW_l), with captions. view: rows of the network view
    (``lab.signal.simulated_network_view``), clipped at ``view_decades``; table: one row per
    layer (``lab.signal.layer_table``); saturation_threshold: the |z| beyond which the table's
    and the cards' saturated share counts a unit (``lab.health.flat_threshold``; None for
    activations that do not saturate); saturation_label: the table column's title and
    saturation_help its tooltip ("" when there is no saturated share).
    summary, prediction, gradients, phase, recommendation, verdict: the lab's objects these
    are drawn from; verdict_caveat: why a theory's match can sit beside a narrow simulation that
    lost its scale (``lab.diagnosis.width_caveat``; "" otherwise), also under the verdict card.
    """

    config: Config
    network: NetworkConfig
    budget_note: str
    heading: str
    warnings: tuple[str, ...]
    cards: tuple[Card, ...]
    states_caption: str
    forward: LayerSeries
    forward_caption: str
    grad_post: LayerSeries
    grad_weight: LayerSeries
    gradient_caption: str
    view: tuple[dict[str, int | float | str | bool | None], ...]
    view_decades: float
    table: tuple[dict[str, int | float | str | None], ...]
    saturation_threshold: float | None
    saturation_label: str
    saturation_help: str
    summary: SignalSummary
    prediction: TheoryPrediction
    gradients: GradientPrediction
    phase: MeanFieldPhase
    recommendation: Recommendation
    verdict: Verdict
    verdict_caveat: str


def run(config: Config) -> Result:
    """Simulate ``config`` (samples fitted to the budget), predict it, and describe both."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a signal_propagation.Config; got {config!r}")
    network, scaled = fit_samples(config.network())
    simulation = simulate(network)
    summary = summarize_signal(simulation)
    act = network.activation_function()
    common = {"init_params": network.init_params, "slope": network.slope}
    prediction = predict(
        network.init,
        act,
        network.layers,
        network.width,
        input_std=network.input_std,
        bias_std=network.bias_std,
        **common,
    )
    spread = finite_width_spread(prediction, act)
    theory = diagnose_prediction(prediction, act) if prediction.applicable else None
    gradients = gradient_prediction(prediction, act, network.samples, slope=network.slope)
    phase = mean_field_phase(network.init, act, network.width, network.bias_std, **common)
    scales = {
        "input_std": network.input_std,
        "bias_std": network.bias_std,
        "depth": network.depth,
    }
    recommendation = recommended_init(act, **scales)
    verdict = match_verdict(network.init, act, width=network.width, **common, **scales)
    caveat = width_caveat(verdict, summary.diagnosis, theory, network.width)
    threshold = flat_threshold(act)
    layers = tuple(int(layer) for layer in simulation.layers)
    return Result(
        config=config,
        network=network,
        budget_note=scaled.note,
        heading=(
            f"{network.initializer().label} + {act.label}, {plural(network.layers, 'layer')} "
            f"of {plural(network.width, 'unit')}"
        ),
        warnings=_warnings(summary, network.dtype),
        cards=(
            *_signal_cards(summary, network, act.saturates, act.label, prediction, spread, theory),
            *_advice_cards(
                recommendation,
                verdict,
                phase,
                act.label,
                summary,
                caveat,
            ),
        ),
        states_caption=thresholds_text(),
        forward=LayerSeries(
            "Std of the activations a_l (layer 0 = input)",
            "std of a_l (log)",
            (0, *layers),
            _floats([summary.input_std, *summary.forward_std]),
            _floats([network.input_std, *prediction.post_std]) if prediction.applicable else None,
        ),
        forward_caption=_forward_caption(prediction, network, spread, summary),
        grad_post=LayerSeries(
            "Std of dL/da_l (the output's gradient is N(0, 1))",
            "std of dL/da_l (log)",
            layers,
            _floats(summary.grad_post_std),
            _floats(gradients.grad_post_std) if gradients.applicable else None,
        ),
        grad_weight=LayerSeries(
            f"Std of dL/dW_l (summed over {plural(network.samples, 'sample')})",
            "std of dL/dW_l (log)",
            layers,
            _floats(summary.grad_weight_std),
            _floats(gradients.grad_weight_std) if gradients.applicable else None,
        ),
        gradient_caption=_gradient_caption(summary, network.layers),
        view=tuple(simulated_network_view(simulation, decades=VIEW_DECADES)),
        view_decades=VIEW_DECADES,
        table=tuple(layer_table(simulation)),
        saturation_threshold=threshold,
        saturation_label="" if threshold is None else f"saturated (|z| > {threshold:.3g})",
        saturation_help=""
        if threshold is None
        else (
            f"Share of pre-activations beyond ±{threshold:.3g}, where {act.label}′ is below "
            f"{SATURATION_SLOPE:.0%} of its maximum."
        ),
        summary=summary,
        prediction=prediction,
        gradients=gradients,
        phase=phase,
        recommendation=recommendation,
        verdict=verdict,
        verdict_caveat=caveat,
    )


def _floats(values: object) -> tuple[float, ...]:
    return tuple(float(value) for value in np.asarray(values, dtype=float))


def _warnings(summary: SignalSummary, dtype: str) -> tuple[str, ...]:
    lines = []
    if summary.overflow_message:
        lines.append(
            f"{summary.overflow_message}: the {dtype} forward pass ran out of range, and every "
            "later layer holds inf/NaN."
        )
    if summary.backward_overflow_message:
        lines.append(summary.backward_overflow_message + ".")
    return tuple(lines)


def _signal_cards(
    summary: SignalSummary,
    network: NetworkConfig,
    saturates: bool,
    activation: str,
    prediction: TheoryPrediction,
    spread: FiniteWidthSpread,
    theory: Diagnosis | None,
) -> tuple[Card, ...]:
    health = summary.diagnosis
    state_captions = [health.message + "."]
    if theory is not None:
        rates = _rates_before_overflow(summary, prediction)
        overflow = health.state == "overflow"
        forward_overflow = overflow and summary.overflow_message is not None
        largest = FORMATS[network.dtype].max
        said = f"Mean-field theory (infinitely wide layers) says {theory.message}."
        dtype = network.dtype
        if forward_overflow and theory.state == "exploding" and rates is not None:
            # Not a disagreement: the simulation explodes as predicted until its format's
            # largest number is passed (the theory's arithmetic is float64).
            state_captions.append(
                f"{said} This {dtype} simulation {_same_rate('grows', rates)} until its values "
                f"pass {dtype}'s largest number at layer {health.first_bad_layer}: the overflow "
                "is that explosion running out of range."
            )
        elif (
            overflow
            and not forward_overflow
            and theory.gradient_state == "exploding"
            and (theory.gradient_ratio or 0.0) > largest
        ):
            backward = (summary.backward_overflow_message or "").removeprefix("overflow: ")
            state_captions.append(
                f"{said} A gradient that grows to {number_text(theory.gradient_ratio)} times the "
                f"output's passes {dtype}'s largest number, {number_text(largest)}, on its way "
                f"down: this simulation's {backward} is that overflow, as theory predicts."
            )
        elif summary.underflow_layer is not None and theory.state == "vanishing":
            # Not a disagreement either: the signal shrinks as predicted until it falls below
            # the format's smallest normal number and rounds to 0.
            tiny = float(np.finfo(np.dtype(dtype)).tiny)
            state_captions.append(
                f"{said} This {dtype} simulation {_same_rate('shrinks', rates)} until its "
                f"values fall below {dtype}'s smallest normal number, {number_text(tiny)}, and "
                f"round to 0 from layer {summary.underflow_layer}: the zeros are that vanishing "
                "signal running out of range, where the theory's arithmetic (float64) keeps "
                "shrinking."
            )
        elif theory.problem != health.problem:
            state_captions.append(
                f"{said} This simulation ({plural(network.width, 'unit')}, "
                f"{plural(network.samples, 'input')}) lands elsewhere"
                f"{_finite_width_gap(summary, prediction, spread)}. The charts below show where "
                "the two part."
            )
    threshold = flat_threshold(network.activation_function())
    if saturates and threshold is not None and math.isfinite(summary.final_saturated):
        state_captions.append(
            f"{percent(summary.final_saturated)} of the last layer's units are saturated: "
            f"|z| > {threshold:.3g}, where {activation}′ is below {SATURATION_SLOPE:.0%} of "
            "its maximum."
        )
    return (
        Card(
            "Final-layer std",
            number_text(summary.final_std),
            f"Std of a_{network.layers}, the last layer's activations; the input's is "
            f"{number_text(summary.input_std)}.",
        ),
        Card(
            "Ratio to input (RMS)",
            number_text(summary.rms_ratio),
            "Root mean square of the last layer's activations over the input's: the scale "
            "that Xavier and He keep at 1.",
        ),
        Card("Signal state", health.state, captions=tuple(state_captions)),
    )


def _critical_note(phase: MeanFieldPhase, summary: SignalSummary) -> str:
    """Why a critical network can still lose its signal or its gradient."""
    health = summary.diagnosis
    if phase.phase != "critical" or phase.q_star is None or phase.q_star >= 1e-12:
        return ""
    falling = [
        f"{name} × {rate_text(rate)} per layer"
        for name, rate in (("RMS", health.signal_rate), ("gradient", health.gradient_rate))
        if rate is not None and rate < 1.0
    ]
    if not falling:
        return ""
    return (
        f"Critical yet falling ({', '.join(falling)}): χ₁ = 1 holds at the fixed point q* = 0, "
        "which the network approaches as q_l falls like 1/l, slowly (polynomially), not "
        "exponentially; each layer's own χ₁ is a little below 1 until q_l reaches 0."
    )


def _advice_cards(
    recommendation: Recommendation,
    verdict: Verdict,
    phase: MeanFieldPhase,
    activation: str,
    summary: SignalSummary,
    caveat: str = "",
) -> tuple[Card, ...]:
    recommended = get_initializer(recommendation.init, **dict(recommendation.params)).label
    params = dict(recommendation.params)
    gain, slope = params.get("gain"), params.get("slope")
    if gain is not None and gain != 1.0:
        recommended += f", gain {gain:.4g}"
    if slope:  # He for leaky ReLU: with the activation's slope, not the default a = 0
        recommended += f" (a = {slope:g})"
    if phase.applicable:
        assert phase.chi1 is not None and phase.depth_scale is not None and phase.sw2 is not None
        depth = "∞" if math.isinf(phase.depth_scale) else number_text(phase.depth_scale)
        captions = [
            f"χ₁ = {number_text(phase.chi1)} (gradient variance factor per layer), the "
            f"gradient's depth scale ξ_∇ = {depth} layers, σ_w² = n Var(W) = "
            f"{number_text(phase.sw2)}."
        ]
        note = _critical_note(phase, summary)
        if note:
            captions.append(note)
        if math.isfinite(verdict.depth_chi1):
            assert phase.q_star is not None
            captions.append(
                f"The phase is the one at the fixed point q* = {number_text(phase.q_star)}. This "
                "network stays far from q* over its depth; there χ₁ averages "
                f"{number_text(verdict.depth_chi1)} a layer."
            )
        phase_card = Card("Mean-field phase", str(phase.phase), captions=tuple(captions))
    else:
        phase_card = Card("Mean-field phase", "not applicable", captions=(phase.reason,))
    # Without a scheme that keeps both scales the card names the closest one, not a match.
    advice = (
        ()
        if recommendation.matches
        else ("No standard scheme keeps both the signal's and the gradient's scale.",)
    )
    return (
        Card(
            f"{'Recommended' if recommendation.matches else 'Closest scheme'} for {activation}",
            recommended,
            captions=(*advice, recommendation.reason),
        ),
        Card(
            "Match verdict", verdict.label, captions=tuple(filter(None, (verdict.reason, caveat)))
        ),
        phase_card,
    )


def _spread_known(spread: FiniteWidthSpread) -> bool:
    """Whether every number of the first-order finite-width scatter is finite."""
    values = [*spread.noise, *spread.gain, spread.sensitivity, spread.log_sd[-1]]
    return spread.applicable and all(math.isfinite(value) for value in values)


#: The simulated std's factor per layer "grows the same way" as the theory's within this
#: relative distance.
SAME_RATE_RTOL = 0.1


def _rates_before_overflow(
    summary: SignalSummary, prediction: TheoryPrediction
) -> tuple[float, float] | None:
    """The std's factor per layer, simulated and predicted, from layer 1 to the last finite
    layer, when they agree within ``SAME_RATE_RTOL``; else None (also with fewer than two
    finite layers)."""
    simulated = np.asarray(summary.forward_std, dtype=float)
    predicted = np.asarray(prediction.post_std, dtype=float)
    finite = np.isfinite(simulated) & (simulated > 0)
    last = int(np.argmin(finite)) if not finite.all() else finite.size
    if last < 2 or not np.all(np.isfinite(predicted[:last])) or np.any(predicted[:last] <= 0):
        return None
    steps = last - 1
    rates = (
        float((simulated[last - 1] / simulated[0]) ** (1 / steps)),
        float((predicted[last - 1] / predicted[0]) ** (1 / steps)),
    )
    return rates if math.isclose(*rates, rel_tol=SAME_RATE_RTOL) else None


def _same_rate(verb: str, rates: tuple[float, float] | None) -> str:
    """``verb`` ("grows", "shrinks"), with the simulated and the predicted std's factor per layer
    when they agree (``_rates_before_overflow``)."""
    if rates is None:
        return verb
    simulated, predicted = rates
    return (
        f"{verb} the same way (std × {rate_text(simulated)} per layer against the theory's × "
        f"{rate_text(predicted)})"
    )


def _finite_width_gap(
    summary: SignalSummary, prediction: TheoryPrediction, spread: FiniteWidthSpread
) -> str:
    """The simulation's last-layer RMS ratio against the theory's, measured in the first-order
    finite-width scatter (``lab.theory.finite_width_spread``); "" when a number is missing."""
    simulated, theory = summary.rms_ratio, float(prediction.rms_ratio[-1])
    known = math.isfinite(simulated) and simulated >= 0.0 and math.isfinite(theory)
    if not (known and theory > 0.0 and _spread_known(spread)):
        return ""
    layers, log_sd = len(spread.layers), float(spread.log_sd[-1])
    scatter = (
        f"Finite width scatters every input: to first order one input's RMS at layer {layers} "
        f"lies within a factor {number_text(math.exp(log_sd))} of the theory's (one standard "
        f"deviation), and 4 times wider layers narrow that factor to "
        f"{number_text(math.exp(log_sd / 2.0))}"
    )
    guide = _rough_guide() if log_sd > FIRST_ORDER_LOG_SD else ""
    if simulated == 0.0:
        return (
            f": nothing of its input reaches layer {layers}, where the theory keeps "
            f"{_times(theory)} the input's RMS. {scatter}{f' ({guide})' if guide else ''}. "
            "A narrow layer can also lose every unit's output at once, which infinitely many "
            "units never do"
        )
    gap = simulated / theory
    text = f": its RMS ratio at layer {layers} is {_times(gap)} the theory's. {scatter}"
    if guide:
        return f"{text}; {guide}"
    within = "within" if abs(math.log(gap)) <= 2.0 * log_sd else "beyond"
    return text + f"; this gap is {within} two of those standard deviations"


def _rough_guide() -> str:
    return (
        f"a factor above {number_text(math.exp(FIRST_ORDER_LOG_SD))} is only a rough guide, as "
        "second-order terms are no longer small"
    )


def _forward_caption(
    prediction: TheoryPrediction,
    network: NetworkConfig,
    spread: FiniteWidthSpread,
    summary: SignalSummary,
) -> str:
    if not prediction.applicable:
        return f"No theory line: {prediction.reason}."
    start = (
        "The theory line is the limit of infinitely wide layers. The simulation uses "
        f"{plural(network.width, 'unit')} and {plural(network.samples, 'sample')} in "
        f"{network.dtype}, so it scatters around the line"
    )
    if summary.overflow_message or not _spread_known(spread):
        return start + ", more with every layer; a wider network or another seed shows how much."
    if summary.underflow_layer is not None:
        return (
            f"{start} until its values round to 0 from layer {summary.underflow_layer} "
            f"(underflow: below {network.dtype}'s smallest normal number), where no scatter "
            "is left to compare; a wider network or another seed shows how much it scatters "
            "before."
        )
    layers = len(spread.layers)
    rough = f" ({_rough_guide()})" if spread.log_sd[-1] > FIRST_ORDER_LOG_SD else ""
    return (
        f"{start}. Each layer's sum over its units changes one input's mean square E[a²] by up "
        f"to {percent(float(np.max(spread.noise)))} by chance (one standard deviation), and "
        f"this network's length map multiplies a relative change of E[a²] by "
        f"{number_text(spread.sensitivity)} from the input to layer {layers}, so to first order "
        f"one input's RMS at layer {layers} lies within a factor "
        f"{number_text(float(spread.factor[-1]))} of the theory's{rough}. That factor's logarithm "
        "shrinks like 1/√width: the theory holds as the layers widen. Another seed shows the "
        "scatter."
    )


def _times(ratio: float) -> str:
    return "exactly 0 times" if ratio == 0.0 else f"{number_text(ratio)} times"


def _gradient_caption(summary: SignalSummary, layers: int) -> str:
    if summary.gradient_state == "overflow":
        return (
            "Backward signal: overflow. The backward pass ran through inf/NaN, so the simulated "
            "gradients below that point mean nothing and are left out (marked inf/NaN)."
        )
    health = summary.diagnosis
    if layers == 1 or health.gradient_ratio is None:
        return (
            f"Backward signal: {summary.gradient_state}. Read the plots from right to left: the "
            "backward pass starts at the output."
        )
    rate = (
        ""
        if health.gradient_rate is None or health.gradient_ratio == 0.0
        else f" (× {rate_text(health.gradient_rate)} per layer)"
    )
    return (
        f"Backward signal: {summary.gradient_state}; the gradient reaching layer 1 has "
        f"{_times(health.gradient_ratio)} the RMS it had at layer {layers}{rate}. "
        "Read the plots from right to left: the backward pass starts at the output."
    )
