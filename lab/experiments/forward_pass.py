"""The Forward pass page's experiment: ``run(config) -> Result``, everything the page shows.

Four views (``Config.view``), built on ``lab.presets``:

- ``five_layers``: 5,000 N(0, input_std²) inputs through 5 layers of 100 units (Glorot &
  Bengio 2010, section 4.2) with the scheme and activation chosen; every layer's histogram of
  z_l and a_l on the layer's own range with the band [-3, 3] marked, the std and variance per
  layer against mean-field theory (Poole et al. 2016), and the five classic schemes in the same
  network.
- ``network``: the same with the student's layers, width and samples.
- ``xavier_pair``: Xavier normal weights with the identity and with ReLU, so E[a²] is kept
  by the first and halves per layer in the second (He et al. 2015, section 2.2); 16 layers by
  default, where the ReLU network's RMS has fallen to 2^-8 = 1/256 of the linear one's.
- ``sigma_sweep``: X = [1, 2, 3, 4, 5] through 8 ReLU layers of 10 units with W ~ N(0, σ²),
  statistics pooled over weight draws (``lab.presets.sigma_sweep``), for the student's σ and a
  set of reference σ (``SIGMA_SETS``): by default factors per layer 5σ² of 1/20, 1/5, 5 and 20,
  as many decades of growth as of decay around He's σ = √(2/10).

Every value inside the page's declared ranges runs: a request over the lab's budget
(``lab.budget``) gets fewer samples (or, in the sweep, fewer pooled weight draws), never a
smaller network, and ``Result.budget_note`` says so in one line. In the network views the
student's network comes first (``fit_network_view``): the comparison networks beside it get
fewer samples, then are left out, before the student's network loses a sample.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from lab import presets
from lab.axes import OVERLAP_SHARE, decade_span
from lab.budget import Cost, Scaled, fit_count
from lab.controls.forward_pass import CONTROLS, NETWORK_VIEWS
from lab.controls.network import init_params as scheme_params
from lab.diagnosis import (
    Diagnosis,
    Verdict,
    diagnose_prediction,
    match_verdict,
    width_caveat,
)
from lab.health import band_text
from lab.initializers import SCHEME_PARAMETERS, get_initializer
from lab.network import (
    AUTO_RANGE_STDS,
    NetworkConfig,
    SimulationResult,
    check_init_params,
    network_cost,
)
from lab.text import plural

#: Most layers drawn as histograms; deeper networks show evenly spaced ones (first and last).
HISTOGRAM_PANELS = 9
#: A post-activation panel names its share of exact zeros from this share on.
ZERO_SHARE_SHOWN = 0.01
#: A sigma whose expected factor per layer is within this of 1 "holds" the signal (the sweep's
#: trends); He's sigma gives exactly 1.
TREND_TOLERANCE = 0.01
#: Names of the two networks of the ``xavier_pair`` view.
PAIR_NAMES = ("Xavier + linear", "Xavier + ReLU")
#: When the budget cannot run the comparison networks on as many samples as the student's
#: network, they run on fewer, but not on fewer than this (or than the student's network's):
#: a layer's std from 100 samples of at least 2 units has a relative standard error of about
#: 1/sqrt(2 * 200) = 5%. Below it a comparison network is left out instead.
COMPARISON_MIN_SAMPLES = 100
#: The order in which the comparison networks keep their place when not all of them fit: the
#: variance-scaling schemes first (the references the student compares with), then the
#: failures they fix. Zeros draws no random weights and is cheap, so it usually still fits.
COMPARISON_PRIORITY: tuple[str, ...] = (
    "he_normal",
    "xavier_normal",
    "small_random",
    "large_random",
    "zeros",
)

#: Config field -> the declared control that bounds it (lab.controls.forward_pass).
_CONTROL_OF = {
    "view": "view",
    "init": "init",
    "activation": "activation",
    "leaky_slope": "leaky_slope",
    "layers": "layers",
    "width": "width",
    "samples": "samples",
    "input_std": "input_std",
    "bias_std": "bias_std",
    "pair_layers": "pair_layers",
    "sigma": "sigma",
    "sigma_set": "sigma_set",
    "repeats": "reps",
    "seed": "seed",
}


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """One request of the page. Every field is checked against the page's declared control
    (``lab.controls.forward_pass.CONTROLS``; ``repeats`` is the control ``reps``), so the
    experiment accepts exactly what the URL and the widgets accept. ``init_params`` holds the
    scheme's own parameters (gain, slope, mode, std, bound, value) as sorted (name, value)
    pairs, a missing one at its control's default, so equal networks have equal configs.
    Fields a view does not use are ignored by it: layers, width and samples only apply to
    ``network``; init, activation, input_std and bias_std to the two network views."""

    view: str = CONTROLS["view"].default
    init: str = CONTROLS["init"].default
    init_params: tuple[tuple[str, float | str], ...] = ()
    activation: str = CONTROLS["activation"].default
    leaky_slope: float = CONTROLS["leaky_slope"].default
    layers: int = CONTROLS["layers"].default
    width: int = CONTROLS["width"].default
    samples: int = CONTROLS["samples"].default
    input_std: float = CONTROLS["input_std"].default
    bias_std: float = CONTROLS["bias_std"].default
    pair_layers: int = CONTROLS["pair_layers"].default
    sigma: float = CONTROLS["sigma"].default
    sigma_set: str = CONTROLS["sigma_set"].default
    repeats: int = int(CONTROLS["reps"].default)
    seed: int = CONTROLS["seed"].default

    def __post_init__(self) -> None:
        for name, control in _CONTROL_OF.items():
            value = getattr(self, name)
            if name == "repeats":
                if isinstance(value, bool) or not isinstance(value, int | np.integer):
                    raise ValueError(f"reps must be {CONTROLS['reps'].allowed()}; got {value!r}")
                value = int(CONTROLS[control].check(float(value)))
            else:
                value = CONTROLS[control].check(value)
            object.__setattr__(self, name, value)
        given = dict(check_init_params(self.init, self.init_params))
        params = {
            name: CONTROLS[name].check(given.get(name, CONTROLS[name].default))
            for name in SCHEME_PARAMETERS.get(self.init, ())
        }
        object.__setattr__(self, "init_params", tuple(sorted(params.items())))


def config_from_values(values: Mapping[str, object]) -> Config:
    """The Config of the control values ``draw_controls`` or ``parse_query`` returns (missing
    controls take their defaults; an undeclared name or an illegal value raises ValueError)."""
    full = CONTROLS.defaults() | CONTROLS.check_values(values)
    return Config(
        view=full["view"],
        init=full["init"],
        init_params=scheme_params(full),
        activation=full["activation"],
        leaky_slope=full["leaky_slope"],
        layers=full["layers"],
        width=full["width"],
        samples=full["samples"],
        input_std=full["input_std"],
        bias_std=full["bias_std"],
        pair_layers=full["pair_layers"],
        sigma=full["sigma"],
        sigma_set=full["sigma_set"],
        repeats=int(full["reps"]),
        seed=full["seed"],
    )


# --- what the page draws --------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """One layer's histogram on its own range: ``counts`` of the finite values in the bins
    between ``edges`` (the layer's mean ± 5 std, ``lab.network.AUTO_RANGE_STDS``, cut to its
    smallest and largest value), ``below``/``above`` the finite values outside them,
    ``nonfinite`` the inf/NaN values; ``band``: the interval to mark on it
    (``lab.presets.HISTOGRAM_BAND``); ``title`` names the layer and its std (and, after
    ReLU-like activations, its share of exact zeros on a second line, after a line break;
    those zeros are then left out of ``counts``, ``below`` and ``above``)."""

    layer: int
    title: str
    x_title: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    below: int
    above: int
    nonfinite: int
    band: tuple[float, float]


@dataclass(frozen=True)
class Histograms:
    """The histogram panels of one or more networks (``names``, in column order), each on its
    own range with ``band`` marked: ``panels[kind][i]`` are network i's panels of ``kind``
    ("pre": z_l, "post": a_l) for the layers ``shown`` of ``depth``. axis_rule: how each
    panel's range is chosen, in words."""

    names: tuple[str, ...]
    band: tuple[float, float]
    axis_rule: str
    depth: int
    shown: tuple[int, ...]
    panels: Mapping[str, tuple[tuple[Panel, ...], ...]]


