"""Quantization range: where each layer's activations land in FP16, BF16, FP8 and INT8.

Prose, the declared controls (lab.controls.quantization), one cached engine call
(lab.experiments.quantization.run) and its charts (pages.ui.quantization_charts). No math here.
"""

from __future__ import annotations

import streamlit as st

from lab.controls.network import DRAW_NAMES
from lab.controls.quantization import CONTROLS, NETWORK_NAMES, QUANTIZATION_NAMES, network_values
from lab.controls.registry import SIMULATION_PAGES
from lab.experiments.quantization import TABLE_CAPTION, config_from_values, run
from lab.formats import FORMATS, INT8, LOW_PERCENTILE
from pages.ui.charts import show_spec
from pages.ui.engine import cached, result_or_stop
from pages.ui.memo import page_of
from pages.ui.quantization_charts import LIMITS_KEY, chart_specs, show_panels, tables
from pages.ui.registry import get_page, page_header
from pages.ui.text import latex_block
from pages.ui.widgets import Section, draw_controls

SECTIONS = (
    Section("Network", tuple(name for name in NETWORK_NAMES if name not in DRAW_NAMES)),
    Section("Input and draws", DRAW_NAMES, expander=True),
    Section("Quantization", QUANTIZATION_NAMES),
)
FP16, BF16 = FORMATS["float16"], FORMATS["bfloat16"]

page_header("quantization")
st.markdown(
    "Low-precision formats store each activation in 16 or 8 bits. Each one has a largest "
    "value, a smallest value and a fixed budget of levels in between, and each is most accurate "
    "for numbers near 1. This page runs the network once in float32, then casts every layer's "
    "activations to FP16, BF16, FP8 and INT8 and counts what goes wrong: overflow (to inf; in "
    "FP8 E4M3 to NaN, or to ±448 where the cast saturates), small values that become "
    "subnormals with fewer significant bits or are flushed to zero, and rounding noise. The "
    "initialization decides which layer, if any, falls off the end of a format."
)

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(
    cached(run, spinner="Running the network and casting…"), config_from_values, values
)

if result.budget_note:
    st.info(result.budget_note, icon=":material/speed:")

# What breaks first ---------------------------------------------------------------------------
st.subheader("What breaks first")
if not result.formats:
    st.info("Pick at least one format in the sidebar.", icon=":material/tune:")
    st.stop()
if result.headline is None:
    st.success(result.summary, icon=":material/check_circle:")
else:
    st.markdown(f"**Earliest failure among the selected formats:** {result.headline}.")
st.markdown(
    "\n".join(
        f"- **{verdict.label}**: :{'red' if verdict.broke else 'green'}[{verdict.text}]."
        for verdict in result.verdicts
    )
)
for note in result.notes:
    st.caption(note)

# Range against the formats --------------------------------------------------------------------
st.subheader("Each layer's activations against each format's range")
st.markdown(
    "Lines: the largest |a| decides overflow; the small |a| "
    f"({LOW_PERCENTILE:g}% of the nonzero values lie below it) decides what becomes a "
    "subnormal or is flushed to zero; "
    "the RMS is the typical size, over every finite value. The small |a| leaves exact zeros "
    "out (ReLU makes about half of the values 0): they stay zero in every format. The RMS "
    "counts them, so with few values or mostly zeros it can even sit below the small |a|. "
    "The shaded zones are "
    "each format's limits; "
    "for INT8 they follow the scale of each layer."
)
# Specs and tables are built once per result and shared by every rerun.
specs, shown_tables = chart_specs(result), tables(result)
show_panels(specs.panels, specs.legend)
if result.range_note:
    st.caption(f"{result.range_note} (dashed lines).")
if result.overlap_note:
    st.caption(result.overlap_note)

st.subheader("FP16 dynamic range")
st.markdown(
    f"{result.fp16.description} The ticks mark each layer. FP16 is drawn whichever formats "
    "are selected, as the reference half-precision format."
)
show_spec(specs.bar)

# Table -------------------------------------------------------------------------------------
st.subheader("Per layer")
st.dataframe(
    shown_tables.layers, column_config=shown_tables.layer_config, hide_index=True, width="stretch"
)
st.caption(TABLE_CAPTION)

