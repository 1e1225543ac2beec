"""The Phase diagram page's experiments: the mean-field plane and the trainability grid.

``run(config) -> Result``: the (sigma_w^2, sigma_b^2) plane of one activation at
initialization (Poole et al. 2016; Schoenholz et al. 2017, via ``lab.phase``): chi1 and the
correlation depth scale xi on a grid of cells, the edge of chaos (chi1 = 1), the ordered and
chaotic regions, and the points of Xavier, LeCun, He, PyTorch's tanh gain and the student's own
point, each with its link to Signal propagation (a declared link:
``SIMULATION_PAGES["signal_propagation"].query``). sigma_w^2 = n Var(W) of a square layer
(``lab.theory.effective_sw2``), sigma_b^2 = bias_std^2.

``run_trainability(config, progress) -> TrainabilityPanel``: the training accuracy of tanh
networks over a grid of (sigma_w^2, depth) after a fixed number of steps, with the
6 xi line over it (``lab.phase.trainability``, within its budget), and where the trainable
region ends on each side of the edge of chaos in units of xi (``TrainabilityPanel.reach``).

The plane does not depend on the point or the bias, so it is computed once per activation and
kept (``PLANE_CACHE`` planes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lab import phase
from lab.activations import get_activation
from lab.controls.phase_diagram import CONTROLS, HEATMAPS, MAX_PHASE_GAIN
from lab.controls.registry import SIMULATION_PAGES
from lab.initializers import get_initializer
from lab.text import plural
from lab.theory import effective_sw2

#: The plotted plane: cells of SW2_STEP x SB2_STEP covering (0, SW2_MAX] x [0, SB2_MAX].
SW2_MAX = 5.0
SW2_STEP = 0.1
SB2_MAX = 1.0
SB2_STEP = 0.05
#: sigma_b^2 values at which the edge-of-chaos curve is solved.
EDGE_POINTS = 41
#: The xi heatmap's colour stops at this many layers (xi is infinite on the edge).
XI_SHOWN_MAX = 100.0
#: Planes kept in memory (one per activation).
PLANE_CACHE = len(phase.PHASE_ACTIVATIONS)
#: The square layer width at which a scheme's sigma_w^2 = n Var(W) is read (any width gives
#: the same value for the schemes drawn).
SQUARE_WIDTH = 256
#: The schemes drawn on the plane: key -> (scheme, params). PyTorch's tanh gain is
#: ``calculate_gain("tanh")`` = 5/3 on Xavier normal.
SCHEME_POINTS: dict[str, tuple[str, tuple[tuple[str, float], ...]]] = {
    "xavier": ("xavier_normal", ()),
    "lecun": ("lecun_normal", ()),
    "he": ("he_normal", ()),
    "torch_tanh": ("xavier_normal", (("gain", 5.0 / 3.0),)),
}
#: The key of the student's own point (Xavier normal with the page's gain).
YOUR_POINT = "yours"
_SCHEME_NAMES = {
    "xavier": "Xavier",
    "lecun": "LeCun",
    "he": "He",
    "torch_tanh": "PyTorch tanh gain 5/3",
}
#: The names the chart writes next to the points (a phone has little room).
_SHORT_NAMES = {**_SCHEME_NAMES, "torch_tanh": "gain 5/3", YOUR_POINT: "yours"}
SIGNAL_PAGE = "signal_propagation"

_CONTROLLED = ("activation", "gain", "bias_std")


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The plane of ``activation`` with the points at sigma_b^2 = bias_std^2 and the student's
    point at sigma_w^2 = gain^2; every field checked by the page's declared control."""

    activation: str = CONTROLS["activation"].default
    gain: float = CONTROLS["gain"].default
    bias_std: float = CONTROLS["bias_std"].default

    def __post_init__(self) -> None:
        for name in _CONTROLLED:
            object.__setattr__(self, name, CONTROLS[name].check(getattr(self, name)))