@dataclass(frozen=True)
class Series:
    """One line: ``y`` at ``x`` (layer numbers; 0 is the input). y may hold 0, inf or NaN."""

    name: str
    x: tuple[int, ...]
    y: tuple[float, ...]


@dataclass(frozen=True)
class LineChart:
    """A log-axis line chart: the simulated ``series`` (legend titled ``legend``) and, dashed in
    the same colours, the mean-field ``theory`` of the same names (empty: no theory line).
    trends: per series, "decays", "holds" or "grows" when the series differ by how fast they
    shrink or grow (the sigma sweep), else empty. overlap_note: which simulated series the
    chart draws on top of each other (``overlapping_series``), or empty."""

    title: str
    y_title: str
    legend: str
    series: tuple[Series, ...]
    theory: tuple[Series, ...] = ()
    trends: tuple[str, ...] = ()
    overlap_note: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "overlap_note", _overlap_note(self))


def axis_decades(chart: LineChart) -> int:
    """The decades a log axis spans to show every positive finite value of ``chart``, lines and
    theory alike: from the power of ten at or below the smallest to the one at or above the
    largest (Vega's log scales round their domain out to powers of ten), at least one."""
    span = decade_span(y for s in (*chart.series, *chart.theory) for y in s.y)
    return 1 if span is None else max(1, span[1] - span[0])