# Why initialization matters --------------------------------------------------------------------
st.subheader("Why initialization is the first defence")
training, deployment = st.columns(2, gap="large")
threshold = f"{FP16.overflow_threshold:,.0f}".replace(",", "{,}")
# Each column is one element (title, formula and text; a run sends each element on its own).
# The formulas break into short lines: a column is about 200 px wide at 800 px.
training.markdown(
    "**Training in FP16**\n\n"
    + latex_block(
        rf"\begin{{gathered}}|a| \ge {threshold} \\ \Rightarrow\; a_\text{{FP16}} = \pm\infty"
        r"\end{gathered}"
    )
    + f"\n\nFP16's largest finite number is {FP16.max:,.0f}; a cast rounds values up to "
    f"{FP16.overflow_threshold:,.0f} down to it, and from there on gives inf. An "
    "initialization that makes the activations grow by a constant factor per layer crosses "
    "it after a few layers, the first inf spreads to the loss, and training stops. BF16 "
    f"keeps float32's exponent range (max {BF16.max:.3g}) and pays with precision: its "
    f"step next to 1 is {BF16.epsilon:g} against FP16's {FP16.epsilon:g}. A "
    "variance-preserving initialization keeps every layer near 1, far from both ends."
)
deployment.markdown(
    "**Deploying in INT8**\n\n"
    + latex_block(
        rf"\begin{{aligned}} s &= \frac{{\max|x|}}{{{INT8.qmax}}} \\ "
        r"r &= \operatorname{round}(x/s) \\ "
        rf"q &= \operatorname{{clip}}(r,\,-{INT8.qmax},\,{INT8.qmax}) \\ \hat x &= q\,s "
        r"\end{aligned}"
    )
    + f"\n\nINT8 spreads {INT8.levels} evenly spaced levels over ±{INT8.qmax} × s. In a "
    "vanishing network the later layers shrink below half a step of a scale fixed on layer 1 "
    "and quantize to zero; in an exploding one they run past the top level and clip. Even "
    "with a scale per layer, one large outlier makes every step coarse."
)

st.markdown(
    "**How much noise INT8 adds: the shape of the signal matters**\n\n"
    + latex_block(  # one step per line, so that it fits a phone
        r"\begin{aligned} \text{SQNR} &= 10\log_{10}\frac{\sum x^2}{\sum (x-\hat x)^2} \\ "
        rf"&\approx 10\log_{{10}}\frac{{12\cdot {INT8.qmax}^2}}{{c^2}}, \\ "
        r"c &= \frac{\max|x|}{\text{RMS}(x)} \end{aligned}"
    )
)
gaussian = result.gaussian_example
cards = st.container(horizontal=True, horizontal_alignment="distribute")
cards.metric(
    "Uniform signal (c = √3, closed form)", f"{result.uniform_sqnr_db:.1f} dB", width="content"
)
cards.metric(
    f"Gaussian signal, {gaussian.samples:,} values (measured)",
    f"{gaussian.sqnr_db:.1f} dB",
    width="content",
)
st.markdown(
    "A uniform signal fills the levels evenly. A Gaussian one has a long tail: its maximum "
    "sits several standard deviations out, so the step is coarse compared with the typical "
    "value, and the more values there are, the further out the maximum lies."
)
st.dataframe(
    shown_tables.sqnr,
    column_config={
        "values": st.column_config.NumberColumn(format="localized"),
        "crest factor c": st.column_config.NumberColumn(format="%.2f"),
        "SQNR measured (dB)": st.column_config.NumberColumn(format="%.1f"),
        "SQNR from c (dB)": st.column_config.NumberColumn(format="%.1f"),
    },
    hide_index=True,
)

# Lazy: the table is sent only while the expander is open (a table is one of the costliest
# elements of a run).
limits = st.expander(
    "Format limits (from ml_dtypes.finfo and real casts)", key=LIMITS_KEY, on_change="rerun"
)
if limits.open:
    limits.dataframe(
        shown_tables.limits,
        column_config={
            "flush_to_zero_up_to": st.column_config.NumberColumn(format="%.3e"),
            "smallest_subnormal": st.column_config.NumberColumn(format="%.3e"),
            "smallest_normal": st.column_config.NumberColumn(format="%.3e"),
            "epsilon": st.column_config.NumberColumn(format="%.3e"),
        },
        hide_index=True,
    )

signal = get_page("signal_propagation")
st.page_link(
    page_of(signal),
    label="Open this network in Signal propagation",
    icon=signal.icon,
    query_params=SIMULATION_PAGES[signal.key].query(network_values(values)),
)
