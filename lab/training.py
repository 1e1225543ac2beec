"""Train the same classifier from each initialization: an MLP in numpy with hand-written
backpropagation.

The network: ``layers`` hidden layers of ``width`` units, z_l = a_{l-1} W_l + b_l,
a_l = phi(z_l) (W_l of shape (n_{l-1}, n_l), the lab's layout), then a linear read-out to one
logit per class and the softmax cross-entropy loss, averaged over a minibatch. The gradients are
the chain rule written out (Rumelhart et al. 1986): dL/dlogits = (softmax - onehot) / B,
dL/dW_l = a_{l-1}^T dL/dz_l, dL/db_l = sum over the batch of dL/dz_l,
dL/dz_{l-1} = (dL/dz_l W_l^T) * phi'(z_{l-1}); ``loss_and_gradients`` exposes them for checks.
Everything is float64.

Every weight matrix, the read-out included, is drawn from the chosen initializer; biases start
at 0 (or N(0, bias_std^2)). Optimizers: minibatch SGD with momentum (PyTorch's form:
v <- mu v + g, theta <- theta - lr v, mu = ``MOMENTUM``) or Adam (Kingma & Ba 2015, with bias
correction, betas ``ADAM_BETAS``, epsilon ``ADAM_EPSILON``). No weight decay, no gradient
clipping: an exploding network overflows, and the run reports the epoch where its training loss
stopped being finite (training stops there).

Same network from each initialization: one seed fixes the data set, the minibatch order of
every epoch (the same for every initialization) and the random draws of the weights (every
initialization starts from a fresh generator with the same state, so He normal and N(0, 1)
weights are the same standard normal draws, scaled differently). Same seed, same numbers; a
run does not depend on the other initializations of the request.

Recorded per epoch, index 0 = at initialization, e = after epoch e: loss and accuracy on the
whole training part and on the held-out part; per weight layer the Frobenius norm of dL/dW_l
(index 0: the gradient of the whole training part at initialization; index e: the root mean
square over epoch e's minibatch steps of the minibatch gradient's norm); per hidden layer the
symmetry measure, the largest Euclidean distance between two units' incoming weight vectors
(columns of W_l). Units that start equal (zero or constant weights) receive equal gradients
and stay equal (Goodfellow, Bengio & Courville 2016, section 8.4), so the measure stays exactly
0.0. To keep it exact, a network that starts with two equal units (equal weights and bias) in a
hidden layer computes every product one unit at a time: a matrix-vector product per unit
forward and backward and a dot product per weight for dL/dW, so equal units go through the
same operations on equal numbers. BLAS matrix products compute the columns at the edge of
their register tiles with a different sequence of operations and split mathematically equal
units by rounding (measured here: 1e-19 after one epoch of a 13-unit sigmoid network on the
digits, growing). Other networks use BLAS (``numpy.matmul``). Batches go through in chunks of
at most ``CHUNK_BYTES`` of stored activations (the gradient is summed over the chunks).

Budget (lab.budget): ``training_cost`` predicts the seconds of one core from the work of the
request (``cost_features``, counted from this module's code: multiply-adds, parameters touched,
array elements, numpy calls, phi and phi' priced per call and element; the coefficients
``SECONDS_PER`` are fitted by benchmarks/training.py) and compares them with the data set's
``BUDGET_SECONDS``; the bytes go against lab.budget's byte budget. A larger request keeps its
network and lowers the points (down to ``MIN_FITTED_SAMPLES``), then the epochs, and when one
epoch of the fewest points is still over, trains only the first initializations; the decision
grid of a 2-D set takes at most ``GRID_BUDGET_SHARE`` of the budget (a coarser grid for large
networks, ``decision_grid_size``). ``fit_budget`` says what it lowered in one line. Networks
with more than ``MAX_PARAMETERS`` weights and biases are refused.

JSON of ``python -m lab train --json`` (``report``): ``config`` (the configuration that ran,
after the budget: dataset, inits, activation, leaky_slope, layers, width, epochs, optimizer,
learning_rate, batch_size, samples, noise, held_out, target_loss, bias_std, seed),
``requested`` (the same as asked, before the budget; target_loss null = the default),
``budget_note`` ('' or one line), ``dataset`` (name, label, classes, features, train_samples,
held_out_samples, chance_loss: the cross-entropy of predicting the training class frequencies,
chance_accuracy: the most frequent class's share), ``epochs`` ([0, 1, ..., E]) and ``runs``, one
per initialization, each with ``init``, ``label``, ``params``, ``exact_arithmetic`` (the
per-unit products above), ``train_loss``, ``train_accuracy``, ``held_out_loss``,
``held_out_accuracy`` (lists of E + 1 values, index 0 at initialization; null once the loss is
no longer finite), ``gradient_norm`` (E + 1 lists, one value per weight layer 1..L+1, the
read-out last), ``symmetry`` (E + 1 lists, one value per hidden layer 1..L), ``epochs_to_target``
("wasted epochs": the first epoch whose training loss is at most ``target_loss``, null = never),
``diverged_epoch`` (the first epoch whose training loss is not finite, null = never),
``final_train_loss``, ``final_train_accuracy``, ``final_held_out_loss``,
``final_held_out_accuracy`` (the last epoch's values; null once diverged). The decision grid
of the 2-D sets is in the Python result only (``InitRun.grid_class``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lab.activations import ACTIVATION_NAMES, DEFAULT_LEAKY_SLOPE, Activation, get_activation
from lab.budget import MAX_PEAK_BYTES, Cost, fit_count
from lab.datasets import (
    DATASET_NAMES,
    DEFAULT_HELD_OUT,
    DEFAULT_NOISE,
    DEFAULT_SAMPLES,
    MAX_HELD_OUT,
    MAX_NOISE,
    MIN_HELD_OUT,
    Dataset,
    check_samples,
    make_dataset,
)
from lab.initializers import Initializer, get_initializer
from lab.network import check_init_params
from lab.validation import check_choice, check_float, check_int

Array = np.ndarray
InitSpec = tuple[str, tuple[tuple[str, float | str], ...]]

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
DEFAULT_INITS: tuple[str, ...] = (
    "he_normal",
    "xavier_normal",
    "large_random",
    "small_random",
    "zeros",
)
DEFAULT_LEARNING_RATE: dict[str, float] = {"sgd": 0.01, "adam": 0.001}
MOMENTUM = 0.9
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8
DEFAULT_LAYERS = 8
DEFAULT_WIDTH = 32
DEFAULT_EPOCHS = 200
DEFAULT_BATCH_SIZE = 64
#: Default target of ``epochs_to_target``, as a share of the chance-level loss.
DEFAULT_TARGET_SHARE = 0.25
MAX_INITS = 8
MAX_LAYERS = 100
MIN_WIDTH = 2
MAX_WIDTH = 1024
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 10_000
MAX_LEARNING_RATE = 10.0
MAX_SEED = 999_999
MAX_TARGET_LOSS = 100.0
MAX_BIAS_STD = 1.0
#: Weights and biases a trainable network may have (its buffers stay within the byte budget).
MAX_PARAMETERS = 2_100_000
#: Side of the decision-boundary grid of the 2-D sets (GRID_SIZE x GRID_SIZE points).
GRID_SIZE = 60
#: The grid extends this share of the data's half-range beyond the farthest point.
GRID_MARGIN = 0.1
#: The symmetry measure of a wider layer uses this many evenly spaced units.
SYMMETRY_UNITS = 128
#: The budget never lowers the samples below this (or the requested number, if smaller).
MIN_FITTED_SAMPLES = 100
#: A chunk of a batch keeps at most this many bytes of activations (z_l and a_l).
CHUNK_BYTES = 8 * 2**20

# --- the budget ------------------------------------------------------------------------------
#: Seconds of one core a training request may use, per data set: five initializations x 200
#: epochs of the default network fit in 3 s on a 2-D set and in 15 s on the digits.
BUDGET_SECONDS: dict[str, float] = {
    "spirals": 3.0,
    "circles": 3.0,
    "xor": 3.0,
    "blobs": 3.0,
    "digits": 15.0,
}
#: ``TrainingCost.multiply_adds`` counts multiply-add equivalents at this nominal rate.
MULTIPLY_ADDS_PER_SECOND = 1e10


# --- configuration --------------------------------------------------------------------------


def _check_inits(inits: object) -> tuple[InitSpec, ...]:
    """Initializations as (name, params) pairs: a name alone means the scheme's defaults."""
    text = f"inits must be 1 to {MAX_INITS} initialization names (or (name, params) pairs)"
    if isinstance(inits, str) or not isinstance(inits, Sequence):
        raise ValueError(f"{text}; got {inits!r}"[:300])
    if not 1 <= len(inits) <= MAX_INITS:
        raise ValueError(f"{text}; got {len(inits)}")
    specs: list[InitSpec] = []
    for entry in inits:
        if isinstance(entry, str):
            name, params = entry, ()
        elif isinstance(entry, Sequence) and len(entry) == 2 and isinstance(entry[0], str):
            name, params = entry
        else:
            raise ValueError(f"{text}; got {entry!r}"[:300])
        spec = (name, check_init_params(name, params))
        if spec in specs:
            raise ValueError(f"inits must be distinct; {name!r} appears twice")
        specs.append(spec)
    return tuple(specs)