def overlapping_series(chart: LineChart) -> list[tuple[tuple[str, ...], float]]:
    """Groups of simulated series that a reader cannot tell apart, in ``series`` order, each
    with the largest factor between two of its values at one layer (1.0: equal everywhere).

    Two series overlap when the log axis can show both at the same layers and their values
    there are within ``OVERLAP_SHARE`` of the axis's decades (``axis_decades``) of each other.
    """
    limit = OVERLAP_SHARE * axis_decades(chart)
    logs = []
    for series in chart.series:
        values = np.array(series.y, dtype=float)
        shown = np.isfinite(values) & (values > 0)
        logs.append((shown, np.log10(np.where(shown, values, 1.0))))
    groups: list[list[int]] = []
    for index, (shown, log) in enumerate(logs):
        for group in groups:
            first_shown, first_log = logs[group[0]]
            if (
                shown.shape == first_shown.shape
                and np.array_equal(shown, first_shown)
                and shown.any()
                and float(np.abs(log - first_log)[shown].max()) <= limit
            ):
                group.append(index)
                break
        else:
            groups.append([index])
    result = []
    for group in (g for g in groups if len(g) > 1):
        stacked = np.array([logs[i][1] for i in group])[:, logs[group[0]][0]]
        spread = float((stacked.max(axis=0) - stacked.min(axis=0)).max())
        result.append((tuple(chart.series[i].name for i in group), 10.0**spread))
    return result


def _overlap_note(chart: LineChart) -> str:
    notes = []
    for names, factor in overlapping_series(chart):
        quoted = [f"“{name}”" for name in names]  # (a name may hold a comma)
        both = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
        if factor == 1.0:
            notes.append(f"{both} have the same value at every layer: one line hides the other.")
        else:
            notes.append(
                f"{both} lie within a factor of {factor:.3g} of each other at every layer, too "
                f"close to tell apart on an axis of {plural(axis_decades(chart), 'decade')}: one "
                "line hides the other (the tooltips give each value)."
            )
    return " ".join(notes)


@dataclass(frozen=True)
class StateLine:
    """A network's state in one line (``lab.health``; the gradient is mean-field theory's,
    since this page runs the forward pass only): ``healthy`` picks the colour."""

    title: str
    healthy: bool
    message: str


