"""Number formats and quantization: what happens to activations in low precision.

Floating-point formats are cast for real and back: numpy's ``float32``/``float16`` (IEEE 754
binary32/binary16) and ``ml_dtypes``' ``bfloat16`` (Google Brain float), ``float8_e4m3fn`` and
``float8_e5m2`` (Micikevicius et al. 2022, "FP8 Formats for Deep Learning"). Every limit in
``FORMATS`` comes from ``ml_dtypes.finfo``, never from typed-in numbers.

A cast rounds to nearest, ties to even (IEEE 754), so each format's axis has five stretches:
- overflow: from ``overflow_threshold`` = max + half a step (65,520 for FP16) a value becomes inf;
  ``float8_e4m3fn`` has no infinity ("fn" = finite + NaN) and ml_dtypes casts it to NaN there,
  while PyTorch 2.12 and later saturate that cast to +-max (inf too; pytorch/pytorch#178817),
  which hides the overflow (``SATURATING_CASTS``);
- round to max: between max and ``overflow_threshold`` a value rounds to max (65,519 -> 65,504);
- normal numbers, with the format's full precision, from the smallest normal to max;
- subnormal numbers below the smallest normal, in steps of the smallest subnormal: fewer
  significant bits the smaller the value (precision loss); values between half the smallest
  subnormal and the smallest subnormal round up to it (FP16: (2^-25, 2^-24) -> 2^-24);
- flush to zero: up to ``flush_threshold`` = half the smallest subnormal a value becomes 0.

INT8 is symmetric per-tensor quantization with max ("absmax") calibration and the restricted
range -127..127 (Wu et al. 2020, "Integer Quantization for Deep Learning Inference"):
``scale = max|x| / 127``, ``q = clip(round(x / scale), -127, 127)``.

SQNR (signal-to-quantization-noise ratio) is ``10 log10(sum x^2 / sum (x - x_hat)^2)`` in dB.
For INT8 absmax: a uniform signal gives ``10 log10(4 * 127^2)`` = 48.1 dB; a Gaussian one less,
because its absmax is several standard deviations (reference.md, "Number formats").

Overflow, underflow and non-finite inputs are results, never exceptions or warnings: every cast
runs under ``np.errstate(all="ignore")`` and is then counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import ml_dtypes
import numpy as np

from lab.budget import Cost
from lab.validation import check_choice, check_float, check_int

Calibration = Literal["per_layer", "first_layer"]
CALIBRATIONS: tuple[str, ...] = ("per_layer", "first_layer")

#: first_failure: a format "loses a layer to zero" when at least this share of the layer's
#: nonzero values become 0 (absmax INT8 of a Gaussian loses ~1-2% by design, so not 0).
FAILURE_ZERO_FRACTION = 0.10
#: first_failure: INT8 "clips a layer" when at least this share of its values saturate.
FAILURE_CLIP_FRACTION = 0.01

#: Percentile of the nonzero |a| used as "the small values" of a layer (1 = the 1st percentile).
LOW_PERCENTILE = 1.0

#: analysis_cost: multiply-add equivalents (lab.budget's unit, ~4e9 a second) per analysed
#: value. Casting a value to the four float formats and INT8, counting, and taking its layer's
#: percentile takes 0.03-0.09 µs on one core (measured on networks of 5-100 layers, 64-1024
#: units, with and without inf/NaN), i.e. 110-350 of those units.
ANALYSIS_WORK_PER_VALUE = 300
#: analysis_cost: peak bytes per value of the layer being analysed (its float64 copy, a float64
#: round trip and its magnitudes, INT8 ratios and levels, masks); tracemalloc measures 40-52.
ANALYSIS_BYTES_PER_VALUE = 64

#: Below this peak magnitude (and above its inverse) squares stay far from float64's limits.
_SAFE_PEAK = 1e100


# --- the formats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberFormat:
    """A binary floating-point format, its limits read from ``ml_dtypes.finfo``.

    ``overflow_threshold``: max plus half the step at max; smaller magnitudes round to at most
    max, larger ones overflow, and the threshold itself overflows when ``overflows_at_threshold``
    (ties to even: FP16's 65,520 becomes inf, E4M3's 464 stays 448). ``flush_threshold``: half
    the smallest subnormal; magnitudes up to it become 0, larger ones at least the smallest
    subnormal. ``saturated_by``: the libraries whose cast saturates to +-max instead of giving
    inf/NaN ('' when none does; ``SATURATING_CASTS``).
    """

    name: str
    label: str
    bits: int
    max: float
    smallest_normal: float
    smallest_subnormal: float
    has_inf: bool
    epsilon: float
    dtype: np.dtype
    overflow_threshold: float
    overflows_at_threshold: bool
    flush_threshold: float
    saturated_by: str

    @property
    def significant_bits(self) -> int:
        """Bits of precision of a normal number: the stored fraction bits plus the implicit 1
        (11 for FP16, 4 for E4M3)."""
        return round(-math.log2(self.epsilon)) + 1

    @property
    def overflows_to(self) -> str:
        """What an overflowing cast gives with ml_dtypes / numpy: 'inf' or 'NaN'."""
        return "inf" if self.has_inf else "NaN"


@dataclass(frozen=True)
class IntegerFormat:
    """Symmetric per-tensor absmax integer quantization: levels ``-qmax..qmax``, one scale."""

    name: str
    label: str
    bits: int
    qmax: int
    dtype: np.dtype

    @property
    def qmin(self) -> int:
        """Lowest level used: -qmax (symmetric; int8's -128 is left unused)."""
        return -self.qmax

    @property
    def levels(self) -> int:
        """Number of distinct levels, 2 * qmax + 1 (255 for INT8)."""
        return 2 * self.qmax + 1


_FLOAT_LABELS: dict[str, tuple[str, object]] = {
    "float32": ("FP32", np.float32),
    "float16": ("FP16", np.float16),
    "bfloat16": ("BF16", ml_dtypes.bfloat16),
    "float8_e4m3fn": ("FP8 E4M3", ml_dtypes.float8_e4m3fn),
    "float8_e5m2": ("FP8 E5M2", ml_dtypes.float8_e5m2),
}


#: Formats whose cast some library saturates to +-max instead of overflowing, and which: PyTorch
#: casts to float8_e4m3fn saturate finite overflow (and inf) to +-448 from 2.12 on
#: (pytorch/pytorch#178817); ml_dtypes and older PyTorch give NaN. A saturated value looks
#: finite, so the overflow goes unnoticed.
SATURATING_CASTS: dict[str, str] = {"float8_e4m3fn": "PyTorch 2.12 and later"}


def _cast_one(value: float, dtype: np.dtype) -> float:
    with np.errstate(all="ignore"):
        return float(np.array([value]).astype(dtype).astype(np.float64)[0])


def _build_format(name: str, label: str, scalar_type: object) -> NumberFormat:
    info = ml_dtypes.finfo(scalar_type)
    dtype = np.dtype(scalar_type)
    top = float(info.max)
    # The step between the largest binade's numbers is eps * 2^(maxexp - 1); half a step above
    # max is where round-to-nearest stops returning max.
    threshold = top + float(info.eps) * 2.0 ** (int(info.maxexp) - 1) / 2.0
    return NumberFormat(
        name=name,
        label=label,
        bits=int(info.bits),
        max=top,
        smallest_normal=float(info.smallest_normal),
        smallest_subnormal=float(info.smallest_subnormal),
        has_inf=math.isinf(_cast_one(math.inf, dtype)),
        epsilon=float(info.eps),
        dtype=dtype,
        overflow_threshold=threshold,
        overflows_at_threshold=not math.isfinite(_cast_one(threshold, dtype)),
        flush_threshold=float(info.smallest_subnormal) / 2.0,
        saturated_by=SATURATING_CASTS.get(name, ""),
    )


#: The floating-point formats, widest first.
FORMATS: dict[str, NumberFormat] = {
    name: _build_format(name, label, scalar) for name, (label, scalar) in _FLOAT_LABELS.items()
}
FLOAT_FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)

