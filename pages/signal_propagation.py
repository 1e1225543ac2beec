"""Signal propagation: the spread of activations and gradients layer by layer, simulated at
finite width and predicted by mean-field theory (infinite width). No math here: lab/ computes."""

from __future__ import annotations

import math
from collections.abc import Iterable

import altair as alt
import pandas as pd
import streamlit as st

from lab.activations import ACTIVATION_NAMES, get_activation
from lab.diagnosis import EXPLODING_RATIO, VANISHING_RATIO, match_verdict, recommended_init
from lab.initializers import SCHEME_NAMES, get_initializer
from lab.network import NetworkConfig
from lab.signal import (
    gradient_prediction,
    layer_table,
    mean_field_phase,
    network_view,
    summarize_signal,
)
from lab.theory import predict
from pages.common import (
    cached_simulate,
    choice_control,
    float_control,
    int_control,
    log_line_chart,
    page_link_with_params,
    show_chart,
    show_engine_error,
)

INIT_LABELS = {name: get_initializer(name).label for name in SCHEME_NAMES}
ACTIVATION_LABELS = {name: get_activation(name).label for name in ACTIVATION_NAMES}
BIAS_STD_OPTIONS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
NODES_PER_LAYER = 5
VIEW_DECADES = 3.0
SIMULATED = "simulation"
THEORY = "theory (infinite width)"
#: Series colours and the overflow mark: readable on light and dark themes.
SIMULATION_COLOR = "#1c7ed6"
THEORY_COLOR = "#f08c00"
OVERFLOW_COLOR = "#e03131"
#: Relative widths of the result-card columns: the first holds the longest value, a scheme name.
CARD_COLUMNS = [1.4, 1.0, 1.0]


@st.cache_data(max_entries=64, show_spinner=False)
def theory_for(
    init: str,
    activation: str,
    layers: int,
    width: int,
    input_std: float,
    bias_std: float,
    samples: int,
):
    """Mean-field forward and backward prediction and the phase (lab.theory, lab.signal)."""
    prediction = predict(init, activation, layers, width, input_std=input_std, bias_std=bias_std)
    gradients = gradient_prediction(prediction, activation, samples)
    phase = mean_field_phase(init, activation, width, bias_std)
    return prediction, gradients, phase


@st.cache_data(max_entries=64, show_spinner=False)
def advice_for(init: str, activation: str, width: int):
    """The recommended init for the activation, its label, and the match verdict."""
    recommendation = recommended_init(activation)
    label = get_initializer(recommendation.init, **dict(recommendation.params)).label
    return recommendation, label, match_verdict(init, activation, width=width)


def series_rows(layers: Iterable[int], stds: Iterable[float], series: str) -> list[dict]:
    """Chart rows {layer, series, std} of one line."""
    return [
        {"layer": int(layer), "series": series, "std": float(std)}
        for layer, std in zip(layers, stds, strict=True)
    ]


def show_series_chart(
    simulated: list[dict], theory: list[dict] | None, title: str, y_title: str
) -> None:
    """Simulation and theory on a log axis, in the same two colours on every chart; the theory
    comes first so that the simulation's line is drawn on top of it."""
    rows = (theory or []) + simulated
    colors = ([THEORY_COLOR] if theory else []) + [SIMULATION_COLOR]
    chart = log_line_chart(rows, "layer", "std", "series", title, y_title)
    # log_line_chart's "~g" axis format gets one significant digit from d3 when the ticks are 10
    # apart ("1e+1" for layer 10); layer numbers are integers. The x range covers every layer,
    # also those whose values cannot sit on the log axis (0, inf/NaN).
    layer_numbers = [row["layer"] for row in rows]
    chart.layer[0].encoding.x.axis = alt.Axis(format="d", tickMinStep=1)
    chart.layer[0].encoding.x.scale = alt.Scale(
        domain=[min(layer_numbers) - 0.5, max(layer_numbers) + 0.5], nice=False
    )
    show_chart(chart.configure_range(category=colors))


def number_text(value: float | None) -> str:
    """A measured number for a card: 3 significant digits, "inf/NaN" when not finite."""
    if value is None or not math.isfinite(value):
        return "inf/NaN"
    return f"{value:.3g}"


st.title("Signal propagation")
st.markdown(
    "A deep network hands its signal from layer to layer. Each layer multiplies it by a random "
    "matrix and bends it with a nonlinearity; if one layer changes the signal's scale by some "
    "factor, twenty layers change it by that factor to the twentieth power. Choose a weight "
    "initializer and an activation in the sidebar and follow the spread of the activations "
    "forward, and of the gradients backward, through every layer."
)

