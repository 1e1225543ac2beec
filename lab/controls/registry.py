"""Every simulation page's declared controls and URL path, by page key. The quiz pages' own
declarations are added by quizzes.pages (the engine does not know the question bank)."""

from __future__ import annotations

from collections.abc import Mapping

from lab.controls import (
    forward_pass,
    gradient_flow,
    phase_diagram,
    quantization,
    signal_propagation,
    training,
    weight_distribution,
)
from lab.controls.core import PageControls

HOME = PageControls("home", "", ())

SIMULATION_PAGES: dict[str, PageControls] = {
    controls.page: controls
    for controls in (
        forward_pass.CONTROLS,
        weight_distribution.CONTROLS,
        signal_propagation.CONTROLS,
        gradient_flow.CONTROLS,
        quantization.CONTROLS,
        training.CONTROLS,
        phase_diagram.CONTROLS,
    )
}


def simulation_link(page: str, values: Mapping[str, object] | None = None) -> str:
    """The relative URL of simulation ``page`` with ``values`` (checked by its declaration)."""
    if page not in SIMULATION_PAGES:
        raise ValueError(f"page must be one of {', '.join(SIMULATION_PAGES)}; got {page!r}")
    return SIMULATION_PAGES[page].link(values)
