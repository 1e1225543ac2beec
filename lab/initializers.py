"""Weight initializers as data: one variance-scaling mechanism, many names.

Variance scaling (Keras/JAX ``VarianceScaling``): Var(W) = scale / n with n = fan_in, fan_out or
(fan_in + fan_out) / 2, drawn from a normal, a normal truncated at two standard deviations, or a
uniform distribution. Every named scheme is a one-line specialization:

- Xavier/Glorot (Glorot & Bengio 2010): scale = gain^2, mode fan_avg.
- He/Kaiming (He et al. 2015): scale = 2 / (1 + a^2), mode fan_in (or fan_out).
- LeCun (LeCun et al. 1998): scale = 1, mode fan_in.
- PyTorch ``nn.Linear`` default, ``kaiming_uniform_(a=sqrt(5))``: scale = 1/3, fan_in, uniform.

Weights are sampled with shape (fan_in, fan_out) and used as ``x @ W`` (the Keras/JAX layout;
PyTorch stores the transpose). A convolution kernel with receptive field r = prod(k) has fans
C_in r and C_out r but forms the matrix (C_in r, C_out) (``Initializer.matrix_shape``): that is
the matrix PyTorch's ``orthogonal_`` (as (C_out, C_in r)) and Keras' ``Orthogonal`` make
orthogonal, so an orthogonal kernel has E[w^2] = gain^2 / max(C_in r, C_out).

Truncated normals follow Keras/JAX: the standard deviation is divided by
``TRUNCATED_NORMAL_STD`` = std of N(0, 1) truncated to [-2, 2], so that the samples keep the
target variance. PyTorch's ``xavier_normal_`` and ``kaiming_normal_`` are untruncated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy import special, stats

from lab.validation import check_choice, check_float, check_int

Mode = Literal["fan_in", "fan_out", "fan_avg"]
Distribution = Literal["normal", "truncated_normal", "uniform", "constant", "orthogonal"]

MODES: tuple[str, ...] = ("fan_in", "fan_out", "fan_avg")
SCALED_DISTRIBUTIONS: tuple[str, ...] = ("normal", "truncated_normal", "uniform")

#: Std of a standard normal truncated to [-2, 2] (= scipy.stats.truncnorm(-2, 2).std()).
TRUNCATED_NORMAL_STD = 0.87962566103423978
TRUNCATION = 2.0
MAX_FAN = 1_000_000


@dataclass(frozen=True)
class Initializer:
    """A weight distribution, either scaled by the layer's fans or of fixed scale.

    Scaled schemes set ``scale`` and ``mode``; fixed ones set ``std`` (normal), ``low``/``high``
    (uniform), ``value`` (constant) or ``gain`` (orthogonal).
    """

    name: str
    label: str
    distribution: Distribution
    scale: float | None = None
    mode: Mode | None = None
    std_value: float | None = None
    low: float | None = None
    high: float | None = None
    value: float | None = None
    gain: float = 1.0
    source: str = ""

    @property
    def is_scaled(self) -> bool:
        """True when the variance depends on the layer's fans (variance scaling, orthogonal)."""
        return self.scale is not None or self.distribution == "orthogonal"

    def fan(self, fan_in: int, fan_out: int) -> float:
        """The n of Var = scale / n for this scheme's mode."""
        fan_in, fan_out = _check_fans(fan_in, fan_out)
        if self.mode == "fan_out":
            return float(fan_out)
        if self.mode == "fan_avg":
            return (fan_in + fan_out) / 2.0
        return float(fan_in)

    def matrix_shape(self, fan_in: int, fan_out: int, receptive_field: int = 1) -> tuple[int, int]:
        """The (rows, cols) matrix the layer's weights form in the ``x @ W`` layout.

        Dense (``receptive_field`` 1): (fan_in, fan_out). A convolution kernel with receptive
        field r = prod(k) (fan_in = C_in r, fan_out = C_out r) flattens to (C_in r, C_out), the
        transpose of PyTorch's (C_out, C_in r) view in ``torch.nn.init.orthogonal_`` and the
        (prod(k) C_in, C_out) matrix of Keras' ``Orthogonal``.
        """
        fan_in, fan_out = _check_fans(fan_in, fan_out)
        r = check_int("receptive_field", receptive_field, 1, MAX_FAN)
        if fan_in % r or fan_out % r:
            raise ValueError(
                "receptive_field must divide fan_in and fan_out (fans C_in r and C_out r); "
                f"got {r} with fan_in {fan_in} and fan_out {fan_out}"
            )
        return fan_in, fan_out // r

    def variance(self, fan_in: int, fan_out: int, receptive_field: int = 1) -> float:
        """Exact variance of one weight. ``receptive_field`` (r = prod(k) of a convolution
        kernel, 1 for a dense layer) matters only to orthogonal weights (``matrix_shape``)."""
        fan_in, fan_out = _check_fans(fan_in, fan_out)
        if self.distribution == "orthogonal":
            # A semi-orthogonal (m, n) matrix has min(m, n) unit singular values: its squared
            # Frobenius norm gain^2 * min(m, n) spreads over m * n entries.
            rows, cols = self.matrix_shape(fan_in, fan_out, receptive_field)
            return self.gain**2 / max(rows, cols)
        if self.scale is not None:
            return self.scale / self.fan(fan_in, fan_out)
        if self.distribution == "normal":
            return self.std_value**2
        if self.distribution == "uniform":
            return (self.high - self.low) ** 2 / 12.0
        return 0.0

    def std(self, fan_in: int, fan_out: int, receptive_field: int = 1) -> float:
        """Exact standard deviation of one weight (``receptive_field`` as in ``variance``)."""
        return math.sqrt(self.variance(fan_in, fan_out, receptive_field))

    def mean(self, fan_in: int = 1, fan_out: int = 1) -> float:
        """Exact mean of one weight."""
        if self.distribution == "constant":
            return float(self.value)
        if self.distribution == "uniform" and self.low is not None:
            return (self.low + self.high) / 2.0
        return 0.0

    def support(self, fan_in: int, fan_out: int) -> tuple[float, float] | None:
        """(low, high) of a bounded distribution, or None for an unbounded normal."""
        if self.distribution == "uniform":
            if self.low is not None:
                return (self.low, self.high)
            b = math.sqrt(3.0 * self.variance(fan_in, fan_out))
            return (-b, b)
        if self.distribution == "truncated_normal":
            b = TRUNCATION * self.untruncated_std(fan_in, fan_out)
            return (-b, b)
        if self.distribution == "constant":
            return (float(self.value), float(self.value))
        return None

    def bound(self, fan_in: int, fan_out: int) -> float | None:
        """Half-width b of a symmetric uniform U(-b, b) (b = sqrt(3 Var)), else None."""
        support = self.support(fan_in, fan_out)
        if self.distribution != "uniform" or support is None or support[0] != -support[1]:
            return None
        return support[1]

    def untruncated_std(self, fan_in: int, fan_out: int) -> float:
        """The sigma parameter of the normal before truncation (Keras/JAX correction)."""
        std = self.std(fan_in, fan_out)
        return std / TRUNCATED_NORMAL_STD if self.distribution == "truncated_normal" else std

    def scipy_distribution(self, fan_in: int, fan_out: int):
        """The exact frozen ``scipy.stats`` distribution of one weight, or None when the weights
        are not independent draws (orthogonal) or not random (constant)."""
        fan_in, fan_out = _check_fans(fan_in, fan_out)
        if self.distribution == "normal":
            return stats.norm(loc=0.0, scale=self.std(fan_in, fan_out))
        if self.distribution == "truncated_normal":
            sigma = self.untruncated_std(fan_in, fan_out)
            return stats.truncnorm(-TRUNCATION, TRUNCATION, loc=0.0, scale=sigma)
        if self.distribution == "uniform":
            low, high = self.support(fan_in, fan_out)
            return stats.uniform(loc=low, scale=high - low)
        return None

    def sample(
        self, rng: np.random.Generator, fan_in: int, fan_out: int, receptive_field: int = 1
    ) -> np.ndarray:
        """Draw the layer's weight matrix with ``rng``: (fan_in, fan_out) for a dense layer,
        ``matrix_shape`` (C_in r, C_out) for a convolution kernel of receptive field r."""
        shape = self.matrix_shape(fan_in, fan_out, receptive_field)
        fan_in, fan_out = _check_fans(fan_in, fan_out)
        if self.distribution == "constant":
            return np.full(shape, float(self.value))
        if self.distribution == "orthogonal":
            return self.gain * _orthogonal(rng, *shape)
        if self.distribution == "normal":
            return rng.normal(0.0, self.std(fan_in, fan_out), size=shape)
        if self.distribution == "uniform":
            low, high = self.support(fan_in, fan_out)
            return rng.uniform(low, high, size=shape)
        return truncated_normal_from_uniform(
            rng.uniform(size=shape), self.untruncated_std(fan_in, fan_out)
        )

    def formula(self) -> str:
        """A LaTeX line describing the variance, for display."""
        if self.scale is not None:
            n = {"fan_in": r"n_\text{in}", "fan_out": r"n_\text{out}"}.get(
                self.mode, r"\tfrac{n_\text{in}+n_\text{out}}{2}"
            )
            return rf"\operatorname{{Var}}(W) = \frac{{{self.scale:.4g}}}{{{n}}}"
        if self.distribution == "orthogonal":
            return rf"W = {self.gain:.4g}\,Q,\; Q^\top Q = I"
        return rf"\operatorname{{Var}}(W) = {self.variance(1, 1):.4g}"


