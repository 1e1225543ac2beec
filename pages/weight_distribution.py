"""Weight distribution: sample one layer's weights under each scheme and set the histogram
against the scheme's exact law (engine: lab/weights.py, lab/initializers.py)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lab.initializers import TRUNCATED_NORMAL_STD, conv_fans, get_initializer
from lab.weights import (
    DEFAULT_SAMPLES,
    MAX_SAMPLES,
    applicable_params,
    natural_half_width,
    rand_vs_randn_shapes,
    weight_summary,
)
from pages.common import (
    ANNOTATION_COLOR,
    choice_control,
    float_control,
    histogram_chart,
    int_control,
    multi_choice_control,
    page_header,
    page_link_with_params,
    show_engine_error,
    show_spec,
    vega_spec,
)

SCHEMES = (
    "xavier_normal",
    "xavier_uniform",
    "glorot_truncated_normal",
    "he_normal",
    "he_uniform",
    "he_truncated_normal",
    "lecun_normal",
    "lecun_uniform",
    "lecun_truncated_normal",
    "torch_linear_default",
    "orthogonal",
)
DEFAULT_SCHEMES = ("xavier_normal", "xavier_uniform", "he_normal", "he_truncated_normal")
SCHEME_LABELS = {name: get_initializer(name).label for name in SCHEMES}
MAX_DENSE_FAN = 4096
MAX_CHANNELS = 1024
MAX_KERNEL = 11
MAX_SEED = 10_000
#: Heights of the whole chart element (Streamlit 1.67 fits title and axes inside it).
SCHEME_CHART_HEIGHT = 300
SHAPE_CHART_HEIGHT = 260
RULE_COLOR = "#868e96"  # mid grey: visible on light and dark backgrounds


# --------------------------------------------------------------------------- charts


def raise_y_max(spec: dict, top: float) -> dict:
    """Make room for an overlay reaching ``top``: ``histogram_chart`` caps its y scale at the
    tallest bar (``domainMax``), which would cut the exact-density line where it is higher."""
    for layer in spec.get("layer", []):
        scale = layer.get("encoding", {}).get("y", {}).get("scale", {})
        if "domainMax" in scale:
            scale["domainMax"] = max(scale["domainMax"], top)
    return spec


def share_y(specs: list[dict]) -> list[dict]:
    """Give every histogram the same y-axis top, so that bar heights compare across charts."""
    tops = [
        layer["encoding"]["y"]["scale"]["domainMax"]
        for spec in specs
        for layer in spec.get("layer", [])
        if "domainMax" in layer.get("encoding", {}).get("y", {}).get("scale", {})
    ]
    if tops:
        for spec in specs:
            raise_y_max(spec, max(tops))
    return specs


def overlay_chart(base: alt.LayerChart, grid, curve, pdf, markers) -> alt.LayerChart:
    """Histogram ``base`` plus the exact-density line and the vertical marker rules (added as
    layers of ``base``, which keeps its title and height)."""
    layers = []
    if curve is not None:
        line_data = pd.DataFrame(
            {"x": grid, "expected": curve, "pdf": pdf, "order": range(len(grid))}
        )
        layers.append(
            alt.Chart(line_data)
            .mark_line(color=ANNOTATION_COLOR, strokeWidth=2)
            .encode(
                x="x:Q",
                y="expected:Q",
                order="order:Q",
                tooltip=[
                    alt.Tooltip("x:Q", title="weight", format=".5g"),
                    alt.Tooltip("pdf:Q", title="exact density", format=".5g"),
                    alt.Tooltip("expected:Q", title="expected count per bin", format=".5g"),
                ],
            )
        )
    if markers:
        marks = pd.DataFrame({"x": [m.x for m in markers], "label": [m.label for m in markers]})
        layers.append(
            alt.Chart(marks)
            .mark_rule(color=RULE_COLOR, strokeDash=[5, 4], strokeWidth=1.5)
            .encode(x="x:Q", tooltip=alt.Tooltip("label:N", title="marker"))
        )
        for part, align, dx in (
            (marks[marks["x"] < 0], "right", -4),
            (marks[marks["x"] >= 0], "left", 4),
        ):
            if not part.empty:
                layers.append(
                    alt.Chart(part)
                    .mark_text(align=align, baseline="top", dx=dx, dy=18, color=RULE_COLOR)
                    .encode(x="x:Q", y=alt.value(0), text="label:N")
                )
    chart = base
    for extra in layers:
        chart = chart + extra
    return chart


# --------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=256, show_spinner=False)
def cached_half_width(name: str, fan_in: int, fan_out: int, params: tuple) -> float:
    return natural_half_width(name, fan_in, fan_out, dict(params))


@st.cache_data(max_entries=64, show_spinner="Sampling weights…")
def scheme_view(name, fan_in, fan_out, samples, seed, params: tuple, half_width):
    """(WeightSummary, Vega-Lite spec of its histogram) for one scheme."""
    summary = weight_summary(
        name,
        fan_in,
        fan_out,
        samples=samples,
        seed=seed,
        init_params=dict(params),
        half_width=half_width,
    )
    base = histogram_chart(
        summary.edges,
        summary.counts,
        f"{summary.samples:,} sampled weights",
        below=summary.below,
        above=summary.above,
        x_title="weight value",
        y_title="weights per bin",
        height=SCHEME_CHART_HEIGHT,
    )
    chart = overlay_chart(base, summary.grid, summary.curve_counts, summary.pdf, summary.markers)
    spec = vega_spec(chart)
    if summary.curve_counts is not None:
        raise_y_max(spec, float(summary.curve_counts.max()))
    return summary, spec


@st.cache_data(max_entries=16, show_spinner=False)
def shapes_view(samples: int, seed: int):
    """(ShapeSummary tuple, their Vega-Lite specs) for the rand-vs-randn section."""
    shapes = rand_vs_randn_shapes(samples, seed)
    specs = []
    for shape in shapes:
        base = histogram_chart(
            shape.edges,
            shape.counts,
            shape.label,
            below=shape.below,
            above=shape.above,
            x_title="value",
            y_title="draws per bin",
            height=SHAPE_CHART_HEIGHT,
        )
        spec = vega_spec(overlay_chart(base, shape.grid, shape.curve_counts, shape.pdf, ()))
        specs.append(raise_y_max(spec, float(shape.curve_counts.max())))
    return shapes, share_y(specs)


def latex_number(value: float) -> str:
    """``value`` to 4 significant digits in LaTeX (``1.3\\times 10^{-5}``, not ``1.3e-05``)."""
    mantissa, _, exponent = f"{value:.4g}".partition("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}" if exponent else mantissa


def scheme_latex(summary) -> str:
    """One line: the scheme's variance formula and its values for this layer."""
    variance = latex_number(summary.exact_variance)
    if summary.distribution == "orthogonal":
        pieces = [summary.formula, rf"\operatorname{{Var}}(W) = {variance}"]
    else:
        pieces = [rf"{summary.formula} = {variance}"]
    pieces.append(rf"\sigma = {latex_number(summary.exact_std)}")
    if summary.bound is not None:
        pieces.append(rf"b = \sqrt{{3}}\,\sigma = {latex_number(summary.bound)}")
    if summary.truncation is not None:
        pieces.append(
            rf"\text{{cut at }}\pm 2\sigma' = \pm {latex_number(summary.truncation)},"
            rf"\ \sigma' = \sigma / {TRUNCATED_NORMAL_STD:.4f}"
        )
    return r",\qquad ".join(pieces)


