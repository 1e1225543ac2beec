"""Gradient flow: uniform (rand) versus normal (randn) weights in a deep tanh network.

Prose, the declared controls (lab.controls.gradient_flow), one cached call of
lab.experiments.gradient_flow.run, and charts; every number comes from its Result.
"""

from __future__ import annotations

import math

import streamlit as st

from lab.controls.gradient_flow import CONTROLS
from lab.experiments.gradient_flow import config_from_values, run
from pages.ui.charts import show_spec
from pages.ui.engine import cached, result_or_stop
from pages.ui.gradient_charts import (
    TABS_KEY,
    fmt,
    gradient_spec,
    ratio_text,
    runs_specs,
    seeds_text,
    summary_table,
    sweep_heading,
    sweep_specs,
    z_spec,
)
from pages.ui.registry import page_header
from pages.ui.widgets import Section, draw_controls, widget_key

SECTIONS = (
    Section("Network", ("layers", "width", "features", "seed", "uniform")),
    Section("Many runs", ("n", "runs")),
)
RUNS_LIMIT = CONTROLS["runs"].high  # type: ignore[attr-defined]
#: The tabs after the pair of networks.
TABS = ("Why", "Sweeps", "Many runs")
#: The most collected runs this session has shown (more open the "Many runs" tab).
RUNS_SEEN_KEY = "gradient_flow_runs_seen"
#: Sweep charts side by side while they fit, one per row on narrow screens.
SWEEP_CHART_WIDTH = 300


def add_runs(key: str, count: int) -> None:
    """Button callback: add ``count`` runs to the collected runs (at most RUNS_LIMIT)."""
    st.session_state[key] = min(RUNS_LIMIT, int(st.session_state.get(key, 0)) + count)


def reset_runs(key: str) -> None:
    """Button callback: forget the collected runs."""
    st.session_state[key] = 0


page_header("gradient_flow")
st.markdown(
    "On the way back to the first layer, the error signal is multiplied by one weight matrix "
    "and one tanh slope per layer. Here two copies of the same tanh network are built, one "
    "with **uniform** weights and one with **normal** weights (`randn`); both get the same "
    "inputs and start from the same output gradient, and the lab measures how much gradient "
    "reaches each layer. A well-known demo credits the bell shape of the normal distribution "
    "for its win. Switch the uniform weights in the sidebar, from `rand` to a centred uniform "
    "to one with the variance matched, and find out what really matters."
)

values = draw_controls(CONTROLS, SECTIONS)
result = result_or_stop(cached(run, spinner="Simulating the networks…"), config_from_values, values)
pair, stats, threshold = result.pair, result.stats, result.saturation_threshold
if result.budget_note:
    st.info(result.budget_note, icon=":material/speed:")

st.subheader("One pair of networks")
st.caption("First-layer gradient, mean |dL/dW₁|: what the layer farthest from the loss gets.")
row = st.container(horizontal=True, horizontal_alignment="distribute")
row.metric(pair.uniform.scheme.label, fmt(pair.uniform.final_gradient), width="content")
row.metric(pair.normal.scheme.label, fmt(pair.normal.final_gradient), width="content")
row.metric("normal / uniform", ratio_text(pair.ratio), width="content")
row.metric("larger gradient", pair.winner, width="content")

show_spec(gradient_spec(result.config, pair))
st.caption(
    f"Both backward passes start at the output (layer {pair.layers}, right) from the same "
    f"gradient dL/da = {pair.output_gradient:.3g} per output entry (the loss is the mean "
    f"output of {result.samples} input samples) and end at layer 1 (left): a first layer "
    "with a tiny gradient barely learns. A value of exactly 0 cannot sit on a log axis: it is "
    "drawn as ✕ on the grey band at the bottom, labelled 0."
)
for label, where in result.zero_gradient:
    st.info(
        f"**{label}: the gradient is exactly 0 in {where}.** Not small: zero. "
        "The tanh units are so deep in saturation that 1 − tanh²(z) rounds to 0, and "
        "nothing passes back through them.",
        icon=":material/block:",
    )

show_spec(z_spec(result.config, pair, threshold, result.tanh_slope_at_threshold))
st.dataframe(
    summary_table(result),
    hide_index=True,
    width="stretch",
    column_config={
        "weights": st.column_config.TextColumn(width="medium"),
        "weight mean": st.column_config.NumberColumn(format="%.4g"),
        "weight variance": st.column_config.NumberColumn(format="%.4g"),
        "avg |z|": st.column_config.NumberColumn(format="%.3g"),
        "std of z": st.column_config.NumberColumn(format="%.3g"),
        "saturated share": st.column_config.NumberColumn(
            f"saturated (|z| > {threshold:.3g})", format="percent"
        ),
    },
)
slope = f"{result.saturation_slope:.0%}"
st.caption(
    f"Saturated: a unit whose slope tanh′(z) = 1 − tanh²(z) is below {slope} of its maximum "
    f"tanh′(0) = 1, which is |z| > {threshold:.3g}: it passes back less than {slope} of the "
    "gradient a unit at z = 0 would. The lab's one definition of saturation, as on the other "
    "pages."
)

# The three parts below share one row of tabs, and a run sends only the open one's content
# (``on_change="rerun"``; the server keeps which one is open): the sweeps' six charts and the
# runs' buttons cost every run of the page otherwise. More collected runs than the session
# has seen (a link with runs=5, the sidebar's count raised) open the tab that shows them.
st.subheader("Why, and what changes with the sizes")
if result.config.runs > st.session_state.get(RUNS_SEEN_KEY, 0):
    st.session_state[TABS_KEY] = TABS[2]