@dataclass(frozen=True)
class TrainingConfig:
    """One training experiment; hashable, so it can be a cache key.

    None means the default: ``samples`` and ``noise`` from lab.datasets for the data set,
    ``learning_rate`` from ``DEFAULT_LEARNING_RATE`` for the optimizer, ``target_loss`` =
    ``DEFAULT_TARGET_SHARE`` times the data set's chance-level loss. ``inits`` takes names or
    (name, params) pairs, stored as (name, sorted params) pairs.
    """

    dataset: str = "spirals"
    inits: tuple[InitSpec, ...] = tuple((name, ()) for name in DEFAULT_INITS)
    activation: str = "relu"
    leaky_slope: float = DEFAULT_LEAKY_SLOPE
    layers: int = DEFAULT_LAYERS
    width: int = DEFAULT_WIDTH
    epochs: int = DEFAULT_EPOCHS
    optimizer: str = "sgd"
    learning_rate: float | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    samples: int | None = None
    noise: float | None = None
    held_out: float = DEFAULT_HELD_OUT
    target_loss: float | None = None
    bias_std: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        dataset = check_choice("dataset", self.dataset, DATASET_NAMES)
        checked = {
            "dataset": dataset,
            "inits": _check_inits(self.inits),
            "activation": check_choice("activation", self.activation, ACTIVATION_NAMES),
            "leaky_slope": check_float("leaky_slope", self.leaky_slope, 0.0, 1.0),
            "layers": check_int("layers", self.layers, 1, MAX_LAYERS),
            "width": check_int("width", self.width, MIN_WIDTH, MAX_WIDTH),
            "epochs": check_int("epochs", self.epochs, 1, MAX_EPOCHS),
            "optimizer": check_choice("optimizer", self.optimizer, OPTIMIZERS),
            "batch_size": check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE),
            "held_out": check_float("held_out", self.held_out, MIN_HELD_OUT, MAX_HELD_OUT),
            "bias_std": check_float("bias_std", self.bias_std, 0.0, MAX_BIAS_STD),
            "seed": check_int("seed", self.seed, 0, MAX_SEED),
        }
        if self.learning_rate is not None:
            checked["learning_rate"] = check_float(
                "learning_rate", self.learning_rate, 0.0, MAX_LEARNING_RATE, low_inclusive=False
            )
        if self.samples is not None:
            checked["samples"] = check_samples(dataset, self.samples)
        if self.noise is not None:
            if dataset not in DEFAULT_NOISE:
                raise ValueError(f"noise applies to the generated 2-D sets only; got {dataset!r}")
            checked["noise"] = check_float("noise", self.noise, 0.0, MAX_NOISE)
        if self.target_loss is not None:
            checked["target_loss"] = check_float(
                "target_loss", self.target_loss, 0.0, MAX_TARGET_LOSS, low_inclusive=False
            )
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        features, classes = _dataset_shape(dataset)
        count = parameter_count(_widths(self, features, classes))
        if count > MAX_PARAMETERS:
            raise ValueError(
                f"layers x width must give at most {MAX_PARAMETERS:,} parameters; got "
                f"{count:,} ({self.layers} layers x {self.width} units)"
            )

    @property
    def sample_count(self) -> int:
        """Points in the data set (training and held-out), the default when ``samples`` is None."""
        return DEFAULT_SAMPLES[self.dataset] if self.samples is None else self.samples

    @property
    def rate(self) -> float:
        """The learning rate, the optimizer's default when ``learning_rate`` is None."""
        if self.learning_rate is None:
            return DEFAULT_LEARNING_RATE[self.optimizer]
        return self.learning_rate

    def activation_function(self) -> Activation:
        """phi, ``get_activation(activation, leaky_slope)``."""
        return get_activation(self.activation, self.leaky_slope)


def config_from_values(values: Mapping[str, object]) -> TrainingConfig:
    """A TrainingConfig from a mapping of field names (missing names take their defaults,
    other names are ignored); ``inits`` may be a comma-separated string."""
    names = set(TrainingConfig.__dataclass_fields__)
    given = {name: value for name, value in values.items() if name in names}
    inits = given.get("inits")
    if isinstance(inits, str):
        given["inits"] = tuple(part.strip() for part in inits.split(",") if part.strip())
    return TrainingConfig(**given)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class InitRun:
    """The training record of one initialization; curves have one entry per epoch 0..E
    (0 = at initialization, e = after epoch e).

    train_loss, train_accuracy, held_out_loss, held_out_accuracy: mean cross-entropy (nats) and
    share of correct argmax predictions on the training and held-out parts (NaN once the
    network has diverged). gradient_norm: (E+1, L+1), the Frobenius norm of dL/dW_l,
    l = 1..L+1 (the read-out last): row 0 for the whole training part at initialization, row e
    the root mean square over epoch e's minibatch steps. symmetry: (E+1, L), per hidden layer
    the largest Euclidean distance between two units' incoming weight vectors (over
    ``SYMMETRY_UNITS`` evenly spaced units in wider layers), exactly 0.0 while the layer's
    units are identical. epochs_to_target: the first epoch whose training loss is at most the
    target ("wasted epochs"), None = never. diverged_epoch: the first epoch whose training loss
    is not finite, None = never; training stops there. exact_arithmetic: the network started
    with tied units and computed its products one unit at a time (module docstring).
    grid_class, grid_probability: (n, n) predicted class (-1 where the logits overflowed) and
    its softmax probability on the result's grid (row i at grid_y[i], column j at grid_x[j],
    n = ``decision_grid_size``, GRID_SIZE unless the network is large) after the last epoch;
    None for the digits.
    """

    init: str
    label: str
    params: tuple[tuple[str, float | str], ...]
    train_loss: Array
    train_accuracy: Array
    held_out_loss: Array
    held_out_accuracy: Array
    gradient_norm: Array
    symmetry: Array
    epochs_to_target: int | None
    diverged_epoch: int | None
    exact_arithmetic: bool
    grid_class: Array | None = None
    grid_probability: Array | None = None

    @property
    def final_train_loss(self) -> float:
        """The last epoch's training loss; inf for a diverged run (so it ranks last)."""
        value = float(self.train_loss[-1])
        return value if math.isfinite(value) else math.inf

    @property
    def final_train_accuracy(self) -> float:
        """The last epoch's training accuracy (NaN for a diverged run)."""
        return float(self.train_accuracy[-1])

    @property
    def final_held_out_loss(self) -> float:
        """The last epoch's held-out loss; inf for a diverged run."""
        value = float(self.held_out_loss[-1])
        return value if math.isfinite(value) else math.inf

    @property
    def final_held_out_accuracy(self) -> float:
        """The last epoch's held-out accuracy (NaN for a diverged run)."""
        return float(self.held_out_accuracy[-1])


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """Everything a training page shows.

    config: what ran (after the budget); requested: what was asked; budget_note: '' or one
    line saying what the budget lowered. epochs: 0..E. runs: one InitRun per initialization, in
    the order asked. dataset: the data (its points, for the 2-D sets' scatter plots).
    target_loss: the loss ``epochs_to_target`` waits for. grid_x, grid_y: the decision grid's
    coordinates (standardized inputs) for the 2-D sets, else None. widths: (n_0, n_1, ..., n_L,
    classes), the layer sizes.
    """

    config: TrainingConfig
    requested: TrainingConfig
    budget_note: str
    epochs: Array
    runs: tuple[InitRun, ...]
    dataset: Dataset
    target_loss: float
    widths: tuple[int, ...]
    grid_x: Array | None = None
    grid_y: Array | None = None

    def run(self, init: str) -> InitRun:
        """The first run of scheme ``init``."""
        for run in self.runs:
            if run.init == init:
                return run
        names = ", ".join(run.init for run in self.runs)
        raise ValueError(f"init must be one of {names}; got {init!r}")


