"""Uniform versus normal weights in a deep tanh network: where does the gradient go?

A classroom demo claims that ``randn`` beats ``rand`` "because of the bell shape". The reasons
are the mean and the variance of the weights (reference.md, errata for source 004):

- ``rand`` is U[0, 1): every weight is positive with mean 1/2, so every unit of a layer sees
  about the same sum (n/2 times the mean activation), |z| grows to about n/2, tanh saturates and
  tanh'(z) = 1 - tanh(z)^2 rounds to exactly 0: the gradient dies.
- U(-1, 1) is centred but has variance b^2/3 = 1/3 against ``randn``'s 1.
- U(-sqrt3, sqrt3) has the same mean (0) and variance (1) as N(0, 1). A pre-activation is a sum
  of many weight-times-activation terms, so by the central limit theorem it is close to normal
  whatever the weights' shape, and wide layers give the same gradients within noise.

Setup (a Monte-Carlo run of ``lab.network.simulate``): ``features`` inputs x ~ N(0, 1),
``layers`` tanh layers of ``neurons`` units, no biases, float32 as on a GPU. The loss is the
mean of the output, L = mean(a_L) (``backward="mean"``), so both backward passes start from the
same output gradient dL/da_L = 1 / (samples * neurons) at every entry. With the same seed both
schemes also see the same inputs (the input is drawn before the weights).

Gradient magnitude of layer l: mean |dL/dW_l| over the entries of the weight gradient
dL/dW_l = a_{l-1}^T dL/dz_l (``SimulationResult.grad_weight.mean_abs``), used throughout. The
"final" gradient is that of the first layer (l = 1), the last one the backward pass reaches.
Ratios are normal / uniform: above 1 the normal weights give the larger gradient ("normal
wins"); inf when only the uniform gradient is exactly 0; NaN when both are 0.

Saturation is the lab's one definition (``lab.health``): a unit is saturated when its slope
tanh'(z) = 1 - tanh(z)^2 is below ``lab.health.SATURATION_SLOPE`` (10%) of its maximum
tanh'(0) = 1, i.e. |z| > atanh(sqrt(0.9)) = 1.818 (``TANH_FLAT_THRESHOLD``); the engine counts
it per layer (``TensorStats.frac_flat``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lab.activations import get_activation
from lab.health import flat_threshold
from lab.initializers import get_initializer
from lab.network import NetworkConfig, SimulationResult, simulate
from lab.validation import check_choice, check_int

#: The uniform distributions the page compares with N(0, 1), by key.
UNIFORM_KINDS: tuple[str, ...] = ("rand", "centered", "matched")
NORMAL_KIND = "normal"
SWEEP_PARAMETERS: tuple[str, ...] = ("layers", "neurons", "features")

#: Allowed range of every size (the demo's sliders are narrower: see SWEEP_RANGES).
LIMITS: dict[str, tuple[int, int]] = {
    "layers": (1, 50),
    "neurons": (1, 512),
    "features": (1, 512),
    "samples": (1, 1024),
}
#: The ranges of the demo's three sweeps, also the Gradient flow page's control ranges: the
#: heaviest corner (every size at its maximum) stays within lab.budget with one run and one
#: sweep seed (tests/lab/test_experiment_gradient_flow.py).
SWEEP_RANGES: dict[str, tuple[int, int]] = {
    "layers": (1, 20),
    "neurons": (1, 100),
    "features": (1, 128),
}
#: Default sweep values: a subset of each range, dense where the ratio changes fastest.
DEFAULT_SWEEP_VALUES: dict[str, tuple[int, ...]] = {
    "layers": tuple(range(1, 21)),
    "neurons": (1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50, 60, 80, 100),
    "features": (1, 2, 4, 8, 16, 32, 48, 64, 96, 128),
}
#: The demo's network: 10 tanh layers of 50 neurons on 64 input features.
DEFAULT_LAYERS = 10
DEFAULT_NEURONS = 50
DEFAULT_FEATURES = 64
DEFAULT_SAMPLES = 64
DEFAULT_SWEEP_SEEDS = 3
MAX_SWEEP_SEEDS = 50
MAX_SWEEP_VALUES = 200
MAX_RUNS = 500
MAX_SEED = 2**32 - 1
DEFAULT_BINS = 64
#: Refuse experiments needing more multiply-adds than this (a few seconds on one core).
WORK_BUDGET = 5e10


def _tanh_flat_threshold() -> float:
    threshold = flat_threshold(get_activation("tanh"))
    if threshold is None:  # pragma: no cover - lab.health counts tanh as saturating
        raise RuntimeError("lab.health.flat_threshold gives no threshold for tanh")
    return threshold


#: |z| beyond which a tanh unit is saturated: ``lab.health.flat_threshold`` of tanh (1.818), where
#: tanh' falls below ``lab.health.SATURATION_SLOPE`` of its maximum. Not a second threshold:
#: the health model's, read once.
TANH_FLAT_THRESHOLD = _tanh_flat_threshold()


# --- weight schemes -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightScheme:
    """One weight distribution of the comparison: how to build it and its exact moments.

    ``init``/``init_params`` go to ``lab.initializers.get_initializer``; ``mean`` and
    ``variance`` come from the Initializer (U(a, b): mean (a + b)/2, variance (b - a)^2/12).
    """

    kind: str
    label: str
    init: str
    init_params: tuple[tuple[str, float], ...]
    mean: float
    variance: float

    @property
    def second_moment(self) -> float:
        """E[w^2] = variance + mean^2."""
        return self.variance + self.mean**2


_SCHEMES: dict[str, tuple[str, str, tuple[tuple[str, float], ...]]] = {
    "rand": ("rand: U[0, 1)", "rand", ()),
    "centered": ("U(-1, 1)", "uniform", (("bound", 1.0),)),
    "matched": ("matched variance U(-√3, √3)", "uniform", (("bound", math.sqrt(3.0)),)),
    NORMAL_KIND: ("randn: N(0, 1)", "large_random", ()),
}


def weight_scheme(kind: str) -> WeightScheme:
    """The scheme ``kind``: "rand", "centered", "matched" (uniform) or "normal" (N(0, 1))."""
    check_choice("kind", kind, (*UNIFORM_KINDS, NORMAL_KIND))
    label, init, params = _SCHEMES[kind]
    initializer = get_initializer(init, **dict(params))
    return WeightScheme(
        kind=kind,
        label=label,
        init=init,
        init_params=params,
        mean=initializer.mean(),
        variance=initializer.variance(1, 1),
    )


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ZDistribution:
    """|z| of every pre-activation of one network, pooled over all layers.

    edges/counts: histogram of |z| (numpy's convention, last bin closed; shared edges across
    the schemes of a Comparison); above: finite |z| beyond edges[-1] (0 for a Comparison, whose
    edges reach the largest |z|); nonfinite: inf/NaN values; count: all values. mean_abs:
    average |z|; std: standard deviation of z; saturated_share: share of saturated units in
    ``lab.health``'s sense (|z| > ``TANH_FLAT_THRESHOLD`` = 1.818, where tanh' is below 10% of
    its maximum; ``TensorStats.frac_flat``), all over the finite values.
    """

    edges: np.ndarray
    counts: np.ndarray
    above: int
    nonfinite: int
    count: int
    mean_abs: float
    std: float
    saturated_share: float


@dataclass(frozen=True, eq=False)
class SchemeFlow:
    """One scheme's network: gradient per layer and pre-activation statistics.

    gradient[l - 1] = mean |dL/dW_l| for l = 1..L; final_gradient = gradient[0];
    zero_gradient_layers: the layers l whose gradient is exactly 0 (every tanh slope on the way
    rounded to 0); saturated_share_per_layer (``lab.health``'s saturation, as
    ``ZDistribution.saturated_share``) and mean_abs_z_per_layer: per layer l = 1..L.
    """

    scheme: WeightScheme
    gradient: np.ndarray
    final_gradient: float
    zero_gradient_layers: tuple[int, ...]
    z: ZDistribution
    saturated_share_per_layer: np.ndarray
    mean_abs_z_per_layer: np.ndarray


@dataclass(frozen=True, eq=False)
class Comparison:
    """The uniform and the normal network of one configuration (same seed, same inputs).

    output_gradient: dL/da_L, the same at every output entry and for both schemes.
    ratio: normal.final_gradient / uniform.final_gradient. winner: "normal", "uniform" or
    "tie" (equal final gradients, e.g. both exactly 0).
    """

    layers: int
    neurons: int
    features: int
    samples: int
    seed: int
    uniform_kind: str
    uniform: SchemeFlow
    normal: SchemeFlow
    output_gradient: float
    ratio: float
    winner: str

    def gradient_rows(self) -> list[dict[str, object]]:
        """One dict per scheme and layer (scheme label, layer, gradient), for charts."""
        return [
            {"scheme": flow.scheme.label, "layer": layer, "gradient": float(value)}
            for flow in (self.uniform, self.normal)
            for layer, value in enumerate(flow.gradient, start=1)
        ]


@dataclass(frozen=True, eq=False)
class Sweep:
    """Final gradients while one size varies and the others stay at the base configuration.

    For each value (arrays indexed like ``values``): normal_final and uniform_final are the
    mean first-layer gradients over the seeds, ratio = normal_final / uniform_final (the ratio
    of the averages; inf when every uniform run gave exactly 0), normal_wins = number of seeds
    whose normal gradient is strictly larger. run_ratios (values x seeds): the ratio of each
    seed alone, to show the run-to-run scatter. base holds the fixed sizes.
    """

    parameter: str
    values: np.ndarray
    base: dict[str, int]
    samples: int
    seeds: tuple[int, ...]
    uniform_kind: str
    normal_final: np.ndarray
    uniform_final: np.ndarray
    ratio: np.ndarray
    normal_wins: np.ndarray
    run_ratios: np.ndarray

    @property
    def dead_values(self) -> tuple[int, ...]:
        """The values where every uniform run's gradient was exactly 0 (ratio inf)."""
        return tuple(
            int(value)
            for value, ratio in zip(self.values, self.ratio, strict=True)
            if math.isinf(ratio)
        )

    def rows(self) -> list[dict[str, object]]:
        """One plain dict per value, for charts and tables (floats may be inf/NaN)."""
        return [
            {
                self.parameter: int(value),
                "normal_final": float(self.normal_final[i]),
                "uniform_final": float(self.uniform_final[i]),
                "ratio": float(self.ratio[i]),
                "normal_wins": int(self.normal_wins[i]),
                "runs": len(self.seeds),
            }
            for i, value in enumerate(self.values)
        ]


