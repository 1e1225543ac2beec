"""Weight distribution: sample one layer's weights under each scheme and set the histogram
against the scheme's exact law (engine: lab/experiments/weight_distribution.py)."""

from __future__ import annotations

import streamlit as st

from lab.controls.weight_distribution import CONTROLS
from lab.experiments.weight_distribution import Result, config_from_values, run
from lab.text import MISSING_TEXT
from pages.ui.charts import show_spec
from pages.ui.engine import cached, result_or_stop
from pages.ui.memo import page_of
from pages.ui.registry import get_page, page_header
from pages.ui.text import plain
from pages.ui.weight_charts import TABS, TABS_KEY, chart_specs, tables
from pages.ui.widgets import Section, draw_controls

SECTIONS = (
    Section("Layer", ("layer", "fan_in", "fan_out", "c_in", "c_out", "kernel")),
    Section("Schemes", ("init", "mode", "slope", "gain")),
    Section("Sampling", ("samples", "seed")),
)


def math_line(pieces: tuple[str, ...]) -> str:
    """LaTeX pieces as display-size inline math that wraps between pieces, never inside one
    (a braced group does not break)."""
    last = len(pieces) - 1
    return "\u2003".join(
        f"${{\\displaystyle {piece}{',' if i < last else ''}}}$" for i, piece in enumerate(pieces)
    )


def show_schemes(result: Result, scheme_specs: tuple[dict, ...]) -> None:
    """The first tab: each scheme's histogram against its exact law, and their table."""
    st.markdown(math_line(result.fans_latex))

    if not result.schemes and not result.left_out_note:
        st.info(
            "Pick at least one scheme in the sidebar to see its weights.", icon=":material/info:"
        )
    elif not result.schemes:
        st.info("Pick another scheme or a larger layer in the sidebar.", icon=":material/info:")
    else:
        st.caption(
            "Bars: sampled weights. Orange line: the exact density, scaled to the expected "
            "number of weights per bin. Dashed lines: the bounds ±b of a uniform, or the cut "
            "points of a truncated normal (a bin that straddles one is only partly filled). "
            f"{result.axes_note}"
        )
        for view, spec in zip(result.schemes, scheme_specs, strict=True):
            st.markdown(f"**{view.heading}**")
            st.markdown(math_line(view.formula))
            if view.note:
                st.caption(view.note)
            show_spec(spec)

        st.subheader("Exact against sampled")
        number = st.column_config.NumberColumn(format="%.5g")
        st.dataframe(
            tables(result).schemes,
            hide_index=True,
            width="stretch",
            column_config={
                "n": st.column_config.TextColumn(
                    alignment="right",
                    help="The n of Var = scale / n: fan_in, fan_out or their mean.",
                ),
                "Var exact": number,
                "Var sampled": number,
                "std exact": number,
                "std sampled": number,
                "b / cut": st.column_config.TextColumn(
                    alignment="right",
                    help="Exact. Uniform: bound b = √(3 Var). Truncated normal: cut point 2σ'. "
                    f"A normal law has neither ({MISSING_TEXT}).",
                ),
                "max |w|": st.column_config.NumberColumn(
                    format="%.5g", help="Largest sampled |weight|: never beyond b or the cut."
                ),
                "mean": st.column_config.NumberColumn(
                    format="%.3g", help="Sampled mean (exact: 0 for every scheme here)."
                ),
                "KS D": st.column_config.TextColumn(
                    alignment="right", help="Kolmogorov-Smirnov D: largest gap between the CDFs."
                ),
                "KS p": st.column_config.TextColumn(
                    alignment="right",
                    help="Chance of a gap at least this large if the weights follow the exact law.",
                ),
            },
        )
        st.caption(
            "Kolmogorov-Smirnov test: a small D and a p-value that is not tiny mean the samples "
            "are consistent with the exact law. When the law is right, p is uniform on [0, 1], so "
            "p < 0.05 still turns up once in twenty seeds; a wrong law drives p towards 0. "
            "Orthogonal weights are not independent draws, so they get no KS test "
            f"({MISSING_TEXT})."
        )


def show_shapes(result: Result, shape_specs: tuple[dict, ...]) -> None:
    """The second tab: rand, randn and the two uniforms between them, and their moments."""
    rand, randn = result.shape("rand"), result.shape("randn")
    centered, matched = result.shape("uniform_centered"), result.shape("uniform_matched")
    st.markdown(
        f"numpy's `rand` draws from U[0, 1): every weight is positive, with mean "
        f"{rand.exact_mean:.4g} and variance {rand.exact_variance:.4g}. "
        "That offset, not the missing bell shape, is what hurts: all-positive weights push a tanh "
        "layer into saturation and its gradients die. Centred, U(-1, 1) has mean "
        f"{centered.exact_mean:.4g} but variance {centered.exact_variance:.4g}, still a third of "
        f"randn's {randn.exact_variance:.4g}. Stretched to U(-√3, √3) it matches randn's "
        f"mean and variance ({matched.exact_variance:.4g}); in a wide layer each unit sums many "
        "such weights, and by the central limit theorem the sum is Gaussian either way, so the "
        "two give the same signal and gradients within noise."
    )
    columns = st.columns(2)
    for index, spec in enumerate(shape_specs):
        with columns[index % 2]:
            show_spec(spec)
    st.dataframe(
        tables(result).shapes,
        hide_index=True,
        width="stretch",
        column_config={
            column: st.column_config.NumberColumn(format="%.4g")
            for column in ("exact mean", "sampled mean", "exact variance", "sampled variance")
        },
    )
    gradient_flow = get_page("gradient_flow")
    st.page_link(
        page_of(gradient_flow),
        label="Watch the gradients: rand vs randn in a deep tanh network",
        icon=gradient_flow.icon,
    )


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

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(cached(run, spinner="Sampling weights…"), config_from_values, values)
scheme_specs, shape_specs = chart_specs(result)

if result.budget_note:
    st.info(plain(result.budget_note), icon=":material/speed:")
if result.left_out_note:
    st.info(plain(result.left_out_note), icon=":material/block:")
# Two lazy tabs: a run sends only the open one, so a first view and every rerun carry the
# schemes' histograms and not the four rand-vs-randn shapes and their table as well.
schemes_tab, shapes_tab = st.tabs(TABS, key=TABS_KEY, on_change="rerun")
if schemes_tab.open:
    with schemes_tab:
        show_schemes(result, scheme_specs)
if shapes_tab.open:
    with shapes_tab:
        show_shapes(result, shape_specs)