_INT8_INFO = np.iinfo(np.int8)
INT8 = IntegerFormat(
    name="int8",
    label="INT8",
    bits=int(_INT8_INFO.bits),
    qmax=int(_INT8_INFO.max),
    dtype=np.dtype(np.int8),
)
#: Every format name first_failure accepts.
ALL_FORMAT_NAMES: tuple[str, ...] = (*FLOAT_FORMAT_NAMES, INT8.name)


# --- array checks and shared arithmetic ----------------------------------------------------


def _as_real_array(name: str, values: object) -> np.ndarray:
    """``values`` as a non-empty float64 array (NaN/inf kept), else ValueError naming ``name``."""
    array = np.asarray(values)
    dtype = array.dtype
    if dtype.kind not in "iuf" and dtype not in {fmt.dtype for fmt in FORMATS.values()}:
        raise ValueError(f"{name} must be a non-empty array of real numbers; got dtype {dtype}")
    if array.size == 0:
        raise ValueError(f"{name} must be a non-empty array of real numbers; got an empty array")
    return array.astype(np.float64)


@dataclass(frozen=True)
class _Tensor:
    """An input prepared once and shared by every format: flat float64 values and counts."""

    values: np.ndarray
    finite: np.ndarray | None  # mask of finite entries; None when every entry is finite
    n: int
    n_finite: int
    n_nonzero: int  # finite and nonzero
    n_nan: int
    peak: float  # largest finite |x|, 0.0 when there is none
    max_abs: float  # largest |x| ignoring NaN (inf counts); NaN when every entry is NaN
    signal: float  # sum of the finite x^2 (NaN when peak is outside the safe range)
    source_dtype: np.dtype  # dtype the caller passed in (a cast to it is exact)


def _prepare(name: str, x: object) -> _Tensor:
    array = np.asarray(x)
    values = _as_real_array(name, array).ravel()
    finite = np.isfinite(values)
    n_finite = int(np.count_nonzero(finite))
    all_finite = n_finite == values.size
    finite_values = values if all_finite else values[finite]
    peak = float(np.max(np.abs(finite_values))) if n_finite else 0.0
    n_nan = 0 if all_finite else int(np.count_nonzero(np.isnan(values)))
    has_inf = values.size - n_finite - n_nan > 0
    safe = 1.0 / _SAFE_PEAK < peak < _SAFE_PEAK
    return _Tensor(
        values=values,
        finite=None if all_finite else finite,
        n=int(values.size),
        n_finite=n_finite,
        n_nonzero=int(np.count_nonzero(finite_values)),
        n_nan=n_nan,
        peak=peak,
        max_abs=math.inf if has_inf else (peak if n_finite else math.nan),
        signal=float(np.dot(finite_values, finite_values)) if safe else math.nan,
        source_dtype=array.dtype,
    )


def _fraction(count: int, total: int) -> float:
    """count / total, 0.0 when there is nothing to count."""
    return count / total if total else 0.0


def _sqnr_finite(
    reference: np.ndarray, approx: np.ndarray, peak: float, signal: float | None = None
) -> float:
    """SQNR of two finite float64 arrays. ``peak`` >= max |entry| of both: outside
    [1e-100, 1e100] both are divided by it first so squares cannot overflow or underflow (the
    power ratio is scale-free). ``signal`` = sum reference^2 (unscaled) if the caller has it."""
    if reference.size == 0:
        return math.nan
    with np.errstate(all="ignore"):
        if 1.0 / _SAFE_PEAK < peak < _SAFE_PEAK:
            error = reference - approx
        else:
            scale = 1.0 / peak if peak > 0.0 else 1.0
            scale = scale if math.isfinite(scale) else 1.0
            reference = reference * scale
            error = reference - approx * scale
            signal = None
        if signal is None or not math.isfinite(signal):
            signal = float(np.dot(reference, reference))
        noise = float(np.dot(error, error))
    if noise == 0.0:
        return math.inf
    if signal == 0.0 or not math.isfinite(noise):
        return -math.inf
    return 10.0 * math.log10(signal / noise)


def sqnr_db(reference: object, approx: object) -> float:
    """Signal-to-quantization-noise ratio in dB: 10 log10(sum ref^2 / sum (ref - approx)^2).

    Only entries where both arrays are finite count (overflow is reported separately);
    inf when they agree exactly, -inf for a zero reference with nonzero error, NaN when no
    entry is finite in both.
    """
    ref = _as_real_array("reference", reference)
    app = _as_real_array("approx", approx)
    if ref.shape != app.shape:
        raise ValueError(f"approx must have the shape of reference {ref.shape}; got {app.shape}")
    both_finite = np.isfinite(ref) & np.isfinite(app)
    ref, app = ref[both_finite], app[both_finite]
    peak = max(float(np.max(np.abs(ref))), float(np.max(np.abs(app)))) if ref.size else 0.0
    return _sqnr_finite(ref, app, peak)


