"""Symmetry breaking: why the weights of a layer must not start equal.

A network inputs -> width hidden units -> 1 output is trained by full-batch gradient descent on
a fixed random regression target (mean squared error). If every hidden unit starts with the same
incoming and outgoing weights (zeros or a constant), every unit computes the same function and
receives the same gradient, so they stay identical forever: the layer behaves like a single unit
(Goodfellow, Bengio & Courville 2016, "Deep Learning", section 8.4). Random initialization gives
the units different weights, and training keeps them apart.

The matrix products here are written as broadcast multiplications followed by sums over an
axis, not BLAS calls: every hidden unit's column then goes through the very same floating-point
operations in the same order, so identical units stay *bitwise* identical and the measured
distance is exactly 0.0 (a BLAS kernel may treat columns in different register blocks with
different instruction sequences).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab.activations import ACTIVATION_NAMES, get_activation
from lab.initializers import get_initializer
from lab.network import check_init_params
from lab.validation import check_choice, check_float, check_int

MAX_STEPS = 1000
MAX_HIDDEN = 256
MAX_INPUTS = 256
MAX_SAMPLES = 10_000


@dataclass(frozen=True, eq=False)
class SymmetryResult:
    """Training record; every array has one entry per step 0..steps (0 = before training).

    max_pairwise_distance: the largest Euclidean distance between two hidden units' incoming
    weight vectors (columns of W1, shape (inputs, width)); outgoing_max_pairwise_distance: the
    same for their outgoing weights (rows of W2, shape (width, 1)). loss: mean squared error.
    broken: the incoming distance is > 0 after the last step (False when training diverged to
    NaN). incoming_weights / outgoing_weights: W1 and W2 after the last step.
    """

    steps: np.ndarray
    max_pairwise_distance: np.ndarray
    outgoing_max_pairwise_distance: np.ndarray
    loss: np.ndarray
    broken: bool
    incoming_weights: np.ndarray
    outgoing_weights: np.ndarray


def max_pairwise_distance(vectors: np.ndarray) -> float:
    """Largest Euclidean distance between two columns of ``vectors`` (0.0 for one column)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or vectors.size == 0:
        raise ValueError(f"vectors must be a non-empty 2-D array; got shape {vectors.shape}")
    differences = vectors[:, :, None] - vectors[:, None, :]
    return float(np.sqrt(np.max(np.sum(differences * differences, axis=0))))


def symmetry_experiment(
    init: str,
    init_params: tuple[tuple[str, float | str], ...] = (),
    steps: int = 20,
    width: int = 8,
    inputs: int = 4,
    samples: int = 64,
    learning_rate: float = 0.1,
    activation: str = "tanh",
    seed: int = 0,
) -> SymmetryResult:
    """Train a 2-layer network from ``init`` and record how far apart its hidden units drift.

    Draws from ``np.random.default_rng(seed)``, in order: X ~ N(0, 1) of shape
    (samples, inputs), the teacher v ~ N(0, 1/inputs) giving the target y = sin(X v), then
    W1 = init.sample(inputs, width) and W2 = init.sample(width, 1). Biases start at 0.
    Forward: h = phi(X W1 + b1), y_hat = h W2 + b2, loss = mean((y_hat - y)^2); backward by the
    chain rule, then plain gradient descent with ``learning_rate``.
    """
    params = check_init_params(init, init_params)
    steps = check_int("steps", steps, 1, MAX_STEPS)
    width = check_int("width", width, 2, MAX_HIDDEN)
    inputs = check_int("inputs", inputs, 1, MAX_INPUTS)
    samples = check_int("samples", samples, 1, MAX_SAMPLES)
    learning_rate = check_float("learning_rate", learning_rate, 0.0, 10.0, low_inclusive=False)
    check_choice("activation", activation, ACTIVATION_NAMES)
    seed = check_int("seed", seed, 0, 2**63 - 1)

    phi = get_activation(activation)
    initializer = get_initializer(init, **dict(params))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, inputs))
    teacher = rng.normal(0.0, 1.0 / math.sqrt(inputs), size=inputs)
    y = np.sin(_matmul(x, teacher[:, None]))
    w1 = np.asarray(initializer.sample(rng, inputs, width), dtype=np.float64)
    w2 = np.asarray(initializer.sample(rng, width, 1), dtype=np.float64)
    b1 = np.zeros(width)
    b2 = np.zeros(1)

    incoming, outgoing, losses = [], [], []
    with np.errstate(all="ignore"):
        for step in range(steps + 1):
            z = _matmul(x, w1) + b1
            h = np.asarray(phi.function(z), dtype=np.float64)
            residual = _matmul(h, w2) + b2 - y
            incoming.append(max_pairwise_distance(w1))
            outgoing.append(max_pairwise_distance(w2.T))
            losses.append(float(np.mean(residual * residual)))
            if step == steps:
                break
            grad_out = 2.0 * residual / samples  # dL/dy_hat
            grad_w2 = _matmul(h.T, grad_out)
            grad_z = _matmul(grad_out, w2.T) * phi.derivative(z)
            grad_w1 = _matmul(x.T, grad_z)
            w1 = w1 - learning_rate * grad_w1
            b1 = b1 - learning_rate * grad_z.sum(axis=0)
            w2 = w2 - learning_rate * grad_w2
            b2 = b2 - learning_rate * grad_out.sum(axis=0)

    distance = np.array(incoming)
    return SymmetryResult(
        steps=np.arange(steps + 1),
        max_pairwise_distance=distance,
        outgoing_max_pairwise_distance=np.array(outgoing),
        loss=np.array(losses),
        broken=bool(distance[-1] > 0.0),
        incoming_weights=w1,
        outgoing_weights=w2,
    )


def _matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """left @ right as a broadcast product summed over the shared axis, so that every output
    column is computed by the same operations in the same order (see the module docstring)."""
    return (left[:, :, None] * right[None, :, :]).sum(axis=1)
