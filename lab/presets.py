"""The lab's teaching experiments as named presets, built on ``lab.network`` and ``lab.theory``.

Every preset is a small function returning plain results (frozen dataclasses of numpy arrays);
``PRESETS`` maps its name to a title, a description, the function and the ``NetworkConfig`` it
simulates at its default arguments.

- ``five_layers``: 5,000 random inputs through 5 dense layers, with each layer's histogram on
  [-3, 3] (the per-layer activation histograms of Glorot & Bengio 2010, section 4.2).
  Width 100 (the course material does not give one): 5,000 x 100 = 500,000 values per
  histogram, so the 60 bins of width 0.1 are smooth, and a run takes tens of milliseconds.
  The price is the scatter of one weight draw: over 30 seeds the RMS of Xavier + ReLU at
  layers 2..5 scattered by 5%, 9%, 12% and 15% around the theory (width 256 roughly halves it).
- ``xavier_linear_vs_relu``: the same with Xavier normal weights, once with the identity and
  once with ReLU. Xavier's Var(W) = 1/n keeps E[a^2] for a linear layer, and ReLU halves it per
  layer, so the RMS falls as 2^(-l/2) (He et al. 2015, section 2.2).
- ``sigma_sweep``: the single input row X = [1, 2, 3, 4, 5] through 8 ReLU layers of 10 units
  with W ~ N(0, sigma^2), b = 0, for sigma in {1e-5, 1e-3, 1e-2, 1e-1, 0.5}. In expectation
  E[z_{l+1}^2] = n sigma^2 E[a_l^2] = (n sigma^2 / 2) E[z_l^2] (He et al. 2015, eq. 7-9), a factor
  5 sigma^2 per layer at n = 10. One row and 10 units make a single draw very noisy, so the
  statistics pool ``repeats`` independent weight draws (default 200).
- ``init_comparison``: zeros, small random (std 0.01), large random (std 1), Xavier and He at one
  activation: final-layer std, RMS ratio to the input and the state from ``lab.diagnosis``.

Page-facing presets refuse networks over ``MAX_MULTIPLY_ADDS`` per pass (``check_work``), so a
page stays interactive; the engine's memory guard still applies on top.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lab.activations import DEFAULT_LEAKY_SLOPE, get_activation
from lab.diagnosis import Diagnosis
from lab.initializers import get_initializer
from lab.network import MAX_REPEATS, NetworkConfig, SimulationResult, TensorStats, simulate
from lab.signal import diagnose_forward
from lab.theory import TheoryPrediction, predict
from lab.validation import check_choice, check_float, check_int

# --- constants ------------------------------------------------------------------------------

#: 61 edges: 60 bins of width 0.1 on [-3, 3].
HISTOGRAM_EDGES: tuple[float, ...] = tuple(float(x) for x in np.linspace(-3.0, 3.0, 61))
FIVE_LAYERS_DEPTH = 5
FIVE_LAYERS_WIDTH = 100
FIVE_LAYERS_SAMPLES = 5000

SIGMA_SWEEP_INPUT: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0)
SIGMA_SWEEP_SIGMAS: tuple[float, ...] = (1e-5, 1e-3, 1e-2, 1e-1, 0.5)
SIGMA_SWEEP_DEPTH = 8
SIGMA_SWEEP_WIDTH = 10
SIGMA_SWEEP_REPEATS = 200
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

#: Default samples of the comparison: five simulations stay as fast as one five_layers run.
COMPARISON_SAMPLES = 1000

#: Multiply-adds of one forward pass (samples x sum of fan_in * fan_out) a preset accepts.
MAX_MULTIPLY_ADDS = 10**9
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
    seed: int = 0,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
    edges: Sequence[float] | None = HISTOGRAM_EDGES,
) -> NetworkConfig:
    """The NetworkConfig of a forward-pass experiment: N(0, input_std^2) inputs, no bias,
    float32, histograms on ``edges`` (None: no histograms). ``input_std`` must be > 0 (the
    ratio to the input is undefined otherwise)."""
    check_float("input_std", input_std, 0.0, MAX_INPUT_STD, low_inclusive=False)
    return NetworkConfig(
        init=init,
        init_params=_init_params(init_params),
        activation=activation,
        slope=slope,
        layers=layers,
        width=width,
        samples=samples,
        input_std=input_std,
        seed=seed,
        histogram_edges=None if edges is None else tuple(edges),
        backward="none",  # the forward-pass experiments show no gradients
    )


def multiply_adds(config: NetworkConfig) -> int:
    """Multiply-adds of one forward pass: rows x sum_l n_{l-1} n_l x repeats."""
    if not isinstance(config, NetworkConfig):
        raise ValueError(f"config must be a NetworkConfig; got {type(config).__name__}")
    widths = (config.input_features, *config.layer_widths)
    per_row = sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    return config.batch_size * per_row * config.repeats


def check_work(config: NetworkConfig) -> NetworkConfig:
    """Return ``config`` if one forward pass needs at most MAX_MULTIPLY_ADDS, else raise
    ValueError saying how much it needs and which knobs to shrink."""
    work = multiply_adds(config)
    if work > MAX_MULTIPLY_ADDS:
        raise ValueError(
            f"samples x width^2 x layers must be at most {MAX_MULTIPLY_ADDS:.0e} multiply-adds "
            f"to stay interactive; got {work:.3g} (samples {config.batch_size}, width "
            f"{max(config.layer_widths)}, layers {config.depth}): reduce one of them"
        )
    return config


def diagnose_result(result: SimulationResult) -> Diagnosis:
    """The network's state after the forward pass (``lab.signal.diagnose_forward``)."""
    return diagnose_forward(result)


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
    """Per-layer histograms of one tensor on fixed edges; index i is layer i + 1.

    counts: (layers, bins) over the finite values; below/above: finite values outside the
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
    return Histograms(
        edges=stats.edges,
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
    network's state (``diagnose_result``).
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
        init_params=config.init_params,
        slope=config.slope,
    )


def layer_histograms(
    init: str = "xavier_normal",
    activation: str = "relu",
    *,
    layers: int = FIVE_LAYERS_DEPTH,
    width: int = FIVE_LAYERS_WIDTH,
    samples: int = FIVE_LAYERS_SAMPLES,
    input_std: float = 1.0,
    seed: int = 0,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
    edges: Sequence[float] = HISTOGRAM_EDGES,
) -> LayerHistograms:
    """Simulate ``samples`` N(0, input_std^2) inputs through ``layers`` dense layers of
    ``width`` units (``lab.network.simulate``, float32) and histogram every z_l and a_l."""
    if edges is None:
        raise ValueError("edges must be 2 to 1001 strictly increasing finite numbers; got None")
    config = check_work(
        network_config(
            init,
            activation,
            layers=layers,
            width=width,
            samples=samples,
            input_std=input_std,
            seed=seed,
            init_params=init_params,
            slope=slope,
            edges=edges,
        )
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
        diagnosis=diagnose_result(result),
    )


def five_layers(
    init: str = "xavier_normal",
    activation: str = "relu",
    *,
    input_std: float = 1.0,
    seed: int = 0,
    init_params: InitParams = (),
    slope: float = DEFAULT_LEAKY_SLOPE,
) -> LayerHistograms:
    """The "5,000 points x 5 layers" experiment: ``layer_histograms`` at 5,000 samples,
    5 layers of 100 units, histograms on [-3, 3] in 60 bins."""
    return layer_histograms(
        init,
        activation,
        input_std=input_std,
        seed=seed,
        init_params=init_params,
        slope=slope,
    )


@dataclass(frozen=True, eq=False)
class XavierPair:
    """Xavier normal weights with the identity (``linear``) and with ReLU (``relu``), same
    sizes and seed, so the two differ only by the activation."""

    linear: LayerHistograms
    relu: LayerHistograms


def xavier_linear_vs_relu(
    *,
    layers: int = FIVE_LAYERS_DEPTH,
    width: int = FIVE_LAYERS_WIDTH,
    samples: int = FIVE_LAYERS_SAMPLES,
    input_std: float = 1.0,
    seed: int = 0,
) -> XavierPair:
    """Xavier + linear keeps the RMS near the input's; Xavier + ReLU halves E[a^2] per layer,
    so the RMS of a_l falls as input_std * 2^(-l/2) (He et al. 2015)."""
    common = dict(layers=layers, width=width, samples=samples, input_std=input_std, seed=seed)
    return XavierPair(
        linear=layer_histograms("xavier_normal", "linear", **common),
        relu=layer_histograms("xavier_normal", "relu", **common),
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

    def as_row(self) -> dict[str, object]:
        """A plain dict for tables (floats may be NaN for an overflowed final layer)."""
        return {
            "init": self.init,
            "scheme": self.label,
            "final std": self.final_std,
            "final RMS": self.final_rms,
            "ratio to input": self.ratio,
            "state": self.state,
            "verdict": self.message,
        }


def init_comparison(
    activation: str = "relu",
    *,
    layers: int = FIVE_LAYERS_DEPTH,
    width: int = FIVE_LAYERS_WIDTH,
    samples: int = COMPARISON_SAMPLES,
    input_std: float = 1.0,
    seed: int = 0,
    slope: float = DEFAULT_LEAKY_SLOPE,
    inits: Sequence[str] = COMPARISON_INITS,
) -> tuple[InitOutcome, ...]:
    """Simulate the same network (sizes, inputs, seed) under each scheme of ``inits`` and say
    how the signal ends up. With equal arguments a row equals ``layer_histograms`` for that
    scheme (same random stream; histograms do not change the draws)."""
    if isinstance(inits, str) or not isinstance(inits, Sequence) or not inits:
        raise ValueError(f"inits must be a non-empty sequence of scheme names; got {inits!r}")
    outcomes = []
    for init in inits:
        config = check_work(
            network_config(
                init,
                activation,
                layers=layers,
                width=width,
                samples=samples,
                input_std=input_std,
                seed=seed,
                slope=slope,
                edges=None,
            )
        )
        result = simulate(config)
        diagnosis = diagnose_result(result)
        input_rms = float(result.input.rms[0])
        final_rms = float(result.post.rms[-1])
        outcomes.append(
            InitOutcome(
                init=init,
                label=get_initializer(init).label,
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


# --- registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A named teaching experiment: ``run(**kwargs)`` computes it; ``config`` is the network
    it simulates at its default arguments (for sweeps and pairs: a representative one)."""

    name: str
    title: str
    description: str
    run: Callable[..., object]
    config: NetworkConfig


