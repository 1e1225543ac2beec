"""Practice: any quiz with fresh variants on demand and no grade at stake."""

import streamlit as st

from pages.common import choice_control
from pages.quiz_ui import render_quiz
from quizzes.bank import QUIZZES

st.title("Practice")
st.markdown(
    "Practice any topic with new numbers as often as you like. Each variant still has three "
    "attempts with feedback on common mistakes; once it is solved or its attempts are used, "
    "ask for a new variant. A name in the sidebar is optional here."
)
with st.sidebar:
    topic = choice_control(
        "Practice topic",
        "topic",
        {quiz_id: quiz.title for quiz_id, quiz in QUIZZES.items()},
        "formulas",
    )
render_quiz(topic, mode="practice")
