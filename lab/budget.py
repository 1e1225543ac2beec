"""The lab's per-request budget: every allowed request runs, scaled down when it is too big.

Each experiment computes the cost of its config (multiply-adds and peak bytes). When a
combination exceeds the budget, the experiment lowers the number of samples or runs, never the
network the student asked for, and says so in one line, e.g. "50 layers × 1,024 units: 120
samples instead of 500, to stay within the lab's budget."

The byte budget keeps one request's rise in the server's resident memory under 150 MB (numpy's
temporaries and the allocator's slack come on top of the arrays counted here); the compute
budget keeps one request near a second of one core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lab.validation import check_int

#: Largest peak of array memory one request may allocate, in bytes.
MAX_PEAK_BYTES = 100 * 2**20
#: Largest work one request may spend, in multiply-adds: the unit is one float32 multiply-add of
#: a matrix product on one core, and random draws and statistics are priced in it
#: (``lab.network.DRAW_COSTS``, ``STATISTICS_COST``). Measured over ``simulate`` runs on a
#: 2-core x86-64 server with one BLAS thread, a unit takes 0.02 to 0.04 ns, so 4e10 units is
#: about a second of one core (``python -m benchmarks.engine`` prints the measurement).
MAX_MULTIPLY_ADDS = 40_000_000_000


@dataclass(frozen=True)
class Cost:
    """What one request costs: multiply-adds (random draws and statistics priced in
    multiply-adds, ``MAX_MULTIPLY_ADDS``) and peak bytes."""

    multiply_adds: int
    peak_bytes: int

    def fits(self) -> bool:
        """Whether the request stays within both budgets."""
        return self.multiply_adds <= MAX_MULTIPLY_ADDS and self.peak_bytes <= MAX_PEAK_BYTES


@dataclass(frozen=True)
class Scaled:
    """A count (samples, runs, ...) after the budget: ``used`` <= ``requested``."""

    requested: int
    used: int
    what: str
    subject: str

    @property
    def scaled(self) -> bool:
        """Whether the budget lowered the count."""
        return self.used < self.requested

    @property
    def note(self) -> str:
        """One line for the page ('' when nothing was lowered)."""
        if not self.scaled:
            return ""
        what = self.what.removesuffix("s") if self.used == 1 else self.what
        return (
            f"{self.subject}: {self.used:,} {what} instead of {self.requested:,}, "
            "to stay within the lab's budget."
        )


def fit_count(
    requested: int,
    cost_of: Callable[[int], Cost],
    *,
    what: str,
    subject: str,
    minimum: int = 1,
) -> Scaled:
    """The largest count in [minimum, requested] whose cost fits the budget.

    ``cost_of`` must grow with the count. When even ``minimum`` does not fit, ``minimum`` is
    used: declared ranges are chosen so that this never happens (tests check each page's
    largest request), and the experiment still runs rather than refusing.
    """
    requested = check_int(what, requested, 1)
    minimum = check_int("minimum", minimum, 1, requested)
    if cost_of(requested).fits():
        return Scaled(requested, requested, what, subject)
    low, high = minimum, requested  # cost_of(low) fits (or low is the floor); high does not
    if not cost_of(low).fits():
        return Scaled(requested, minimum, what, subject)
    while high - low > 1:
        middle = (low + high) // 2
        if cost_of(middle).fits():
            low = middle
        else:
            high = middle
    return Scaled(requested, low, what, subject)
