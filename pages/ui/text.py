"""Text from users and URLs shown as text: never as markdown, HTML, LaTeX or Streamlit's
colour and icon directives; and the app's own formulas as blocks of markdown."""

from __future__ import annotations

import re

import streamlit as st

#: Every ASCII punctuation character: CommonMark lets a backslash make each one literal.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
#: Longest message a warning shows; the rest is cut with an ellipsis.
MAX_MESSAGE = 600


def plain(text: str) -> str:
    """``text`` escaped so that Streamlit's markdown shows it literally (links, images, HTML,
    ``$…$`` and ``:red[…]`` included), cut to MAX_MESSAGE characters, on one line."""
    text = " ".join(str(text).split())
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + "…"
    return _PUNCTUATION.sub(r"\\\1", text)


def latex_block(formula: str) -> str:
    """The app's own LaTeX ``formula`` as a display block inside markdown, as ``st.latex``
    shows it: one element can then hold a formula with the text around it."""
    return f"$$\n{formula}\n$$"


def show_warning(message: str) -> None:
    """One warning line whose text is shown literally."""
    st.warning(plain(message), icon=":material/link_off:")


def show_engine_error(error: ValueError) -> None:
    """An engine ValueError as one literal ``st.error`` line (its first line), never a
    traceback."""
    lines = str(error).strip().splitlines()
    st.error(
        plain(lines[0]) if lines else "The engine rejected these settings.", icon=":material/error:"
    )