# --- floating-point casts -------------------------------------------------------------------


@dataclass(frozen=True)
class CastReport:
    """What a round trip through one floating-point format did to an array.

    Denominators: ``frac_nonfinite_in`` over all entries, ``frac_overflow`` over the finite
    input entries, ``frac_flushed_to_zero`` and ``frac_subnormal`` over the finite nonzero ones.
    """

    format: str
    n: int
    n_finite: int
    n_nonzero: int
    frac_nonfinite_in: float
    frac_overflow: float
    frac_flushed_to_zero: float
    frac_subnormal: float
    sqnr_db: float
    max_abs_in: float
    max_abs_out: float


#: float64 value of each of the 256 bit patterns of the 8-bit formats (a lookup is ~4x faster
#: than ml_dtypes' upcast).
_FP8_VALUES: dict[str, np.ndarray] = {
    fmt.name: np.arange(256, dtype=np.uint8).view(fmt.dtype).astype(np.float64)
    for fmt in FORMATS.values()
    if fmt.bits == 8
}


def _roundtrip(x64: np.ndarray, fmt: NumberFormat) -> np.ndarray:
    # ml_dtypes converts float64 through float32 (as hardware does with float32 activations).
    with np.errstate(all="ignore"):
        narrow = x64.astype(fmt.dtype)
    if fmt.name in _FP8_VALUES:
        return _FP8_VALUES[fmt.name][narrow.view(np.uint8)]
    return narrow.astype(np.float64)


def cast_roundtrip(x: object, fmt_name: str) -> np.ndarray:
    """``x`` cast to the format and back to float64, as numpy / ml_dtypes cast: round to
    nearest; beyond ``overflow_threshold`` inf (NaN for E4M3fn, which a saturating cast such
    as PyTorch's 2.12 and later would store as +-448); up to ``flush_threshold`` 0."""
    check_choice("fmt_name", fmt_name, FLOAT_FORMAT_NAMES)
    return _roundtrip(_as_real_array("x", x), FORMATS[fmt_name])


def _cast_report(tensor: _Tensor, fmt: NumberFormat) -> CastReport:
    # A cast keeps inf/NaN non-finite and zero zero, and a zero or non-finite output has a
    # unique cause, so counts over the output alone give every category below.
    exact = tensor.source_dtype == fmt.dtype
    out = tensor.values if exact else _roundtrip(tensor.values, fmt)
    out_abs = np.abs(out)
    out_finite = np.isfinite(out)
    n_out_finite = int(np.count_nonzero(out_finite))
    n_out_zero = tensor.n - int(np.count_nonzero(out))
    n_in_zero = tensor.n_finite - tensor.n_nonzero
    n_below_normal = int(np.count_nonzero(out_abs < fmt.smallest_normal))  # zeros too, not NaN
    if exact:
        sqnr = math.inf if tensor.n_finite else math.nan
    elif n_out_finite == tensor.n:
        sqnr = _sqnr_finite(tensor.values, out, tensor.peak, tensor.signal)
    else:
        sqnr = _sqnr_finite(tensor.values[out_finite], out[out_finite], tensor.peak)
    return CastReport(
        format=fmt.name,
        n=tensor.n,
        n_finite=tensor.n_finite,
        n_nonzero=tensor.n_nonzero,
        frac_nonfinite_in=_fraction(tensor.n - tensor.n_finite, tensor.n),
        frac_overflow=_fraction(tensor.n_finite - n_out_finite, tensor.n_finite),
        frac_flushed_to_zero=_fraction(n_out_zero - n_in_zero, tensor.n_nonzero),
        frac_subnormal=_fraction(n_below_normal - n_out_zero, tensor.n_nonzero),
        sqnr_db=sqnr,
        max_abs_in=tensor.max_abs,
        max_abs_out=float(np.fmax.reduce(out_abs)),  # fmax skips NaN; NaN only if all NaN
    )


def cast_report(x: object, fmt_name: str) -> CastReport:
    """Cast ``x`` to a floating-point format and back, and count what broke.

    Overflow = finite input that became inf or NaN; flushed = nonzero input that became 0;
    subnormal = nonzero result below the smallest normal. Non-finite inputs are counted in
    ``frac_nonfinite_in`` only. Never warns, never raises on inf/NaN.
    """
    check_choice("fmt_name", fmt_name, FLOAT_FORMAT_NAMES)
    return _cast_report(_prepare("x", x), FORMATS[fmt_name])


# --- INT8 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Int8Report:
    """What symmetric absmax INT8 quantization did to an array.

    ``calibrated_on_input`` is True when the scale came from ``x`` itself (then nothing clips).
    Denominators: ``frac_clipped`` over finite entries, ``frac_zero`` over finite nonzero ones.
    """

    scale: float
    calibrated_on_input: bool
    n: int
    n_finite: int
    n_nonzero: int
    frac_nonfinite_in: float
    frac_zero: float
    frac_clipped: float
    levels_used: int
    sqnr_db: float
    max_abs_in: float


def _absmax_scale(tensor: _Tensor) -> float:
    """max |finite x| / 127; 1.0 for an all-zero (or all non-finite) tensor, where any positive
    scale quantizes every value to 0 exactly."""
    scale = tensor.peak / INT8.qmax
    return scale if scale > 0.0 else 1.0


def _check_scale(scale: object) -> float:
    return check_float("scale", scale, 0.0, None, low_inclusive=False)


