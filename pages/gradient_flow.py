"""Gradient flow: uniform (rand) versus normal (randn) weights in a deep tanh network.

Every number comes from lab.gradient_flow; this script reads the controls and draws.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from lab.activations import get_activation
from lab.gradient_flow import (
    DEFAULT_SAMPLES,
    DEFAULT_SWEEP_SEEDS,
    NORMAL_KIND,
    SWEEP_RANGES,
    Comparison,
    ManyRuns,
    Sweep,
    compare,
    many_runs,
    sweep,
    weight_scheme,
)
from lab.network import SATURATION_THRESHOLD
from pages.common import (
    ANNOTATION_COLOR,
    choice_control,
    int_control,
    log_line_chart,
    show_chart,
    show_engine_error,
    widget_key,
)

UNIFORM_OPTIONS = {
    "rand": "rand: U[0, 1)",
    "centered": "U(-1, 1)",
    "matched": "matched variance U(-√3, √3)",
}
PAGE_MAX_RUNS = 200
#: Uniform red, normal teal (as in the demo); both readable on light and dark backgrounds.
SCHEME_COLORS = ("#d6336c", "#1098ad")
LEGEND_LABEL_LIMIT = 280
SWEEP_TITLES = {
    "layers": "Varying the number of layers",
    "neurons": "Varying neurons per layer",
    "features": "Varying input features",
}

# --------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=64, show_spinner="Simulating both networks…")
def cached_compare(layers: int, neurons: int, features: int, seed: int, uniform: str) -> Comparison:
    return compare(layers, neurons, features, DEFAULT_SAMPLES, seed, uniform)


@st.cache_data(max_entries=32, show_spinner="Running many networks…")
def cached_many_runs(
    n_runs: int, layers: int, neurons: int, features: int, seed: int, uniform: str
) -> ManyRuns:
    return many_runs(
        n_runs, layers=layers, neurons=neurons, features=features, seed=seed, uniform=uniform
    )


# --------------------------------------------------------------------------- formatting, charts


def fmt(value: float) -> str:
    """Short display text of an engine number: 0, ∞ and NaN spelled out."""
    if math.isnan(value):
        return "undefined (0/0)"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def add_runs(key: str, count: int, limit: int) -> None:
    """Button callback: add ``count`` runs to the collected runs (at most ``limit``)."""
    st.session_state[key] = min(limit, int(st.session_state.get(key, 0)) + count)


def reset_runs(key: str) -> None:
    """Button callback: forget the collected runs."""
    st.session_state[key] = 0


def z_distribution_chart(result: Comparison, tanh_slope_at_threshold: float) -> alt.TopLevelMixin:
    """Overlaid |z| histograms of both schemes with the saturation threshold marked."""
    frames = []
    for flow in (result.uniform, result.normal):
        z = flow.z
        total = max(z.count, 1)
        frames.append(
            pd.DataFrame(
                {
                    "scheme": flow.scheme.label,
                    "left": z.edges[:-1],
                    "right": z.edges[1:],
                    "share": z.counts / total,
                    "count": z.counts,
                    "bin": [
                        f"[{a:g}, {b:g})" for a, b in zip(z.edges[:-1], z.edges[1:], strict=True)
                    ],
                }
            )
        )
    data = pd.concat(frames, ignore_index=True)
    order = [result.uniform.scheme.label, result.normal.scheme.label]
    bars = (
        alt.Chart(data)
        .mark_bar(opacity=0.55, binSpacing=0)
        .encode(
            x=alt.X("left:Q", title="|z| (pre-activation magnitude, all layers)"),
            x2="right:Q",
            y=alt.Y("share:Q", title="share of all z", axis=alt.Axis(format="~%"), stack=None),
            y2=alt.datum(0),
            color=alt.Color(
                "scheme:N",
                title="weights",
                scale=alt.Scale(domain=order, range=list(SCHEME_COLORS)),
                legend=alt.Legend(orient="top-right"),
            ),
            tooltip=[
                alt.Tooltip("scheme:N", title="weights"),
                alt.Tooltip("bin:N", title="|z| in"),
                alt.Tooltip("count:Q", title="values"),
                alt.Tooltip("share:Q", title="share", format=".2%"),
            ],
        )
    )
    note = (
        f"|z| = {SATURATION_THRESHOLD:g}: tanh′ = {tanh_slope_at_threshold:.2g}, saturated beyond"
    )
    marker = pd.DataFrame({"x": [SATURATION_THRESHOLD], "note": [note]})
    rule = (
        alt.Chart(marker)
        .mark_rule(strokeDash=[5, 3], strokeWidth=2, color=ANNOTATION_COLOR)
        .encode(x="x:Q", tooltip=alt.Tooltip("note:N", title="threshold"))
    )
    text = (
        alt.Chart(marker)
        .mark_text(align="left", baseline="top", dx=5, dy=4, color=ANNOTATION_COLOR)
        .encode(x="x:Q", y=alt.value(0), text="note:N")
    )
    subtitle = "Saturated (|z| > {:g}): {}".format(
        SATURATION_THRESHOLD,
        "; ".join(
            f"{flow.scheme.label} {flow.z.saturated_share:.1%}"
            for flow in (result.uniform, result.normal)
        ),
    )
    return (
        alt.layer(bars, rule, text)
        .properties(
            title=alt.TitleParams(
                "Where the pre-activations land", subtitle=subtitle, anchor="start"
            ),
            height=300,
        )
        .configure_legend(labelLimit=LEGEND_LABEL_LIMIT)
    )


def ratio_chart(
    frame: pd.DataFrame,
    x: str,
    x_title: str,
    title: str,
    subtitle: list[str],
    scatter: pd.DataFrame,
    *,
    connect: bool = True,
) -> alt.LayerChart:
    """Ratio normal/uniform on a log axis with a rule at 1x.

    ``frame`` has columns x, ratio, normal_final, uniform_final, wins; ``scatter`` has x and
    ratio of single runs (drawn faintly). ``connect`` joins the points with a line (a sweep);
    independent runs are left unconnected. A log axis cannot show ∞ (uniform gradient exactly 0)
    or 0/0: those points are drawn on the top edge as ▲ (∞) and ◆ (0/0).
    """
    frame = frame.copy()
    frame["kind"] = [
        "finite" if math.isfinite(r) and r > 0 else ("inf" if math.isinf(r) else "undefined")
        for r in frame["ratio"]
    ]
    finite_values = [r for r in frame["ratio"] if math.isfinite(r) and r > 0]
    finite_values += [r for r in scatter["ratio"] if math.isfinite(r) and r > 0]
    if finite_values:
        low = min([1.0, *finite_values]) / 2.0
        high = max([1.0, *finite_values]) * 4.0
    else:  # nothing to place on the axis: a decade either side of the 1x rule
        low, high = 0.1, 10.0
    top = high
    frame["shown"] = [
        r if k == "finite" else top for r, k in zip(frame["ratio"], frame["kind"], strict=True)
    ]
    frame["ratio_text"] = [fmt(r) for r in frame["ratio"]]
    frame["normal_text"] = [fmt(v) for v in frame["normal_final"]]
    frame["uniform_text"] = [fmt(v) for v in frame["uniform_final"]]
    y_scale = alt.Scale(type="log", domain=[low, high], clamp=True)
    tooltip = [
        alt.Tooltip(f"{x}:Q", title=x_title),
        alt.Tooltip("ratio_text:N", title="normal / uniform"),
        alt.Tooltip("normal_text:N", title="normal final gradient"),
        alt.Tooltip("uniform_text:N", title="uniform final gradient"),
        alt.Tooltip("wins:N", title="normal wins"),
    ]
    # Integer x ticks as plain numbers; a log axis spanning many decades in exponent notation.
    x_enc = alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format="d", tickMinStep=1))
    y_axis = alt.Axis(format="~g" if high / low <= 1e4 else ".0e", grid=True, tickCount=5)
    layers: list[alt.Chart] = []
    shown_scatter = scatter[[math.isfinite(r) and r > 0 for r in scatter["ratio"]]]
    if not shown_scatter.empty:
        layers.append(
            alt.Chart(shown_scatter)
            .mark_point(size=18, opacity=0.35, filled=True, color="gray")
            .encode(x=x_enc, y=alt.Y("ratio:Q", scale=y_scale, axis=y_axis))
        )
    finite = frame[frame["kind"] == "finite"]
    if not finite.empty:
        layers.append(
            alt.Chart(finite)
            .mark_line(point=True, opacity=1 if connect else 0)
            .encode(
                x=x_enc,
                y=alt.Y("shown:Q", title="normal / uniform (log)", scale=y_scale, axis=y_axis),
                tooltip=tooltip,
            )
        )
    marks = frame[frame["kind"] != "finite"]
    if not marks.empty:
        layers.append(
            alt.Chart(marks)
            .mark_point(size=90, filled=True, opacity=1, color=ANNOTATION_COLOR)
            .encode(
                x=x_enc,
                y=alt.Y("shown:Q", title="normal / uniform (log)", scale=y_scale, axis=y_axis),
                shape=alt.Shape(
                    "kind:N",
                    scale=alt.Scale(domain=["inf", "undefined"], range=["triangle-up", "diamond"]),
                    legend=None,
                ),
                tooltip=tooltip,
            )
        )
    one = pd.DataFrame({"y": [1.0], "note": ["1×: above, normal wins; below, uniform wins"]})
    layers.append(
        alt.Chart(one)
        .mark_rule(strokeDash=[6, 3], strokeWidth=1.5, color="gray")
        .encode(
            y=alt.Y("y:Q", scale=y_scale, axis=y_axis),
            tooltip=alt.Tooltip("note:N", title="rule"),
        )
    )
    return alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"), height=260
    )


def sweep_frame(result: Sweep) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(points, single runs, subtitle) of one sweep for ``ratio_chart``."""
    runs = len(result.seeds)
    frame = pd.DataFrame(
        {
            "value": result.values,
            "ratio": result.ratio,
            "normal_final": result.normal_final,
            "uniform_final": result.uniform_final,
            "wins": [f"{int(w)} of {runs} seeds" for w in result.normal_wins],
        }
    )
    scatter = pd.DataFrame(
        {
            "value": [v for v in result.values for _ in range(runs)],
            "ratio": result.run_ratios.reshape(-1),
        }
    )
    dead = [int(v) for v, r in zip(result.values, result.ratio, strict=True) if math.isinf(r)]
    fixed = ", ".join(f"{name} {value}" for name, value in result.base.items())
    subtitle = [f"{fixed}; {runs} seeds (grey: each seed)"]
    if dead:
        subtitle.append(f"▲ ∞: uniform gradient 0 at {len(dead)} of {len(result.values)} values")
    return frame, scatter, subtitle


