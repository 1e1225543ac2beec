"""Activation functions and their derivatives, as data.

Formulas: ReLU (Nair & Hinton 2010), leaky ReLU (Maas et al. 2013), GELU with the exact
normal CDF (Hendrycks & Gimpel 2016), SELU with its published constants (Klambauer et al. 2017).
Gains follow PyTorch's ``torch.nn.init.calculate_gain``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from lab.validation import check_choice, check_float

Array = np.ndarray

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
DEFAULT_LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity with its derivative.

    ``kinks`` are the points where the function or its derivative is not smooth; quadrature
    splits its integration range there. ``saturates`` marks bounded functions whose derivative
    goes to zero for large |z| (tanh, sigmoid): the engine reports the share of saturated units,
    those whose slope is below ``lab.health.SATURATION_SLOPE`` (10%) of its maximum, i.e. |z|
    beyond ``lab.health.flat_threshold`` (tanh 1.82, sigmoid 3.64; ``TensorStats.frac_flat``).
    """

    name: str
    label: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array], Array]
    kinks: tuple[float, ...] = ()
    saturates: bool = False
    params: dict[str, float] = field(default_factory=dict)

    def __call__(self, z: Array) -> Array:
        return self.function(z)


def _linear(z: Array) -> Array:
    return np.asarray(z, dtype=float).copy()


def _linear_grad(z: Array) -> Array:
    return np.ones_like(z, dtype=float)


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_grad(z: Array) -> Array:
    return (np.asarray(z) > 0).astype(float)


def _tanh_grad(z: Array) -> Array:
    t = np.tanh(z)
    return 1.0 - t * t


def _sigmoid_grad(z: Array) -> Array:
    s = special.expit(z)
    return s * (1.0 - s)


def _gelu(z: Array) -> Array:
    return z * special.ndtr(z)


def _gelu_grad(z: Array) -> Array:
    return special.ndtr(z) + z * np.exp(-0.5 * np.square(z)) / math.sqrt(2.0 * math.pi)


def _selu(z: Array) -> Array:
    z = np.asarray(z, dtype=float)
    return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


def _selu_grad(z: Array) -> Array:
    z = np.asarray(z, dtype=float)
    return SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0)))


def leaky_relu(slope: float = DEFAULT_LEAKY_SLOPE) -> Activation:
    """Leaky ReLU with negative-side ``slope`` (PyTorch's ``negative_slope``, default 0.01)."""
    a = check_float("slope", slope, 0.0, 1.0)
    return Activation(
        name="leaky_relu",
        label=f"Leaky ReLU (a={a:g})",
        function=lambda z: np.where(z > 0, z, a * z),
        derivative=lambda z: np.where(np.asarray(z) > 0, 1.0, a),
        kinks=(0.0,),
        params={"slope": a},
    )


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("linear", "Linear (identity)", _linear, _linear_grad),
    "relu": Activation("relu", "ReLU", _relu, _relu_grad, kinks=(0.0,)),
    "leaky_relu": leaky_relu(),
    "tanh": Activation("tanh", "tanh", np.tanh, _tanh_grad, saturates=True),
    "sigmoid": Activation("sigmoid", "Sigmoid", special.expit, _sigmoid_grad, saturates=True),
    "gelu": Activation("gelu", "GELU (exact)", _gelu, _gelu_grad),
    "selu": Activation("selu", "SELU", _selu, _selu_grad, kinks=(0.0,)),
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def get_activation(name: str, slope: float = DEFAULT_LEAKY_SLOPE) -> Activation:
    """Look up an activation by name; ``slope`` applies to leaky_relu only."""
    check_choice("activation", name, ACTIVATION_NAMES)
    if name == "leaky_relu":
        return leaky_relu(slope)
    return ACTIVATIONS[name]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain of PyTorch's ``calculate_gain``.

    linear/conv/sigmoid -> 1, tanh -> 5/3, relu -> sqrt(2), leaky_relu(a) -> sqrt(2/(1+a^2))
    with a = 0.01 by default, selu -> 3/4. GELU has no PyTorch gain; it is not accepted here.
    """
    allowed = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "selu",
    )
    check_choice("nonlinearity", nonlinearity, allowed)
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    a = DEFAULT_LEAKY_SLOPE if param is None else check_float("param", param, 0.0)
    return math.sqrt(2.0 / (1.0 + a * a))
