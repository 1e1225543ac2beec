"""Quiz: how activations and gradients grow or shrink through depth."""

import streamlit as st

from pages.ui.quiz import render_quiz

st.title("Signal propagation quiz")
st.markdown(
    "These questions follow one number through a deep network: the mean square of the "
    "activations on the way forward, and the gradient variance on the way back. Every layer "
    "multiplies it by the same factor, so depth turns small factors into huge ones."
)
st.latex(  # one piece per line: KaTeX does not wrap, and a phone shows about 350 px
    r"\begin{gathered}q_l = \sigma_w^2\, E\!\left[\phi(\sqrt{q_{l-1}}\, z)^2\right],\\ "
    r"\chi_1 = \sigma_w^2\, E\!\left[\phi'(\sqrt{q^*}\, z)^2\right],\\ "
    r"\sigma_w^2 = n \operatorname{Var}(W)\end{gathered}"
)
render_quiz("signal")