def _levels(values: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(x / scale, clip(round(x / scale), -127, 127)) in float64; NaN -> 0, +-inf -> +-127."""
    with np.errstate(all="ignore"):
        ratio = values / scale
        levels = np.rint(ratio)
        np.clip(levels, INT8.qmin, INT8.qmax, out=levels)
        levels[np.isnan(levels)] = 0.0
    return ratio, levels


def int8_quantize(x: object, scale: float | None = None) -> tuple[np.ndarray, float]:
    """Symmetric per-tensor INT8: (q, scale), q = clip(round(x / scale), -127, 127).

    ``scale=None`` calibrates on ``x``: scale = max|x| / 127 over the finite entries (1.0 for an
    all-zero tensor). NaN quantizes to 0 and +-inf to +-127. Rounding is half-to-even (np.rint).
    """
    x64 = _as_real_array("x", x)
    used = _absmax_scale(_prepare("x", x64)) if scale is None else _check_scale(scale)
    return _levels(x64, used)[1].astype(np.int8), used


def int8_dequantize(q: object, scale: float) -> np.ndarray:
    """The float64 values q * scale that INT8 levels stand for."""
    levels = np.asarray(q)
    if levels.dtype.kind not in "iu" or levels.size == 0:
        raise ValueError(f"q must be a non-empty integer array; got dtype {levels.dtype}")
    return levels.astype(np.float64) * _check_scale(scale)


def _int8_report(tensor: _Tensor, scale: float | None) -> Int8Report:
    used = _absmax_scale(tensor) if scale is None else scale
    ratio, levels = _levels(tensor.values, used)
    n_inf = tensor.n - tensor.n_finite - tensor.n_nan
    # Zero levels come from zero inputs, NaN inputs and rounded-away nonzero values; |ratio|
    # above 127.5 from clipped finite values and from inf inputs.
    n_level_zero = tensor.n - int(np.count_nonzero(levels))
    n_rounded_away = n_level_zero - (tensor.n_finite - tensor.n_nonzero) - tensor.n_nan
    n_clipped = int(np.count_nonzero(np.abs(ratio) > INT8.qmax + 0.5)) - n_inf
    counts = np.bincount(levels.astype(np.int8).view(np.uint8), minlength=256)
    dequantized = levels * used
    peak = max(tensor.peak, INT8.qmax * used)  # bounds |x| and |q * scale|
    if tensor.finite is None:
        sqnr = _sqnr_finite(tensor.values, dequantized, peak, tensor.signal)
    else:
        sqnr = _sqnr_finite(tensor.values[tensor.finite], dequantized[tensor.finite], peak)
    return Int8Report(
        scale=used,
        calibrated_on_input=scale is None,
        n=tensor.n,
        n_finite=tensor.n_finite,
        n_nonzero=tensor.n_nonzero,
        frac_nonfinite_in=_fraction(tensor.n - tensor.n_finite, tensor.n),
        frac_zero=_fraction(n_rounded_away, tensor.n_nonzero),
        frac_clipped=_fraction(n_clipped, tensor.n_finite),
        levels_used=int(np.count_nonzero(counts)),
        sqnr_db=sqnr,
        max_abs_in=tensor.max_abs,
    )


def int8_report(x: object, scale: float | None = None) -> Int8Report:
    """Quantize ``x`` to INT8 (scale from ``x`` when None) and measure the damage.

    frac_zero: nonzero inputs that became level 0; frac_clipped: |x / scale| > 127.5 (only
    possible with a given scale); levels_used: distinct levels; sqnr_db over finite inputs.
    """
    tensor = _prepare("x", x)
    return _int8_report(tensor, None if scale is None else _check_scale(scale))


# --- per-layer analysis ---------------------------------------------------------------------


@dataclass(frozen=True)
class LayerFormatReport:
    """One layer's activations in every format: ``casts[name]`` per float format, ``int8``."""

    layer: int
    max_abs: float
    casts: dict[str, CastReport]
    int8: Int8Report
    calibration: str


def _check_layer_list(activations: object) -> None:
    """``activations`` must be a non-empty list (or tuple) of per-layer arrays."""
    if isinstance(activations, np.ndarray) or not isinstance(activations, Sequence):
        raise ValueError(
            "activations must be a non-empty list of arrays (one per layer); "
            f"got {type(activations).__name__}"
        )
    if len(activations) == 0:
        raise ValueError("activations must be a non-empty list of arrays (one per layer); got []")


def _analyze(
    activations: Sequence[object], calibration: str, percentile: float | None
) -> tuple[list[LayerFormatReport], list[LayerRange]]:
    """Reports (and, with a percentile, ranges) of every layer, preparing each layer once."""
    check_choice("calibration", calibration, CALIBRATIONS)
    if percentile is not None:
        percentile = check_float("percentile", percentile, 0.0, 100.0)
    _check_layer_list(activations)
    # One layer at a time: a float64 copy of every layer at once would cost L x its size.
    first = _prepare("activations[0]", activations[0])
    fixed_scale = _absmax_scale(first) if calibration == "first_layer" else None
    reports, ranges = [], []
    for index, layer in enumerate(activations):
        tensor = first if index == 0 else _prepare(f"activations[{index}]", layer)
        reports.append(
            LayerFormatReport(
                layer=index + 1,
                max_abs=tensor.max_abs,
                casts={name: _cast_report(tensor, fmt) for name, fmt in FORMATS.items()},
                int8=_int8_report(tensor, fixed_scale),
                calibration=calibration,
            )
        )
        if percentile is not None:
            ranges.append(_layer_range(index, tensor, percentile))
        first = tensor = None  # type: ignore[assignment]  # free the float64 copy
    return reports, ranges


def analyze_layers(
    activations: Sequence[object], calibration: Calibration = "per_layer"
) -> list[LayerFormatReport]:
    """Report every float format and INT8 for each layer's activations [a_1, ..., a_L].

    ``calibration="per_layer"`` gives each layer its own absmax INT8 scale; ``"first_layer"``
    calibrates once on layer 1 (activations[0]) and reuses it, as static post-training
    quantization does: a vanishing later layer then rounds to zero and an exploding one clips.
    """
    return _analyze(activations, calibration, None)[0]


def analyze_activations(
    activations: Sequence[object],
    calibration: Calibration = "per_layer",
    percentile: float = LOW_PERCENTILE,
) -> tuple[list[LayerFormatReport], list[LayerRange]]:
    """``analyze_layers`` and ``activation_ranges`` of the same layers in one pass, each layer
    converted to float64 once (peak memory: one layer's copies, see ANALYSIS_BYTES_PER_VALUE)."""
    return _analyze(activations, calibration, percentile)


def analysis_cost(layer_values: int, layers: int) -> Cost:
    """What ``analyze_activations`` costs for ``layers`` layers of ``layer_values`` values each,
    on top of the activations themselves (lab.budget's units): ANALYSIS_WORK_PER_VALUE
    multiply-add equivalents per value and ANALYSIS_BYTES_PER_VALUE bytes per value of one
    layer (it works on one layer at a time)."""
    layer_values = check_int("layer_values", layer_values, 1)
    layers = check_int("layers", layers, 1)
    return Cost(
        multiply_adds=ANALYSIS_WORK_PER_VALUE * layer_values * layers,
        peak_bytes=ANALYSIS_BYTES_PER_VALUE * layer_values,
    )


# --- the sentence ---------------------------------------------------------------------------


def _measured(value: float) -> str:
    """A measured magnitude, compact: 7.1e4, 4210, 0.0244, 3.2, 1.2e-9."""
    if not math.isfinite(value):
        return str(value)
    if value == 0.0:
        return "0"
    if 100.0 <= abs(value) < 1e4:
        return f"{value:.0f}"
    if 0.01 <= abs(value) < 100.0:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _limit(value: float, digits: int = 3) -> str:
    """A format constant: whole numbers in full (65504), others to ``digits`` significant
    digits (3.4e38, 6.1e-5)."""
    if value == int(value) and abs(value) < 1e6:
        return f"{value:.0f}"
    mantissa, _, exponent = f"{value:.{digits}g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def _percent(fraction: float) -> str:
    percent = 100.0 * fraction
    if percent < 1.0:
        return f"{percent:.2g}%"
    if percent < 99.5 or fraction == 1.0:
        return f"{percent:.0f}%"
    return f"{math.floor(percent * 10.0) / 10.0:.1f}%"


def _becomes(fmt: NumberFormat) -> str:
    """What an overflowing value becomes, by library where they differ: "inf", or for E4M3
    "NaN with ml_dtypes; PyTorch 2.12 and later saturate them to ±448 instead, which hides the
    overflow"."""
    if not fmt.saturated_by:
        return fmt.overflows_to
    return (
        f"{fmt.overflows_to} with ml_dtypes; {fmt.saturated_by} saturate them to "
        f"±{_limit(fmt.max)} instead, which hides the overflow"
    )


def _int8_label(calibration: str) -> str:
    where = "on layer 1" if calibration == "first_layer" else "per layer"
    return f"{INT8.label} (calibrated {where})"


def _layer_failure(
    report: LayerFormatReport, names: Sequence[str], zero_fraction: float, clip_fraction: float
) -> str | None:
    """The first thing that broke in this layer, in the order: non-finite input, float overflow
    (narrowest format first), INT8 clipping, loss to zero (floats, then INT8)."""
    layer = report.layer
    nonfinite = report.int8.frac_nonfinite_in
    if nonfinite > 0.0:
        return (
            f"The activations are already inf/NaN at layer {layer} ({_percent(nonfinite)} of "
            "the values): the forward pass itself overflowed"
        )
    floats = sorted((FORMATS[n] for n in names if n in FORMATS), key=lambda fmt: fmt.max)
    for fmt in floats:
        cast = report.casts[fmt.name]
        if cast.frac_overflow > 0.0:
            return (
                f"{fmt.label} overflows first, at layer {layer} (max |a| = "
                f"{_measured(cast.max_abs_in)} > {_limit(fmt.max)}): "
                f"{_percent(cast.frac_overflow)} of the values become {_becomes(fmt)}"
            )
    int8 = report.int8
    if INT8.name in names and int8.frac_clipped >= clip_fraction:
        ceiling = INT8.qmax * int8.scale
        return (
            f"{_int8_label(report.calibration)} clips {_percent(int8.frac_clipped)} of layer "
            f"{layer} (max |a| = {_measured(int8.max_abs_in)} > {INT8.qmax} x scale = "
            f"{_measured(ceiling)})"
        )
    for fmt in sorted(floats, key=lambda fmt: -fmt.smallest_subnormal):
        cast = report.casts[fmt.name]
        if cast.frac_flushed_to_zero >= zero_fraction:
            return (
                f"{fmt.label} loses {_percent(cast.frac_flushed_to_zero)} of layer {layer} to "
                f"zero (max |a| = {_measured(cast.max_abs_in)}; it flushes |a| up to "
                f"{_limit(fmt.flush_threshold)}, half its smallest subnormal "
                f"{_limit(fmt.smallest_subnormal)}, to 0)"
            )
    if INT8.name in names and int8.frac_zero >= zero_fraction:
        return (
            f"{_int8_label(report.calibration)} loses {_percent(int8.frac_zero)} of layer "
            f"{layer} to zero (max |a| = {_measured(int8.max_abs_in)}, half a step = "
            f"{_measured(int8.scale / 2.0)})"
        )
    return None


def first_failure(
    reports: Sequence[LayerFormatReport],
    formats: Sequence[str] | None = None,
    *,
    zero_fraction: float = FAILURE_ZERO_FRACTION,
    clip_fraction: float = FAILURE_CLIP_FRACTION,
) -> str | None:
    """One sentence on the earliest layer where a format breaks, or None if none does.

    Breaks: the input itself holds inf/NaN; any overflow of a float format; INT8 clipping at
    least ``clip_fraction`` of a layer; a format rounding at least ``zero_fraction`` of a layer's
    nonzero values to zero. ``formats`` restricts the check (names from ALL_FORMAT_NAMES).
    """
    if isinstance(formats, str):
        raise ValueError(f"formats must be a list of format names; got {formats!r}")
    names = ALL_FORMAT_NAMES if formats is None else tuple(formats)
    for name in names:
        check_choice("formats", name, ALL_FORMAT_NAMES)
    zero_fraction = check_float("zero_fraction", zero_fraction, 0.0, 1.0, low_inclusive=False)
    clip_fraction = check_float("clip_fraction", clip_fraction, 0.0, 1.0, low_inclusive=False)
    if isinstance(reports, np.ndarray) or not isinstance(reports, Sequence):
        raise ValueError(
            "reports must be a list of LayerFormatReport (from analyze_layers); "
            f"got {type(reports).__name__}"
        )
    for report in reports:
        if not isinstance(report, LayerFormatReport):
            raise ValueError(
                "reports must be a list of LayerFormatReport (from analyze_layers); "
                f"got an item of type {type(report).__name__}"
            )
    for report in sorted(reports, key=lambda r: r.layer):
        sentence = _layer_failure(report, names, zero_fraction, clip_fraction)
        if sentence is not None:
            return sentence
    return None


def no_failure_text(fmt_name: str) -> str:
    """What "nothing broke" means for one format, with first_failure's default thresholds."""
    check_choice("fmt_name", fmt_name, ALL_FORMAT_NAMES)
    zero = f"{FAILURE_ZERO_FRACTION:.0%}"
    if fmt_name == INT8.name:
        return (
            f"no layer clips {FAILURE_CLIP_FRACTION:.0%} or more of its values and none "
            f"loses {zero} or more to 0"
        )
    return f"nothing overflows and no layer loses {zero} or more of its values to 0"


# --- bands of the |a| axis -------------------------------------------------------------------

#: Zones of one format's |a| axis (format_zones, int8_zones), from the top down.
FORMAT_ZONES: tuple[str, ...] = ("overflow / clip", "represented", "subnormal", "lost to 0")
#: Zones of the dynamic-range bar (dynamic_range_bands), from the bottom up.
DYNAMIC_RANGE_ZONES: tuple[str, ...] = ("flush to 0", "subnormal", "normal", "overflow")


@dataclass(frozen=True)
class Band:
    """A stretch [low, high] of the |a| axis and what a format does to values in it.

    ``zone`` is one of FORMAT_ZONES or DYNAMIC_RANGE_ZONES; ``label`` the stretch in short
    ("≥ 65,520"); ``detail`` one sentence on what happens there (a chart's tooltip).
    """

    zone: str
    low: float
    high: float
    label: str
    detail: str


def _range_label(value: float, digits: int = 3) -> str:
    """A band edge for display: 65504 -> "65,504", 6.1e-05 -> "6.1e-5", 2.98e-08 -> "2.98e-8"."""
    if value >= 1.0 and value == int(value) and value < 1e6:
        return f"{value:,.0f}"
    return _limit(value, digits)


def _distinct_labels(low: float, high: float) -> tuple[str, str]:
    """Labels of two nearby edges with enough digits to tell them apart (FP32's max
    3.402823e38 and its overflow threshold 3.402824e38)."""
    digits = 3
    while _range_label(low, digits) == _range_label(high, digits) and digits < 17:
        digits += 1
    return _range_label(low, digits), _range_label(high, digits)


def _overflow_phrase(fmt: NumberFormat) -> str:
    """What a value beyond the overflow threshold does, by library where they differ."""
    if fmt.has_inf:
        return "overflows to inf"
    phrase = f"overflows: ml_dtypes casts it to {fmt.overflows_to} ({fmt.label} has no inf)"
    if fmt.saturated_by:
        phrase += (
            f", {fmt.saturated_by} saturate it to ±{_range_label(fmt.max)} instead, which hides "
            "the overflow"
        )
    return phrase


def _overflow_label(fmt: NumberFormat) -> str:
    """ "≥ 65,520" (the threshold itself overflows) or "> 464" (it rounds to max)."""
    sign = "≥" if fmt.overflows_at_threshold else ">"
    return f"{sign} {_distinct_labels(fmt.max, fmt.overflow_threshold)[1]}"


def _overflow_sentence(fmt: NumberFormat) -> str:
    """From the overflow threshold up a value overflows; between max and it, it rounds to max."""
    top, threshold = _distinct_labels(fmt.max, fmt.overflow_threshold)
    start = "from" if fmt.overflows_at_threshold else "above"
    return (
        f"{start} {threshold} (its max {top} plus half a step) a value {_overflow_phrase(fmt)}; "
        f"between {top} and {threshold} it rounds to {top}"
    )


def _subnormal_sentence(fmt: NumberFormat) -> str:
    tiny, flush = _range_label(fmt.smallest_subnormal), _range_label(fmt.flush_threshold)
    return (
        f"subnormal numbers, in steps of {tiny}: the smaller the value, the fewer significant "
        f"bits it keeps (precision loss); between {flush} and {tiny} a value rounds up to {tiny}"
    )


def _flush_sentence(fmt: NumberFormat) -> str:
    tiny, flush = _range_label(fmt.smallest_subnormal), _range_label(fmt.flush_threshold)
    return f"up to {flush}, half its smallest subnormal {tiny}, a value is flushed to 0"


def _normal_sentence(fmt: NumberFormat) -> str:
    return (
        f"normal numbers, {_range_label(fmt.smallest_normal)} to {_range_label(fmt.max)}, keep "
        f"all {fmt.significant_bits} significant bits"
    )


def _capital(sentence: str) -> str:
    """The sentence with its first letter upper-case (str.capitalize would lower the rest)."""
    return sentence[:1].upper() + sentence[1:]


def _check_axis(bottom: float, top: float) -> tuple[float, float]:
    bottom = check_float("bottom", bottom, 0.0, low_inclusive=False)
    top = check_float("top", top, bottom, low_inclusive=False)
    return bottom, top


def _clip_bands(bands: Sequence[Band], bottom: float, top: float) -> tuple[Band, ...]:
    """The bands cut to [bottom, top]; those left empty are dropped."""
    clipped = []
    for band in bands:
        low, high = max(band.low, bottom), min(band.high, top)
        if high > low:
            clipped.append(replace(band, low=low, high=high))
    return tuple(clipped)


def format_zones(fmt_name: str, bottom: float, top: float) -> tuple[Band, ...]:
    """The zones of a float format on an |a| axis from ``bottom`` to ``top`` (cut to it), as a
    round-to-nearest cast treats them: from the overflow threshold (max plus half a step) a
    value overflows (inf; NaN or saturation for E4M3, by library); from the smallest normal to
    the threshold it is represented as a normal number (rounding to max above max); from half
    the smallest subnormal it is a subnormal with fewer significant bits; up to that it is
    flushed to 0. Limits from FORMATS."""
    check_choice("fmt_name", fmt_name, FLOAT_FORMAT_NAMES)
    bottom, top = _check_axis(bottom, top)
    fmt = FORMATS[fmt_name]
    label, threshold, flush = fmt.label, fmt.overflow_threshold, fmt.flush_threshold
    normal = fmt.smallest_normal
    bands = (
        Band(
            FORMAT_ZONES[0],
            threshold,
            top,
            _overflow_label(fmt),
            f"{label}: {_overflow_sentence(fmt)}",
        ),
        Band(
            FORMAT_ZONES[1],
            normal,
            threshold,
            f"{_range_label(normal)} to {_range_label(fmt.max)}",
            f"{label}: {_normal_sentence(fmt)}",
        ),
        Band(
            FORMAT_ZONES[2],
            flush,
            normal,
            f"{_range_label(flush)} to {_range_label(normal)}",
            f"{label}: {_subnormal_sentence(fmt)}",
        ),
        Band(
            FORMAT_ZONES[3],
            bottom,
            flush,
            f"≤ {_range_label(flush)}",
            f"{label}: {_flush_sentence(fmt)}",
        ),
    )
    return _clip_bands(bands, bottom, top)


def int8_zones(scale: float, bottom: float, top: float) -> tuple[Band, ...]:
    """The zones of symmetric INT8 with ``scale`` on an |a| axis from ``bottom`` to ``top``
    (cut to it): above 127 x scale a value clips, from half a step up it keeps one of 255
    levels, below half a step it rounds to 0 (int8_range)."""
    low, high = int8_range(scale)
    bottom, top = _check_axis(bottom, top)
    where = f"{INT8.label} with scale {scale:.3g}"
    bands = (
        Band(FORMAT_ZONES[0], high, top, f"> {high:.3g}", f"{where}: clips above {high:.3g}"),
        Band(
            FORMAT_ZONES[1],
            low,
            high,
            f"{low:.3g} to {high:.3g}",
            f"{where}: {INT8.levels} levels up to {high:.3g}",
        ),
        Band(FORMAT_ZONES[3], bottom, low, f"< {low:.3g}", f"{where}: below {low:.3g} rounds to 0"),
    )
    return _clip_bands(bands, bottom, top)


def decade_below(value: float) -> float:
    """The power of ten one decade under the one at or below ``value`` (> 0): 0.3 -> 0.01."""
    value = check_float("value", value, 0.0, low_inclusive=False)
    return 10.0 ** (math.floor(math.log10(value)) - 1)


def decade_above(value: float) -> float:
    """The power of ten one decade over the one at or above ``value`` (> 0): 3 -> 100."""
    value = check_float("value", value, 0.0, low_inclusive=False)
    return 10.0 ** (math.ceil(math.log10(value)) + 1)


def on_log_axis(value: float) -> bool:
    """Whether a log axis can show ``value``: finite and > 0 (0, inf and NaN it cannot)."""
    return math.isfinite(value) and value > 0.0


@dataclass(frozen=True)
class DynamicRange:
    """One format's dynamic-range bar: the four DYNAMIC_RANGE_ZONES covering
    [axis_low, axis_high], named for what a cast does there (the stretches of format_zones).

    flush to 0: up to ``flush_threshold`` (half the smallest subnormal); subnormal: up to
    ``smallest_normal``, fewer significant bits (precision loss); normal: up to
    ``overflow_threshold`` (max plus half a step; values above max round to it); overflow:
    beyond, inf (E4M3: NaN with ml_dtypes, +-max with a saturating cast). ``epsilon`` is the
    step next to 1. ``description`` says the same in sentences.
    """

    format: str
    label: str
    flush_threshold: float
    smallest_normal: float
    max: float
    overflow_threshold: float
    epsilon: float
    axis_low: float
    axis_high: float
    bands: tuple[Band, ...]
    description: str


def dynamic_range_bands(fmt_name: str = "float16", values: Sequence[float] = ()) -> DynamicRange:
    """The bands of |a| the app draws on a log axis for one format, all from FORMATS.

    The axis runs from the power of ten at or below half the smallest subnormal to a decade
    above max, widened to a decade beyond every value in ``values`` that a log axis can show.
    """
    check_choice("fmt_name", fmt_name, FLOAT_FORMAT_NAMES)
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"values must be a list of magnitudes; got {values!r}")
    shown = [float(v) for v in values if on_log_axis(float(v))]
    fmt = FORMATS[fmt_name]
    flush, normal, threshold = fmt.flush_threshold, fmt.smallest_normal, fmt.overflow_threshold
    axis_low = min([10.0 ** math.floor(math.log10(flush)), *map(decade_below, shown)])
    axis_high = max([decade_above(fmt.max), *map(decade_above, shown)])
    zones, label = DYNAMIC_RANGE_ZONES, fmt.label
    normal_label = f"{_range_label(normal)} to {_range_label(fmt.max)}"
    return DynamicRange(
        format=fmt.name,
        label=label,
        flush_threshold=flush,
        smallest_normal=normal,
        max=fmt.max,
        overflow_threshold=threshold,
        epsilon=fmt.epsilon,
        axis_low=axis_low,
        axis_high=axis_high,
        bands=(
            Band(
                zones[0],
                axis_low,
                flush,
                f"≤ {_range_label(flush)}",
                f"{label}: {_flush_sentence(fmt)}",
            ),
            Band(
                zones[1],
                flush,
                normal,
                f"{_range_label(flush)} to {_range_label(normal)}",
                f"{label}: {_subnormal_sentence(fmt)}",
            ),
            Band(zones[2], normal, threshold, normal_label, f"{label}: {_normal_sentence(fmt)}"),
            Band(
                zones[3],
                threshold,
                axis_high,
                _overflow_label(fmt),
                f"{label}: {_overflow_sentence(fmt)}",
            ),
        ),
        description=(
            f"{label} stores {normal_label} as normal numbers, with {fmt.significant_bits} "
            f"significant bits. Below that come {_subnormal_sentence(fmt)}; "
            f"{_flush_sentence(fmt)}. {_capital(_overflow_sentence(fmt))}. Next to 1 its step is "
            f"{_range_label(fmt.epsilon)}: adding a value below half a step "
            f"({_range_label(fmt.epsilon / 2.0)}) to 1 leaves 1, though {label} stores that "
            "value on its own."
        ),
    )


