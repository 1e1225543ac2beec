"""The Forward pass page's teaching experiments, built on ``lab.network`` and ``lab.theory``.

Every experiment is a small function returning plain results (frozen dataclasses of numpy
arrays); ``lab.experiments.forward_pass`` combines them into the page's one result.

- ``layer_histograms``: random inputs through dense layers (``network_config``), with each
  layer's histogram on its own range (``HISTOGRAM_BINS`` bins over the layer's mean ± 5 std,
  ``lab.network.AUTO_RANGE_STDS``), to be drawn with the band ``HISTOGRAM_BAND`` = [-3, 3]
  marked (the per-layer activation histograms of Glorot & Bengio 2010, section 4.2): a fixed
  [-3, 3] window left a vanished layer as one spike at 0 and an exploded one as an empty
  frame. The "5,000 points x 5 layers" experiment uses ``FIVE_LAYERS_*``: width 100 (the
  course material does not give one), so 5,000 x 100 = 500,000 values per histogram make the
  60 bins smooth, and a run takes tens of milliseconds. The price is the scatter
  of one weight draw: over 30 seeds the RMS of Xavier + ReLU at layers 2..5 scattered by 5%,
  9%, 12% and 15% around the theory (width 256 roughly halves it). Run with Xavier normal
  weights, once with the identity and once with ReLU, it shows that Xavier's Var(W) = 1/n
  keeps E[a^2] for a linear layer while ReLU halves it per layer, so the RMS falls as
  2^(-l/2) (He et al. 2015, section 2.2).
- ``sigma_sweep``: the single input row X = [1, 2, 3, 4, 5] through 8 ReLU layers of 10 units
  with W ~ N(0, sigma^2), b = 0, for sigma in {1e-5, 1e-3, 1e-2, 1e-1, 0.5}. In expectation
  E[z_{l+1}^2] = n sigma^2 E[a_l^2] = (n sigma^2 / 2) E[z_l^2] (He et al. 2015, eq. 7-9), a factor
  5 sigma^2 per layer at n = 10. One row and 10 units make a single draw very noisy, so the
  statistics pool ``repeats`` independent weight draws (default 200); ``sweep_cost`` is what
  that costs, for ``lab.budget``.
- ``init_comparison``: zeros, small random (std 0.01), large random (std 1), Xavier and He in
  one network: final-layer std, RMS ratio to the input and the state from ``lab.diagnosis``.

Nothing here refuses a large request: the caller fits its samples or repeats to the lab's budget
(``lab.budget``); the engine's memory guard still applies on top.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lab.activations import DEFAULT_LEAKY_SLOPE, get_activation
from lab.budget import Cost
from lab.diagnosis import Diagnosis
from lab.network import MAX_REPEATS, NetworkConfig, SimulationResult, TensorStats, simulate
from lab.signal import diagnose_forward
from lab.theory import TheoryPrediction, predict
from lab.validation import check_choice, check_float, check_int

# --- constants ------------------------------------------------------------------------------

#: 61 edges: 60 bins of width 0.1 on [-3, 3] (fixed edges, ``network_config(edges=...)``).
HISTOGRAM_EDGES: tuple[float, ...] = tuple(float(x) for x in np.linspace(-3.0, 3.0, 61))
#: Bins of each layer's own histogram range (``network_config(edges="auto")``).
HISTOGRAM_BINS = 60
#: The band marked on every histogram: ±3, where a unit-variance normal signal keeps 99.7% of
#: its values. A layer whose histogram reaches far beyond it has grown; one that fills a sliver
#: of it has shrunk.
HISTOGRAM_BAND: tuple[float, float] = (-3.0, 3.0)
FIVE_LAYERS_DEPTH = 5
FIVE_LAYERS_WIDTH = 100
FIVE_LAYERS_SAMPLES = 5000

SIGMA_SWEEP_INPUT: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0)
SIGMA_SWEEP_SIGMAS: tuple[float, ...] = (1e-5, 1e-3, 1e-2, 1e-1, 0.5)
SIGMA_SWEEP_DEPTH = 8
SIGMA_SWEEP_WIDTH = 10
SIGMA_SWEEP_REPEATS = 200
#: He's std for the sweep's layers, sqrt(2 / 10): the expected factor per layer 5 sigma^2 is 1.
SIGMA_SWEEP_HE = math.sqrt(2.0 / SIGMA_SWEEP_WIDTH)
#: Reference sigmas drawn beside the student's: "around_he" gives factors per layer 5 sigma^2 of
#: 1/20, 1/5, 5 and 20 (as many decades of growth as of decay around He's sigma); "course" is
#: the course material's {1e-5, 1e-3, 1e-2, 1e-1, 0.5} (four decaying, one slightly growing).
SIGMA_SETS: dict[str, tuple[float, ...]] = {
    "around_he": (0.1, 0.2, 1.0, 2.0),
    "course": SIGMA_SWEEP_SIGMAS,
}
MAX_SWEEP_REPEATS = 2000
MAX_SWEEP_DEPTH = 20
MAX_SWEEP_WIDTH = 100
MIN_SIGMA = 1e-6
MAX_SIGMA = 10.0
MAX_INPUT_VALUE = 1e3
#: Activations the sweep accepts (leaky ReLU would need its slope; the sweep is about ReLU).
SWEEP_ACTIVATIONS: tuple[str, ...] = ("relu", "linear", "tanh", "sigmoid", "gelu", "selu")

#: The classic schemes compared side by side (course material 001).
COMPARISON_INITS: tuple[str, ...] = (
    "zeros",
    "small_random",
    "large_random",
    "xavier_normal",
    "he_normal",
)

MAX_INPUT_STD = 1e6

InitParams = Mapping[str, float | str] | Iterable[tuple[str, float | str]]


# --- shared helpers -------------------------------------------------------------------------


def _init_params(init_params: InitParams | None) -> tuple[tuple[str, float | str], ...]:
    if init_params is None:
        return ()
    try:
        pairs = dict(init_params)
    except (TypeError, ValueError):
        raise ValueError(
            f"init_params must be a mapping or (name, value) pairs; got {init_params!r}"
        ) from None
    return tuple(sorted(pairs.items()))


def network_config(
    init: str = "xavier_normal",
    activation: str = "relu",
    *,
    layers: int = FIVE_LAYERS_DEPTH,
    width: int = FIVE_LAYERS_WIDTH,
    samples: int = FIVE_LAYERS_SAMPLES,
    input_std: float = 1.0,
    bias_std: float = 0.0,
    seed: int = 0,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
    edges: Sequence[float] | str | None = "auto",
) -> NetworkConfig:
    """The NetworkConfig of a forward-pass experiment: N(0, input_std^2) inputs, N(0,
    bias_std^2) biases (0: none), float32, and histograms: "auto" gives each layer
    ``HISTOGRAM_BINS`` bins on its own range, a sequence fixed edges for every layer, None no
    histograms. ``input_std`` must be > 0 (the ratio to the input is undefined otherwise)."""
    check_float("input_std", input_std, 0.0, MAX_INPUT_STD, low_inclusive=False)
    auto = isinstance(edges, str)
    if auto and edges != "auto":
        raise ValueError(f"edges must be 'auto', a sequence of edges or None; got {edges!r}")
    return NetworkConfig(
        init=init,
        init_params=_init_params(init_params),
        activation=activation,
        slope=slope,
        layers=layers,
        width=width,
        samples=samples,
        input_std=input_std,
        bias_std=bias_std,
        seed=seed,
        histogram_edges=None if edges is None or auto else tuple(edges),  # type: ignore[arg-type]
        histogram_bins=HISTOGRAM_BINS if auto else None,
        backward="none",  # the forward-pass experiments show no gradients
    )


def panel_layers(layers: int, panels: int = 10) -> tuple[int, ...]:
    """Which layers (1-based) to draw as small multiples: all of them when there are at most
    ``panels``, else ``panels`` evenly spaced ones including the first and the last."""
    layers = check_int("layers", layers, 1, 1000)
    panels = check_int("panels", panels, 2, 100)
    if layers <= panels:
        return tuple(range(1, layers + 1))
    spaced = np.unique(np.rint(np.linspace(1, layers, panels)).astype(int))
    return tuple(int(layer) for layer in spaced)


# --- per-layer histograms -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Histograms:
    """Per-layer histograms of one tensor; index i is layer i + 1.

    edges: (layers, bins + 1), each layer's own (equal rows with fixed edges); counts:
    (layers, bins) over the finite values; below/above: finite values outside the layer's
    edges; nonfinite: inf/NaN values; total: all values (counts.sum(1) + below + above +
    nonfinite == total). std, rms: over the finite values. frac_zero: share exactly 0.
    """

    edges: np.ndarray
    counts: np.ndarray
    below: np.ndarray
    above: np.ndarray
    nonfinite: np.ndarray
    total: np.ndarray
    std: np.ndarray
    rms: np.ndarray
    frac_zero: np.ndarray


def _histograms(stats: TensorStats) -> Histograms:
    zeros = stats.frac_zero if stats.frac_zero is not None else np.full(len(stats), np.nan)
    edges = stats.edges
    if edges.ndim == 1:  # fixed edges, shared by every layer
        edges = np.broadcast_to(edges, (len(stats), len(edges)))
    return Histograms(
        edges=edges,
        counts=stats.hist_counts,
        below=stats.below,
        above=stats.above,
        nonfinite=stats.nonfinite,
        total=stats.count,
        std=stats.std,
        rms=stats.rms,
        frac_zero=zeros,
    )


@dataclass(frozen=True, eq=False)
class LayerHistograms:
    """One forward pass with per-layer histograms of z_l (``pre``) and a_l (``post``).

    label: "<scheme label> + <activation label>". result: the full SimulationResult.
    theory: the mean-field prediction for the same network (``lab.theory.predict``), or None
    when it does not apply (nonzero-mean weights), with ``theory_reason``. diagnosis: the
    network's state (``lab.signal.diagnose_forward``).
    """

    config: NetworkConfig
    label: str
    result: SimulationResult
    pre: Histograms
    post: Histograms
    theory: TheoryPrediction | None
    theory_reason: str
    diagnosis: Diagnosis

    @property
    def layers(self) -> np.ndarray:
        """The layer numbers 1..L."""
        return self.result.layers


def _theory(config: NetworkConfig) -> TheoryPrediction:
    return predict(
        config.init,
        config.activation,
        config.depth,
        config.width,
        input_std=config.input_std,
        bias_std=config.bias_std,
        init_params=config.init_params,
        slope=config.slope,
    )


def layer_histograms(config: NetworkConfig) -> LayerHistograms:
    """Simulate ``config`` (``lab.network.simulate``; build it with ``network_config``) and
    histogram every z_l and a_l (on its ``histogram_edges``, or each layer on its own range
    with ``histogram_bins``), with the mean-field prediction of the same network and its
    state."""
    if not isinstance(config, NetworkConfig) or (
        config.histogram_edges is None and config.histogram_bins is None
    ):
        raise ValueError(
            "config must be a NetworkConfig with histogram_edges or histogram_bins; got "
            + type(config).__name__
            + (" without histograms" if isinstance(config, NetworkConfig) else "")
        )
    result = simulate(config)
    theory = _theory(config)
    label = f"{config.initializer().label} + {config.activation_function().label}"
    return LayerHistograms(
        config=config,
        label=label,
        result=result,
        pre=_histograms(result.pre),
        post=_histograms(result.post),
        theory=theory if theory.applicable else None,
        theory_reason=theory.reason,
        diagnosis=diagnose_forward(result),
    )


# --- sigma sweep ----------------------------------------------------------------------------


def _check_input_row(row: object) -> tuple[float, ...]:
    text = f"input_row must be 1 to {MAX_SWEEP_WIDTH} finite numbers in [-1000, 1000], not all 0"
    if isinstance(row, str | bytes) or not isinstance(row, Sequence | np.ndarray):
        raise ValueError(f"{text}; got {row!r}")
    values = tuple(check_float("input_row", x, -MAX_INPUT_VALUE, MAX_INPUT_VALUE) for x in row)
    if not 1 <= len(values) <= MAX_SWEEP_WIDTH or not any(values):
        raise ValueError(f"{text}; got {row!r}")
    return values


def _check_sigmas(sigmas: object) -> tuple[float, ...]:
    if isinstance(sigmas, str | bytes) or not isinstance(sigmas, Sequence | np.ndarray):
        raise ValueError(f"sigmas must be a sequence of weight stds; got {sigmas!r}")
    values = tuple(check_float("sigmas", s, MIN_SIGMA, MAX_SIGMA) for s in sigmas)
    if not 1 <= len(values) <= 20:
        raise ValueError(f"sigmas must hold 1 to 20 values; got {len(values)}")
    return values


def sigma_sweep_config(
    sigma: float,
    *,
    repeats: int = MAX_REPEATS,
    seed: int = 0,
    activation: str = "relu",
    layers: int = SIGMA_SWEEP_DEPTH,
    width: int = SIGMA_SWEEP_WIDTH,
    input_row: Sequence[float] = SIGMA_SWEEP_INPUT,
) -> NetworkConfig:
    """The NetworkConfig of one sigma of the sweep: W ~ N(0, sigma^2) ("normal" init), b = 0,
    one input row, float64 (as the numpy original), backward="mean" (so the random stream
    holds the weights only). ``simulate`` accepts at most 100 repeats."""
    sigma = check_float("sigma", sigma, MIN_SIGMA, MAX_SIGMA)
    return NetworkConfig(
        init="normal",
        init_params=(("std", sigma),),
        activation=activation,
        layers=layers,
        width=width,
        input_data=(_check_input_row(input_row),),
        repeats=repeats,
        backward="mean",
        seed=seed,
        dtype="float64",
    )


def sweep_cost(
    repeats: int,
    *,
    sigmas: Sequence[float] = SIGMA_SWEEP_SIGMAS,
    layers: int = SIGMA_SWEEP_DEPTH,
    width: int = SIGMA_SWEEP_WIDTH,
    input_row: Sequence[float] = SIGMA_SWEEP_INPUT,
) -> Cost:
    """What ``sigma_sweep`` costs (``lab.budget``): one random draw per weight and repeat, and
    per sigma one product of the single input row with every weight; its peak memory holds all
    draws in float64, one layer's block of them (copied, then scaled) and a few temporaries of
    one layer's z and a (their squares, numpy's variance)."""
    repeats = check_int("repeats", repeats, 1, MAX_SWEEP_REPEATS)
    count = len(_check_sigmas(sigmas))
    layers = check_int("layers", layers, 2, MAX_SWEEP_DEPTH)
    width = check_int("width", width, 1, MAX_SWEEP_WIDTH)
    widths = (len(_check_input_row(input_row)), *(width,) * layers)
    fans = [a * b for a, b in zip(widths[:-1], widths[1:], strict=True)]
    per_draw = sum(fans)
    return Cost(
        multiply_adds=repeats * per_draw * (1 + count),
        peak_bytes=8 * repeats * (per_draw + 2 * max(fans) + 8 * width),
    )


@dataclass(frozen=True, eq=False)
class SigmaSweep:
    """Per-sigma, per-layer statistics pooled over the units and ``repeats`` weight draws.

    Arrays of shape (len(sigmas), layers), layer l in column l - 1: pre_var and post_var
    (variance of all z_l or a_l values around their pooled mean), pre_second_moment and
    post_second_moment (mean of z^2, a^2) with their standard errors across repeats
    (``*_se``: std of the per-draw mean squares / sqrt(repeats); NaN for one repeat).
    theory_pre_var (q_l), theory_post_second_moment and theory_post_var: mean-field values
    (``lab.theory.predict``), exact in expectation for the second moments of ReLU/linear.
    measured_factor, theory_factor (len(sigmas),): per-layer growth of E[z^2], the geometric
    mean of E[z_{l+1}^2] / E[z_l^2] over the layers; for ReLU the theory is width sigma^2 / 2.
    """

    sigmas: np.ndarray
    layers: np.ndarray
    width: int
    repeats: int
    seed: int
    activation: str
    input_row: tuple[float, ...]
    pre_var: np.ndarray
    post_var: np.ndarray
    pre_second_moment: np.ndarray
    post_second_moment: np.ndarray
    pre_second_moment_se: np.ndarray
    post_second_moment_se: np.ndarray
    theory_pre_var: np.ndarray
    theory_post_second_moment: np.ndarray
    theory_post_var: np.ndarray
    measured_factor: np.ndarray
    theory_factor: np.ndarray


def _pooled(values: np.ndarray) -> tuple[float, float, float]:
    """(variance, mean square, standard error of the mean square) of (repeats, units) values."""
    per_draw = np.mean(values * values, axis=1)
    repeats = values.shape[0]
    se = float(np.std(per_draw, ddof=1) / math.sqrt(repeats)) if repeats > 1 else math.nan
    return float(np.var(values)), float(np.mean(per_draw)), se


def _growth(second_moment: np.ndarray) -> np.ndarray:
    """Geometric mean over layers of E[z_{l+1}^2] / E[z_l^2], per row."""
    steps = second_moment.shape[1] - 1
    with np.errstate(all="ignore"):
        return (second_moment[:, -1] / second_moment[:, 0]) ** (1.0 / steps)


def sigma_sweep(
    sigmas: Sequence[float] = SIGMA_SWEEP_SIGMAS,
    *,
    repeats: int = SIGMA_SWEEP_REPEATS,
    seed: int = 0,
    activation: str = "relu",
    layers: int = SIGMA_SWEEP_DEPTH,
    width: int = SIGMA_SWEEP_WIDTH,
    input_row: Sequence[float] = SIGMA_SWEEP_INPUT,
) -> SigmaSweep:
    """Push ``input_row`` through ``layers`` layers of ``width`` units with W ~ N(0, sigma^2),
    b = 0, for every sigma, and pool each layer's statistics over ``repeats`` weight draws.

    This is ``simulate(sigma_sweep_config(sigma, repeats=..., seed=...))`` vectorized over the
    repeats, with the same random stream (``default_rng(seed)``, weights repeat by repeat,
    layer by layer), so for repeats <= 100 the numbers equal the engine's to rounding; it also
    allows more repeats than the engine's 100. Every sigma reuses the same standard normal
    draws scaled by sigma, as ``simulate`` does for equal seeds.
    """
    sigma_values = _check_sigmas(sigmas)
    repeats = check_int("repeats", repeats, 1, MAX_SWEEP_REPEATS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    layers = check_int("layers", layers, 2, MAX_SWEEP_DEPTH)
    width = check_int("width", width, 1, MAX_SWEEP_WIDTH)
    row = _check_input_row(input_row)
    act = get_activation(check_choice("activation", activation, SWEEP_ACTIVATIONS))
    widths = (len(row), *(width,) * layers)
    fans = list(zip(widths[:-1], widths[1:], strict=True))
    per_draw = sum(a * b for a, b in fans)
    draws = np.random.default_rng(seed).standard_normal((repeats, per_draw))
    offsets = np.cumsum([0] + [a * b for a, b in fans])
    shape = (len(sigma_values), layers)
    stats = {name: np.empty(shape) for name in ("pre_var", "post_var", "pre_m2", "post_m2")}
    stats |= {name: np.empty(shape) for name in ("pre_se", "post_se")}
    inputs = np.broadcast_to(np.asarray(row), (repeats, 1, len(row)))
    with np.errstate(all="ignore"):
        for i, sigma in enumerate(sigma_values):
            previous = inputs
            for layer, (fan_in, fan_out) in enumerate(fans):
                block = draws[:, offsets[layer] : offsets[layer + 1]]
                weights = sigma * block.reshape(repeats, fan_in, fan_out)
                z = previous @ weights
                a = act.function(z)
                for prefix, values in (("pre", z), ("post", a)):
                    var, m2, se = _pooled(values.reshape(repeats, fan_out))
                    stats[f"{prefix}_var"][i, layer] = var
                    stats[f"{prefix}_m2"][i, layer] = m2
                    stats[f"{prefix}_se"][i, layer] = se
                previous = a
    theory = [
        predict(
            "normal",
            act,
            layers,
            width,
            input_width=len(row),
            input_std=math.sqrt(sum(x * x for x in row) / len(row)),
            init_params={"std": sigma},
        )
        for sigma in sigma_values
    ]
    theory_pre = np.array([t.pre_var for t in theory])
    return SigmaSweep(
        sigmas=np.array(sigma_values),
        layers=np.arange(1, layers + 1),
        width=width,
        repeats=repeats,
        seed=seed,
        activation=act.name,
        input_row=row,
        pre_var=stats["pre_var"],
        post_var=stats["post_var"],
        pre_second_moment=stats["pre_m2"],
        post_second_moment=stats["post_m2"],
        pre_second_moment_se=stats["pre_se"],
        post_second_moment_se=stats["post_se"],
        theory_pre_var=theory_pre,
        theory_post_second_moment=np.array([t.post_second_moment for t in theory]),
        theory_post_var=np.array([t.post_var for t in theory]),
        measured_factor=_growth(stats["pre_m2"]),
        theory_factor=_growth(theory_pre),
    )


# --- init comparison ------------------------------------------------------------------------


@dataclass(frozen=True)
class InitOutcome:
    """How one scheme fares in the network: final-layer std and RMS of a_L, the input's RMS,
    ratio = final RMS / input RMS, the network's state and sentence (``lab.diagnosis``), the
    layer where that state sets in, the engine's overflow message (or None), the std of every
    a_l (``post_std``, NaN where a layer has no finite value) and the measured input std."""

    init: str
    label: str
    final_std: float
    final_rms: float
    input_rms: float
    ratio: float
    state: str
    message: str
    first_bad_layer: int | None
    overflow_message: str | None
    post_std: tuple[float, ...]
    input_std: float


def comparison_configs(
    config: NetworkConfig, inits: Sequence[str] = COMPARISON_INITS
) -> tuple[NetworkConfig, ...]:
    """``config`` under each scheme of ``inits`` (with the scheme's default parameters) and
    without histograms: same sizes, inputs, biases and seed."""
    if not isinstance(config, NetworkConfig):
        raise ValueError(f"config must be a NetworkConfig; got {type(config).__name__}")
    if isinstance(inits, str) or not isinstance(inits, Sequence) or not inits:
        raise ValueError(f"inits must be a non-empty sequence of scheme names; got {inits!r}")
    return tuple(
        replace(config, init=init, init_params=(), histogram_edges=None, histogram_bins=None)
        for init in inits
    )


def init_comparison(
    config: NetworkConfig, inits: Sequence[str] = COMPARISON_INITS
) -> tuple[InitOutcome, ...]:
    """Simulate ``comparison_configs(config, inits)`` and say how the signal ends up under
    each scheme. A row equals ``layer_histograms`` of the same network with that scheme (same
    random stream; histograms do not change the draws)."""
    outcomes = []
    for scheme in comparison_configs(config, inits):
        result = simulate(scheme)
        diagnosis = diagnose_forward(result)
        input_rms = float(result.input.rms[0])
        final_rms = float(result.post.rms[-1])
        outcomes.append(
            InitOutcome(
                init=scheme.init,
                label=scheme.initializer().label,
                final_std=float(result.post.std[-1]),
                final_rms=final_rms,
                input_rms=input_rms,
                ratio=final_rms / input_rms,
                state=diagnosis.state,
                message=diagnosis.message,
                first_bad_layer=diagnosis.first_bad_layer,
                overflow_message=result.overflow_message,
                post_std=tuple(float(x) for x in result.post.std),
                input_std=float(result.input.std[0]),
            )
        )
    return tuple(outcomes)