@dataclass(frozen=True, eq=False)
class ManyRuns:
    """``n_runs`` independent pairs of networks; run i uses seed ``seed + i`` for both.

    Per run: normal_final, uniform_final (first-layer gradients), run_ratios (normal / uniform,
    as ``gradient_ratio``) and run_winners ("normal", "uniform" or "tie"). Means: arithmetic means;
    geometric means: exp(mean log) (0 when any run gave exactly 0). normal_wins / uniform_wins /
    ties count the runs by which final gradient is larger; normal_win_share = normal_wins /
    n_runs. ratio_of_means = normal_mean / uniform_mean. log_ratio_mean and log_ratio_std: mean
    and sample std (ddof 1) of ln(normal / uniform) over the runs where both are > 0 (NaN when
    fewer than 1 or 2 such runs); uniform_dead / normal_dead: runs whose final gradient is
    exactly 0.
    """

    seeds: np.ndarray
    uniform_kind: str
    normal_final: np.ndarray
    uniform_final: np.ndarray
    run_ratios: np.ndarray
    run_winners: tuple[str, ...]
    normal_mean: float
    uniform_mean: float
    normal_geometric_mean: float
    uniform_geometric_mean: float
    normal_wins: int
    uniform_wins: int
    ties: int
    normal_win_share: float
    ratio_of_means: float
    log_ratio_mean: float
    log_ratio_std: float
    uniform_dead: int
    normal_dead: int

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.seeds)


