"""Forward pass: push a batch through a deep network and watch every layer's distribution
(engine: lab/experiments/forward_pass.py; controls: lab/controls/forward_pass.py)."""

from __future__ import annotations

import streamlit as st

from lab.controls.forward_pass import CONTROLS
from lab.experiments.forward_pass import (
    Histograms,
    NetworkView,
    PairView,
    StateLine,
    SweepView,
    config_from_values,
    run,
)
from lab.text import plural
from pages.ui.engine import cached, result_or_stop
from pages.ui.forward_charts import (
    LAYERS_TABLE_KEY,
    layer_column_config,
    rows_table,
    show_line,
    show_panel_grid,
    show_panel_pairs,
)
from pages.ui.registry import page_header
from pages.ui.text import plain
from pages.ui.widgets import Section, draw_controls

PAGE_KEY = "forward_pass"
SECTIONS = (
    Section("Experiment", ("view",)),
    Section(
        "Network",
        (
            "init",
            "gain",
            "slope",
            "mode",
            "std",
            "bound",
            "value",
            "activation",
            "leaky_slope",
            "layers",
            "width",
            "samples",
            "input_std",
            "bias_std",
            "pair_layers",
            "sigma",
            "sigma_set",
        ),
    ),
    Section("Random draws", ("reps", "seed")),
    Section("Display", ("hist",)),
)
THEORY_NOTE = "Solid lines with dots: this simulation. Dashed: mean-field theory (infinite width)."
KIND_LABELS = CONTROLS["hist"].labels


def show_state(state: StateLine) -> None:
    """The network's state in one line: green when healthy, amber otherwise."""
    text = f"**{state.title}:** {plain(state.message)}."
    if state.healthy:
        st.success(text, icon=":material/check_circle:")
    else:
        st.warning(text, icon=":material/warning:")


def draw_network(view: NetworkView, kind: str, fixed: bool) -> None:
    if fixed:
        st.sidebar.caption(
            f"Fixed by this experiment: {plural(view.samples, 'sample')}, "
            f"{plural(view.layers, 'layer')} of {plural(view.width, 'unit')}. Pick **Your "
            "network** to change them."
        )
    show_state(view.state)
    st.caption(plain(view.fit))
    hist = view.histograms
    st.subheader(f"{KIND_LABELS[kind]} per layer")
    part = "" if len(hist.shown) == hist.depth else f" ({len(hist.shown)} of {hist.depth} layers)"
    st.caption(
        f"{plain(view.label)}: {plural(view.samples, 'sample')} × {plural(view.width, 'unit')} "
        f"per layer{part}. "
        f"{histogram_note(hist)}"
    )
    show_panel_grid(hist.panels[kind][0])
    show_line(view.std_chart)
    show_line(view.variance_chart)
    st.caption(THEORY_NOTE)
    if view.theory_reason:
        st.caption(f"No theory line: {plain(view.theory_reason)}.")

    st.subheader("The classic inits in this network")
    left_out = ", ".join(view.dropped)
    if not view.comparison_rows:
        st.caption(
            f"Not run beside a network this large, so that yours keeps its samples within the "
            f"lab's budget: {left_out}."
        )
    else:
        show_line(view.comparison)
        st.dataframe(rows_table(view.comparison_rows), hide_index=True, width="stretch")
        inputs = (
            "Same inputs, sizes and seed for every scheme."
            if view.comparison_samples == view.samples
            else f"Same sizes and seed for every scheme, on the first "
            f"{plural(view.comparison_samples, 'input')} of yours (the lab's budget)."
        )
        if left_out:
            inputs += f" Left out, so that yours keeps its samples: {left_out}."
        st.caption(f"{inputs} Ratio: the last layer's RMS over the input's; {view.state_band}.")
    # Lazy: the table is sent only while the expander is open.
    numbers = st.expander("Every layer's numbers", key=LAYERS_TABLE_KEY, on_change="rerun")
    if numbers.open:
        numbers.dataframe(
            rows_table(view.layer_rows),
            hide_index=True,
            width="stretch",
            column_config=layer_column_config(),
        )


def histogram_note(hist: Histograms) -> str:
    """How to read the histogram panels: their own axes, the band, the uncounted values."""
    band = f"[{hist.band[0]:g}, {hist.band[1]:g}]"
    return (
        f"To show every layer's shape, {hist.axis_rule}: read the scale off the axis and the "
        f"std in the title. Grey band with dashed ends: {band}, where a unit-variance signal "
        "keeps 99.7% of its values; a layer far wider than the band has grown, one that fits "
        "in a sliver of it has shrunk. Values beyond the axis and inf/NaN are counted in each "
        "panel's subtitle. A panel whose title gives a share of zeros (after ReLU, values "
        "exactly 0) leaves them out of its bars, so that the bars show the shape of the rest."
    )