@dataclass(frozen=True)
class TrainabilityRequest:
    """The trainability grid's steps and seed (the rest: ``lab.phase``'s defaults)."""

    steps: int = CONTROLS["steps"].default
    seed: int = CONTROLS["seed"].default

    def __post_init__(self) -> None:
        for name in ("steps", "seed"):
            object.__setattr__(self, name, CONTROLS[name].check(getattr(self, name)))


def config_from_values(values: Mapping[str, object]) -> Config:
    """The plane's Config from the page's control values (missing ones take their defaults)."""
    full = CONTROLS.defaults() | CONTROLS.check_values(values)
    return Config(**{name: full[name] for name in _CONTROLLED})  # type: ignore[arg-type]


def trainability_from_values(values: Mapping[str, object]) -> TrainabilityRequest:
    """The trainability grid's request from the page's control values."""
    full = CONTROLS.defaults() | CONTROLS.check_values(values)
    return TrainabilityRequest(steps=full["steps"], seed=full["seed"])  # type: ignore[arg-type]


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhasePoint:
    """One point of the plane: ``key`` (a SCHEME_POINTS key or YOUR_POINT), ``label``, the
    scheme and params it stands for, sigma_w^2 and sigma_b^2, chi1, xi (inf on the edge),
    the phase, trainable_depth = 6 xi (``lab.phase.TRAINABLE_DEPTH_SCALES``), both as text
    (``depth_text``: "∞" on the edge, "undefined" where q* is infinite), a short name for the
    chart, and its link to Signal propagation: the query and the relative URL."""

    key: str
    label: str
    scheme: str
    params: tuple[tuple[str, float], ...]
    sw2: float
    sb2: float
    chi1: float
    xi: float
    phase: str
    trainable_depth: float
    xi_text: str
    depth_text: str
    short: str
    link: dict[str, str]
    href: str


@dataclass(frozen=True)
class Marker:
    """A drawn point: the points at one place merged (Xavier and LeCun coincide on square
    layers); ``href`` opens the first of them in Signal propagation."""

    name: str
    short: str
    sw2: float
    sb2: float
    href: str


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane of one activation. ``sw2``, ``sb2``: the cell centres; arrays of shape
    (len(sb2), len(sw2)): chi1, xi (the correlation depth scale, inf on the edge) and the
    phase names. ``edge_sb2``, ``edge_sw2``: the boundary between order and chaos where it lies
    in the plotted range (empty when nowhere), ``lab.phase.phase_boundary``: the edge of chaos
    (chi1 = 1), or where ``edge_jump`` is True a jump of chi1 past 1; ``edge_outside``: '' or
    the sentence saying where the edge lies instead; ``jump_note``: '' or the sentence saying
    where and why chi1 jumps."""

    activation: str
    sw2: np.ndarray
    sb2: np.ndarray
    chi1: np.ndarray
    xi: np.ndarray
    phase: np.ndarray
    edge_sb2: np.ndarray
    edge_sw2: np.ndarray
    edge_jump: np.ndarray
    edge_outside: str
    jump_note: str


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the plane's part of the page shows.

    plane: the grid (``Plane``); sw2_step, sb2_step: the cells' sizes; sw2_max, sb2_max: the
    plotted range; xi_shown_max: where the xi colour scale stops. points: the schemes' points
    and the student's (last), all at sigma_b^2 = bias_std^2. markers: the points merged where
    they coincide (Xavier and LeCun on square layers); region_labels: (text, sw2, sb2,
    alignment) where the chart names the ordered and the chaotic region. heading,
    point_caption: text; heatmaps: the heatmap names by URL value.
    """

    config: Config
    plane: Plane
    sw2_step: float
    sb2_step: float
    sw2_max: float
    sb2_max: float
    xi_shown_max: float
    trainable_depth_scales: float
    points: tuple[PhasePoint, ...]
    markers: tuple[Marker, ...]
    region_labels: tuple[tuple[str, float, float, str], ...]
    heading: str
    point_caption: str
    heatmaps: dict[str, str]