# --------------------------------------------------------------------------- page

page_header("weight_distribution")
st.markdown(
    "Every scheme here draws a layer's weights with mean zero and a variance set by the "
    "layer's size. The bars are real samples; the orange line is the exact density the "
    "scheme promises. A normal, a uniform and a truncated normal of the same variance look "
    "different, but they spread the weights equally: it is the **variance**, not the shape, "
    "that decides whether a signal keeps its size through many layers."
)
st.caption(
    "Layout: PyTorch stores a dense weight as (out, in), Keras/JAX as (in, out); in both, "
    "fan_in is the number of inputs feeding one unit and fan_out the number of units it feeds."
)

with st.sidebar:
    st.subheader("Layer")
    layer = choice_control(
        "Layer type", "layer", {"dense": "Dense", "conv": "Conv 2-D"}, "dense", "segmented"
    )
    if layer == "dense":
        fan_in = int_control("fan_in (inputs per unit)", "fan_in", 1024, 1, MAX_DENSE_FAN)
        fan_out = int_control("fan_out (units)", "fan_out", 512, 1, MAX_DENSE_FAN)
    else:
        in_channels = int_control("Input channels C_in", "c_in", 64, 1, MAX_CHANNELS)
        out_channels = int_control("Output channels C_out", "c_out", 128, 1, MAX_CHANNELS)
        kernel = int_control("Kernel size k (k x k)", "kernel", 3, 1, MAX_KERNEL)
        fan_in, fan_out = conv_fans(in_channels, out_channels, kernel)
    st.subheader("Schemes")
    schemes = multi_choice_control("Schemes to compare", "schemes", SCHEME_LABELS, DEFAULT_SCHEMES)
    he_mode = choice_control(
        "He mode",
        "he_mode",
        {"fan_in": "fan_in", "fan_out": "fan_out"},
        "fan_in",
        "segmented",
        help="fan_in keeps the forward signal's variance, fan_out the backward gradient's.",
    )
    slope = float_control(
        "Leaky-ReLU slope a (He)",
        "slope",
        0.0,
        0.0,
        1.0,
        step=0.01,
        help="He variance 2 / ((1 + a²) n). Applies to the PyTorch He variants; the Keras/JAX "
        "truncated He normal has a fixed scale of 2.",
    )
    st.subheader("Sampling")
    samples = int_control(
        "Weights sampled per scheme", "samples", DEFAULT_SAMPLES, 1000, MAX_SAMPLES, step=1000
    )
    seed = int_control("Seed", "seed", 0, 0, MAX_SEED, widget="number")

