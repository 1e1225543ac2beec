"""Factories for known mistakes, so a template's mistake list stays a row of one-liners.

Each factory takes the template's answer function ``fn(params) -> float`` (the engine's value)
and returns a :class:`~quizzes.questions.Mistake` whose value is what a student making that
mistake would type. ``exponent`` says how the answer depends on 1/n: 1 for a variance
(Var = scale / n), 0.5 for a std or a uniform bound (sqrt of it). The relations used are the
variance-scaling formulas (Glorot & Bengio 2010, He et al. 2015) and Var(U(-b, b)) = b^2 / 3.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from lab.validation import check_float
from quizzes.questions import Mistake, Params, Text

Answer = Callable[[Params], float]


def _exponent(exponent: float) -> float:
    return check_float("exponent", exponent, 0.0, 2.0, low_inclusive=False)


def scaled(fn: Answer, factor: float, name: str, feedback: Text) -> Mistake:
    """The answer times a constant ``factor`` (a forgotten or extra factor)."""
    factor = check_float("factor", factor, 0.0, low_inclusive=False)
    return Mistake(name, lambda p: factor * fn(p), feedback)


def std_for_variance(fn: Answer, feedback: Text | None = None) -> Mistake:
    """The std sqrt(Var) given where the variance ``fn`` was asked."""
    return Mistake(
        "std_for_variance",
        lambda p: math.sqrt(fn(p)),
        feedback
        or "That is the standard deviation. The question asks for the variance, the square "
        "of the std.",
    )


def variance_for_std(fn: Answer, feedback: Text | None = None) -> Mistake:
    """The variance std^2 given where the std ``fn`` was asked."""
    return Mistake(
        "variance_for_std",
        lambda p: fn(p) ** 2,
        feedback
        or "That is the variance. The standard deviation is its square root; numpy and "
        "PyTorch take the std.",
    )


def forgot_sqrt(fn: Answer, feedback: Text | None = None) -> Mistake:
    """The square of a bound ``fn``: the square root was left out."""
    return Mistake(
        "forgot_sqrt",
        lambda p: fn(p) ** 2,
        feedback or "You left out the square root: the bound is sqrt(6 / n), not 6 / n.",
    )


def bound_for_std(fn: Answer, feedback: Text | None = None) -> Mistake:
    """The uniform bound sqrt(3) * std given where the std ``fn`` was asked."""
    return Mistake(
        "bound_for_std",
        lambda p: math.sqrt(3.0) * fn(p),
        feedback
        or "That is the bound b of a uniform U(-b, b) with this variance (b = sqrt(3) std). "
        "The question asks for the standard deviation of a normal.",
    )


def std_for_bound(fn: Answer, feedback: Text | None = None) -> Mistake:
    """The std b / sqrt(3) given where the uniform bound ``fn`` was asked."""
    return Mistake(
        "std_for_bound",
        lambda p: fn(p) / math.sqrt(3.0),
        feedback
        or "That is the standard deviation. A uniform U(-b, b) has variance b^2/3, so the "
        "bound is b = sqrt(3 Var) = sqrt(3) std.",
    )


def variance_for_bound(fn: Answer, feedback: Text | None = None) -> Mistake:
    """The variance b^2 / 3 given where the uniform bound ``fn`` was asked."""
    return Mistake(
        "variance_for_bound",
        lambda p: fn(p) ** 2 / 3.0,
        feedback or "That is the variance. The bound of U(-b, b) is b = sqrt(3 Var).",
    )


def sqrt3_for_sqrt6(fn: Answer, feedback: Text | None = None) -> Mistake:
    """A bound computed with 3 where the formula has 6 (a factor 1/sqrt(2) short)."""
    return scaled(
        fn,
        1.0 / math.sqrt(2.0),
        "sqrt3_for_sqrt6",
        feedback
        or "You used 3 where the formula has 6: b = sqrt(3 Var) and the variance carries a "
        "factor 2, so 3 x 2 = 6 under the square root.",
    )


def lecun_for_he(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """1/n (LeCun) where He's 2/n was asked: the ReLU factor 2 is missing."""
    return scaled(
        fn,
        0.5 ** _exponent(exponent),
        "lecun_for_he",
        feedback
        or "That is the 1/n variance of LeCun (or Xavier with equal fans). He doubles it to "
        "2/n because ReLU sets half of its inputs to zero, halving the mean square.",
    )


