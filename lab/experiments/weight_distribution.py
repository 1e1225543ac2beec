"""The Weight distribution page's experiment: one layer's weights under each compared scheme,
sampled and set against the scheme's exact law, plus numpy's rand and randn side by side.

``run(config)`` does everything the page shows: the layer's fans (``conv_fans`` for a k x k
convolution: C k^2), per scheme a ``lab.weights.WeightSummary`` (histogram on one common axis,
exact density, bounds or truncation points, exact and sampled moments, the KS test or, for
orthogonal weights, the singular values) with its variance formula in LaTeX, the four
rand-vs-randn laws, and the samples the lab's budget allows (``lab.budget.fit_count``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lab.budget import Cost, Scaled, fit_count
from lab.initializers import (
    TRUNCATED_NORMAL_STD,
    conv_fans,
    get_initializer,
    he_normal,
    receptive_field,
    xavier_normal,
)
from lab.validation import check_choice, check_int
from lab.weights import (
    COMPARED_SCHEMES,
    DEFAULT_COMPARED,
    DEFAULT_FAN_IN,
    DEFAULT_FAN_OUT,
    DEFAULT_IN_CHANNELS,
    DEFAULT_KERNEL,
    DEFAULT_OUT_CHANNELS,
    DEFAULT_SAMPLES,
    MAX_CHANNELS,
    MAX_DENSE_FAN,
    MAX_KERNEL,
    MAX_SAMPLES,
    MAX_SEED,
    MIN_SHOWN_SAMPLES,
    SUMMARY_BYTES,
    ShapeSummary,
    WeightSummary,
    applicable_params,
    natural_half_width,
    rand_vs_randn_shapes,
    shapes_cost,
    summary_cost,
    weight_summary,
)

LAYER_TYPES: tuple[str, ...] = ("dense", "conv")
#: The compared schemes share one x axis (and so one y axis) while the widest natural range
#: (``lab.weights.natural_half_width``) is at most this many times the narrowest: the narrowest
#: law then still spans a sixth of the axis, 10 of its 60 bins. Beyond it each chart gets its
#: own axes: on one axis the narrow law would fill a bin or two and the others would lie flat.
SHARED_AXES_MAX_RATIO = 6.0
#: On shared axes bar heights compare while no scheme counts more than this many times the
#: weights of another (orthogonal weights come in whole columns of their matrix).
COMPARABLE_COUNTS = 1.1
HE_MODES: tuple[str, ...] = ("fan_in", "fan_out")


@dataclass(frozen=True)
class Config:
    """What the page asks for. ``layer`` "dense" uses ``fan_in`` and ``fan_out``; "conv" uses
    ``c_in``, ``c_out`` and the kernel side ``kernel`` (fans C k^2). ``schemes`` are compared in
    the order given (none is allowed: the rand-vs-randn part still runs). ``mode`` and ``slope``
    reach the He schemes that take them, ``gain`` the Xavier ones and orthogonal
    (``lab.initializers.SCHEME_PARAMETERS``). ``samples`` weights are drawn per scheme and per
    rand-vs-randn law, fewer if the budget requires."""

    layer: str = "dense"
    fan_in: int = DEFAULT_FAN_IN
    fan_out: int = DEFAULT_FAN_OUT
    c_in: int = DEFAULT_IN_CHANNELS
    c_out: int = DEFAULT_OUT_CHANNELS
    kernel: int = DEFAULT_KERNEL
    schemes: tuple[str, ...] = DEFAULT_COMPARED
    mode: str = "fan_in"
    slope: float = 0.0
    gain: float = 1.0
    samples: int = DEFAULT_SAMPLES
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("layer", self.layer, LAYER_TYPES)
        check_int("fan_in", self.fan_in, 1, MAX_DENSE_FAN)
        check_int("fan_out", self.fan_out, 1, MAX_DENSE_FAN)
        check_int("c_in", self.c_in, 1, MAX_CHANNELS)
        check_int("c_out", self.c_out, 1, MAX_CHANNELS)
        check_int("kernel", self.kernel, 1, MAX_KERNEL)
        if not isinstance(self.schemes, tuple):
            raise ValueError(f"schemes must be a tuple of scheme names; got {self.schemes!r}")
        for name in self.schemes:
            check_choice("schemes", name, COMPARED_SCHEMES)
        if len(set(self.schemes)) != len(self.schemes):
            raise ValueError(f"schemes must be distinct; got {', '.join(self.schemes)}")
        check_choice("mode", self.mode, HE_MODES)
        # The parameters are checked by the schemes that take them, whether or not one of
        # those is compared, so that a bad value never passes unnoticed.
        he_normal(slope=self.slope, mode=self.mode)
        xavier_normal(gain=self.gain)
        check_int("samples", self.samples, MIN_SHOWN_SAMPLES, MAX_SAMPLES)
        check_int("seed", self.seed, 0, MAX_SEED)

    @property
    def fans(self) -> tuple[int, int]:
        """(fan_in, fan_out) of the layer."""
        if self.layer == "conv":
            return conv_fans(self.c_in, self.c_out, self.kernel)
        return self.fan_in, self.fan_out

    @property
    def receptive_field(self) -> int:
        """k^2 for a conv layer (its weights form the matrix (C_in k^2, C_out)), else 1."""
        return receptive_field(self.kernel) if self.layer == "conv" else 1

    @property
    def drawn_schemes(self) -> tuple[str, ...]:
        """The compared schemes this layer can draw: a 1 x 1 orthogonal matrix is the single
        weight +gain, a fixed number with no spread to sample, so orthogonal needs at least 2
        weights."""
        rows, cols = get_initializer("orthogonal").matrix_shape(*self.fans, self.receptive_field)
        return tuple(
            name
            for name in self.schemes
            if rows * cols >= 2 or get_initializer(name).distribution != "orthogonal"
        )

    @property
    def left_out_note(self) -> str:
        """One line naming the compared schemes this layer cannot draw, else ''."""
        left = [name for name in self.schemes if name not in self.drawn_schemes]
        if not left:
            return ""
        fan_in, fan_out = self.fans
        names = ", ".join(get_initializer(name).label for name in left)
        return (
            f"{names} left out: a {fan_in} × {fan_out} orthogonal matrix is the single weight "
            "+gain, a fixed number with no spread to draw (it needs fan_in × fan_out ≥ 2)."
        )

    def params_of(self, name: str) -> dict[str, object]:
        """The parameters scheme ``name`` takes from this config (mode, slope, gain)."""
        return applicable_params(name, {"mode": self.mode, "slope": self.slope, "gain": self.gain})


#: Config field of each control whose URL name differs (the page's ``init`` lists schemes).
_FIELD_OF_CONTROL = {"init": "schemes"}
_FIELDS = (
    "layer",
    "fan_in",
    "fan_out",
    "c_in",
    "c_out",
    "kernel",
    "init",
    "mode",
    "slope",
    "gain",
    "samples",
    "seed",
)


def config_from_values(values: Mapping[str, object]) -> Config:
    """The Config of a page's control values (``draw_controls`` or ``parse_query``); controls
    not given keep the Config's defaults, other names are ignored."""
    given = {_FIELD_OF_CONTROL.get(name, name): values[name] for name in _FIELDS if name in values}
    if "schemes" in given and not isinstance(given["schemes"], str):
        given["schemes"] = tuple(given["schemes"])  # type: ignore[arg-type]
    return Config(**given)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class SchemeView:
    """One compared scheme: ``summary`` (lab.weights.WeightSummary: histogram, exact density,
    markers, moments, KS test or singular values), the parameters it was given, a heading
    (label and source), ``formula`` (LaTeX pieces: the variance formula and its values for this
    layer, one piece per quantity so that a narrow screen can wrap between them), and
    ``note``: for orthogonal weights, one line on the singular values and why there is no KS
    test ('' otherwise)."""

    summary: WeightSummary
    params: tuple[tuple[str, object], ...]
    heading: str
    formula: tuple[str, ...]
    note: str


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows.

    ``fan_in``/``fan_out``: the layer's fans, and ``fans_latex`` how they are computed (LaTeX,
    one piece per fan).
    ``schemes``: one SchemeView per compared scheme, in the config's order. With
    ``shared_axes`` all are histogrammed on [-half_width, half_width] (the widest scheme's
    natural range; None without schemes) and share a y-axis up to ``count_top``, the tallest
    bar or exact-density point (in weights per bin) over all schemes; without it (natural
    ranges more than ``SHARED_AXES_MAX_RATIO`` apart) each scheme has its natural range and its
    own top, ``count_tops``. ``axes_note``: how to read the charts' axes, in one or two
    sentences. ``shapes`` and ``shapes_top``: the same for the four rand-vs-randn laws
    (lab.weights.SHAPE_NAMES order). ``samples``: the samples per scheme the budget allowed
    (its ``note`` is '' when none were cut); ``cost``: what the run costs.
    """

    config: Config
    fan_in: int
    fan_out: int
    fans_latex: tuple[str, ...]
    half_width: float | None
    schemes: tuple[SchemeView, ...]
    count_top: float
    count_tops: tuple[float, ...]
    shared_axes: bool
    axes_note: str
    shapes: tuple[ShapeSummary, ...]
    shapes_top: float
    samples: Scaled
    cost: Cost

    @property
    def budget_note(self) -> str:
        """One line when the budget lowered the samples, else ''."""
        return self.samples.note

    @property
    def left_out_note(self) -> str:
        """One line naming the compared schemes this layer cannot draw, else ''."""
        return self.config.left_out_note

    def shape(self, name: str) -> ShapeSummary:
        """The rand-vs-randn law ``name`` (rand, randn, uniform_centered, uniform_matched)."""
        for shape in self.shapes:
            if shape.name == name:
                return shape
        raise ValueError(
            f"name must be one of {', '.join(s.name for s in self.shapes)}; got {name!r}"
        )


def cost(config: Config, samples: int | None = None) -> Cost:
    """What ``run(config)`` costs with ``samples`` per scheme (default ``config.samples``):
    every scheme's summary and the four shapes, run one after another (peak: the largest
    single step plus the summaries kept)."""
    samples = config.samples if samples is None else samples
    fan_in, fan_out = config.fans
    steps = [
        summary_cost(
            name,
            fan_in,
            fan_out,
            samples,
            config.params_of(name),
            receptive_field=config.receptive_field,
        )
        for name in config.drawn_schemes
    ]
    steps.append(shapes_cost(samples))
    return Cost(
        multiply_adds=sum(step.multiply_adds for step in steps),
        peak_bytes=max(step.peak_bytes for step in steps)
        + len(config.drawn_schemes) * SUMMARY_BYTES,
    )


def fit_samples(config: Config) -> Scaled:
    """The samples per scheme that fit the lab's budget (never another layer or scheme)."""
    fan_in, fan_out = config.fans
    count = len(config.drawn_schemes)
    return fit_count(
        config.samples,
        lambda samples: cost(config, samples),
        what="weights per scheme",
        subject=f"{count} scheme{'s' if count != 1 else ''} on a {fan_in:,} × {fan_out:,} layer",
        minimum=MIN_SHOWN_SAMPLES,
    )