# --- the network ----------------------------------------------------------------------------


class _Network:
    """Weights and biases in one flat buffer (views per layer), so that an optimizer step is a
    handful of numpy calls; gradients in a second buffer of the same layout, and a scratch
    buffer the optimizer shares. Batches larger than ``chunk_rows`` go through in chunks, so the
    stored activations stay under ``CHUNK_BYTES`` (the gradient is summed over the chunks)."""

    def __init__(self, widths: Sequence[int], activation: Activation, exact: bool) -> None:
        self.widths = tuple(widths)
        self.activation = activation
        self.exact = exact
        shapes = list(zip(self.widths[:-1], self.widths[1:], strict=True))
        total = sum(a * b + b for a, b in shapes)
        self.flat = np.zeros(total)
        self.grad = np.zeros(total)
        self.scratch = np.zeros(total)
        self.weights, self.biases, self.grad_weights, self.grad_biases = [], [], [], []
        segments = []
        start = 0
        for fan_in, fan_out in shapes:
            stop = start + fan_in * fan_out
            segments += [start, stop]
            self.weights.append(self.flat[start:stop].reshape(fan_in, fan_out))
            self.grad_weights.append(self.grad[start:stop].reshape(fan_in, fan_out))
            self.biases.append(self.flat[stop : stop + fan_out])
            self.grad_biases.append(self.grad[stop : stop + fan_out])
            start = stop + fan_out
        # weight and bias segments alternate in the flat buffer: W_1, b_1, W_2, b_2, ...
        self._segments = np.array(segments)
        self.chunk_rows = chunk_rows(self.widths)

    # Matrix products: BLAS, or per-unit calls for networks with tied units (module docstring).
    def _forward_product(self, a: Array, w: Array) -> Array:
        if not self.exact:
            return a @ w
        # unit j: a @ w[:, j], one matrix-vector product per unit
        columns = np.ascontiguousarray(w.T)[:, :, None]
        return np.ascontiguousarray(np.matmul(a, columns)[:, :, 0].T)

    def _backward_product(self, delta: Array, w: Array) -> Array:
        if not self.exact:
            return delta @ w.T
        # unit i of the layer below: delta @ w[i, :], one matrix-vector product per unit
        return np.ascontiguousarray(np.matmul(delta, w[:, :, None])[:, :, 0].T)

    def _outer_product(self, a: Array, delta: Array, out: Array) -> None:
        if not self.exact:
            np.matmul(a.T, delta, out=out)
            return
        # entry (i, j): one dot product of a[:, i] and delta[:, j]
        rows, columns = np.ascontiguousarray(a.T), np.ascontiguousarray(delta.T)
        np.vecdot(rows[:, None, :], columns[None, :, :], out=out)

    def _forward(self, x: Array) -> tuple[list[Array], list[Array], Array]:
        """(pre-activations z_1..z_L, activations a_0..a_L, logits) of one chunk."""
        phi = self.activation.function
        pre, post = [], [x]
        a = x
        hidden = len(self.weights) - 1
        for index in range(hidden):
            z = self._forward_product(a, self.weights[index])
            z += self.biases[index]
            a = phi(z)
            pre.append(z)
            post.append(a)
        logits = self._forward_product(a, self.weights[hidden])
        logits += self.biases[hidden]
        return pre, post, logits

    def _backward(self, pre: list[Array], post: list[Array], dlogits: Array) -> None:
        """Fill ``grad`` with dL/dtheta for the loss whose dL/dlogits is ``dlogits``."""
        delta = dlogits
        for index in range(len(self.weights) - 1, -1, -1):
            self._outer_product(post[index], delta, self.grad_weights[index])
            np.add.reduce(delta, axis=0, out=self.grad_biases[index])
            if index == 0:
                break
            delta = self._backward_product(delta, self.weights[index])
            delta *= _derivative(self.activation, pre[index - 1], post[index])

    def _chunk_gradient(self, x: Array, labels: Array, scale: float) -> None:
        pre, post, logits = self._forward(x)
        probs = logits - _row_max(logits)
        np.exp(probs, out=probs)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(labels)), labels] -= 1.0
        probs *= scale
        self._backward(pre, post, probs)

    def gradient(self, x: Array, labels: Array) -> None:
        """Fill ``grad`` with the gradient of the mean softmax cross-entropy over the batch:
        dL/dlogits = (softmax - onehot) / B, then backpropagation."""
        count = len(labels)
        if count <= self.chunk_rows:
            self._chunk_gradient(x, labels, 1.0 / count)
            return
        total = np.zeros_like(self.grad)
        for start in range(0, count, self.chunk_rows):
            chunk = slice(start, start + self.chunk_rows)
            self._chunk_gradient(x[chunk], labels[chunk], 1.0 / count)
            total += self.grad
        self.grad[...] = total

    def predict(self, x: Array) -> Array:
        """Logits of a batch (chunked, keeping only the current layer)."""
        phi = self.activation.function
        hidden = len(self.weights) - 1
        logits = np.empty((len(x), self.widths[-1]))
        for start in range(0, len(x), self.chunk_rows):
            a = x[start : start + self.chunk_rows]
            for index in range(hidden):
                z = self._forward_product(a, self.weights[index])
                z += self.biases[index]
                a = phi(z)
            out = self._forward_product(a, self.weights[hidden])
            out += self.biases[hidden]
            logits[start : start + len(a)] = out
        return logits

    def weight_gradient_squares(self) -> Array:
        """Squared Frobenius norm of each weight matrix's gradient."""
        np.multiply(self.grad, self.grad, out=self.scratch)
        return np.add.reduceat(self.scratch, self._segments)[::2]