@st.cache_data(max_entries=64, show_spinner=False)
def comparison_charts(
    layers: int, neurons: int, features: int, seed: int, uniform: str
) -> tuple[alt.TopLevelMixin, alt.LayerChart]:
    """The gradient-per-layer and |z| charts of one configuration (built once, then cached:
    building and validating Altair specs is the slowest part of a rerun)."""
    result = cached_compare(layers, neurons, features, seed, uniform)
    gradient = log_line_chart(
        result.gradient_rows(),
        "layer",
        "gradient",
        "scheme",
        "Gradient magnitude per layer (mean |dL/dW|), output layer on the right",
        "mean |dL/dW_l| (log)",
        x_title="layer",
    )
    tanh_slope = float(get_activation("tanh").derivative(SATURATION_THRESHOLD))
    gradient = gradient.configure_range(category=list(SCHEME_COLORS)).configure_legend(
        labelLimit=LEGEND_LABEL_LIMIT
    )
    return gradient, z_distribution_chart(result, tanh_slope)


@st.cache_data(max_entries=96, show_spinner="Sweeping…")
def sweep_chart(
    parameter: str, fixed: tuple[tuple[str, int], ...], seed: int, uniform: str
) -> alt.LayerChart:
    """The ratio chart of one sweep (engine call and chart, cached together)."""
    result = sweep(parameter, seed=seed, uniform=uniform, **dict(fixed))
    frame, scatter, subtitle = sweep_frame(result)
    return ratio_chart(frame, "value", parameter, SWEEP_TITLES[parameter], subtitle, scatter)