st.session_state[RUNS_SEEN_KEY] = result.config.runs
why_tab, sweeps_tab, runs_tab = st.tabs(TABS, key=TABS_KEY, on_change="rerun")
labels = (pair.uniform.scheme.label, pair.normal.scheme.label)

if why_tab.open:
    with why_tab:
        rand, centered, matched, normal = (
            result.schemes[kind] for kind in ("rand", "centered", "matched", "normal")
        )
        st.markdown(
            f"**The mean.** `rand` draws from U[0, 1): mean {rand.mean:g}, variance "
            f"{rand.variance:.4g}. Every weight is positive, so each unit of a layer adds up "
            "its inputs with the same sign and all units get nearly the same large sum. |z| grows "
            "with the layer width, tanh saturates, and its slope 1 − tanh²(z) rounds to exactly 0: "
            "no gradient passes. Centring the weights removes this."
        )
        st.latex(
            r"\begin{gathered}\mathbb{E}[U(0,1)] = \tfrac12,\quad "
            r"\operatorname{Var}(U(0,1)) = \tfrac1{12}"
            r"\\ \operatorname{Var}\big(U(-b,b)\big) = \frac{b^2}{3}\end{gathered}"
        )
        st.markdown(
            f"**The variance.** U(−1, 1) is centred but has variance {centered.variance:.4g}, "
            f"against {normal.variance:g} for `randn`: its pre-activations are smaller, and so "
            "is the factor the gradient gains per layer. Setting b = √3 gives variance "
            f"{matched.variance:.4g}. **The shape** hardly matters, because a pre-activation is "
            "a sum of many independent terms: by the central limit theorem it is close to normal "
            "whatever the weights look like, and only their mean and variance survive."
        )
        st.latex(
            r"\begin{aligned} z_j &= \sum_{i=1}^{n} w_{ij}\, a_i \\ &\approx "
            r"\mathcal{N}\!\Big(n\,\mathbb{E}[w]\,\bar a,\;\; "
            r"n \operatorname{Var}(w)\, \overline{a^2}\Big)"
            r"\end{aligned}"
        )
        st.markdown(
            "With the variances matched the two networks give the same gradients up to "
            "run-to-run noise: the statistics over many runs (last tab) split about half and "
            "half. With only a few neurons per layer the sums have too few terms for the central "
            "limit theorem and the shape still shows (the neurons sweep, next tab). "
            f"{result.variance_note} Scaling the variance with the fan-in (Xavier/Glorot, LeCun) "
            "is the real fix; *larger* first-layer gradient here does not mean *better*."
        )

if sweeps_tab.open:
    with sweeps_tab:
        sweep_row = st.container(horizontal=True, horizontal_alignment="distribute")
        for swept in result.sweeps:
            with sweep_row.container(width=SWEEP_CHART_WIDTH):
                heading, fixed = sweep_heading(swept)
                st.markdown(f"**{heading}**")
                st.caption(fixed)
                for spec in sweep_specs((result.config, swept.parameter), swept, *labels):
                    show_spec(spec)
        st.caption(
            "Each point is a network's mean first-layer gradient over "
            f"{seeds_text(result.sweeps[0].seeds)}; the sizes not swept are the sidebar's. Each "
            "network has its own log axis, because one gradient can be 10³⁰ times the other; ✕ on "
            "the grey band: exactly 0 for every seed, no gradient at all."
        )

if runs_tab.open:
    with runs_tab:
        runs_key, per_click = widget_key("runs"), int(values["n"])  # type: ignore[call-overload]
        buttons = st.container(horizontal=True, vertical_alignment="center")
        buttons.button(
            "Run once", on_click=add_runs, args=(runs_key, 1), icon=":material/play_arrow:"
        )
        buttons.button(
            f"Run {per_click} times",
            on_click=add_runs,
            args=(runs_key, per_click),
            icon=":material/fast_forward:",
        )
        buttons.button(
            "Reset", on_click=reset_runs, args=(runs_key,), icon=":material/restart_alt:"
        )
        if result.config.runs >= RUNS_LIMIT:
            buttons.caption(f"At most {RUNS_LIMIT} runs are collected on this page.")

        if stats is None:
            st.info(
                "No runs collected yet: **Run once** adds one fresh pair of networks (the next "
                f"seed), **Run {per_click} times** adds {per_click}.",
                icon=":material/touch_app:",
            )
        else:
            row = st.container(horizontal=True, horizontal_alignment="distribute")
            row.metric("Simulations (pairs)", stats.n_runs, width="content")
            row.metric(
                "Uniform: avg first-layer gradient", fmt(stats.uniform_mean), width="content"
            )
            row.metric("Normal: avg first-layer gradient", fmt(stats.normal_mean), width="content")
            row.metric(
                "Normal wins",
                f"{stats.normal_wins} of {stats.n_runs} ({stats.normal_win_share:.0%})",
                width="content",
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
            if math.isfinite(stats.log_ratio_std):  # NaN with fewer than 2 runs where both live
                details.append(
                    f"ln(normal / uniform) per run: mean {stats.log_ratio_mean:+.3f}, "
                    f"spread (std) {stats.log_ratio_std:.3f}"
                )
            st.caption("; ".join(details) + ".")
            for spec in runs_specs(result.config, stats, *labels):
                show_spec(spec)