@dataclass(frozen=True, eq=False)
class NetworkView:
    """The ``five_layers`` and ``network`` views.

    label: "<scheme> + <activation>"; layers, width: the network; samples: the input rows
    used (fewer than asked when ``Result.budget_note`` says so). state: the network's state;
    fit: whether the scheme suits the activation (``lab.diagnosis.match_verdict``).
    std_chart: std of a_l per layer; variance_chart: Var(z_l) and Var(a_l), both with the
    theory when it applies, else ``theory_reason`` says why not. comparison: the std of a_l
    under the five classic schemes in the same network (those the budget runs, see
    ``fit_network_view``), and ``comparison_rows`` their final
    std, RMS ratio, state and verdict; ``state_band`` names the ratios that count as vanishing
    and exploding. comparison_samples: the input rows the comparison networks used (the first
    ``comparison_samples`` of this network's, fewer than ``samples`` when the budget says so);
    dropped: the labels of the classic schemes left out of the comparison to stay within the
    budget (empty when all ran). layer_rows: every layer's numbers (``SimulationResult.rows``
    without the gradient columns, which this forward-only pass does not compute).
    """

    label: str
    layers: int
    width: int
    samples: int
    state: StateLine
    fit: str
    histograms: Histograms
    std_chart: LineChart
    variance_chart: LineChart
    theory_reason: str
    comparison: LineChart
    comparison_rows: tuple[dict[str, str], ...]
    state_band: str
    comparison_samples: int
    dropped: tuple[str, ...]
    layer_rows: tuple[dict[str, int | float | None], ...]


@dataclass(frozen=True, eq=False)
class PairView:
    """The ``xavier_pair`` view: the two networks' states (PAIR_NAMES order), the RMS of a_l per
    layer with the theory, and their histograms side by side; sizes as in ``NetworkView``."""

    layers: int
    width: int
    samples: int
    states: tuple[StateLine, StateLine]
    rms_chart: LineChart
    histograms: Histograms


@dataclass(frozen=True, eq=False)
class SweepView:
    """The ``sigma_sweep`` view: ``input_row`` through ``layers`` ReLU layers of ``width`` units
    for each of ``sigmas`` (ascending: the reference set and the student's ``sigma``, named
    "σ = ... (yours)" in the charts); ``repeats`` weight draws pooled (``values_per_layer``
    values per point); he_sigma: He's std sqrt(2 / width), where the expected factor per layer
    is 1. pre_chart: Var(z_l) with the theory; post_chart: Var(a_l) (no theory, see the page);
    rows: per sigma the factor per layer (theory, measured) and the last layer's E[z²]."""

    input_row: tuple[float, ...]
    layers: int
    width: int
    sigmas: tuple[float, ...]
    sigma: float
    repeats: int
    values_per_layer: int
    he_sigma: float
    pre_chart: LineChart
    post_chart: LineChart
    rows: tuple[dict[str, str], ...]


@dataclass(frozen=True, eq=False)
class Result:
    """What the page shows for ``config``: exactly one of ``network`` (views five_layers and
    network), ``pair`` (xavier_pair) and ``sweep`` (sigma_sweep) is set. budget_note: one line
    when the budget lowered the samples or weight draws, else ''."""

    config: Config
    budget_note: str
    network: NetworkView | None = None
    pair: PairView | None = None
    sweep: SweepView | None = None


# --- the experiment -------------------------------------------------------------------------


def run(config: Config) -> Result:
    """Compute the view ``config.view`` within the lab's budget."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a forward_pass.Config; got {type(config).__name__}")
    if config.view in NETWORK_VIEWS:
        view, budget = _network_view(config)
        return Result(config, budget.note, network=view)
    if config.view == "xavier_pair":
        pair, scaled = _pair_view(config)
        return Result(config, scaled.note, pair=pair)
    sweep, scaled = _sweep_view(config)
    return Result(config, scaled.note, sweep=sweep)


def network_config(config: Config) -> NetworkConfig:
    """The network of a network view at the samples asked for (``five_layers``: 5,000 inputs
    through 5 layers of 100 units, ``lab.presets.FIVE_LAYERS_*``)."""
    if config.view == "network":
        sizes = {"layers": config.layers, "width": config.width, "samples": config.samples}
    else:
        sizes = {
            "layers": presets.FIVE_LAYERS_DEPTH,
            "width": presets.FIVE_LAYERS_WIDTH,
            "samples": presets.FIVE_LAYERS_SAMPLES,
        }
    return presets.network_config(
        config.init,
        config.activation,
        input_std=config.input_std,
        bias_std=config.bias_std,
        seed=config.seed,
        init_params=config.init_params,
        slope=config.leaky_slope,
        **sizes,
    )


def pair_configs(config: Config) -> tuple[NetworkConfig, NetworkConfig]:
    """The two networks of the ``xavier_pair`` view: Xavier normal weights, no bias, unit
    inputs, 5,000 samples and 100 units, with the identity and with ReLU."""
    return tuple(  # type: ignore[return-value]
        presets.network_config(
            "xavier_normal",
            activation,
            layers=config.pair_layers,
            width=presets.FIVE_LAYERS_WIDTH,
            samples=presets.FIVE_LAYERS_SAMPLES,
            seed=config.seed,
        )
        for activation in ("linear", "relu")
    )


def _subject(config: NetworkConfig) -> str:
    """ "100 layers × 512 units": what a budget note is about."""
    return f"{plural(config.depth, 'layer')} × {plural(max(config.layer_widths), 'unit')}"


def _total(*parts: tuple[Sequence[NetworkConfig], int]) -> Cost:
    """The cost of running every network of each (configs, samples) part one after the other:
    the multiply-adds add up, the peak is the largest network's."""
    costs = [network_cost(replace(c, samples=n)) for configs, n in parts for c in configs]
    return Cost(sum(c.multiply_adds for c in costs), max(c.peak_bytes for c in costs))


