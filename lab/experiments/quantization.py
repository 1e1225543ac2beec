"""Quantization range: where each layer's activations land in FP16, BF16, FP8 and INT8.

``run(config)`` runs the network once in float32, forward only (lab.network.simulate), casts
every layer to each format and to INT8 (lab.formats.analyze_activations) and returns what the
page shows: the verdicts of first_failure, each layer's magnitudes against each format's zones
(lab.formats.format_zones, int8_zones), the FP16 dynamic-range bar (dynamic_range_bands), the
per-layer table, the INT8 SQNR examples, and the budget note. Samples are lowered, never the
network, when the network and the analysis together exceed the lab's budget (lab.budget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

import numpy as np

from lab.axes import OVERLAP_SHARE
from lab.budget import Cost, Scaled, fit_count
from lab.controls.network import init_params
from lab.controls.quantization import CONTROLS, chosen_formats
from lab.formats import (
    ALL_FORMAT_NAMES,
    CALIBRATIONS,
    FORMATS,
    INT8,
    LOW_PERCENTILE,
    Band,
    DynamicRange,
    LayerFormatReport,
    LayerRange,
    SqnrExample,
    analysis_cost,
    analyze_activations,
    decade_above,
    decade_below,
    dynamic_range_bands,
    first_failure,
    format_band_table,
    format_zones,
    int8_sqnr_examples,
    int8_zones,
    no_failure_text,
    on_log_axis,
    uniform_int8_sqnr_db,
)
from lab.network import NetworkConfig, fit_samples, network_cost, simulate
from lab.text import plural
from lab.validation import check_choice

#: The per-layer magnitudes (lab.formats.LayerRange fields) and their labels, in chart order.
STATISTICS: dict[str, str] = {"max_abs": "largest |a|", "rms": "RMS", "low_percentile": "small |a|"}
#: The two magnitudes the FP16 bar marks: the largest decides overflow, the small ones whether
#: values become subnormal or are flushed to 0.
BAR_STATISTICS: tuple[str, ...] = ("max_abs", "low_percentile")
#: Format limits further than this factor from 1 are left off the panels' shared axis
#: (BF16's 1e-41 and 3e38 would squeeze every layer into one decade).
AXIS_LIMIT = 1e12
#: The float format whose dynamic range the page draws as a bar.
BAR_FORMAT = "float16"

_E4M3 = FORMATS["float8_e4m3fn"]
TABLE_CAPTION = (
    "Overflow: share of finite values beyond the format's max plus half a step, which a cast "
    f"turns into inf ({_E4M3.label}: NaN with ml_dtypes; {_E4M3.saturated_by} saturate them "
    f"to ±{_E4M3.max:g}, so the overflow would not show). Exact zeros count among the values "
    "(ReLU sets about half of them to 0, so about half at most can overflow), while the charts' "
    "small |a| leaves them out. → 0: share of nonzero values flushed "
    "to 0 (up to half the smallest subnormal). Subnormal: share of nonzero values stored as "
    "subnormals, with fewer significant bits (precision loss). INT8 clipped: share beyond "
    f"{INT8.qmax} × scale (only with a scale calibrated on layer 1). SQNR: "
    "signal-to-quantization-noise ratio."
)
DEAD_NOTE = (
    "Every activation is exactly 0: nothing can overflow or round away, but the network is "
    "dead (see Signal propagation)."
)


_DEFAULTS = CONTROLS.defaults()


@dataclass(frozen=True)
class Config:
    """One view of the page: the network (lab.controls.network's names; ``init_params`` as in
    NetworkConfig, () for the scheme's defaults; ``leaky_slope`` is NetworkConfig.slope), the
    INT8 calibration and the formats shown (lab.formats names, FP16 first; empty: none).
    Defaults: the page's."""

    init: str = str(_DEFAULTS["init"])
    init_params: tuple[tuple[str, float | str], ...] = ()
    activation: str = str(_DEFAULTS["activation"])
    leaky_slope: float = float(_DEFAULTS["leaky_slope"])  # type: ignore[arg-type]
    layers: int = int(_DEFAULTS["layers"])  # type: ignore[arg-type]
    width: int = int(_DEFAULTS["width"])  # type: ignore[arg-type]
    input_std: float = float(_DEFAULTS["input_std"])  # type: ignore[arg-type]
    bias_std: float = float(_DEFAULTS["bias_std"])  # type: ignore[arg-type]
    samples: int = int(_DEFAULTS["samples"])  # type: ignore[arg-type]
    seed: int = int(_DEFAULTS["seed"])  # type: ignore[arg-type]
    calibration: str = str(_DEFAULTS["calibration"])
    formats: tuple[str, ...] = chosen_formats(_DEFAULTS["formats"])

    def __post_init__(self) -> None:
        check_choice("calibration", self.calibration, CALIBRATIONS)
        if isinstance(self.formats, str):
            raise ValueError(f"formats must be a tuple of format names; got {self.formats!r}")
        formats = tuple(self.formats)
        for name in formats:
            check_choice("formats", name, ALL_FORMAT_NAMES)
        object.__setattr__(self, "formats", formats)


def config_from_values(values: Mapping[str, object]) -> Config:
    """The Config of the page's control values (``draw_controls`` or ``parse_query``; missing
    names take their defaults). ValueError names a value outside its declared range."""
    full = CONTROLS.defaults() | CONTROLS.check_values(values)
    return Config(
        init=str(full["init"]),
        init_params=init_params(full),
        activation=str(full["activation"]),
        leaky_slope=float(full["leaky_slope"]),  # type: ignore[arg-type]
        layers=int(full["layers"]),  # type: ignore[arg-type]
        width=int(full["width"]),  # type: ignore[arg-type]
        input_std=float(full["input_std"]),  # type: ignore[arg-type]
        bias_std=float(full["bias_std"]),  # type: ignore[arg-type]
        samples=int(full["samples"]),  # type: ignore[arg-type]
        seed=int(full["seed"]),  # type: ignore[arg-type]
        calibration=str(full["calibration"]),
        formats=chosen_formats(full["formats"]),
    )


# --- result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One format's line under "What breaks first": its first_failure sentence, or what
    "nothing broke" means for it (``broke`` False)."""

    format: str
    label: str
    broke: bool
    text: str


@dataclass(frozen=True)
class Point:
    """One layer's magnitude: ``statistic`` is a label of STATISTICS; ``on_axis`` False when a
    log axis cannot show ``value`` (0, inf or NaN)."""

    layer: int
    statistic: str
    value: float
    on_axis: bool


@dataclass(frozen=True)
class Gap:
    """Where a statistic first leaves the log axis, and the note that says so."""

    statistic: str
    layer: int
    note: str


@dataclass(frozen=True)
class PanelBand:
    """A format zone over layers ``first``..``last`` (every layer for a float format, one
    layer for INT8, whose zones follow each layer's scale)."""

    first: int
    last: int
    band: Band


@dataclass(frozen=True)
class Panel:
    """One format's panel: its zones on the shared axis."""

    format: str
    label: str
    bands: tuple[PanelBand, ...]


@dataclass(frozen=True)
class Column:
    """A column of the per-layer table: ``kind`` says how to show its numbers."""

    name: str
    kind: Literal["layer", "magnitude", "share", "db"]
    help: str = ""


@dataclass(frozen=True)
class Result:
    """Everything the Quantization range page shows for one Config.

    network: the NetworkConfig that ran (samples maybe lowered; budget_note says so, '' if not).
    ranges: lab.formats.LayerRange per layer. summary: one line over every shown format
    (``headline`` its failure sentence, None when nothing broke); verdicts: one per format;
    notes: a dead network, a float32 overflow. points: every layer's STATISTICS for the lines;
    gaps and range_note: what the log axis leaves out; overlap_note: '' or which lines lie on
    top of each other. axis: the panels' shared |a| axis;
    panels: one per shown format. fp16: the dynamic-range bar (its axis widened to the
    markers), fp16_markers: the layers' BAR_STATISTICS it can show, fp16_note: those it cannot.
    columns and table: the per-layer table (rows align with columns). sqnr_examples,
    uniform_sqnr_db and gaussian_example: INT8's SQNR (lab.formats.int8_sqnr_examples).
    format_limits: lab.formats.format_band_table.
    """

    config: Config
    network: NetworkConfig
    budget_note: str
    formats: tuple[str, ...]
    ranges: tuple[LayerRange, ...]
    summary: str
    headline: str | None
    verdicts: tuple[Verdict, ...]
    notes: tuple[str, ...]
    points: tuple[Point, ...]
    gaps: tuple[Gap, ...]
    range_note: str
    overlap_note: str
    axis: tuple[float, float]
    panels: tuple[Panel, ...]
    fp16: DynamicRange
    fp16_markers: tuple[Point, ...]
    fp16_note: str
    columns: tuple[Column, ...]
    table: tuple[tuple[float, ...], ...]
    sqnr_examples: tuple[SqnrExample, ...]
    uniform_sqnr_db: float
    gaussian_example: SqnrExample
    format_limits: tuple[dict, ...]

    @property
    def layers(self) -> int:
        """L, the number of layers."""
        return len(self.ranges)


# --- budget ---------------------------------------------------------------------------------


def network_config(config: Config) -> NetworkConfig:
    """The network of ``config`` as simulate runs it: float32, forward only, activations kept."""
    return NetworkConfig(
        init=config.init,
        init_params=config.init_params,
        activation=config.activation,
        slope=config.leaky_slope,
        layers=config.layers,
        width=config.width,
        samples=config.samples,
        input_std=config.input_std,
        bias_std=config.bias_std,
        seed=config.seed,
        backward="none",
        keep_activations=True,
    )


def experiment_cost(network: NetworkConfig) -> Cost:
    """The network's cost (lab.network.network_cost) plus the analysis (lab.formats.
    analysis_cost). The analysis runs after simulate has returned, with only the kept
    activations a_1..a_L alive, so the peak is the larger of the two stages."""
    simulated = network_cost(network)
    widths = network.layer_widths
    analysis = analysis_cost(network.batch_size * max(widths), network.depth)
    kept = network.batch_size * sum(widths) * np.dtype(network.dtype).itemsize
    return Cost(
        multiply_adds=simulated.multiply_adds + analysis.multiply_adds,
        peak_bytes=max(simulated.peak_bytes, kept + analysis.peak_bytes),
    )


def fit(config: Config) -> tuple[NetworkConfig, Scaled]:
    """The network with as many of the requested samples as the budget allows: first the
    network's own (lab.network.fit_samples), then with the analysis on top."""
    network, scaled = fit_samples(network_config(config))
    analysed = fit_count(
        network.samples,
        lambda samples: experiment_cost(replace(network, samples=samples)),
        what=scaled.what,
        subject=scaled.subject,
    )
    final = Scaled(config.samples, analysed.used, scaled.what, scaled.subject)
    return replace(network, samples=final.used), final


# --- run ------------------------------------------------------------------------------------


@cache
def _sqnr_examples() -> tuple[SqnrExample, ...]:
    """lab.formats.int8_sqnr_examples, computed once per process (they do not depend on the
    network; 1e6 values take ~50 MB for a moment)."""
    return tuple(int8_sqnr_examples())


def run(config: Config) -> Result:
    """Simulate, analyse and describe one view of the page (see Result)."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a quantization Config; got {type(config).__name__}")
    examples = _sqnr_examples()  # before the network, so that the two peaks do not add
    network, scaled = fit(config)
    simulated = simulate(network)
    activations, overflow = simulated.activations, simulated.overflow_message
    del simulated  # the pre-activations go before the analysis
    reports, ranges = analyze_activations(activations, config.calibration)
    del activations
    points = tuple(
        Point(spread.layer, label, getattr(spread, name), on_log_axis(getattr(spread, name)))
        for name, label in STATISTICS.items()
        for spread in ranges
    )
    axis = _axis(points, config.formats)
    gaps = _gaps(points)
    markers = [p for p in points if p.statistic in {STATISTICS[s] for s in BAR_STATISTICS}]
    off_bar = sorted({p.layer for p in markers if not p.on_axis})
    headline = first_failure(reports, config.formats) if config.formats else None
    columns, table = _table(reports, ranges, config.formats)
    largest = max(e.samples for e in examples)
    return Result(
        config=config,
        network=network,
        budget_note=scaled.note,
        formats=config.formats,
        ranges=tuple(ranges),
        summary=_summary(headline, len(ranges)),
        headline=headline,
        verdicts=tuple(_verdict(reports, name) for name in config.formats),
        notes=_notes(ranges, overflow),
        points=points,
        gaps=gaps,
        range_note="Not on the log axis: " + "; ".join(g.note for g in gaps) if gaps else "",
        overlap_note=_overlap_note(points, axis),
        axis=axis,
        panels=tuple(_panel(name, reports, axis) for name in config.formats),
        fp16=dynamic_range_bands(BAR_FORMAT, [p.value for p in markers]),
        fp16_markers=tuple(p for p in markers if p.on_axis),
        fp16_note=(
            f"Not on the log axis (0, inf or NaN): {layer_list(off_bar)}" if off_bar else ""
        ),
        columns=columns,
        table=table,
        sqnr_examples=examples,
        uniform_sqnr_db=uniform_int8_sqnr_db(),
        gaussian_example=next(
            e for e in examples if e.distribution == "gaussian" and e.samples == largest
        ),
        format_limits=tuple(format_band_table()),
    )


def label_of(name: str) -> str:
    """The display label of a lab.formats name: 'FP16', 'INT8'."""
    return INT8.label if name == INT8.name else FORMATS[name].label


def layer_list(layers: list[int]) -> str:
    """Sorted layer numbers as runs: "layer 3", "layers 1–4, 7"."""
    runs: list[list[int]] = []
    for layer in layers:
        if runs and layer == runs[-1][-1] + 1:
            runs[-1].append(layer)
        else:
            runs.append([layer])
    text = ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
    return f"layer {text}" if len(layers) == 1 else f"layers {text}"


def _summary(headline: str | None, layers: int) -> str:
    if headline is None:
        where = (
            "the network's only layer" if layers == 1 else f"any of the {plural(layers, 'layer')}"
        )
        return f"None of the selected formats breaks in {where}."
    return f"Earliest failure among the selected formats: {headline}."


def _verdict(reports: list[LayerFormatReport], name: str) -> Verdict:
    sentence = first_failure(reports, [name])
    text = no_failure_text(name) if sentence is None else sentence
    return Verdict(name, label_of(name), sentence is not None, text)


def _notes(ranges: list[LayerRange], overflow: str | None) -> tuple[str, ...]:
    notes = []
    if all(spread.max_abs == 0.0 for spread in ranges):
        notes.append(DEAD_NOTE)
    if overflow:
        notes.append(
            f"The float32 forward pass itself overflowed ({overflow}); later layers hold "
            "inf/NaN before any cast."
        )
    return tuple(notes)


def _axis(points: tuple[Point, ...], formats: tuple[str, ...]) -> tuple[float, float]:
    """A log axis from a decade below the smallest plotted value (or format limit within
    AXIS_LIMIT of 1) to a decade above the largest; FP16's bar axis when nothing is plottable."""
    values = [p.value for p in points if p.on_axis]
    for name in formats:
        if name in FORMATS:
            limits = (FORMATS[name].smallest_subnormal, FORMATS[name].max)
            values += [v for v in limits if 1.0 / AXIS_LIMIT <= v <= AXIS_LIMIT]
    if not values:
        bar = dynamic_range_bands(BAR_FORMAT)
        return bar.axis_low, bar.axis_high
    return decade_below(min(values)), decade_above(max(values))


def _overlap_note(points: tuple[Point, ...], axis: tuple[float, float]) -> str:
    """Which statistics' lines lie on top of each other at every layer: within
    ``lab.axes.OVERLAP_SHARE`` of the axis's decades wherever both are on the axis (saturated
    tanh: the largest |a| and the RMS both near 1)."""
    limit = OVERLAP_SHARE * math.log10(axis[1] / axis[0])
    values = {
        label: {p.layer: p.value for p in points if p.statistic == label and p.on_axis}
        for label in STATISTICS.values()
    }
    labels = list(values)
    sentences = []
    for i, first in enumerate(labels):
        for second in labels[i + 1 :]:
            a, b = values[first], values[second]
            if not a or a.keys() != b.keys():
                continue
            gap = max(abs(math.log10(a[k] / b[k])) for k in a)
            if gap <= limit:
                factor = 10**gap
                sentences.append(
                    f"{first} and {second} lie within a factor {factor:.3g} of each other at "
                    "every layer: one line hides the other."
                )
    return " ".join(sentences)


def _gaps(points: tuple[Point, ...]) -> tuple[Gap, ...]:
    """Per statistic and kind (0, inf/NaN): where it leaves the log axis, as a note such as
    "largest |a|: inf/NaN from layer 9" or "small |a|: 0 at layer 3, 5"."""
    gaps = []
    for statistic in STATISTICS.values():
        series = [p for p in points if p.statistic == statistic]
        for kind, test in (("0", lambda v: v == 0.0), ("inf/NaN", lambda v: not math.isfinite(v))):
            layers = [p.layer for p in series if test(p.value)]
            if not layers:
                continue
            if len(layers) > 1 and layers == list(range(layers[0], series[-1].layer + 1)):
                where = f"from layer {layers[0]}"
            elif len(layers) <= 4:
                where = f"at layer {', '.join(map(str, layers))}"
            else:
                where = f"at layer {', '.join(map(str, layers[:4]))}, …"
            gaps.append(Gap(statistic, layers[0], f"{statistic}: {kind} {where}"))
    return tuple(gaps)


def _panel(name: str, reports: list[LayerFormatReport], axis: tuple[float, float]) -> Panel:
    if name != INT8.name:
        zones = format_zones(name, *axis)
        return Panel(name, label_of(name), tuple(PanelBand(1, len(reports), b) for b in zones))
    bands = []
    for report in reports:
        if report.int8.n_nonzero == 0:
            continue  # all zero or inf/NaN: no scale to speak of
        for band in int8_zones(report.int8.scale, *axis):
            detail = f"layer {report.layer}: {band.detail}"
            bands.append(PanelBand(report.layer, report.layer, replace(band, detail=detail)))
    return Panel(name, label_of(name), tuple(bands))


def _table(
    reports: list[LayerFormatReport], ranges: list[LayerRange], formats: tuple[str, ...]
) -> tuple[tuple[Column, ...], tuple[tuple[float, ...], ...]]:
    """One row per layer: magnitudes, and what each shown format did to the layer."""
    small_help = f"{LOW_PERCENTILE:g}% of the layer's nonzero |a| lie below this value"
    columns = [Column("layer", "layer")] + [
        Column(label, "magnitude", small_help if name == "low_percentile" else "")
        for name, label in STATISTICS.items()
    ]
    for name in formats:
        label = label_of(name)
        if name == INT8.name:
            columns += [
                Column(f"{label} clipped", "share"),
                Column(f"{label} → 0", "share"),
                Column(f"{label} SQNR (dB)", "db"),
            ]
        else:
            columns += [
                Column(f"{label} overflow", "share"),
                Column(f"{label} → 0", "share"),
                Column(f"{label} subnormal", "share"),
            ]
    rows = []
    for report, spread in zip(reports, ranges, strict=True):
        row: list[float] = [report.layer, *(getattr(spread, name) for name in STATISTICS)]
        for name in formats:
            if name == INT8.name:
                row += [report.int8.frac_clipped, report.int8.frac_zero, report.int8.sqnr_db]
            else:
                cast = report.casts[name]
                row += [cast.frac_overflow, cast.frac_flushed_to_zero, cast.frac_subnormal]
        rows.append(tuple(row))
    return tuple(columns), tuple(rows)