def _overflow_result(fmt: NumberFormat) -> str:
    """What an overflowing cast gives: "inf", or "NaN (ml_dtypes); ±448 (PyTorch 2.12 and
    later)" where a library saturates."""
    if not fmt.saturated_by:
        return fmt.overflows_to
    return f"{fmt.overflows_to} (ml_dtypes); ±{_limit(fmt.max)} ({fmt.saturated_by})"


def format_band_table() -> list[dict]:
    """One row per float format (widest first) for a table of every format's range: name,
    label, bits, flush_to_zero_up_to (half the smallest subnormal), smallest_subnormal,
    smallest_normal, max, overflow_from (max plus half a step), overflow (what an overflowing
    cast gives, by library where they differ), epsilon, has_inf."""
    return [
        {
            "name": fmt.name,
            "label": fmt.label,
            "bits": fmt.bits,
            "flush_to_zero_up_to": fmt.flush_threshold,
            "smallest_subnormal": fmt.smallest_subnormal,
            "smallest_normal": fmt.smallest_normal,
            "max": fmt.max,
            "overflow_from": fmt.overflow_threshold,
            "overflow": _overflow_result(fmt),
            "epsilon": fmt.epsilon,
            "has_inf": fmt.has_inf,
        }
        for fmt in FORMATS.values()
    ]