def fit_networks(configs: Sequence[NetworkConfig]) -> Scaled:
    """The samples all of ``configs`` (run one after the other, same sizes and samples) may use
    together within the lab's budget (``lab.network.network_cost``, ``lab.budget.fit_count``)."""
    return fit_count(
        configs[0].samples,
        lambda samples: _total((configs, samples)),
        what="samples",
        subject=_subject(configs[0]),
    )


@dataclass(frozen=True)
class NetworkBudget:
    """How a network view's networks share the lab's budget (``fit_network_view``).

    samples: the student's network's samples (``Scaled``: asked for and used);
    comparison_samples: the samples of every comparison network (<= samples.used, the first
    rows of the same inputs); compared, dropped: the comparison schemes (lab.presets
    names) that run and those left out, each in ``lab.presets.COMPARISON_INITS`` order; labels:
    every comparison scheme's label, by name. note: one line for the page ('' when nothing
    was lowered).
    """

    samples: Scaled
    comparison_samples: int
    compared: tuple[str, ...]
    dropped: tuple[str, ...]
    labels: Mapping[str, str]

    @property
    def note(self) -> str:
        used = self.samples.used
        if not self.dropped and self.comparison_samples == used:
            return self.samples.note
        total = len(self.compared) + len(self.dropped)
        if not self.compared:
            text = f"the {total} classic inits do not run beside your network"
        else:
            names = [self.labels[init] for init in self.compared]
            text = (
                f"the {total} classic inits run"
                if not self.dropped
                else f"only {_names(names)} run{'s' if len(names) == 1 else ''}"
            )
            text += " beside your network"
            if self.comparison_samples < used:
                text += (
                    f", on {plural(self.comparison_samples, 'sample')} (the first of its "
                    f"{plural(used, 'input')})"
                )
            if self.dropped:
                text += f"; left out: {_names([self.labels[init] for init in self.dropped])}"
        if self.samples.scaled:
            text += ", so that yours keeps those samples."
            return f"{self.samples.note} {text[0].upper()}{text[1:]}"
        text += f", so that yours keeps {plural(used, 'sample')} within the lab's budget."
        return f"{self.samples.subject}: {text}"


def fit_network_view(
    requested: NetworkConfig, inits: Sequence[str] = presets.COMPARISON_INITS
) -> NetworkBudget:
    """The samples of the student's network and of the comparison networks (``inits`` in the
    same network, ``lab.presets.comparison_configs``) within the lab's budget.

    1. Everything fits at the samples asked for: nothing changes.
    2. Else the student's network gets the most samples it can have on its own (at most those
       asked for): the comparison networks never take samples from it.
    3. The comparison networks join it in ``COMPARISON_PRIORITY`` order, each if it still fits
       at ``min(COMPARISON_MIN_SAMPLES, samples)``; those that do not are left out.
    4. The comparison networks kept run on the most samples (at most the student's) that fit.
    """
    comparisons = dict(zip(inits, presets.comparison_configs(requested, inits), strict=True))
    labels = {init: config.initializer().label for init, config in comparisons.items()}
    every = tuple(comparisons.values())
    wanted = requested.samples
    subject = _subject(requested)
    if _total(((requested, *every), wanted)).fits():
        return NetworkBudget(
            Scaled(wanted, wanted, "samples", subject), wanted, tuple(inits), (), labels
        )
    samples = fit_networks((requested,))
    used = samples.used
    floor = min(COMPARISON_MIN_SAMPLES, used)
    kept: list[str] = []
    ranked = [i for i in COMPARISON_PRIORITY if i in comparisons]
    ranked += [i for i in inits if i not in ranked]
    for init in ranked:
        trial = [comparisons[i] for i in (*kept, init)]
        if _total(((requested,), used), (trial, floor)).fits():
            kept.append(init)
    compared = tuple(i for i in inits if i in kept)
    chosen = [comparisons[i] for i in compared]
    comparison_samples = used
    if chosen:
        comparison_samples = fit_count(
            used,
            lambda n: _total(((requested,), used), (chosen, n)),
            what="samples",
            subject=subject,
            minimum=floor,
        ).used
    dropped = tuple(i for i in inits if i not in kept)
    return NetworkBudget(samples, comparison_samples, compared, dropped, labels)


