"""Monte-Carlo forward and backward pass through a deep fully connected network.

The experiment of Glorot & Bengio (2010, section 4) and He et al. (2015, section 2.2): push a
batch of random inputs through L dense layers at initialization and record, layer by layer, the
statistics of the pre-activations z_l = a_{l-1} @ W_l + b_l, the activations a_l = phi(z_l) and
the back-propagated gradients dL/da_l, dL/dz_l = dL/da_l * phi'(z_l) and
dL/dW_l = a_{l-1}^T dL/dz_l (Rumelhart et al. 1986; the shapes follow the Keras/JAX layout
W_l: (n_{l-1}, n_l), see docs/DEVELOPING.md).

The pass runs in ``config.dtype`` (float32 by default, as on a GPU), so N(0, 1) weights overflow
to inf/NaN where a real network would. Overflow is a result, never an exception or a warning:
every statistic is taken over the finite values only, accumulated in float64, and the layer where
inf/NaN first appears is reported.

Memory stays bounded: weights are dropped after their layer or drawn again in the backward pass
when keeping them would not fit the lab's budget (``kept_weights``), and ``estimate_bytes``
(an upper bound of the traced peak) prices a request for ``lab.budget``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from lab.activations import ACTIVATION_NAMES, DEFAULT_LEAKY_SLOPE, Activation, get_activation
from lab.budget import MAX_PEAK_BYTES, Cost, Scaled, fit_count
from lab.health import flat_threshold
from lab.initializers import SCHEME_NAMES, Initializer, get_initializer
from lab.validation import check_choice, check_float, check_int

MAX_LAYERS = 1000
MAX_WIDTH = 4096
MAX_SAMPLES = 100_000
MAX_REPEATS = 100
MAX_STD = 1e6
MAX_INPUT_ABS = 1e6
MAX_EDGES = 1001
#: An auto-ranged histogram (``NetworkConfig.histogram_bins``) spans its layer's mean ± this
#: many stds, never beyond the layer's smallest and largest value: a normal layer keeps all
#: but about 6e-7 of its values on the axis, and a heavy tail cannot squeeze the bulk into one
#: bin (the values beyond are counted, ``TensorStats.below``/``above``).
AUTO_RANGE_STDS = 5.0
MAX_SEED = 2**63 - 1
DTYPES: tuple[str, ...] = ("float32", "float64")
BACKWARD_MODES: tuple[str, ...] = ("random", "mean", "none")
INPUT_DISTRIBUTIONS: tuple[str, ...] = ("normal", "uniform")

#: |value| above this counts as saturated (tanh'(2) = 0.07, sigmoid'(2) = 0.10).
SATURATION_THRESHOLD = 2.0

#: ``simulate`` refuses configurations whose ``estimate_bytes`` exceeds this.
MEMORY_BUDGET_BYTES = 512 * 2**20

# Memory of one simulation, measured with tracemalloc (tests/lab/test_network.py checks that
# ``estimate_bytes`` bounds it): float64 bytes per weight while one matrix is drawn (the sample;
# for orthogonal also its Gaussian matrix, QR factors and scaled copy); extra bytes per batch
# value of the activations that compute in float64 or hold more temporaries (SELU, GELU).
_DRAW_BYTES = {"constant": 8, "normal": 8, "uniform": 8, "truncated_normal": 8, "orthogonal": 32}
#: What drawing one random number costs, in the budget's unit (``lab.budget``: one float32
#: multiply-add of a matrix product on one core, about 0.03 ns here). Measured once on a 2-core
#: x86-64 server with numpy's default generator and one BLAS thread (``python -m
#: benchmarks.engine`` prints the measurement next to these constants): a normal draw costs as
#: much as ~300 multiply-adds, a uniform ~80, a truncated normal (uniform + inverse CDF) ~420.
#: Without these, a draw counted as one multiply-add and the budget thought the largest
#: networks cheap while their weights took seconds to draw.
DRAW_COSTS: dict[str, int] = {
    "constant": 4,
    "normal": 300,
    "uniform": 80,
    "truncated_normal": 420,
    "orthogonal": 300,
}
#: An orthogonal (m, n) draw adds the QR factorization of its Gaussian matrix (LAPACK geqrf +
#: orgqr, about 4 m k^2 flops with k = min(m, n)), measured at ~7 multiply-adds per m k^2.
QR_COST = 7
#: Summarizing one value of a recorded tensor (a_l, z_l, the gradients, dL/dW_l: masks, float64
#: copies, moments) costs about as much as 100 multiply-adds (3 ns per value, measured like
#: ``DRAW_COSTS``); it dominates small batches of wide layers, where dL/dW_l is matrix-sized.
STATISTICS_COST = 100
_ACTIVATION_BYTES = {"selu": 16, "gelu": 8}
#: While the calling thread computes and measures a layer, a helper thread draws the weights
#: that come next (numpy's generators and casts release the GIL), for layers whose products
#: have at least this many multiply-adds; below that, handing a draw over costs more than it
#: saves. The draws keep their order and generator, so the numbers are the same either way.
#: For ReLU, when numpy's BLAS runs on one thread (as on the app's server, ``pages.ui.blas``),
#: the helper also measures the arrays nothing changes any more while the calling thread runs
#: the next product (``_Runner._hand_over``); arrays that need the statistics' rare large
#: temporaries go back to the calling thread. With more BLAS threads the statistics' own BLAS
#: calls would wait for the product's, so they stay on the calling thread.
_OVERLAP_PRODUCT = 2**24
_SMALL_OBJECTS = 2**16  # Python objects, generator states, per-layer vectors

# Activations whose derivative we compute from the stored output a_l (no need to keep z_l).
_DERIVATIVE_FROM_OUTPUT = ("linear", "relu", "leaky_relu", "tanh", "sigmoid")

# Float64 values beyond 2**+-400 are rescaled by a power of two before squaring, so that sums of
# squares neither overflow nor underflow (only reachable with dtype float64).
_SAFE_EXPONENT = 400
_EMPTY_EXPONENT = -100_000
_RECORD_FIELDS = (
    "count",
    "finite",
    "zeros",
    "saturated",
    "exponent",
    "mean",
    "m2",
    "sum_squares",
    "sum_abs",
    "max_abs",
)
_MOMENTS_ONLY = {"measure_zeros": False, "measure_saturation": False}


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkConfig:
    """Everything that defines one simulation; hashable, so it can be a cache key.

    Construction validates every field (``ValueError`` naming the field, the allowed range and
    the given value) and normalizes sequences to tuples and numbers to int/float.

    Limits: layers 1..1000, every width 1..4096, samples 1..100_000, input_std and bias_std
    0..1e6, repeats 1..100, slope 0..1, seed 0..2**63-1, histogram_edges 2..1001 strictly
    increasing finite numbers (one set of edges for every layer), histogram_bins 1..1000 (each
    layer's own equal bins on its own range instead, ``AUTO_RANGE_STDS``), input_data
    1..100_000 equal-length rows of 1..4096 finite numbers with |x| <= 1e6. ``widths``
    overrides ``layers``/``width``; ``input_data`` overrides ``samples``, ``input_width``,
    ``input_distribution`` and ``input_std``.
    """

    init: str = "he_normal"
    init_params: tuple[tuple[str, float | str], ...] = ()
    activation: str = "relu"
    slope: float = DEFAULT_LEAKY_SLOPE
    layers: int = 10
    width: int = 256
    widths: tuple[int, ...] | None = None
    input_width: int | None = None
    samples: int = 1000
    input_distribution: Literal["normal", "uniform"] = "normal"
    input_std: float = 1.0
    input_data: tuple[tuple[float, ...], ...] | None = None
    bias_std: float = 0.0
    repeats: int = 1
    backward: Literal["random", "mean", "none"] = "random"
    seed: int = 0
    dtype: Literal["float32", "float64"] = "float32"
    histogram_edges: tuple[float, ...] | None = None
    histogram_bins: int | None = None
    keep_activations: bool = False

    def __post_init__(self) -> None:
        for name, value in _validated_fields(self).items():
            object.__setattr__(self, name, value)

    def validate(self) -> None:
        """Check every field again; raise ValueError on the first invalid one."""
        _validated_fields(self)

    @property
    def layer_widths(self) -> tuple[int, ...]:
        """(n_1, ..., n_L): the width of every layer."""
        return self.widths if self.widths is not None else (self.width,) * self.layers

    @property
    def depth(self) -> int:
        """L, the number of layers."""
        return len(self.layer_widths)

    @property
    def input_features(self) -> int:
        """n_0, the width of the input a_0."""
        if self.input_data is not None:
            return len(self.input_data[0])
        return self.input_width if self.input_width is not None else self.layer_widths[0]

    @property
    def batch_size(self) -> int:
        """Number of input rows: len(input_data) if given, else samples."""
        return len(self.input_data) if self.input_data is not None else self.samples

    def initializer(self) -> Initializer:
        """The weight initializer, ``get_initializer(init, **init_params)``."""
        return get_initializer(self.init, **dict(self.init_params))

    def activation_function(self) -> Activation:
        """The nonlinearity phi, ``get_activation(activation, slope)``."""
        return get_activation(self.activation, self.slope)


def _validated_fields(config: NetworkConfig) -> dict[str, object]:
    """Checked and normalized values of every field of ``config``."""
    checked: dict[str, object] = {
        "init": check_choice("init", config.init, SCHEME_NAMES),
        "activation": check_choice("activation", config.activation, ACTIVATION_NAMES),
        "slope": check_float("slope", config.slope, 0.0, 1.0),
        "layers": check_int("layers", config.layers, 1, MAX_LAYERS),
        "width": check_int("width", config.width, 1, MAX_WIDTH),
        "widths": _check_widths(config.widths),
        "input_width": None
        if config.input_width is None
        else check_int("input_width", config.input_width, 1, MAX_WIDTH),
        "samples": check_int("samples", config.samples, 1, MAX_SAMPLES),
        "input_distribution": check_choice(
            "input_distribution", config.input_distribution, INPUT_DISTRIBUTIONS
        ),
        "input_std": check_float("input_std", config.input_std, 0.0, MAX_STD),
        "input_data": _check_input_data(config.input_data),
        "bias_std": check_float("bias_std", config.bias_std, 0.0, MAX_STD),
        "repeats": check_int("repeats", config.repeats, 1, MAX_REPEATS),
        "backward": check_choice("backward", config.backward, BACKWARD_MODES),
        "seed": check_int("seed", config.seed, 0, MAX_SEED),
        "dtype": check_choice("dtype", config.dtype, DTYPES),
        "histogram_edges": _check_edges(config.histogram_edges),
        "histogram_bins": None
        if config.histogram_bins is None
        else check_int("histogram_bins", config.histogram_bins, 1, MAX_EDGES - 1),
    }
    if checked["histogram_edges"] is not None and checked["histogram_bins"] is not None:
        raise ValueError(
            "histogram_edges and histogram_bins must not both be given (fixed edges or each "
            f"layer's own range); got {len(checked['histogram_edges'])} edges and "
            f"{checked['histogram_bins']} bins"
        )
    if not isinstance(config.keep_activations, bool | np.bool_):
        raise ValueError(f"keep_activations must be True or False; got {config.keep_activations!r}")
    checked["keep_activations"] = bool(config.keep_activations)
    checked["init_params"] = check_init_params(checked["init"], config.init_params)
    return checked


def check_init_params(init: str, params: object) -> tuple[tuple[str, float | str], ...]:
    """Validate the keyword parameters of scheme ``init`` given as (name, value) pairs (or a
    dict); return them sorted by name, numbers as floats, None values dropped."""
    check_choice("init", init, SCHEME_NAMES)
    if isinstance(params, dict):
        params = tuple(params.items())
    if not isinstance(params, Sequence) or isinstance(params, str):
        raise ValueError(f"init_params must be a tuple of (name, value) pairs; got {params!r}")
    pairs: dict[str, float | str] = {}
    for pair in params:
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise ValueError(f"init_params must be a tuple of (name, value) pairs; got {pair!r}")
        name, value = pair
        if not isinstance(name, str) or name in pairs:
            raise ValueError(f"init_params names must be distinct strings; got {name!r}")
        if value is None:
            continue
        if isinstance(value, str):
            pairs[name] = value
        else:
            pairs[name] = check_float(f"init_params[{name!r}]", value)
    get_initializer(init, **pairs)  # raises on parameters the scheme lacks or bad values
    return tuple(sorted(pairs.items()))


def _check_widths(widths: object) -> tuple[int, ...] | None:
    if widths is None:
        return None
    if not isinstance(widths, Sequence | np.ndarray) or isinstance(widths, str):
        raise ValueError(f"widths must be a tuple of layer widths or None; got {widths!r}")
    if not 1 <= len(widths) <= MAX_LAYERS:
        raise ValueError(f"widths must have 1 to {MAX_LAYERS} entries; got {len(widths)}")
    return tuple(check_int("widths", w, 1, MAX_WIDTH) for w in widths)


def _check_input_data(rows: object) -> tuple[tuple[float, ...], ...] | None:
    if rows is None:
        return None
    text = "input_data must be a tuple of equal-length rows of finite numbers"
    if isinstance(rows, str):
        raise ValueError(f"{text}; got {rows!r}")
    try:
        array = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{text}; got {rows!r}"[:300]) from None
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{text}, e.g. ((1, 2, 3),); got an array of shape {array.shape}")
    if not 1 <= array.shape[0] <= MAX_SAMPLES or not 1 <= array.shape[1] <= MAX_WIDTH:
        raise ValueError(
            f"input_data must have 1 to {MAX_SAMPLES} rows of 1 to {MAX_WIDTH} numbers; "
            f"got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.max(np.abs(array)) > MAX_INPUT_ABS:
        raise ValueError(
            f"input_data values must be finite numbers in [-{MAX_INPUT_ABS:g}, {MAX_INPUT_ABS:g}]"
            f"; got max |x| = {np.max(np.abs(array))}"
        )
    return tuple(tuple(float(v) for v in row) for row in array)


def _check_edges(edges: object) -> tuple[float, ...] | None:
    if edges is None:
        return None
    text = f"histogram_edges must be 2 to {MAX_EDGES} strictly increasing finite numbers"
    if isinstance(edges, str):
        raise ValueError(f"{text}; got {edges!r}")
    try:
        array = np.asarray(edges, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{text}; got {edges!r}"[:300]) from None
    ok = array.ndim == 1 and 2 <= array.size <= MAX_EDGES and np.all(np.isfinite(array))
    if not ok or not np.all(np.diff(array) > 0):
        raise ValueError(f"{text}; got {edges!r}"[:300])
    return tuple(float(e) for e in array)


# --- weights and memory -----------------------------------------------------------------------


def sample_weights(
    initializer: Initializer,
    rng: np.random.Generator,
    fan_in: int,
    fan_out: int,
    dtype: np.dtype | str = "float32",
) -> np.ndarray:
    """``initializer.sample(rng, fan_in, fan_out)`` cast to ``dtype``: the same numbers from the
    same draws, with a bounded float64 overhead (truncated normals are the inverse CDF of the
    uniform draws computed in place, ``lab.initializers.truncated_normal_from_uniform``)."""
    return initializer.sample(rng, fan_in, fan_out).astype(dtype, copy=False)


def kept_weights(config: NetworkConfig) -> tuple[bool, ...]:
    """Per layer 1..L, whether ``simulate`` keeps W_l for the backward pass.

    The backward pass needs W_L, ..., W_2 (dL/da_{l-1} = dL/dz_l W_l^T), in that order. It keeps
    as many of them as fit in the lab's byte budget (``lab.budget.MAX_PEAK_BYTES``) beside the
    rest of the simulation, from the top layer down; every other one is drawn a second time in
    the backward pass from the generator state saved before its first draw, so the numbers are
    the same. Without a backward pass no W_l is kept.
    """
    config = _check_config(config)
    fans = _fans(config)
    kept = [False] * len(fans)
    if config.backward == "none":
        return tuple(kept)
    item = np.dtype(config.dtype).itemsize
    room = MAX_PEAK_BYTES - _peak_bytes(config, 0)
    for index in range(len(fans) - 1, 0, -1):
        size = fans[index][0] * fans[index][1] * item
        if size > room:
            break
        kept[index] = True
        room -= size
    return tuple(kept)


def redrawn_weights(config: NetworkConfig) -> int:
    """How many weights ``simulate`` draws a second time per repeat (``kept_weights``)."""
    config = _check_config(config)
    if config.backward == "none":
        return 0
    pairs = zip(_fans(config), kept_weights(config), strict=True)
    return sum(a * b for index, ((a, b), kept) in enumerate(pairs) if index > 0 and not kept)


def estimate_bytes(config: NetworkConfig) -> int:
    """Upper estimate of the peak memory ``simulate(config)`` allocates, in bytes.

    Counts what is held at once: the arrays every layer keeps for the backward pass (a_l, and
    z_l when the derivative needs it or ``keep_activations`` asks for it), the weights it keeps
    (``kept_weights``), the input, the float64 workspace and per-layer accumulators of the
    statistics, and the largest temporaries of one layer (its weight draw, the activation or
    derivative, the statistics' masks and copies). tests/lab/test_network.py checks it against
    tracemalloc peaks.
    """
    config = _check_config(config)
    item = np.dtype(config.dtype).itemsize
    pairs = zip(_fans(config), kept_weights(config), strict=True)
    return _peak_bytes(config, sum(a * b * item for (a, b), kept in pairs if kept))


def _fans(config: NetworkConfig) -> list[tuple[int, int]]:
    """(n_{l-1}, n_l) of every layer."""
    widths = config.layer_widths
    return list(zip((config.input_features, *widths[:-1]), widths, strict=True))


def _helper_layers(config: NetworkConfig) -> tuple[bool, ...]:
    """Per layer 1..L: whether ``simulate`` has the helper thread draw what follows beside the
    layer's work: its products reach ``_OVERLAP_PRODUCT`` multiply-adds. Never for orthogonal
    weights: their QR is BLAS work of its own, with larger temporaries."""
    if config.initializer().distribution == "orthogonal":
        return (False,) * config.depth
    rows = config.batch_size
    return tuple(rows * a * b >= _OVERLAP_PRODUCT for a, b in _fans(config))


def _z_measured_beside(config: NetworkConfig) -> bool:
    """Whether some repeat of ``simulate(config)`` may have the helper measure z_l while the
    next product runs (``_Runner._forward``): ReLU, z_l not kept in that repeat, and a layer
    the helper runs beside (``_helper_layers``)."""
    if config.activation != "relu" or (config.keep_activations and config.repeats == 1):
        return False
    return any(_helper_layers(config))


def _peak_bytes(config: NetworkConfig, kept_bytes: int) -> int:
    """``estimate_bytes`` with ``kept_bytes`` of weights kept for the backward pass."""
    item = np.dtype(config.dtype).itemsize
    rows = config.batch_size
    n_in = config.input_features
    widths = config.layer_widths
    layers = len(widths)
    largest_matrix = max(a * b for a, b in _fans(config))
    largest_batch = rows * max(n_in, *widths)
    backward = config.backward != "none"
    # Held for the whole pass: the input, the statistics' workspace and accumulators.
    held = rows * n_in * item + max(largest_batch, largest_matrix) * 8 + max(widths) * 8
    held += 6 * len(_RECORD_FIELDS) * 8 * config.repeats * layers
    if config.histogram_edges is not None:
        held += 3 * 8 * len(config.histogram_edges) * (layers + 1)
    if config.histogram_bins is not None:  # counts and each layer's edges
        held += 4 * 8 * (config.histogram_bins + 1) * (layers + 1)
    # Kept per layer for the backward pass or to be returned: a_l, and z_l where needed.
    keeps_pre = (backward and config.activation not in _DERIVATIVE_FROM_OUTPUT) or (
        config.keep_activations and config.activation != "linear"
    )
    stores = backward or config.keep_activations
    stored = rows * sum(widths) * item * (2 if keeps_pre else 1) if stores else 0
    if config.keep_activations and config.repeats > 1 and backward:
        stored += rows * sum(widths) * item  # the next repeat runs beside the first's arrays
    # The largest temporaries of one layer. Batch-sized: z_l and a_{l-1} when not kept, the
    # new a_l or gradient, the activation's own temporaries. For the statistics of any tensor
    # (dL/dW_l is matrix-sized): the finite values, a mask and float64 deviations. With the
    # weight matrix (or dL/dW_l) beside them. Or a weight draw in float64 and its cast, beside
    # the gradient; or the input's float64 draw. A draw on the helper thread (``simulate``) runs
    # beside a product, its output and one matrix, and beside statistics that make no more than
    # a mask (1 byte a value; the rare larger temporaries and those of activations other than
    # ReLU and identity wait for the draw): within the first term, whose statistics share
    # (item + 9 bytes a value) holds the draw's 8 + item and the mask. The helper's statistics
    # (ReLU, ``_Runner.measure_beside``) run one at a time and never beside the calling
    # thread's; they hand the rare larger temporaries back to the calling thread, and dL/dz_l
    # gets an array of its own only where a_l is released first (activations not kept). With a
    # backward pass, the a_l that ReLU writes beside z_l (while the helper measures z_l) is one
    # batch-sized array more: the next product's output comes before z_l is released. (Not
    # with one repeat whose activations are kept, nor without a layer the helper runs beside.)
    per_value = item + _ACTIVATION_BYTES.get(config.activation, 0) + (0 if stores else 2 * item)
    if _z_measured_beside(config) and backward:
        per_value += item
    statistics = max(largest_batch, largest_matrix) * (item + 9)
    distribution = config.initializer().distribution
    draw = largest_matrix * (_DRAW_BYTES[distribution] + item) + largest_batch * item
    temporary = max(
        largest_batch * per_value + statistics + largest_matrix * item,
        draw,
        rows * n_in * 8 if config.input_data is None else 0,
    )
    return int(held + stored + kept_bytes + temporary + _SMALL_OBJECTS)


def draw_cost(distribution: str, fan_in: int, fan_out: int) -> int:
    """What drawing one (fan_in, fan_out) weight matrix costs, in multiply-adds: ``DRAW_COSTS``
    per weight, plus the QR factorization of an orthogonal draw (``QR_COST``)."""
    check_choice("distribution", distribution, tuple(DRAW_COSTS))
    cost = DRAW_COSTS[distribution] * fan_in * fan_out
    if distribution == "orthogonal":
        cost += QR_COST * max(fan_in, fan_out) * min(fan_in, fan_out) ** 2
    return cost


def network_cost(config: NetworkConfig) -> Cost:
    """What ``simulate(config)`` costs: multiply-adds of the matrix products (forward, and the
    two backward products unless ``backward="none"``), plus the random draws priced by
    ``draw_cost`` (the weights, drawn twice when the backward pass draws them again,
    ``kept_weights``; and the generated inputs) and the statistics of every recorded value
    (``STATISTICS_COST``), times the repeats; and ``estimate_bytes``."""
    config = _check_config(config)
    fans = _fans(config)
    per_row = sum(a * b for a, b in fans)
    products = 1 if config.backward == "none" else 3
    distribution = config.initializer().distribution
    draws = 0
    for index, ((a, b), kept) in enumerate(zip(fans, kept_weights(config), strict=True)):
        redrawn = config.backward != "none" and index > 0 and not kept
        draws += draw_cost(distribution, a, b) * (2 if redrawn else 1)
    rows, widths = config.batch_size, config.layer_widths
    if config.input_data is None:
        inputs = "uniform" if config.input_distribution == "uniform" else "normal"
        draws += DRAW_COSTS[inputs] * rows * config.input_features
    summarized = rows * (config.input_features + 2 * sum(widths))  # the input, z_l and a_l
    if config.backward != "none":
        summarized += 2 * rows * sum(widths) + per_row  # dL/da_l, dL/dz_l and dL/dW_l
    work = (rows * per_row * products + draws + STATISTICS_COST * summarized) * config.repeats
    return Cost(multiply_adds=work, peak_bytes=estimate_bytes(config))


def fit_samples(config: NetworkConfig) -> tuple[NetworkConfig, Scaled]:
    """``config`` with as many of its samples as the lab's budget allows (lab.budget), never
    another network; the Scaled record says what was lowered, in one line."""
    config = _check_config(config)
    if config.input_data is not None:
        raise ValueError("fit_samples scales generated inputs; config has input_data")
    layers, width = config.depth, max(config.layer_widths)
    scaled = fit_count(
        config.samples,
        lambda samples: network_cost(replace(config, samples=samples)),
        what="samples",
        subject=f"{layers} layer{'s' if layers != 1 else ''} × {width:,} units",
    )
    return replace(config, samples=scaled.used), scaled


def _check_memory(config: NetworkConfig) -> None:
    needed = estimate_bytes(config)
    if needed > MEMORY_BUDGET_BYTES:
        mib = 2**20
        raise ValueError(
            f"this simulation needs about {needed / mib:,.0f} MB, over the memory budget of "
            f"{MEMORY_BUDGET_BYTES / mib:,.0f} MB; reduce samples ({config.batch_size}), "
            f"width ({max(config.layer_widths)}) or layers ({config.depth})"
            + (" or turn keep_activations off" if config.keep_activations else "")
        )


def _check_config(config: object) -> NetworkConfig:
    """A NetworkConfig validates itself when it is built; anything else is refused."""
    if not isinstance(config, NetworkConfig):
        raise ValueError(f"config must be a NetworkConfig; got {type(config).__name__}")
    return config


# --- statistics -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TensorStats:
    """Per-layer statistics of one tensor (index i is layer i + 1), pooled over repeats.

    Float64 arrays, over the finite values only (NaN for a layer that has none): mean, std,
    variance, rms (square root of the mean square), mean_abs, max_abs, frac_zero (share exactly
    0) and frac_saturated (share with |value| > 2, meaningful for the pre-activations of tanh
    and sigmoid); gradient stats leave frac_zero and frac_saturated None. frac_nonfinite: share
    of inf/NaN among all values. Int64 arrays: count (all values), nonfinite (inf/NaN values).
    With histogram edges (input and activations only, else None): edges, hist_counts of shape
    (layers, len(edges) - 1) over the finite values with numpy's convention (last bin closed),
    below/above (finite values outside the edges); so hist_counts.sum(1) + below + above +
    nonfinite == count. With ``histogram_bins`` each layer has its own edges: ``edges`` has
    shape (layers, bins + 1), row i set by layer i + 1's first finite values (``_auto_edges``)
    and kept for the later repeats; a layer without finite values gets the edges [-1, 1].
    frac_flat (pre-activations of tanh and sigmoid only, else None): share of |z| beyond
    ``lab.health.flat_threshold``, where the slope is below ``lab.health.SATURATION_SLOPE`` of
    its maximum.
    """

    count: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    variance: np.ndarray
    rms: np.ndarray
    mean_abs: np.ndarray
    max_abs: np.ndarray
    frac_zero: np.ndarray | None
    frac_saturated: np.ndarray | None
    frac_nonfinite: np.ndarray
    nonfinite: np.ndarray
    edges: np.ndarray | None = None
    hist_counts: np.ndarray | None = None
    below: np.ndarray | None = None
    above: np.ndarray | None = None
    frac_flat: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.count)


class _Workspace:
    """Reusable float64 buffers for the statistics: a working copy and a vector of ones.

    Sums run as a BLAS matrix-vector product with the ones (several times faster than
    ``ndarray.sum``, still accumulated in float64).
    """

    def __init__(self, largest_size: int, largest_width: int) -> None:
        self.buffer = np.empty(largest_size)
        self.ones = np.ones(largest_width)

    def copy(self, values: np.ndarray) -> np.ndarray:
        """``values`` as float64, in the reusable buffer."""
        wide = self.buffer[: values.size].reshape(values.shape)
        np.copyto(wide, values)
        return wide

    def total(self, wide: np.ndarray) -> float:
        """Sum of a float64 array."""
        if wide.ndim == 2:
            return float((wide @ self.ones[: wide.shape[1]]).sum())
        return float(wide.sum())


def _auto_edges(
    values: np.ndarray, smallest: float, largest: float, mean: float, std: float, bins: int
) -> np.ndarray:
    """``bins`` equal bins over mean ± AUTO_RANGE_STDS std, cut to [smallest, largest] (the
    finite ``values``' extremes); a constant layer (or one whose range rounds to a point in the
    values' dtype) gets [v - |v|/2, v + |v|/2], or [-1/2, 1/2] around 0. The outer edges are
    numbers of the values' dtype, so numpy's range test and the below/above counts agree."""
    kind = values.dtype.type
    low = kind(max(smallest, mean - AUTO_RANGE_STDS * std))
    high = kind(min(largest, mean + AUTO_RANGE_STDS * std))
    if not high > low:
        low, high = kind(smallest), kind(largest)
    if not high > low:
        half, top = abs(float(smallest)) / 2 or 0.5, float(np.finfo(kind).max)
        low = kind(max(-top, float(smallest) - half))
        high = kind(min(top, float(smallest) + half))
    if not high > low:  # pragma: no cover - a value too small to halve in its dtype
        low, high = np.nextafter(low, kind(-np.inf)), np.nextafter(high, kind(np.inf))
    # In float64, as numpy bins with float64 range ends: a float32 linspace overflows near
    # float32's largest value.
    return np.linspace(float(low), float(high), bins + 1)


def _count_beyond(values: np.ndarray, smallest: float, largest: float, threshold: float) -> int:
    """How many ``values`` have |value| > ``threshold`` (> 0), compared in the values' own
    dtype: above the largest number of that dtype not above the threshold, which selects the
    same values as the exact comparison. Sides that the extremes keep within the threshold are
    not scanned."""
    kind = values.dtype.type
    bound = kind(threshold)
    if float(bound) > threshold:
        bound = np.nextafter(bound, kind(0))
    count = 0
    if largest > threshold:
        count += int(np.count_nonzero(values > bound))
    if smallest < -threshold:
        count += int(np.count_nonzero(values < -bound))
    return count


class _Accumulator:
    """Per-repeat, per-layer partial sums of one tensor; ``finish`` pools them (Chan et al.
    1979: total sum of squares = within-group + between-group)."""

    def __init__(
        self,
        repeats: int,
        layers: int,
        edges: np.ndarray | None = None,
        *,
        measure_zeros: bool = True,
        measure_saturation: bool = True,
        bins: int | None = None,
        flat_threshold: float | None = None,
    ) -> None:
        shape = (repeats, layers)
        self.flat_threshold = flat_threshold
        self.flat = np.zeros(shape, np.int64)
        self.measure_zeros = measure_zeros
        self.measure_saturation = measure_saturation
        self.count = np.zeros(shape, np.int64)
        self.finite = np.zeros(shape, np.int64)
        self.zeros = np.zeros(shape, np.int64)
        self.saturated = np.zeros(shape, np.int64)
        self.exponent = np.full(shape, _EMPTY_EXPONENT, np.int64)
        self.mean = np.zeros(shape)  # of the values scaled by 2**-exponent
        self.m2 = np.zeros(shape)  # sum of squared deviations, scaled by 2**-2 exponent
        self.sum_squares = np.zeros(shape)
        self.sum_abs = np.zeros(shape)
        self.max_abs = np.full(shape, np.nan)
        self.edges = edges
        if edges is not None:
            # numpy's fast equal-width path bins exactly like these edges only if they are
            # the very numbers it would compute itself.
            uniform = np.linspace(edges[0], edges[-1], len(edges))
            self.equal_bins = bool(np.array_equal(edges, uniform))
            self.hist = np.zeros((layers, len(edges) - 1), np.int64)
            self.below = np.zeros(layers, np.int64)
            self.above = np.zeros(layers, np.int64)
        #: With ``bins``: each layer's own edges, NaN until its first finite values arrive.
        self.layer_edges = None if bins is None else np.full((layers, bins + 1), np.nan)
        if bins is not None:
            self.hist = np.zeros((layers, bins), np.int64)
            self.below = np.zeros(layers, np.int64)
            self.above = np.zeros(layers, np.int64)

    def add(
        self,
        repeat: int,
        layer: int,
        values: np.ndarray,
        workspace: _Workspace,
        make_room: Callable[[], None] | None = None,
    ) -> None:
        """Measure ``values`` (float32 or float64, 1-D or 2-D) as layer ``layer`` (0-based);
        ``make_room`` is called before the rare value-sized temporaries (inf/NaN, cancellation).

        Passes over the data: its min and max (which also reveal inf/NaN: both propagate NaN),
        a float64 copy, its sum and sum of squares (BLAS); then only what the min and max leave
        open: |x| and its sum when the values have both signs (else the sum of |x| is |sum x|),
        the zero count when 0 lies within [min, max], and the saturation counts on the sides
        that reach past the threshold.
        """
        at = (repeat, layer)
        self.count[at] = values.size
        narrow = values  # the finite values in the simulation dtype
        if values.size == 0:  # pragma: no cover - every layer has at least one value
            return
        smallest, largest = float(values.min()), float(values.max())
        if not (math.isfinite(smallest) and math.isfinite(largest)):  # inf/NaN somewhere
            if make_room is not None:
                make_room()
            narrow = values[np.isfinite(values)]
            if narrow.size == 0:
                self.finite[at] = 0
                return
            smallest, largest = float(narrow.min()), float(narrow.max())
        size = narrow.size
        self.finite[at] = size
        max_abs = max(largest, -smallest)
        self.max_abs[at] = max_abs
        exponent = 0
        if max_abs > 2.0**_SAFE_EXPONENT or 0 < max_abs < 2.0**-_SAFE_EXPONENT:
            exponent = math.frexp(max_abs)[1]
        self.exponent[at] = exponent
        wide = workspace.copy(narrow)
        if exponent:
            np.ldexp(wide, -exponent, out=wide)  # exact: a power of two
        total = workspace.total(wide)
        flat = wide.reshape(-1)
        squares = float(np.dot(flat, flat))
        mean = total / size
        m2 = squares - total * mean
        if m2 <= 1e-6 * squares:  # cancellation (|mean| >> std): redo with the two-pass formula
            if make_room is not None:
                make_room()
            deviation = flat - mean
            m2 = float(np.dot(deviation, deviation))
            del deviation
        self.mean[at] = mean
        self.m2[at] = max(m2, 0.0)
        self.sum_squares[at] = squares
        if smallest < 0 < largest:
            np.abs(wide, out=wide)
            self.sum_abs[at] = workspace.total(wide)
        else:  # one sign: |x| sums to |sum x| (the same additions)
            self.sum_abs[at] = abs(total)
        if self.measure_zeros and smallest <= 0 <= largest:
            self.zeros[at] = np.count_nonzero(narrow == 0)
        if self.measure_saturation:
            self.saturated[at] = _count_beyond(narrow, smallest, largest, SATURATION_THRESHOLD)
        if self.flat_threshold is not None:
            self.flat[at] = _count_beyond(narrow, smallest, largest, self.flat_threshold)
        if self.layer_edges is not None and np.isnan(self.layer_edges[layer, 0]):
            std = math.ldexp(math.sqrt(self.m2[at] / size), exponent)
            center = math.ldexp(mean, exponent)
            self.layer_edges[layer] = _auto_edges(
                narrow, smallest, largest, center, std, self.layer_edges.shape[1] - 1
            )
        if self.edges is not None or self.layer_edges is not None:
            self._histogram(layer, narrow)

    def _histogram(self, layer: int, values: np.ndarray) -> None:
        edges = self.edges if self.layer_edges is None else self.layer_edges[layer]
        low, high = edges[0], edges[-1]
        if self.layer_edges is not None or self.equal_bins:  # numpy's fast equal-width path
            counts, _ = np.histogram(values, bins=len(edges) - 1, range=(low, high))
        else:
            counts, _ = np.histogram(values, bins=edges)
        self.last_histogram = (
            counts,
            np.count_nonzero(values < low),
            np.count_nonzero(values > high),
        )
        self._add_histogram(layer, *self.last_histogram)

    def _add_histogram(self, layer: int, counts: np.ndarray, below: int, above: int) -> None:
        self.hist[layer] += counts
        self.below[layer] += below
        self.above[layer] += above

    def add_copy(self, repeat: int, layer: int, source: _Accumulator) -> None:
        """Record the same values as ``source``'s last ``add`` (identity activation, whose
        a_l is z_l and whose dL/dz_l is dL/da_l) without measuring them again."""
        at = (repeat, layer)
        for name in _RECORD_FIELDS:
            getattr(self, name)[at] = getattr(source, name)[at]
        if self.layer_edges is not None and np.isnan(self.layer_edges[layer, 0]):
            self.layer_edges[layer] = source.layer_edges[layer]  # type: ignore[index]
        if (self.edges is not None or self.layer_edges is not None) and source.finite[at] > 0:
            self._add_histogram(layer, *source.last_histogram)

    def finish(self) -> TensorStats:
        """Pool the repeats of every layer into read-only per-layer arrays."""
        common = self.exponent.max(axis=0)
        factor = np.ldexp(1.0, self.exponent - common)
        count = self.count.sum(axis=0)
        finite = self.finite.sum(axis=0)
        weight = self.finite.astype(np.float64)
        with np.errstate(all="ignore"):
            mean = (weight * self.mean * factor).sum(axis=0) / finite
            between = (weight * (self.mean * factor - mean) ** 2).sum(axis=0)
            variance = ((self.m2 * factor**2).sum(axis=0) + between) / finite
            mean_square = (self.sum_squares * factor**2).sum(axis=0) / finite
            mean_abs = (self.sum_abs * factor).sum(axis=0) / finite
            nonfinite = count - finite
            fields = {
                "count": count,
                "mean": np.ldexp(mean, common),
                "std": np.ldexp(np.sqrt(variance), common),
                "variance": np.ldexp(variance, 2 * common),
                "rms": np.ldexp(np.sqrt(mean_square), common),
                "mean_abs": np.ldexp(mean_abs, common),
                "max_abs": np.fmax.reduce(self.max_abs, axis=0),
                "frac_zero": self.zeros.sum(axis=0) / finite if self.measure_zeros else None,
                "frac_saturated": self.saturated.sum(axis=0) / finite
                if self.measure_saturation
                else None,
                "frac_nonfinite": nonfinite / count,
                "nonfinite": nonfinite,
                "frac_flat": None
                if self.flat_threshold is None
                else self.flat.sum(axis=0) / finite,
            }
        if self.layer_edges is not None:
            unset = np.isnan(self.layer_edges[:, 0])  # layers without a finite value
            self.layer_edges[unset] = np.linspace(-1.0, 1.0, self.layer_edges.shape[1])
        if self.edges is not None or self.layer_edges is not None:
            fields |= {
                "edges": self.edges if self.layer_edges is None else self.layer_edges,
                "hist_counts": self.hist,
                "below": self.below,
                "above": self.above,
            }
        for array in fields.values():
            if array is not None:
                array.flags.writeable = False
        return TensorStats(**fields)


# --- the simulation -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What ``simulate`` measured; every TensorStats has one entry per layer 1..L.

    input: stats of a_0 (one entry). pre: z_l. post: a_l. grad_post: dL/da_l. grad_pre: dL/dz_l.
    grad_weight: dL/dW_l (gradient stats carry no histogram).
    first_nonfinite_layer: the first layer (1-based) whose z_l or a_l holds inf/NaN, or None;
    overflow_message: "overflow: inf/NaN at layer K" or None. backward_first_nonfinite_layer:
    the first layer met by the backward pass (walking down from L) whose gradients hold inf/NaN;
    backward_overflow_message: "overflow: inf/NaN in the backward pass at layer K (dL/dW_K)",
    naming the gradients that hold it at layer K, or None.
    With keep_activations: input_values (a_0), pre_activations [z_1..z_L] and activations
    [a_1..a_L] of the first repeat, read-only arrays in the simulation dtype; else None.
    """

    config: NetworkConfig
    widths: tuple[int, ...]  # (n_0, n_1, ..., n_L)
    input: TensorStats
    pre: TensorStats
    post: TensorStats
    grad_post: TensorStats
    grad_pre: TensorStats
    grad_weight: TensorStats
    first_nonfinite_layer: int | None
    overflow_message: str | None
    backward_first_nonfinite_layer: int | None
    backward_overflow_message: str | None
    input_values: np.ndarray | None = None
    pre_activations: list[np.ndarray] | None = None
    activations: list[np.ndarray] | None = None

    @property
    def layers(self) -> np.ndarray:
        """The layer numbers 1..L."""
        return np.arange(1, len(self.pre) + 1)

    def rows(self) -> list[dict[str, int | float | None]]:
        """One plain, JSON-able dict per layer, for tables and downloads.

        Keys: layer, width, pre_mean, pre_std, pre_var, post_mean, post_std, post_var, post_rms,
        post_max_abs, post_frac_zero, pre_frac_saturated, grad_post_std, grad_post_mean_abs,
        grad_weight_std, grad_weight_mean_abs, nonfinite (count of inf/NaN values in z_l and
        a_l, pooled over repeats). Floats are Python floats; NaN and +-inf become None.
        """
        columns = {
            "pre_mean": self.pre.mean,
            "pre_std": self.pre.std,
            "pre_var": self.pre.variance,
            "post_mean": self.post.mean,
            "post_std": self.post.std,
            "post_var": self.post.variance,
            "post_rms": self.post.rms,
            "post_max_abs": self.post.max_abs,
            "post_frac_zero": self.post.frac_zero,
            "pre_frac_saturated": self.pre.frac_saturated,
            "grad_post_std": self.grad_post.std,
            "grad_post_mean_abs": self.grad_post.mean_abs,
            "grad_weight_std": self.grad_weight.std,
            "grad_weight_mean_abs": self.grad_weight.mean_abs,
        }
        nonfinite = self.pre.nonfinite + self.post.nonfinite
        table = []
        for index, layer in enumerate(self.layers):
            row: dict[str, int | float | None] = {
                "layer": int(layer),
                "width": self.widths[index + 1],
            }
            row |= {name: _json_float(values[index]) for name, values in columns.items()}
            row["nonfinite"] = int(nonfinite[index])
            table.append(row)
        return table


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def simulate(config: NetworkConfig) -> SimulationResult:
    """Run the Monte-Carlo forward and backward pass described by ``config``.

    Random draws, all from ``np.random.default_rng(config.seed)`` in this order: the input
    (N(0, input_std^2) or U(-sqrt3 input_std, sqrt3 input_std), unless input_data is given),
    then, for every repeat, layer by layer W_l = ``initializer.sample(rng, n_{l-1}, n_l)``
    followed by b_l ~ N(0, bias_std^2) when bias_std > 0, and finally, for backward="random",
    dL/da_L ~ N(0, 1) of shape (rows, n_L). backward="mean" takes L = mean(a_L) instead, so
    dL/da_L = 1 / (rows * n_L) everywhere. backward="none" runs the forward pass only: every
    gradient statistic is then NaN (count 0). The input is drawn once and shared by the repeats.

    Memory: each W_l is drawn just before its layer runs. Without a backward pass it is dropped
    after its layer, as is a_{l-1}. With one, the a_l are kept, and W_l is kept only when it fits
    in the lab's budget (``kept_weights``); otherwise the backward pass draws it again from the
    generator state saved before its first draw: the same numbers, and the draws above keep
    their order. ``estimate_bytes`` bounds the peak.

    Speed: where a layer's products are large (``_OVERLAP_PRODUCT``) a helper thread makes the
    draws that come next while the calling thread computes and measures the layer: b_l, then
    W_{l+1} (after the last layer, dL/da_L), and in the backward pass W_l drawn again. One
    thread uses the generator at a time, in the order above, so every number is the same as on
    one thread. For ReLU, with numpy's BLAS on one thread, the helper also measures what
    nothing changes any more while the calling thread runs the next product, on the layers it
    draws beside. With the activations kept (the first repeat with ``keep_activations``): a_l.
    Otherwise: z_l (a_l then goes to an array of its own instead of overwriting z_l), and,
    with a backward pass, a_l, dL/da_l and dL/dz_l in that pass (dL/dz_l to an array of its
    own); without one, a_l in the forward pass. The same statistics of the same arrays, one
    array at a time.

    Raises ValueError for an invalid config or one over ``MEMORY_BUDGET_BYTES``.
    """
    config = _check_config(config)
    _check_memory(config)
    widths = (config.input_features, *config.layer_widths)
    runner = _Runner(config, widths)
    with np.errstate(all="ignore"):
        return runner.run()


#: What the forward pass keeps of W_l for the backward pass: the matrix, the generator state
#: it was drawn from (``kept_weights``), or nothing (W_1, or no backward pass).
_Weights = np.ndarray | dict | None


#: The gradients a backward pass records per layer, in ``_Runner._result``'s order.
_GRADIENT_NAMES = ("dL/da", "dL/dz", "dL/dW")


def _backward_overflow_message(grads: Sequence[TensorStats], layer: int) -> str:
    """The backward pass's first inf/NaN (the highest layer holding one), with the gradients
    that hold it there: at the output's layer dL/da_L is drawn finite while dL/dW_L =
    a_{L-1}^T dL/dz_L already overflows when the forward pass did."""
    names = [
        f"{name}_{layer}"
        for name, stats in zip(_GRADIENT_NAMES, grads, strict=True)
        if stats.nonfinite[layer - 1]
    ]
    return f"overflow: inf/NaN in the backward pass at layer {layer} ({', '.join(names)})"


@functools.cache
def _blas_controller() -> Any | None:
    """threadpoolctl's controller of the BLAS libraries loaded when first called (numpy's
    loads with numpy, before any simulation), or None without threadpoolctl (the scikit-learn
    project's; ``pages.ui.blas`` sets the server's threads)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController().select(user_api="blas")


def _blas_on_one_thread() -> bool:
    """Whether every BLAS library numpy loaded runs on one thread now; False when unknown."""
    controller = _blas_controller()
    if controller is None or not controller.lib_controllers:
        return False
    return all(library.num_threads == 1 for library in controller.lib_controllers)


class _HandedBack(Exception):
    """Raised on the helper thread by ``_hand_back``."""


def _hand_back() -> None:
    """The helper's ``make_room``: values that need the rare large temporaries go back to the
    calling thread (``_Runner._measure_held``)."""
    raise _HandedBack


def _quietly(function: Callable, *args: object) -> object:
    """``function(*args)`` with numpy's floating-point errors ignored, as in ``simulate`` (a
    thread has its own numpy error state)."""
    with np.errstate(all="ignore"):
        return function(*args)


class _Runner:
    """One simulation: the draws, the passes and the accumulators."""

    def __init__(self, config: NetworkConfig, widths: tuple[int, ...]) -> None:
        self.config = config
        self.widths = widths
        self.dtype = np.dtype(config.dtype)
        self.initializer = config.initializer()
        self.activation = config.activation_function()
        self.rng = np.random.default_rng(config.seed)
        rows, layers, repeats = config.batch_size, len(widths) - 1, config.repeats
        fans = zip(widths[:-1], widths[1:], strict=True)
        largest = max(rows * max(widths), max(a * b for a, b in fans))
        self.workspace = _Workspace(largest, max(widths))
        edges = None if config.histogram_edges is None else np.array(config.histogram_edges)
        bins = config.histogram_bins
        self.input = _Accumulator(1, 1, edges, bins=bins)
        self.pre = _Accumulator(
            repeats, layers, edges, bins=bins, flat_threshold=flat_threshold(self.activation)
        )
        self.post = _Accumulator(repeats, layers, edges, bins=bins)
        self.grad_post = _Accumulator(repeats, layers, **_MOMENTS_ONLY)
        self.grad_pre = _Accumulator(repeats, layers, **_MOMENTS_ONLY)
        self.grad_weight = _Accumulator(repeats, layers, **_MOMENTS_ONLY)
        self.backward = config.backward != "none"
        self.kept_weights = kept_weights(config)
        self.needs_pre = self.backward and config.activation not in _DERIVATIVE_FROM_OUTPUT
        self.kept: tuple[np.ndarray, list[np.ndarray], list[np.ndarray]] | None = None
        #: Per layer: whether the helper thread draws the weights that follow (b_l, W_{l+1},
        #: or W_l again in the backward pass) beside this layer's work (``_helper_layers``).
        self.overlap = _helper_layers(config)
        #: ReLU and identity make no temporaries of their own (phi and phi' in place), so they
        #: run beside a draw; other activations wait for it (``_settle``), as do the statistics'
        #: rare temporaries, so that a draw never adds to a peak ``estimate_bytes`` counts.
        self.light = config.activation in ("relu", "linear")
        #: Whether the helper also measures what nothing changes any more (``_hand_over``): for
        #: ReLU (identity copies its statistics instead), where numpy's BLAS runs on one thread,
        #: as on the app's server; with more, the statistics' BLAS calls wait for the product's.
        self.measure_beside = (
            config.activation == "relu" and any(self.overlap) and _blas_on_one_thread()
        )
        self.helper: ThreadPoolExecutor | None = None
        self.drawing: Future | None = None  # the helper's draw in progress, if any
        #: The helper's statistics handed over and not yet waited for, in order.
        self.measuring: list[Future] = []

    def run(self) -> SimulationResult:
        try:
            return self._run()
        finally:
            if self.helper is not None:
                self.helper.shutdown()

    def _run(self) -> SimulationResult:
        config = self.config
        inputs = self._draw_input()
        self.input.add(0, 0, inputs, self.workspace)
        for repeat in range(config.repeats):
            keep = config.keep_activations and repeat == 0
            weights, pre, post, grad = self._forward(repeat, inputs, keep)
            self._measured()
            if keep:
                self.kept = (inputs, list(pre), list(post))  # type: ignore[arg-type]
                for array in (inputs, *pre, *post):
                    array.flags.writeable = False  # type: ignore[union-attr]
            if self.backward:
                self._backward(repeat, inputs, weights, pre, post, keep, grad)
                self._measured()
        return self._result()

    def _draw_input(self) -> np.ndarray:
        config = self.config
        if config.input_data is not None:
            return np.array(config.input_data, dtype=self.dtype)
        shape = (config.samples, self.widths[0])
        if config.input_distribution == "uniform":
            bound = math.sqrt(3.0) * config.input_std
            values = self.rng.uniform(-bound, bound, size=shape)
        else:
            values = self.rng.normal(0.0, config.input_std, size=shape)
        return values.astype(self.dtype, copy=False)

    def _forward(
        self, repeat: int, inputs: np.ndarray, keep: bool
    ) -> tuple[list[_Weights], list[np.ndarray | None], list[np.ndarray | None], np.ndarray | None]:
        """Layer by layer: draw W_l (then b_l, in the order ``simulate`` documents), compute
        z_l = a_{l-1} @ W_l + b_l and a_l = phi(z_l), measure both (a_l is left to the backward
        pass where the helper measures beside the products, ``measure_beside``, and ``keep``
        is False).

        Returns what the backward pass needs: per layer W_l, or the generator state it was
        drawn from (``kept_weights``; None for W_1 and without a backward pass), z_l where the
        derivative needs it or ``keep`` (the first repeat with ``keep_activations``), a_l for
        the backward pass or ``keep`` (else None: only a_{l-1} is held while layer l runs), and
        dL/da_L when the helper thread already drew it (else None).
        """
        keep_pre = self.needs_pre or keep
        keep_post = self.backward or keep
        weights: list[_Weights] = []
        pre: list[np.ndarray | None] = []
        post: list[np.ndarray | None] = []
        previous = inputs
        layers = len(self.widths) - 1
        following: tuple | None = None  # what the helper drew after b_{l-1}: W_l, or dL/da_L
        for layer in range(layers):
            matrix, state = following if following is not None else self._draw(layer)
            following = None
            weights.append(matrix if self.kept_weights[layer] else state)
            bias: Future | None = None
            if self.overlap[layer]:  # b_l, then W_{l+1} (or dL/da_L), beside everything below
                bias = self._beside(self._bias, layer)
                self.drawing = self._beside(self._draw_following, layer)
            z = previous @ matrix
            del matrix  # dropped here unless kept for the backward pass
            offset = self._bias(layer) if bias is None else bias.result()
            if offset is not None:
                z += offset
            del offset
            self._measured()
            # ReLU on the app's server: a_l goes to an array of its own, so that the helper
            # measures z_l beside the next product; a_l waits for the backward pass, whose
            # products leave the helper more time than the forward's.
            beside = self.measure_beside and self.overlap[layer] and not keep_pre
            if beside:
                a = self._activate(z, in_place=False)
                self._hand_over(self.pre, repeat, layer, z)
            else:
                self.pre.add(repeat, layer, z, self.workspace, self._settle)
                if not self.light:
                    self._settle()
                a = self._activate(z, in_place=not keep_pre)
            if self.measure_beside and self.backward and not keep:
                pass  # a_l is measured in the backward pass (``_backward``)
            elif beside:
                self._hand_over(self.post, repeat, layer, a)
            elif self.activation.name == "linear":  # a_l is z_l
                self.post.add_copy(repeat, layer, self.pre)
            else:
                self._measure(self.post, repeat, layer, a)
            pre.append(z if keep_pre else None)
            post.append(a if keep_post else None)
            del z
            previous = a
            if self.drawing is not None:
                following = self.drawing.result()
                self.drawing = None
        return weights, pre, post, None if following is None else following[0]

    def _draw(self, layer: int) -> tuple[np.ndarray, dict | None]:
        """W_{layer+1} from the generator, and the generator state before it when the backward
        pass draws it again (``kept_weights``; never W_1, never without a backward pass)."""
        redraw = self.backward and layer > 0 and not self.kept_weights[layer]
        state = self.rng.bit_generator.state if redraw else None
        fan_in, fan_out = self.widths[layer], self.widths[layer + 1]
        return sample_weights(self.initializer, self.rng, fan_in, fan_out, self.dtype), state

    def _bias(self, layer: int) -> np.ndarray | None:
        """b_{layer+1} ~ N(0, bias_std^2) from the generator, or None without biases."""
        if self.config.bias_std <= 0:
            return None
        size = self.widths[layer + 1]
        return self.rng.normal(0.0, self.config.bias_std, size=size).astype(self.dtype)

    def _output_gradient(self, rows: int) -> np.ndarray:
        """dL/da_L: N(0, 1) from the generator (backward="random"), or 1 / (rows n_L)."""
        shape = (rows, self.widths[-1])
        if self.config.backward == "random":
            return self.rng.standard_normal(shape).astype(self.dtype, copy=False)
        return np.full(shape, 1.0 / (rows * self.widths[-1]), dtype=self.dtype)

    def _beside(self, function: Callable, *args: object) -> Future:
        """``function(*args)`` on the helper thread, started when first needed; it runs one
        call at a time, in the order they were handed over (``_OVERLAP_PRODUCT``)."""
        if self.helper is None:
            self.helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-simulate")
        return self.helper.submit(_quietly, function, *args)

    def _measure(
        self, accumulator: _Accumulator, repeat: int, layer: int, values: np.ndarray
    ) -> None:
        """``accumulator.add`` of ``values``, which nothing changes any more: on the helper
        thread after its draws where the layer overlaps (``overlap``, ``measure_beside``), else
        here."""
        self._measured()
        if self.measure_beside and self.overlap[layer]:
            self._hand_over(accumulator, repeat, layer, values)
        else:
            accumulator.add(repeat, layer, values, self.workspace, self._settle)

    def _hand_over(
        self, accumulator: _Accumulator, repeat: int, layer: int, values: np.ndarray
    ) -> None:
        """Queue ``accumulator.add`` of ``values`` on the helper thread (``_measure_held``)."""
        self.measuring.append(
            self._beside(self._measure_held, accumulator, repeat, layer, [values])
        )

    def _measure_held(
        self, accumulator: _Accumulator, repeat: int, layer: int, held: list[np.ndarray]
    ) -> tuple | None:
        """On the helper thread: ``accumulator.add`` of the one array in ``held``, taken out of
        the list so that the array is released as soon as it is measured. Values that need the
        statistics' rare large temporaries (inf/NaN, cancellation) are handed back instead, as
        (accumulator, repeat, layer, values), for the calling thread to measure where
        ``estimate_bytes`` counts them (``_measured``)."""
        values = held.pop()
        try:
            accumulator.add(repeat, layer, values, self.workspace, _hand_back)
        except _HandedBack:
            return accumulator, repeat, layer, values
        return None

    def _measured(self) -> None:
        """Wait for the helper's statistics (they share the workspace), then measure here what
        it handed back."""
        pending, self.measuring = self.measuring, []
        for handed_back in [future.result() for future in pending]:
            if handed_back is not None:
                accumulator, repeat, layer, values = handed_back
                accumulator.add(repeat, layer, values, self.workspace, self._settle)

    def _settle(self) -> None:
        """Wait for the helper's draw in progress (its temporaries go), if any."""
        if self.drawing is not None:
            self.drawing.result()

    def _draw_following(self, layer: int) -> tuple | None:
        """What the generator draws after b_{layer+1}: W_{layer+2} and its state, or after the
        last layer dL/da_L (as a 1-tuple) when the backward pass draws it and the activation
        leaves room for it beside the last layer's work (``light``), else None."""
        if layer + 2 < len(self.widths):
            return self._draw(layer + 1)
        if self.light and self.config.backward == "random":
            return (self._output_gradient(self.config.batch_size),)
        return None

    def _weights(self, kept: _Weights, layer: int) -> np.ndarray:
        """W_{layer+1}: the kept matrix, or the same numbers drawn again from the saved state."""
        if isinstance(kept, np.ndarray):
            return kept
        if kept is None:  # pragma: no cover - the forward pass keeps one or the other
            raise RuntimeError("the forward pass kept neither the weights nor their state")
        generator = np.random.Generator(type(self.rng.bit_generator)())
        generator.bit_generator.state = kept
        fan_in, fan_out = self.widths[layer], self.widths[layer + 1]
        return sample_weights(self.initializer, generator, fan_in, fan_out, self.dtype)

    def _activate(self, z: np.ndarray, in_place: bool) -> np.ndarray:
        """phi(z) in the simulation dtype; ReLU and identity without a float64 detour."""
        name = self.activation.name
        if name == "linear":
            return z
        if name == "relu":  # against a row of zeros: numpy's loop for a row is the faster one
            zeros = np.zeros(z.shape[-1], dtype=z.dtype)
            return np.maximum(z, zeros, out=z if in_place else None)
        return np.asarray(self.activation.function(z), dtype=self.dtype)

    def _backward(
        self,
        repeat: int,
        inputs: np.ndarray,
        weights: list[_Weights],
        pre: list[np.ndarray | None],
        post: list[np.ndarray | None],
        keep: bool,
        grad: np.ndarray | None,
    ) -> None:
        """dL/dz_l = dL/da_l * phi'(z_l), dL/dW_l = a_{l-1}^T dL/dz_l and
        dL/da_{l-1} = dL/dz_l W_l^T, from the output down, from dL/da_L (``grad``, or drawn
        here when None); each layer's arrays are released once used (unless ``keep``: the first
        repeat's activations are returned). W_l drawn again goes to the helper thread at the
        start of its layer where that pays (``overlap``). Measures a_l too where the forward
        pass left it (``measure_beside`` and not ``keep``)."""
        last = post[-1]
        assert last is not None
        if grad is None:
            grad = self._output_gradient(last.shape[0])
        del last
        for layer in range(len(weights) - 1, -1, -1):
            kept = weights[layer]
            weights[layer] = None
            beside = self.overlap[layer] and isinstance(kept, dict)
            if beside:
                self.drawing = self._beside(self._weights, kept, layer)
            a = post[layer]
            assert a is not None
            self._measured()  # the layer above's statistics (and its dL/dz_l) are done
            if self.measure_beside and self.overlap[layer] and not keep:
                # dL/dz_l into a new array, so that dL/da_l stays as it is while the helper
                # measures it. Not while the activations are kept: a_l is then not released
                # before dL/da_{l-1} comes, and an array handed back (``_measure_held``) would
                # sit beside every other. Then a_l, which the forward pass left unmeasured
                # (after the gradients: dL/da_l has to be measured before dL/da_{l-1} comes).
                self._hand_over(self.grad_post, repeat, layer, grad)
                grad = np.multiply(grad, a > 0)  # _apply_derivative's numbers, not in place
                self._hand_over(self.grad_pre, repeat, layer, grad)
                self._hand_over(self.post, repeat, layer, a)
            elif self.activation.name == "linear":
                self.grad_post.add(repeat, layer, grad, self.workspace, self._settle)
                self.grad_pre.add_copy(repeat, layer, self.grad_post)
            else:
                if self.measure_beside and not keep:  # a_l, left unmeasured by the forward pass
                    self.post.add(repeat, layer, a, self.workspace, self._settle)
                self.grad_post.add(repeat, layer, grad, self.workspace, self._settle)
                if not self.light:
                    self._settle()
                self._apply_derivative(grad, pre[layer], a)
                self.grad_pre.add(repeat, layer, grad, self.workspace, self._settle)
            below = post[layer - 1] if layer > 0 else inputs
            assert below is not None
            weight_grad = below.T @ grad
            if not beside:
                self._measured()
                self.grad_weight.add(repeat, layer, weight_grad, self.workspace)
                del weight_grad
            if not keep:
                pre[layer] = None
                post[layer] = None
            del a, below
            if self.measuring and self.measuring[0].result() is not None:
                self._measured()  # dL/da_l came back: measured before dL/da_{l-1} comes
            if layer > 0:
                if self.drawing is not None:
                    matrix = self.drawing.result()
                    self.drawing = None
                else:
                    matrix = self._weights(kept, layer)
                del kept
                grad = grad @ matrix.T
                del matrix
            if beside:  # after W_l is dropped: no higher peak than above
                self._measured()
                self.grad_weight.add(repeat, layer, weight_grad, self.workspace)
                del weight_grad

    def _apply_derivative(self, grad: np.ndarray, z: np.ndarray | None, a: np.ndarray) -> None:
        """grad *= phi'(z) in place; from a = phi(z) where that gives the same numbers as
        ``Activation.derivative`` (ReLU and leaky ReLU: a > 0 iff z > 0; tanh: 1 - a^2;
        sigmoid: a (1 - a))."""
        name = self.activation.name
        if name == "linear":
            return
        if name == "relu":
            np.multiply(grad, a > 0, out=grad)
        elif name == "leaky_relu":
            np.multiply(grad, self.activation.params["slope"], out=grad, where=~(a > 0))
        elif name == "tanh":
            grad *= 1 - a * a
        elif name == "sigmoid":
            grad *= a * (1 - a)
        else:
            np.multiply(grad, self.activation.derivative(z), out=grad, casting="same_kind")

    def _result(self) -> SimulationResult:
        pre, post = self.pre.finish(), self.post.finish()
        grads = (self.grad_post.finish(), self.grad_pre.finish(), self.grad_weight.finish())
        forward_bad = np.flatnonzero(pre.nonfinite + post.nonfinite)
        backward_bad = np.flatnonzero(sum(g.nonfinite for g in grads))
        first = int(forward_bad[0]) + 1 if forward_bad.size else None
        first_back = int(backward_bad[-1]) + 1 if backward_bad.size else None
        kept = self.kept
        return SimulationResult(
            config=self.config,
            widths=self.widths,
            input=self.input.finish(),
            pre=pre,
            post=post,
            grad_post=grads[0],
            grad_pre=grads[1],
            grad_weight=grads[2],
            first_nonfinite_layer=first,
            overflow_message=None if first is None else f"overflow: inf/NaN at layer {first}",
            backward_first_nonfinite_layer=first_back,
            backward_overflow_message=None
            if first_back is None
            else _backward_overflow_message(grads, first_back),
            input_values=None if kept is None else kept[0],
            pre_activations=None if kept is None else list(kept[1]),
            activations=None if kept is None else list(kept[2]),
        )