def he_for_lecun(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """He's 2/n where 1/n was asked: a ReLU factor 2 too many."""
    return scaled(
        fn,
        2.0 ** _exponent(exponent),
        "he_for_lecun",
        feedback or "That is He's 2/n. The factor 2 compensates ReLU; this scheme has scale 1.",
    )


def fan_sum_without_two(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """scale / (fan_in + fan_out) where Xavier's 2 / (fan_in + fan_out) was asked."""
    return scaled(
        fn,
        0.5 ** _exponent(exponent),
        "fan_sum_without_two",
        feedback
        or "You divided by fan_in + fan_out without the 2 on top. Xavier averages the fans: "
        "Var = 1 / ((fan_in + fan_out) / 2) = 2 / (fan_in + fan_out).",
    )


def _fan_ratio(
    fn: Answer, used: Callable[[Params], float], right: Callable[[Params], float], exponent: float
) -> Callable[[Params], float]:
    exponent = _exponent(exponent)
    return lambda p: fn(p) * (right(p) / used(p)) ** exponent


def _fan_avg(p: Params) -> float:
    return (p["fan_in"] + p["fan_out"]) / 2.0


def _fan_in(p: Params) -> float:
    return float(p["fan_in"])


def _fan_out(p: Params) -> float:
    return float(p["fan_out"])


def fan_avg_for_fan_in(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """The average fan (fan_in + fan_out)/2 used where the scheme divides by fan_in."""
    return Mistake(
        "fan_avg_for_fan_in",
        _fan_ratio(fn, _fan_avg, _fan_in, exponent),
        feedback
        or "You used the average fan (fan_in + fan_out)/2, as Xavier does. This scheme "
        "divides by fan_in only.",
    )


def fan_in_for_fan_avg(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """fan_in used where Xavier divides by the average fan."""
    return Mistake(
        "fan_in_for_fan_avg",
        _fan_ratio(fn, _fan_in, _fan_avg, exponent),
        feedback
        or "You used fan_in only. Xavier/Glorot divides by the average of fan_in and fan_out, "
        "a compromise between the forward and the backward pass.",
    )


def fan_out_for_fan_in(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """fan_out used where mode='fan_in' was asked."""
    return Mistake(
        "fan_out_for_fan_in",
        _fan_ratio(fn, _fan_out, _fan_in, exponent),
        feedback
        or "You used fan_out. mode='fan_in' divides by the number of inputs of a unit, which "
        "keeps the forward activations' variance.",
    )


def fan_in_for_fan_out(fn: Answer, exponent: float, feedback: Text | None = None) -> Mistake:
    """fan_in used where mode='fan_out' was asked."""
    return Mistake(
        "fan_in_for_fan_out",
        _fan_ratio(fn, _fan_in, _fan_out, exponent),
        feedback
        or "You used fan_in. mode='fan_out' divides by the number of outputs, which keeps "
        "the variance of the gradients in the backward pass.",
    )


def squared_gain(fn: Answer, feedback: Text | None = None) -> Mistake:
    """gain^2 (the variance factor) where the gain was asked."""
    return Mistake(
        "squared_gain",
        lambda p: fn(p) ** 2,
        feedback
        or "That is the gain squared, the factor on the variance. The gain multiplies the "
        "standard deviation.",
    )


def inverted(fn: Answer, feedback: Text | None = None) -> Mistake:
    """1 / answer: the fraction turned upside down."""
    return Mistake(
        "inverted",
        lambda p: 1.0 / fn(p),
        feedback or "That is the reciprocal: the fan goes in the denominator.",
    )


def natural_log_for_log10(fn: Answer, feedback: Text | None = None) -> Mistake:
    """ln used where the answer ``fn`` is a multiple of a log10 (ln x = ln(10) log10 x)."""
    return scaled(
        fn,
        math.log(10.0),
        "natural_log_for_log10",
        feedback or "You used the natural log; this formula uses log10 (decibels are base 10).",
    )


def log10_for_natural_log(fn: Answer, feedback: Text | None = None) -> Mistake:
    """log10 used where the answer ``fn`` is a multiple of a natural log."""
    return scaled(
        fn,
        1.0 / math.log(10.0),
        "log10_for_natural_log",
        feedback or "You used log10; this formula uses the natural logarithm ln.",
    )