# --- page support: activation ranges, INT8 range, SQNR examples -----------------------------


@dataclass(frozen=True)
class LayerRange:
    """Where one layer's activations lie on the |a| axis.

    max_abs: largest |a| ignoring NaN (inf if an entry overflowed; NaN if all are NaN).
    rms: sqrt(mean a^2) over the finite entries. low_percentile: the ``percentile``-th
    percentile of the finite nonzero |a| (numpy's linear interpolation), 0.0 when every finite
    entry is 0 and NaN when none is finite; min_nonzero: the smallest finite nonzero |a| (NaN
    when there is none). frac_zero: share of entries exactly 0; frac_nonfinite: share of inf/NaN
    entries (both over all entries).
    """

    layer: int
    max_abs: float
    rms: float
    low_percentile: float
    min_nonzero: float
    frac_zero: float
    frac_nonfinite: float
    percentile: float


def _root_mean_square(tensor: _Tensor) -> float:
    """sqrt(mean x^2) over the finite entries; rescaled by the peak when squares could leave
    float64's range (the same guard as the SQNR)."""
    if tensor.n_finite == 0:
        return math.nan
    if tensor.peak == 0.0:
        return 0.0
    if math.isfinite(tensor.signal):
        return math.sqrt(tensor.signal / tensor.n_finite)
    values = tensor.values if tensor.finite is None else tensor.values[tensor.finite]
    scaled = values / tensor.peak
    return tensor.peak * math.sqrt(float(np.dot(scaled, scaled)) / tensor.n_finite)


