"""Mean-field (infinite-width) theory of signal propagation at initialization.

Poole et al. 2016 ("Exponential expressivity in deep neural networks through transient chaos")
and Schoenholz et al. 2017 ("Deep information propagation"). In a wide network whose layer l has
weights of variance sw2_l / n_{l-1} and biases of variance sb2, every pre-activation is close to
N(0, q_l), and with z ~ N(0, 1):

- length map (forward): q_l = sw2_l * E[phi(sqrt(q_{l-1}) z)^2] + sb2;
- backward: the variance of dL/da_{l-1} is that of dL/da_l times
  chi_l = sw2_l * E[phi'(sqrt(q_l) z)^2] * n_l / n_{l-1};
- at a fixed point q* of the length map, chi1 = sw2 * E[phi'(sqrt(q*) z)^2] < 1 is the ordered
  (vanishing) phase, > 1 the chaotic (exploding) phase, = 1 the edge of chaos;
- at finite width, one input's mean square scatters around the length map by chance
  (``finite_width_spread``, first order; Hanin & Rolnick 2018 for ReLU).

Gaussian expectations use closed forms for the positively homogeneous activations (linear, ReLU,
leaky ReLU: E[phi^2] = c q) and quadrature otherwise. The quadrature is a composite
Gauss-Legendre rule in z on [-10, 10], split at 0 and graded geometrically towards 0 so that the
scale 1/sqrt(q) of phi(sqrt(q) z) is always resolved; it agrees with scipy.integrate.quad to
better than 1e-9 (the tested bound; typically 1e-15) for q from 1e-6 to 1e8. A single
Gauss-Hermite rule (numpy.polynomial.hermite.hermgauss) was measured and rejected: with 150
nodes it is off by 7e-5 for tanh at q = 10 and by 2e-2 at q = 100, because its nodes near 0 are
too far apart once sqrt(q) is large. Activations with kinks away from 0 fall back to
scipy.integrate.quad, split at the kinks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
from scipy import integrate, optimize

from lab.activations import DEFAULT_LEAKY_SLOPE, Activation, get_activation
from lab.initializers import MAX_FAN, Initializer, get_initializer
from lab.validation import check_choice, check_float, check_int

Array = np.ndarray
ActivationLike = str | Activation
InitParams = Mapping[str, object] | Iterable[tuple[str, object]]

MAX_LAYERS = 1000
MAX_STD = 1e6
MAX_SW2 = 1e12
#: |chi1 - 1| (or |slope - 1| of a linear length map) below this counts as exactly critical.
CRITICAL_RTOL = 1e-12
METHODS: tuple[str, ...] = ("auto", "quadrature")
PHASES: tuple[str, ...] = ("ordered", "critical", "chaotic")

# --- Gaussian expectations -------------------------------------------------------------------

_GL_ORDER = 12
_OUTER_EDGES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0)  # the normal density at 10 is 8e-23
_NEAR_ZERO = 1e-300  # the one-sided limits at q = 0 are taken at +-this
_CONTINUITY = 1e-200  # g(+-_NEAR_ZERO) closer than this to g(0) means g is continuous at 0
_AT_INFINITY = 1e300  # the limits at q = inf are taken at +-this
_UNBOUNDED = 1e100  # |phi| beyond this at _AT_INFINITY means phi is unbounded on that side
_Q_TINY = 1e-300  # fixed-point searches treat q below this as 0
_Q_HUGE = 1e300  # ... and q above this as infinite
#: Geometric panels reach down to z = 2^-60, resolving phi(sqrt(q) z) for q up to about 1e36.
#: Bounded activations cannot get there within the lab's limits (q <= sw2 + sb2 <= 1e18 + 1e12),
#: and for unbounded ones the region |z| < 2^-60 is a negligible share of E[phi^2], E[phi'^2].
_MAX_LEVELS = 60


@cache
def _rule(levels: int) -> tuple[Array, Array]:
    """Composite Gauss-Legendre nodes z in [-10, 10] and weights times the normal density.

    Panels: [0, 2^-levels], [2^-k-1, 2^-k] for k = levels-1 .. 0, then _OUTER_EDGES; mirrored.
    """
    x, w = np.polynomial.legendre.leggauss(_GL_ORDER)
    inner = [2.0**-k for k in range(levels, 0, -1)]
    edges = np.array([0.0, *inner, *_OUTER_EDGES])
    low, high = edges[:-1], edges[1:]
    half = (high - low)[:, None] / 2.0
    z = (half * (x + 1.0) + low[:, None]).ravel()
    weights = (half * w).ravel() * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return np.concatenate([-z[::-1], z]), np.concatenate([weights[::-1], weights])


def _levels(q: float) -> int:
    """Number of geometric panels needed so the smallest one is narrower than 1/sqrt(q)."""
    return min(_MAX_LEVELS, max(0, math.ceil(0.5 * math.log2(q)) + 1))


def _expect_positive_scalar(g: Callable[[Array], Array], q: float) -> float:
    z, w = _rule(_levels(q))
    with np.errstate(over="ignore", under="ignore"):
        return float(g(math.sqrt(q) * z) @ w)


def _limit_at_zero(g: Callable[[Array], Array]) -> float:
    """lim_{q->0+} E[g(sqrt(q) z)]: g(0) where g is continuous, (g(0+) + g(0-)) / 2 at a jump."""
    with np.errstate(over="ignore", under="ignore"):
        at_zero, right, left = np.asarray(g(np.array([0.0, _NEAR_ZERO, -_NEAR_ZERO])), float)
    if abs(right - at_zero) <= _CONTINUITY and abs(left - at_zero) <= _CONTINUITY:
        return float(at_zero)
    return float(right / 2.0 + left / 2.0)


def _limit_at_infinity(g: Callable[[Array], Array]) -> float:
    """lim_{q->inf} E[g(sqrt(q) z)] = (g(+inf) + g(-inf)) / 2, an unbounded side counting as inf."""
    with np.errstate(over="ignore", under="ignore"):
        values = np.asarray(g(np.array([_AT_INFINITY, -_AT_INFINITY])), dtype=float)
    values = np.where(np.abs(values) > _UNBOUNDED, np.copysign(np.inf, values), values)
    return float(values[0] / 2.0 + values[1] / 2.0)


def _quad_scalar(g: Callable[[Array], Array], q: float, kinks: tuple[float, ...]) -> float:
    """E[g(sqrt(q) z)] by scipy.integrate.quad, split where sqrt(q) z crosses a kink."""
    s = math.sqrt(q)
    density = 1.0 / math.sqrt(2.0 * math.pi)

    def integrand(z: float) -> float:
        with np.errstate(over="ignore", under="ignore"):
            return float(g(np.array([s * z]))[0]) * density * math.exp(-0.5 * z * z)

    cuts = sorted({k / s for k in kinks})
    edges = [-np.inf, *cuts, np.inf]
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        total += integrate.quad(integrand, low, high, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return total


def _expect(g: Callable[[Array], Array], q: Array, kinks: tuple[float, ...]) -> Array:
    """E[g(sqrt(q) z)] for every entry of a float array q >= 0 (inf allowed)."""
    out = np.empty(q.shape, dtype=float)
    flat_q, flat_out = q.ravel(), out.ravel()
    positive = np.isfinite(flat_q) & (flat_q > 0)
    for mask, limit in ((flat_q == 0, _limit_at_zero), (np.isinf(flat_q), _limit_at_infinity)):
        if mask.any():
            flat_out[mask] = limit(g)
    index = np.flatnonzero(positive)
    if any(k != 0.0 for k in kinks):
        for i in index:
            flat_out[i] = _quad_scalar(g, float(flat_q[i]), kinks)
        return out
    levels = np.clip(np.ceil(0.5 * np.log2(flat_q[index])) + 1, 0, _MAX_LEVELS).astype(int)
    for level in np.unique(levels):
        chosen = index[levels == level]
        z, w = _rule(int(level))
        with np.errstate(over="ignore", under="ignore"):
            flat_out[chosen] = g(np.sqrt(flat_q[chosen])[:, None] * z) @ w
    return out


def _check_q(q: object) -> Array:
    """q as a float array of values in [0, inf]; ValueError naming q otherwise."""
    try:
        array = np.asarray(q, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"q must be a number >= 0 (or an array of them); got {q!r}") from None
    if isinstance(q, bool) or np.isnan(array).any() or (array < 0).any():
        raise ValueError(f"q must be a number >= 0 (or an array of them); got {q!r}")
    return array


def _shaped(result: Array, q: object) -> float | Array:
    return float(result) if np.ndim(q) == 0 else result


def gaussian_expectation(
    function: Callable[[Array], Array], q: object, *, kinks: Iterable[float] = (0.0,)
) -> float | Array:
    """E[f(sqrt(q) z)], z ~ N(0, 1), by quadrature, for a scalar or array q in [0, inf].

    ``function`` must accept and return numpy arrays. ``kinks`` are the points where f is not
    smooth; 0 is always handled by the split rule, other kinks switch to scipy.integrate.quad.
    At q = 0 the value is the limit q -> 0+ ((f(0+) + f(0-)) / 2), at q = inf the limit q -> inf.
    """
    if not callable(function):
        raise ValueError(f"function must be callable; got {function!r}")
    kink_values = tuple(check_float("kinks", k) for k in kinks)
    return _shaped(_expect(function, _check_q(q), kink_values), q)


def _resolve(activation: ActivationLike, slope: float) -> Activation:
    if isinstance(activation, Activation):
        return activation
    return get_activation(activation, slope)


def _homogeneous(act: Activation) -> tuple[float, float, float] | None:
    """(m, c, d) with E[phi] = m sqrt(q), E[phi^2] = c q, E[phi'^2] = d, or None.

    For phi(u) = u (u > 0), a u (u <= 0): E[phi] = (1 - a) sqrt(q / (2 pi)),
    E[phi^2] = (1 + a^2) q / 2, E[phi'^2] = (1 + a^2) / 2 (He et al. 2015).
    """
    if act.name == "linear":
        return 0.0, 1.0, 1.0
    if act.name == "relu":
        slope = 0.0
    elif act.name == "leaky_relu":
        slope = float(act.params.get("slope", DEFAULT_LEAKY_SLOPE))
    else:
        return None
    half_power = (1.0 + slope * slope) / 2.0
    return (1.0 - slope) / math.sqrt(2.0 * math.pi), half_power, half_power


def _closed_form(act: Activation, method: str) -> tuple[float, float, float] | None:
    check_choice("method", method, METHODS)
    return _homogeneous(act) if method == "auto" else None


def _square(f: Callable[[Array], Array]) -> Callable[[Array], Array]:
    return lambda u: np.square(f(u))


def expected_phi(
    activation: ActivationLike,
    q: object,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
    method: str = "auto",
) -> float | Array:
    """E[phi(sqrt(q) z)]: the mean of a post-activation whose pre-activation is N(0, q).

    ``method="quadrature"`` skips the closed forms (to check them).
    """
    act, q_array = _resolve(activation, slope), _check_q(q)
    closed = _closed_form(act, method)
    if closed is not None:
        mean_coef = closed[0]
        with np.errstate(over="ignore"):
            result = mean_coef * np.sqrt(q_array) if mean_coef else np.zeros_like(q_array)
    else:
        result = _expect(act.function, q_array, act.kinks)
    return _shaped(result, q)


def expected_phi2(
    activation: ActivationLike,
    q: object,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
    method: str = "auto",
) -> float | Array:
    """E[phi(sqrt(q) z)^2]: the second moment of a post-activation (Poole et al. 2016)."""
    act, q_array = _resolve(activation, slope), _check_q(q)
    closed = _closed_form(act, method)
    if closed is not None:
        result = closed[1] * q_array
    else:
        result = _expect(_square(act.function), q_array, act.kinks)
    return _shaped(result, q)


def expected_dphi2(
    activation: ActivationLike,
    q: object,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
    method: str = "auto",
) -> float | Array:
    """E[phi'(sqrt(q) z)^2]: the backward gain of one layer per unit sw2 (Schoenholz et al. 2017).

    At q = 0 this is the limit q -> 0+, so a jump of phi' at 0 (ReLU, SELU) is averaged.
    """
    act, q_array = _resolve(activation, slope), _check_q(q)
    closed = _closed_form(act, method)
    if closed is not None:
        result = np.full(q_array.shape, closed[2])
    else:
        result = _expect(_square(act.derivative), q_array, act.kinks)
    return _shaped(result, q)


def _check_sw2(sw2: object) -> float:
    return check_float("sw2", sw2, 0.0, MAX_SW2)


def _check_sb2(sb2: object) -> float:
    return check_float("sb2", sb2, 0.0, MAX_SW2)


def length_map(
    activation: ActivationLike,
    q: object,
    sw2: float,
    sb2: float,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> float | Array:
    """One layer of the length map: sw2 * E[phi(sqrt(q) z)^2] + sb2 (Poole et al. 2016)."""
    sw2, sb2 = _check_sw2(sw2), _check_sb2(sb2)
    second = expected_phi2(activation, q, slope=slope)
    with np.errstate(over="ignore"):
        return sw2 * second + sb2


# --- initializers as sw2 ---------------------------------------------------------------------


class WeightScale(NamedTuple):
    """sw2 = fan_in * Var(W) of a scheme, or None with the reason the theory does not apply."""

    sw2: float | None
    reason: str


def _params_dict(init_params: InitParams | None) -> dict[str, object]:
    if init_params is None:
        return {}
    try:
        return dict(init_params)
    except (TypeError, ValueError):
        raise ValueError(
            f"init_params must be a mapping or (name, value) pairs; got {init_params!r}"
        ) from None


def _build_initializer(init: str | Initializer, init_params: InitParams | None) -> Initializer:
    if isinstance(init, Initializer):
        return init
    return get_initializer(init, **_params_dict(init_params))


def _not_covered(initializer: Initializer) -> str:
    """Why the mean-field theory does not cover this scheme, or "" when it does."""
    mean = initializer.mean()
    if mean != 0.0:
        return (
            f"{initializer.name} has mean {mean:g}: mean-field theory assumes zero-mean weights, "
            "and a nonzero mean shifts every unit of a layer by the same amount"
        )
    return ""


def effective_sw2(
    init: str | Initializer, fan_in: int, fan_out: int, init_params: InitParams = ()
) -> WeightScale:
    """sw2 = fan_in * Var(W) (Poole et al. 2016): He -> 2, Xavier with equal fans -> 1.

    Returns ``WeightScale(None, reason)`` for weights with a nonzero mean (rand, constant != 0);
    zeros are covered with sw2 = 0.
    """
    initializer = _build_initializer(init, init_params)
    fan_in = check_int("fan_in", fan_in, 1, MAX_FAN)
    fan_out = check_int("fan_out", fan_out, 1, MAX_FAN)
    reason = _not_covered(initializer)
    if reason:
        return WeightScale(None, reason)
    return WeightScale(fan_in * initializer.variance(fan_in, fan_out), "")


# --- layer-by-layer prediction ---------------------------------------------------------------


@dataclass(frozen=True)
class TheoryPrediction:
    """Mean-field prediction per layer l = 1..L (arrays indexed l - 1).

    pre_var: q_l; post_second_moment: E[a_l^2]; post_mean: E[a_l]; post_var = E[a^2] - E[a]^2;
    grad_var: Var(dL/da_l) relative to Var(dL/da_L) (so grad_var[-1] = 1); grad_std: its square
    root, summed in logarithms so that it stays representable where grad_var underflows
    (chi1 = 9e-6 over 100 layers: a std of 1e-250, a variance of 1e-500).
    When ``applicable`` is False every array is NaN and ``reason`` says why.
    """

    layers: Array
    widths: tuple[int, ...]
    input_width: int
    input_std: float
    bias_var: float
    sw2: Array
    pre_var: Array
    pre_std: Array
    post_mean: Array
    post_second_moment: Array
    post_rms: Array
    post_var: Array
    post_std: Array
    grad_var: Array
    grad_std: Array
    applicable: bool
    reason: str

    @property
    def rms_ratio(self) -> Array:
        """Each layer's post-activation RMS over the input's RMS (= input_std, zero-mean input)."""
        return self.post_rms / self.input_std


def _check_widths(layers: int, width: object, widths: object) -> tuple[int, ...]:
    if widths is None:
        return (check_int("width", width, 1, MAX_FAN),) * layers
    if isinstance(widths, str | bytes) or not isinstance(widths, Iterable):
        raise ValueError(f"widths must be a sequence of {layers} integers; got {widths!r}")
    values = tuple(check_int("widths", n, 1, MAX_FAN) for n in widths)
    if len(values) != layers:
        raise ValueError(f"widths must have length layers = {layers}; got {len(values)}")
    return values


def _forward_moments(
    act: Activation, sw2: Array, first_second_moment: float, sb2: float
) -> tuple[Array, Array, Array]:
    """(q_l, E[a_l], E[a_l^2]) for l = 1..L by iterating the length map."""
    closed = _homogeneous(act)
    if closed is not None:
        q = _iterate_linear_map(sw2.tolist(), closed[1], first_second_moment, sb2)
        with np.errstate(over="ignore"):
            mean = closed[0] * np.sqrt(q) if closed[0] else np.zeros_like(q)
            return q, mean, closed[1] * q
    q, second = _iterate_length_map(act, sw2.tolist(), first_second_moment, sb2)
    return q, _expect(act.function, q, act.kinks), second


def _iterate_linear_map(
    sw2: list[float], power: float, first_second_moment: float, sb2: float
) -> Array:
    """q_l = sw2_l * power * q_{l-1} + sb2, the length map of a homogeneous activation."""
    q = [0.0] * len(sw2)
    previous = first_second_moment
    for i, scale in enumerate(sw2):
        q[i] = scale * previous + sb2 if scale else sb2  # float overflow gives inf, not an error
        previous = power * q[i]
    return np.array(q)


def _iterate_length_map(
    act: Activation, sw2: list[float], first_second_moment: float, sb2: float
) -> tuple[Array, Array]:
    """(q_l, E[a_l^2]) by quadrature, one layer at a time (each q depends on the previous)."""
    n_layers = len(sw2)
    q, second = [0.0] * n_layers, [0.0] * n_layers
    square = _square(act.function)
    smooth = all(k == 0.0 for k in act.kinks)
    previous, last_q, last_second = first_second_moment, math.nan, math.nan
    with np.errstate(over="ignore", under="ignore"):
        for i, scale in enumerate(sw2):
            q_i = scale * previous + sb2 if scale else sb2
            if q_i == last_q:
                moment = last_second
            elif q_i == 0.0:
                moment = _limit_at_zero(square)
            elif math.isinf(q_i):
                moment = _limit_at_infinity(square)
            elif not smooth:
                moment = _quad_scalar(square, q_i, act.kinks)
            else:
                z, w = _rule(_levels(q_i))
                values = act.function(math.sqrt(q_i) * z)
                moment = float(values @ (values * w))
            q[i], second[i] = q_i, moment
            previous, last_q, last_second = moment, q_i, moment
    return np.array(q), np.array(second)


def _post_variance(act: Activation, q: Array, mean: Array, second: Array) -> Array:
    closed = _homogeneous(act)
    with np.errstate(over="ignore", invalid="ignore"):
        if closed is not None:
            return (closed[1] - closed[0] ** 2) * q
        variance = np.where(np.isinf(second), np.inf, second - mean * mean)
    return np.maximum(variance, 0.0)  # rounding can make E[a^2] - E[a]^2 slightly negative


def _gradient_variance(act: Activation, sw2: Array, q: Array, widths: tuple[int, ...]) -> Array:
    """Var(dL/da_l) / Var(dL/da_L): backward products of chi_{l+1} (Schoenholz et al. 2017)."""
    if len(q) == 1:
        return np.ones(1)
    gain = np.asarray(expected_dphi2(act, q[1:]), dtype=float)
    fan_ratio = np.asarray(widths[1:], dtype=float) / np.asarray(widths[:-1], dtype=float)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        chi = sw2[1:] * gain * fan_ratio
        backward = np.cumprod(chi[::-1])[::-1]
    return np.concatenate([backward, [1.0]])


def _gradient_std(act: Activation, sw2: Array, q: Array, widths: tuple[int, ...]) -> Array:
    """sqrt(Var(dL/da_l) / Var(dL/da_L)) as exp(sum of ln(chi_k) / 2) over the layers above:
    the same numbers as the square root of ``_gradient_variance`` wherever that is a normal
    float64, and representable down to 1e-308 where the variance underflowed to 0."""
    if len(q) == 1:
        return np.ones(1)
    gain = np.asarray(expected_dphi2(act, q[1:]), dtype=float)
    fan_ratio = np.asarray(widths[1:], dtype=float) / np.asarray(widths[:-1], dtype=float)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        chi = sw2[1:] * gain * fan_ratio
        log_std = np.cumsum(0.5 * np.log(chi[::-1]))[::-1]
        backward = np.exp(log_std)
    return np.concatenate([backward, [1.0]])


def predict(
    init: str | Initializer,
    activation: ActivationLike,
    layers: int,
    width: int | None,
    *,
    widths: Iterable[int] | None = None,
    input_width: int | None = None,
    input_std: float = 1.0,
    bias_std: float = 0.0,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> TheoryPrediction:
    """Mean-field statistics of every layer of an MLP at initialization (Poole et al. 2016).

    Layer l has width n_l (``width`` for all, or ``widths`` = (n_1, ..., n_L)); the input has
    ``input_width`` units (default n_1), zero mean and std ``input_std``; biases are
    N(0, bias_std^2). sw2_l = n_{l-1} Var(W_l); q_1 = sw2_1 input_std^2 + sb2.
    """
    layers = check_int("layers", layers, 1, MAX_LAYERS)
    hidden = _check_widths(layers, width, widths)
    n_in = hidden[0] if input_width is None else check_int("input_width", input_width, 1, MAX_FAN)
    input_std = check_float("input_std", input_std, 0.0, MAX_STD, low_inclusive=False)
    bias_std = check_float("bias_std", bias_std, 0.0, MAX_STD)
    act = _resolve(activation, slope)
    initializer = _build_initializer(init, init_params)
    sb2 = bias_std * bias_std
    fans = list(zip((n_in, *hidden[:-1]), hidden, strict=True))
    variances = {pair: initializer.variance(*pair) for pair in set(fans)}
    sw2 = np.array([fan_in * variances[fan_in, fan_out] for fan_in, fan_out in fans])
    reason = _not_covered(initializer)
    common = dict(
        layers=np.arange(1, layers + 1),
        widths=hidden,
        input_width=n_in,
        input_std=input_std,
        bias_var=sb2,
        sw2=sw2,
    )
    if reason:
        fields = ("pre_var", "pre_std", "post_mean", "post_second_moment", "post_rms")
        fields += ("post_var", "post_std", "grad_var", "grad_std")
        arrays = {name: np.full(layers, np.nan) for name in fields}
        return TheoryPrediction(**common, **arrays, applicable=False, reason=reason)
    q, mean, second = _forward_moments(act, sw2, input_std * input_std, sb2)
    post_var = _post_variance(act, q, mean, second)
    return TheoryPrediction(
        **common,
        pre_var=q,
        pre_std=np.sqrt(q),
        post_mean=mean,
        post_second_moment=second,
        post_rms=np.sqrt(second),
        post_var=post_var,
        post_std=np.sqrt(post_var),
        grad_var=_gradient_variance(act, sw2, q, hidden),
        grad_std=_gradient_std(act, sw2, q, hidden),
        applicable=True,
        reason="",
    )


# --- finite width ------------------------------------------------------------------------------


#: Above this log_sd the first-order scatter (``FiniteWidthSpread``) is only a rough guide: the
#: second-order drift of one input's ln RMS (ReLU: -log_sd^2, from E[ln X] = -Var(X) / 2 for
#: each layer's mean X of n squares) then exceeds half a standard deviation.
FIRST_ORDER_LOG_SD = 0.5


@dataclass(frozen=True)
class FiniteWidthSpread:
    """First-order scatter of one input's E[a_l^2] around the mean-field line at finite width.

    Given a_{l-1}, the pre-activations of one input are n_l independent draws of
    N(0, sw2_l m_{l-1} + sb2), m_{l-1} = mean_j a_{l-1,j}^2 (W_l and b_l are drawn independently
    of a_{l-1}), so m_l is an average of n_l draws of phi(z)^2. Mean-field theory is the limit
    n_l -> inf; at finite width ln m_l moves by chance with variance
    noise_l^2 = (E[phi^4] / E[phi^2]^2 - 1) / n_l, and a relative change of m_{l-1} reaches m_l
    multiplied by gain_l = E[phi(u) phi'(u) u] / E[phi(u)^2] * (q_l - sb2) / q_l with
    u = sqrt(q_l) z (the first factor is d ln E[phi^2] / d ln q; the delta method). So
    Var(ln m_l) = gain_l^2 Var(ln m_{l-1}) + noise_l^2, from Var(ln m_0) = noise_0^2 = 2 / n_0
    for a Gaussian input of n_0 units. ReLU: noise_l^2 = 5 / n_l and gain_l = 1, the sum of
    5 / n_l of Hanin & Rolnick 2018.

    Arrays indexed l - 1 for l = 1..L: noise (sd of ln m_l added by layer l), gain,
    log_sd (first-order sd of ln RMS_l = ln sqrt(m_l) of one input, = sqrt(Var ln m_l) / 2),
    factor = exp(log_sd) (one input's RMS at layer l lies within this factor of the theory's,
    one standard deviation); input_noise = noise_0; sensitivity = d ln m_L / d ln m_0, the
    product of the gains. NaN where E[phi^2] is 0 or not finite, or when the prediction does
    not apply (``reason`` then says why). First order: a rough guide once log_sd exceeds
    ``FIRST_ORDER_LOG_SD``.
    """

    layers: Array
    input_noise: float
    noise: Array
    gain: Array
    log_sd: Array
    factor: Array
    sensitivity: float
    applicable: bool
    reason: str


def finite_width_spread(
    prediction: TheoryPrediction,
    activation: ActivationLike,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> FiniteWidthSpread:
    """The first-order finite-width scatter of ``prediction`` (see ``FiniteWidthSpread``)."""
    if not isinstance(prediction, TheoryPrediction):
        raise ValueError(f"prediction must be a TheoryPrediction; got {prediction!r}")
    act = _resolve(activation, slope)
    input_noise = math.sqrt(2.0 / prediction.input_width)
    layers = len(prediction.layers)
    if not prediction.applicable:
        nan = np.full(layers, np.nan)
        return FiniteWidthSpread(
            prediction.layers, input_noise, nan, nan, nan, nan, math.nan, False, prediction.reason
        )
    q, second = prediction.pre_var, prediction.post_second_moment
    usable = np.isfinite(q) & (q > 0) & np.isfinite(second) & (second > 0)
    safe_q = np.where(usable, q, 1.0)
    with np.errstate(all="ignore"):
        fourth = _expect(lambda u: np.square(np.square(act.function(u))), safe_q, act.kinks)
        slope_term = _expect(lambda u: act.function(u) * act.derivative(u) * u, safe_q, act.kinks)
        widths = np.asarray(prediction.widths, dtype=float)
        noise = np.sqrt(np.maximum(fourth / np.square(second) - 1.0, 0.0) / widths)
        gain = slope_term / second * (q - prediction.bias_var) / q
    noise = np.where(usable, noise, np.nan)
    gain = np.where(usable, gain, np.nan)
    variance = np.empty(layers)
    previous = input_noise * input_noise
    for index in range(layers):
        previous = gain[index] * gain[index] * previous + noise[index] * noise[index]
        variance[index] = previous
    log_sd = np.sqrt(variance) / 2.0
    return FiniteWidthSpread(
        layers=prediction.layers,
        input_noise=input_noise,
        noise=noise,
        gain=gain,
        log_sd=log_sd,
        factor=np.exp(log_sd),
        sensitivity=float(np.prod(gain)),
        applicable=True,
        reason="",
    )


# --- fixed points, phases, edge of chaos ----------------------------------------------------


def _brentq(g: Callable[[float], float], low: float, high: float) -> float:
    return float(
        optimize.brentq(g, low, high, xtol=_Q_TINY, rtol=4.0 * np.finfo(float).eps, maxiter=500)
    )


def bracket_downward(gap: Callable[[float], float], high: float) -> tuple[float, float, float]:
    """For a fixed-point search that moves down from ``high`` (gap(high) < 0, gap(0) >= 0):
    (low, gap(low), high') with low < high', gap(low) >= 0 and gap(high') < 0, the bracket of
    the largest root below ``high``, found by halving. Below 1e-6 the steps are 1,000-fold: the
    length map of every lab activation is close to linear in q there, so coarser steps cannot
    skip a root; q below ``_Q_TINY`` counts as 0."""
    while True:
        low = high / (2.0 if high > 1e-6 else 1e3)
        low = low if low >= _Q_TINY else 0.0
        g_low = gap(low)
        if g_low >= 0.0:
            return low, g_low, high
        high = low


#: Relative size below which step(q) - q cannot be told from rounding (``_limit_of_iteration``).
_GAP_RTOL = 1e-9


def _limit_of_iteration(step: Callable[[float], float], q0: float) -> float:
    """lim q_l for q_{l+1} = step(q_l) from q0, for a nondecreasing step (the length map is one:
    phi(u)^2 + phi(-u)^2 grows with |u| for every activation of the lab).

    The sequence is monotone, so the limit is the nearest fixed point in the direction it moves:
    bracket it by halving/doubling, then solve step(q) = q with Brent's method.
    """
    first = step(q0)
    if first == q0:
        return q0

    def gap(q: float) -> float:
        return step(q) - q

    if first < q0:
        low, g_low, high = bracket_downward(gap, first)
        return low if g_low == 0.0 else _brentq(gap, low, high)
    low = high = first
    while True:
        # Doubling resolves every fixed point of practical size; past 1e6 the length map of
        # every lab activation is close to linear in q, so coarser steps cannot skip a crossing.
        high *= 2.0 if high < 1e6 else 1e3
        if high > _Q_HUGE:
            return math.inf
        g_high = gap(high)
        if g_high < -_GAP_RTOL * high:
            return _brentq(gap, low, high)
        # A gap within rounding of q is no crossing: where the map gains a constant per layer
        # (GELU at sigma_w^2 = 2 with sigma_b^2 above 0.1566) step(q) - q is that constant,
        # lost in the last bits of q once q is huge (0.0 from 1e15 on), and the sequence still
        # grows without end. Only a positive gap moves the lower end up, so a true root just
        # below such a q is bracketed by the next, larger one.
        if g_high > 0.0:
            low = high


def fixed_point(
    activation: ActivationLike,
    sw2: float,
    sb2: float,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
    q0: float = 1.0,
) -> float:
    """q* = lim q_l of the length map started from the pre-activation variance ``q0``.

    Linear, ReLU, leaky ReLU: the map is q -> m q + sb2 with m = sw2 E[phi^2]/q, so q* = sb2/(1-m)
    for m < 1 (0 when sb2 = 0), inf for m > 1, and at m = 1 (within CRITICAL_RTOL) inf if sb2 > 0,
    while for sb2 = 0 every q is a fixed point and ``q0`` itself is returned (the map never moves).
    Other activations: the fixed point the iteration from ``q0`` converges to (values above
    1e300 count as inf).
    """
    act = _resolve(activation, slope)
    sw2, sb2 = _check_sw2(sw2), _check_sb2(sb2)
    q0 = check_float("q0", q0, 0.0, _Q_HUGE)
    closed = _homogeneous(act)
    if closed is not None:
        m = sw2 * closed[1]
        if abs(m - 1.0) <= CRITICAL_RTOL:
            return q0 if sb2 == 0.0 else math.inf
        if m < 1.0:
            return sb2 / (1.0 - m)
        return math.inf if (q0 > 0.0 or sb2 > 0.0) else 0.0
    if sw2 == 0.0:
        return sb2

    def step(q: float) -> float:
        return sw2 * _second_moment_scalar(act, q) + sb2

    return _limit_of_iteration(step, q0)


def _second_moment_scalar(act: Activation, q: float) -> float:
    square = _square(act.function)
    if q == 0.0:
        return _limit_at_zero(square)
    if any(k != 0.0 for k in act.kinks):
        return _quad_scalar(square, q, act.kinks)
    return _expect_positive_scalar(square, q)


def _dphi2_scalar(act: Activation, q: float) -> float:
    return float(expected_dphi2(act, q))


def chi1(
    activation: ActivationLike, sw2: float, sb2: float, *, slope: float = DEFAULT_LEAKY_SLOPE
) -> float:
    """chi1 = sw2 E[phi'(sqrt(q*) z)^2] at q* = fixed_point(activation, sw2, sb2) from q0 = 1
    (Schoenholz et al. 2017); at q* = inf the limit q -> inf of E[phi'^2] is used."""
    act = _resolve(activation, slope)
    q_star = fixed_point(act, sw2, sb2)
    return float(sw2) * _dphi2_scalar(act, q_star)


def classify_phase(chi1: float, tol: float = 1e-3) -> str:
    """The phase of a network with this chi1: "ordered" if chi1 < 1 - tol, "chaotic" if
    chi1 > 1 + tol, else "critical" (Schoenholz et al. 2017)."""
    chi1 = check_float("chi1", chi1, 0.0)
    tol = check_float("tol", tol, 0.0, 1.0, low_inclusive=True)
    if chi1 < 1.0 - tol:
        return "ordered"
    if chi1 > 1.0 + tol:
        return "chaotic"
    return "critical"


def depth_scale(chi1: float) -> float:
    """xi = 1 / |ln chi1|: the number of layers over which the gradient variance changes by a
    factor e (it scales as chi1^L): Schoenholz et al. 2017's gradient depth scale xi_nabla. In
    the ordered phase it equals their correlation depth scale xi_c (c* = 1, where chi_c =
    chi1); in the chaotic phase xi_c comes from chi_c at c* < 1 (``lab.phase``) and is longer.
    inf at chi1 = 1; 0 at chi1 = 0."""
    chi1 = check_float("chi1", chi1, 0.0)
    if chi1 == 0.0:
        return 0.0
    if chi1 == 1.0:
        return math.inf
    return 1.0 / abs(math.log(chi1))


def edge_of_chaos(
    activation: ActivationLike,
    sb2: float,
    *,
    slope: float = DEFAULT_LEAKY_SLOPE,
    input_q: float | None = None,
) -> tuple[float, float]:
    """(critical sw2, q*): the weight scale at which chi1 = 1 for bias variance sb2.

    Solved over q*: a fixed point needs sw2 = (q* - sb2) / E[phi^2](q*), and chi1 = 1 then reads
    (q* - sb2) E[phi'^2](q*) / E[phi^2](q*) = 1; the smallest root q* > sb2 is returned.
    With sb2 = 0 and phi(0) = 0 the root is q* = 0 with sw2 = 1 / phi'(0)^2 (tanh: (1, 0)); for
    GELU that point repels (E[phi^2]/q grows with q), so a network started at q > 0 leaves it.
    Linear/ReLU/leaky ReLU: sw2 = 1 / E[phi'^2] with q* from ``fixed_point`` (inf if sb2 > 0; if
    sb2 = 0 every q is fixed, and q* is where a network stays whose input has second moment
    ``input_q``: its first layer's q_1 = sw2 input_q, the input entering unrectified (1 without
    ``input_q``). Other activations ignore ``input_q``. Returns (nan, nan) when no root exists
    below q* = 1e30.
    """
    act = _resolve(activation, slope)
    sb2 = _check_sb2(sb2)
    closed = _homogeneous(act)
    if closed is not None:
        critical = 1.0 / closed[2]
        q0 = 1.0 if input_q is None else critical * input_q + sb2
        return critical, fixed_point(act, critical, sb2, q0=q0)
    if sb2 == 0.0 and float(act.function(np.zeros(1))[0]) == 0.0:
        return 1.0 / _dphi2_scalar(act, 0.0), 0.0

    def excess(q: float) -> float:
        return (q - sb2) * _dphi2_scalar(act, q) / _second_moment_scalar(act, q) - 1.0

    low = sb2
    step = max(sb2, 1.0) * 2.0**-40
    while True:
        high = sb2 + step
        if high > 1e30:
            return math.nan, math.nan
        if excess(high) >= 0.0:
            break
        low, step = high, step * 2.0
    q_star = _brentq(excess, low, high)
    return (q_star - sb2) / _second_moment_scalar(act, q_star), q_star


# --- weight scales that keep the signal ------------------------------------------------------


def preserving_sw2(
    activation: ActivationLike, q: float, sb2: float = 0.0, *, slope: float = DEFAULT_LEAKY_SLOPE
) -> float:
    """The sw2 for which the pre-activation variance ``q`` is a fixed point of the length map:
    q = sw2 E[phi(sqrt(q) z)^2] + sb2, so sw2 = (q - sb2) / E[phi(sqrt(q) z)^2] (Poole et al.
    2016). ReLU: 2 at any q with sb2 = 0 (He et al. 2015); GELU at q = 1: 1 / 0.42522 = 2.352.
    NaN when no sw2 >= 0 does it (q <= sb2, or E[phi^2] = 0).
    """
    q = check_float("q", q, 0.0, _Q_HUGE, low_inclusive=False)
    sb2 = _check_sb2(sb2)
    second = float(expected_phi2(activation, q, slope=slope))
    if q <= sb2 or not second > 0.0:
        return math.nan
    return (q - sb2) / second


def chi1_from(
    activation: ActivationLike,
    sw2: float,
    sb2: float,
    *,
    q0: float = 1.0,
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> tuple[float, float]:
    """(chi1, q*): chi1 = sw2 E[phi'(sqrt(q*) z)^2] at the fixed point q* that the length map
    reaches from the pre-activation variance ``q0`` (``chi1`` is this with q0 = 1)."""
    act = _resolve(activation, slope)
    q_star = fixed_point(act, sw2, sb2, q0=q0)
    return float(sw2) * _dphi2_scalar(act, q_star), q_star