if layer == "dense":
    st.latex(rf"n_\text{{in}} = {fan_in},\qquad n_\text{{out}} = {fan_out}")
else:
    st.latex(
        rf"n_\text{{in}} = C_\text{{in}}\,k^2 = {in_channels}\cdot{kernel}^2 = {fan_in},\qquad "
        rf"n_\text{{out}} = C_\text{{out}}\,k^2 = {out_channels}\cdot{kernel}^2 = {fan_out}"
    )

control_params = {"mode": he_mode, "slope": slope}
params_of = {
    name: tuple(sorted(applicable_params(name, control_params).items())) for name in schemes
}

views = []
if not schemes:
    st.info("Pick at least one scheme in the sidebar to see its weights.", icon=":material/info:")
else:
    widths = []
    for name in schemes:
        try:
            widths.append(cached_half_width(name, fan_in, fan_out, params_of[name]))
        except ValueError as exc:
            show_engine_error(exc)
    common_half_width = max(widths) if widths else None
    for name in schemes:
        try:
            views.append(
                scheme_view(
                    name, fan_in, fan_out, samples, seed, params_of[name], common_half_width
                )
            )
        except ValueError as exc:
            show_engine_error(exc)

if views:
    st.caption(
        "Bars: sampled weights, all on one x-axis so the widths compare. Orange line: the exact "
        "density, scaled to the expected number of weights per bin. Dashed lines: the bounds "
        "±b of a uniform, or the cut points of a truncated normal (a bin that straddles one is "
        "only partly filled). Both axes are shared: a narrower law has taller bars."
    )
    share_y([spec for _, spec in views])
    for summary, spec in views:
        st.markdown(f"**{summary.label}**" + (f" · {summary.source}" if summary.source else ""))
        st.latex(scheme_latex(summary))
        if summary.singular_values is not None:
            st.caption(
                f"All {summary.singular_values.size} singular values of the sampled block lie "
                f"in [{summary.singular_values.min():.6g}, {summary.singular_values.max():.6g}]; "
                f"max |WᵀW − g²I| = {summary.orthogonality_error:.2g}. "
                f"{summary.ks_note[0].upper()}{summary.ks_note[1:]}."
            )
        show_spec(spec)

    st.subheader("Exact against sampled")
    summaries = [summary for summary, _ in views]
    table = pd.DataFrame(
        {
            "scheme": [s.label for s in summaries],
            "n": [s.fan for s in summaries],
            "Var exact": [s.exact_variance for s in summaries],
            "Var sampled": [s.sampled_variance for s in summaries],
            "std exact": [s.exact_std for s in summaries],
            "std sampled": [s.sampled_std for s in summaries],
            "b / cut": [s.bound if s.bound is not None else s.truncation for s in summaries],
            "max |w|": [s.sampled_max_abs for s in summaries],
            "mean": [s.sampled_mean for s in summaries],
            "KS D": [s.ks_statistic for s in summaries],
            "KS p": [s.ks_pvalue for s in summaries],
        }
    )
    number = st.column_config.NumberColumn(format="%.5g")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "n": st.column_config.NumberColumn(
                format="%.6g", help="The n of Var = scale / n: fan_in, fan_out or their mean."
            ),
            "Var exact": number,
            "Var sampled": number,
            "std exact": number,
            "std sampled": number,
            "b / cut": st.column_config.NumberColumn(
                format="%.5g",
                help="Exact. Uniform: bound b = √(3 Var). Truncated normal: cut point 2σ'.",
            ),
            "max |w|": st.column_config.NumberColumn(
                format="%.5g", help="Largest sampled |weight|: never beyond b or the cut."
            ),
            "mean": st.column_config.NumberColumn(
                format="%.3g", help="Sampled mean (exact: 0 for every scheme here)."
            ),
            "KS D": st.column_config.NumberColumn(
                format="%.3g", help="Kolmogorov-Smirnov D: largest gap between the CDFs."
            ),
            "KS p": st.column_config.NumberColumn(
                format="%.3g",
                help="Chance of a gap at least this large if the weights follow the exact law.",
            ),
        },
    )
    st.caption(
        "Kolmogorov-Smirnov test: a small D and a p-value that is not tiny mean the samples "
        "are consistent with the exact law. When the law is right, p is uniform on [0, 1], so "
        "p < 0.05 still turns up once in twenty seeds; a wrong law drives p towards 0. "
        "Orthogonal weights are not independent draws, so they get no KS test."
    )

