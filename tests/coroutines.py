"""Running a coroutine to its end from a test, whatever event loop an earlier test left."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
#: Seconds a coroutine may take before the test fails instead of hanging.
COROUTINE_TIMEOUT_S = 120.0


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(make())`` in a thread of its own: an earlier test (Playwright's sync API,
    Streamlit's runtime) can leave an event loop running in the test thread."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make())
        except BaseException as error:  # re-raised in the test thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(COROUTINE_TIMEOUT_S)
    assert not thread.is_alive(), "the coroutine did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
