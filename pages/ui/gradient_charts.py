"""Charts and number texts of the Gradient flow page, built from lab.experiments.gradient_flow's
Result: gradient per layer, the |z| histograms of both networks, and normal / uniform ratios on
a log axis (sweeps and single runs) with ∞ and 0/0 marked instead of dropped."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from lab.gradient_flow import Comparison, ManyRuns, Sweep
from pages.ui.charts import ANNOTATION_COLOR, log_line_chart

#: Uniform red, normal teal (as in the demo), in every chart; readable on light and dark.
SCHEME_COLORS = ("#d6336c", "#1098ad")
#: One scheme per line below the plot: the chart keeps its width on a phone, and labels such as
#: "matched variance U(-√3, √3)" are longer than Vega's default label limit.
LEGEND = alt.Legend(orient="bottom", direction="vertical", labelLimit=280)
#: Height of the two charts of the pair, legend below the plot included.
CHART_HEIGHT = 420
SWEEP_TITLES = {
    "layers": "Varying the number of layers",
    "neurons": "Varying neurons per layer",
    "features": "Varying input features",
}
SWEEP_AXES = {"layers": "layers", "neurons": "neurons per layer", "features": "input features"}
RATIO_TITLE = "normal / uniform (log)"


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
    )


def z_chart(pair: Comparison, threshold: float, slope: float) -> alt.LayerChart:
    """Overlaid |z| histograms of both networks (shared bins) with the saturation threshold
    marked; ``slope`` is tanh' at the threshold."""
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
                        f"[{a:g}, {b:g})"
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
    note = f"|z| = {threshold:g}: tanh′ = {slope:.2g}, saturated beyond"
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
        f"Saturated (|z| > {threshold:g}):",
        "; ".join(f"{flow.scheme.label} {flow.z.saturated_share:.1%}" for flow in flows),
    ]
    return alt.layer(bars, rule, text).properties(
        title=alt.TitleParams("Where the pre-activations land", subtitle=subtitle, anchor="start"),
        height=CHART_HEIGHT,
    )


def sweep_chart(result: Sweep) -> alt.LayerChart:
    """One sweep's ratios (mean over seeds, each seed in grey) against the swept size."""
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
        {"value": result.values.repeat(runs), "ratio": result.run_ratios.reshape(-1)}
    )
    fixed = ", ".join(f"{name} {value}" for name, value in result.base.items())
    subtitle = [f"{fixed}; {runs} seed{'s' if runs > 1 else ''} per point"]
    if result.dead_values:
        subtitle.append(
            f"▲ ∞: uniform gradient 0 at {len(result.dead_values)} of {len(result.values)} values"
        )
    axis = SWEEP_AXES[result.parameter]
    return _ratio_chart(frame, axis, SWEEP_TITLES[result.parameter], subtitle, scatter)


def runs_chart(stats: ManyRuns) -> alt.LayerChart:
    """Each run's ratio against its seed, unconnected (the runs are independent)."""
    frame = pd.DataFrame(
        {
            "value": stats.seeds,
            "ratio": stats.run_ratios,
            "normal_final": stats.normal_final,
            "uniform_final": stats.uniform_final,
            "wins": stats.run_winners,
        }
    )
    subtitle = [f"{stats.n_runs} runs, {seeds_text(stats.seeds)}"]
    empty = pd.DataFrame({"value": [], "ratio": []})
    return _ratio_chart(
        frame, "seed", "Each run's normal / uniform ratio", subtitle, empty, connect=False
    )


def _ratio_chart(
    frame: pd.DataFrame,
    x_title: str,
    title: str,
    subtitle: list[str],
    scatter: pd.DataFrame,
    *,
    connect: bool = True,
) -> alt.LayerChart:
    """Ratio normal / uniform on a log axis with a rule at 1×.

    ``frame`` has columns value, ratio, normal_final, uniform_final, wins; ``scatter`` has
    value and ratio of single runs (drawn faintly). A log axis cannot show ∞ (uniform gradient
    exactly 0) or 0/0: those points sit on the top edge as ▲ (∞) and ◆ (0/0).
    """
    frame = frame.copy()
    frame["kind"] = [
        "finite" if math.isfinite(r) and r > 0 else ("inf" if math.isinf(r) else "undefined")
        for r in frame["ratio"]
    ]
    finite = [r for r in (*frame["ratio"], *scatter["ratio"]) if math.isfinite(r) and r > 0]
    # The axis spans every finite ratio and the 1× rule, with room above for the ▲ marks.
    low = min([1.0, *finite]) / 2.0 if finite else 0.1
    high = max([1.0, *finite]) * 4.0 if finite else 10.0
    frame["shown"] = [
        r if k == "finite" else high for r, k in zip(frame["ratio"], frame["kind"], strict=True)
    ]
    for column in ("ratio", "normal_final", "uniform_final"):
        frame[f"{column}_text"] = [fmt(v) for v in frame[column]]
    y_scale = alt.Scale(type="log", domain=[low, high], clamp=True)
    y_axis = alt.Axis(format="~g" if high / low <= 1e4 else ".0e", grid=True, tickCount=5)
    x_enc = alt.X("value:Q", title=x_title, axis=alt.Axis(format="d", tickMinStep=1))
    y_enc = alt.Y("shown:Q", title=RATIO_TITLE, scale=y_scale, axis=y_axis)
    tooltip = [
        alt.Tooltip("value:Q", title=x_title),
        alt.Tooltip("ratio_text:N", title="normal / uniform"),
        alt.Tooltip("normal_final_text:N", title="normal first-layer gradient"),
        alt.Tooltip("uniform_final_text:N", title="uniform first-layer gradient"),
        alt.Tooltip("wins:N", title="normal wins"),
    ]
    layers: list[alt.Chart] = []
    shown_scatter = scatter[[math.isfinite(r) and r > 0 for r in scatter["ratio"]]]
    if not shown_scatter.empty:
        layers.append(
            alt.Chart(shown_scatter)
            .mark_point(size=18, opacity=0.35, filled=True, color="gray")
            .encode(x=x_enc, y=alt.Y("ratio:Q", title=RATIO_TITLE, scale=y_scale, axis=y_axis))
        )
    points = frame[frame["kind"] == "finite"]
    if not points.empty:
        layers.append(
            alt.Chart(points)
            .mark_line(point=True, opacity=1 if connect else 0)
            .encode(x=x_enc, y=y_enc, tooltip=tooltip)
        )
    marks = frame[frame["kind"] != "finite"]
    if not marks.empty:
        shapes = alt.Scale(domain=["inf", "undefined"], range=["triangle-up", "diamond"])
        layers.append(
            alt.Chart(marks)
            .mark_point(size=90, filled=True, opacity=1, color=ANNOTATION_COLOR)
            .encode(
                x=x_enc,
                y=y_enc,
                shape=alt.Shape("kind:N", scale=shapes, legend=None),
                tooltip=tooltip,
            )
        )
    one = pd.DataFrame({"y": [1.0], "note": ["1×: above, normal wins; below, uniform wins"]})
    layers.append(
        alt.Chart(one)
        .mark_rule(strokeDash=[6, 3], strokeWidth=1.5, color="gray")
        .encode(
            y=alt.Y("y:Q", title=RATIO_TITLE, scale=y_scale, axis=y_axis),
            tooltip=alt.Tooltip("note:N", title="rule"),
        )
    )
    return alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"), height=260
    )
