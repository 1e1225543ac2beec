"""Small text helpers for the engine's sentences (pages and the command line show them as they
are)."""

from __future__ import annotations

import numpy as np

#: What a table shows where there is no number (an overflowed layer's std, a bound a law does
#: not have, a network that never reached the target).
MISSING_TEXT = "—"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` with thousands separators and ``noun``, singular exactly when count is 1:
    (1, "sample") -> "1 sample", (10000, "sample") -> "10,000 samples", (0, "run") -> "0 runs".
    ``many`` is the plural when it is not noun + "s" (``plural(2, "matrix", "matrices")``)."""
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise ValueError(f"count must be an integer; got {count!r}")
    if not isinstance(noun, str) or not noun:
        raise ValueError(f"noun must be a non-empty string; got {noun!r}")
    word = noun if count == 1 else (many if many is not None else noun + "s")
    return f"{int(count):,} {word}"