def _names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _width_caveat(run: presets.LayerHistograms, verdict: Verdict) -> str:
    """``lab.diagnosis.width_caveat`` for the simulated network against its own theory."""
    network = run.config
    theory = (
        None
        if run.theory is None
        else diagnose_prediction(run.theory, network.activation_function(), network.slope)
    )
    return width_caveat(verdict, run.diagnosis, theory, network.width)


def _network_view(config: Config) -> tuple[NetworkView, NetworkBudget]:
    requested = network_config(config)
    budget = fit_network_view(requested)
    network = replace(requested, samples=budget.samples.used)
    run = presets.layer_histograms(network)
    outcomes = (
        presets.init_comparison(
            replace(network, samples=budget.comparison_samples), budget.compared
        )
        if budget.compared
        else ()
    )
    verdict = match_verdict(
        network.init,
        network.activation,
        network.init_params,
        network.slope,
        network.width,
        input_std=network.input_std,
        bias_std=network.bias_std,
        depth=network.depth,
    )
    layers = tuple(int(layer) for layer in run.layers)
    theory = run.theory
    std_chart = LineChart(
        "Std of the activations per layer",
        "std of a_l (layer 0: input)",
        "network",
        (_series("this network", run.result.input.std[0], run.result.post.std),),
        () if theory is None else (_series("this network", theory.input_std, theory.post_std),),
    )
    names = ("Var(z_l), pre-activation", "Var(a_l), activation")
    measured = (run.result.pre.variance, run.result.post.variance)
    variance_chart = LineChart(
        "Variance before and after the activation",
        "variance",
        "quantity",
        tuple(
            Series(name, layers, _floats(values))
            for name, values in zip(names, measured, strict=True)
        ),
        ()
        if theory is None
        else tuple(
            Series(name, layers, _floats(values))
            for name, values in zip(names, (theory.pre_var, theory.post_var), strict=True)
        ),
    )
    comparison = LineChart(
        "Classic inits in this network",
        "std of a_l (layer 0: input)",
        "scheme",
        tuple(_series(o.label, o.input_std, o.post_std) for o in outcomes),
    )
    rows = tuple(
        {
            "scheme": o.label,
            "final std": fmt(o.final_std),
            "ratio to input (RMS)": fmt(o.ratio),
            "state": o.state,
            "verdict": o.overflow_message or o.message,
        }
        for o in outcomes
    )
    view = NetworkView(
        label=run.label,
        layers=network.depth,
        width=network.width,
        samples=network.samples,
        state=_state_line("Verdict", run.diagnosis),
        fit=" ".join(
            filter(None, (f"Does {run.label} fit? {verdict.reason}", _width_caveat(run, verdict)))
        ),
        histograms=_histograms((run.label,), (run,)),
        std_chart=std_chart,
        variance_chart=variance_chart,
        theory_reason="" if theory is not None else run.theory_reason,
        comparison=comparison,
        comparison_rows=rows,
        state_band=f"the lab's states: {band_text()}",
        comparison_samples=budget.comparison_samples,
        dropped=tuple(budget.labels[init] for init in budget.dropped),
        layer_rows=_layer_rows(run.result),
    )
    return view, budget


