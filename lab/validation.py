"""Argument checks shared by the whole engine.

Every message names the parameter, says what is allowed and what was given, in the style of
scikit-learn: ``layers must be an integer in [1, 1000]; got 0``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in [low, high], else raise ValueError."""
    allowed = _range_text(low, high)
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer{allowed}; got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{allowed}; got {value}")
    return value


def check_float(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float in the given range, else raise ValueError."""
    allowed = _range_text(low, high, low_inclusive=low_inclusive)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a finite number{allowed}; got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number{allowed}; got {value}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    if too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be a finite number{allowed}; got {value:g}")
    return value


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ValueError listing them."""
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return value


def _range_text(low: float | None, high: float | None, *, low_inclusive: bool = True) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" >= {low:g}" if low_inclusive else f" > {low:g}"
    if low is None:
        return f" <= {high:g}"
    bracket = "[" if low_inclusive else "("
    return f" in {bracket}{low:g}, {high:g}]"