def _check_fans(fan_in: int, fan_out: int) -> tuple[int, int]:
    return (
        check_int("fan_in", fan_in, 1, MAX_FAN),
        check_int("fan_out", fan_out, 1, MAX_FAN),
    )


def truncated_normal_from_uniform(uniforms: np.ndarray, sigma: float) -> np.ndarray:
    """N(0, sigma^2) truncated to [-2 sigma, 2 sigma] by the inverse CDF of U[0, 1) draws, in
    place: sigma * Phi^-1(Phi(-2) + u (Phi(2) - Phi(-2))).

    The same transform of the same uniform draws as scipy's ``truncnorm.rvs(-2, 2, scale=sigma,
    random_state=rng)`` (equal to about 1e-15), as PyTorch's ``trunc_normal_`` computes it, at
    about an eighth of the time and with no temporaries (scipy's ``truncnorm.ppf`` holds about
    200 bytes per value).
    """
    low, high = special.ndtr(-TRUNCATION), special.ndtr(TRUNCATION)
    uniforms *= high - low
    uniforms += low
    special.ndtri(uniforms, out=uniforms)
    uniforms *= sigma
    return uniforms


def _orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """Haar-random (semi-)orthogonal matrix (Saxe et al. 2014), signs fixed as in PyTorch."""
    flat = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    return q if rows >= cols else q.T


