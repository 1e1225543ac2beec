"""Two pretend pages sharing one script, to test deep_link_scope (tests/pages/test_widgets.py)."""

import streamlit as st

from lab.controls.core import IntControl, PageControls
from pages.ui.widgets import deep_link_scope, draw_controls

FIRST = PageControls(
    "first", "first", (IntControl(name="alpha", label="Alpha", default=1, low=0, high=9),)
)
SECOND = PageControls(
    "second", "second", (IntControl(name="beta", label="Beta", default=2, low=0, high=9),)
)

page = st.session_state.get("demo_page", "first")
with deep_link_scope(page):
    spec = FIRST if page == "first" else SECOND
    st.session_state["demo_value"] = draw_controls(spec)[spec.names[0]]
