"""Charts and number texts of the Gradient flow page, built from lab.experiments.gradient_flow's
Result: gradient per layer, the |z| histograms of both networks, and each network's first-layer
gradient in the sweeps and single runs on its own log axis, with exact zeros on a band below it
instead of dropped (a ratio of the two was ∞ wherever the uniform gradient was 0)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd
import pyarrow as pa

from lab.experiments.gradient_flow import Result
from lab.gradient_flow import Comparison, ManyRuns, Sweep
from lab.text import plural
from pages.ui.charts import ANNOTATION_COLOR, log_line_chart, vega_spec
from pages.ui.memo import arrow_table, once_per

#: Uniform red, normal teal (as in the demo), in every chart; readable on light and dark.
SCHEME_COLORS = ("#d6336c", "#1098ad")
#: One scheme per line below the plot: the chart keeps its width on a phone, and labels such as
#: "matched variance U(-√3, √3)" are longer than Vega's default label limit.
LEGEND = alt.Legend(orient="bottom", direction="vertical", labelLimit=280)
#: Plot height of the two charts of the pair (title, axes and legend come on top).
CHART_HEIGHT = 300
SWEEP_TITLES = {
    "layers": "Varying the number of layers",
    "neurons": "Varying neurons per layer",
    "features": "Varying input features",
}
SWEEP_AXES = {"layers": "layers", "neurons": "neurons per layer", "features": "input features"}
FIRST_LAYER_TITLE = "mean |dL/dW₁|"
#: Plot height of one network's sweep or runs chart (title and axes come on top).
SWEEP_HEIGHT = 130

#: The page's open tab's session-state key: a rerun (a control, "Run 20 times") keeps it open.
TABS_KEY = "gradient_flow_tab"


def fmt(value: float) -> str:
    """Short display text of an engine number: 0, ∞ and NaN spelled out."""
    if math.isnan(value):
        return "undefined (0/0)"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    return f"{value:.3g}"


def ratio_text(ratio: float) -> str:
    """A ratio as shown: "3.2×", "∞" or "undefined (0/0)"."""
    return fmt(ratio) + ("×" if math.isfinite(ratio) else "")


def seeds_text(seeds: Sequence[int]) -> str:
    """ "seed 4" or "seeds 4 to 6" for consecutive seeds."""
    first, last = int(seeds[0]), int(seeds[-1])
    return f"seed {first}" if first == last else f"seeds {first} to {last}"


def gradient_chart(pair: Comparison) -> alt.LayerChart:
    """Mean |dL/dW_l| per layer of both networks on a log axis (zeros marked, not dropped)."""
    return log_line_chart(
        pair.gradient_rows(),
        "layer",
        "gradient",
        "scheme",
        "Gradient magnitude per layer, mean |dL/dW|",
        "mean |dL/dW_l| (log)",
        x_title="layer",
        height=CHART_HEIGHT,
        colors=SCHEME_COLORS,
        legend=LEGEND,
        zero_band=True,
    )


def z_chart(pair: Comparison, threshold: float, slope: float) -> alt.LayerChart:
    """Overlaid |z| histograms of both networks (shared bins) with the saturation threshold
    (``lab.health``'s: slope below a tenth of its maximum) marked; ``slope`` is tanh' there."""
    flows = (pair.uniform, pair.normal)
    data = pd.concat(
        [
            pd.DataFrame(
                {
                    "scheme": flow.scheme.label,
                    "left": flow.z.edges[:-1],
                    "right": flow.z.edges[1:],
                    "share": flow.z.counts / max(flow.z.count, 1),
                    "count": flow.z.counts,
                    "bin": [
                        f"[{a:.4g}, {b:.4g})"
                        for a, b in zip(flow.z.edges[:-1], flow.z.edges[1:], strict=True)
                    ],
                }
            )
            for flow in flows
        ],
        ignore_index=True,
    )
    order = [flow.scheme.label for flow in flows]
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
                legend=LEGEND,
            ),
            tooltip=[
                alt.Tooltip("scheme:N", title="weights"),
                alt.Tooltip("bin:N", title="|z| in"),
                alt.Tooltip("count:Q", title="values"),
                alt.Tooltip("share:Q", title="share", format=".2%"),
            ],
        )
    )
    note = f"|z| = {threshold:.3g}: tanh′ = {slope:.2g}, saturated beyond"
    marker = pd.DataFrame({"x": [threshold], "note": [note]})
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
    subtitle = [
        f"Saturated (|z| > {threshold:.3g}, tanh′ < {slope:.2g}):",
        "; ".join(f"{flow.scheme.label} {flow.z.saturated_share:.1%}" for flow in flows),
    ]
    return alt.layer(bars, rule, text).properties(
        title=alt.TitleParams("Where the pre-activations land", subtitle=subtitle, anchor="start"),
        height=CHART_HEIGHT,
    )


def sweep_heading(result: Sweep) -> tuple[str, str]:
    """A sweep's title and the line under it: the fixed sizes and the seeds per point."""
    runs = len(result.seeds)
    fixed = ", ".join(f"{name} {value}" for name, value in result.base.items())
    seeds = f"{plural(runs, 'seed')} per point"
    return SWEEP_TITLES[result.parameter], f"{fixed}; {seeds}"


def sweep_charts(
    result: Sweep, uniform_label: str, normal_label: str
) -> tuple[alt.LayerChart, ...]:
    """The swept networks' mean first-layer gradients, each network on its own log axis (one
    network's gradient may be 1e-40 where the other's is 1): normal first, then uniform. A
    mean of exactly 0 (every seed's gradient 0) sits on the zero band."""
    return tuple(
        _first_layer_chart(
            result.values, values, label, color, SWEEP_AXES[result.parameter], points_only=False
        )
        for values, label, color in (
            (result.normal_final, normal_label, SCHEME_COLORS[1]),
            (result.uniform_final, uniform_label, SCHEME_COLORS[0]),
        )
    )


def runs_charts(
    stats: ManyRuns, uniform_label: str, normal_label: str
) -> tuple[alt.LayerChart, ...]:
    """Each run's first-layer gradient against its seed, one chart per network (own log axis,
    zeros on the zero band), unconnected: the runs are independent."""
    return tuple(
        _first_layer_chart(stats.seeds, values, label, color, "seed", points_only=True)
        for values, label, color in (
            (stats.normal_final, normal_label, SCHEME_COLORS[1]),
            (stats.uniform_final, uniform_label, SCHEME_COLORS[0]),
        )
    )


def _first_layer_chart(
    xs: Sequence[int],
    ys: Sequence[float],
    label: str,
    color: str,
    x_title: str,
    *,
    points_only: bool,
) -> alt.LayerChart:
    rows = [{"x": int(x), "gradient": float(y)} for x, y in zip(xs, ys, strict=True)]
    return log_line_chart(
        rows,
        "x",
        "gradient",
        None,
        label,
        FIRST_LAYER_TITLE,
        x_title=x_title,
        height=SWEEP_HEIGHT,
        colors=[color],
        zero_band=True,
        points_only=points_only,
    )


# --------------------------------------------------------------------------- shared specs
# Each chart's Vega-Lite dict, built once per configuration and shared by every rerun and
# session (``pages.ui.memo.once_per``): building Altair charts costs tens of milliseconds each,
# too slow to repeat for nine charts on every rerun. ``key`` (the page's Config, which
# determines the result) and the arguments that are not determined by it make the cache key.

#: Specs kept per process (nine charts per configuration).
CACHED_SPECS = 128


@once_per(lambda key, pair: key, CACHED_SPECS)
def gradient_spec(key: object, pair: Comparison) -> dict:
    """``gradient_chart(pair)`` as a Vega-Lite dict."""
    return vega_spec(gradient_chart(pair), plot_height=True)


@once_per(lambda key, pair, threshold, slope: (key, threshold, slope), CACHED_SPECS)
def z_spec(key: object, pair: Comparison, threshold: float, slope: float) -> dict:
    """``z_chart(pair, threshold, slope)`` as a Vega-Lite dict."""
    return vega_spec(z_chart(pair, threshold, slope), plot_height=True)


@once_per(lambda key, sweep, uniform, normal: (key, uniform, normal), CACHED_SPECS)
def sweep_specs(
    key: object, sweep: Sweep, uniform_label: str, normal_label: str
) -> tuple[dict, ...]:
    """``sweep_charts(sweep, ...)`` as Vega-Lite dicts; ``key`` also names the sweep."""
    charts = sweep_charts(sweep, uniform_label, normal_label)
    return tuple(vega_spec(chart, plot_height=True) for chart in charts)


@once_per(lambda key, stats, uniform, normal: (key, uniform, normal), CACHED_SPECS)
def runs_specs(
    key: object, stats: ManyRuns, uniform_label: str, normal_label: str
) -> tuple[dict, ...]:
    """``runs_charts(stats, ...)`` as Vega-Lite dicts."""
    charts = runs_charts(stats, uniform_label, normal_label)
    return tuple(vega_spec(chart, plot_height=True) for chart in charts)


@once_per(lambda result: result.config)
def summary_table(result: Result) -> pa.Table:
    """The rand-vs-randn summary rows as an Arrow table, built once per result (its Config)."""
    return arrow_table(result.summary_rows)