# --------------------------------------------------------------------------- rand vs randn

st.header("rand vs randn")
try:
    shapes, shape_specs = shapes_view(samples, seed)
except ValueError as exc:
    show_engine_error(exc)
    st.stop()
by_name = {shape.name: shape for shape in shapes}
rand_shape, randn_shape = by_name["rand"], by_name["randn"]
centered, matched = by_name["uniform_centered"], by_name["uniform_matched"]
st.markdown(
    f"numpy's `rand` draws from U[0, 1): every weight is positive, with mean "
    f"{rand_shape.exact_mean:.4g} and variance {rand_shape.exact_variance:.4g}. "
    "That offset, not the missing bell shape, is what hurts: all-positive weights push a tanh "
    "layer into saturation and its gradients die. Centred, U(-1, 1) has mean "
    f"{centered.exact_mean:.4g} but variance {centered.exact_variance:.4g}, still a third of "
    f"randn's {randn_shape.exact_variance:.4g}. Stretched to U(-√3, √3) it matches randn's "
    f"mean and variance ({matched.exact_variance:.4g}); in a wide layer each unit sums many "
    "such weights, and by the central limit theorem the sum is Gaussian either way, so the "
    "two give the same signal and gradients within noise."
)
columns = st.columns(2)
for index, spec in enumerate(shape_specs):
    with columns[index % 2]:
        show_spec(spec)
st.dataframe(
    pd.DataFrame(
        {
            "law": [s.label for s in shapes],
            "numpy": [s.numpy_call for s in shapes],
            "exact mean": [s.exact_mean for s in shapes],
            "sampled mean": [s.sampled_mean for s in shapes],
            "exact variance": [s.exact_variance for s in shapes],
            "sampled variance": [s.sampled_variance for s in shapes],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        column: st.column_config.NumberColumn(format="%.4g")
        for column in ("exact mean", "sampled mean", "exact variance", "sampled variance")
    },
)
page_link_with_params(
    "gradient_flow", {}, "Watch the gradients: rand vs randn in a deep tanh network"
)
