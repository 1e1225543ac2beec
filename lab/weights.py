"""One layer's weights under a scheme: sampled histogram against the exact law.

Sources: the exact laws are ``Initializer.scipy_distribution`` (Keras/JAX ``VarianceScaling``,
PyTorch ``torch.nn.init``); the goodness-of-fit test is the one-sample Kolmogorov-Smirnov test
(``scipy.stats.kstest``, Massey 1951); histograms are ``numpy.histogram``; a uniform U(a, b) has
mean (a + b) / 2 and variance (b - a)^2 / 12. Orthogonal weights (Saxe et al. 2014) are not
independent draws, so they are checked through their singular values instead of a KS test.

Every entry of a variance-scaling layer is an independent draw from one law, so ``samples``
weights are drawn from that law directly, whatever the layer's size; an orthogonal layer is
sampled as a block of whole columns (or rows) of its weight matrix: (fan_in, fan_out) for a
dense layer, and for a convolution kernel of receptive field r = k^2 the flattened
(C_in k^2, C_out) matrix that PyTorch's ``orthogonal_`` and Keras' ``Orthogonal`` make
orthogonal (``Initializer.matrix_shape``), so its E[w^2] is gain^2 / max(C_in k^2, C_out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lab.budget import Cost
from lab.initializers import (
    SCHEME_NAMES,
    SCHEME_PARAMETERS,
    Initializer,
    get_initializer,
    orthogonal,
)
from lab.validation import check_choice, check_float, check_int

DEFAULT_SAMPLES = 20_000
MAX_SAMPLES = 200_000
#: Fewest weights per scheme a page histogram shows (about 17 per bin on 60 bins), and the
#: step of its samples control.
MIN_SHOWN_SAMPLES = 1000
SAMPLES_STEP = 1000
DEFAULT_BINS = 60
MAX_BINS = 400
GRID_POINTS = 401
MAX_SEED = 2**32 - 1
#: Half-widths of the natural plotting range, in units of the exact std / support half-width:
#: P(|N(0,1)| > 4) = 6.3e-5, so about one weight in 16,000 falls outside; bounded laws get a
#: 25% margin so that their cliff edges sit visibly inside the axis.
NORMAL_RANGE_STDS = 4.0
BOUNDED_RANGE_MARGIN = 1.25
#: Largest layers the Weight distribution page offers: dense fans, conv channels and the side k
#: of a k x k kernel (a conv layer then has fans up to 1024 * 11^2 = 123,904).
MAX_DENSE_FAN = 4096
MAX_CHANNELS = 1024
MAX_KERNEL = 11
#: The default layers: reference.md's examples (Xavier 1024 -> 512; conv 3x3, 64 -> 128).
DEFAULT_FAN_IN = 1024
DEFAULT_FAN_OUT = 512
DEFAULT_IN_CHANNELS = 64
DEFAULT_OUT_CHANNELS = 128
DEFAULT_KERNEL = 3
#: The fan-scaled schemes a page compares, and those it shows first.
COMPARED_SCHEMES: tuple[str, ...] = (
    "xavier_normal",
    "xavier_uniform",
    "glorot_truncated_normal",
    "he_normal",
    "he_uniform",
    "he_truncated_normal",
    "lecun_normal",
    "lecun_uniform",
    "lecun_truncated_normal",
    "torch_linear_default",
    "orthogonal",
)
DEFAULT_COMPARED: tuple[str, ...] = (
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_truncated_normal",
)
#: Peak bytes of array memory per weight drawn while ``weight_summary`` runs, by distribution:
#: measured with tracemalloc at 1,000 to 200,000 draws (normal and uniform 67-111, truncated
#: normal 240-290 from scipy's truncnorm sampler and CDF, orthogonal 24-28) and rounded up.
#: The 1,000-draw figures include the fixed part, which ``SUMMARY_BYTES`` covers separately.
PEAK_BYTES_PER_DRAW: dict[str, int] = {
    "normal": 80,
    "uniform": 80,
    "truncated_normal": 272,
    "orthogonal": 40,
}
#: Bytes one summary keeps or needs whatever the sample size (bins, the density curve's grid,
#: scipy's frozen law): about 60 kB measured at 2 draws.
SUMMARY_BYTES = 96 * 1024
#: Peak bytes per draw of ``rand_vs_randn_shapes`` (measured: 23 at 200,000 draws).
SHAPE_BYTES_PER_DRAW = 40
#: Schemes whose weights are not random (a histogram would be a single spike).
CONSTANT_SCHEMES: tuple[str, ...] = ("zeros", "constant")
RANDOM_SCHEMES: tuple[str, ...] = tuple(n for n in SCHEME_NAMES if n not in CONSTANT_SCHEMES)


@dataclass(frozen=True)
class Marker:
    """A vertical rule on the weight axis: a uniform bound or a truncation point."""

    x: float
    label: str


@dataclass(frozen=True)
class WeightSummary:
    """Sampled weights of one scheme against its exact law.

    Histogram: ``edges`` (bins + 1), ``counts`` and ``density`` (count / (samples * width)),
    ``below`` / ``above`` = samples outside [edges[0], edges[-1]]. Overlay: ``grid`` and ``pdf``
    (exact density; a duplicated x marks a jump), ``curve_counts`` = pdf * samples * bin width
    (the expected count per bin, same units as ``counts``), ``expected_counts`` per bin from
    CDF differences. ``ks_statistic`` / ``ks_pvalue`` are None when ``ks_note`` says why.
    ``singular_values`` and ``orthogonality_error`` are set for orthogonal weights only.
    ``receptive_field`` is r = k^2 of a convolution kernel (1 for a dense layer) and
    ``matrix_shape`` the (rows, cols) matrix the weights form (``Initializer.matrix_shape``:
    (fan_in, fan_out / r)); an orthogonal layer's variance is gain^2 / max(matrix_shape).
    """

    init_name: str
    label: str
    formula: str
    distribution: str
    source: str
    fan_in: int
    fan_out: int
    fan: float | None
    receptive_field: int
    matrix_shape: tuple[int, int]
    samples: int
    seed: int
    half_width: float
    edges: np.ndarray
    counts: np.ndarray
    density: np.ndarray
    below: int
    above: int
    grid: np.ndarray
    pdf: np.ndarray | None
    curve_counts: np.ndarray | None
    expected_counts: np.ndarray | None
    exact_mean: float
    sampled_mean: float
    exact_variance: float
    sampled_variance: float
    exact_std: float
    sampled_std: float
    bound: float | None
    truncation: float | None
    sampled_max_abs: float
    markers: tuple[Marker, ...]
    ks_statistic: float | None
    ks_pvalue: float | None
    ks_note: str
    singular_values: np.ndarray | None
    orthogonality_error: float | None


@dataclass(frozen=True)
class ShapeSummary:
    """One of the four rand-vs-randn laws: histogram, exact density and moments."""

    name: str
    label: str
    numpy_call: str
    edges: np.ndarray
    counts: np.ndarray
    below: int
    above: int
    grid: np.ndarray
    pdf: np.ndarray
    curve_counts: np.ndarray
    exact_mean: float
    sampled_mean: float
    exact_variance: float
    sampled_variance: float
    low: float | None
    high: float | None


# --------------------------------------------------------------------------- arguments


def applicable_params(init_name: str, params: Mapping[str, object] | None) -> dict[str, object]:
    """The entries of ``params`` that scheme ``init_name`` takes (``SCHEME_PARAMETERS``).

    Lets a page pass every control's value (slope, mode) and each scheme keep its own.
    """
    check_choice("init_name", init_name, SCHEME_NAMES)
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValueError(f"init_params must be a dict {{name: value}} or None; got {params!r}")
    takes = SCHEME_PARAMETERS.get(init_name, ())
    return {key: value for key, value in params.items() if key in takes}


def _initializer(init_name: str, init_params: Mapping[str, object] | None) -> Initializer:
    check_choice("init_name", init_name, RANDOM_SCHEMES)
    if init_params is not None and not isinstance(init_params, Mapping):
        raise ValueError(f"init_params must be a dict {{name: value}} or None; got {init_params!r}")
    return get_initializer(init_name, **dict(init_params or {}))


def _check_common(samples: int, bins: int, seed: int) -> tuple[int, int, int]:
    return (
        check_int("samples", samples, 2, MAX_SAMPLES),
        check_int("bins", bins, 5, MAX_BINS),
        check_int("seed", seed, 0, MAX_SEED),
    )


def _rng(seed: int, init_name: str, fan_in: int, fan_out: int) -> np.random.Generator:
    """A stream per (seed, scheme, layer): schemes or layers drawn with one seed do not share
    their noise (numpy ``SeedSequence`` entropy from all four)."""
    return np.random.default_rng([seed, SCHEME_NAMES.index(init_name), fan_in, fan_out])


# --------------------------------------------------------------------------- ranges


def natural_half_width(
    init_name: str,
    fan_in: int,
    fan_out: int,
    init_params: Mapping[str, object] | None = None,
    *,
    receptive_field: int = 1,
) -> float:
    """Half-width h of the symmetric range [-h, h] that shows this scheme's weights well.

    Normal and orthogonal: 4 exact std. Uniform and truncated normal: 1.25 x the largest
    |support end| (so rand's U[0, 1) gets [-1.25, 1.25] and shows that no weight is negative).
    A page plotting several schemes on one axis takes the largest of these. ``receptive_field``:
    r = k^2 of a convolution kernel (``Initializer.matrix_shape``), 1 for a dense layer.
    """
    init = _initializer(init_name, init_params)
    support = init.support(fan_in, fan_out)
    if support is None:
        return NORMAL_RANGE_STDS * init.std(fan_in, fan_out, receptive_field)
    return BOUNDED_RANGE_MARGIN * max(abs(support[0]), abs(support[1]))


# --------------------------------------------------------------------------- sampling


def draw_weights(
    init_name: str,
    fan_in: int,
    fan_out: int,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    init_params: Mapping[str, object] | None = None,
    receptive_field: int = 1,
) -> np.ndarray:
    """Flat array of weights of a (fan_in, fan_out) layer under ``init_name``.

    Independent schemes: ``samples`` draws from the exact law of one weight
    (``Initializer.scipy_distribution``). Orthogonal: every entry of an ``Initializer.sample``
    block of ``orthogonal_block`` shape (about ``samples`` entries, or more when one side of
    the weight matrix is longer), whose entries have the layer's joint law. ``receptive_field``:
    r = k^2 of a convolution kernel, whose matrix is (fan_in, fan_out / r), 1 for a dense layer.
    """
    init = _initializer(init_name, init_params)
    samples = check_int("samples", samples, 2, MAX_SAMPLES)
    seed = check_int("seed", seed, 0, MAX_SEED)
    law = init.scipy_distribution(fan_in, fan_out)
    rng = _rng(seed, init_name, fan_in, fan_out)
    if law is not None:
        return np.asarray(law.rvs(size=samples, random_state=rng), dtype=float)
    rows, cols = orthogonal_block(fan_in, fan_out, samples, receptive_field=receptive_field)
    return init.sample(rng, rows, cols).ravel()


def orthogonal_block(
    fan_in: int, fan_out: int, samples: int = DEFAULT_SAMPLES, *, receptive_field: int = 1
) -> tuple[int, int]:
    """Shape of the block of an orthogonal layer's weight matrix that ``draw_weights`` samples.

    The matrix is (rows, cols) = ``Initializer.matrix_shape``: (fan_in, fan_out) for a dense
    layer, (fan_in, fan_out / r) = (C_in k^2, C_out) for a convolution kernel of receptive
    field r = k^2. The first k columns (rows, when rows < cols) of a Haar-random orthogonal
    matrix are a Haar-random semi-orthogonal (rows, k) matrix, which is what
    ``Initializer.sample`` draws by QR (Mezzadri 2007), with the same per-entry variance
    gain^2 / max(rows, cols). So the full long side is kept and the short side cut to
    k = ceil(samples / long side).
    """
    rows, cols = orthogonal().matrix_shape(fan_in, fan_out, receptive_field)
    samples = check_int("samples", samples, 2, MAX_SAMPLES)
    if rows * cols < 2:
        raise ValueError(
            f"fan_in * fan_out must be >= 2 for orthogonal weights (one weight has no spread); "
            f"got {rows} * {cols}"
        )
    long_side, short_side = max(rows, cols), min(rows, cols)
    k = min(short_side, max(1, math.ceil(samples / long_side)))
    return (rows, k) if rows >= cols else (k, cols)


def drawn_count(
    init_name: str,
    fan_in: int,
    fan_out: int,
    samples: int = DEFAULT_SAMPLES,
    init_params: Mapping[str, object] | None = None,
    *,
    receptive_field: int = 1,
) -> int:
    """How many weights ``draw_weights`` returns: ``samples``, or for orthogonal weights the
    whole ``orthogonal_block`` (which can be larger: one full column of a 123,904-long side)."""
    init = _initializer(init_name, init_params)
    if init.distribution != "orthogonal":
        return check_int("samples", samples, 2, MAX_SAMPLES)
    rows, cols = orthogonal_block(fan_in, fan_out, samples, receptive_field=receptive_field)
    return rows * cols


def summary_cost(
    init_name: str,
    fan_in: int,
    fan_out: int,
    samples: int = DEFAULT_SAMPLES,
    init_params: Mapping[str, object] | None = None,
    *,
    receptive_field: int = 1,
) -> Cost:
    """What ``weight_summary`` costs (lab.budget).

    Work: one per weight drawn, plus the KS test's sort (n log2 n); for orthogonal weights the
    Householder QR of the (long side, k) block (2 L k^2, Golub & Van Loan 5.2) and its Gram
    matrix (L k^2). Peak bytes: ``PEAK_BYTES_PER_DRAW`` of its distribution per weight drawn
    plus ``SUMMARY_BYTES``.
    """
    init = _initializer(init_name, init_params)
    drawn = drawn_count(
        init_name, fan_in, fan_out, samples, init_params, receptive_field=receptive_field
    )
    if init.distribution == "orthogonal":
        rows, cols = orthogonal_block(fan_in, fan_out, samples, receptive_field=receptive_field)
        long_side, k = max(rows, cols), min(rows, cols)
        work = drawn + 3 * long_side * k * k
    else:
        work = drawn + drawn * math.ceil(math.log2(drawn))
    peak = PEAK_BYTES_PER_DRAW[init.distribution] * drawn + SUMMARY_BYTES
    return Cost(multiply_adds=work, peak_bytes=peak)


def shapes_cost(samples: int = DEFAULT_SAMPLES) -> Cost:
    """What ``rand_vs_randn_shapes`` costs: four laws of ``samples`` draws each, one at a time."""
    samples = check_int("samples", samples, 2, MAX_SAMPLES)
    shapes = len(_SHAPES)
    return Cost(
        multiply_adds=shapes * samples,
        peak_bytes=SHAPE_BYTES_PER_DRAW * samples + shapes * SUMMARY_BYTES,
    )


def _histogram(
    values: np.ndarray, half_width: float, bins: int
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """numpy.histogram on [-h, h] plus the counts that fall outside it."""
    edges = np.linspace(-half_width, half_width, bins + 1)
    counts, edges = np.histogram(values, bins=edges)
    below = int(np.count_nonzero(values < edges[0]))
    above = int(np.count_nonzero(values > edges[-1]))
    return edges, counts.astype(np.int64), below, above


def _density_curve(law, half_width: float, support: tuple[float, float] | None) -> tuple:
    """(grid, pdf) on [-h, h]; each finite support end appears twice (outside value 0, inside
    value), in drawing order, so that a line drawn through the points has vertical cliffs."""
    grid = np.linspace(-half_width, half_width, GRID_POINTS)
    if support is None:
        return grid, law.pdf(grid)
    low, high = support
    inside = grid[(grid > low) & (grid < high)]
    outside_left = grid[grid < low]
    outside_right = grid[grid > high]
    xs = np.concatenate([outside_left, [low, low], inside, [high, high], outside_right])
    ys = np.concatenate(
        [
            np.zeros(outside_left.size),
            [0.0, law.pdf(low)],
            law.pdf(inside),
            [law.pdf(high), 0.0],
            np.zeros(outside_right.size),
        ]
    )
    keep = (xs >= -half_width) & (xs <= half_width)
    return xs[keep], ys[keep]


# --------------------------------------------------------------------------- the summary


def weight_summary(
    init_name: str,
    fan_in: int,
    fan_out: int,
    *,
    samples: int = DEFAULT_SAMPLES,
    bins: int = DEFAULT_BINS,
    seed: int = 0,
    init_params: Mapping[str, object] | None = None,
    half_width: float | None = None,
    receptive_field: int = 1,
) -> WeightSummary:
    """Sample one layer's weights and compare them with the scheme's exact law.

    ``fan`` is the n of Var = scale / n (None for fixed-scale and orthogonal schemes).
    ``half_width`` sets the histogram range [-h, h] (default ``natural_half_width``; pass a
    common value to compare schemes on one axis). ``receptive_field``: r = k^2 of a
    convolution kernel with fans C_in k^2 and C_out k^2 (1 for a dense layer); it sets the
    matrix orthogonal weights form, (C_in k^2, C_out). Exact moments come from the
    ``Initializer``; the KS test (``scipy.stats.kstest``) compares the samples with the exact
    CDF.
    """
    init = _initializer(init_name, init_params)
    samples, bins, seed = _check_common(samples, bins, seed)
    matrix_shape = init.matrix_shape(fan_in, fan_out, receptive_field)
    if half_width is None:
        half_width = natural_half_width(
            init_name, fan_in, fan_out, init_params, receptive_field=receptive_field
        )
    half_width = check_float("half_width", half_width, 0.0, low_inclusive=False)
    weights = draw_weights(
        init_name,
        fan_in,
        fan_out,
        samples=samples,
        seed=seed,
        init_params=init_params,
        receptive_field=receptive_field,
    )
    count = weights.size
    edges, counts, below, above = _histogram(weights, half_width, bins)
    width = edges[1] - edges[0]
    law = init.scipy_distribution(fan_in, fan_out)
    support = init.support(fan_in, fan_out)

    if law is not None:
        grid, pdf = _density_curve(law, half_width, support)
        curve_counts = pdf * count * width
        expected_counts = np.diff(law.cdf(edges)) * count
        ks = stats.kstest(weights, law.cdf)
        ks_statistic, ks_pvalue, ks_note = float(ks.statistic), float(ks.pvalue), ""
        singular_values = orthogonality_error = None
    else:
        grid = np.linspace(-half_width, half_width, GRID_POINTS)
        pdf = curve_counts = expected_counts = None
        ks_statistic = ks_pvalue = None
        ks_note = (
            "no KS test: the entries of an orthogonal matrix are not independent draws from "
            "one law; its singular values are checked instead"
        )
        block = orthogonal_block(fan_in, fan_out, samples, receptive_field=receptive_field)
        singular_values, orthogonality_error = _orthogonality(weights.reshape(block), init.gain)

    truncation = support[1] if init.distribution == "truncated_normal" else None
    bound = init.bound(fan_in, fan_out)
    return WeightSummary(
        init_name=init_name,
        label=init.label,
        formula=init.formula(),
        distribution=init.distribution,
        source=init.source,
        fan_in=fan_in,
        fan_out=fan_out,
        fan=init.fan(fan_in, fan_out) if init.scale is not None else None,
        receptive_field=receptive_field,
        matrix_shape=matrix_shape,
        samples=count,
        seed=seed,
        half_width=half_width,
        edges=edges,
        counts=counts,
        density=counts / (count * width),
        below=below,
        above=above,
        grid=grid,
        pdf=pdf,
        curve_counts=curve_counts,
        expected_counts=expected_counts,
        exact_mean=init.mean(fan_in, fan_out),
        sampled_mean=float(np.mean(weights)),
        exact_variance=init.variance(fan_in, fan_out, receptive_field),
        sampled_variance=float(np.var(weights, ddof=1)),
        exact_std=init.std(fan_in, fan_out, receptive_field),
        sampled_std=float(np.std(weights, ddof=1)),
        bound=bound,
        truncation=truncation,
        sampled_max_abs=float(np.max(np.abs(weights))),
        markers=_markers(init, fan_in, fan_out, bound, truncation),
        ks_statistic=ks_statistic,
        ks_pvalue=ks_pvalue,
        ks_note=ks_note,
        singular_values=singular_values,
        orthogonality_error=orthogonality_error,
    )


def _markers(
    init: Initializer, fan_in: int, fan_out: int, bound: float | None, truncation: float | None
) -> tuple[Marker, ...]:
    if bound is not None:
        return (Marker(-bound, f"-b = {-bound:.4g}"), Marker(bound, f"b = {bound:.4g}"))
    if truncation is not None:
        return (
            Marker(-truncation, f"cut at {-truncation:.4g}"),
            Marker(truncation, f"cut at {truncation:.4g}"),
        )
    support = init.support(fan_in, fan_out)
    if support is not None:  # an asymmetric uniform such as rand's U[0, 1)
        return (
            Marker(support[0], f"low = {support[0]:.4g}"),
            Marker(support[1], f"high = {support[1]:.4g}"),
        )
    return ()


def _orthogonality(matrix: np.ndarray, gain: float) -> tuple[np.ndarray, float]:
    """Singular values (descending) of ``matrix`` and max |G - gain^2 I| of its small Gram
    matrix G (W^T W when rows >= cols, else W W^T): 0 up to rounding for orthogonal weights."""
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    eigenvalues = np.clip(np.linalg.eigvalsh(gram), 0.0, None)
    singular_values = np.sqrt(eigenvalues)[::-1]
    error = float(np.max(np.abs(gram - gain**2 * np.eye(gram.shape[0]))))
    return singular_values, error


# --------------------------------------------------------------------------- rand vs randn

#: (name, label, numpy call, scipy law, low, high) of the four shapes.
_SHAPES = (
    ("rand", "rand: U[0, 1)", "np.random.rand(n)", stats.uniform(0.0, 1.0), 0.0, 1.0),
    ("randn", "randn: N(0, 1)", "np.random.randn(n)", stats.norm(0.0, 1.0), None, None),
    (
        "uniform_centered",
        "U(-1, 1)",
        "2 * np.random.rand(n) - 1",
        stats.uniform(-1.0, 2.0),
        -1.0,
        1.0,
    ),
    (
        "uniform_matched",
        "U(-√3, √3): variance 1",
        "np.sqrt(3) * (2 * np.random.rand(n) - 1)",
        stats.uniform(-math.sqrt(3.0), 2.0 * math.sqrt(3.0)),
        -math.sqrt(3.0),
        math.sqrt(3.0),
    ),
)
SHAPE_NAMES: tuple[str, ...] = tuple(shape[0] for shape in _SHAPES)
#: Common axis of the four shapes: 4 std of randn (about 1 draw in 16,000 falls outside).
SHAPES_HALF_WIDTH = 4.0


def rand_vs_randn_shapes(
    samples: int = DEFAULT_SAMPLES, seed: int = 0, bins: int = 64
) -> tuple[ShapeSummary, ...]:
    """numpy's ``rand`` (U[0, 1)), ``randn`` (N(0, 1)), centred U(-1, 1) and the
    variance-matched U(-sqrt 3, sqrt 3), histogrammed on one axis [-4, 4].

    Exact moments: U(a, b) has mean (a + b) / 2 and variance (b - a)^2 / 12, so rand has mean
    1/2 and variance 1/12, U(-1, 1) variance 1/3, U(-sqrt 3, sqrt 3) variance 1 like randn.
    All four are drawn from one ``numpy.random.Generator`` seeded with ``seed``.
    """
    samples, bins, seed = _check_common(samples, bins, seed)
    rng = np.random.default_rng(seed)
    summaries = []
    for name, label, call, law, low, high in _SHAPES:
        values = np.asarray(law.rvs(size=samples, random_state=rng), dtype=float)
        edges, counts, below, above = _histogram(values, SHAPES_HALF_WIDTH, bins)
        support = None if low is None else (low, high)
        grid, pdf = _density_curve(law, SHAPES_HALF_WIDTH, support)
        summaries.append(
            ShapeSummary(
                name=name,
                label=label,
                numpy_call=call,
                edges=edges,
                counts=counts,
                below=below,
                above=above,
                grid=grid,
                pdf=pdf,
                curve_counts=pdf * samples * (edges[1] - edges[0]),
                exact_mean=float(law.mean()),
                sampled_mean=float(np.mean(values)),
                exact_variance=float(law.var()),
                sampled_variance=float(np.var(values, ddof=1)),
                low=low,
                high=high,
            )
        )
    return tuple(summaries)