@dataclass(frozen=True, eq=False)
class TrainabilityPanel:
    """The trainability grid: accuracy (len(depths), len(sw2)) after the steps that ran, the
    cells' edges (``sw2_edges``, ``depth_edges``), the 6 xi line (``line_sw2``,
    ``line_depth``), the edge of chaos at the grid's sigma_b^2 (``edge_sw2``), the chance
    accuracy, the budget note ('' or one line) and the caption saying what was trained;
    setting: the grid's own activation and sigma_b^2 in words (fixed: the plane's controls do
    not change them); trained_any: whether any network of the grid reached
    ``trained_accuracy`` (too few steps train none).

    reach: phase ("ordered", "chaotic") -> (lowest, highest) over the columns of that phase
    whose 6 xi lies within the grid's depths of ``lab.phase.Trainability.reach``: the deepest
    depth that trained (accuracy >= ``trained_accuracy``) below the column's first failure,
    in units of xi. A phase without such a column is absent. Closer to the edge 6 xi is above
    the grid and the deepest networks are limited by the steps, not by xi."""

    request: TrainabilityRequest
    sw2: np.ndarray
    depths: np.ndarray
    sw2_edges: np.ndarray
    depth_edges: np.ndarray
    accuracy: np.ndarray
    line_sw2: np.ndarray
    line_depth: np.ndarray
    edge_sw2: float
    sb2: float
    chance_accuracy: float
    trainable_depth_scales: float
    trained_accuracy: float
    reach: dict[str, tuple[float, float]]
    budget_note: str
    caption: str
    setting: str
    trained_any: bool


# --- the plane ------------------------------------------------------------------------------


def grid_centres(top: float, step: float, *, start: float = 0.0) -> np.ndarray:
    """Centres of the cells of width ``step`` from ``start`` to ``top``."""
    count = round((top - start) / step)
    return np.round(start + step * (np.arange(count) + 0.5), 10)


#: Bisection steps that place the end of a jumping stretch of the boundary between two of its
#: EDGE_POINTS (to SB2_MAX / (EDGE_POINTS - 1) / 2^20 in sigma_b^2).
JUMP_END_STEPS = 20


def _boundary_points(activation: str) -> tuple[np.ndarray, list[phase.Boundary]]:
    """The boundary at EDGE_POINTS values of sigma_b^2 from 0 to SB2_MAX, plus the sigma_b^2
    where a stretch that jumps ends (bisected between its last point and the next), so that
    the dashed part of the line ends where the jump does."""
    values = list(np.linspace(0.0, SB2_MAX, EDGE_POINTS))
    boundaries = phase.phase_boundaries(activation, values)
    for index in range(len(values) - 2, -1, -1):
        if boundaries[index].jump and not boundaries[index + 1].jump:
            low, high = values[index], values[index + 1]
            last = boundaries[index]
            for _ in range(JUMP_END_STEPS):
                middle = 0.5 * (low + high)
                found = phase.phase_boundary(activation, middle)
                if found.jump:
                    low, last = middle, found
                else:
                    high = middle
            values.insert(index + 1, low)
            boundaries.insert(index + 1, last)
    return np.array(values), boundaries