@st.cache_data(max_entries=32, show_spinner=False)
def runs_chart(
    n_runs: int, layers: int, neurons: int, features: int, seed: int, uniform: str
) -> alt.LayerChart:
    """Each run's ratio, as a chart."""
    stats = cached_many_runs(n_runs, layers, neurons, features, seed, uniform)
    per_run = pd.DataFrame(
        {
            "value": stats.seeds,
            "ratio": stats.run_ratios,
            "normal_final": stats.normal_final,
            "uniform_final": stats.uniform_final,
            "wins": stats.run_winners,
        }
    )
    return ratio_chart(
        per_run,
        "value",
        "seed",
        "Each run's normal / uniform ratio",
        [f"{stats.n_runs} runs, seeds {seed} to {seed + stats.n_runs - 1}"],
        pd.DataFrame({"value": [], "ratio": []}),
        connect=False,
    )


# --------------------------------------------------------------------------- page

st.title("Gradient flow: rand vs randn")
st.markdown(
    "On the way back to the first layer, the error signal is multiplied by one weight matrix "
    "and one tanh slope per layer. Here two copies of the same tanh network are built, one "
    "with **uniform** weights and one with **normal** weights (`randn`); both get the same "
    "inputs and start from the same output gradient, and the lab measures how much gradient "
    "reaches each layer. A well-known demo credits the bell shape of the normal distribution "
    "for its win. Switch the uniform weights in the sidebar, from `rand` to a centred uniform "
    "to one with the variance matched, and find out what really matters."
)

