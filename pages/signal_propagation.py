"""Signal propagation: the spread of activations and gradients layer by layer, simulated at
finite width and predicted by mean-field theory (engine: lab/experiments/signal_propagation.py;
controls: lab/controls/signal_propagation.py)."""

from __future__ import annotations

import streamlit as st

from lab.controls.network import DRAW_NAMES
from lab.controls.registry import SIMULATION_PAGES
from lab.controls.signal_propagation import CONTROLS
from lab.experiments.signal_propagation import Card, config_from_values, run
from lab.signal import MISSING_TEXT
from pages.ui.charts import show_spec
from pages.ui.engine import cached, result_or_stop
from pages.ui.memo import page_of
from pages.ui.registry import get_page, page_header
from pages.ui.signal_charts import chart_specs, layer_table
from pages.ui.widgets import Section, draw_controls

PAGE_KEY = "signal_propagation"
SECTIONS = (
    Section("Network", tuple(name for name in CONTROLS.names if name not in DRAW_NAMES)),
    Section("Input and draws", DRAW_NAMES, expander=True),
)
#: Width of a result card (px): three fit beside each other on a wide screen, and every value
#: breaks only between words. Cards wrap to as many rows as the page's width needs (three
#: columns broke "mismatch" and "saturated" mid-word at 800 px).
CARD_WIDTH = 270
QUANTIZATION = "quantization"
run_cached = cached(run)


def show_cards(cards: tuple[Card, ...]) -> None:
    """A row of result cards, each with its sentences below, wrapping on a narrow page."""
    row = st.container(horizontal=True, gap="medium")
    for card in cards:
        with row.container(width=CARD_WIDTH):
            st.metric(card.label, card.value, help=card.help or None)
            for caption in card.captions:
                st.caption(caption)


page_header(PAGE_KEY)
st.markdown(
    "A deep network hands its signal from layer to layer. Each layer multiplies it by a random "
    "matrix and bends it with a nonlinearity; if one layer changes the signal's scale by some "
    "factor, twenty layers change it by that factor to the twentieth power. Choose a weight "
    "initializer and an activation in the sidebar and follow the spread of the activations "
    "forward, and of the gradients backward, through every layer."
)

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(run_cached, config_from_values, values)

# Built once per result and shared by every rerun (pages.ui.signal_charts).
specs = chart_specs(result)

# --------------------------------------------------------------------------- result cards

st.subheader(result.heading)
if result.budget_note:
    st.info(result.budget_note, icon=":material/speed:")
for line in result.warnings:
    st.warning(line, icon=":material/warning:")
show_cards(result.cards[:3])
show_cards(result.cards[3:])
st.caption(result.states_caption)

# --------------------------------------------------------------------------- forward chart

st.subheader("Forward: the activations, layer by layer")
show_spec(specs.forward)
st.caption(result.forward_caption)
# One short formula per st.latex: KaTeX does not wrap, and a phone shows about 30 characters.
st.latex(r"z_l = a_{l-1} W_l + b_l,\quad a_l = \phi(z_l)")
st.latex(
    r"\operatorname{Var}(z_l) = n_{l-1}\,\operatorname{Var}(W_l)\;"
    r"\mathbb{E}\!\left[a_{l-1}^2\right]"
)
st.markdown(
    "**Forward condition (Glorot & Bengio, 2010).** The variance survives a layer unchanged "
    "when n Var(W) = 1, right for a linear unit and for tanh near zero. **He et al. (2015)** "
    "noticed that ReLU passes only the positive half, E[ReLU(z)²] = Var(z)/2, so they double "
    "the weights' variance: n Var(W) = 2. Xavier with ReLU therefore halves E[a²] at every "
    "layer. What He keeps constant is the mean square E[a²]: ReLU outputs are never negative, "
    "so their std sits below their root mean square, and the theory's std line settles below "
    "the input's after layer 1; a finite network's line scatters around it, above or below."
)
st.latex(
    r"q_l = \sigma_w^2\,\mathbb{E}_{z\sim\mathcal{N}(0,1)}\!\left[\phi\!\left(\sqrt{q_{l-1}}\,"
    r"z\right)^2\right] + \sigma_b^2"
)
st.latex(r"\sigma_w^2 = n\operatorname{Var}(W),\quad \sigma_b^2 = \operatorname{Var}(b)")
st.markdown(
    "**The theory line** (mean-field theory, Poole et al. 2016) treats every layer as "
    "infinitely wide, so each pre-activation is exactly Gaussian with variance q_l and the "
    "whole network reduces to the recursion above. Weights with a nonzero mean (rand, "
    "constants) break its assumptions, and then no line is drawn."
)