# --- the experiments ------------------------------------------------------------------------


def compare(
    layers: int = DEFAULT_LAYERS,
    neurons: int = DEFAULT_NEURONS,
    features: int = DEFAULT_FEATURES,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    uniform: str = "rand",
    *,
    bins: int = DEFAULT_BINS,
) -> Comparison:
    """Run the uniform and the normal network once with the same seed and compare them.

    The |z| histogram has ``bins`` equal bins from 0 to just above the largest |z| of either
    network; the bin width is t/m (m a whole number) when it is at most t, so that the
    saturation threshold |z| = t = ``TANH_FLAT_THRESHOLD`` is a bin edge.
    """
    sizes = _check_sizes(layers, neurons, features, samples)
    seed = check_int("seed", seed, 0, MAX_SEED)
    kind = check_choice("uniform", uniform, UNIFORM_KINDS)
    bins = check_int("bins", bins, 1, 1000)
    _check_work(2, **sizes)
    schemes = (weight_scheme(kind), weight_scheme(NORMAL_KIND))
    results = [_simulate(scheme, seed, keep=True, **sizes) for scheme in schemes]
    edges = _z_edges(max(_largest_abs(result) for result in results), bins)
    uniform_flow, normal_flow = (
        _flow(scheme, result, edges) for scheme, result in zip(schemes, results, strict=True)
    )
    return Comparison(
        **sizes,
        seed=seed,
        uniform_kind=kind,
        uniform=uniform_flow,
        normal=normal_flow,
        output_gradient=float(results[1].grad_post.mean_abs[-1]),
        ratio=gradient_ratio(normal_flow.final_gradient, uniform_flow.final_gradient),
        winner=_winner(normal_flow.final_gradient, uniform_flow.final_gradient),
    )