@lru_cache(maxsize=PLANE_CACHE)
def plane(activation: str) -> Plane:
    """The plane of ``activation`` (computed once per process and activation)."""
    name = CONTROLS["activation"].check(activation)
    sw2 = grid_centres(SW2_MAX, SW2_STEP)
    sb2 = grid_centres(SB2_MAX, SB2_STEP)
    diagram = phase.phase_diagram(str(name), sw2, sb2)
    edge_sb2, boundaries = _boundary_points(str(name))
    edge_sw2 = np.array([b.sw2 for b in boundaries])
    edge_jump = np.array([b.jump for b in boundaries], dtype=bool)
    inside = np.isfinite(edge_sw2) & (edge_sw2 <= SW2_MAX)
    outside = ""
    if not inside.all():
        finite = np.isfinite(edge_sw2)
        where = (
            f"at σ_w² = {edge_sw2[finite].min():.3g} to {edge_sw2[finite].max():.3g}"
            if finite.any()
            else "nowhere"
        )
        part = "Part of the edge of chaos" if inside.any() else "The edge of chaos"
        outside = (
            f"{part} lies beyond the plotted σ_w² ≤ {SW2_MAX:g} ({where} for "
            f"σ_b² = 0 to {SB2_MAX:g}): the plotted plane is "
            f"{'mostly ' if inside.any() else ''}ordered."
        )
    jumps = edge_jump & inside
    jump_note = ""
    if jumps.any():
        jump_note = (
            f"Dashed part of the line (σ_b² up to {edge_sb2[jumps].max():.2g}): χ₁ jumps past 1 "
            "there instead of passing through it, so ξ never becomes infinite: there is no "
            "edge of chaos. The length map has a second, repelling fixed point. Left of the "
            "line the variance of a unit-variance input settles at a fixed point (at 0 when "
            "σ_b² = 0); at the line the start crosses the repelling one, or the two meet and "
            "vanish, and beyond it the variance grows without bound or settles much higher."
        )
    for array in (sw2, sb2, diagram.chi1, diagram.depth_scale, edge_sb2, edge_sw2, edge_jump):
        array.flags.writeable = False
    return Plane(
        activation=str(name),
        sw2=sw2,
        sb2=sb2,
        chi1=diagram.chi1,
        xi=diagram.depth_scale,
        phase=diagram.phase,
        edge_sb2=edge_sb2[inside],
        edge_sw2=edge_sw2[inside],
        edge_jump=edge_jump[inside],
        edge_outside=outside,
        jump_note=jump_note,
    )


def _point(
    key: str,
    label: str,
    scheme: str,
    params: tuple[tuple[str, float], ...],
    config: Config,
) -> PhasePoint:
    sw2 = effective_sw2(scheme, SQUARE_WIDTH, SQUARE_WIDTH, params).sw2
    assert sw2 is not None  # the drawn schemes have zero mean
    sb2 = config.bias_std**2
    values = phase.phase_point(config.activation, sw2, sb2)
    link_values: dict[str, object] = {
        "init": scheme,
        **dict(params),
        "activation": config.activation,
        "bias_std": config.bias_std,
    }
    xi = float(values["depth_scale"])
    return PhasePoint(
        key=key,
        label=label,
        scheme=scheme,
        params=params,
        sw2=float(sw2),
        sb2=float(sb2),
        chi1=float(values["chi1"]),
        xi=xi,
        phase=str(values["phase"]),
        trainable_depth=phase.TRAINABLE_DEPTH_SCALES * xi,
        xi_text=depth_text(xi),
        depth_text=depth_text(phase.TRAINABLE_DEPTH_SCALES * xi),
        short=_SHORT_NAMES[key],
        link=SIMULATION_PAGES[SIGNAL_PAGE].query(link_values),
        href=SIMULATION_PAGES[SIGNAL_PAGE].link(link_values),
    )


def depth_text(value: float) -> str:
    """A depth scale as the page writes it: 4 significant digits, "∞" on the edge of chaos,
    "undefined" where q* is infinite (NaN)."""
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "∞"
    return f"{value:.4g}"


def _markers(points: tuple[PhasePoint, ...]) -> tuple[Marker, ...]:
    merged: dict[float, list[PhasePoint]] = {}
    for point in points:
        merged.setdefault(round(point.sw2, 9), []).append(point)
    return tuple(
        Marker(
            name=" = ".join(p.label for p in group),
            short=" = ".join(p.short for p in group),
            sw2=group[0].sw2,
            sb2=group[0].sb2,
            href=group[0].href,
        )
        for group in merged.values()
    )


