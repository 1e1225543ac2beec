"""Phase diagram: the mean-field (sigma_w^2, sigma_b^2) plane of a deep network at initialization,
the edge of chaos, the schemes' points, and how deep a network still trains (engine:
lab/experiments/phase_diagram.py; controls: lab/controls/phase_diagram.py)."""

from __future__ import annotations

import streamlit as st

from lab.controls.phase_diagram import (
    CONTROLS,
    DIAGRAM_NAMES,
    POINT_NAMES,
    TRAINABILITY_NAMES,
)
from lab.experiments.phase_diagram import (
    config_from_values,
    run,
    run_trainability,
    trainability_from_values,
)
from pages.ui.charts import show_spec
from pages.ui.engine import cached, cached_with_progress, result_or_stop
from pages.ui.memo import page_of
from pages.ui.phase_charts import plane_spec, points_table, trainability_spec
from pages.ui.registry import get_page, page_header
from pages.ui.text import plain, show_engine_error
from pages.ui.widgets import Section, draw_controls

PAGE_KEY = "phase_diagram"
SIGNAL_PAGE = "signal_propagation"
SECTIONS = (
    Section("Plane", DIAGRAM_NAMES),
    Section("Points", POINT_NAMES),
    Section("Trainability grid", TRAINABILITY_NAMES, expander=True),
)
#: Link buttons per row under the plane.
LINK_COLUMNS = 3
run_cached = cached(run, spinner="Computing the plane…")
trainability_cached = cached_with_progress(
    run_trainability, text="Training the networks of the grid…"
)

page_header(PAGE_KEY)
st.markdown(
    "Mean-field theory treats every layer of a deep network as infinitely wide. Then two "
    "numbers decide what the network does to its signal at initialization: the weight scale "
    "σ_w² = n Var(W) and the bias variance σ_b². In one part of their plane the network "
    "forgets the differences between its inputs and its gradients vanish (**ordered**), in the "
    "other it amplifies every difference and its gradients explode (**chaotic**); the "
    "**edge of chaos** between them is where deep networks train (Poole et al. 2016; "
    "Schoenholz et al. 2017)."
)

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(run_cached, config_from_values, values)

# --------------------------------------------------------------------------- the plane

st.subheader(result.heading)
if result.plane.edge_outside:
    st.info(result.plane.edge_outside, icon=":material/info:")
heatmap = str(values["heatmap"])
show_spec(plane_spec(result, heatmap))
st.caption(
    f"Colour: {result.heatmaps[heatmap]} at each cell (plain grey: undefined, where the "
    "variance grows without bound). "
    + (
        "On the χ₁ scale the near-white middle is χ₁ close to 1, around the edge of chaos. "
        if heatmap == "chi1"
        else ""
    )
    + (
        f"ξ is capped at {result.xi_shown_max:g} layers in the colours; it is infinite on the "
        "edge. "
        if heatmap == "xi"
        else ""
    )
    + "Hover a cell for its numbers; click a point to open it in Signal propagation."
)
if result.plane.jump_note:
    st.caption(result.plane.jump_note)
st.latex(r"\chi_1 = \sigma_w^2\,\mathbb{E}\!\left[\phi'(\sqrt{q^*}\,z)^2\right]")
st.latex(r"q^* = \sigma_w^2\,\mathbb{E}\!\left[\phi(\sqrt{q^*}\,z)^2\right] + \sigma_b^2")

st.dataframe(
    points_table(result),
    hide_index=True,
    width="stretch",
    column_config={
        "point": st.column_config.TextColumn("point"),
        "sw2": st.column_config.NumberColumn("σ_w²", format="%.4g"),
        "sb2": st.column_config.NumberColumn("σ_b²", format="%.4g"),
        "chi1": st.column_config.NumberColumn("χ₁", format="%.4g"),
        "xi": st.column_config.TextColumn("ξ (layers)"),
        "phase": st.column_config.TextColumn("phase"),
        "depth": st.column_config.TextColumn(
            f"{result.trainable_depth_scales:g} ξ", help="About the deepest trainable depth."
        ),
    },
)
st.caption(
    "σ_w² of a scheme is n Var(W) on square layers (fan-in = fan-out = n): Xavier and LeCun "
    "both give 1 there, He gives 2, PyTorch's tanh gain 5/3 gives 25/9. Every point has the "
    "bias std chosen in the sidebar."
)
st.markdown(plain(result.point_caption))

signal = get_page(SIGNAL_PAGE)
st.markdown("Open a point in Signal propagation, with its scheme, activation and bias:")
for start in range(0, len(result.points), LINK_COLUMNS):
    row = result.points[start : start + LINK_COLUMNS]
    for column, point in zip(st.columns(LINK_COLUMNS), row, strict=False):
        with column:
            st.page_link(
                page_of(signal), label=point.label, icon=signal.icon, query_params=point.link
            )

# --------------------------------------------------------------------------- gradients

st.subheader("What ordered and chaotic mean for the gradients")
st.markdown(
    "Backpropagation multiplies the gradient's variance by χ₁ at every layer. In the "
    "**ordered** phase (χ₁ < 1) the gradient reaching layer 1 of an L-layer network is about "
    "χ₁^L of the one at the top: it vanishes, and the first layers barely learn. In the "
    "**chaotic** phase (χ₁ > 1) it grows as χ₁^L: it explodes, and nearby inputs end up with "
    "unrelated outputs, so what the network learns does not generalize. At the **edge of "
    "chaos** (χ₁ = 1) the gradient keeps its size through any depth."
)
st.latex(r"\xi = -1 / \ln \chi_c")
st.markdown(
    "The depth scale ξ counts the layers over which information about the input survives: "
    "two inputs' correlation approaches its fixed point like e^(−l/ξ), with χ_c the slope of "
    "the correlation map there (χ_c = χ₁ in the ordered phase). Schoenholz et al. found that a "
    f"network trains when its depth is below about {result.trainable_depth_scales:g} ξ. On the "
    "edge ξ is infinite, so any depth trains."
)

# --------------------------------------------------------------------------- trainability

st.subheader("Which depths train? Accuracy over (σ_w², depth)")
st.markdown(
    "Schoenholz et al. trained networks over a grid of weight scales and depths and drew "
    f"{result.trainable_depth_scales:g} ξ over the result. The same experiment, small: each "
    "cell is one network trained for a fixed number of steps."
)
try:
    panel = trainability_cached(trainability_from_values(values))
except ValueError as error:
    show_engine_error(error)
    st.stop()
st.markdown(
    f"**This grid: {panel.setting}**, the paper's setting, whatever the sidebar chose for the "
    "plane above (its steps and seed are yours)."
)
if panel.budget_note:
    st.info(panel.budget_note, icon=":material/speed:")
show_spec(trainability_spec(panel))
st.caption(panel.caption)
if panel.trained_any:
    st.markdown(
        "Near the edge of chaos the deepest networks train; moving away from it, the trainable "
        "depth shrinks with ξ on both sides, and networks several ξ too deep stay near chance. "
        "The caption gives where the trainable region of this grid ends in units of ξ on each "
        f"side, to compare with the {result.trainable_depth_scales:g} ξ line of the paper."
    )
else:
    st.markdown(
        f"No network of this grid reached {panel.trained_accuracy:.0%} accuracy: these steps "
        "are too few to train any depth. More steps show the trainable region around the edge "
        "of chaos."
    )
training = get_page("training")
st.page_link(
    page_of(training), label="Train one network from each initialization", icon=training.icon
)