def chunk_rows(widths: Sequence[int]) -> int:
    """Rows per chunk: the stored z_l and a_l (8 bytes each per unit) stay under CHUNK_BYTES."""
    return max(1, CHUNK_BYTES // (16 * sum(widths[1:]) + 8 * widths[0]))


def _derivative(activation: Activation, z: Array, a: Array) -> Array | float:
    """phi'(z), from the stored output a where that is exact and cheaper."""
    name = activation.name
    if name == "linear":
        return 1.0
    if name == "relu":
        return z > 0.0
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    return activation.derivative(z)


def _row_max(values: Array) -> Array:
    """The largest entry of each row, as a column: ``values.max(axis=1, keepdims=True)``
    (the same numbers), one np.maximum per column on many rows, where numpy's reduction along
    a short last axis takes about 100 ns per row."""
    if len(values) <= 64:
        return values.max(axis=1, keepdims=True)
    largest = values[:, :1].copy()
    for column in range(1, values.shape[1]):
        np.maximum(largest, values[:, column : column + 1], out=largest)
    return largest


def _softmax_cross_entropy(logits: Array, labels: Array) -> tuple[float, Array, Array]:
    """(mean loss, softmax probabilities, correct-prediction mask) of a batch."""
    shifted = logits - _row_max(logits)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, labels]))
    return loss, exp / total, logits.argmax(axis=1) == labels


def loss_and_gradients(
    weights: Sequence[Array],
    biases: Sequence[Array],
    activation: str | Activation,
    x: Array,
    labels: Array,
    *,
    leaky_slope: float = DEFAULT_LEAKY_SLOPE,
    exact: bool = False,
) -> tuple[float, list[Array], list[Array]]:
    """Mean softmax cross-entropy of an MLP and its gradients by backpropagation.

    ``weights[l]`` has shape (n_l, n_{l+1}), the last one is the read-out; ``biases[l]`` has
    n_{l+1} entries; ``labels`` are class indices. Returns (loss, dL/dW per layer, dL/db per
    layer). The trainer's own code (BLAS products, or with ``exact`` the per-unit products of
    networks with tied units), exposed so tests can compare it with finite differences.
    """
    act = (
        activation
        if isinstance(activation, Activation)
        else get_activation(activation, leaky_slope)
    )
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    widths = (x.shape[1], *(np.shape(w)[1] for w in weights))
    net = _Network(widths, act, exact=bool(exact))
    for target, source in zip(net.weights, weights, strict=True):
        target[...] = source
    for target, source in zip(net.biases, biases, strict=True):
        target[...] = source
    loss, _, _ = _softmax_cross_entropy(net.predict(x), labels)
    net.gradient(x, labels)
    return loss, [g.copy() for g in net.grad_weights], [g.copy() for g in net.grad_biases]


# --- measures -------------------------------------------------------------------------------