PRESETS: dict[str, Preset] = {
    "five_layers": Preset(
        "five_layers",
        "5,000 points × 5 layers",
        "5,000 random inputs through 5 dense layers of 100 units; every layer's histogram on "
        "[-3, 3] with its std.",
        five_layers,
        network_config(),
    ),
    "sigma_sweep": Preset(
        "sigma_sweep",
        "σ sweep with X = [1, 2, 3, 4, 5]",
        "One input row through 8 ReLU layers of 10 units with W ~ N(0, σ²), σ from 1e-5 to "
        "0.5; variance per layer pooled over 200 weight draws.",
        sigma_sweep,
        sigma_sweep_config(1e-2),
    ),
    "xavier_linear_vs_relu": Preset(
        "xavier_linear_vs_relu",
        "Xavier + linear vs Xavier + ReLU",
        "The same Xavier network with and without ReLU: the linear one keeps its scale, the "
        "ReLU one loses half of E[a²] per layer.",
        xavier_linear_vs_relu,
        network_config("xavier_normal", "relu"),
    ),
    "init_comparison": Preset(
        "init_comparison",
        "Five classic inits",
        "Zeros, small random (0.01), large random (1.0), Xavier and He in one network: final "
        "std, ratio to the input and the signal's state.",
        init_comparison,
        network_config("he_normal", "relu", edges=None),
    ),
}
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)
