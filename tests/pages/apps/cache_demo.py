"""cached_simulate with the engine error pattern, driven by tests/test_app_home.py."""

import streamlit as st

from pages.common import cached_simulate, show_engine_error

try:
    result = cached_simulate(layers=st.session_state.get("demo_layers", 3))
except ValueError as exc:
    show_engine_error(exc)
    st.stop()
st.session_state["demo_result"] = result