def run(config: Config) -> Result:
    """Sample every compared scheme and the rand-vs-randn laws (see the module docstring)."""
    if not isinstance(config, Config):
        raise ValueError(f"config must be a weight_distribution.Config; got {type(config)}")
    scaled = fit_samples(config)
    samples = scaled.used
    fan_in, fan_out = config.fans
    params = {name: config.params_of(name) for name in config.drawn_schemes}
    naturals = {
        name: natural_half_width(
            name, fan_in, fan_out, params[name], receptive_field=config.receptive_field
        )
        for name in config.drawn_schemes
    }
    half_width = max(naturals.values(), default=None)
    shared = not naturals or half_width <= SHARED_AXES_MAX_RATIO * min(naturals.values())
    views = []
    for name in config.drawn_schemes:
        summary = weight_summary(
            name,
            fan_in,
            fan_out,
            samples=samples,
            seed=config.seed,
            init_params=params[name],
            half_width=half_width if shared else naturals[name],
            receptive_field=config.receptive_field,
        )
        views.append(
            SchemeView(
                summary=summary,
                params=tuple(params[name].items()),
                heading=summary.label + (f" · {summary.source}" if summary.source else ""),
                formula=formula_latex(summary),
                note=_orthogonal_note(summary),
            )
        )
    shapes = rand_vs_randn_shapes(samples, config.seed)
    return Result(
        config=config,
        fan_in=fan_in,
        fan_out=fan_out,
        fans_latex=_fans_latex(config, fan_in, fan_out),
        half_width=half_width,
        schemes=tuple(views),
        count_top=max((_top(view.summary) for view in views), default=0.0),
        count_tops=tuple(_top(view.summary) for view in views),
        shared_axes=shared,
        axes_note=_axes_note(tuple(view.summary for view in views), shared),
        shapes=shapes,
        shapes_top=max(_top(shape) for shape in shapes),
        samples=scaled,
        cost=cost(config, samples),
    )


