"""What each simulation page builds from its default result, built by the server's startup.

The startup computes every page's default result (``pages.ui.startup``); the Vega-Lite specs
and Arrow tables a page draws from it are built once per result too (``pages.ui.memo``), but
otherwise by the first student who opens the page: 0.1 to 0.3 s of the server's CPU before
the first chart can be sent (0.3 s for Training's charts). ``build_default_view(run, result,
values)`` makes, for an experiment's ``run`` and a page's default ``values``, the same calls
with the same arguments as the page script does on its default view, so that the page's first
view finds them in the memo. tests/pages/test_engine_startup.py checks, for every simulation
page, that a first view after the startup builds no chart and no table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lab.experiments import (
    forward_pass,
    gradient_flow,
    phase_diagram,
    quantization,
    signal_propagation,
    training,
    weight_distribution,
)
from pages.ui import (
    forward_charts,
    gradient_charts,
    phase_charts,
    quantization_charts,
    signal_charts,
    training_charts,
    weight_charts,
)

Values = Mapping[str, object]


def _forward_pass(result: forward_pass.Result, values: Values) -> None:
    """pages/forward_pass.py's ``draw_network`` (the default experiment is a network)."""
    view = result.network
    if view is None:  # another experiment: built on its first view
        return
    for panel in view.histograms.panels[str(values["hist"])][0]:
        forward_charts.histogram_spec(panel)
    forward_charts.line_spec(view.std_chart)
    forward_charts.line_spec(view.variance_chart)
    if view.comparison_rows:
        forward_charts.line_spec(view.comparison)
        forward_charts.rows_table(view.comparison_rows)
    # (The per-layer table waits for its expander to be opened.)


def _weight_distribution(result: weight_distribution.Result, values: Values) -> None:
    weight_charts.chart_specs(result)
    weight_charts.tables(result)


def _signal_propagation(result: signal_propagation.Result, values: Values) -> None:
    signal_charts.chart_specs(result)
    signal_charts.layer_table(result)


def _gradient_flow(result: gradient_flow.Result, values: Values) -> None:
    pair = result.pair
    gradient_charts.gradient_spec(result.config, pair)
    threshold, slope = result.saturation_threshold, result.tanh_slope_at_threshold
    gradient_charts.z_spec(result.config, pair, threshold, slope)
    gradient_charts.summary_table(result)
    labels = (pair.uniform.scheme.label, pair.normal.scheme.label)
    for swept in result.sweeps:
        gradient_charts.sweep_specs((result.config, swept.parameter), swept, *labels)
    if result.stats is not None:
        gradient_charts.runs_specs(result.config, result.stats, *labels)


def _quantization(result: quantization.Result, values: Values) -> None:
    quantization_charts.chart_specs(result)
    quantization_charts.tables(result)


def _training(result: training.Result, values: Values) -> None:
    training_charts.training_view(result)


def _phase_plane(result: phase_diagram.Result, values: Values) -> None:
    phase_charts.plane_spec(result, str(values["heatmap"]))
    phase_charts.points_table(result)


def _phase_trainability(panel: phase_diagram.TrainabilityPanel, values: Values) -> None:
    phase_charts.trainability_spec(panel)


#: Per experiment run (the functions ``pages.ui.startup.default_runs`` lists): what its page
#: builds from the result.
BUILDERS: dict[Callable[..., Any], Callable[[Any, Values], None]] = {
    forward_pass.run: _forward_pass,
    weight_distribution.run: _weight_distribution,
    signal_propagation.run: _signal_propagation,
    gradient_flow.run: _gradient_flow,
    quantization.run: _quantization,
    training.run: _training,
    phase_diagram.run: _phase_plane,
    phase_diagram.run_trainability: _phase_trainability,
}


def build_default_view(run: Callable[..., Any], result: object, values: Values) -> bool:
    """Build what the page of ``run`` draws from ``result`` with the controls' ``values`` into
    the pages' memo; whether ``run`` has a page view to build."""
    build = BUILDERS.get(run)
    if build is None:
        return False
    build(result, values)
    return True
