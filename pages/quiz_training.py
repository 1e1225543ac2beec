"""Quiz: training from each initialization, symmetry, and the depth scale of the phase diagram."""

import streamlit as st

from pages.ui.quiz import render_quiz

st.title("Training quiz")
st.markdown(
    "These questions ask what happens once a network trains: which initialization gets to a "
    "low loss first, whether units that start equal can ever differ, and how deep a network "
    "can be and still train. Predict first, then open the linked page with the question's "
    "settings to check."
)
st.latex(r"\xi = -1 / \ln \chi_c,\qquad L_\text{max} \approx 6\,\xi")
render_quiz("training")