def _layer_range(index: int, tensor: _Tensor, percentile: float) -> LayerRange:
    values = tensor.values if tensor.finite is None else tensor.values[tensor.finite]
    magnitudes = np.abs(values[values != 0.0])
    if magnitudes.size:
        low = float(np.percentile(magnitudes, percentile))
        smallest = float(np.min(magnitudes))
    else:
        low = 0.0 if tensor.n_finite else math.nan
        smallest = math.nan
    return LayerRange(
        layer=index + 1,
        max_abs=tensor.max_abs,
        rms=_root_mean_square(tensor),
        low_percentile=low,
        min_nonzero=smallest,
        frac_zero=_fraction(tensor.n_finite - tensor.n_nonzero, tensor.n),
        frac_nonfinite=_fraction(tensor.n - tensor.n_finite, tensor.n),
        percentile=percentile,
    )


def activation_ranges(
    activations: Sequence[object], percentile: float = LOW_PERCENTILE
) -> list[LayerRange]:
    """Per layer [a_1, ..., a_L]: largest |a|, RMS and a low percentile of the nonzero |a|.

    The three magnitudes to set against a format's limits: overflow is decided by the largest
    value, flush-to-zero by the small ones (ReLU's exact zeros are left out: they stay 0 in
    every format), and the RMS is the typical scale (1 for a well-initialized layer, He et al.
    2015). Never warns on inf/NaN.
    """
    percentile = check_float("percentile", percentile, 0.0, 100.0)
    _check_layer_list(activations)
    return [
        _layer_range(index, _prepare(f"activations[{index}]", layer), percentile)
        for index, layer in enumerate(activations)
    ]


