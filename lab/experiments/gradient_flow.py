"""The Gradient flow page's experiment: uniform versus N(0, 1) weights in a deep tanh network.

``run(config)`` makes everything the page shows in one call (lab.gradient_flow explains the
setup and the formulas): one pair of networks with the same seed (gradient per layer, |z|
histograms, summary table), the three sweeps of the demo (layers, neurons, features; each point
averaged over a few seeds) and, when runs were collected, the statistics of ``runs`` pairs
(run k uses seed + k - 1).

Budget (lab.budget): a request costs the multiply-adds of every network it simulates (the pair,
``runs`` pairs and, per sweep seed, two networks per sweep value) and the peak bytes of the
largest one. When that is over the budget the request keeps the network the student asked for
and lowers the counts: first the runs (fitted with one sweep seed), then the sweep seeds
(fitted with the runs kept); ``budget_note`` says so in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from lab.activations import get_activation
from lab.budget import Cost, Scaled, fit_count
from lab.controls.gradient_flow import CONTROLS
from lab.gradient_flow import (
    DEFAULT_SAMPLES,
    DEFAULT_SWEEP_SEEDS,
    DEFAULT_SWEEP_VALUES,
    NORMAL_KIND,
    SWEEP_PARAMETERS,
    TANH_FLAT_THRESHOLD,
    UNIFORM_KINDS,
    Comparison,
    ManyRuns,
    SchemeFlow,
    Sweep,
    WeightScheme,
    compare,
    many_runs,
    network_config,
    sweep,
    weight_scheme,
)
from lab.health import SATURATION_SLOPE
from lab.network import estimate_bytes, network_cost
from lab.text import plural

#: Bytes a result keeps per run and per sweep point and seed (a few float64 values, a winner
#: string and numpy's per-array overhead shared out), generously rounded up.
RESULT_BYTES_PER_ENTRY = 256


@dataclass(frozen=True)
class Config:
    """The page's values that change the computation (``n``, runs per click, only labels a
    button). Each field is checked against its declaration in lab.controls.gradient_flow."""

    layers: int = int(CONTROLS["layers"].default)
    width: int = int(CONTROLS["width"].default)
    features: int = int(CONTROLS["features"].default)
    seed: int = int(CONTROLS["seed"].default)
    uniform: str = str(CONTROLS["uniform"].default)
    runs: int = int(CONTROLS["runs"].default)

    def __post_init__(self) -> None:
        given = {field.name: getattr(self, field.name) for field in fields(self)}
        for name, value in CONTROLS.check_values(given).items():
            object.__setattr__(self, name, value)

    @property
    def sizes(self) -> dict[str, int]:
        """The network's sizes as lab.gradient_flow names them (width is ``neurons``)."""
        return {
            "layers": self.layers,
            "neurons": self.width,
            "features": self.features,
            "samples": DEFAULT_SAMPLES,
        }