def _pair_view(config: Config) -> tuple[PairView, Scaled]:
    requested = pair_configs(config)
    scaled = fit_networks(requested)
    runs = tuple(presets.layer_histograms(replace(c, samples=scaled.used)) for c in requested)
    series, theory = [], []
    for name, run in zip(PAIR_NAMES, runs, strict=True):
        series.append(_series(name, run.result.input.rms[0], run.result.post.rms))
        if run.theory is not None:
            theory.append(_series(name, run.theory.input_std, run.theory.post_rms))
    first = runs[0].config
    view = PairView(
        layers=first.depth,
        width=first.width,
        samples=first.samples,
        states=tuple(  # type: ignore[arg-type]
            _state_line(name, run.diagnosis) for name, run in zip(PAIR_NAMES, runs, strict=True)
        ),
        rms_chart=LineChart(
            "RMS of the activations per layer",
            "RMS of a_l (layer 0: input)",
            "network",
            tuple(series),
            tuple(theory),
        ),
        histograms=_histograms(PAIR_NAMES, runs),
    )
    return view, scaled


def sweep_sigmas(config: Config) -> tuple[float, ...]:
    """The sweep's sigmas, ascending: the reference set ``config.sigma_set`` and the student's
    ``config.sigma`` (once, when it equals a reference sigma)."""
    reference = presets.SIGMA_SETS[config.sigma_set]
    same = any(math.isclose(config.sigma, s, rel_tol=1e-9) for s in reference)
    return tuple(sorted(reference if same else (*reference, config.sigma)))


def _sweep_view(config: Config) -> tuple[SweepView, Scaled]:
    layers, width = presets.SIGMA_SWEEP_DEPTH, presets.SIGMA_SWEEP_WIDTH
    sigmas = sweep_sigmas(config)
    scaled = fit_count(
        config.repeats,
        lambda repeats: presets.sweep_cost(repeats, sigmas=sigmas, layers=layers, width=width),
        what="weight draws",
        subject=f"σ sweep, {plural(layers, 'layer')} × {plural(width, 'unit')}",
    )
    sweep = presets.sigma_sweep(
        sigmas, repeats=scaled.used, seed=config.seed, layers=layers, width=width
    )
    x = tuple(int(layer) for layer in sweep.layers)
    labels = [
        f"{sigma:.3g}" + (" (yours)" if math.isclose(sigma, config.sigma) else "")
        for sigma in sweep.sigmas
    ]
    factors = [float(f) for f in sweep.theory_factor]
    names = [
        f"σ = {label}: × {fmt(factor)} per layer"
        for label, factor in zip(labels, factors, strict=True)
    ]
    trends = tuple(
        "holds" if abs(f - 1) <= TREND_TOLERANCE else "decays" if f < 1 else "grows"
        for f in factors
    )
    pre_chart = LineChart(
        "Var(z_l): pre-activation variance",
        "variance",
        "weight std",
        tuple(Series(n, x, _floats(v)) for n, v in zip(names, sweep.pre_var, strict=True)),
        tuple(Series(n, x, _floats(v)) for n, v in zip(names, sweep.theory_pre_var, strict=True)),
        trends,
    )
    post_chart = LineChart(
        "Var(a_l): variance after ReLU",
        "variance",
        "weight std",
        tuple(Series(n, x, _floats(v)) for n, v in zip(names, sweep.post_var, strict=True)),
        trends=trends,
    )
    last = x[-1]
    rows = tuple(
        {
            "σ": labels[i],
            "factor per layer, theory": fmt(float(sweep.theory_factor[i])),
            "factor per layer, measured": fmt(float(sweep.measured_factor[i])),
            f"Var(z) at layer {last}, theory": fmt(float(sweep.theory_pre_var[i, -1])),
            f"E[z²] at layer {last}, measured": fmt(float(sweep.pre_second_moment[i, -1])),
            "± standard error": fmt(float(sweep.pre_second_moment_se[i, -1])),
        }
        for i in range(len(sweep.sigmas))
    )
    view = SweepView(
        input_row=sweep.input_row,
        layers=layers,
        width=width,
        sigmas=tuple(float(s) for s in sweep.sigmas),
        sigma=config.sigma,
        repeats=sweep.repeats,
        values_per_layer=sweep.repeats * width,
        he_sigma=get_initializer("he_normal").std(width, width),
        pre_chart=pre_chart,
        post_chart=post_chart,
        rows=rows,
    )
    return view, scaled