with st.sidebar:
    st.subheader("Network")
    layers = int_control("Hidden layers", "layers", 10, *SWEEP_RANGES["layers"])
    neurons = int_control("Neurons per layer", "neurons", 50, *SWEEP_RANGES["neurons"])
    features = int_control("Input features", "features", 64, *SWEEP_RANGES["features"])
    seed = int_control(
        "Seed", "seed", 0, 0, 9999, widget="number", help="Same seed, same inputs for both."
    )
    uniform_kind = choice_control(
        "Uniform weights",
        "uniform",
        UNIFORM_OPTIONS,
        "rand",
        "segmented",
        help="rand as in the demo; U(-1, 1) centres it; U(-√3, √3) also matches randn's variance.",
    )
    st.subheader("Many runs")
    per_click = int_control("N (runs per click)", "n", 20, 1, 100)
    runs = int_control(
        "Runs collected",
        "runs",
        0,
        0,
        PAGE_MAX_RUNS,
        widget="number",
        help="Run k uses seed + k - 1 for both networks, so a link reproduces the statistics.",
    )
runs_key = widget_key("runs")

try:
    result = cached_compare(layers, neurons, features, seed, uniform_kind)
except ValueError as exc:
    show_engine_error(exc)
    st.stop()

uniform_label, normal_label = result.uniform.scheme.label, result.normal.scheme.label

st.subheader("One pair of networks")
st.caption("First-layer gradient, mean |dL/dW₁|: what the layer farthest from the loss gets.")
cols = st.columns(4)
cols[0].metric(uniform_label, fmt(result.uniform.final_gradient))
cols[1].metric(normal_label, fmt(result.normal.final_gradient))
cols[2].metric("normal / uniform", fmt(result.ratio) + ("×" if math.isfinite(result.ratio) else ""))
cols[3].metric("larger gradient", result.winner)