# --------------------------------------------------------------------------- text


def latex_number(value: float) -> str:
    """``value`` to 4 significant digits in LaTeX (``1.3\\times 10^{-5}``, not ``1.3e-05``)."""
    mantissa, _, exponent = f"{value:.4g}".partition("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}" if exponent else mantissa


def formula_latex(summary: WeightSummary) -> tuple[str, ...]:
    """LaTeX pieces: the scheme's variance formula and its values for this layer (the std σ;
    a uniform's bound b = √3 σ; a truncated normal's cut 2σ' with σ' = σ / 0.8796, the std of
    N(0, 1) cut at ±2, as Keras/JAX correct it)."""
    variance = latex_number(summary.exact_variance)
    if summary.distribution == "orthogonal":
        rows, cols = summary.matrix_shape  # a conv kernel flattened to (C_in k^2, C_out)
        pieces = [
            summary.formula,
            rf"\operatorname{{Var}}(W) = \frac{{g^2}}{{\max({rows},\,{cols})}} = {variance}",
        ]
    else:
        pieces = [rf"{summary.formula} = {variance}"]
    pieces.append(rf"\sigma = {latex_number(summary.exact_std)}")
    if summary.bound is not None:
        pieces.append(rf"b = \sqrt{{3}}\,\sigma = {latex_number(summary.bound)}")
    if summary.truncation is not None:
        pieces.append(rf"\text{{cut at }}\pm 2\sigma' = \pm {latex_number(summary.truncation)}")
        pieces.append(rf"\sigma' = \sigma / {TRUNCATED_NORMAL_STD:.4f}")
    return tuple(pieces)


def _fans_latex(config: Config, fan_in: int, fan_out: int) -> tuple[str, str]:
    if config.layer == "conv":
        k = config.kernel
        return (
            rf"n_\text{{in}} = C_\text{{in}}\,k^2 = {config.c_in}\cdot{k}^2 = {fan_in}",
            rf"n_\text{{out}} = C_\text{{out}}\,k^2 = {config.c_out}\cdot{k}^2 = {fan_out}",
        )
    return rf"n_\text{{in}} = {fan_in}", rf"n_\text{{out}} = {fan_out}"


def _orthogonal_note(summary: WeightSummary) -> str:
    if summary.singular_values is None:
        return ""
    values = summary.singular_values
    reason = summary.ks_note[0].upper() + summary.ks_note[1:]
    rows, cols = summary.matrix_shape
    kernel = (
        f"The kernel is made orthogonal as one C_in k² × C_out = {rows:,} × {cols:,} matrix, "
        "as PyTorch's orthogonal_ and Keras' Orthogonal flatten it. "
        if summary.receptive_field > 1
        else ""
    )
    low, high = f"{values.min():.6g}", f"{values.max():.6g}"
    where = f"equal {low} to 6 digits" if low == high else f"lie in [{low}, {high}]"
    return kernel + (
        f"All {values.size} singular values of the sampled block {where}; max |WᵀW − g²I| = "
        f"{summary.orthogonality_error:.2g}. {reason}. With no law to draw, its chart has no "
        "orange density line."
    )


def _axes_note(summaries: tuple[WeightSummary, ...], shared: bool) -> str:
    """How to read the compared schemes' axes: shared (a narrower law has taller bars, when
    every scheme counts as many weights) or one per chart (and why)."""
    if not summaries:
        return ""
    if not shared:
        wide = max(summaries, key=lambda s: s.half_width)
        narrow = min(summaries, key=lambda s: s.half_width)
        ratio = wide.half_width / narrow.half_width
        bins = narrow.counts.size / ratio
        filled = "less than one bin" if bins < 1 else f"{bins:.0f} of its {narrow.counts.size} bins"
        return (
            f"Each chart has its own axes: {wide.label}'s range is {ratio:.3g} times "
            f"{narrow.label}'s, so on one axis {narrow.label} would fill {filled} and the wider "
            "laws would lie flat. Read each width off its x axis."
        )
    text = "All on one x axis, so the widths compare, and one y axis."
    counts = [s.samples for s in summaries]
    if max(counts) <= COMPARABLE_COUNTS * min(counts):
        return f"{text} A narrower law has taller bars."
    # Only orthogonal weights come in another count than the samples asked for.
    drawn = next((s.samples for s in summaries if s.singular_values is None), None)
    odd = [s for s in summaries if s.singular_values is not None]
    if drawn is None:  # pragma: no cover - orthogonal schemes of one layer share their count
        return text
    notes = []
    for summary in odd:
        more = summary.samples > drawn
        notes.append(
            f"{summary.label} counts {summary.samples:,} weights (whole columns of its "
            f"matrix) against the others' {drawn:,}: its bars are "
            f"{'taller' if more else 'shorter'} for that alone"
        )
    return f"{text} {'; '.join(notes)}. Bar heights compare only between charts of equal counts."


def _top(summary: WeightSummary | ShapeSummary) -> float:
    """The tallest bar or exact-density point, in weights per bin."""
    top = float(summary.counts.max())
    if summary.curve_counts is not None:
        top = max(top, float(summary.curve_counts.max()))
    return top


__all__ = [
    "Config",
    "Result",
    "SchemeView",
    "config_from_values",
    "cost",
    "fit_samples",
    "formula_latex",
    "latex_number",
    "run",
]