# --- helpers --------------------------------------------------------------------------------


def fmt(value: float) -> str:
    """3 significant digits; inf and NaN spelled out."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.3g}"


def _floats(values: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _series(name: str, first: float, values: Sequence[float] | np.ndarray) -> Series:
    """A per-layer series with the input's value at layer 0."""
    return Series(name, tuple(range(len(values) + 1)), (float(first), *_floats(values)))


def _layer_rows(result: SimulationResult) -> tuple[dict[str, int | float | None], ...]:
    """``SimulationResult.rows`` without the gradient columns (this pass is forward only), with
    the saturated share of ``lab.health`` (slope below a tenth of its maximum) in place of the
    fixed |z| > 2, and only for the activations that saturate."""
    flat = result.pre.frac_flat
    rows = []
    for index, row in enumerate(result.rows()):
        kept = {k: v for k, v in row.items() if not k.startswith("grad_")}
        del kept["pre_frac_saturated"]
        if flat is not None:
            kept["saturated"] = float(flat[index]) if math.isfinite(flat[index]) else None
        rows.append(kept)
    return tuple(rows)


def _state_line(title: str, diagnosis: Diagnosis) -> StateLine:
    return StateLine(title, diagnosis.state == "healthy", diagnosis.message)


def _histograms(names: tuple[str, ...], runs: Sequence[presets.LayerHistograms]) -> Histograms:
    depth = runs[0].config.depth
    shown = presets.panel_layers(depth, HISTOGRAM_PANELS)
    panels: dict[str, tuple[tuple[Panel, ...], ...]] = {}
    for kind, symbol in (("pre", "z"), ("post", "a")):
        tensors = [run.pre if kind == "pre" else run.post for run in runs]
        panels[kind] = tuple(
            tuple(_panel(tensor, layer, symbol) for layer in shown) for tensor in tensors
        )
    axis_rule = (
        f"each panel's x axis is its layer's own range, the mean ± {AUTO_RANGE_STDS:g} std "
        "(never beyond the smallest and largest value)"
    )
    return Histograms(names, presets.HISTOGRAM_BAND, axis_rule, depth, shown, panels)


def _panel(tensor: presets.Histograms, layer: int, symbol: str) -> Panel:
    i = layer - 1
    std = float(tensor.std[i])
    title = f"Layer {layer} · " + (f"std {fmt(std)}" if math.isfinite(std) else "no finite value")
    edges = _floats(tensor.edges[i])
    counts = [int(c) for c in tensor.counts[i]]
    below, above = int(tensor.below[i]), int(tensor.above[i])
    nonfinite = int(tensor.nonfinite[i])
    zeros = float(tensor.frac_zero[i])
    if symbol == "a" and zeros >= ZERO_SHARE_SHOWN:
        # A second line (a panel is 215 px wide). The zeros leave the bars: after ReLU half of
        # the values sit in the first bin, and a bar that tall flattens every other one.
        title += f"\n{zeros:.0%} zeros, not drawn"
        zero_count = round(zeros * (int(tensor.total[i]) - nonfinite))
        counts, below, above = _without_zeros(edges, counts, below, above, zero_count)
    return Panel(
        layer=layer,
        title=title,
        x_title=f"{symbol} of layer {layer}",
        edges=edges,
        counts=tuple(counts),
        below=below,
        above=above,
        nonfinite=nonfinite,
        band=presets.HISTOGRAM_BAND,
    )


def _without_zeros(
    edges: Sequence[float], counts: list[int], below: int, above: int, zeros: int
) -> tuple[list[int], int, int]:
    """``counts``, ``below`` and ``above`` less ``zeros`` values of exactly 0, taken from where
    numpy's histogram put them: the bin [e_k, e_{k+1}) holding 0 (the last bin is closed), or
    below or above the edges."""
    if 0.0 < edges[0]:
        return counts, below - zeros, above
    if 0.0 > edges[-1]:
        return counts, below, above - zeros
    index = min(bisect.bisect_right(edges, 0.0) - 1, len(counts) - 1)
    counts = list(counts)
    counts[index] -= zeros
    return counts, below, above