gradient_figure, z_figure = comparison_charts(layers, neurons, features, seed, uniform_kind)
show_chart(gradient_figure)
st.caption(
    f"Both backward passes start at the output (layer {result.layers}, right) from the same "
    f"gradient dL/da = {result.output_gradient:.3g} per output entry (the loss is the mean "
    f"output of {DEFAULT_SAMPLES} input samples) and end at layer 1 (left): a first layer "
    "with a tiny gradient barely learns. A value of exactly 0 cannot sit on a log axis: it is "
    "marked instead."
)
for flow in (result.uniform, result.normal):
    if flow.zero_gradient_layers:
        dead = flow.zero_gradient_layers
        where = (
            "every layer" if len(dead) == result.layers else f"layers {', '.join(map(str, dead))}"
        )
        st.info(
            f"**{flow.scheme.label}: the gradient is exactly 0 in {where}.** Not small: zero. "
            "The tanh units are so deep in saturation that 1 − tanh²(z) rounds to 0, and "
            "nothing passes back through them.",
            icon=":material/block:",
        )

show_chart(z_figure)
table = pd.DataFrame(
    [
        {
            "weights": flow.scheme.label,
            "weight mean": flow.scheme.mean,
            "weight variance": flow.scheme.variance,
            "avg |z|": flow.z.mean_abs,
            "std of z": flow.z.std,
            f"saturated (|z| > {SATURATION_THRESHOLD:g})": flow.z.saturated_share,
            "layers with gradient exactly 0": ", ".join(map(str, flow.zero_gradient_layers))
            or "none",
        }
        for flow in (result.uniform, result.normal)
    ]
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "weights": st.column_config.TextColumn(width="medium"),
        "weight mean": st.column_config.NumberColumn(format="%.4g"),
        "weight variance": st.column_config.NumberColumn(format="%.4g"),
        "avg |z|": st.column_config.NumberColumn(format="%.3g"),
        "std of z": st.column_config.NumberColumn(format="%.3g"),
        f"saturated (|z| > {SATURATION_THRESHOLD:g})": st.column_config.NumberColumn(
            format="percent"
        ),
    },
)

st.subheader("Why: the mean and the variance, not the bell shape")
rand_scheme = weight_scheme("rand")
normal_scheme = weight_scheme(NORMAL_KIND)
st.markdown(
    f"**The mean.** `rand` draws from U[0, 1): mean {rand_scheme.mean:g}, variance "
    f"{rand_scheme.variance:.4g}. Every weight is positive, so each unit of a layer adds up "
    "its inputs with the same sign and all units get nearly the same large sum. |z| grows "
    "with the layer width, tanh saturates, and its slope 1 − tanh²(z) rounds to exactly 0: "
    "no gradient passes. Centring the weights removes this."
)
st.latex(
    r"\mathbb{E}[U(0,1)] = \tfrac12,\quad \operatorname{Var}(U(0,1)) = \tfrac1{12}"
    r"\qquad\qquad \operatorname{Var}\big(U(-b,b)\big) = \frac{b^2}{3}"
)
centered_scheme = weight_scheme("centered")
matched_scheme = weight_scheme("matched")
st.markdown(
    f"**The variance.** U(−1, 1) is centred but has variance {centered_scheme.variance:.4g}, "
    f"against {normal_scheme.variance:g} for `randn`: its pre-activations are smaller, and so "
    "is the factor the gradient gains per layer. Setting b = √3 gives variance "
    f"{matched_scheme.variance:.4g}. **The shape** hardly matters, because a pre-activation is "
    "a sum of many independent terms: by the central limit theorem it is close to normal "
    "whatever the weights look like, and only their mean and variance survive."
)
st.latex(
    r"z_j = \sum_{i=1}^{n} w_{ij}\, a_i \;\approx\; "
    r"\mathcal{N}\!\Big(n\,\mathbb{E}[w]\,\bar a,\;\; n \operatorname{Var}(w)\, \overline{a^2}\Big)"
)
st.markdown(
    "With the variances matched the two networks give the same gradients up to run-to-run "
    "noise: the many-runs statistics below split about half and half. With only a few neurons "
    "per layer the sums have too few terms for the central limit theorem and the shape still "
    "shows (see the neurons sweep). Note also that a variance of 1 is far too large for these "
    "fan-ins whichever shape you pick: most tanh units saturate (table above) and the gradient "
    "grows towards the input. Scaling the variance with the fan-in (Xavier/Glorot, "
    "LeCun) is the real fix; *larger* first-layer gradient here does not mean *better*."
)