# --------------------------------------------------------------------------- backward charts

st.subheader("Backward: the gradients, layer by layer")
# One below the other: side by side, each is too narrow for its title at 800 px.
show_spec(specs.grad_post)
show_spec(specs.grad_weight)
st.caption(result.gradient_caption)
st.latex(
    r"\operatorname{Var}\!\left(\frac{\partial L}{\partial a_{l-1}}\right) = \chi_1\,"
    r"\operatorname{Var}\!\left(\frac{\partial L}{\partial a_l}\right)"
)
st.latex(
    r"\chi_1 = \sigma_w^2\,\mathbb{E}\!\left[\phi'(z)^2\right],\qquad "
    r"\xi_\nabla = \frac{1}{\lvert \ln \chi_1 \rvert}"
)
st.markdown(
    "Backward, each layer multiplies the gradient's variance by χ₁ (Schoenholz et al. 2017). "
    "Below 1 the network is **ordered** and gradients vanish toward the input, above 1 it is "
    "**chaotic** and they explode, at 1 it sits on the **edge of chaos**. The gradient's depth "
    "scale ξ_∇ counts the layers over which the gradient variance changes by a factor e. The "
    "Phase diagram's ξ is the correlation depth scale: the same number in the ordered phase, "
    "longer in the chaotic one, where two inputs' correlation settles below 1."
)

# --------------------------------------------------------------------------- network view

st.subheader("Network view")
show_spec(specs.view)
st.caption(
    "One column of nodes per layer. Size and brightness: the layer's std on a log scale, "
    f"clipped at ±{result.view_decades:g} decades around the input's; dark = vanished, red "
    "cross = inf/NaN."
)

# --------------------------------------------------------------------------- per-layer table

st.subheader("Per-layer statistics")
# Text from the engine: Streamlit's "%.3g" prints 6.02e10 as 60200000000 and None as "None".
# An Arrow table built once per result; without the saturated column when nothing saturates.
st.dataframe(
    layer_table(result),
    hide_index=True,
    width="stretch",
    column_config={
        "layer": st.column_config.NumberColumn("layer", format="%d"),
        "width": st.column_config.NumberColumn("units", format="%d"),
        "pre_std": st.column_config.TextColumn("std of z"),
        "mean": st.column_config.TextColumn("mean of a"),
        "std": st.column_config.TextColumn("std of a"),
        "max_abs": st.column_config.TextColumn("max |a|"),
        "rms_ratio": st.column_config.TextColumn("RMS / input RMS"),
        "frac_zero": st.column_config.TextColumn("exact zeros"),
        "frac_saturated": st.column_config.TextColumn(
            result.saturation_label, help=result.saturation_help or None
        ),
        "frac_nonfinite": st.column_config.TextColumn("inf/NaN"),
        "grad_std": st.column_config.TextColumn("std of dL/da"),
        "status": st.column_config.TextColumn(
            "state",
            help="The layer's worst problem, in this order: overflow (forward or backward), "
            "underflow, dead, saturated; then the gradient from the output down to it "
            "(vanishing or exploding); then its activations' RMS or std against the input's. "
            "So a layer whose activations are fine reads vanishing when the gradient that "
            "reaches it has vanished, e.g. below a dead layer.",
        ),
    },
)
st.caption(
    f"{MISSING_TEXT}: no such number, because the layer has no finite values (overflow) or its "
    "gradient passed through inf/NaN."
)

# --------------------------------------------------------------------------- link

quantization = SIMULATION_PAGES[QUANTIZATION]
shared = {
    name: value for name, value in CONTROLS.applied(values).items() if name in quantization.names
}
st.markdown("Where do these activations fit in float16, bfloat16, FP8 and INT8?")
st.page_link(
    page_of(get_page(QUANTIZATION)),
    label="Open this network in Quantization range",
    icon=get_page(QUANTIZATION).icon,
    query_params=quantization.query(shared),
)
