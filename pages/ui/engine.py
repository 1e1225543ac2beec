"""Engine calls from pages: one bounded, cached call per page run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

Config = TypeVar("Config")
Result = TypeVar("Result")

#: Results kept per experiment and process (each holds per-layer arrays).
CACHED_RESULTS = 16


def cached(
    run: Callable[[Config], Result], *, spinner: str = "Simulating…"
) -> Callable[[Config], Result]:
    """``run`` (an experiment's ``run(config) -> result``) behind a bounded ``st.cache_data``.

    The config is a frozen dataclass, hashed field by field. A ValueError is not cached and
    reaches the page, which shows it with ``pages.ui.text.show_engine_error``.
    """
    return st.cache_data(max_entries=CACHED_RESULTS, show_spinner=spinner)(run)