# --- the one mechanism ----------------------------------------------------------------------


def variance_scaling(
    scale: float,
    mode: Mode = "fan_in",
    distribution: Literal["normal", "truncated_normal", "uniform"] = "truncated_normal",
    *,
    name: str = "variance_scaling",
    label: str | None = None,
    source: str = "Keras/JAX VarianceScaling",
) -> Initializer:
    """Var(W) = scale / n, n from ``mode``; the mechanism behind every named scheme below."""
    scale = check_float("scale", scale, 0.0, 1e6, low_inclusive=False)
    check_choice("mode", mode, MODES)
    check_choice("distribution", distribution, SCALED_DISTRIBUTIONS)
    text = label or f"Variance scaling ({scale:g}/{mode}, {distribution.replace('_', ' ')})"
    return Initializer(name, text, distribution, scale=scale, mode=mode, source=source)


# --- named specializations ------------------------------------------------------------------

GLOROT = "Glorot & Bengio 2010"
HE = "He et al. 2015"
LECUN = "LeCun et al. 1998"


def _gain(gain: float) -> float:
    return check_float("gain", gain, 0.0, 100.0, low_inclusive=False)


def _he_scale(slope: float) -> float:
    # PyTorch's nn.Linear uses a = sqrt(5) here, so the slope is not limited to [0, 1].
    a = check_float("slope", slope, 0.0, 100.0)
    return 2.0 / (1.0 + a * a)


def xavier_normal(gain: float = 1.0) -> Initializer:
    """PyTorch ``xavier_normal_``: N(0, gain^2 * 2 / (fan_in + fan_out)), untruncated."""
    return variance_scaling(
        _gain(gain) ** 2,
        "fan_avg",
        "normal",
        name="xavier_normal",
        label="Xavier/Glorot normal",
        source=GLOROT,
    )


def xavier_uniform(gain: float = 1.0) -> Initializer:
    """PyTorch ``xavier_uniform_``: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))."""
    return variance_scaling(
        _gain(gain) ** 2,
        "fan_avg",
        "uniform",
        name="xavier_uniform",
        label="Xavier/Glorot uniform",
        source=GLOROT,
    )