def max_unit_distance(weights: Array) -> float | Array:
    """Largest Euclidean distance between two columns (units' incoming weight vectors) of a
    matrix, or of each matrix in a stack (..., n_in, n): exactly 0.0 when every column is
    identical.

    Otherwise |c_i - c_j|^2 = |c_i|^2 + |c_j|^2 - 2 c_i . c_j on the columns c minus their
    mean (a rounding error of about 1e-16 times the largest |c|^2 in the squared distance),
    over ``SYMMETRY_UNITS`` evenly spaced columns when there are more.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim < 2 or weights.size == 0:
        raise ValueError(f"weights must be a non-empty matrix or stack; got shape {weights.shape}")
    tied = np.all(weights == weights[..., :1], axis=(-2, -1))
    if weights.shape[-1] > SYMMETRY_UNITS:
        chosen = np.linspace(0, weights.shape[-1] - 1, SYMMETRY_UNITS).round().astype(int)
        weights = weights[..., chosen]
    centred = weights - weights.mean(axis=-1, keepdims=True)
    squares = np.einsum("...ij,...ij->...j", centred, centred)
    gram = np.matmul(np.swapaxes(centred, -1, -2), centred)
    distance2 = squares[..., :, None] + squares[..., None, :] - 2.0 * gram
    largest = np.sqrt(np.maximum(np.max(distance2, axis=(-2, -1)), 0.0))
    result = np.where(tied, 0.0, largest)
    return float(result) if result.ndim == 0 else result


def _symmetry(net: _Network) -> Array:
    """max_unit_distance of every hidden layer (the equal-shaped ones as one stack)."""
    hidden = net.weights[:-1]
    first = max_unit_distance(hidden[0])
    if len(hidden) == 1:
        return np.array([first])
    return np.concatenate([[first], max_unit_distance(np.stack(hidden[1:]))])


def _has_tied_units(net: _Network) -> bool:
    """Whether some hidden layer has two identical units (equal incoming weights and bias)."""
    for w, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
        units = np.vstack([w, b])
        if units.shape[1] > 1 and np.unique(units, axis=1).shape[1] < units.shape[1]:
            return True
    return False


# --- the budget -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingCost(Cost):
    """A training request's cost: ``multiply_adds`` counts multiply-add equivalents (the
    predicted seconds times MULTIPLY_ADDS_PER_SECOND, numpy's call overhead included); it fits
    when it is within ``limit`` (the data set's BUDGET_SECONDS, converted) and the byte budget."""

    limit: int = 0

    def fits(self) -> bool:
        return self.multiply_adds <= self.limit and self.peak_bytes <= MAX_PEAK_BYTES


@functools.lru_cache(maxsize=256)
def _distributions(inits: tuple[InitSpec, ...]) -> tuple[str, ...]:
    """The weight distribution of each initialization."""
    return tuple(get_initializer(name, **dict(params)).distribution for name, params in inits)


def _exact_start(config: TrainingConfig) -> tuple[bool, ...]:
    """Which initializations start with tied units (constant weights): the per-unit products."""
    return tuple(kind == "constant" for kind in _distributions(config.inits))


def _widths(config: TrainingConfig, features: int, classes: int) -> tuple[int, ...]:
    return (features, *(config.width,) * config.layers, classes)


def parameter_count(widths: Sequence[int]) -> int:
    """Weights and biases of an MLP with layer sizes ``widths`` = (n_0, ..., n_L, classes)."""
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


def _dataset_shape(dataset: str) -> tuple[int, int]:
    """(features, classes) without building the data set."""
    if dataset == "digits":
        return 64, 10
    return 2, 3 if dataset == "blobs" else 2


#: Seconds of phi (``Activation.function``) and of phi' (as the trainer computes it,
#: ``_derivative``, given phi's output) on an array of one hidden layer: (per call, per element
#: of an array of at most CACHED_ELEMENTS elements, per element of a larger one: their
#: temporaries leave the cache). Numpy on one core, measured by
#: ``python -m benchmarks.training --calibrate``.
PHI_SECONDS: dict[str, tuple[float, float, float]] = {
    "linear": (0.32e-6, 0.09e-9, 0.1e-9),
    "relu": (0.49e-6, 0.48e-9, 0.44e-9),
    "leaky_relu": (1.7e-6, 0.65e-9, 3.2e-9),
    "tanh": (0.28e-6, 0.77e-9, 0.72e-9),
    "sigmoid": (0.34e-6, 4e-9, 3.6e-9),
    "gelu": (0.57e-6, 4.3e-9, 9.9e-9),
    "selu": (2.8e-6, 1.9e-9, 4.9e-9),
}
DERIVATIVE_SECONDS: dict[str, tuple[float, float, float]] = {
    "linear": (0.065e-6, 0.0, 0.0),
    "relu": (0.48e-6, 0.083e-9, 0.045e-9),
    "leaky_relu": (1.5e-6, 0.52e-9, 3.1e-9),
    "tanh": (0.73e-6, 0.26e-9, 0.28e-9),
    "sigmoid": (0.73e-6, 0.28e-9, 0.27e-9),
    "gelu": (2.2e-6, 5.6e-9, 20e-9),
    "selu": (2.9e-6, 1.8e-9, 4.7e-9),
}
#: A hidden layer's array of at most CACHED_ELEMENTS elements (128 KiB of float64), whose
#: chunk's stored activations (z_l and a_l of every layer) have at most STORED_CACHED_ELEMENTS,
#: counts as in the cache; parameter buffers of at most CACHED_PARAMETERS values likewise.
CACHED_ELEMENTS = 16_384
STORED_CACHED_ELEMENTS = 2**18
CACHED_PARAMETERS = 2**15
#: Numpy calls the trainer makes, counted in its code (each costs about a microsecond on a
#: small array): per chunk of a training pass, 6 per weight layer and 6 for the softmax; per
#: chunk of a forward pass, 2 per weight layer and 2; per loss and accuracy of a whole part,
#: 14; per minibatch step, the optimizer's update and the gradient norms; per record, the
#: symmetry measure and the bookkeeping; per epoch, the shuffle.
_TRAIN_CALLS = (6, 6)
_EVALUATION_CALLS = (2, 2, 14)
_STEP_CALLS = {"sgd": 10, "adam": 19}
_RECORD_CALLS = 40
_EPOCH_CALLS = 6
#: Passes over the parameter buffer per minibatch step: the update (SGD with momentum 4,
#: Adam 13 numpy calls) and the gradient norms (2).
_UPDATE_PASSES = {"sgd": 6, "adam": 15}
#: Seconds per unit of each ``cost_features`` entry (``activation`` and ``large_activation``
#: are already seconds, so theirs is a factor): non-negative least squares of the relative
#: error over ~300 measured runs of many shapes (one core, OPENBLAS_NUM_THREADS=1, CPU
#: seconds), then raised so that 97.5 % of the measured times are at most the prediction;
#: ``python -m benchmarks.training --calibrate`` refits them. Measured on a busy 2-core
#: server, so the seconds are on the slow side.
SECONDS_PER: dict[str, float] = {
    "blas": 3.34e-11,
    "exact": 5.61e-11,
    "exact_units": 6.37e-08,
    "exact_pairs": 9.48e-09,
    "weights": 6.99e-10,
    "updates": 9.07e-11,
    "large_updates": 1.35e-10,
    "elements": 1.21e-09,
    "large_elements": 9.17e-10,
    "activation": 1.74,
    "large_activation": 0.25,
    "calls": 1.12e-06,
    "rows": 6.49e-09,
    "symmetry": 1.11e-10,
    "setup": 1.32e-07,
}
#: The decision grid of a 2-D set (the forward pass of GRID_SIZE^2 points per initialization)
#: takes at most this share of the budget: a larger network gets a coarser grid, down to
#: MIN_GRID_SIZE points per side.
GRID_BUDGET_SHARE = 0.25
MIN_GRID_SIZE = 20


def _chunk_sizes(rows: int, chunk: int) -> tuple[tuple[int, int], ...]:
    """(rows, count) of the chunks of a pass over ``rows`` rows."""
    full, rest = divmod(rows, chunk)
    return tuple((size, count) for size, count in ((chunk, full), (rest, 1)) if size and count)


class _Work:
    """The work of one initialization's run, feature by feature (``cost_features``);
    ``exact``: the per-unit products of a network that starts with tied units."""

    def __init__(self, widths: Sequence[int], activation: str, *, exact: bool = False) -> None:
        self.widths = tuple(widths)
        self.layers = len(widths) - 1
        self.per_row = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.units = sum(widths[1:])
        self.hidden = sum(widths[1:-1])
        self.width = max(widths[1:-1])
        self.params = parameter_count(widths)
        self.chunk = chunk_rows(widths)
        self.exact = exact
        self.phi = PHI_SECONDS[activation]
        self.derivative = DERIVATIVE_SECONDS[activation]
        self.total = dict.fromkeys(SECONDS_PER, 0.0)

    def _per_element(self, seconds: tuple[float, float, float], rows: int) -> tuple[float, float]:
        """Seconds per element of phi or phi' on a hidden layer's array of ``rows`` rows:
        (in the cache, the extra of a larger array)."""
        extra = 0.0 if rows * self.width <= CACHED_ELEMENTS else max(0.0, seconds[2] - seconds[1])
        return seconds[1], extra

    def _chunk(self, size: int, count: int, *, train: bool) -> None:
        """``count`` chunks of ``size`` rows: forward (and with ``train`` backward)."""
        work, classes, hidden_layers = self.total, self.widths[-1], self.layers - 1
        products = 3 if train else 1
        work["exact" if self.exact else "blas"] += count * products * size * self.per_row
        work["weights"] += count * products * self.params
        # per row and layer: the bias gradient's sum over the rows (numpy's reduction along the
        # first axis of a narrow array costs up to tens of ns per row); the transposed copies
        # of the per-unit products
        per_row_passes = (1 if train else 0) + (2 if self.exact else 0)
        work["rows"] += count * size * self.layers * per_row_passes
        if self.exact:  # a matrix-vector product per unit, a dot product per weight
            units = self.units + self.hidden if train else self.units
            work["exact_units"] += count * units
            work["exact_pairs"] += count * self.per_row if train else 0
            work["elements"] += count * size * units
        phi, derivative = self.phi, self.derivative
        cached = size * self.width <= CACHED_ELEMENTS and (
            not train or 2 * size * self.units <= STORED_CACHED_ELEMENTS
        )
        if train:
            elements = count * size * (3 * self.units + 8 * classes)
            work["calls"] += count * (_TRAIN_CALLS[0] * self.layers + _TRAIN_CALLS[1])
            per_call = phi[0] + derivative[0]
            phi_element, phi_extra = self._per_element(phi, size)
            derivative_element, derivative_extra = self._per_element(derivative, size)
            per_element, extra = phi_element + derivative_element, phi_extra + derivative_extra
        else:
            elements = count * size * self.units
            work["calls"] += count * (_EVALUATION_CALLS[0] * self.layers + _EVALUATION_CALLS[1])
            per_call, (per_element, extra) = phi[0], self._per_element(phi, size)
        work["elements"] += elements
        work["large_elements"] += 0 if cached else elements
        work["activation"] += count * (hidden_layers * per_call + size * self.hidden * per_element)
        work["large_activation"] += count * size * self.hidden * extra

    def forward(self, rows: int, times: int = 1, *, loss: bool = True) -> None:
        """``times`` forward passes over ``rows`` rows (``predict``), with the loss and
        accuracy of the whole part when ``loss``."""
        for size, count in _chunk_sizes(rows, self.chunk):
            self._chunk(size, count * times, train=False)
        self.total["calls"] += times * _EVALUATION_CALLS[2]
        elements = times * rows * self.widths[-1] * (10 if loss else 4)
        self.total["elements"] += elements
        self.total["large_elements"] += 0 if rows * self.widths[-1] <= CACHED_ELEMENTS else elements

    def gradient(self, rows: int, times: int = 1) -> None:
        """``times`` gradients of the mean loss over ``rows`` rows (forward and backward)."""
        chunks = 0
        for size, count in _chunk_sizes(rows, self.chunk):
            self._chunk(size, count * times, train=True)
            chunks += count
        if chunks > 1:  # the chunks' gradients are summed in a second buffer
            self._updates(times * (chunks + 2) * self.params)

    def _updates(self, elements: float) -> None:
        """Passes over the parameter buffers: beyond the cache for a large network."""
        self.total["updates"] += elements
        self.total["large_updates"] += 0 if self.params <= CACHED_PARAMETERS else elements

    def step(self, rows: int, optimizer: str, times: int = 1) -> None:
        """``times`` minibatch steps of ``rows`` rows: the gradient, the update and the
        gradient norms."""
        self.gradient(rows, times)
        self._updates(times * _UPDATE_PASSES[optimizer] * self.params)
        self.total["calls"] += times * _STEP_CALLS[optimizer]

    def record(self, train: int, held_out: int, times: int = 1) -> None:
        """``times`` records of an epoch: the loss and accuracy of both parts and the symmetry
        measure."""
        self.forward(train, times)
        self.forward(held_out, times)
        measured = min(self.width, SYMMETRY_UNITS)
        symmetry = sum(
            fan_in * (measured * measured + self.width) + 6 * measured * measured
            for fan_in in self.widths[:-2]
        )
        self.total["symmetry"] += times * symmetry
        self.total["calls"] += times * _RECORD_CALLS

    def seconds(self) -> float:
        """The predicted seconds: SECONDS_PER times the features."""
        return sum(SECONDS_PER[name] * value for name, value in self.total.items())


def _planned_work(config: TrainingConfig, grid_size: int, exact: bool) -> dict[str, float]:
    """The features of one initialization's run (``cost_features``)."""
    features, classes = _dataset_shape(config.dataset)
    widths = _widths(config, features, classes)
    samples = config.sample_count
    held_out = min(max(1, round(config.held_out * samples)), samples - 1)
    train = samples - held_out
    batch = min(config.batch_size, train)
    work = _Work(widths, config.activation, exact=exact)
    epochs = config.epochs
    # the network: its buffers, the draws and the check for tied units
    work.total["setup"] += work.params
    # epoch 0: the records and the gradient of the whole training part
    work.record(train, held_out)
    work.gradient(train)
    # every epoch: the shuffle, the minibatch steps, the records
    full, rest = divmod(train, batch)
    work.step(batch, config.optimizer, epochs * full)
    if rest:
        work.step(rest, config.optimizer, epochs)
    work.total["elements"] += epochs * 3 * train * (features + 1)
    work.total["calls"] += epochs * _EPOCH_CALLS
    work.record(train, held_out, epochs)
    if grid_size:
        work.forward(grid_size * grid_size, loss=False)
    return work.total


def decision_grid_size(config: TrainingConfig) -> int:
    """Points per side of the decision grid of ``config`` (0 for the digits): GRID_SIZE, or
    fewer (down to MIN_GRID_SIZE) when predicting the grid from every initialization would
    take more than GRID_BUDGET_SHARE of the data set's budget."""
    if config.dataset == "digits":
        return 0
    features, classes = _dataset_shape(config.dataset)
    exact = _exact_start(config)
    return _grid_side(
        _widths(config, features, classes),
        config.activation,
        (exact.count(False), exact.count(True)),
        GRID_BUDGET_SHARE * BUDGET_SECONDS[config.dataset],
    )


@functools.lru_cache(maxsize=256)
def _grid_side(
    widths: tuple[int, ...], activation: str, counts: tuple[int, int], limit: float
) -> int:
    """The largest side in [MIN_GRID_SIZE, GRID_SIZE] whose grid predictions from ``counts``
    = (BLAS, per-unit) networks take at most ``limit`` seconds (else MIN_GRID_SIZE)."""

    def seconds(side: int) -> float:
        total = 0.0
        for exact, count in zip((False, True), counts, strict=True):
            if count:
                work = _Work(widths, activation, exact=exact)
                work.forward(side * side, count, loss=False)
                total += work.seconds()
        return total

    side = GRID_SIZE
    while side > MIN_GRID_SIZE and seconds(side) > limit:
        side -= 1
    return side


def cost_features(config: TrainingConfig) -> dict[str, Array]:
    """The work of ``run(config)``, per initialization (arrays in the order of ``inits``),
    counted from the trainer's code (``_Work``): ``blas`` and ``exact`` multiply-adds of the
    matrix products (a row of a gradient: the forward and two backward products; a predicted
    row: the forward product), ``exact_units`` and ``exact_pairs`` (the per-unit products of a
    network with tied units: a matrix-vector product per unit, a dot product per weight),
    ``weights`` (parameters read per product call: BLAS packs the weight matrix on every call),
    ``updates`` (passes over the parameter buffers: the optimizer, the gradient norms, the sums
    of chunked gradients; ``large_updates`` again beyond ``CACHED_PARAMETERS``), ``elements``
    (elements of the activations, logits and shuffled data the passes touch;
    ``large_elements`` again for arrays beyond the cache), ``activation`` (seconds of phi and
    phi' from ``PHI_SECONDS`` and ``DERIVATIVE_SECONDS`` in the cache, ``large_activation``
    the extra seconds beyond it), ``calls`` (numpy calls, whose overhead dominates small
    arrays), ``rows`` (rows times weight layers: the bias gradients' sums, the per-unit
    products' transposed copies), ``symmetry`` (the symmetry measure's Gram matrices and
    distance arrays) and ``setup`` (parameters: the buffers, the random draws and the check
    for tied units). The decision grid of a 2-D set is ``decision_grid_size`` points per
    side."""
    grid_size = decision_grid_size(config)
    exact = _exact_start(config)
    shared = {tied: _planned_work(config, grid_size, tied) for tied in set(exact)}
    return {name: np.array([shared[tied][name] for tied in exact]) for name in SECONDS_PER}


def estimated_step_seconds(
    widths: Sequence[int], activation: str, rows: int, *, exact: bool = False
) -> float:
    """Predicted seconds of one minibatch step of ``rows`` rows (forward, backward, SGD
    update and the gradient norms) of the MLP with layer sizes ``widths`` (the cost model of
    ``estimated_seconds``)."""
    work = _Work(widths, activation, exact=exact)
    work.step(rows, "sgd")
    return work.seconds()


def estimated_seconds(config: TrainingConfig) -> float:
    """The predicted time of ``run(config)`` on one core (SECONDS_PER times the features)."""
    work = cost_features(config)
    return float(sum(SECONDS_PER[name] * float(np.sum(work[name])) for name in SECONDS_PER))


def training_cost(config: TrainingConfig) -> TrainingCost:
    """What ``run(config)`` costs: ``multiply_adds`` in multiply-add equivalents
    (``estimated_seconds`` times MULTIPLY_ADDS_PER_SECOND) and ``peak_bytes``: the network's
    buffers (parameters, gradient, scratch, optimizer state), one chunk of stored activations,
    the data and the curves."""
    features, classes = _dataset_shape(config.dataset)
    widths = _widths(config, features, classes)
    samples = config.sample_count
    copies = 5 if config.optimizer == "adam" else 4
    buffers = copies * parameter_count(widths) * 8
    activations = min(chunk_rows(widths), samples) * (16 * sum(widths[1:]) + 8 * widths[0])
    data = 4 * samples * features * 8
    curves = len(config.inits) * (config.epochs + 1) * (2 * config.layers + 6) * 8
    seconds = estimated_seconds(config)
    return TrainingCost(
        multiply_adds=int(seconds * MULTIPLY_ADDS_PER_SECOND),
        peak_bytes=int(buffers + 2 * activations + data + curves),
        limit=int(BUDGET_SECONDS[config.dataset] * MULTIPLY_ADDS_PER_SECOND),
    )


def _counted(count: int, noun: str) -> str:
    """'1 epoch', '2 epochs', '1,000 points'."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"


def fit_budget(config: TrainingConfig) -> tuple[TrainingConfig, str]:
    """``config`` with as many points, then epochs, as the budget allows (and, when even one
    epoch of ``MIN_FITTED_SAMPLES`` points is over the budget, only the first
    initializations), and a one-line note ('' when nothing was lowered). Never changes the
    network. The decision grid of a 2-D set (``decision_grid_size``) is coarser for large
    networks; the note says so too."""
    fitted = config
    parts = []
    if not training_cost(config).fits():
        requested_samples = config.sample_count
        samples = fit_count(
            requested_samples,
            lambda count: training_cost(replace(config, samples=count)),
            what="points",
            subject="",
            minimum=min(requested_samples, MIN_FITTED_SAMPLES),
        )
        fitted = replace(config, samples=samples.used) if samples.scaled else config
        epochs = fit_count(
            config.epochs,
            lambda count: training_cost(replace(fitted, epochs=count)),
            what="epochs",
            subject="",
        )
        fitted = replace(fitted, epochs=epochs.used)
        inits = fit_count(
            len(config.inits),
            lambda count: training_cost(replace(fitted, inits=config.inits[:count])),
            what="initializations",
            subject="",
        )
        fitted = replace(fitted, inits=config.inits[: inits.used])
        if samples.scaled:
            parts.append(f"{_counted(samples.used, 'point')} instead of {requested_samples:,}")
        if epochs.scaled:
            parts.append(f"{_counted(epochs.used, 'epoch')} instead of {config.epochs:,}")
        if inits.scaled:
            first = "only the first" if inits.used == 1 else f"the first {inits.used}"
            parts.append(f"{first} of {len(config.inits)} initializations")
    grid_size = decision_grid_size(fitted)
    if 0 < grid_size < GRID_SIZE:
        parts.append(
            f"decision regions on a {grid_size} × {grid_size} grid instead of "
            f"{GRID_SIZE} × {GRID_SIZE}"
        )
    if not parts:
        return fitted, ""
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    subject = f"{_counted(config.layers, 'layer')} × {_counted(config.width, 'unit')}"
    return fitted, f"{subject}: {listed}, to stay within the lab's budget."


# --- training -------------------------------------------------------------------------------


def _grid(dataset: Dataset, side: int) -> tuple[Array, Array]:
    points = np.concatenate([dataset.x_train, dataset.x_test])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = GRID_MARGIN * (high - low) / 2.0
    gx = np.linspace(low[0] - margin[0], high[0] + margin[0], side)
    gy = np.linspace(low[1] - margin[1], high[1] + margin[1], side)
    return gx, gy


class _Optimizer:
    """SGD with momentum or Adam on the network's flat parameter buffer."""

    def __init__(self, kind: str, rate: float, size: int) -> None:
        self.kind, self.rate, self.step_count = kind, rate, 0
        self.velocity = np.zeros(size)
        self.second = np.zeros(size) if kind == "adam" else None

    def step(self, params: Array, grad: Array, scratch: Array) -> None:
        """One update of ``params`` from ``grad`` (``scratch``: a buffer of the same size)."""
        if self.kind == "sgd":
            self.velocity *= MOMENTUM
            self.velocity += grad
            np.multiply(self.velocity, self.rate, out=scratch)
            params -= scratch
            return
        beta1, beta2 = ADAM_BETAS
        self.step_count += 1
        self.velocity *= beta1
        np.multiply(grad, 1.0 - beta1, out=scratch)
        self.velocity += scratch
        self.second *= beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - beta2
        self.second += scratch
        # theta -= lr * m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat likewise
        correction1 = 1.0 - beta1**self.step_count
        correction2 = 1.0 - beta2**self.step_count
        np.sqrt(self.second, out=scratch)
        scratch *= 1.0 / math.sqrt(correction2)
        scratch += ADAM_EPSILON
        np.divide(self.velocity, scratch, out=scratch)
        scratch *= self.rate / correction1
        params -= scratch


def _evaluate(net: _Network, x: Array, labels: Array, *, gradients: bool):
    """(loss, accuracy) of a whole part; with ``gradients`` also fills ``net.grad``."""
    loss, _, correct = _softmax_cross_entropy(net.predict(x), labels)
    if gradients:
        net.gradient(x, labels)
    return loss, float(np.mean(correct))


def _build_network(
    widths: Sequence[int],
    activation: Activation,
    initializer: Initializer,
    bias_std: float,
    stream: np.random.SeedSequence,
) -> _Network:
    """A network with weights drawn from ``initializer`` (layer by layer, from a fresh generator
    on ``stream``), then biases N(0, bias_std^2) (none drawn when bias_std = 0); per-unit
    products when some hidden layer starts with two identical units."""
    net = _Network(widths, activation, exact=False)
    rng = np.random.default_rng(stream)
    for w in net.weights:
        w[...] = initializer.sample(rng, *w.shape)
    if bias_std > 0.0:
        for b in net.biases:
            b[...] = rng.normal(0.0, bias_std, size=b.shape)
    net.exact = _has_tied_units(net)
    return net


def _step(net: _Network, optimizer: _Optimizer, xb: Array, yb: Array) -> None:
    """One minibatch step: the gradient of the batch's mean loss, then the update."""
    net.gradient(xb, yb)
    optimizer.step(net.flat, net.grad, net.scratch)


def _train_one(
    config: TrainingConfig,
    spec: InitSpec,
    data: Dataset,
    streams: tuple[np.random.SeedSequence, np.random.SeedSequence],
    target: float,
    grid_points: Array | None,
    tick: Callable[[], None],
) -> InitRun:
    name, params = spec
    initializer = get_initializer(name, **dict(params))
    widths = _widths(config, data.features, data.classes)
    net = _build_network(
        widths, config.activation_function(), initializer, config.bias_std, streams[0]
    )
    order_rng = np.random.default_rng(streams[1])
    optimizer = _Optimizer(config.optimizer, config.rate, net.flat.size)

    epochs = config.epochs
    layers = len(net.weights)
    curves = np.full((4, epochs + 1), np.nan)
    gradient_norm = np.full((epochs + 1, layers), np.nan)
    symmetry = np.full((epochs + 1, layers - 1), np.nan)
    x, y = data.x_train, data.y_train
    train_count = len(y)
    batch = min(config.batch_size, train_count)
    diverged = None

    def record(epoch: int) -> bool:
        loss, accuracy = _evaluate(net, x, y, gradients=epoch == 0)
        if not math.isfinite(loss):
            return False
        curves[0, epoch], curves[1, epoch] = loss, accuracy
        curves[2, epoch], curves[3, epoch] = _evaluate(
            net, data.x_test, data.y_test, gradients=False
        )
        symmetry[epoch] = _symmetry(net)
        return True

    if record(0):
        gradient_norm[0] = np.sqrt(net.weight_gradient_squares())
    else:
        diverged = 0
    steps = math.ceil(train_count / batch)
    squares = np.zeros(layers)
    for epoch in range(1, epochs + 1):
        if diverged is None:
            order = order_rng.permutation(train_count)
            xs, ys = x[order], y[order]
            squares[:] = 0.0
            for start in range(0, train_count, batch):
                _step(net, optimizer, xs[start : start + batch], ys[start : start + batch])
                squares += net.weight_gradient_squares()
            gradient_norm[epoch] = np.sqrt(squares / steps)
            if not record(epoch):
                diverged = epoch
                gradient_norm[epoch] = np.nan
        tick()

    reached = np.flatnonzero(curves[0] <= target)
    grid_class = grid_probability = None
    if grid_points is not None:
        grid_class, grid_probability = _grid_predictions(net, grid_points)
    return InitRun(
        init=name,
        label=initializer.label,
        params=params,
        train_loss=curves[0],
        train_accuracy=curves[1],
        held_out_loss=curves[2],
        held_out_accuracy=curves[3],
        gradient_norm=gradient_norm,
        symmetry=symmetry,
        epochs_to_target=int(reached[0]) if reached.size else None,
        diverged_epoch=diverged,
        exact_arithmetic=net.exact,
        grid_class=grid_class,
        grid_probability=grid_probability,
    )


def _grid_predictions(net: _Network, points: Array) -> tuple[Array, Array]:
    """(predicted class, its probability) on the grid; -1 and NaN where the logits overflowed."""
    logits = net.predict(points)
    finite = np.all(np.isfinite(logits), axis=1)
    logits = np.where(finite[:, None], logits, 0.0)
    probs = np.exp(logits - _row_max(logits))
    probs /= probs.sum(axis=1, keepdims=True)
    side = math.isqrt(len(points))
    shape = (side, side)
    classes = np.where(finite, probs.argmax(axis=1), -1).reshape(shape)
    return classes, np.where(finite, probs.max(axis=1), np.nan).reshape(shape)


def train_steps(
    widths: Sequence[int],
    activation: str | Activation,
    initializer: Initializer,
    x: Array,
    labels: Array,
    *,
    steps: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    optimizer: str = "sgd",
    learning_rate: float | None = None,
    bias_std: float = 0.0,
    seed: int = 0,
) -> tuple[float, float]:
    """(training loss, training accuracy) on (x, labels) after ``steps`` minibatch steps of the
    MLP with layer sizes ``widths`` = (n_0, ..., n_L, classes), started from ``initializer``
    and biases N(0, bias_std^2): the trainer of ``run`` without the per-epoch records (NaN loss
    and accuracy 0 when training diverged). Minibatches go through random permutations of the
    rows, one after another."""
    act = activation if isinstance(activation, Activation) else get_activation(activation)
    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    steps = check_int("steps", steps, 1, 1_000_000)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    rate = DEFAULT_LEARNING_RATE[optimizer] if learning_rate is None else learning_rate
    weight_stream, order_stream = np.random.SeedSequence(seed).spawn(2)
    with np.errstate(all="ignore"):
        net = _build_network(widths, act, initializer, bias_std, weight_stream)
        opt = _Optimizer(optimizer, rate, net.flat.size)
        order_rng = np.random.default_rng(order_stream)
        count = len(labels)
        batch = min(batch_size, count)
        done = 0
        while done < steps:
            order = order_rng.permutation(count)
            for start in range(0, count, batch):
                chosen = order[start : start + batch]
                _step(net, opt, x[chosen], labels[chosen])
                done += 1
                if done == steps:
                    break
        loss, accuracy = _evaluate(net, x, labels, gradients=False)
    if not math.isfinite(loss):
        return math.nan, 0.0
    return loss, accuracy


def run(config: TrainingConfig, progress: Callable[[float], None] | None = None) -> TrainingResult:
    """Train the network of ``config`` from each of its initializations (after fitting the
    request into the budget); ``progress``, if given, is called with the share done (0..1]
    after every epoch of every initialization."""
    if not isinstance(config, TrainingConfig):
        raise ValueError(f"config must be a TrainingConfig; got {type(config).__name__}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be callable or None; got {progress!r}")
    fitted, note = fit_budget(config)
    data = make_dataset(
        fitted.dataset,
        samples=fitted.sample_count,
        noise=fitted.noise,
        held_out=fitted.held_out,
        seed=fitted.seed,
    )
    target = fitted.target_loss
    if target is None:
        target = DEFAULT_TARGET_SHARE * data.chance_loss
    grid_x = grid_y = grid_points = None
    if data.planar:
        grid_x, grid_y = _grid(data, decision_grid_size(fitted))
        mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)
        grid_points = np.column_stack([mesh_x.ravel(), mesh_y.ravel()])
    root = np.random.SeedSequence(fitted.seed)
    weight_stream, order_stream = root.spawn(2)
    total = len(fitted.inits) * fitted.epochs
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done / total)

    runs = []
    with np.errstate(all="ignore"):
        for spec in fitted.inits:
            runs.append(
                _train_one(
                    fitted,
                    spec,
                    data,
                    (weight_stream, order_stream),
                    target,
                    grid_points,
                    tick,
                )
            )
    return TrainingResult(
        config=fitted,
        requested=config,
        budget_note=note,
        epochs=np.arange(fitted.epochs + 1),
        runs=tuple(runs),
        dataset=data,
        target_loss=float(target),
        widths=_widths(fitted, data.features, data.classes),
        grid_x=grid_x,
        grid_y=grid_y,
    )


