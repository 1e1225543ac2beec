"""Training: the same network trained from each initialization on the same data, its health at
initialization next to how it trained (engine: lab/experiments/training.py; controls:
lab/controls/training.py)."""

from __future__ import annotations

import streamlit as st

from lab.controls.training import (
    CONTROLS,
    DATA_NAMES,
    INIT_NAMES,
    NETWORK_NAMES,
    SCHEME_PARAMETER_NAMES,
    TRAINING_NAMES,
)
from lab.experiments.training import config_from_values, run
from pages.ui.charts import show_spec
from pages.ui.engine import cached_with_progress, result_or_stop
from pages.ui.memo import page_of
from pages.ui.registry import get_page, page_header
from pages.ui.text import plain
from pages.ui.training_charts import (
    CURVE_MIN_WIDTH,
    GRADIENTS_TAB,
    PANEL_COLUMNS,
    PANEL_MIN_WIDTH,
    REGIONS_TAB,
    SYMLOG_CONSTANT,
    SYMMETRY_TAB,
    TABS_KEY,
    training_view,
)
from pages.ui.widgets import Section, draw_controls

PAGE_KEY = "training"
PHASE_PAGE = "phase_diagram"
SECTIONS = (
    Section("Data", DATA_NAMES),
    Section("Initializations", INIT_NAMES),
    Section("Network", NETWORK_NAMES),
    Section("Training", TRAINING_NAMES, expander=True),
    Section("Scheme parameters", SCHEME_PARAMETER_NAMES, expander=True),
)
run_cached = cached_with_progress(run, text="Training every initialization…")


def panels(charts: list[tuple[dict, str]]) -> None:
    """Small multiples, up to PANEL_COLUMNS to a row and none narrower than PANEL_MIN_WIDTH
    (the grid drops a column first), each with its note ('' for none) below."""
    grid = st.grid(PANEL_COLUMNS, min_column_width=PANEL_MIN_WIDTH, gap="medium")
    for spec, note in charts:
        show_in_grid(grid, spec, note)


def show_in_grid(grid, spec: dict, note: str) -> None:
    """The chart in the grid's next cell, with its note below when there is one. A chart
    without a note is a cell of its own: one element fewer to send on every run."""
    if not note:
        with grid:
            show_spec(spec)
        return
    with grid.cell():
        show_spec(spec)
        st.caption(note)


page_header(PAGE_KEY)
st.markdown(
    "Initialization is not only about the first forward pass: it decides whether a network "
    "trains, and how many epochs it wastes first. Here one network is trained several times on "
    "the same data, with the same minibatches and the same random draws; only the rule that "
    "scales the first weights changes. Choose the initializations, the data and the network in "
    "the sidebar."
)

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(run_cached, config_from_values, values)

for note in result.notes:
    st.info(note, icon=":material/speed:")
st.subheader(result.heading)
st.caption(result.data_caption)
view = training_view(result)  # built once per result: a rerun only sends it

# --------------------------------------------------------------------------- wasted epochs

st.subheader("Wasted epochs: health at initialization and outcome")
st.markdown(plain(result.fastest))
st.dataframe(
    view.table,
    hide_index=True,
    width="stretch",
    column_config={
        "initialization": st.column_config.TextColumn("initialization"),
        "health": st.column_config.TextColumn(
            "health at init", help="The forward signal's state at initialization."
        ),
        "verdict": st.column_config.TextColumn(
            "verdict",
            help="Does the scheme suit the activation? Mean-field theory, before training.",
        ),
        "to_target": st.column_config.TextColumn(
            "epochs to target", help="The first epoch whose training loss reaches the target."
        ),
        "behind": st.column_config.TextColumn(
            "behind the fastest", help="Epochs wasted compared with the fastest."
        ),
        "train_loss": st.column_config.TextColumn("final training loss"),
        "train_accuracy": st.column_config.TextColumn("training accuracy"),
        "held_out_accuracy": st.column_config.TextColumn("held-out accuracy"),
    },
)
st.caption(result.target_caption)
with st.expander("Why these verdicts"):
    # One element for the key and every initialization's lines (a run sends each element on
    # its own).
    st.markdown(
        "\n\n".join(
            [
                "*Health*: Signal propagation's diagnosis of the same hidden layers at "
                "initialization, with a unit-variance Gaussian input. *Verdict*: whether the "
                "scheme's weight scale suits the activation.",
                *(
                    f"**{plain(o.label)}**: {plain(o.health_message)}. {plain(o.verdict_reason)}"
                    for o in result.outcomes
                ),
            ]
        )
    )