def glorot_truncated_normal() -> Initializer:
    """Keras/JAX ``glorot_normal``: truncated at 2 std, variance 2 / (fan_in + fan_out)."""
    return variance_scaling(
        1.0,
        "fan_avg",
        "truncated_normal",
        name="glorot_truncated_normal",
        label="Glorot truncated normal (Keras/JAX)",
        source=GLOROT,
    )


def he_normal(slope: float = 0.0, mode: Mode = "fan_in") -> Initializer:
    """PyTorch ``kaiming_normal_``: N(0, 2 / ((1 + a^2) n)), untruncated."""
    return variance_scaling(
        _he_scale(slope),
        mode,
        "normal",
        name="he_normal",
        label="He/Kaiming normal",
        source=HE,
    )


def he_uniform(slope: float = 0.0, mode: Mode = "fan_in") -> Initializer:
    """PyTorch ``kaiming_uniform_``: U(-b, b), b = sqrt(6 / ((1 + a^2) n))."""
    return variance_scaling(
        _he_scale(slope),
        mode,
        "uniform",
        name="he_uniform",
        label="He/Kaiming uniform",
        source=HE,
    )


def he_truncated_normal(mode: Mode = "fan_in") -> Initializer:
    """Keras/JAX ``he_normal``: truncated at 2 std, variance 2 / n."""
    return variance_scaling(
        2.0,
        mode,
        "truncated_normal",
        name="he_truncated_normal",
        label="He truncated normal (Keras/JAX)",
        source=HE,
    )


def lecun_normal() -> Initializer:
    """N(0, 1 / fan_in), untruncated (the variance SELU networks need)."""
    return variance_scaling(
        1.0, "fan_in", "normal", name="lecun_normal", label="LeCun normal", source=LECUN
    )


def lecun_uniform() -> Initializer:
    """U(-b, b), b = sqrt(3 / fan_in)."""
    return variance_scaling(
        1.0, "fan_in", "uniform", name="lecun_uniform", label="LeCun uniform", source=LECUN
    )


def lecun_truncated_normal() -> Initializer:
    """Keras/JAX ``lecun_normal``: truncated at 2 std, variance 1 / fan_in."""
    return variance_scaling(
        1.0,
        "fan_in",
        "truncated_normal",
        name="lecun_truncated_normal",
        label="LeCun truncated normal (Keras/JAX)",
        source=LECUN,
    )


def torch_linear_default() -> Initializer:
    """PyTorch ``nn.Linear`` weights, ``kaiming_uniform_(a=sqrt(5))``: b = 1 / sqrt(fan_in)."""
    return variance_scaling(
        1.0 / 3.0,
        "fan_in",
        "uniform",
        name="torch_linear_default",
        label="PyTorch nn.Linear default",
        source="torch.nn.Linear.reset_parameters",
    )


def zeros() -> Initializer:
    """Every weight 0: no signal, and no symmetry breaking."""
    return Initializer("zeros", "Zeros", "constant", value=0.0, source="symmetry counterexample")


def constant(value: float = 0.1) -> Initializer:
    """Every weight equal to ``value``: signal flows, but every unit stays identical."""
    c = check_float("value", value, -1e6, 1e6)
    return Initializer("constant", f"Constant ({c:g})", "constant", value=c)


def normal(std: float = 1.0) -> Initializer:
    """N(0, std^2) of fixed scale, ignoring the fans (numpy's ``randn * std``)."""
    s = check_float("std", std, 0.0, 1e6, low_inclusive=False)
    return Initializer("normal", f"Normal (std {s:g})", "normal", std_value=s)


def small_random() -> Initializer:
    """The "small random" N(0, 0.01^2) of the teaching material."""
    return replace(normal(0.01), name="small_random", label="Small random (std 0.01)")


def large_random() -> Initializer:
    """The "large random" N(0, 1) of the teaching material (``randn``)."""
    return replace(normal(1.0), name="large_random", label="Large random (std 1.0)")


def rand() -> Initializer:
    """numpy's ``rand``: U[0, 1), all weights positive with mean 1/2 and variance 1/12."""
    return Initializer("rand", "rand: U[0, 1)", "uniform", low=0.0, high=1.0)


