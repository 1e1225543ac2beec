"""Mean-field phase diagram of a deep network at initialization, and where it trains.

Poole et al. 2016 and Schoenholz et al. 2017 ("Deep information propagation", ICLR). Weights
N(0, sw2 / n), biases N(0, sb2); z1, z2 independent N(0, 1). With q* the fixed point of the
length map (``lab.theory.fixed_point``):

- chi1 = sw2 E[phi'(sqrt(q*) z)^2] (``lab.theory.chi1``): ordered phase below 1 (gradients
  vanish), chaotic above (they explode), the edge of chaos at 1 (``edge_of_chaos_curve``: where
  the network started at q0 = 1 reaches chi1 = 1, ``lab.theory.edge_of_chaos``, or where its
  chi1 jumps past 1, ``phase_boundary``);
- the correlation map of two inputs, c -> (sw2 E[phi(u1) phi(u2)] + sb2) / q* with
  u1 = sqrt(q*) z1, u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2), and its stable fixed point c*:
  c* = 1 in the ordered phase, c* < 1 in the chaotic phase;
- the slope of the correlation map at c*, chi_c = sw2 E[phi'(u1) phi'(u2)] (chi_c = chi1 when
  c* = 1), and the correlation depth scale xi_c = -1 / ln chi_c (Schoenholz et al. 2017,
  "depth scales"): correlations between inputs approach c* like exp(-l / xi_c). xi_c diverges
  at the edge of chaos on both sides.

``depth_scale`` is xi_c. It equals the gradient depth scale -1 / ln chi1 of the same paper
(also given as ``gradient_depth_scale`` = 1 / |ln chi1|, ``lab.theory.depth_scale``) in the
ordered phase; in the chaotic phase the two differ and xi_c is the one that bounds
trainability: Schoenholz et al.'s experiments find that networks deeper than about 6 xi_c do
not train (``TRAINABLE_DEPTH_SCALES``).

``trainability`` trains tanh networks (lab.training) over a grid of (sw2, depth) at a fixed sb2
and returns the training accuracy after a fixed number of steps next to the 6 xi_c line, and
where each column's trainable region ends in units of xi_c (``Trainability.reach``). Every
network uses the same plain optimizer and learning rate, so that the grid compares
initializations, not tuning. Measured on the default grid (width 32, 300 steps, seeds 0 to 3),
the boundary follows xi_c on both sides but not at the same multiple: the deepest network that
trains lies at 4 to 9 xi_c on the ordered side and at 2 to 4.5 xi_c on the chaotic side (the
grid's next row fails). The chaotic side's smaller multiple is not the learning rate: no rate
from 0.0005 to 0.05, Adam (0.0003 to 0.003), five times the steps or four times the width
trains sw2 = 8 at 24 layers (5.1 xi_c) past 37 % accuracy; a rate of 0.001 for 1000 steps, or
width 128, trains sw2 = 4 at 32 layers (4.6 xi_c) but not at 48 (6.9 xi_c). More steps move the
ordered side instead: at 1500 steps sw2 = 0.75 trains at 24 layers (11.7 xi_c). xi_c describes
infinitely wide networks; 6 xi_c is the bound Schoenholz et al. measured in their own
experiments.

For tanh and sigmoid (bounded, so q* <= sw2 + sb2 <= 12) the two-dimensional Gaussian
expectations use a tensor product of a composite Gauss-Legendre rule in z on [-10, 10] (panels
``_PANEL_EDGES``, ``_GL_ORDER`` nodes each); against scipy.integrate.dblquad it agrees to better
than 1e-9 for tanh with q <= 12 (the tests check 1e-8), and q* comes from
``lab.theory.fixed_point``. GELU (phi(u) = u Phi(u)) is unbounded: near sw2 = 2 its q* can be
any size or infinite, which no fixed rule resolves, so every GELU quantity here is in closed
form (``gelu_kernel``, ``gelu_kernel_slope``, derived by writing Phi(u) = P(e <= u) for an
independent e ~ N(0, 1), and checked against dblquad), and its q* is solved with the
cancellation-free ``gelu_deficit`` (``length_fixed_point``). At sw2 = 2 the length map is
q -> q + sb2 - 2 R(q) with R = ``gelu_deficit`` <= ``GELU_DEFICIT_MAX``: for sb2 above
2 R's maximum (0.1566) there is no finite fixed point and q grows without bound (q*
infinite), as for ReLU with He and a bias. Activations with a kink (ReLU, leaky ReLU, SELU)
are left out of the correlation map: a tensor rule cannot follow the slanted line where
phi'(u2) jumps. Linear, ReLU and leaky ReLU have no finite q* in their chaotic phase anyway.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
from scipy import optimize

from lab import theory, training
from lab.activations import Activation, get_activation
from lab.budget import Cost, fit_count
from lab.datasets import DATASET_NAMES, check_samples, make_dataset
from lab.initializers import variance_scaling
from lab.validation import check_choice, check_float, check_int

Array = np.ndarray

#: Activations the correlation map covers (smooth ones; see the module docstring).
PHASE_ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "gelu")
#: Networks deeper than this many correlation depth scales do not train (Schoenholz et al.).
TRAINABLE_DEPTH_SCALES = 6.0
MAX_SW2 = 10.0
MAX_SB2 = 2.0
MAX_GRID = 200
#: chi1 within this of 1 is labelled "critical" (lab.theory.classify_phase's tolerance).
CRITICAL_TOL = 1e-3
#: chi1 within this of 1 is the edge of chaos to rounding: xi_c is infinite there.
EDGE_TOL = 1e-9

_GL_ORDER = 8
_PANEL_EDGES = (0.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.5, 8.0, 10.0)


@cache
def _rule() -> tuple[Array, Array]:
    """Composite Gauss-Legendre nodes z in [-10, 10] and weights times the normal density."""
    x, w = np.polynomial.legendre.leggauss(_GL_ORDER)
    edges = np.array(_PANEL_EDGES)
    low, high = edges[:-1], edges[1:]
    half = (high - low)[:, None] / 2.0
    z = (half * (x + 1.0) + low[:, None]).ravel()
    weights = (half * w).ravel() * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return np.concatenate([-z[::-1], z]), np.concatenate([weights[::-1], weights])


def _check_activation(activation: str) -> Activation:
    check_choice("activation", activation, PHASE_ACTIVATIONS)
    return get_activation(activation)


# --- GELU in closed form ---------------------------------------------------------------------

#: R(q) = q/2 - E[gelu(sqrt(q) z)^2] rises to its maximum at q = GELU_DEFICIT_PEAK, is concave
#: below GELU_DEFICIT_INFLECTION and convex, falling to 0 like 3 / (16 sqrt(q)), above it
#: (the tests check all three on a grid against an independent quadrature).
GELU_DEFICIT_PEAK = 1.6790748748
GELU_DEFICIT_INFLECTION = 3.3728360421
#: R at its peak: at sw2 = 2 GELU has a finite q* exactly when sb2 <= 2 GELU_DEFICIT_MAX.
GELU_DEFICIT_MAX = 0.0783007513
#: Taylor coefficients of f(t) = t/2 - cos(t) tan(t/2) = t^3 (c0 + c1 t^2 + ...), used below
#: t = _SERIES_BELOW, where the closed form would cancel (the next term is below 1e-21 of f).
_DEFICIT_SERIES = (
    5.0 / 24.0,
    -1.0 / 240.0,
    5.0 / 8064.0,
    29.0 / 725760.0,
    139.0 / 31933440.0,
    5459.0 / 12454041600.0,
    185917.0 / 4184557977600.0,
)
_SERIES_BELOW = 0.1
_TWO_PI = 2.0 * math.pi


def _check_q(q: object) -> float:
    """q in [0, inf] (inf stands for the limit q -> inf)."""
    return math.inf if q == math.inf else check_float("q", q, 0.0)


def _gelu_terms(q: float, c: float) -> tuple[float, float, float, float]:
    """(a, b, root, P) for u1, u2 with variances q and correlation c: a = q + 1, b = q c,
    root = sqrt(a^2 - b^2) (factored, so exact near c = +-1) and
    P = E[Phi(u1) Phi(u2)] = 1/4 + arcsin(b / a) / (2 pi)."""
    a, b = q + 1.0, q * c
    root = math.sqrt((q * (1.0 - c) + 1.0) * (q * (1.0 + c) + 1.0))
    return a, b, root, 0.25 + math.atan2(b, root) / _TWO_PI


def gelu_kernel(q: float, c: float) -> float:
    """E[gelu(u1) gelu(u2)] for (u1, u2) normal with variances q and correlation c, exactly:
    b P + q^2 (1 + c^2 + q (1 - c^2)) / (2 pi a root) (``_gelu_terms``). At c = 1 it is
    E[gelu(sqrt(q) z)^2] = q P + q^2 / (pi (q + 1) sqrt(2 q + 1))."""
    q = check_float("q", q, 0.0)
    c = check_float("c", c, -1.0, 1.0)
    a, b, root, p = _gelu_terms(q, c)
    return b * p + q * q * (1.0 + c * c + q * (1.0 - c) * (1.0 + c)) / (_TWO_PI * a * root)


def gelu_kernel_slope(q: float, c: float) -> float:
    """E[gelu'(u1) gelu'(u2)] (the same u1, u2), exactly:
    P + b / (pi a root) + b / (2 pi root^3); q = inf gives the limit 1/2 at c = 1."""
    q = _check_q(q)
    c = check_float("c", c, -1.0, 1.0)
    if math.isinf(q):
        if c != 1.0:
            raise ValueError(f"c must be 1 when q is infinite; got {c:g}")
        return 0.5
    a, b, root, p = _gelu_terms(q, c)
    return p + b / (math.pi * a * root) + b / (_TWO_PI * root**3)


def gelu_deficit(q: float) -> float:
    """R(q) = q/2 - E[gelu(sqrt(q) z)^2] = (q / pi) f(t), f(t) = t/2 - cos(t) tan(t/2),
    t = arccos(q / (q + 1)), without the cancellation of the difference (0 at q = 0 and inf)."""
    q = _check_q(q)
    if q == 0.0 or math.isinf(q):
        return 0.0
    t = math.atan2(math.sqrt(2.0 * q + 1.0), q)
    if t < _SERIES_BELOW:
        t2 = t * t
        f = t * t2 * math.fsum(c * t2**k for k, c in enumerate(_DEFICIT_SERIES))
    else:
        f = t / 2.0 - q / ((q + 1.0) * math.sqrt(2.0 * q + 1.0))
    return q * f / math.pi


def _root(gap: Callable[[float], float], low: float, high: float) -> float:
    """The root of ``gap`` between low >= 0 and high > low (a sign change), by Brent's method
    on [low / high, 1] with gap scaled by high: q* as small as 1e-300 stays out of underflow."""
    scaled = optimize.brentq(
        lambda t: gap(t * high) / high,
        low / high,
        1.0,
        xtol=1e-300,
        rtol=4.0 * np.finfo(float).eps,
        maxiter=500,
    )
    return float(scaled) * high


def _gelu_fixed_point(sw2: float, sb2: float) -> float:
    """q* = lim q_l of q -> sw2 E[gelu^2] + sb2 = q + gap(q) from q0 = 1,
    gap(q) = (sw2/2 - 1) q + sb2 - sw2 R(q); inf where q grows without bound.

    The sequence is monotone, so q* is the first root of gap in the direction it moves. gap is
    convex on (0, GELU_DEFICIT_INFLECTION] and concave above (R's shape), which makes the
    bracketing exact: below 1 the halving search meets one sign change; above 1 a root on the
    convex part lies before gap's minimum there; past it a concave gap has one root when
    sw2 < 2 and none when sw2 >= 2 (gap then rises: R falls past its peak).
    """

    def gap(q: float) -> float:
        return (0.5 * sw2 - 1.0) * q + sb2 - sw2 * gelu_deficit(q)

    first = gap(1.0)
    if first == 0.0:
        return 1.0
    if first < 0.0:  # gap(0) = sb2 >= 0 ends the search
        low, g_low, high = theory.bracket_downward(gap, 1.0)
        return low if g_low == 0.0 else _root(gap, low, high)
    bend = GELU_DEFICIT_INFLECTION
    if gap(bend) > 0.0:
        lowest = optimize.minimize_scalar(gap, bounds=(1.0, bend), method="bounded")
        bend = float(lowest.x) if lowest.fun <= 0.0 else bend
    g_bend = gap(bend)
    if g_bend == 0.0:
        return bend
    if g_bend < 0.0:
        return _root(gap, 1.0, bend)
    if sw2 >= 2.0:
        return math.inf
    low = bend  # gap(q) < 0 once q > sb2 / (1 - sw2/2): the doubling ends
    while True:
        high = 2.0 * low
        if gap(high) <= 0.0:
            return _root(gap, low, high)
        low = high


def length_fixed_point(activation: str, sw2: float, sb2: float) -> float:
    """q* = lim q_l of the length map from q0 = 1 (``lab.theory.fixed_point``'s convention);
    inf where the variance grows without bound (no finite fixed point above the start)."""
    act = _check_activation(activation)
    sw2 = check_float("sw2", sw2, 0.0, MAX_SW2, low_inclusive=False)
    sb2 = check_float("sb2", sb2, 0.0, MAX_SB2)
    if act.name == "gelu":
        return _gelu_fixed_point(sw2, sb2)
    return theory.fixed_point(act, sw2, sb2)


def _chi1(act: Activation, sw2: float, q_star: float) -> float:
    """sw2 E[phi'(sqrt(q*) z)^2]; at q* = inf its limit (GELU: sw2 / 2)."""
    if act.name == "gelu":
        return sw2 * gelu_kernel_slope(q_star, 1.0)
    return sw2 * float(theory.expected_dphi2(act, q_star))


def bivariate_expectation(
    f: Callable[[Array], Array], g: Callable[[Array], Array], q: float, c: float
) -> float:
    """E[f(u1) g(u2)] for (u1, u2) normal with variances q and correlation c in [-1, 1]:
    u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2). Smooth f and g only."""
    q = check_float("q", q, 0.0, 1e6)
    c = check_float("c", c, -1.0, 1.0)
    z, w = _rule()
    scale = math.sqrt(q)
    first = f(scale * z) * w
    second = g(scale * (c * z[:, None] + math.sqrt(max(0.0, 1.0 - c * c)) * z[None, :]))
    return float(first @ (second @ w))


def correlation_map(activation: str, c: float, sw2: float, sb2: float, q_star: float) -> float:
    """One layer of the correlation map at the length fixed point q*:
    c -> (sw2 E[phi(u1) phi(u2)] + sb2) / q* (Poole et al. 2016)."""
    act = _check_activation(activation)
    if act.name == "gelu":
        return (sw2 * gelu_kernel(q_star, c) + sb2) / q_star
    return (sw2 * bivariate_expectation(act.function, act.function, q_star, c) + sb2) / q_star


def correlation_slope(activation: str, c: float, sw2: float, q_star: float) -> float:
    """chi_c = sw2 E[phi'(u1) phi'(u2)]: the slope of the correlation map at c."""
    act = _check_activation(activation)
    if act.name == "gelu":
        return sw2 * gelu_kernel_slope(q_star, c)
    return sw2 * bivariate_expectation(act.derivative, act.derivative, q_star, c)


def correlation_fixed_point(activation: str, sw2: float, sb2: float) -> tuple[float, float]:
    """(q*, c*): the length fixed point and the stable fixed point of the correlation map
    (c* = 1 unless chi1 > 1; then the root of c_map(c) = c below 1, by Brent's method).
    (nan, nan) where q* is infinite (``length_fixed_point``)."""
    act = _check_activation(activation)
    q_star = length_fixed_point(act.name, sw2, sb2)
    if not math.isfinite(q_star) or q_star <= 0.0:
        return (q_star, 1.0) if q_star == 0.0 else (math.nan, math.nan)
    if _chi1(act, sw2, q_star) <= 1.0:
        return q_star, 1.0

    def gap(c: float) -> float:
        return correlation_map(act.name, c, sw2, sb2, q_star) - c

    # gap(0) >= 0 (sb2 >= 0 and E[phi(u1) phi(u2)] = E[phi]^2 >= 0 at c = 0) and gap < 0 just
    # below 1 in the chaotic phase (the map's slope at 1 is chi1 > 1).
    high = 1.0 - 1e-3
    while gap(high) >= 0.0 and high < 1.0 - 1e-12:
        high = 1.0 - (1.0 - high) / 10.0
    if gap(high) >= 0.0:
        return q_star, 1.0  # c* within 1e-12 of 1: the network is critical to rounding
    if gap(0.0) <= 0.0:
        return q_star, 0.0
    return q_star, float(optimize.brentq(gap, 0.0, high, xtol=1e-14, rtol=1e-13))


@dataclass(frozen=True, eq=False)
class PhaseDiagram:
    """Mean-field quantities on a grid; 2-D arrays have shape (len(sb2), len(sw2)).

    q_star: fixed point of the length map (NaN where infinite); chi1; c_star: stable fixed
    point of the correlation map; chi_c: the correlation map's slope at c*; depth_scale:
    xi_c = -1 / ln chi_c (inf where chi1 is within EDGE_TOL of 1); gradient_depth_scale:
    1 / |ln chi1|; phase: "ordered", "critical" (chi1 within CRITICAL_TOL of 1) or "chaotic"
    (``lab.theory.classify_phase``). edge_sw2, edge_q, edge_jump: the boundary between order
    and chaos at each sb2 of the grid (``phase_boundary``): the edge of chaos (chi1 = 1), or
    where edge_jump is True a jump of chi1 past 1.
    """

    activation: str
    sw2: Array
    sb2: Array
    q_star: Array
    chi1: Array
    c_star: Array
    chi_c: Array
    depth_scale: Array
    gradient_depth_scale: Array
    phase: Array
    edge_sw2: Array
    edge_q: Array
    edge_jump: Array


def _check_grid(name: str, values: object, low: float, high: float, *, zero: bool) -> Array:
    text = (
        f"{name} must be 1 to {MAX_GRID} finite numbers in {'[' if zero else '('}{low:g}, {high:g}]"
    )
    if isinstance(values, str):
        raise ValueError(f"{text}; got {values!r}")
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{text}; got {values!r}"[:300]) from None
    ok = 1 <= array.size <= MAX_GRID and np.all(np.isfinite(array))
    ok = ok and np.all(array >= low if zero else array > low) and np.all(array <= high)
    if not ok:
        raise ValueError(f"{text}; got {values!r}"[:300])
    return array


@dataclass(frozen=True)
class Boundary:
    """Where a network whose input has q0 = 1 (the plane's convention, ``length_fixed_point``)
    leaves the ordered phase as sw2 grows, at one sb2.

    sw2: the boundary; q_star: the fixed point of the length map the network reaches there
    (from the ordered side); jump: False at the edge of chaos, where chi1 reaches 1; True where
    chi1 jumps past 1 instead. GELU at small sb2 jumps: its length map has a second, repelling
    fixed point, and as sw2 grows the start q0 = 1 crosses it (sb2 up to about 0.127) or the
    fixed point the network reaches meets it and vanishes (up to about 0.174); the variance
    then grows without bound or settles at a far larger fixed point. xi never diverges there:
    there is no edge of chaos. sw2 and q_star are NaN when chi1 stays below 1 up to MAX_SW2 and
    ``lab.theory.edge_of_chaos`` finds no edge at all.
    """

    sw2: float
    q_star: float
    jump: bool


#: Step of the search for the first sw2 where chi1 reaches 1 (``phase_boundary``) and how close
#: it brackets that sw2, relative; chi1 that differs across the final bracket by more than
#: JUMP_GAP jumps there.
_BOUNDARY_SCAN = 0.05
_BOUNDARY_RTOL = 1e-12
JUMP_GAP = 1e-3


def _order_parameter(act: Activation, sw2: float, sb2: float) -> tuple[float, float]:
    """(chi1, q*) of the network started at q0 = 1 (q* inf where the variance grows without
    bound; chi1 is then its limit), as ``phase_point`` computes them."""
    q_star = length_fixed_point(act.name, sw2, sb2)
    return _chi1(act, sw2, q_star), q_star


def phase_boundary(activation: str, sb2: float) -> Boundary:
    """The ``Boundary`` at bias variance ``sb2``: the first sw2 at which the plane's chi1
    reaches 1.

    ``lab.theory.edge_of_chaos`` solves chi1 = 1 over all fixed points of the length map; its
    answer is the boundary when the network started at q0 = 1 reaches that fixed point (and,
    beyond the plane's MAX_SW2, it is returned as it is). Otherwise the first sw2 with chi1 >= 1
    is bracketed on a scan of step 0.05 and bisected to 1e-12 relative.
    """
    act = _check_activation(activation)
    sb2 = check_float("sb2", sb2, 0.0, MAX_SB2)
    critical, q_edge = theory.edge_of_chaos(act, sb2)
    if not math.isfinite(critical) or critical > MAX_SW2:
        return Boundary(critical, q_edge, jump=False)
    reached = length_fixed_point(act.name, critical, sb2)
    if math.isclose(reached, q_edge, rel_tol=1e-6, abs_tol=1e-12):
        return Boundary(critical, q_edge, jump=False)
    low = 0.0
    for high in np.arange(1, math.floor(MAX_SW2 / _BOUNDARY_SCAN) + 1) * _BOUNDARY_SCAN:
        if _order_parameter(act, float(high), sb2)[0] >= 1.0:
            break
        low = float(high)
    else:  # chi1 < 1 up to MAX_SW2 although theory's edge lies below it (none of the lab's)
        return Boundary(math.nan, math.nan, jump=False)
    high = float(high)
    while high - low > _BOUNDARY_RTOL * high:
        middle = 0.5 * (low + high)
        if _order_parameter(act, middle, sb2)[0] >= 1.0:
            high = middle
        else:
            low = middle
    below, q_below = _order_parameter(act, low, sb2)
    above, _ = _order_parameter(act, high, sb2)
    return Boundary(high, q_below, jump=above - below > JUMP_GAP)


def edge_of_chaos_curve(activation: str, sb2: Sequence[float]) -> tuple[Array, Array]:
    """(boundary sw2, q*) at every sb2 (``phase_boundary``): the edge of chaos (chi1 = 1) where
    the network reaches it, else where chi1 jumps past 1 (``phase_boundaries`` says where)."""
    boundaries = phase_boundaries(activation, sb2)
    return np.array([b.sw2 for b in boundaries]), np.array([b.q_star for b in boundaries])


def phase_boundaries(activation: str, sb2: Sequence[float]) -> list[Boundary]:
    """``phase_boundary`` at every sb2."""
    act = _check_activation(activation)
    values = _check_grid("sb2", sb2, 0.0, MAX_SB2, zero=True)
    return [phase_boundary(act.name, float(b)) for b in values]


def _xi(slope: float) -> float:
    if not math.isfinite(slope):
        return math.nan
    if slope <= 0.0:
        return 0.0
    if slope >= 1.0:
        return math.inf
    return -1.0 / math.log(slope)


def phase_point(activation: str, sw2: float, sb2: float) -> dict[str, float | str]:
    """Every quantity of ``PhaseDiagram`` at one (sw2, sb2). Where q* is infinite (GELU from
    sw2 = 2 up when q0 = 1 lies above every fixed point, e.g. sw2 = 2 with sb2 >
    2 GELU_DEFICIT_MAX) q_star, c_star, chi_c and the depth scale are NaN (undefined: the
    variance grows without bound) and chi1 is its limit."""
    act = _check_activation(activation)
    q_star, c_star = correlation_fixed_point(act.name, sw2, sb2)
    finite = math.isfinite(q_star)
    gain = _chi1(act, float(sw2), q_star if finite else math.inf)
    if not finite:
        slope = math.nan
    elif c_star == 1.0:
        slope = gain
    else:
        slope = correlation_slope(act.name, c_star, sw2, q_star)
    # At the edge chi_c = chi1 = 1 only up to the rounding of the quadrature and root finding.
    at_edge = finite and abs(gain - 1.0) <= EDGE_TOL
    return {
        "q_star": q_star,
        "chi1": gain,
        "c_star": c_star,
        "chi_c": slope,
        "depth_scale": math.inf if at_edge else _xi(slope),
        "gradient_depth_scale": theory.depth_scale(gain),
        "phase": theory.classify_phase(gain, CRITICAL_TOL),
    }


def phase_diagram(
    activation: str = "tanh", sw2: Sequence[float] = (), sb2: Sequence[float] = ()
) -> PhaseDiagram:
    """The phase diagram of ``activation`` on the grid sw2 x sb2 (see ``PhaseDiagram``)."""
    act = _check_activation(activation)
    weights = _check_grid("sw2", sw2, 0.0, MAX_SW2, zero=False)
    biases = _check_grid("sb2", sb2, 0.0, MAX_SB2, zero=True)
    if weights.size * biases.size > MAX_GRID * 20:
        raise ValueError(
            f"sw2 x sb2 must have at most {MAX_GRID * 20} points; got {weights.size * biases.size}"
        )
    names = ("q_star", "chi1", "c_star", "chi_c", "depth_scale", "gradient_depth_scale")
    arrays = {name: np.empty((biases.size, weights.size)) for name in names}
    phase = np.empty((biases.size, weights.size), dtype=object)
    for i, b in enumerate(biases):
        for j, w in enumerate(weights):
            point = phase_point(act.name, float(w), float(b))
            for name in names:
                arrays[name][i, j] = point[name]
            phase[i, j] = point["phase"]
    boundaries = phase_boundaries(act.name, biases)
    return PhaseDiagram(
        activation=act.name,
        sw2=weights,
        sb2=biases,
        phase=phase.astype(str),
        edge_sw2=np.array([b.sw2 for b in boundaries]),
        edge_q=np.array([b.q_star for b in boundaries]),
        edge_jump=np.array([b.jump for b in boundaries], dtype=bool),
        **arrays,
    )


# --- trainability ----------------------------------------------------------------------------

#: Defaults of the trainability grid: tanh on the digits, sb2 = 0.05 (the reference's edge of
#: chaos at sw2 = 1.7610), SGD with momentum at one small learning rate for every network (the
#: best of 0.0005 to 0.05 for the deep networks at and beyond the edge; larger rates stop them
#: training). The sw2 reach far into the chaotic phase, where xi_c falls to 4.5 (sw2 = 9), so
#: that the grid's depths cross about 10 xi_c on both sides.
TRAINABILITY_SW2: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 6.0, 9.0)
TRAINABILITY_DEPTHS: tuple[int, ...] = (2, 4, 8, 16, 24, 32, 48)
TRAINABILITY_SB2 = 0.05
TRAINABILITY_WIDTH = 32
TRAINABILITY_STEPS = 300
TRAINABILITY_LEARNING_RATE = 0.005
TRAINABILITY_BATCH = 64
TRAINABILITY_DATASET = "digits"
TRAINABILITY_SAMPLES = 600
#: Seconds of one core the trainability grid may use (lab.training's cost model).
TRAINABILITY_BUDGET_SECONDS = 15.0
MAX_TRAINABILITY_SW2 = 16
MAX_TRAINABILITY_DEPTHS = 12
MAX_TRAINABILITY_DEPTH = 64
MAX_TRAINABILITY_WIDTH = 128
MAX_TRAINABILITY_STEPS = 2000
#: Points of the 6 xi_c line between the smallest and the largest sw2.
LINE_POINTS = 61
#: A network has trained when its training accuracy reaches this: half the digits right, four
#: times chance (0.12 on the digits' 10 classes). Networks stuck by their depth stay near
#: chance; partly trained ones fall between.
TRAINED_ACCURACY = 0.5


@dataclass(frozen=True)
class TrainabilityConfig:
    """A grid of (sw2, depth) networks, each trained for ``steps`` minibatch steps.

    Every network has ``depth`` hidden layers of ``width`` units with ``activation``, weights
    N(0, sw2 / fan_in) in every layer (the read-out too), biases N(0, sb2), and is trained by
    SGD with momentum (lab.training) on ``samples`` points of ``dataset`` with ``seed``; every
    grid point uses the same seed, so the draws differ only by their scale.
    """

    sw2: tuple[float, ...] = TRAINABILITY_SW2
    depths: tuple[int, ...] = TRAINABILITY_DEPTHS
    sb2: float = TRAINABILITY_SB2
    activation: str = "tanh"
    width: int = TRAINABILITY_WIDTH
    steps: int = TRAINABILITY_STEPS
    learning_rate: float = TRAINABILITY_LEARNING_RATE
    batch_size: int = TRAINABILITY_BATCH
    dataset: str = TRAINABILITY_DATASET
    samples: int = TRAINABILITY_SAMPLES
    seed: int = 0

    def __post_init__(self) -> None:
        weights = _check_grid("sw2", self.sw2, 0.0, MAX_SW2, zero=False)
        if weights.size > MAX_TRAINABILITY_SW2:
            raise ValueError(
                f"sw2 must have at most {MAX_TRAINABILITY_SW2} values; got {weights.size}"
            )
        if isinstance(self.depths, str) or not isinstance(self.depths, Sequence):
            raise ValueError(f"depths must be a sequence of integers; got {self.depths!r}"[:300])
        if not 1 <= len(self.depths) <= MAX_TRAINABILITY_DEPTHS:
            raise ValueError(
                f"depths must have 1 to {MAX_TRAINABILITY_DEPTHS} values; got {len(self.depths)}"
            )
        checked = {
            "sw2": tuple(float(w) for w in weights),
            "depths": tuple(check_int("depths", d, 1, MAX_TRAINABILITY_DEPTH) for d in self.depths),
            "sb2": check_float("sb2", self.sb2, 0.0, MAX_SB2),
            "activation": _check_activation(self.activation).name,
            "width": check_int("width", self.width, 2, MAX_TRAINABILITY_WIDTH),
            "steps": check_int("steps", self.steps, 1, MAX_TRAINABILITY_STEPS),
            "learning_rate": check_float(
                "learning_rate", self.learning_rate, 0.0, 10.0, low_inclusive=False
            ),
            "batch_size": check_int("batch_size", self.batch_size, 1, 10_000),
            "dataset": check_choice("dataset", self.dataset, DATASET_NAMES),
            "seed": check_int("seed", self.seed, 0, 999_999),
        }
        checked["samples"] = check_samples(checked["dataset"], self.samples)
        for name, value in checked.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True, eq=False)
class Trainability:
    """Training accuracy over a grid of (sw2, depth), with the mean-field depth scale.

    accuracy, loss: (len(depths), len(sw2)), the training accuracy and mean cross-entropy on
    the ``samples`` training points after ``steps`` steps (accuracy 0 and loss NaN where
    training diverged). chance_accuracy: the most frequent class's share. trained: accuracy
    >= TRAINED_ACCURACY. depth_scale: xi_c at (sw2, sb2) for each sw2 of the grid
    (``phase_point``), phase: its phase; trainable_depth = TRAINABLE_DEPTH_SCALES * xi_c (inf
    at the edge of chaos). reach: for each sw2, the deepest depth that trained below the
    column's first failure, in units of xi_c; NaN where no network of the column failed or
    none trained (the boundary lies outside the grid) or xi_c is infinite. line_sw2,
    line_depth: the same 6 xi_c line on LINE_POINTS values of sw2 for drawing. edge_sw2: sw2
    at the edge of chaos for sb2. budget_note: '' or one line saying how many steps the budget
    left.
    """

    config: TrainabilityConfig
    requested: TrainabilityConfig
    budget_note: str
    sw2: Array
    depths: Array
    accuracy: Array
    loss: Array
    chance_accuracy: float
    trained: Array
    depth_scale: Array
    phase: Array
    trainable_depth: Array
    reach: Array
    line_sw2: Array
    line_depth: Array
    edge_sw2: float


def trainability_cost(config: TrainabilityConfig) -> Cost:
    """The grid's cost in lab.training's units: every network's steps and final evaluation."""
    seconds = 0.0
    features, classes = _shape(config.dataset)
    for depth in config.depths:
        widths = (features, *(config.width,) * depth, classes)
        per_step = training.estimated_step_seconds(widths, config.activation, config.batch_size)
        evaluation = training.estimated_step_seconds(widths, config.activation, config.samples)
        seconds += len(config.sw2) * (config.steps * per_step + evaluation / 3.0)
    largest = (features, *(config.width,) * max(config.depths), classes)
    peak = 4 * training.parameter_count(largest) * 8 + 4 * config.samples * features * 8
    return training.TrainingCost(
        multiply_adds=int(seconds * training.MULTIPLY_ADDS_PER_SECOND),
        peak_bytes=int(peak + 2 * training.CHUNK_BYTES),
        limit=int(TRAINABILITY_BUDGET_SECONDS * training.MULTIPLY_ADDS_PER_SECOND),
    )


def _reach(depths: Array, trained: Array, scale: Array) -> Array:
    """Per column: the deepest depth that trained below the first that did not, over xi_c
    (NaN where every depth trained, none did, or xi_c is not finite)."""
    order = np.argsort(depths, kind="stable")
    reach = np.full(trained.shape[1], np.nan)
    for j in range(trained.shape[1]):
        column = trained[order, j]
        failed = np.flatnonzero(~column)
        if failed.size and failed[0] > 0 and math.isfinite(scale[j]) and scale[j] > 0:
            reach[j] = depths[order[failed[0] - 1]] / scale[j]
    return reach


def _shape(dataset: str) -> tuple[int, int]:
    return (64, 10) if dataset == "digits" else (2, 3 if dataset == "blobs" else 2)


def trainability(
    config: TrainabilityConfig | None = None, progress: Callable[[float], None] | None = None
) -> Trainability:
    """Train every (sw2, depth) network of ``config`` (default ``TrainabilityConfig()``) and
    return the accuracy grid with the 6 xi_c line (Schoenholz et al. 2017). When the
    grid is over the budget, every network trains for fewer steps (``budget_note``).
    ``progress`` is called with the share done after each network."""
    config = TrainabilityConfig() if config is None else config
    if not isinstance(config, TrainabilityConfig):
        raise ValueError(f"config must be a TrainabilityConfig; got {type(config).__name__}")
    scaled = fit_count(
        config.steps,
        lambda steps: trainability_cost(replace(config, steps=steps)),
        what="steps",
        subject=f"{len(config.sw2)} × {len(config.depths)} networks",
    )
    fitted = replace(config, steps=scaled.used)
    data = make_dataset(fitted.dataset, samples=fitted.samples, seed=fitted.seed, held_out=0.05)
    x = np.concatenate([data.x_train, data.x_test])
    labels = np.concatenate([data.y_train, data.y_test])
    accuracy = np.zeros((len(fitted.depths), len(fitted.sw2)))
    loss = np.full_like(accuracy, np.nan)
    total, done = accuracy.size, 0
    for i, depth in enumerate(fitted.depths):
        widths = (data.features, *(fitted.width,) * depth, data.classes)
        for j, sw2 in enumerate(fitted.sw2):
            loss[i, j], accuracy[i, j] = training.train_steps(
                widths,
                fitted.activation,
                variance_scaling(sw2, "fan_in", "normal"),
                x,
                labels,
                steps=fitted.steps,
                batch_size=fitted.batch_size,
                learning_rate=fitted.learning_rate,
                bias_std=math.sqrt(fitted.sb2),
                seed=fitted.seed,
            )
            done += 1
            if progress is not None:
                progress(done / total)
    points = [phase_point(fitted.activation, w, fitted.sb2) for w in fitted.sw2]
    scale = np.array([point["depth_scale"] for point in points], dtype=float)
    trained = accuracy >= TRAINED_ACCURACY
    line_sw2 = np.linspace(min(fitted.sw2), max(fitted.sw2), LINE_POINTS)
    line_scale = np.array(
        [phase_point(fitted.activation, float(w), fitted.sb2)["depth_scale"] for w in line_sw2]
    )
    counts = np.bincount(labels, minlength=data.classes)
    return Trainability(
        config=fitted,
        requested=config,
        budget_note=scaled.note,
        sw2=np.array(fitted.sw2),
        depths=np.array(fitted.depths),
        accuracy=accuracy,
        loss=loss,
        chance_accuracy=float(counts.max() / counts.sum()),
        trained=trained,
        depth_scale=scale,
        phase=np.array([str(point["phase"]) for point in points]),
        trainable_depth=TRAINABLE_DEPTH_SCALES * scale,
        reach=_reach(np.array(fitted.depths), trained, scale),
        line_sw2=line_sw2,
        line_depth=TRAINABLE_DEPTH_SCALES * line_scale,
        edge_sw2=phase_boundary(fitted.activation, fitted.sb2).sw2,
    )