with st.sidebar:
    st.header("Network")
    init = choice_control("Weight initialization", "init", INIT_LABELS, "he_normal")
    activation = choice_control("Activation", "activation", ACTIVATION_LABELS, "relu")
    layers = int_control("Layers", "layers", 20, 1, 100)
    width = int_control(
        "Units per layer", "width", 256, 2, 2048, widget="number", help="Every layer's width n."
    )
    input_std = float_control(
        "Input std", "input_std", 1.0, 0.001, 1000.0, log=True, help="Inputs are N(0, std²)."
    )
    samples = int_control(
        "Samples", "samples", 500, 1, 10_000, widget="number", help="Input rows in the batch."
    )
    seed = int_control("Seed", "seed", 0, 0, 999_999, widget="number")
    with st.expander("Advanced"):
        bias_std = float_control(
            "Bias std",
            "bias_std",
            0.0,
            0.0,
            1.0,
            options=BIAS_STD_OPTIONS,
            help="Biases are N(0, std²); 0 means no bias.",
        )

try:
    config = NetworkConfig(
        init=init,
        activation=activation,
        layers=layers,
        width=width,
        samples=samples,
        input_std=input_std,
        bias_std=bias_std,
        seed=seed,
    )
    result = cached_simulate(config)
    prediction, gradients, phase = theory_for(
        init, activation, layers, width, input_std, bias_std, samples
    )
    recommendation, recommended_label, verdict = advice_for(init, activation, width)
except ValueError as error:
    show_engine_error(error)
    st.stop()

summary = summarize_signal(result)
init_label, activation_label = INIT_LABELS[init], ACTIVATION_LABELS[activation]

# --------------------------------------------------------------------------- result cards

st.subheader(f"{init_label} + {activation_label}, {layers} layers of {width} units")
if summary.overflow_message:
    st.warning(
        f"{summary.overflow_message}: the float32 forward pass ran out of range, and every "
        "later layer holds inf/NaN.",
        icon=":material/warning:",
    )
if summary.backward_overflow_message:
    st.warning(summary.backward_overflow_message + ".", icon=":material/warning:")

first, second, third = st.columns(CARD_COLUMNS)
with first:
    st.metric(
        "Final-layer std",
        number_text(summary.final_std),
        help=f"Std of a_{layers}, the last layer's activations; the input's is "
        f"{number_text(summary.input_std)}.",
    )
with second:
    st.metric(
        "Ratio to input (RMS)",
        number_text(summary.rms_ratio),
        help="Root mean square of the last layer's activations over the input's: the scale "
        "that Xavier and He keep at 1.",
    )
with third:
    st.metric("Signal state", summary.diagnosis.state)
    st.caption(summary.diagnosis.message)
    if get_activation(activation).saturates and math.isfinite(summary.final_saturated):
        st.caption(
            f"{summary.final_saturated:.1%} of the last layer's pre-activations lie beyond ±2, "
            f"where {activation_label} is flat and passes almost no gradient."
        )

first, second, third = st.columns(CARD_COLUMNS)
with first:
    st.metric(f"Recommended for {activation_label}", recommended_label)
    st.caption(recommendation.reason)
with second:
    st.metric("Match verdict", verdict.label)
    st.caption(verdict.reason)
with third:
    if phase.applicable:
        st.metric("Mean-field phase", phase.phase)
        st.caption(
            f"χ₁ = {number_text(phase.chi1)} (gradient variance factor per layer), depth scale "
            f"ξ = {'∞' if math.isinf(phase.depth_scale) else number_text(phase.depth_scale)} "
            f"layers, σ_w² = n Var(W) = {number_text(phase.sw2)}."
        )
    else:
        st.metric("Mean-field phase", "not applicable")
        st.caption(phase.reason)

st.caption(
    f"States: vanishing below {VANISHING_RATIO:g} times the input's RMS, exploding above "
    f"{EXPLODING_RATIO:g} times, dead when nearly every unit outputs exactly 0."
)

# --------------------------------------------------------------------------- forward chart

st.subheader("Forward: the activations, layer by layer")
forward_theory = None
if prediction.applicable:
    forward_theory = series_rows([0, *prediction.layers], [input_std, *prediction.post_std], THEORY)