def sweep(
    parameter: str,
    values: Sequence[int] | None = None,
    *,
    layers: int = DEFAULT_LAYERS,
    neurons: int = DEFAULT_NEURONS,
    features: int = DEFAULT_FEATURES,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    n_seeds: int = DEFAULT_SWEEP_SEEDS,
    uniform: str = "rand",
) -> Sweep:
    """Vary ``parameter`` ("layers", "neurons" or "features") over ``values`` (default
    ``DEFAULT_SWEEP_VALUES``), the other sizes fixed, and average ``n_seeds`` seeds
    (seed, seed + 1, ...) per value.

    Cost: len(values) * n_seeds * 2 simulations. The three default sweeps at the default sizes
    run 20, 14 and 10 values * 3 seeds * 2 networks = 264 small simulations: measured 0.8 s in
    total on one core (OPENBLAS_NUM_THREADS=1); a page caches them.
    """
    parameter = check_choice("parameter", parameter, SWEEP_PARAMETERS)
    chosen = _check_values(parameter, values)
    sizes = _check_sizes(layers, neurons, features, samples)
    seed = check_int("seed", seed, 0, MAX_SEED)
    n_seeds = check_int("n_seeds", n_seeds, 1, MAX_SWEEP_SEEDS)
    kind = check_choice("uniform", uniform, UNIFORM_KINDS)
    _check_work(2 * n_seeds * len(chosen), **(sizes | {parameter: max(chosen)}))
    seeds = tuple(range(seed, seed + n_seeds))
    normal = np.empty((len(chosen), n_seeds))
    uniform_final = np.empty((len(chosen), n_seeds))
    for i, value in enumerate(chosen):
        point = sizes | {parameter: value}
        for j, run_seed in enumerate(seeds):
            normal[i, j], uniform_final[i, j] = _final_pair(kind, run_seed, **point)
    normal_mean, uniform_mean = normal.mean(axis=1), uniform_final.mean(axis=1)
    return Sweep(
        parameter=parameter,
        values=np.array(chosen),
        base={name: sizes[name] for name in SWEEP_PARAMETERS if name != parameter},
        samples=sizes["samples"],
        seeds=seeds,
        uniform_kind=kind,
        normal_final=normal_mean,
        uniform_final=uniform_mean,
        ratio=np.array(
            [gradient_ratio(a, b) for a, b in zip(normal_mean, uniform_mean, strict=True)]
        ),
        normal_wins=(normal > uniform_final).sum(axis=1),
        run_ratios=np.vectorize(gradient_ratio, otypes=[float])(normal, uniform_final),
    )


def many_runs(
    n_runs: int = 20,
    *,
    layers: int = DEFAULT_LAYERS,
    neurons: int = DEFAULT_NEURONS,
    features: int = DEFAULT_FEATURES,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    uniform: str = "rand",
) -> ManyRuns:
    """Run ``n_runs`` independent uniform/normal pairs (seeds seed .. seed + n_runs - 1) and
    summarize their first-layer gradients."""
    n_runs = check_int("n_runs", n_runs, 1, MAX_RUNS)
    sizes = _check_sizes(layers, neurons, features, samples)
    seed = check_int("seed", seed, 0, MAX_SEED)
    kind = check_choice("uniform", uniform, UNIFORM_KINDS)
    _check_work(2 * n_runs, **sizes)
    seeds = np.arange(seed, seed + n_runs)
    pairs = np.array([_final_pair(kind, int(s), **sizes) for s in seeds])
    normal, uniform_final = pairs[:, 0], pairs[:, 1]
    both_alive = (normal > 0) & (uniform_final > 0)
    log_ratios = np.log(normal[both_alive] / uniform_final[both_alive])
    normal_mean, uniform_mean = float(normal.mean()), float(uniform_final.mean())
    normal_wins = int(np.count_nonzero(normal > uniform_final))
    uniform_wins = int(np.count_nonzero(uniform_final > normal))
    return ManyRuns(
        seeds=seeds,
        uniform_kind=kind,
        normal_final=normal,
        uniform_final=uniform_final,
        run_ratios=np.vectorize(gradient_ratio, otypes=[float])(normal, uniform_final),
        run_winners=tuple(_winner(a, b) for a, b in zip(normal, uniform_final, strict=True)),
        normal_mean=normal_mean,
        uniform_mean=uniform_mean,
        normal_geometric_mean=_geometric_mean(normal),
        uniform_geometric_mean=_geometric_mean(uniform_final),
        normal_wins=normal_wins,
        uniform_wins=uniform_wins,
        ties=n_runs - normal_wins - uniform_wins,
        normal_win_share=normal_wins / n_runs,
        ratio_of_means=gradient_ratio(normal_mean, uniform_mean),
        log_ratio_mean=float(log_ratios.mean()) if log_ratios.size else math.nan,
        log_ratio_std=float(log_ratios.std(ddof=1)) if log_ratios.size > 1 else math.nan,
        uniform_dead=int(np.count_nonzero(uniform_final == 0)),
        normal_dead=int(np.count_nonzero(normal == 0)),
    )