def int8_range(scale: float) -> tuple[float, float]:
    """(scale / 2, 127 x scale): the |x| that symmetric INT8 with this scale keeps.

    Below half a step round(x / scale) is 0 (the value is lost); above 127 x scale every value
    is stored as +-127 x scale, and int8_report counts it as clipped once the error exceeds half
    a step, beyond 127.5 x scale (Wu et al. 2020, symmetric absmax quantization).
    """
    scale = _check_scale(scale)
    return scale / 2.0, INT8.qmax * scale


def uniform_int8_sqnr_db() -> float:
    """10 log10(4 x 127^2) = 48.1 dB: INT8 absmax SQNR of a uniform signal.

    U(-m, m) has power m^2 / 3; the step is m / 127 and the rounding error is uniform on
    +-step/2, with power step^2 / 12; the ratio is 4 x 127^2 (reference.md, "Number formats").
    """
    return 10.0 * math.log10(4.0 * INT8.qmax**2)


def int8_sqnr_model_db(crest_factor: float) -> float:
    """10 log10(12 x 127^2 / c^2): INT8 absmax SQNR predicted from the crest factor
    c = max|x| / rms (uniform rounding noise step^2 / 12 with step = max|x| / 127).

    c = sqrt(3) gives the uniform signal's 48.1 dB; a Gaussian's c grows with the number of
    values (its maximum does), so its SQNR falls: ~39 dB at 10^6 values.
    """
    crest = check_float("crest_factor", crest_factor, 0.0, low_inclusive=False)
    return 10.0 * math.log10(12.0 * INT8.qmax**2 / crest**2)


@dataclass(frozen=True)
class SqnrExample:
    """INT8 absmax SQNR measured on one random signal, and the crest-factor prediction."""

    distribution: str
    samples: int
    sqnr_db: float
    crest_factor: float
    predicted_db: float


SQNR_DISTRIBUTIONS: tuple[str, ...] = ("uniform", "gaussian")
SQNR_EXAMPLE_SIZES: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)
MAX_SQNR_EXAMPLE_SIZE = 4_000_000


def int8_sqnr_examples(
    sizes: Sequence[int] = SQNR_EXAMPLE_SIZES, seed: int = 0
) -> list[SqnrExample]:
    """INT8 absmax SQNR of U(-1, 1) and N(0, 1) signals of each size, measured with int8_report.

    One generator ``numpy.random.default_rng(seed)`` draws, per size in order, the uniform then
    the Gaussian signal. The uniform signal stays at 48.1 dB; the Gaussian one loses SQNR as
    the batch grows, because its absmax (and so the step) grows while its RMS does not.
    """
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or len(sizes) == 0:
        raise ValueError(f"sizes must be a non-empty list of sample counts; got {sizes!r}")
    checked = [check_int("sizes", size, 2, MAX_SQNR_EXAMPLE_SIZE) for size in sizes]
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    examples = []
    for size in checked:
        signals = {"uniform": rng.uniform(-1.0, 1.0, size), "gaussian": rng.standard_normal(size)}
        for distribution in SQNR_DISTRIBUTIONS:
            tensor = _prepare("x", signals[distribution])
            crest = tensor.peak / _root_mean_square(tensor)
            examples.append(
                SqnrExample(
                    distribution=distribution,
                    samples=size,
                    sqnr_db=_int8_report(tensor, None).sqnr_db,
                    crest_factor=crest,
                    predicted_db=int8_sqnr_model_db(crest),
                )
            )
    return examples