def _region_labels(plane: Plane) -> tuple[tuple[str, float, float, str], ...]:
    """Where the chart names the regions, as (text, sw2, sb2, alignment): "ordered" from the
    top row's first ordered cell past a fifth of the range, left-aligned; "chaotic" ending at
    the right edge of the middle row (or the highest row below it) whose last cell is
    chaotic. A region absent from the plane gets no name."""
    labels = []
    top = plane.phase[-2]
    start = len(plane.sw2) // 5
    ordered = [j for j in range(start, len(plane.sw2)) if top[j] == "ordered"]
    if ordered:
        labels.append(
            ("ordered (χ₁ < 1)", float(plane.sw2[ordered[0]]), float(plane.sb2[-2]), "left")
        )
    right = float(plane.sw2[-1])
    for i in range(len(plane.sb2) // 2, 0, -1):
        if plane.phase[i][-1] == "chaotic":
            labels.append(("chaotic (χ₁ > 1)", right, float(plane.sb2[i]), "right"))
            break
    return tuple(labels)


def run(config: Config) -> Result:
    """The plane of ``config.activation`` and the points at sigma_b^2 = bias_std^2."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a phase_diagram.Config; got {config!r}")
    if config.gain > MAX_PHASE_GAIN:  # pragma: no cover - the control's range
        raise ValueError(f"gain must be at most {MAX_PHASE_GAIN:g}; got {config.gain:g}")
    points = [
        _point(key, _SCHEME_NAMES[key], scheme, params, config)
        for key, (scheme, params) in SCHEME_POINTS.items()
    ]
    points.append(
        _point(
            YOUR_POINT,
            f"Your point (gain {config.gain:g})",
            "xavier_normal",
            (("gain", config.gain),),
            config,
        )
    )
    act = get_activation(config.activation)
    mine = points[-1]
    grid = plane(config.activation)
    return Result(
        config=config,
        plane=grid,
        sw2_step=SW2_STEP,
        sb2_step=SB2_STEP,
        sw2_max=SW2_MAX,
        sb2_max=SB2_MAX,
        xi_shown_max=XI_SHOWN_MAX,
        trainable_depth_scales=phase.TRAINABLE_DEPTH_SCALES,
        points=tuple(points),
        markers=_markers(tuple(points)),
        region_labels=_region_labels(grid),
        heading=f"{act.label}: the (σ_w², σ_b²) plane at initialization",
        point_caption=(
            f"Your point: Xavier normal with gain {config.gain:g}, so σ_w² = "
            f"{mine.sw2:.4g}, and bias std {config.bias_std:g}, so σ_b² = {mine.sb2:.4g}. "
            f"χ₁ = {mine.chi1:.4g}, ξ = {mine.xi_text} layers ({mine.phase}): about "
            f"{phase.TRAINABLE_DEPTH_SCALES:g} ξ = {mine.depth_text} layers still train."
            if math.isfinite(mine.xi) or math.isinf(mine.xi)
            else f"χ₁ = {mine.chi1:.4g} ({mine.phase}); ξ is undefined: the activations' "
            "variance grows without bound (no finite q*)."
        ),
        heatmaps=dict(HEATMAPS),
    )


# --- trainability ---------------------------------------------------------------------------


def cell_edges(values: np.ndarray) -> np.ndarray:
    """Edges of cells centred on the sorted ``values``: midpoints, and half a neighbour's gap
    beyond the first and the last."""
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    middle = (values[1:] + values[:-1]) / 2.0
    first = values[0] - (middle[0] - values[0])
    last = values[-1] + (values[-1] - middle[-1])
    return np.concatenate([[first], middle, [last]])


def run_trainability(
    request: TrainabilityRequest, progress: Callable[[float], None] | None = None
) -> TrainabilityPanel:
    """Train the tanh grid of ``lab.phase.trainability`` with the request's steps and seed
    (``progress`` gets the share of networks done)."""
    if not isinstance(request, TrainabilityRequest):
        raise ValueError(f"request must be a TrainabilityRequest; got {request!r}")
    config = phase.TrainabilityConfig(steps=request.steps, seed=request.seed)
    grid = phase.trainability(config, progress)
    ran = grid.config
    reach = reach_by_phase(grid)
    return TrainabilityPanel(
        request=request,
        sw2=grid.sw2,
        depths=grid.depths,
        sw2_edges=cell_edges(grid.sw2),
        depth_edges=cell_edges(grid.depths),
        accuracy=grid.accuracy,
        line_sw2=grid.line_sw2,
        line_depth=grid.line_depth,
        edge_sw2=grid.edge_sw2,
        sb2=ran.sb2,
        chance_accuracy=grid.chance_accuracy,
        trainable_depth_scales=phase.TRAINABLE_DEPTH_SCALES,
        trained_accuracy=phase.TRAINED_ACCURACY,
        reach=reach,
        budget_note=grid.budget_note,
        caption=(
            f"{get_activation(ran.activation).label} networks of width {ran.width} with "
            f"weights N(0, σ_w²/n) and biases N(0, {ran.sb2:g}), trained for "
            f"{plural(ran.steps, 'SGD step')} with momentum, batch {ran.batch_size} and the "
            "same learning rate, "
            f"{ran.learning_rate:g}, for every network, on {ran.samples:,} "
            f"{_dataset_words(ran.dataset)}; the colour is the training "
            f"accuracy (chance {grid.chance_accuracy:.1%}).{_reach_sentence(reach)} The red "
            f"line is {phase.TRAINABLE_DEPTH_SCALES:g} ξ at σ_b² = {ran.sb2:g}; the dashed rule "
            f"is the edge of chaos, σ_w² = {grid.edge_sw2:.4g}."
        ),
        setting=f"{get_activation(ran.activation).label}, σ_b² = {ran.sb2:g}",
        trained_any=bool(np.any(grid.accuracy >= phase.TRAINED_ACCURACY)),
    )


def reach_by_phase(grid: phase.Trainability) -> dict[str, tuple[float, float]]:
    """``TrainabilityPanel.reach`` of a trained grid."""
    deepest = float(np.max(grid.depths))
    inside = np.isfinite(grid.reach) & (grid.trainable_depth <= deepest)
    reach = {}
    for name in ("ordered", "chaotic"):
        values = grid.reach[inside & (grid.phase == name)]
        if values.size:
            reach[name] = (float(values.min()), float(values.max()))
    return reach


def reach_text(low: float, high: float) -> str:
    """A range of depths in units of xi as the caption writes it: "3.4–6.7 ξ" (one value when
    both round alike)."""
    low_text, high_text = f"{low:.2g}", f"{high:.2g}"
    return f"{low_text} ξ" if low_text == high_text else f"{low_text}–{high_text} ξ"


def _reach_sentence(reach: dict[str, tuple[float, float]]) -> str:
    parts = [f"{reach_text(*reach[name])} on the {name} side" for name in reach]
    if not parts:
        return ""
    return (
        f" Where {phase.TRAINABLE_DEPTH_SCALES:g} ξ lies within the grid's depths, the "
        f"trainable region ends (the deepest network with accuracy ≥ "
        f"{phase.TRAINED_ACCURACY:.0%} below the first without) at {' and at '.join(parts)}."
    )


def _dataset_words(name: str) -> str:
    return "handwritten digits" if name == "digits" else f"points of {name}"


def scheme_label(key: str) -> str:
    """The name of a drawn scheme (``SCHEME_POINTS`` key) with its initializer's label."""
    scheme, params = SCHEME_POINTS[key]
    return f"{_SCHEME_NAMES[key]}: {get_initializer(scheme, **dict(params)).label}"
