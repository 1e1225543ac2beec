"""Two pretend pages sharing one script, to test deep_link_scope (tests/test_app_home.py)."""

import streamlit as st

from pages.common import deep_link_scope, int_control

page = st.session_state.get("demo_page", "first")
with deep_link_scope(page):
    if page == "first":
        st.session_state["demo_value"] = int_control("Alpha", "alpha", 1, 0, 9)
    else:
        st.session_state["demo_value"] = int_control("Beta", "beta", 2, 0, 9)
