"""Quiz: initialization formulas (variances, standard deviations, bounds, fans, gains)."""

import streamlit as st

from pages.ui.quiz import render_quiz

st.title("Initialization formulas")
st.markdown(
    "Each question gives a layer's shape and asks what a named scheme puts into its weights. "
    "All of them are one rule with different constants; work them out by hand, then check "
    "your number in the simulation linked under the question."
)
st.latex(  # one piece per line: KaTeX does not wrap, and a phone shows about 350 px
    r"\begin{gathered}\operatorname{Var}(W) = \frac{\text{scale}}{n},\\ "
    r"\sigma = \sqrt{\operatorname{Var}(W)},\quad b = \sqrt{3 \operatorname{Var}(W)}"
    r"\end{gathered}"
)
render_quiz("formulas")