def gradient_ratio(normal: float, uniform: float) -> float:
    """normal / uniform for two gradient magnitudes (>= 0, inf or NaN after an overflow):
    inf when only ``uniform`` is 0, NaN when both are 0 or either is NaN."""
    normal, uniform = _check_magnitude("normal", normal), _check_magnitude("uniform", uniform)
    if math.isnan(normal) or math.isnan(uniform) or math.isinf(normal) and math.isinf(uniform):
        return math.nan
    if uniform == 0.0:
        return math.nan if normal == 0.0 else math.inf
    return normal / uniform


def estimate_work(n_networks: int, layers: int, neurons: int, features: int, samples: int) -> float:
    """Multiply-adds of ``n_networks`` forward + backward passes: per network
    3 * samples * (features * neurons + (layers - 1) * neurons^2) (forward z = a W, backward
    dL/da = dL/dz W^T and dL/dW = a^T dL/dz)."""
    n_networks = check_int("n_networks", n_networks, 1)
    sizes = _check_sizes(layers, neurons, features, samples)
    per_pass = sizes["samples"] * (
        sizes["features"] * sizes["neurons"] + (sizes["layers"] - 1) * sizes["neurons"] ** 2
    )
    return float(n_networks) * 3.0 * per_pass


# --- helpers --------------------------------------------------------------------------------


def _check_sizes(layers: int, neurons: int, features: int, samples: int) -> dict[str, int]:
    given = {"layers": layers, "neurons": neurons, "features": features, "samples": samples}
    return {name: check_int(name, value, *LIMITS[name]) for name, value in given.items()}


def _check_values(parameter: str, values: Sequence[int] | None) -> tuple[int, ...]:
    if values is None:
        return DEFAULT_SWEEP_VALUES[parameter]
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"values must be a sequence of integers; got {values!r}")
    if not 1 <= len(values) <= MAX_SWEEP_VALUES:
        raise ValueError(f"values must hold 1 to {MAX_SWEEP_VALUES} integers; got {len(values)}")
    return tuple(check_int(parameter, value, *LIMITS[parameter]) for value in values)


def _check_magnitude(name: str, value: float) -> float:
    text = f"{name} must be a number >= 0 (inf or NaN after an overflow)"
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{text}; got {value!r}")
    value = float(value)
    if value < 0:
        raise ValueError(f"{text}; got {value}")
    return value


def _check_work(n_networks: int, **sizes: int) -> None:
    work = estimate_work(n_networks, **sizes)
    if work > WORK_BUDGET:
        raise ValueError(
            f"this experiment needs about {work:.2g} multiply-adds, over the budget of "
            f"{WORK_BUDGET:.0g}; reduce the number of runs or seeds, samples "
            f"({sizes['samples']}), neurons ({sizes['neurons']}) or layers ({sizes['layers']})"
        )


def network_config(
    scheme: WeightScheme,
    seed: int,
    *,
    layers: int,
    neurons: int,
    features: int,
    samples: int,
    keep: bool = False,
) -> NetworkConfig:
    """The NetworkConfig of one tanh network with ``scheme``'s weights, L = mean(a_L), float32
    (what every experiment here simulates; ``lab.network.network_cost`` prices it)."""
    return NetworkConfig(
        init=scheme.init,
        init_params=scheme.init_params,
        activation="tanh",
        layers=layers,
        width=neurons,
        input_width=features,
        samples=samples,
        backward="mean",
        seed=seed,
        keep_activations=keep,
    )