def config_from_values(values: Mapping[str, object]) -> Config:
    """The Config of a page's values (``draw_controls`` or ``parse_query``); missing names
    take their defaults and other names (``n``) are ignored."""
    return Config(
        **{field.name: values[field.name] for field in fields(Config) if field.name in values}
    )


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows, for one Config.

    pair: the uniform and the normal network with seed ``config.seed`` (gradient per layer,
    |z| histograms with shared edges, ratio, winner). schemes: every weight scheme the page
    names, by kind (rand, centered, matched, normal), with its exact mean and variance.
    zero_gradient: (scheme label, where) for each network of the pair with a gradient of
    exactly 0 somewhere, where = "every layer" or "layers 1, 2, ...". summary_rows: one row per
    network of the pair for the table. sweeps: the layers, neurons and features sweeps, in that
    order, around the config's sizes. stats: the many-runs statistics (None when no runs were
    asked for). samples: input rows of every network. saturation_slope: ``lab.health``'s
    SATURATION_SLOPE, the share of its maximum slope below which a unit counts as saturated;
    saturation_threshold: the |z| beyond which a tanh unit is saturated in that sense
    (``lab.health.flat_threshold``, 1.818); tanh_slope_at_threshold: tanh' there (0.1, tanh'(0)
    being 1). runs, sweep_seeds: the
    counts asked for and used (runs is None without runs). cost: the request's cost with the
    counts used. budget_note: one line when the budget lowered a count, else "".
    variance_note: what a variance of 1 does at this width, read off the pair's N(0, 1)
    network (``variance_note``).
    """

    config: Config
    pair: Comparison
    schemes: dict[str, WeightScheme]
    zero_gradient: tuple[tuple[str, str], ...]
    summary_rows: tuple[dict[str, object], ...]
    sweeps: tuple[Sweep, ...]
    stats: ManyRuns | None
    samples: int
    saturation_slope: float
    saturation_threshold: float
    tanh_slope_at_threshold: float
    runs: Scaled | None
    sweep_seeds: Scaled
    cost: Cost
    budget_note: str
    variance_note: str


#: From this share of saturated units on, "most" units saturate.
MOST = 0.5


def variance_note(flow: SchemeFlow, features: int, width: int) -> str:
    """What a weight variance of 1 does in ``flow`` (the pair's N(0, 1) network): its size
    against LeCun's 1/n for layer 1 (fan-in ``features``) and the layers after it (fan-in
    ``width``), the share of saturated tanh units (the table's, over every layer) and how the
    gradient changes from the last layer to the first."""
    share = flow.z.saturated_share
    first, last = float(flow.gradient[0]), float(flow.gradient[-1])
    layers = len(flow.gradient)
    if first == 0.0:
        trend = "no gradient at all reaches layer 1"
    elif last == 0.0 or layers == 1:
        trend = f"layer 1's gradient is {first:.3g}"
    else:
        ratio = first / last
        direction = "grows" if ratio > 1.0 else "shrinks"
        trend = (
            f"the gradient {direction} towards the input (layer 1's is {ratio:.3g} times "
            f"layer {layers}'s)"
        )
    sizes = [f"{_lecun_times(features)} in layer 1 (fan-in {features})"]
    if layers > 1:
        sizes.append(f"{_lecun_times(width)} in the layers after it (fan-in {width})")
    verdict = ", too large whichever shape you pick" if share >= MOST else ""
    return (
        f"Note also that a variance of 1 is {' and '.join(sizes)}{verdict}: {share:.0%} of "
        f"N(0, 1)'s tanh units saturate (table above), and {trend}."
    )


def _lecun_times(fan_in: int) -> str:
    """A variance of 1 against LeCun's 1/fan_in."""
    return "LeCun's 1/n itself" if fan_in == 1 else f"{fan_in} times LeCun's 1/n"


def request_cost(config: Config, runs: int, sweep_seeds: int) -> Cost:
    """What ``run`` costs with ``runs`` pairs and ``sweep_seeds`` seeds per sweep value.

    Multiply-adds: lab.network.network_cost of every network (a normal and a uniform one for
    the pair, per run and per sweep value and seed). Peak bytes: the pair's two kept networks
    (estimate_bytes with their pre-activations), the largest network simulated after them, and
    the result's entries.
    """
    normal = weight_scheme(NORMAL_KIND)
    both = (normal, weight_scheme(config.uniform))
    base = network_config(normal, config.seed, **config.sizes)
    kept = network_config(normal, config.seed, keep=True, **config.sizes)
    points = [
        network_config(normal, config.seed, **(config.sizes | {parameter: value}))
        for parameter in SWEEP_PARAMETERS
        for value in DEFAULT_SWEEP_VALUES[parameter]
    ]

    def pair_work(sizes: dict[str, int]) -> int:
        return sum(
            network_cost(network_config(scheme, config.seed, **sizes)).multiply_adds
            for scheme in both
        )

    sweep_work = sum(
        pair_work(config.sizes | {parameter: value})
        for parameter in SWEEP_PARAMETERS
        for value in DEFAULT_SWEEP_VALUES[parameter]
    )
    work = (1 + runs) * pair_work(config.sizes) + sweep_seeds * sweep_work
    largest = max(estimate_bytes(point) for point in (base, *points))
    entries = runs + sweep_seeds * len(points)
    peak = 2 * estimate_bytes(kept) + largest + RESULT_BYTES_PER_ENTRY * entries
    return Cost(multiply_adds=int(work), peak_bytes=int(peak))


def fit_counts(config: Config) -> tuple[Scaled | None, Scaled]:
    """(runs, sweep seeds) within the budget: the runs first, fitted with one sweep seed (the
    student asked for them), then as many of DEFAULT_SWEEP_SEEDS as fit beside them."""
    runs = None
    if config.runs:
        runs = fit_count(
            config.runs,
            lambda count: request_cost(config, count, 1),
            what="runs",
            subject=f"{plural(config.layers, 'layer')} × {plural(config.width, 'unit')}",
        )
    used_runs = runs.used if runs else 0
    seeds = fit_count(
        DEFAULT_SWEEP_SEEDS,
        lambda count: request_cost(config, used_runs, count),
        what="seeds",
        subject="Each sweep point",
    )
    return runs, seeds


def run(config: Config) -> Result:
    """Simulate the pair, the sweeps and the runs of ``config`` within the lab's budget."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a gradient-flow Config; got {type(config).__name__}")
    runs, seeds = fit_counts(config)
    sizes = config.sizes
    common = {"seed": config.seed, "uniform": config.uniform}
    pair = compare(**sizes, **common)
    sweeps = tuple(
        sweep(parameter, **sizes, **common, n_seeds=seeds.used) for parameter in SWEEP_PARAMETERS
    )
    stats = many_runs(runs.used, **sizes, **common) if runs else None
    flows = (pair.uniform, pair.normal)
    return Result(
        config=config,
        pair=pair,
        schemes={kind: weight_scheme(kind) for kind in (*UNIFORM_KINDS, NORMAL_KIND)},
        zero_gradient=tuple(
            (flow.scheme.label, _layers_text(flow.zero_gradient_layers, config.layers))
            for flow in flows
            if flow.zero_gradient_layers
        ),
        summary_rows=tuple(
            {
                "weights": flow.scheme.label,
                "weight mean": flow.scheme.mean,
                "weight variance": flow.scheme.variance,
                "avg |z|": flow.z.mean_abs,
                "std of z": flow.z.std,
                "saturated share": flow.z.saturated_share,
                "layers with gradient exactly 0": _layers_text(
                    flow.zero_gradient_layers, config.layers, none="none"
                ),
            }
            for flow in flows
        ),
        sweeps=sweeps,
        stats=stats,
        samples=sizes["samples"],
        saturation_slope=SATURATION_SLOPE,
        saturation_threshold=TANH_FLAT_THRESHOLD,
        tanh_slope_at_threshold=float(get_activation("tanh").derivative(TANH_FLAT_THRESHOLD)),
        runs=runs,
        sweep_seeds=seeds,
        cost=request_cost(config, runs.used if runs else 0, seeds.used),
        budget_note=" ".join(count.note for count in (runs, seeds) if count and count.scaled),
        variance_note=variance_note(pair.normal, config.features, config.width),
    )


def _layers_text(layers: tuple[int, ...], depth: int, none: str = "no layer") -> str:
    """ "every layer", "layers 1, 2, 5", "layer 3" or ``none``."""
    if not layers:
        return none
    if len(layers) == depth:
        return "every layer"
    return ("layer " if len(layers) == 1 else "layers ") + ", ".join(map(str, layers))