st.subheader("Sweeps: normal / uniform ratio of the first-layer gradient")
base = {"layers": layers, "neurons": neurons, "features": features}
sweep_columns = st.columns(3)
for column, parameter in zip(sweep_columns, ("layers", "neurons", "features"), strict=True):
    fixed = tuple((name, value) for name, value in base.items() if name != parameter)
    with column:
        try:
            show_chart(sweep_chart(parameter, fixed, seed, uniform_kind))
        except ValueError as exc:
            show_engine_error(exc)
st.caption(
    f"Each point is the mean first-layer gradient of the normal networks over that of the "
    f"uniform ones, over seeds {seed} to {seed + DEFAULT_SWEEP_SEEDS - 1}; the sizes not swept "
    "are the sidebar's. Above the dashed 1× rule the normal weights give the larger gradient."
)

st.subheader("Statistics over many runs")
buttons = st.columns([1, 1, 1, 3])
buttons[0].button(
    "Run once", on_click=add_runs, args=(runs_key, 1, PAGE_MAX_RUNS), icon=":material/play_arrow:"
)
buttons[1].button(
    f"Run {per_click} times",
    on_click=add_runs,
    args=(runs_key, per_click, PAGE_MAX_RUNS),
    icon=":material/fast_forward:",
)
buttons[2].button("Reset", on_click=reset_runs, args=(runs_key,), icon=":material/restart_alt:")
if runs >= PAGE_MAX_RUNS:
    buttons[3].caption(f"At most {PAGE_MAX_RUNS} runs are collected on this page.")

if runs == 0:
    st.info(
        "No runs collected yet: **Run once** adds one fresh pair of networks (the next seed), "
        f"**Run {per_click} times** adds {per_click}.",
        icon=":material/touch_app:",
    )
else:
    try:
        stats = cached_many_runs(runs, layers, neurons, features, seed, uniform_kind)
    except ValueError as exc:
        show_engine_error(exc)
        st.stop()
    cols = st.columns(4)
    cols[0].metric("Simulations (pairs)", stats.n_runs)
    cols[1].metric("Uniform: avg first-layer gradient", fmt(stats.uniform_mean))
    cols[2].metric("Normal: avg first-layer gradient", fmt(stats.normal_mean))
    cols[3].metric(
        "Normal wins", f"{stats.normal_wins} of {stats.n_runs} ({stats.normal_win_share:.0%})"
    )
    details = [
        f"geometric means: uniform {fmt(stats.uniform_geometric_mean)}, normal "
        f"{fmt(stats.normal_geometric_mean)}",
        f"ratio of the averages {fmt(stats.ratio_of_means)}",
        f"uniform wins {stats.uniform_wins}, ties {stats.ties}",
    ]
    if stats.uniform_dead or stats.normal_dead:
        details.append(
            f"gradient exactly 0 in {stats.uniform_dead} uniform and "
            f"{stats.normal_dead} normal runs"
        )
    if math.isfinite(stats.log_ratio_std):
        details.append(
            f"ln(normal / uniform) per run: mean {stats.log_ratio_mean:+.3f}, "
            f"spread (std) {stats.log_ratio_std:.3f}"
        )
    st.caption("; ".join(details) + ".")
    show_chart(runs_chart(runs, layers, neurons, features, seed, uniform_kind))
