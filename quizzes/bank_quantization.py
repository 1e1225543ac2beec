"""Question templates on number formats and INT8 quantization.

Every answer comes from ``lab.formats``: format limits from ``FORMATS`` (read from
``ml_dtypes.finfo``: IEEE 754 binary16, and FP8 E4M3fn / E5M2 of Micikevicius et al. 2022),
what a value becomes from a real cast (``cast_roundtrip``), the INT8 absmax scale and levels
from ``int8_quantize`` (scale = max|x| / 127, q = round(x / scale); Wu et al. 2020) and the SQNR
of a uniform signal from ``int8_sqnr_model_db`` (rounding noise step^2 / 12 with crest factor
sqrt 3 for U(-m, m): 10 log10(4 * 127^2) = 48.1 dB). ``QUANTIZATION_TEMPLATES`` lists them in
quiz order.
"""

from __future__ import annotations

import math

import numpy as np

from lab.formats import FORMATS, INT8, cast_roundtrip, int8_quantize, int8_sqnr_model_db
from quizzes.questions import (
    ChoiceQuestion,
    Mistake,
    NumericQuestion,
    Params,
    format_value,
    tex_value,
)

TOPIC = "quantization"
#: Key of the simulation page the questions link to (lab.controls.registry).
PAGE_QUANT = "quantization"

FP16 = "float16"
E4M3 = "float8_e4m3fn"
E5M2 = "float8_e5m2"
#: Values above the FP16 maximum 65504 (they overflow) and above the E4M3 maximum 448.
FP16_OVERFLOW_VALUES = (65536.0, 66000.0, 70000.0, 80000.0, 100000.0, 250000.0)
E4M3_OVERFLOW_VALUES = (500.0, 512.0, 600.0, 1000.0, 2000.0, 10000.0)
#: Small values spanning FP16's flush-to-zero, subnormal and normal ranges (4e-8 lies between
#: 2^-25 and 2^-24 and rounds up to 2^-24; 1e-4 is a normal number).
FP16_SMALL_VALUES = (
    1e-9, 5e-9, 1e-8, 2e-8, 4e-8, 1e-7, 5e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 1e-3,
)  # fmt: skip
#: Calibration maxima for the INT8 questions, and the small activations as fractions of them.
INT8_MAX_ABS = (0.5, 1.0, 1.5, 2.0, 2.54, 3.0, 4.0, 5.0, 6.35, 8.0, 10.0, 12.7, 16.0, 20.0)
SMALL_FRACTIONS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.05)
#: Crest factor max|x| / RMS of a uniform U(-m, m) signal.
UNIFORM_CREST = math.sqrt(3.0)


def _pick(rng: np.random.Generator, values: tuple) -> object:
    item = values[int(rng.integers(len(values)))]
    return item.item() if isinstance(item, np.generic) else item


def _fmt(value: float) -> str:
    return format_value(value, 6)


def _cast(value: float, fmt_name: str) -> float:
    return float(cast_roundtrip(np.array([value]), fmt_name)[0])


def _quant_link(p: Params) -> dict[str, object]:
    """N(0, 1) weights and ReLU: activations that grow past the FP16 and FP8 maxima."""
    return {"init": "large_random", "activation": "relu"}


def _small_link(p: Params) -> dict[str, object]:
    """N(0, 0.01²) weights and ReLU: activations that shrink into the subnormals and to 0."""
    return {"init": "small_random", "activation": "relu"}


#: The link's help for questions about one value: the page casts a network's activations.
VALUE_NOTE = (
    "Opens the simulation with a network's activations in every format; the page has no "
    "control for this question's numbers."
)


# --- format limits -------------------------------------------------------------------------


def fp16_max(p: Params) -> float:
    """Largest finite float16 (``ml_dtypes.finfo``): 65504."""
    return FORMATS[FP16].max


