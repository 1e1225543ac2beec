"""Quantization range: where each layer's activations land in FP16, BF16, FP8 and INT8.

Runs the network of the Signal propagation page once in float32 (lab.network.simulate), casts
every layer to each format (lab.formats.analyze_layers) and draws the activations' range against
the formats' limits (lab.formats.format_band_table, dynamic_range_bands). No math here.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from lab.activations import ACTIVATION_NAMES, get_activation
from lab.formats import (
    FAILURE_CLIP_FRACTION,
    FAILURE_ZERO_FRACTION,
    FORMATS,
    INT8,
    LOW_PERCENTILE,
    activation_ranges,
    analyze_layers,
    check_analysis_size,
    dynamic_range_bands,
    first_failure,
    format_band_table,
    int8_range,
    int8_sqnr_examples,
    uniform_int8_sqnr_db,
)
from lab.initializers import SCHEME_NAMES, get_initializer
from lab.network import NetworkConfig, simulate
from pages.common import (
    choice_control,
    float_control,
    int_control,
    log_line_chart,
    multi_choice_control,
    page_header,
    page_link_with_params,
    show_engine_error,
    show_spec,
    vega_spec,
)

# --------------------------------------------------------------------------- options

INIT_OPTIONS = {name: get_initializer(name).label for name in SCHEME_NAMES}
ACTIVATION_OPTIONS = {name: get_activation(name).label for name in ACTIVATION_NAMES}
CALIBRATION_OPTIONS = {"per_layer": "Per layer", "first_layer": "Once, on layer 1"}
#: URL value -> format name in lab.formats (FP32 is left out: the network runs in it).
FORMAT_KEYS = {
    "fp16": "float16",
    "bf16": "bfloat16",
    "e4m3": "float8_e4m3fn",
    "e5m2": "float8_e5m2",
    "int8": INT8.name,
}
LABELS = {**{name: fmt.label for name, fmt in FORMATS.items()}, INT8.name: INT8.label}
FORMAT_LIMITS = {row["name"]: row for row in format_band_table()}

#: Fill colours of the bands, readable on light and dark backgrounds at low opacity.
BAND_COLORS = {
    "overflow / clip": "#e03131",
    "represented": "#2f9e44",
    "subnormal": "#f59f00",
    "lost to 0": "#748ffc",
}
#: Opaque and light, so that the black labels on them read on light and dark backgrounds.
FP16_BAND_COLORS = {
    "underflow": "#91a7ff",
    "ideal": "#51cf66",
    "headroom": "#c0eb75",
    "overflow": "#ff6b6b",
}
STATISTICS = {
    "max_abs": "largest |a|",
    "rms": "RMS",
    "low_percentile": "small |a|",
}
#: Format limits further than this from 1 are left off the shared axis (BF16's 1e-41, 3e38).
AXIS_LIMIT = 1e12
CACHE_ENTRIES = 16
PANEL_HEIGHT = 220
PANELS_PER_ROW = 3
#: Panel width (px) for 1, 2 or 3 panels a row.
PANEL_WIDTHS = {1: 600, 2: 330, 3: 190}
#: Line colours of the three statistics (largest, RMS, small), apart from the zone fills.
STATISTIC_COLORS = ("#1971c2", "#9c36b5", "#e8590c")


# --------------------------------------------------------------------------- engine calls


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Running the network and casting…")
def analyze_network(
    init: str,
    activation: str,
    layers: int,
    width: int,
    input_std: float,
    samples: int,
    seed: int,
    calibration: str,
) -> dict:
    """Simulate once in float32 and report every layer in every format (only the small
    reports are cached, not the activations)."""
    check_analysis_size(samples, width, layers)
    config = NetworkConfig(
        init=init,
        activation=activation,
        layers=layers,
        width=width,
        input_std=input_std,
        samples=samples,
        seed=seed,
        keep_activations=True,
    )
    result = simulate(config)
    return {
        "reports": analyze_layers(result.activations, calibration),
        "ranges": activation_ranges(result.activations),
        "overflow_message": result.overflow_message,
    }


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def chart_specs(
    init: str,
    activation: str,
    layers: int,
    width: int,
    input_std: float,
    samples: int,
    seed: int,
    calibration: str,
    selected: tuple[str, ...],
) -> dict:
    """The Vega-Lite specs of the two charts, built once per configuration (building and
    validating the Altair charts would take most of a rerun's time budget)."""
    analysis = analyze_network(
        init, activation, layers, width, input_std, samples, seed, calibration
    )
    panels, note = range_panels(analysis["reports"], analysis["ranges"], list(selected))
    return {
        "panels": vega_spec(panels),
        "note": note,
        "fp16_bar": vega_spec(fp16_bar(analysis["ranges"])),
    }


@st.cache_data(max_entries=2, show_spinner=False)
def sqnr_examples() -> list:
    """INT8 SQNR of uniform and Gaussian signals (lab.formats.int8_sqnr_examples)."""
    return int8_sqnr_examples()


# --------------------------------------------------------------------------- chart helpers


def layer_list(layers: list[int]) -> str:
    """Sorted layer numbers as runs: "layer 3", "layers 1-4, 7"."""
    runs: list[list[int]] = []
    for layer in layers:
        if runs and layer == runs[-1][-1] + 1:
            runs[-1].append(layer)
        else:
            runs.append([layer])
    text = ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
    return f"layer {text}" if len(layers) == 1 else f"layers {text}"


def _plottable(value: float) -> bool:
    return math.isfinite(value) and value > 0.0


def _decade_below(value: float) -> float:
    return 10.0 ** (math.floor(math.log10(value)) - 1)


def _decade_above(value: float) -> float:
    return 10.0 ** (math.ceil(math.log10(value)) + 1)


def axis_range(ranges: list, limits: list[float]) -> tuple[float, float]:
    """A log axis from a decade below the smallest plotted value (or format limit near 1) to a
    decade above the largest."""
    values = [
        getattr(r, stat) for r in ranges for stat in STATISTICS if _plottable(getattr(r, stat))
    ]
    values += [v for v in limits if 1.0 / AXIS_LIMIT <= v <= AXIS_LIMIT]
    if not values:
        fp16 = dynamic_range_bands("float16")
        return fp16["axis_low"], fp16["axis_high"]
    return _decade_below(min(values)), _decade_above(max(values))


def range_rows(ranges: list) -> pd.DataFrame:
    """Long table of the per-layer magnitudes for log_line_chart."""
    return pd.DataFrame(
        [
            {"layer": r.layer, "statistic": label, "value": getattr(r, stat)}
            for stat, label in STATISTICS.items()
            for r in ranges
        ]
    )


def _band(band: str, low: float, high: float, x0: float, x1: float, detail: str) -> dict:
    return {"band": band, "low": low, "high": high, "x0": x0, "x1": x1, "detail": detail}


def float_bands(name: str, layers: int, bottom: float, top: float) -> list[dict]:
    """The four zones of a float format's |a| axis, from format_band_table."""
    row = FORMAT_LIMITS[name]
    label, becomes = row["label"], "inf" if row["has_inf"] else "NaN"
    edges = (0.5, layers + 0.5)
    return [
        _band(
            "overflow / clip",
            row["max"],
            top,
            *edges,
            f"{label}: above its max {row['max']:g}, a value becomes {becomes}",
        ),
        _band(
            "represented",
            row["smallest_normal"],
            row["max"],
            *edges,
            f"{label}: normal numbers, {row['smallest_normal']:.3g} to {row['max']:g}",
        ),
        _band(
            "subnormal",
            row["smallest_subnormal"],
            row["smallest_normal"],
            *edges,
            f"{label}: subnormal, {row['smallest_subnormal']:.3g} to "
            f"{row['smallest_normal']:.3g}: precision drops",
        ),
        _band(
            "lost to 0",
            bottom,
            row["smallest_subnormal"],
            *edges,
            f"{label}: below its smallest subnormal {row['smallest_subnormal']:.3g}, "
            "a value rounds to 0 (or up to it)",
        ),
    ]


def int8_bands(reports: list, bottom: float, top: float) -> list[dict]:
    """Per layer: the |a| kept by INT8 with that layer's scale (lab.formats.int8_range)."""
    bands = []
    for report in reports:
        if report.int8.n_nonzero == 0:
            continue  # all zero or inf/NaN: no scale to speak of
        low, high = int8_range(report.int8.scale)
        x0, x1 = report.layer - 0.5, report.layer + 0.5
        scale = f"layer {report.layer}, scale {report.int8.scale:.3g}"
        bands += [
            _band("overflow / clip", high, top, x0, x1, f"INT8 {scale}: clips above {high:.3g}"),
            _band(
                "represented",
                low,
                high,
                x0,
                x1,
                f"INT8 {scale}: {INT8.levels} levels up to {high:.3g}",
            ),
            _band("lost to 0", bottom, low, x0, x1, f"INT8 {scale}: below {low:.3g} rounds to 0"),
        ]
    return bands


def band_layer(bands: list[dict], bottom: float, top: float) -> alt.Chart:
    """Shaded rectangles, clipped to the axis so they do not stretch it."""
    frame = pd.DataFrame(bands, columns=["band", "low", "high", "x0", "x1", "detail"])
    frame["low"] = frame["low"].clip(bottom, top)
    frame["high"] = frame["high"].clip(bottom, top)
    frame = frame[frame["high"] > frame["low"]]
    return (
        alt.Chart(frame)
        .mark_rect(opacity=0.22)
        .encode(
            x=alt.X("x0:Q", title="layer", scale=alt.Scale(nice=False), axis=alt.Axis(format="d")),
            x2="x1:Q",
            y=alt.Y("low:Q", title="|a|", scale=alt.Scale(type="log"), axis=alt.Axis(format="~e")),
            y2="high:Q",
            fill=alt.Fill(
                "band:N",
                title="zone",
                scale=alt.Scale(domain=list(BAND_COLORS), range=list(BAND_COLORS.values())),
            ),
            tooltip=alt.Tooltip("detail:N", title="zone"),
        )
    )


def format_panel(
    name: str, lines: alt.LayerChart, bands: list[dict], axis: tuple, columns: int
) -> alt.LayerChart:
    """The magnitudes (one log_line_chart, shared by every panel) over the format's zones.

    The chart's notes on values the log axis cannot show stay as dashed rules; their text is
    shown once under the panels instead of in every narrow panel."""
    inner = lines.copy()
    inner.title = alt.Undefined
    inner.height = alt.Undefined
    inner.layer = [
        layer for layer in inner.layer if getattr(layer.mark, "type", layer.mark) != "text"
    ]
    return alt.layer(band_layer(bands, *axis), inner).properties(
        title=alt.TitleParams(LABELS[name], anchor="start"),
        height=PANEL_HEIGHT,
        width=PANEL_WIDTHS[columns],
    )


def range_panels(reports: list, ranges: list, names: list[str]) -> tuple[alt.ConcatChart, str]:
    """One panel per format (up to three a row) sharing one legend: the per-layer magnitudes
    against the format's zones on a common log axis; and the note on the values the log axis
    cannot show ('' if none)."""
    limits = [
        value
        for name in names
        if name in FORMAT_LIMITS
        for value in (FORMAT_LIMITS[name]["smallest_subnormal"], FORMAT_LIMITS[name]["max"])
    ]
    axis = axis_range(ranges, limits)
    layers = len(ranges)
    lines = log_line_chart(range_rows(ranges), "layer", "value", "statistic", "|a|", "|a|")
    columns = min(PANELS_PER_ROW, len(names))
    panels = [
        format_panel(
            name,
            lines,
            int8_bands(reports, *axis) if name == INT8.name else float_bands(name, layers, *axis),
            axis,
            columns,
        )
        for name in names
    ]
    chart = alt.concat(*panels, columns=columns).configure_range(category=list(STATISTIC_COLORS))
    subtitle = lines.title.subtitle
    return chart, "" if subtitle is alt.Undefined or not subtitle else str(subtitle)


def fp16_bar(ranges: list) -> alt.LayerChart:
    """FP16's dynamic-range bar (dynamic_range_bands) with ticks at every layer's largest and
    small |a|."""
    fp16 = dynamic_range_bands("float16")
    zones_row = "FP16 zones"
    markers = [
        {"row": row, "layer": r.layer, "value": getattr(r, stat), "statistic": STATISTICS[stat]}
        for stat, row in (("max_abs", "largest |a|"), ("low_percentile", "small |a|"))
        for r in ranges
    ]
    plotted = [m for m in markers if _plottable(m["value"])]
    values = [m["value"] for m in plotted]
    low = min([fp16["axis_low"], *(_decade_below(v) for v in values)])
    high = max([fp16["axis_high"], *(_decade_above(v) for v in values)])
    bands = pd.DataFrame(fp16["bands"])
    bands.loc[bands.index[0], "low"] = low
    bands.loc[bands.index[-1], "high"] = high
    bands["row"] = zones_row
    x_scale = alt.Scale(type="log", domain=[low, high], nice=False)
    y = alt.Y("row:N", title=None, sort=[zones_row, "largest |a|", "small |a|"])
    zones = (
        alt.Chart(bands)
        .mark_bar(opacity=1.0)
        .encode(
            x=alt.X("low:Q", title="|a| (log scale)", scale=x_scale, axis=alt.Axis(format="~e")),
            x2="high:Q",
            y=y,
            color=alt.Color(
                "band:N",
                title="FP16 zone",
                scale=alt.Scale(
                    domain=list(FP16_BAND_COLORS), range=list(FP16_BAND_COLORS.values())
                ),
            ),
            tooltip=[
                alt.Tooltip("band:N", title="zone"),
                alt.Tooltip("label:N", title="|a|"),
                alt.Tooltip("low:Q", title="from", format=".4~g"),
                alt.Tooltip("high:Q", title="to", format=".4~g"),
            ],
        )
    )
    text = (
        alt.Chart(bands)
        .mark_text(align="left", dx=4, fontWeight="bold", color="black")
        .encode(x=alt.X("low:Q", scale=x_scale), y=y, text="label:N")
    )
    layers: list[alt.Chart] = [zones, text]
    if plotted:
        ticks = (
            alt.Chart(pd.DataFrame(plotted))
            .mark_tick(thickness=2, size=24)
            .encode(
                x=alt.X("value:Q", scale=x_scale),
                y=y,
                stroke=alt.Stroke(
                    "layer:Q",
                    title="layer",
                    scale=alt.Scale(scheme=alt.SchemeParams("viridis", extent=[0.2, 0.85])),
                ),
                tooltip=[
                    alt.Tooltip("statistic:N", title="marker"),
                    alt.Tooltip("layer:Q", title="layer"),
                    alt.Tooltip("value:Q", title="|a|", format=".4~g"),
                ],
            )
        )
        layers.append(ticks)
    missing = sorted({m["layer"] for m in markers if not _plottable(m["value"])})
    subtitle = f"Not on the log axis (0, inf or NaN): {layer_list(missing)}" if missing else []
    return alt.layer(*layers).properties(
        title=alt.TitleParams(
            "FP16 dynamic range and this network's layers", subtitle=subtitle, anchor="start"
        ),
        height=alt.Step(40),
    )


def layer_table(reports: list, ranges: list, names: list[str]) -> pd.DataFrame:
    """One row per layer: magnitudes, and what each selected format did to the layer."""
    rows = []
    for report, spread in zip(reports, ranges, strict=True):
        row = {
            "layer": report.layer,
            **{label: getattr(spread, stat) for stat, label in STATISTICS.items()},
        }
        for name in names:
            label = LABELS[name]
            if name == INT8.name:
                row[f"{label} clipped"] = report.int8.frac_clipped
                row[f"{label} → 0"] = report.int8.frac_zero
                row[f"{label} SQNR (dB)"] = report.int8.sqnr_db
            else:
                cast = report.casts[name]
                row[f"{label} overflow"] = cast.frac_overflow
                row[f"{label} → 0"] = cast.frac_flushed_to_zero
                row[f"{label} subnormal"] = cast.frac_subnormal
        rows.append(row)
    return pd.DataFrame(rows)


def table_columns(frame: pd.DataFrame) -> dict:
    """Number formats of the per-layer table: magnitudes to 3 digits, shares as percentages."""
    config = {"layer": st.column_config.NumberColumn("layer", format="%d")}
    for column in frame.columns[1:]:
        if column.endswith("(dB)"):
            config[column] = st.column_config.NumberColumn(column, format="%.1f")
        elif column in STATISTICS.values():
            config[column] = st.column_config.NumberColumn(column, format="%.2e")
        else:
            config[column] = st.column_config.NumberColumn(column, format="percent")
    config[STATISTICS["low_percentile"]] = st.column_config.NumberColumn(
        STATISTICS["low_percentile"],
        format="%.2e",
        help=f"{LOW_PERCENTILE:g}% of the layer's nonzero |a| lie below this value",
    )
    return config


def no_failure_text(name: str) -> str:
    """What 'nothing broke' means for one format (first_failure's thresholds)."""
    zero = f"{FAILURE_ZERO_FRACTION:.0%}"
    if name == INT8.name:
        return (
            f"no layer clips {FAILURE_CLIP_FRACTION:.0%} or more of its values and none "
            f"loses {zero} or more to 0"
        )
    return f"nothing overflows and no layer loses {zero} or more of its values to 0"


# --------------------------------------------------------------------------- page

page_header("quantization")
st.markdown(
    "Low-precision formats store each activation in 16 or 8 bits. Each one has a largest "
    "value, a smallest value and a fixed budget of levels in between, and each is most accurate "
    "for numbers near 1. This page runs the network once in float32, then casts every layer's "
    "activations to FP16, BF16, FP8 and INT8 and counts what goes wrong: overflow to inf, "
    "values rounded away to zero, and rounding noise. The initialization decides which layer, "
    "if any, falls off the end of a format."
)

with st.sidebar:
    st.header("Network")
    init = choice_control("Weight initialization", "init", INIT_OPTIONS, "he_normal")
    activation = choice_control("Activation", "activation", ACTIVATION_OPTIONS, "relu")
    layers = int_control("Layers", "layers", 20, 1, 100)
    width = int_control("Units per layer", "width", 256, 2, 2048, widget="number", step=32)
    input_std = float_control(
        "Input std", "input_std", 1.0, 0.001, 1000.0, log=True, help="Inputs are N(0, std²)."
    )
    samples = int_control("Samples", "samples", 512, 1, 10_000, widget="number", step=64)
    seed = int_control("Seed", "seed", 0, 0, 999_999, widget="number")
    st.header("Quantization")
    calibration = choice_control(
        "INT8 calibration",
        "calibration",
        CALIBRATION_OPTIONS,
        "per_layer",
        "radio",
        help=f"Per layer: each layer gets the scale max|a| / {INT8.qmax} of its own values. "
        "Once, on layer 1: layer 1's scale is reused everywhere, as static post-training "
        "quantization does with a scale calibrated on one tensor.",
    )
    chosen = multi_choice_control(
        "Formats to show",
        "formats",
        {key: LABELS[name] for key, name in FORMAT_KEYS.items()},
        list(FORMAT_KEYS),
    )
    selected = [name for key, name in FORMAT_KEYS.items() if key in chosen]

try:
    analysis = analyze_network(
        init, activation, layers, width, input_std, samples, seed, calibration
    )
except ValueError as exc:
    show_engine_error(exc)
    st.stop()

reports, ranges = analysis["reports"], analysis["ranges"]

# What breaks first ---------------------------------------------------------------------------
st.subheader("What breaks first")
if not selected:
    st.info("Pick at least one format in the sidebar.", icon=":material/tune:")
    st.stop()
headline = first_failure(reports, selected)
if headline is None:
    st.success(
        f"None of the selected formats breaks in any of the {layers} layers.",
        icon=":material/check_circle:",
    )
else:
    st.markdown(f"**Earliest failure among the selected formats:** {headline}.")
verdicts = []
for name in selected:
    sentence = first_failure(reports, [name])
    if sentence is None:
        verdicts.append(f"- **{LABELS[name]}**: :green[{no_failure_text(name)}].")
    else:
        verdicts.append(f"- **{LABELS[name]}**: :red[{sentence}].")
st.markdown("\n".join(verdicts))
if all(spread.max_abs == 0.0 for spread in ranges):
    st.caption(
        "Every activation is exactly 0: nothing can overflow or round away, but the network "
        "is dead (see Signal propagation)."
    )
if analysis["overflow_message"]:
    st.caption(
        f"The float32 forward pass itself overflowed ({analysis['overflow_message']}); "
        "later layers hold inf/NaN before any cast."
    )

# Range against the formats --------------------------------------------------------------------
st.subheader("Each layer's activations against each format's range")
st.markdown(
    "Lines: the largest |a| decides overflow; the small |a| "
    f"({LOW_PERCENTILE:g}% of the nonzero values lie below it) decides what rounds to zero; "
    "the RMS is the typical size. ReLU's exact zeros are "
    "left out: they stay zero in every format. The shaded zones are each format's limits; for "
    "INT8 they follow the scale of each layer."
)
specs = chart_specs(
    init, activation, layers, width, input_std, samples, seed, calibration, tuple(selected)
)
show_spec(specs["panels"])
if specs["note"]:
    st.caption(f"{specs['note']} (dashed lines).")

st.subheader("FP16 dynamic range")
fp16 = dynamic_range_bands("float16")
st.markdown(
    f"Next to 1, FP16's step is {fp16['epsilon']:.3g}: values below "
    f"{fp16['underflow_label'].lstrip('< ')} are lost when added to values of order 1. "
    f"Unit-scale activations sit in {fp16['ideal_label']}; above "
    f"{fp16['overflow_label'].lstrip('> ')} a value becomes inf. The ticks mark each layer."
)
show_spec(specs["fp16_bar"])

# Table -------------------------------------------------------------------------------------
st.subheader("Per layer")
table = layer_table(reports, ranges, selected)
st.dataframe(table, column_config=table_columns(table), hide_index=True, width="stretch")
st.caption(
    "Overflow: share of finite values that became inf or NaN. → 0: share of nonzero values "
    "that became 0. Subnormal: share of nonzero values stored below the smallest normal number "
    f"(fewer significant bits). INT8 clipped: share beyond {INT8.qmax} × scale (only with a "
    "scale calibrated on layer 1). SQNR: signal-to-quantization-noise ratio."
)

# Why initialization matters --------------------------------------------------------------------
st.subheader("Why initialization is the first defence")
training, deployment = st.columns(2, gap="large")
with training:
    st.markdown("**Training in FP16**")
    fp16_max = FORMATS["float16"].max
    st.latex(
        rf"|a| > {fp16_max:,.0f} \;\Rightarrow\; a_\text{{FP16}} = \pm\infty".replace(",", "{,}")
    )
    st.markdown(
        f"FP16's largest finite number is {fp16_max:,.0f}. An initialization that makes the "
        "activations grow by a constant factor per layer crosses it after a few layers, the "
        "first inf spreads to the loss, and training stops. BF16 keeps float32's exponent "
        f"range (max {FORMATS['bfloat16'].max:.3g}) and pays with precision: its step next to "
        f"1 is {FORMATS['bfloat16'].epsilon:g} against FP16's {FORMATS['float16'].epsilon:g}. "
        "A variance-preserving initialization keeps every layer near 1, far from both ends."
    )
with deployment:
    st.markdown("**Deploying in INT8**")
    st.latex(
        rf"\begin{{aligned}} s &= \frac{{\max|x|}}{{{INT8.qmax}}} \\ "
        rf"q &= \operatorname{{clip}}\!\left(\operatorname{{round}}(x/s),\,-{INT8.qmax},"
        rf"\,{INT8.qmax}\right) \\ \hat x &= q\,s \end{{aligned}}"
    )
    st.markdown(
        f"INT8 spreads {INT8.levels} evenly spaced levels over ±{INT8.qmax} × s. In a vanishing "
        "network the later layers shrink below half a step of a scale fixed on layer 1 and "
        "quantize to zero; in an exploding one they run past the top level and clip. Even with "
        "a scale per layer, one large outlier makes every step coarse."
    )

examples = sqnr_examples()
uniform_db = uniform_int8_sqnr_db()
largest = max(e.samples for e in examples)
gaussian = next(e for e in examples if e.distribution == "gaussian" and e.samples == largest)
st.markdown("**How much noise INT8 adds: the shape of the signal matters**")
st.latex(
    r"\text{SQNR} = 10\log_{10}\frac{\sum x^2}{\sum (x-\hat x)^2}"
    rf"\;\approx\; 10\log_{{10}}\frac{{12\cdot {INT8.qmax}^2}}{{c^2}},"
    r"\qquad c = \frac{\max|x|}{\text{RMS}(x)}"
)
uniform_card, gaussian_card = st.columns(2)
uniform_card.metric("Uniform signal (c = √3, closed form)", f"{uniform_db:.1f} dB")
gaussian_card.metric(
    f"Gaussian signal, {gaussian.samples:,} values (measured)", f"{gaussian.sqnr_db:.1f} dB"
)
st.markdown(
    "A uniform signal fills the levels evenly. A Gaussian one has a long tail: its maximum "
    "sits several standard deviations out, so the step is coarse compared with the typical "
    "value, and the more values there are, the further out the maximum lies."
)
st.dataframe(
    pd.DataFrame(
        [
            {
                "signal": e.distribution,
                "values": e.samples,
                "crest factor c": e.crest_factor,
                "SQNR measured (dB)": e.sqnr_db,
                "SQNR from c (dB)": e.predicted_db,
            }
            for e in examples
        ]
    ),
    column_config={
        "values": st.column_config.NumberColumn(format="localized"),
        "crest factor c": st.column_config.NumberColumn(format="%.2f"),
        "SQNR measured (dB)": st.column_config.NumberColumn(format="%.1f"),
        "SQNR from c (dB)": st.column_config.NumberColumn(format="%.1f"),
    },
    hide_index=True,
)

with st.expander("Format limits (from ml_dtypes.finfo)"):
    st.dataframe(
        pd.DataFrame(format_band_table()).drop(columns="name"),
        column_config={
            "smallest_subnormal": st.column_config.NumberColumn(format="%.3e"),
            "smallest_normal": st.column_config.NumberColumn(format="%.3e"),
            "max": st.column_config.NumberColumn(format="%.4e"),
            "epsilon": st.column_config.NumberColumn(format="%.3e"),
        },
        hide_index=True,
    )

page_link_with_params(
    "signal_propagation",
    {
        "init": init,
        "activation": activation,
        "layers": layers,
        "width": width,
        "input_std": input_std,
        "samples": samples,
        "seed": seed,
    },
    "Open this network in Signal propagation",
)
