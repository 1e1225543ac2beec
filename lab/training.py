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
request (``cost_features``: multiply-adds, array elements, numpy calls, optimizer updates; the
coefficients ``SECONDS_PER`` are fitted by benchmarks/training.py) and compares them with the
data set's ``BUDGET_SECONDS``; the bytes go against lab.budget's byte budget. A larger request
keeps its network and lowers the samples (down to ``MIN_FITTED_SAMPLES``), then the epochs, and
says so in one line (``budget_note``). Networks with more than ``MAX_PARAMETERS`` weights and
biases are refused.

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
    grid_class, grid_probability: (GRID_SIZE, GRID_SIZE) predicted class (-1 where the logits
    overflowed) and its softmax probability on the result's grid (row i at grid_y[i], column j
    at grid_x[j]) after the last epoch; None for the digits.
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
        probs = logits - logits.max(axis=1, keepdims=True)
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


def _softmax_cross_entropy(logits: Array, labels: Array) -> tuple[float, Array, Array]:
    """(mean loss, softmax probabilities, correct-prediction mask) of a batch."""
    shifted = logits - logits.max(axis=1, keepdims=True)
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


def _exact_start(config: TrainingConfig) -> tuple[bool, ...]:
    """Which initializations start with tied units (constant weights): the per-unit products."""
    return tuple(
        get_initializer(name, **dict(params)).distribution == "constant"
        for name, params in config.inits
    )


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


def cost_features(config: TrainingConfig) -> dict[str, Array]:
    """The work of ``run(config)``, per initialization (arrays in the order of ``inits``):
    ``blas`` and ``exact`` multiply-adds of the matrix products (training: forward and two
    backward products per minibatch row; records: a forward pass over both parts each epoch),
    ``elements`` of the activation arrays those passes touch, ``activation`` (the same elements
    times ``ACTIVATION_SECONDS``, the measured seconds per element of phi and phi'), ``calls``
    (layers times the minibatch steps and evaluation passes: numpy's per-call overhead),
    ``updates`` (parameters times steps: the optimizer) and ``symmetry`` (the Gram matrices of
    the symmetry measure)."""
    features, classes = _dataset_shape(config.dataset)
    widths = _widths(config, features, classes)
    per_sample = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    units = sum(widths[1:])
    samples = config.sample_count
    held_out = min(max(1, round(config.held_out * samples)), samples - 1)
    train = samples - held_out
    batch = min(config.batch_size, train)
    chunk = chunk_rows(widths)
    steps = math.ceil(train / batch) * max(1, math.ceil(batch / chunk))
    evaluations = math.ceil(train / chunk) + math.ceil(held_out / chunk)
    rows = 3 * train + train + held_out
    exact = np.array(_exact_start(config), dtype=float)
    epochs = config.epochs
    measured = min(config.width, SYMMETRY_UNITS)
    one = np.ones_like(exact)
    return {
        "blas": epochs * rows * per_sample * (1.0 - exact),
        "exact": epochs * rows * per_sample * exact,
        "elements": epochs * rows * units * one,
        "activation": epochs * rows * units * ACTIVATION_SECONDS[config.activation] * one,
        "calls": epochs * (steps + evaluations) * len(widths) * one,
        "updates": epochs * steps * parameter_count(widths) * one,
        "symmetry": epochs * config.layers * measured * measured * config.width * one,
    }


#: Seconds per element of phi and phi' together (numpy, one core; measured by
#: benchmarks/training.py).
ACTIVATION_SECONDS: dict[str, float] = {
    "linear": 0.5e-9,
    "relu": 0.5e-9,
    "leaky_relu": 12.5e-9,
    "tanh": 9.4e-9,
    "sigmoid": 9.2e-9,
    "gelu": 33e-9,
    "selu": 19e-9,
}
#: Seconds per unit of each ``cost_features`` entry, fitted on this machine's measurements
#: (one core, OPENBLAS_NUM_THREADS=1) by benchmarks/training.py --calibrate.
SECONDS_PER = {
    "blas": 6.09e-11,
    "exact": 2.48e-10,
    "elements": 1.32e-09,
    "activation": 0.202,
    "calls": 1.71e-05,
    "updates": 4.91e-10,
    "symmetry": 5.18e-10,
}


def estimated_step_seconds(
    widths: Sequence[int], activation: str, rows: int, *, exact: bool = False
) -> float:
    """Predicted seconds of one minibatch step of ``rows`` rows (forward, backward, update) of
    the MLP with layer sizes ``widths`` (the cost model of ``estimated_seconds``)."""
    per_sample = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    units = sum(widths[1:])
    chunks = max(1, math.ceil(rows / chunk_rows(widths)))
    products = 3 * rows * per_sample
    return (
        SECONDS_PER["exact" if exact else "blas"] * products
        + SECONDS_PER["elements"] * 3 * rows * units
        + SECONDS_PER["activation"] * 3 * rows * units * ACTIVATION_SECONDS[activation]
        + SECONDS_PER["calls"] * chunks * len(widths)
        + SECONDS_PER["updates"] * parameter_count(widths)
    )


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


def fit_budget(config: TrainingConfig) -> tuple[TrainingConfig, str]:
    """``config`` with as many samples, then epochs, as the budget allows, and a one-line note
    ('' when nothing was lowered). Never changes the network."""
    if training_cost(config).fits():
        return config, ""
    subject = f"{config.layers} layer{'s' if config.layers != 1 else ''} × {config.width:,} units"
    requested_samples = config.sample_count
    floor = min(requested_samples, MIN_FITTED_SAMPLES)
    samples = fit_count(
        requested_samples,
        lambda count: training_cost(replace(config, samples=count)),
        what="samples",
        subject=subject,
        minimum=floor,
    )
    fitted = replace(config, samples=samples.used) if samples.scaled else config
    epochs = fit_count(
        config.epochs,
        lambda count: training_cost(replace(fitted, epochs=count)),
        what="epochs",
        subject=subject,
    )
    fitted = replace(fitted, epochs=epochs.used)
    parts = [
        f"{scaled.used:,} {scaled.what} instead of {scaled.requested:,}"
        for scaled in (samples, epochs)
        if scaled.scaled
    ]
    note = f"{subject}: {' and '.join(parts)}, to stay within the lab's budget." if parts else ""
    return fitted, note


# --- training -------------------------------------------------------------------------------


def _grid(dataset: Dataset) -> tuple[Array, Array]:
    points = np.concatenate([dataset.x_train, dataset.x_test])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = GRID_MARGIN * (high - low) / 2.0
    gx = np.linspace(low[0] - margin[0], high[0] + margin[0], GRID_SIZE)
    gy = np.linspace(low[1] - margin[1], high[1] + margin[1], GRID_SIZE)
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
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    shape = (GRID_SIZE, GRID_SIZE)
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
        grid_x, grid_y = _grid(data)
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