FP16_MAX = NumericQuestion(
    id="fp16_max",
    topic=TOPIC,
    title="Largest FP16 number",
    difficulty=1,
    prompt="What is the **largest finite number** an IEEE float16 (FP16, half precision) holds?",
    answer=fp16_max,
    rel_tol=1e-4,
    tolerance_text="within 0.01%",
    explanation=lambda p: (
        "FP16 has 5 exponent bits (bias 15, top exponent 15 for normal numbers) and 10 "
        r"fraction bits: $(2 - 2^{-10}) \cdot 2^{15} = "
        rf"{_fmt(fp16_max(p))}$. A cast rounds to the nearest number, so values up to "
        f"{_fmt(FORMATS[FP16].overflow_threshold)} (the max plus half a step) round down to it; "
        "from there on they become inf."
    ),
    mistakes=(
        Mistake(
            "uint16_max",
            lambda p: 2.0**16 - 1,
            "65535 (about 2^16) is the largest 16-bit unsigned integer. A float spends bits "
            "on the exponent and the sign, and its top exponent is 2^15.",
        ),
        Mistake(
            "int16_max",
            lambda p: 2.0**15 - 1,
            "32767 is the largest signed 16-bit integer, a different format.",
        ),
        Mistake(
            "float32_max",
            lambda p: FORMATS["float32"].max,
            "That is the float32 maximum (also about bfloat16's). FP16 has only 5 exponent bits.",
        ),
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
)


def fp16_smallest_normal(p: Params) -> float:
    """Smallest positive normal float16: 2^-14 = 6.1035e-05."""
    return FORMATS[FP16].smallest_normal


FP16_MIN_NORMAL = NumericQuestion(
    id="fp16_smallest_normal",
    topic=TOPIC,
    title="Smallest normal FP16 number",
    difficulty=2,
    prompt=(
        "What is the **smallest positive normal** float16 number? Below it FP16 keeps only "
        "subnormals, with fewer significant bits. (A power of two such as 2^20 is fine.)"
    ),
    answer=fp16_smallest_normal,
    explanation=lambda p: (
        r"The smallest normal exponent is $1 - 15 = -14$: $2^{-14} = "
        rf"{tex_value(fp16_smallest_normal(p))}$. Below it, subnormals in steps of $2^{{-24}} = "
        rf"{tex_value(FORMATS[FP16].smallest_subnormal, 3)}$ keep fewer significant bits. "
        rf"A value up to half a step, $2^{{-25}} = "
        rf"{tex_value(FORMATS[FP16].flush_threshold, 3)}$, is flushed to 0; one between "
        r"$2^{-25}$ and $2^{-24}$ rounds up to $2^{-24}$."
    ),
    mistakes=(
        Mistake(
            "smallest_subnormal",
            lambda p: FORMATS[FP16].smallest_subnormal,
            "That is the smallest subnormal. Normal numbers, with full precision, stop higher.",
        ),
        Mistake(
            "epsilon",
            lambda p: FORMATS[FP16].epsilon,
            "That is the machine epsilon 2^-10 (the gap after 1), not the smallest number.",
        ),
        Mistake(
            "bias_15",
            lambda p: 2.0**-15,
            "The exponent field 0 is reserved for subnormals: the smallest normal exponent is "
            "1 - 15 = -14.",
        ),
        Mistake(
            "float32_min",
            lambda p: FORMATS["float32"].smallest_normal,
            "That is float32's smallest normal. FP16 has a far narrower exponent range.",
        ),
    ),
    page=PAGE_QUANT,
    page_params=_small_link,
)


def e4m3_max(p: Params) -> float:
    """Largest finite FP8 E4M3fn value (``ml_dtypes.finfo``): 448."""
    return FORMATS[E4M3].max


E4M3_MAX = NumericQuestion(
    id="fp8_e4m3_max",
    topic=TOPIC,
    title="Largest FP8 E4M3 number",
    difficulty=2,
    prompt=(
        "FP8 **E4M3** (`float8_e4m3fn`: 4 exponent bits, 3 mantissa bits, no infinity) is used "
        "for activations and weights in FP8 training. What is its **largest finite value**?"
    ),
    answer=e4m3_max,
    explanation=lambda p: (
        "E4M3fn has no inf: only the all-ones pattern S.1111.111 is NaN, so the top exponent "
        r"8 still holds normal numbers up to $1.75 \cdot 2^8 = "
        rf"{_fmt(e4m3_max(p))}$."
    ),
    mistakes=(
        Mistake(
            "ieee_style",
            lambda p: 240.0,
            "240 would be the maximum if E4M3 reserved its top exponent for inf/NaN as IEEE "
            "formats do. E4M3fn keeps it for numbers.",
        ),
        Mistake(
            "nan_pattern",
            lambda p: 480.0,
            "1.875 x 2^8 = 480 is the all-ones pattern, which E4M3fn uses for NaN.",
        ),
        Mistake(
            "e5m2_max",
            lambda p: FORMATS[E5M2].max,
            "That is the maximum of E5M2, the format with 5 exponent bits (used for gradients).",
        ),
        Mistake(
            "int8_like",
            lambda p: 127.0,
            "127 is the INT8 maximum. A float format reaches further with its exponent.",
        ),
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
)


# --- what a value becomes ------------------------------------------------------------------

OUTCOME_OPTIONS = (
    ("inf", "inf: the value overflows to infinity"),
    ("nan", "NaN: the cast returns not-a-number"),
    ("max", "the largest finite value: it saturates"),
    ("same", "the same value: it fits in range"),
    ("wrap", "a wrapped-around value, as with integers"),
)


def cast_outcome(value: float, fmt_name: str) -> str:
    """Which of ``OUTCOME_OPTIONS`` a cast of ``value`` to the format gives (engine cast)."""
    out = _cast(value, fmt_name)
    if math.isnan(out):
        return "nan"
    if math.isinf(out):
        return "inf"
    if out == FORMATS[fmt_name].max and value > out:
        return "max"
    return "same" if out == value else "max"


def _fp16_outcome(p: Params) -> tuple[str, ...]:
    return (cast_outcome(p["value"], FP16),)


def _e4m3_outcome(p: Params) -> tuple[str, ...]:
    return (cast_outcome(p["value"], E4M3),)


def _outcome_mistakes(fmt_name: str, feedback: dict[str, str]) -> tuple[Mistake, ...]:
    def value(option: str):
        return lambda p: option if cast_outcome(p["value"], fmt_name) != option else None

    return tuple(
        Mistake(f"said_{option}", value(option), text) for option, text in feedback.items()
    )


FP16_OVERFLOW = ChoiceQuestion(
    id="fp16_overflow",
    topic=TOPIC,
    title="Too big for FP16",
    difficulty=1,
    prompt=lambda p: (
        f"An activation equal to {p['value']:,.0f} is cast to float16 "
        "(`np.float16(x)`, or autocast on a GPU). What does it become?"
    ),
    generate=lambda rng: {"value": _pick(rng, FP16_OVERFLOW_VALUES)},
    options=OUTCOME_OPTIONS,
    correct=_fp16_outcome,
    explanation=lambda p: (
        f"{p['value']:,.0f} is at least {_fmt(FORMATS[FP16].overflow_threshold)}, the FP16 "
        f"maximum {_fmt(FORMATS[FP16].max)} plus half a step, so round-to-nearest gives inf "
        "(numpy and PyTorch alike; a value between the two would round down to "
        f"{_fmt(FORMATS[FP16].max)}). The next operation may turn inf into NaN "
        "(inf - inf, 0 x inf)."
    ),
    mistakes=_outcome_mistakes(
        FP16,
        {
            "nan": "NaN is what FP8 E4M3fn gives with ml_dtypes, having no inf. FP16 has inf "
            "and overflows to it.",
            "max": "An FP16 cast does not saturate: only values less than half a step above "
            f"{_fmt(FORMATS[FP16].max)} (below {_fmt(FORMATS[FP16].overflow_threshold)}) round "
            "down to it; larger ones overflow. Clamping is something INT8 quantization does on "
            "purpose.",
            "same": "FP16 tops out at 65504: this value is not representable.",
            "wrap": "Floats do not wrap around like integers; they overflow to inf.",
        },
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
    page_note=VALUE_NOTE,
)

E4M3_OVERFLOW = ChoiceQuestion(
    id="fp8_e4m3_overflow",
    topic=TOPIC,
    title="Too big for FP8 E4M3",
    difficulty=2,
    prompt=lambda p: (
        f"A value of {p['value']:,.0f} is cast to FP8 E4M3 (`ml_dtypes.float8_e4m3fn`) "
        "without scaling. What does it become?"
    ),
    generate=lambda rng: {"value": _pick(rng, E4M3_OVERFLOW_VALUES)},
    options=OUTCOME_OPTIONS,
    correct=_e4m3_outcome,
    explanation=lambda p: (
        f"E4M3fn's largest value is {_fmt(FORMATS[E4M3].max)} and the format has no inf "
        f"('fn' = finite): ml_dtypes casts a value above {_fmt(FORMATS[E4M3].overflow_threshold)} "
        f"(the max plus half a step), such as {p['value']:,.0f}, to NaN. "
        f"{FORMATS[E4M3].saturated_by} saturate the same cast to ±{_fmt(FORMATS[E4M3].max)} "
        "instead (inf too): no NaN appears, and the overflow goes unnoticed. FP8 training "
        "therefore scales tensors into range first."
    ),
    mistakes=_outcome_mistakes(
        E4M3,
        {
            "inf": "E4M3fn has no infinity: its overflow value is NaN. (E5M2 does overflow to "
            "inf.)",
            "max": "Not with ml_dtypes, whose cast does not saturate. "
            f"{FORMATS[E4M3].saturated_by} do saturate this cast to ±{_fmt(FORMATS[E4M3].max)}, "
            "and there the overflow passes unseen: the value looks valid but is wrong.",
            "same": "E4M3 tops out at 448: this value is not representable.",
            "wrap": "Floats do not wrap around like integers.",
        },
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
    page_note=VALUE_NOTE,
)

SMALL_OPTIONS = (
    ("zero", "0: it underflows and rounds to zero"),
    ("subnormal", "a subnormal: kept, with fewer significant bits"),
    ("normal", "a normal number: kept with all 11 bits of precision"),
    ("nan", "NaN: so small a value has no representation"),
)
#: What each of ``SMALL_OPTIONS`` becomes, as feedback names it ("It does not become NaN").
SMALL_NAMES = {"zero": "0", "subnormal": "a subnormal", "normal": "a normal number", "nan": "NaN"}


def small_outcome(value: float) -> str:
    """zero, subnormal or normal: what a positive ``value`` becomes in float16 (engine cast)."""
    out = _cast(value, FP16)
    if math.isnan(out):
        return "nan"
    if out == 0.0:
        return "zero"
    return "subnormal" if out < FORMATS[FP16].smallest_normal else "normal"


def _small_feedback(chosen: str):
    def feedback(p: Params) -> str:
        fmt = FORMATS[FP16]
        return (
            f"It does not become {SMALL_NAMES[chosen]}: FP16 normals start at "
            f"{format_value(fmt.smallest_normal, 5)} and subnormals reach down to "
            f"{format_value(fmt.smallest_subnormal, 3)} (values below half of it round to 0). "
            f"Place {p['value']:g} in those ranges."
        )

    return feedback


FP16_UNDERFLOW = ChoiceQuestion(
    id="fp16_underflow",
    topic=TOPIC,
    title="Too small for FP16?",
    difficulty=2,
    prompt=lambda p: (
        f"A small activation (or gradient) of {p['value']:g} is cast to float16. What does it "
        "become?"
    ),
    generate=lambda rng: {"value": _pick(rng, FP16_SMALL_VALUES)},
    options=SMALL_OPTIONS,
    correct=lambda p: (small_outcome(p["value"]),),
    explanation=lambda p: (
        f"In FP16, {p['value']:g} becomes {format_value(_cast(p['value'], FP16), 5)} "
        f"({small_outcome(p['value'])}). Normals: |x| >= "
        f"{format_value(FORMATS[FP16].smallest_normal, 5)}; below, subnormals keep fewer "
        f"significant bits down to {format_value(FORMATS[FP16].smallest_subnormal, 3)}. A value "
        f"up to half of that, {format_value(FORMATS[FP16].flush_threshold, 3)}, is flushed to "
        "0; one between the two rounds up to the smallest subnormal. This is why "
        "mixed-precision training scales the loss up before the backward pass."
    ),
    mistakes=tuple(
        Mistake(
            f"said_{option}",
            (lambda o: lambda p: o if small_outcome(p["value"]) != o else None)(option),
            _small_feedback(option),
        )
        for option, _ in SMALL_OPTIONS
    ),
    page=PAGE_QUANT,
    page_params=_small_link,
    page_note=VALUE_NOTE,
)


# --- INT8 ----------------------------------------------------------------------------------


def _calibration(p: Params) -> np.ndarray:
    return np.array([p["max_abs"], -0.5 * p["max_abs"]])


def int8_scale(p: Params) -> float:
    """Absmax scale max|x| / 127 from ``lab.formats.int8_quantize``."""
    return int8_quantize(_calibration(p))[1]


INT8_SCALE = NumericQuestion(
    id="int8_scale",
    topic=TOPIC,
    title="INT8 scale from the max",
    difficulty=1,
    prompt=lambda p: (
        "A tensor is quantized to INT8 symmetrically with absmax calibration (levels -127 to "
        f"127). Its largest absolute value is {p['max_abs']:g}. What is the **scale** (the "
        "step between levels), so that x ≈ q · scale?"
    ),
    generate=lambda rng: {"max_abs": _pick(rng, INT8_MAX_ABS)},
    answer=int8_scale,
    rel_tol=0.002,
    tolerance_text="within 0.2%",
    explanation=lambda p: (
        rf"scale = max|x| / {INT8.qmax} = {p['max_abs']:g} / {INT8.qmax} = "
        rf"{_fmt(int8_scale(p))}, so max|x| maps to level {INT8.qmax}."
    ),
    mistakes=(
        Mistake(
            "divided_by_128",
            lambda p: p["max_abs"] / 128.0,
            "Symmetric INT8 uses -127..127 (the level -128 stays unused): divide by 127.",
        ),
        Mistake(
            "divided_by_255",
            lambda p: p["max_abs"] / 255.0,
            "255 is the number of levels. The positive half, 0..127, covers 0..max|x|.",
        ),
        Mistake(
            "divided_by_256",
            lambda p: p["max_abs"] / 256.0,
            "256 is the number of 8-bit patterns. Symmetric absmax divides max|x| by 127.",
        ),
        Mistake(
            "inverted",
            lambda p: INT8.qmax / p["max_abs"],
            "That is 1/scale, the factor from x to levels. The scale is max|x| / 127.",
        ),
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
    page_note=VALUE_NOTE,
)


def _small_generate(rng: np.random.Generator) -> Params:
    max_abs = _pick(rng, INT8_MAX_ABS)
    fraction = _pick(rng, SMALL_FRACTIONS)
    return {"max_abs": max_abs, "value": float(f"{max_abs * fraction:.4g}")}


def int8_level(p: Params) -> float:
    """q = round(x / scale) for x = ``value`` with the absmax scale of ``max_abs``."""
    levels, _ = int8_quantize(np.array([p["max_abs"], p["value"]]))
    return float(levels[1])


def _unrounded(p: Params) -> float | None:
    ratio = p["value"] / int8_scale(p)
    return ratio if abs(ratio - round(ratio)) > 1e-3 else None


def _truncated(p: Params) -> float | None:
    floor = float(math.floor(p["value"] / int8_scale(p)))
    return floor if floor != int8_level(p) else None


def _dequantized(p: Params) -> float | None:
    return int8_level(p) * int8_scale(p) if int8_level(p) != 0 else None


INT8_SMALL = NumericQuestion(
    id="int8_small_activation",
    topic=TOPIC,
    title="A small activation in INT8",
    difficulty=2,
    prompt=lambda p: (
        f"A layer's activations are quantized to INT8 with absmax calibration: max|x| = "
        f"{p['max_abs']:g}, levels -127..127. One activation equals {p['value']:g}. Which "
        "**integer level** q does it get?"
    ),
    generate=_small_generate,
    answer=int8_level,
    rel_tol=0.0,
    abs_tol=1e-6,
    tolerance_text="exactly (an integer level)",
    explanation=lambda p: (
        rf"scale = {p['max_abs']:g}/127 = {_fmt(int8_scale(p))}; "
        rf"q = round({p['value']:g} / {_fmt(int8_scale(p))}) = round("
        rf"{format_value(p['value'] / int8_scale(p), 4)}) = {int8_level(p):.0f}. "
        "An outlier that sets a large max|x| makes the step coarse, and small activations "
        "collapse onto 0."
    ),
    mistakes=(
        Mistake(
            "not_rounded",
            _unrounded,
            "That is x / scale before rounding. INT8 stores whole levels: round it.",
        ),
        Mistake(
            "truncated",
            _truncated,
            "You rounded down. Quantization rounds to the nearest level.",
        ),
        Mistake(
            "dequantized",
            _dequantized,
            "That is the value q · scale the level stands for. The question asks for q.",
        ),
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
    page_note=VALUE_NOTE,
)


def int8_uniform_sqnr(p: Params) -> float:
    """INT8 absmax SQNR of a uniform signal: ``int8_sqnr_model_db(sqrt 3)`` = 48.1 dB."""
    return int8_sqnr_model_db(UNIFORM_CREST)


INT8_SQNR = NumericQuestion(
    id="int8_uniform_sqnr",
    topic=TOPIC,
    title="SQNR of INT8 for a uniform signal",
    difficulty=3,
    prompt=(
        "A signal uniform on [-m, m] is quantized to INT8 with absmax calibration (scale "
        "m/127, round to nearest). The rounding error is uniform on ±scale/2. What is the "
        "signal-to-quantization-noise ratio **in dB**?"
    ),
    answer=int8_uniform_sqnr,
    rel_tol=0.0,
    abs_tol=0.3,
    tolerance_text="within 0.3 dB",
    explanation=lambda p: (
        r"Signal power $m^2/3$; noise power $\Delta^2/12$ with $\Delta = m/127$. Ratio "
        r"$4 \cdot 127^2$, and $10 \log_{10}(4 \cdot 127^2) = "
        rf"{format_value(int8_uniform_sqnr(p), 4)}$ dB. A Gaussian signal gets less, because "
        "its max is several standard deviations."
    ),
    mistakes=(
        Mistake(
            "sine_rule",
            lambda p: 6.02 * INT8.bits + 1.76,
            "6.02 b + 1.76 dB holds for a full-scale sine wave, not for a uniform signal.",
        ),
        Mistake(
            "amplitude_db",
            lambda p: 2.0 * int8_uniform_sqnr(p),
            "You used 20 log10 on a ratio of powers. Powers take 10 log10.",
        ),
        Mistake(
            "natural_log",
            lambda p: int8_uniform_sqnr(p) * math.log(10.0),
            "You used the natural log; decibels are base 10.",
        ),
        Mistake(
            "forgot_four",
            lambda p: int8_uniform_sqnr(p) - 10.0 * math.log10(4.0),
            "The ratio (m^2/3) / (Δ^2/12) is 4 · 127^2: the factor 4 is missing.",
        ),
    ),
    page=PAGE_QUANT,
    page_params=_quant_link,
)


QUANTIZATION_TEMPLATES: tuple[NumericQuestion | ChoiceQuestion, ...] = (
    FP16_MAX,
    FP16_MIN_NORMAL,
    FP16_OVERFLOW,
    FP16_UNDERFLOW,
    E4M3_MAX,
    E4M3_OVERFLOW,
    INT8_SCALE,
    INT8_SMALL,
    INT8_SQNR,
)