show_series_chart(
    series_rows([0, *result.layers], [summary.input_std, *summary.forward_std], SIMULATED),
    forward_theory,
    "Std of the activations a_l (layer 0 = input)",
    "std of a_l (log scale)",
)
if prediction.applicable:
    st.caption(
        f"The theory line is the limit of infinitely wide layers. The simulation uses {width} "
        f"units and {samples} samples in float32, so it scatters around the line, a little "
        "more with every layer; a wider network or another seed shows how much."
    )
else:
    st.caption(f"No theory line: {prediction.reason}.")

st.latex(
    r"\operatorname{Var}(z_l) = n_{l-1}\,\operatorname{Var}(W_l)\;"
    r"\mathbb{E}\!\left[a_{l-1}^2\right],\qquad z_l = a_{l-1} W_l + b_l,\quad a_l = \phi(z_l)"
)
st.markdown(
    "**Forward condition (Glorot & Bengio, 2010).** The variance survives a layer unchanged "
    "when n Var(W) = 1, right for a linear unit and for tanh near zero. **He et al. (2015)** "
    "noticed that ReLU passes only the positive half, E[ReLU(z)²] = Var(z)/2, so they double "
    "the weights' variance: n Var(W) = 2. Xavier with ReLU therefore halves E[a²] at every "
    "layer. What He keeps constant is the mean square E[a²]: ReLU outputs are never negative, "
    "so their std sits below their root mean square, and the std line settles a little below "
    "the input's after layer 1."
)
st.latex(
    r"q_l = \sigma_w^2\,\mathbb{E}_{z\sim\mathcal{N}(0,1)}\!\left[\phi\!\left(\sqrt{q_{l-1}}\,"
    r"z\right)^2\right] + \sigma_b^2,\qquad \sigma_w^2 = n\operatorname{Var}(W),\;"
    r"\sigma_b^2 = \operatorname{Var}(b)"
)
st.markdown(
    "**The theory line** (mean-field theory, Poole et al. 2016) treats every layer as "
    "infinitely wide, so each pre-activation is exactly Gaussian with variance q_l and the "
    "whole network reduces to the recursion above. Weights with a nonzero mean (rand, "
    "constants) break its assumptions, and then no line is drawn."
)

# --------------------------------------------------------------------------- backward charts

st.subheader("Backward: the gradients, layer by layer")
theory_a = theory_w = None
if gradients.applicable:
    theory_a = series_rows(gradients.layers, gradients.grad_post_std, THEORY)
    theory_w = series_rows(gradients.layers, gradients.grad_weight_std, THEORY)
left, right = st.columns(2, gap="medium")
with left:
    show_series_chart(
        series_rows(result.layers, summary.grad_post_std, SIMULATED),
        theory_a,
        "Std of dL/da_l (the output's gradient is N(0, 1))",
        "std of dL/da_l (log scale)",
    )
with right:
    show_series_chart(
        series_rows(result.layers, summary.grad_weight_std, SIMULATED),
        theory_w,
        f"Std of dL/dW_l (summed over {samples} samples)",
        "std of dL/dW_l (log scale)",
    )
if summary.gradient_state == "overflow":
    st.caption(
        "Backward signal: **overflow**. The backward pass ran through inf/NaN, so the simulated "
        "gradients below that point mean nothing and are left out (marked inf/NaN)."
    )
else:
    st.caption(
        f"Backward signal: **{summary.gradient_state}**; the gradient reaching layer 1 has "
        f"{number_text(summary.gradient_ratio)} times the std it had at layer {layers}. Read the "
        "plots from right to left: the backward pass starts at the output."
    )
st.latex(
    r"\operatorname{Var}\!\left(\frac{\partial L}{\partial a_{l-1}}\right) = \chi_1\,"
    r"\operatorname{Var}\!\left(\frac{\partial L}{\partial a_l}\right),\qquad "
    r"\chi_1 = \sigma_w^2\,\mathbb{E}\!\left[\phi'(z)^2\right],\qquad "
    r"\xi = \frac{1}{\lvert \ln \chi_1 \rvert}"
)
st.markdown(
    "Backward, each layer multiplies the gradient's variance by χ₁ (Schoenholz et al. 2017). "
    "Below 1 the network is **ordered** and gradients vanish toward the input, above 1 it is "
    "**chaotic** and they explode, at 1 it sits on the **edge of chaos**. The depth scale ξ "
    "counts the layers over which the gradient variance changes by a factor e."
)

# --------------------------------------------------------------------------- network view