def draw_pair(view: PairView, kind: str) -> None:
    st.sidebar.caption(
        f"{plural(view.samples, 'sample')}, {plural(view.width, 'unit')} per layer, Xavier "
        "normal weights, no bias."
    )
    st.markdown(
        "Same weights, same inputs: the only difference is the activation. Xavier's "
        "Var(W) = 1/n is right for the identity, but ReLU sets about half of the values to 0, "
        f"so E[a²] halves at every layer and the RMS falls as 2^(−l/2): after "
        f"{plural(view.layers, 'layer')}, to 2^(−{view.layers}/2) of the input's."
    )
    st.latex(r"\mathbb{E}\!\left[\mathrm{relu}(z)^2\right] = \tfrac12\,\operatorname{Var}(z)")
    for column, state in zip(st.columns(2), view.states, strict=True):
        with column:
            show_state(state)
    show_line(view.rms_chart)
    st.caption(THEORY_NOTE)
    left, right = view.histograms.names
    st.subheader(f"{KIND_LABELS[kind]} per layer: {left} (left) and {right} (right)")
    st.caption(histogram_note(view.histograms))
    show_panel_pairs(*view.histograms.panels[kind])


def draw_sweep(view: SweepView) -> None:
    row = ", ".join(f"{x:g}" for x in view.input_row)
    st.markdown(
        f"One input row X = [{row}] runs through {plural(view.layers, 'ReLU layer')} of "
        f"{plural(view.width, 'unit')} with weights W ~ N(0, σ²) and no bias. Every layer "
        "multiplies E[z²] by "
        f"{view.width}σ²/2 in expectation: below σ = {view.he_sigma:.3g} (He's "
        f"√(2/{view.width})) the signal vanishes, above it it grows. Type any σ in the "
        "sidebar (**Your σ**) to add it to the reference lines."
    )
    st.latex(
        rf"\begin{{aligned}}\mathbb{{E}}[z_{{l+1}}^2] &= {view.width}\,\sigma^2\,"
        rf"\mathbb{{E}}[a_l^2] \\ &= \tfrac{{{view.width}}}{{2}}\,\sigma^2\,"
        r"\mathbb{E}[z_l^2]\end{aligned}"
    )
    if view.repeats == 1:
        st.info(
            f"One weight draw with one input row and {view.width} units is very noisy: pool "
            "more draws to see the trend.",
            icon=":material/info:",
        )
    else:
        st.caption(
            f"With one input row and {view.width} units a single weight draw gives a very noisy "
            f"variance, so each point pools {view.repeats:,} independent draws "
            f"({view.values_per_layer:,} values per layer)."
        )
    show_line(view.pre_chart)
    st.caption(THEORY_NOTE)
    show_line(view.post_chart)
    st.caption(
        "No theory line here: the infinite-width value q(1/2 − 1/2π) assumes that every "
        f"unit sees an input of the same length, which {view.width} units do not give; "
        "pooled over draws, the true variance lies above it, more so with depth."
    )
    st.dataframe(rows_table(view.rows), hide_index=True, width="stretch")
    st.caption(
        "Every σ reuses the same standard-normal draws, scaled by σ (as the engine does for "
        "one seed), so the curves differ by the factor alone."
    )


# --------------------------------------------------------------------------- page

page_header(PAGE_KEY)
st.markdown(
    "A dense layer adds up its inputs, each multiplied by a random weight. The spread of that "
    "sum depends on how many inputs there are and on the weights' variance, and every layer "
    "applies the same factor again. Below, a batch of random inputs runs through a network at "
    "initialization, and every layer's distribution is drawn."
)
st.latex(  # one piece per line: KaTeX does not wrap, and a phone shows about 350 px
    r"\begin{gathered}\operatorname{Var}(z_l) = n_{l-1}\,\operatorname{Var}(W_l)\;"
    r"\mathbb{E}\!\left[a_{l-1}^2\right],\\ a_l = \phi(z_l)\end{gathered}"
)
st.markdown(
    "When the activations have mean zero, E[a²] = Var(a), which is the familiar "
    "Var(z) = n Var(W) Var(a). A linear layer passes E[a²] = Var(z) on, so Xavier's "
    "n Var(W) = 1 keeps the scale. ReLU keeps only E[a²] = Var(z)/2, so with Xavier the "
    "signal halves in E[a²] at every layer; He sets n Var(W) = 2 to win it back."
)

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(cached(run), config_from_values, values)

if result.budget_note:
    st.info(plain(result.budget_note), icon=":material/speed:")
if result.network is not None:
    draw_network(result.network, str(values["hist"]), fixed=values["view"] == "five_layers")
elif result.pair is not None:
    draw_pair(result.pair, str(values["hist"]))
elif result.sweep is not None:
    draw_sweep(result.sweep)