# --------------------------------------------------------------------------- curves

st.subheader("Loss and accuracy, epoch by epoch")
curves = st.grid(2, min_column_width=CURVE_MIN_WIDTH, gap="medium")
show_in_grid(curves, view.loss, result.loss_note)
show_in_grid(curves, view.accuracy, result.accuracy_note)
st.caption(
    "Solid: the training part; dashed: the held-out part. Epoch 0 is the network at initialization."
)

# --------------------------------------------------------------------------- after training

st.subheader("Inside the trained networks")
# Three views in lazy tabs: only the open one is drawn, so a rerun sends a third of the panels.
labels = [GRADIENTS_TAB, *([REGIONS_TAB] if result.boundaries else []), SYMMETRY_TAB]
tabs = dict(zip(labels, st.tabs(labels, key=TABS_KEY, on_change="rerun"), strict=True))

if tabs[GRADIENTS_TAB].open:
    with tabs[GRADIENTS_TAB]:
        panels(
            [
                (spec, panel.note)
                for spec, panel in zip(view.gradients, result.gradients, strict=True)
            ]
        )
        st.caption(
            f"The size of dL/dW_l for each weight layer, the read-out last (layer "
            f"{result.ran.layers + 1}), on a log axis: epoch 0 is the whole training set's "
            "gradient at initialization, later epochs the root mean square over the epoch's "
            "minibatch steps. Layers whose gradient lies decades below the others learn far "
            "more slowly."
        )

if REGIONS_TAB in tabs and tabs[REGIONS_TAB].open:
    with tabs[REGIONS_TAB]:
        panels([(spec, "") for spec in view.boundaries])
        st.caption(
            "Each panel: the class the trained network predicts at every point of the plane "
            "(paler where it is less sure), under the training points. The title gives the "
            "training accuracy."
        )

if tabs[SYMMETRY_TAB].open:
    with tabs[SYMMETRY_TAB]:
        st.markdown("**Do the hidden units stay identical?**")
        show_spec(view.symmetry)
        if result.symmetry_note:
            st.caption(result.symmetry_note)
        st.caption(
            "The largest distance between the incoming weights of two units of the same hidden "
            "layer, over every hidden layer: 0 while the units are identical. The axis is close "
            f"to linear below {SYMLOG_CONSTANT:g} and logarithmic above, so that 0 sits on it."
        )
        for line in result.symmetry_lines:
            st.markdown(f"- {plain(line)}")
        if not any(o.tied for o in result.outcomes):
            st.caption(
                "None of the chosen initializations starts with identical units: add Zeros or "
                "Constant c in the sidebar to watch a symmetry that never breaks."
            )
        st.markdown(
            "Units of a layer that start with the same incoming weights compute the same "
            "output for every input, so backpropagation hands them the same gradient, and the "
            "update keeps them equal: after any number of steps they are still copies of one "
            "another, and the layer works like a single unit. Nothing in gradient descent can "
            "tell them apart; random weights make them different from the first step, and their "
            "scale (Xavier, He) keeps the signal's size (Goodfellow, Bengio & Courville 2016, "
            "section 8.4)."
        )
        # One short formula per st.latex: KaTeX does not wrap; a phone shows about 30 characters.
        st.latex(r"w_i = w_j \;\Rightarrow\; \partial L / \partial w_i = \partial L / \partial w_j")

phase = get_page(PHASE_PAGE)
st.page_link(
    page_of(phase), label="Where do the schemes sit between order and chaos?", icon=phase.icon
)