# --- report ---------------------------------------------------------------------------------


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _numbers(values: Array) -> list:
    return [_numbers(row) if np.ndim(row) else _number(row) for row in values]


def _config_fields(config: TrainingConfig) -> dict[str, object]:
    return {
        "dataset": config.dataset,
        "inits": [name for name, _ in config.inits],
        "activation": config.activation,
        "leaky_slope": config.leaky_slope,
        "layers": config.layers,
        "width": config.width,
        "epochs": config.epochs,
        "optimizer": config.optimizer,
        "learning_rate": config.rate,
        "batch_size": config.batch_size,
        "samples": config.sample_count,
        "noise": config.noise if config.noise is not None else DEFAULT_NOISE.get(config.dataset),
        "held_out": config.held_out,
        "target_loss": config.target_loss,
        "bias_std": config.bias_std,
        "seed": config.seed,
    }


def report(result: TrainingResult) -> dict[str, object]:
    """The JSON-able summary of a result (the fields are listed in the module docstring)."""
    data = result.dataset
    config = _config_fields(result.config)
    config["target_loss"] = result.target_loss
    runs = []
    for item in result.runs:
        runs.append(
            {
                "init": item.init,
                "label": item.label,
                "params": dict(item.params),
                "exact_arithmetic": item.exact_arithmetic,
                "train_loss": _numbers(item.train_loss),
                "train_accuracy": _numbers(item.train_accuracy),
                "held_out_loss": _numbers(item.held_out_loss),
                "held_out_accuracy": _numbers(item.held_out_accuracy),
                "gradient_norm": _numbers(item.gradient_norm),
                "symmetry": _numbers(item.symmetry),
                "epochs_to_target": item.epochs_to_target,
                "diverged_epoch": item.diverged_epoch,
                "final_train_loss": _number(item.final_train_loss),
                "final_train_accuracy": _number(item.final_train_accuracy),
                "final_held_out_loss": _number(item.final_held_out_loss),
                "final_held_out_accuracy": _number(item.final_held_out_accuracy),
            }
        )
    return {
        "config": config,
        "requested": _config_fields(result.requested),
        "budget_note": result.budget_note,
        "dataset": {
            "name": data.name,
            "label": data.label,
            "classes": data.classes,
            "features": data.features,
            "train_samples": len(data.y_train),
            "held_out_samples": len(data.y_test),
            "chance_loss": data.chance_loss,
            "chance_accuracy": data.chance_accuracy,
        },
        "epochs": [int(e) for e in result.epochs],
        "runs": runs,
    }