def uniform(bound: float = 1.0) -> Initializer:
    """U(-bound, bound) of fixed scale: variance bound^2 / 3."""
    b = check_float("bound", bound, 0.0, 1e6, low_inclusive=False)
    return Initializer("uniform", f"Uniform (-{b:g}, {b:g})", "uniform", low=-b, high=b)


def orthogonal(gain: float = 1.0) -> Initializer:
    """Haar-random orthogonal weights times ``gain`` (Saxe et al. 2014)."""
    return Initializer(
        "orthogonal", "Orthogonal", "orthogonal", gain=_gain(gain), source="Saxe et al. 2014"
    )


#: Registry: name -> factory. The keyword arguments each factory accepts are its parameters.
SCHEMES = {
    "zeros": zeros,
    "constant": constant,
    "small_random": small_random,
    "large_random": large_random,
    "normal": normal,
    "rand": rand,
    "uniform": uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "glorot_truncated_normal": glorot_truncated_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "he_truncated_normal": he_truncated_normal,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_truncated_normal": lecun_truncated_normal,
    "orthogonal": orthogonal,
    "torch_linear_default": torch_linear_default,
}
SCHEME_NAMES: tuple[str, ...] = tuple(SCHEMES)

#: Which keyword parameters each scheme takes (for command lines, URLs and forms).
SCHEME_PARAMETERS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "normal": ("std",),
    "uniform": ("bound",),
    "xavier_normal": ("gain",),
    "xavier_uniform": ("gain",),
    "he_normal": ("slope", "mode"),
    "he_uniform": ("slope", "mode"),
    "he_truncated_normal": ("mode",),
    "orthogonal": ("gain",),
}


def get_initializer(name: str, **params: object) -> Initializer:
    """Build a scheme by name. Parameters the scheme does not take raise ValueError;
    parameters given as None are ignored (so callers can pass every control's value)."""
    check_choice("init", name, SCHEME_NAMES)
    given = {key: value for key, value in params.items() if value is not None}
    allowed = SCHEME_PARAMETERS.get(name, ())
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        takes = ", ".join(allowed) if allowed else "no parameters"
        raise ValueError(f"init {name!r} takes {takes}; got {', '.join(unknown)}")
    return SCHEMES[name](**given)


# --- fans -----------------------------------------------------------------------------------


def receptive_field(kernel_size: int | tuple[int, ...], spatial_dims: int = 2) -> int:
    """prod(k), the weights one channel pair of a convolution kernel holds (PyTorch's
    ``receptive_field_size``). An int ``kernel_size`` k means k^spatial_dims, as in
    ``nn.Conv2d``."""
    if isinstance(kernel_size, int | np.integer):
        sizes = (kernel_size,) * check_int("spatial_dims", spatial_dims, 1, 3)
    else:
        sizes = tuple(kernel_size)
    if not sizes:
        raise ValueError("kernel_size must have at least one dimension; got ()")
    receptive = 1
    for k in sizes:
        receptive *= check_int("kernel_size", k, 1, 1024)
    return receptive


def conv_fans(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, ...],
    spatial_dims: int = 2,
) -> tuple[int, int]:
    """(fan_in, fan_out) of a convolution kernel: C_in * prod(k) and C_out * prod(k).

    An int ``kernel_size`` k means a k x k kernel (k^spatial_dims), as in ``nn.Conv2d``.
    """
    c_in = check_int("in_channels", in_channels, 1, MAX_FAN)
    c_out = check_int("out_channels", out_channels, 1, MAX_FAN)
    receptive = receptive_field(kernel_size, spatial_dims)
    return c_in * receptive, c_out * receptive


def fans_from_shape(shape: tuple[int, ...], layout: Literal["torch", "keras"] = "torch"):
    """(fan_in, fan_out) of a weight tensor, as PyTorch's ``_calculate_fan_in_and_fan_out``.

    torch layout: (out, in, *kernel); keras layout: (*kernel, in, out).
    """
    check_choice("layout", layout, ("torch", "keras"))
    dims = [check_int("shape", d, 1, MAX_FAN) for d in shape]
    if len(dims) < 2:
        raise ValueError(f"shape must have at least 2 dimensions; got {tuple(shape)!r}")
    if layout == "torch":
        out_ch, in_ch, kernel = dims[0], dims[1], dims[2:]
    else:
        in_ch, out_ch, kernel = dims[-2], dims[-1], dims[:-2]
    receptive = int(np.prod(kernel)) if kernel else 1
    return in_ch * receptive, out_ch * receptive
