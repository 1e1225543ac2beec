"""Quiz: a mixed review drawn from every topic."""

import streamlit as st

from pages.ui.quiz import render_quiz

st.title("Mixed review")
st.markdown(
    "A mix of every topic: formulas, the ideas behind them (symmetry, uniform vs normal "
    "weights, output layers), signal propagation and number formats. Use it to check that "
    "the pieces fit together."
)
render_quiz("review")
