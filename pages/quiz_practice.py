"""Practice: any quiz with fresh variants on demand and no grade at stake."""

import streamlit as st

from pages.ui.quiz import render_quiz
from pages.ui.widgets import draw_controls
from quizzes.pages import PRACTICE

st.title("Practice")
st.markdown(
    "Practice any topic with new numbers as often as you like. Each variant still has three "
    "attempts with feedback on common mistakes; once it is solved or its attempts are used, "
    "ask for a new variant. A name in the sidebar is optional here."
)
topic = str(draw_controls(PRACTICE)["topic"])
render_quiz(topic, mode="practice")
