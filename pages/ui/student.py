"""The student box in the sidebar (session state ``"student"``)."""

from __future__ import annotations

import streamlit as st

STUDENT_KEY = "student"


def student_sidebar() -> str:
    """The sidebar's student name/ID box; returns the text."""
    st.sidebar.text_input(
        "Student name or ID",
        key=STUDENT_KEY,
        max_chars=80,
        placeholder="e.g. Ada Lovelace or s1234567",
        help="Printed on your quiz receipts. Kept while you move between pages in this tab.",
    )
    return current_student()


def current_student() -> str:
    """The student name/ID typed in the sidebar, stripped ('' when empty)."""
    return str(st.session_state.get(STUDENT_KEY, "") or "").strip()