def _simulate(
    scheme: WeightScheme, seed: int, *, keep: bool = False, **sizes: int
) -> SimulationResult:
    """One tanh network with ``scheme``'s weights (``network_config``), simulated."""
    return simulate(network_config(scheme, seed, keep=keep, **sizes))


def _final_pair(kind: str, seed: int, **sizes: int) -> tuple[float, float]:
    """(normal, uniform) first-layer gradient magnitudes of one seed."""
    normal = _simulate(weight_scheme(NORMAL_KIND), seed, **sizes)
    uniform = _simulate(weight_scheme(kind), seed, **sizes)
    return float(normal.grad_weight.mean_abs[0]), float(uniform.grad_weight.mean_abs[0])


def _largest_abs(result: SimulationResult) -> float:
    """Largest finite |z| over all layers (0 when there is none)."""
    values = result.pre.max_abs[np.isfinite(result.pre.max_abs)]
    return float(values.max()) if values.size else 0.0


def _z_edges(largest: float, bins: int) -> np.ndarray:
    """``bins`` equal bins from 0 past ``largest``; width t/m when <= t, else a multiple of t
    (t = ``TANH_FLAT_THRESHOLD``: the saturation threshold is an edge)."""
    threshold = TANH_FLAT_THRESHOLD
    raw = max(largest, threshold) / bins
    if raw <= threshold:
        width = threshold / math.floor(threshold / raw)
    else:
        width = threshold * math.ceil(raw / threshold)
    count = max(1, math.ceil(largest / width))
    if count * width <= largest:  # numpy's last bin is closed: the top edge must reach largest
        count += 1
    return width * np.arange(count + 1)


def _flow(scheme: WeightScheme, result: SimulationResult, edges: np.ndarray) -> SchemeFlow:
    gradient = np.array(result.grad_weight.mean_abs, dtype=np.float64)
    return SchemeFlow(
        scheme=scheme,
        gradient=gradient,
        final_gradient=float(gradient[0]),
        zero_gradient_layers=tuple(int(i) + 1 for i in np.flatnonzero(gradient == 0)),
        z=_z_distribution(result, edges),
        saturated_share_per_layer=np.array(_flat_share(result), dtype=np.float64),
        mean_abs_z_per_layer=np.array(result.pre.mean_abs, dtype=np.float64),
    )


def _z_distribution(result: SimulationResult, edges: np.ndarray) -> ZDistribution:
    """Histogram of |z| over the kept pre-activations; moments pooled from the engine's
    per-layer statistics (within- plus between-layer variance, Chan et al. 1979)."""
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    above = 0
    for z in result.pre_activations:
        magnitude = np.abs(z[np.isfinite(z)]).astype(np.float64)
        counts += np.histogram(magnitude, bins=edges)[0]
        above += int(np.count_nonzero(magnitude > edges[-1]))
    pre = result.pre
    finite = (pre.count - pre.nonfinite).astype(np.float64)
    total = float(finite.sum())
    has_values = finite > 0
    if total == 0:
        mean_abs = std = saturated = math.nan
    else:
        weights = finite[has_values] / total
        mean_abs = float(weights @ pre.mean_abs[has_values])
        mean = float(weights @ pre.mean[has_values])
        spread = pre.variance[has_values] + (pre.mean[has_values] - mean) ** 2
        std = math.sqrt(float(weights @ spread))
        saturated = float(weights @ _flat_share(result)[has_values])
    return ZDistribution(
        edges=edges,
        counts=counts,
        above=above,
        nonfinite=int(pre.nonfinite.sum()),
        count=int(pre.count.sum()),
        mean_abs=mean_abs,
        std=std,
        saturated_share=saturated,
    )


def _flat_share(result: SimulationResult) -> np.ndarray:
    """Per layer, the share of z_l beyond ``lab.health.flat_threshold`` (the engine's count)."""
    flat = result.pre.frac_flat
    if flat is None:  # pragma: no cover - every network here is tanh
        raise ValueError("the network's activation does not saturate")
    return flat


def _winner(normal: float, uniform: float) -> str:
    if normal > uniform:
        return "normal"
    if uniform > normal:
        return "uniform"
    return "tie"


def _geometric_mean(values: np.ndarray) -> float:
    if np.any(values == 0):
        return 0.0
    return float(np.exp(np.mean(np.log(values))))
