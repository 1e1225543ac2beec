"""pages.ui.engine.cached behind result_or_stop, a page's one engine call
(tests/pages/test_widgets.py)."""

import streamlit as st

from pages.ui.engine import cached, result_or_stop

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
values = {"layers": st.session_state.get("demo_layers", 3)}
result = result_or_stop(run, lambda values: values["layers"], values)
st.session_state["demo_result"] = result
st.text("drawn after the engine call")