st.subheader("Network view")
layer_shares = [0.0, *summary.nonfinite.tolist()]
layer_stds = [summary.input_std, *result.post.std.tolist()]
view = pd.DataFrame(
    network_view(
        layer_stds,
        layer_shares,
        summary.input_std,
        nodes_per_layer=NODES_PER_LAYER,
        decades=VIEW_DECADES,
    )
)
table = layer_table(result)
states = ["input"] + [row["status"] for row in table]
view["state"] = [states[layer] for layer in view["layer"]]
view["std_text"] = [number_text(std) if std is not None else "inf/NaN" for std in view["std"]]
x_axis = alt.X(
    "layer:Q",
    title="layer (0 = input)",
    axis=alt.Axis(format="d", tickMinStep=1),
    scale=alt.Scale(domain=[-0.5, layers + 0.5], nice=False),
)
y_axis = alt.Y("node:O", axis=None)
tooltip = [
    alt.Tooltip("layer:Q", title="layer"),
    alt.Tooltip("std_text:N", title="std of a_l"),
    alt.Tooltip("log_ratio:Q", title="log10(std / input std), clipped", format=".3f"),
    alt.Tooltip("state:N", title="state"),
]
ratio_domain = [-VIEW_DECADES, VIEW_DECADES]
# Largest node area (px²) so that neighbouring columns do not overlap in a ~900 px wide plot.
largest_node = min(480.0, max(60.0, (0.8 * 900.0 / (layers + 1)) ** 2))
nodes = (
    alt.Chart(view[view["kind"] != "overflow"])
    .mark_circle(opacity=1.0, stroke="#868e96", strokeWidth=1)
    .encode(
        x=x_axis,
        y=y_axis,
        color=alt.Color(
            "log_ratio:Q",
            scale=alt.Scale(scheme="viridis", domain=ratio_domain),
            title=["log10(std /", "input std)"],
        ),
        # Size reads "level" (the same log scale mapped to [0, 1]): a size without legend on the
        # colour's own field would make Vega-Lite drop the merged colour legend too.
        size=alt.Size(
            "level:Q", scale=alt.Scale(domain=[0, 1], range=[6.0, largest_node]), legend=None
        ),
        tooltip=tooltip,
    )
)
crosses = (
    alt.Chart(view[view["kind"] == "overflow"])
    .mark_point(
        shape="cross", filled=True, size=largest_node / 2.0, color=OVERFLOW_COLOR, opacity=1.0
    )
    .encode(x=x_axis, y=y_axis, tooltip=tooltip)
)
view_subtitle = (
    f"Size and brightness: the layer's std on a log scale, clipped at ±{VIEW_DECADES:g} decades "
    "around the input's; dark = vanished, red cross = inf/NaN."
)
show_chart(
    alt.layer(nodes, crosses)
    .properties(
        title=alt.TitleParams(
            "Layers left to right, one column of nodes per layer",
            subtitle=view_subtitle,
            anchor="start",
        ),
        height=220,
    )
    .configure_view(strokeWidth=0)
)

# --------------------------------------------------------------------------- per-layer table

st.subheader("Per-layer statistics")
st.dataframe(
    pd.DataFrame(table),
    hide_index=True,
    width="stretch",
    column_config={
        "layer": st.column_config.NumberColumn("layer", format="%d"),
        "width": st.column_config.NumberColumn("units", format="%d"),
        "pre_std": st.column_config.NumberColumn("std of z", format="%.3g"),
        "mean": st.column_config.NumberColumn("mean of a", format="%.3g"),
        "std": st.column_config.NumberColumn("std of a", format="%.3g"),
        "max_abs": st.column_config.NumberColumn("max |a|", format="%.3g"),
        "rms_ratio": st.column_config.NumberColumn("RMS / input RMS", format="%.3g"),
        "frac_zero": st.column_config.NumberColumn("exact zeros", format="percent"),
        "frac_saturated": st.column_config.NumberColumn(
            "|z| > 2",
            format="percent",
            help="Share of pre-activations beyond ±2, where tanh and sigmoid are flat.",
        ),
        "frac_nonfinite": st.column_config.NumberColumn("inf/NaN", format="percent"),
        "grad_std": st.column_config.NumberColumn("std of dL/da", format="%.3g"),
        "status": st.column_config.TextColumn("state"),
    },
)
st.caption(
    "None: the layer has no finite values (overflow), or its gradient passed through inf/NaN."
)

page_link_with_params(
    "quantization",
    {
        "init": init,
        "activation": activation,
        "layers": layers,
        "width": width,
        "input_std": input_std,
        "seed": seed,
        "samples": samples,
    },
    "Open this network in Quantization range: where do these activations fit in float16, "
    "bfloat16, FP8 and INT8?",
)
