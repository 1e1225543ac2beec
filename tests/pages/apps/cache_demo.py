"""pages.ui.engine.cached with the engine-error pattern (tests/pages/test_widgets.py)."""

import streamlit as st

from pages.ui.engine import cached
from pages.ui.text import show_engine_error

CALLS: list[int] = st.session_state.setdefault("demo_calls", [])


def fake_run(layers: int) -> dict:
    """Stands in for an experiment's run(config)."""
    CALLS.append(layers)
    if layers < 1:
        raise ValueError(f"layers must be an integer in [1, 100]; got {layers}")
    return {"layers": layers}


run = cached(fake_run)
if st.session_state.get("demo_clear"):
    run.clear()
try:
    result = run(st.session_state.get("demo_layers", 3))
except ValueError as exc:
    show_engine_error(exc)
    st.stop()
st.session_state["demo_result"] = result
