"""Number formats and INT8: limits from ../shared/reference.md ("Number formats"), real casts,
SQNR against theory, per-layer analysis and its failure sentence."""

from __future__ import annotations

import math
import warnings

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab.formats import (
    DYNAMIC_RANGE_ZONES,
    FLOAT_FORMAT_NAMES,
    FORMAT_ZONES,
    FORMATS,
    INT8,
    LayerFormatReport,
    analyze_layers,
    cast_report,
    cast_roundtrip,
    decade_above,
    decade_below,
    dynamic_range_bands,
    first_failure,
    format_zones,
    int8_dequantize,
    int8_quantize,
    int8_report,
    int8_zones,
    on_log_axis,
    sqnr_db,
)

# --- the format table (reference.md, "Number formats") --------------------------------------


def test_float16_limits():
    fp16 = FORMATS["float16"]
    assert fp16.max == 65504.0
    assert fp16.smallest_normal == 6.103515625e-05
    assert fp16.smallest_subnormal == pytest.approx(5.96e-08, rel=1e-3)
    assert fp16.smallest_subnormal == 2.0**-24  # independent: 10 mantissa bits below 2^-14
    assert fp16.epsilon == 2.0**-10
    assert fp16.has_inf and fp16.bits == 16


def test_float16_70000_is_inf_and_counted_as_overflow():
    report = cast_report(np.array([70000.0]), "float16")
    assert report.frac_overflow == 1.0
    assert report.max_abs_out == math.inf
    assert np.isposinf(cast_roundtrip([70000.0], "float16")[0])


def test_bfloat16_limits():
    bf16 = FORMATS["bfloat16"]
    assert bf16.max == pytest.approx(3.39e38, rel=1e-3)
    assert bf16.smallest_normal == pytest.approx(1.18e-38, rel=5e-3)  # reference rounds to 3 digits
    assert bf16.smallest_subnormal == pytest.approx(9.18e-41, rel=1e-3)
    # Independent: 8 exponent bits like float32, 7 stored mantissa bits.
    assert bf16.max == (2.0 - 2.0**-7) * 2.0**127
    assert bf16.smallest_normal == 2.0**-126
    assert bf16.smallest_subnormal == 2.0**-133
    assert bf16.has_inf and bf16.bits == 16


def test_float8_e4m3fn_limits_and_nan_overflow():
    e4m3 = FORMATS["float8_e4m3fn"]
    assert e4m3.max == 448.0
    assert e4m3.smallest_normal == 2.0**-6
    assert e4m3.smallest_subnormal == 2.0**-9
    assert not e4m3.has_inf and e4m3.bits == 8
    report = cast_report(np.array([500.0]), "float8_e4m3fn")
    assert report.frac_overflow == 1.0
    assert np.isnan(cast_roundtrip([500.0], "float8_e4m3fn")[0])
    assert math.isnan(report.max_abs_out)  # the only output is NaN


def test_float8_e5m2_limits_and_inf_overflow():
    e5m2 = FORMATS["float8_e5m2"]
    assert e5m2.max == 57344.0
    assert e5m2.smallest_normal == 2.0**-14
    assert e5m2.smallest_subnormal == 2.0**-16
    assert e5m2.has_inf and e5m2.bits == 8
    assert np.isposinf(cast_roundtrip([70000.0], "float8_e5m2")[0])
    assert cast_report([70000.0, 1.0], "float8_e5m2").frac_overflow == 0.5


def test_float32_matches_numpy_finfo():
    info = np.finfo(np.float32)
    fp32 = FORMATS["float32"]
    assert fp32.max == float(info.max)
    assert fp32.smallest_normal == float(info.smallest_normal)
    assert fp32.smallest_subnormal == float(info.smallest_subnormal)
    assert fp32.epsilon == float(info.eps) == 2.0**-23


def test_int8_is_symmetric_127():
    assert (INT8.qmin, INT8.qmax, INT8.levels, INT8.bits) == (-127, 127, 255, 8)


# --- casts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FLOAT_FORMAT_NAMES)
def test_flush_to_zero_below_smallest_subnormal(name):
    fmt = FORMATS[name]
    # A quarter of the smallest subnormal rounds to 0; the smallest subnormal itself survives
    # as a subnormal, and so does twice it (every format has >= 2 mantissa bits, so 2 x the
    # smallest subnormal is below the smallest normal); the smallest normal and 1.0 are normal.
    x = np.array([0.25, -0.25, 1.0, 2.0]) * fmt.smallest_subnormal
    x = np.concatenate([x, [fmt.smallest_normal, 1.0]])
    report = cast_report(x, name)
    assert report.n_nonzero == 6
    assert report.frac_flushed_to_zero == pytest.approx(2 / 6)
    assert report.frac_subnormal == pytest.approx(2 / 6)
    assert report.frac_overflow == 0.0


def test_denominators_and_nonfinite_inputs():
    x = np.array([0.0, 0.0, 1e-9, 1.0, np.nan, np.inf])
    report = cast_report(x, "float16")
    assert (report.n, report.n_finite, report.n_nonzero) == (6, 4, 2)
    assert report.frac_nonfinite_in == pytest.approx(2 / 6)
    assert report.frac_flushed_to_zero == 0.5  # 1e-9 < 2^-25: flushed; 1.0 kept
    assert report.frac_overflow == 0.0  # inf was not finite to begin with
    assert report.max_abs_in == math.inf


def test_inf_input_into_e4m3fn_is_not_overflow():
    report = cast_report([np.inf, -np.inf, 1.0], "float8_e4m3fn")
    assert report.frac_overflow == 0.0
    assert report.frac_nonfinite_in == pytest.approx(2 / 3)
    assert report.sqnr_db == math.inf  # 1.0 is exact; the inf entries are excluded


def test_float64_beyond_float32_overflows_float32():
    report = cast_report([1e300, -1e39, 1.0], "float32")
    assert report.frac_overflow == pytest.approx(2 / 3)


def test_float32_input_is_exact_in_float32():
    x = np.random.default_rng(3).standard_normal(1000).astype(np.float32)
    report = cast_report(x, "float32")
    assert report.sqnr_db == math.inf
    assert report.frac_overflow == report.frac_flushed_to_zero == 0.0


def test_no_warnings_for_inf_nan_and_extremes():
    x = np.array([np.inf, -np.inf, np.nan, 1e300, -1e300, 1e-300, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in FLOAT_FORMAT_NAMES:
            report = cast_report(x, name)
            assert report.frac_nonfinite_in == pytest.approx(3 / 8)
        int8_report(x)
        int8_report(x, scale=1e-300)
        int8_quantize(x)
        reports = analyze_layers([x, x * 2.0, np.full(3, np.nan)], "first_layer")
        assert first_failure(reports).startswith("The activations are already inf/NaN at layer 1")
        assert math.isnan(cast_report([np.nan], "float16").sqnr_db)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 40),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    ),
    st.sampled_from(FLOAT_FORMAT_NAMES),
)
def test_cast_report_never_warns_and_fractions_are_fractions(x, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = cast_report(x, name)
    for fraction in (
        report.frac_nonfinite_in,
        report.frac_overflow,
        report.frac_flushed_to_zero,
        report.frac_subnormal,
    ):
        assert 0.0 <= fraction <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FLOAT_FORMAT_NAMES), st.floats(0.0, 1.0), st.booleans())
def test_normal_range_rounds_to_half_an_ulp(name, position, negative):
    fmt = FORMATS[name]
    # Log-uniform over the normal range [smallest_normal, max].
    low, high = math.log2(fmt.smallest_normal), math.log2(fmt.max)
    value = 2.0 ** (low + position * (high - low)) * (-1.0 if negative else 1.0)
    out = cast_roundtrip([value], name)[0]
    # Round to nearest: relative error <= eps/2; ml_dtypes rounds float64 via float32 first,
    # which can add at most half a float32 ulp (2^-24 relative).
    assert abs(out - value) <= (fmt.epsilon / 2 + 2.0**-24) * abs(value)


# --- SQNR -----------------------------------------------------------------------------------


def test_sqnr_by_hand():
    assert sqnr_db([3.0, 4.0], [3.0, 3.0]) == pytest.approx(10 * math.log10(25.0))
    # Non-finite entries are excluded; the ratio is scale-free even where squares overflow.
    assert sqnr_db([3.0, 4.0, np.inf], [3.0, 3.0, 5.0]) == pytest.approx(10 * math.log10(25.0))
    assert sqnr_db([3e200, 4e200], [3e200, 3e200]) == pytest.approx(10 * math.log10(25.0))
    assert sqnr_db([1.0, 2.0], [1.0, 2.0]) == math.inf
    assert sqnr_db([0.0, 0.0], [0.0, 1.0]) == -math.inf
    assert math.isnan(sqnr_db([np.nan], [1.0]))


def test_sqnr_survives_tiny_and_huge_magnitudes():
    # Everything flushes to zero in float32: the approximation is 0, so SQNR is exactly 0 dB.
    # Squaring 1e-200 directly would underflow to 0/0; the peak normalization keeps the ratio.
    assert cast_report([1e-200, -2e-200], "float32").sqnr_db == pytest.approx(0.0, abs=1e-12)
    # Absmax INT8 is scale-invariant: the same signal 1e200 times larger has the same SQNR.
    x = np.random.default_rng(9).standard_normal(1000)
    assert int8_report(x * 1e200).sqnr_db == pytest.approx(int8_report(x).sqnr_db, rel=1e-9)
    assert int8_report(x * 1e-200).sqnr_db == pytest.approx(int8_report(x).sqnr_db, rel=1e-9)


@pytest.mark.parametrize("name", FLOAT_FORMAT_NAMES)
def test_an_array_already_in_the_format_is_exact(name):
    x = np.random.default_rng(10).standard_normal(500).astype(FORMATS[name].dtype)
    report = cast_report(x, name)
    assert report.sqnr_db == math.inf
    assert report.frac_overflow == report.frac_flushed_to_zero == 0.0


def test_float16_sqnr_matches_a_direct_numpy_cast():
    x = np.random.default_rng(1).standard_normal(10_000)
    direct = x.astype(np.float16).astype(np.float64)
    expected = 10 * math.log10(np.sum(x**2) / np.sum((x - direct) ** 2))
    assert cast_report(x, "float16").sqnr_db == pytest.approx(expected, rel=1e-12)


# --- INT8 -----------------------------------------------------------------------------------


def test_int8_scale_is_max_abs_over_127_exactly():
    x = np.random.default_rng(2).standard_normal(5000) * 0.37
    q, scale = int8_quantize(x)
    assert scale == np.max(np.abs(x)) / 127
    assert q.dtype == np.int8
    np.testing.assert_array_equal(q, np.clip(np.rint(x / scale), -127, 127).astype(np.int8))
    assert abs(int(q[np.argmax(np.abs(x))])) == 127
    assert int8_report(x).scale == scale


def test_int8_given_scale_clips_and_rounds():
    q, scale = int8_quantize([1000.0, -1000.0, 0.5, 1.5, 126.6], scale=1.0)
    assert scale == 1.0
    assert q.tolist() == [127, -127, 0, 2, 127]  # np.rint: half to even
    report = int8_report([127.4, 127.6, -200.0, 1.0], scale=1.0)
    assert report.frac_clipped == 0.5  # 127.4 rounds to 127 without clipping
    assert not report.calibrated_on_input


def test_int8_error_is_at_most_half_a_step():
    x = np.random.default_rng(4).uniform(-3.0, 3.0, 2000)
    q, scale = int8_quantize(x)
    assert np.max(np.abs(x - int8_dequantize(q, scale))) <= scale / 2 * (1 + 1e-12)


def test_tiny_values_quantize_to_zero():
    x = np.array([1.0, 1e-4, -1e-4, 0.003, 0.0])
    q, scale = int8_quantize(x)
    assert q.tolist() == [127, 0, 0, 0, 0]  # all |x| < scale / 2 = 1/254
    report = int8_report(x)
    assert report.frac_zero == pytest.approx(3 / 4)  # over the 4 nonzero inputs
    assert report.levels_used == 2


def test_zero_tensor_has_scale_one_and_is_exact():
    q, scale = int8_quantize(np.zeros(10))
    assert scale == 1.0 and not q.any()
    report = int8_report(np.zeros(10))
    assert report.sqnr_db == math.inf and report.frac_zero == 0.0 and report.levels_used == 1


def test_int8_nonfinite_inputs():
    q, scale = int8_quantize([np.nan, np.inf, -np.inf, 2.0])
    assert scale == 2.0 / 127  # from the finite entries only
    assert q.tolist() == [0, 127, -127, 127]
    report = int8_report([np.nan, np.inf, 2.0, 1.0])
    assert report.frac_nonfinite_in == 0.5 and report.frac_clipped == 0.0


def test_levels_used_counts_distinct_levels():
    assert int8_report(np.linspace(-1.0, 1.0, 10_001)).levels_used == 255


def test_int8_uniform_sqnr_is_48_1_db():
    x = np.random.default_rng(5).uniform(-1.0, 1.0, 1_000_000)
    expected = 10 * math.log10(4 * 127**2)
    assert round(expected, 1) == 48.1
    # With the absmax scale a uniform signal's error is uniform on +-step/2 (also in the end
    # cells), so the only scatter is the noise-power estimate: relative standard error
    # sqrt(Var(e^2)) / E[e^2] / sqrt(N) = sqrt(1.8 / 1e6) = 0.13%, i.e. 0.006 dB. 0.05 dB is 8 SE.
    assert int8_report(x).sqnr_db == pytest.approx(expected, abs=0.05)


def test_int8_gaussian_absmax_sqnr_is_about_38_4_db():
    n = 2**22
    x = np.random.default_rng(6).standard_normal(n)
    measured = int8_report(x).sqnr_db
    # Independent model: noise step^2 / 12 with step = max|x| / 127, signal mean(x^2). The
    # noise-power estimate has relative SE sqrt(1.8 / 2^22) = 0.07% (0.003 dB); 0.02 dB is ~7 SE.
    peak = np.max(np.abs(x))
    predicted = 10 * math.log10(np.mean(x**2) * 12 * 127**2 / peak**2)
    assert measured == pytest.approx(predicted, abs=0.02)
    # The reference's 38.4 dB fits N ~ 4e6: the median absmax of 2^22 normals is ~5.23 std,
    # giving 38.5 dB. That absmax scatters by ~0.23 std between seeds (Gumbel, scale
    # 1/sqrt(2 ln 2N)), i.e. ~0.4 dB of SQNR; 0.8 dB is about 2 of those.
    assert measured == pytest.approx(38.4, abs=0.8)


# --- per-layer analysis ---------------------------------------------------------------------


def _gaussian_layers(stds, seed=7, shape=(2000, 64)):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * s for s in stds]


def test_analyze_layers_structure_and_per_layer_scales():
    layers = _gaussian_layers([1.0, 0.5, 2.0], shape=(100, 8))
    reports = analyze_layers(layers)
    assert [r.layer for r in reports] == [1, 2, 3]
    for report, a in zip(reports, layers, strict=True):
        assert set(report.casts) == set(FLOAT_FORMAT_NAMES)
        assert report.calibration == "per_layer"
        assert report.int8.scale == np.max(np.abs(a)) / 127
        assert report.int8.frac_clipped == 0.0
        assert report.max_abs == np.max(np.abs(a))
    fixed = analyze_layers(layers, calibration="first_layer")
    assert {r.int8.scale for r in fixed} == {np.max(np.abs(layers[0])) / 127}


def test_first_layer_calibration_clips_an_exploding_layer():
    layers = _gaussian_layers([1.0, 10.0])
    per_layer = analyze_layers(layers)
    fixed = analyze_layers(layers, "first_layer")
    # Ceiling 127 x scale = max|a_1| ~ 4.6; layer 2 has std 10: P(|z| > 0.46) ~ 65% clip.
    assert per_layer[1].int8.frac_clipped == 0.0
    assert fixed[1].int8.frac_clipped > 0.5
    sentence = first_failure(fixed, ["int8"])
    assert sentence.startswith("INT8 (calibrated on layer 1) clips")
    assert "of layer 2" in sentence
    assert first_failure(per_layer, ["int8"]) is None


def test_first_layer_calibration_loses_a_vanishing_layer_to_zero():
    layers = _gaussian_layers([1.0, 0.01])
    fixed = analyze_layers(layers, "first_layer")
    per_layer = analyze_layers(layers)
    # Half a step ~ 4.6 / 254 = 0.018 = 1.8 std of layer 2: P(|z| < 1.8) ~ 93% round to 0.
    assert fixed[1].int8.frac_zero > 0.9
    # Per-layer absmax keeps all but P(|z| < ~4.6/254) ~ 1.5% of values.
    assert per_layer[1].int8.frac_zero < 0.05
    sentence = first_failure(fixed)
    percent = f"{100 * fixed[1].int8.frac_zero:.0f}%"
    assert sentence.startswith(f"INT8 (calibrated on layer 1) loses {percent} of layer 2 to zero")
    assert first_failure(per_layer) is None


def test_fp16_overflow_sentence():
    rng = np.random.default_rng(8)
    layer2 = rng.standard_normal(100)
    layer2[17] = 7.1e4
    reports = analyze_layers([rng.standard_normal(100), layer2])
    assert first_failure(reports, ["float16"]) == (
        "FP16 overflows first, at layer 2 (max |a| = 7.1e4 > 65504): 1% of the values become inf"
    )
    # With every format considered, the narrowest (E4M3, max 448) is named, and it gives NaN.
    assert first_failure(reports).startswith(
        "FP8 E4M3 overflows first, at layer 2 (max |a| = 7.1e4 > 448)"
    )
    # ml_dtypes' NaN, and the saturating cast that would hide it.
    assert first_failure(reports).endswith(
        "become NaN with ml_dtypes; PyTorch 2.12 and later saturate them to ±448 instead, "
        "which hides the overflow"
    )


def test_fp16_loses_a_vanishing_layer_to_zero():
    # std 1e-9 lies below half of FP16's smallest subnormal (2^-25 = 3e-8) for nearly all values.
    reports = analyze_layers(_gaussian_layers([1.0, 1e-9], shape=(500, 8)))
    assert reports[1].casts["float16"].frac_flushed_to_zero > 0.99
    assert reports[1].casts["float32"].frac_flushed_to_zero == 0.0
    sentence = first_failure(reports, ["float16", "float32"])
    assert sentence.startswith("FP16 loses ")
    assert "of layer 2 to zero" in sentence
    assert sentence.endswith(
        "it flushes |a| up to 2.98e-8, half its smallest subnormal 5.96e-8, to 0)"
    )


def test_healthy_unit_layers_do_not_fail():
    # Unit-variance layers: max |a| ~ 4.5 << 448; E4M3 flushes |a| < 2^-10, P ~ 0.08% << 10%.
    layers = _gaussian_layers([1.0, 1.0, 1.0, 1.0], shape=(1000, 64))
    assert first_failure(analyze_layers(layers)) is None
    assert first_failure(analyze_layers(layers, "first_layer")) is None
    assert first_failure([]) is None


def test_analyze_layers_accepts_float32_activations():
    layers = [a.astype(np.float32) for a in _gaussian_layers([1.0, 3.0], shape=(50, 4))]
    reports = analyze_layers(layers)
    assert reports[0].casts["float32"].sqnr_db == math.inf
    assert isinstance(reports[0], LayerFormatReport)


# --- bands of the |a| axis -----------------------------------------------------------------


def test_float16_dynamic_range_bar():
    bar = dynamic_range_bands()
    assert bar.epsilon == 2.0**-10 == pytest.approx(0.000977, rel=1e-3)
    assert (bar.flush_threshold, bar.smallest_normal) == (2.0**-25, 2.0**-14)
    assert (bar.max, bar.overflow_threshold) == (65504.0, 65520.0)
    assert [band.zone for band in bar.bands] == ["flush to 0", "subnormal", "normal", "overflow"]
    assert [band.label for band in bar.bands] == [
        "≤ 2.98e-8",
        "2.98e-8 to 6.1e-5",
        "6.1e-5 to 65,504",
        "≥ 65,520",
    ]
    assert (bar.axis_low, bar.axis_high) == (1e-8, 1e6)  # 2.98e-8 and 65504, widened
    assert bar.description == (
        "FP16 stores 6.1e-5 to 65,504 as normal numbers, with 11 significant bits. Below that "
        "come subnormal numbers, in steps of 5.96e-8: the smaller the value, the fewer "
        "significant bits it keeps (precision loss); between 2.98e-8 and 5.96e-8 a value "
        "rounds up to 5.96e-8; up to 2.98e-8, half its smallest subnormal 5.96e-8, a value is "
        "flushed to 0. From 65,520 (its max 65,504 plus half a step) a value overflows to inf; "
        "between 65,504 and 65,520 it rounds to 65,504. Next to 1 its step is 0.000977: adding "
        "a value below half a step (0.000488) to 1 leaves 1, though FP16 stores that value on "
        "its own."
    )


def _zone_of(bands, value: float) -> str:
    """The zone of the band that holds ``value`` (bands touch: the lower one wins a tie)."""
    return next(band.zone for band in bands if band.low <= value <= band.high)


def test_fp16_bar_names_what_a_real_cast_does():
    # reference.md, "More verified facts": numpy's float16 cast, written out value by value.
    bar = dynamic_range_bands().bands
    assert float(np.float16(1e-4)) == pytest.approx(1e-4, rel=1e-3)
    assert np.float16(1e-4) >= np.finfo(np.float16).smallest_normal  # a normal number
    assert cast_report([1e-4], "float16").frac_subnormal == 0.0
    assert _zone_of(bar, 1e-4) == "normal"  # not "underflow": FP16 stores it in full
    tiny = 2.0**-24
    assert float(np.float16(0.6 * tiny)) == tiny  # rounds up to the smallest subnormal
    assert _zone_of(bar, 0.6 * tiny) == "subnormal"
    assert float(np.float16(0.5 * tiny)) == 0.0  # the tie goes to the even 0
    assert _zone_of(bar, 0.4 * tiny) == "flush to 0"
    assert float(np.float16(65519.0)) == 65504.0  # rounds to max, not inf
    assert _zone_of(bar, 65519.0) == "normal"
    with np.errstate(over="ignore"):
        assert np.isposinf(np.float16(65520.0))
    assert _zone_of(bar, 65520.0 * (1 + 1e-9)) == "overflow"
    with np.errstate(over="ignore"):
        for value in (65519.0, 65520.0):
            assert cast_roundtrip([value], "float16")[0] == float(np.float16(value))


@pytest.mark.parametrize("name", FLOAT_FORMAT_NAMES)
def test_thresholds_agree_with_real_casts(name):
    fmt = FORMATS[name]
    top, threshold = fmt.max, fmt.overflow_threshold
    tiny, flush = fmt.smallest_subnormal, fmt.flush_threshold
    between, beyond = (top + threshold) / 2, threshold + (threshold - top) / 2
    out = cast_roundtrip([between, threshold, beyond, flush / 2, flush, (flush + tiny) / 2], name)
    assert out[0] == top  # round to max
    assert math.isfinite(out[1]) != fmt.overflows_at_threshold  # ties to even
    assert not math.isfinite(out[2])  # overflow: inf, or NaN for E4M3 with ml_dtypes
    assert (out[3], out[4], out[5]) == (0.0, 0.0, tiny)  # flushed, tie to 0, rounded up
    assert fmt.overflows_at_threshold == (name != "float8_e4m3fn")  # 464 rounds to even 448


def test_e4m3_overflow_is_nan_with_ml_dtypes_and_names_the_saturating_cast():
    e4m3 = FORMATS["float8_e4m3fn"]
    assert np.isnan(float(np.array([500.0]).astype(ml_dtypes.float8_e4m3fn)[0]))
    assert np.isnan(cast_roundtrip([500.0], "float8_e4m3fn")[0])
    assert cast_roundtrip([464.0], "float8_e4m3fn")[0] == 448.0
    assert e4m3.overflow_threshold == 464.0 and e4m3.saturated_by == "PyTorch 2.12 and later"
    zones = {band.zone: band for band in format_zones("float8_e4m3fn", 1e-3, 1e4)}
    overflow = zones["overflow / clip"]
    assert overflow.label == "> 464" and overflow.low == 464.0
    assert "ml_dtypes casts it to NaN" in overflow.detail
    assert "saturate it to ±448 instead, which hides the overflow" in overflow.detail
    # Formats with inf overflow to it in every library: no saturation is claimed.
    assert all(FORMATS[n].saturated_by == "" for n in FLOAT_FORMAT_NAMES if FORMATS[n].has_inf)
    assert "saturate" not in format_zones("float16", 1e-3, 1e6)[0].detail


@pytest.mark.parametrize("name", FLOAT_FORMAT_NAMES)
def test_bars_cover_their_axis_and_follow_the_format(name):
    fmt = FORMATS[name]
    bar = dynamic_range_bands(name)
    edges = [(b.low, b.high) for b in bar.bands]
    assert [b.zone for b in bar.bands] == list(DYNAMIC_RANGE_ZONES)
    assert edges[0][0] == bar.axis_low <= fmt.flush_threshold == edges[0][1]
    assert edges[1][1] == fmt.smallest_normal and edges[-1][0] == fmt.overflow_threshold
    assert edges[-1][1] == bar.axis_high > fmt.max
    for (low, high), (next_low, _) in zip(edges, edges[1:], strict=False):
        assert low < high == next_low
    expected = "overflows to inf" if fmt.has_inf else "ml_dtypes casts it to NaN"
    assert expected in bar.description


def test_a_bar_widens_to_the_values_it_must_show():
    bar = dynamic_range_bands("float16", [3e-12, 0.0, math.inf, math.nan, 2e9])
    assert (bar.axis_low, bar.axis_high) == pytest.approx((1e-13, 1e11), rel=1e-12)
    assert bar.bands[0].low == bar.axis_low and bar.bands[-1].high == bar.axis_high


@pytest.mark.parametrize("name", FLOAT_FORMAT_NAMES)
def test_format_zones_agree_with_real_casts(name):
    zones = {band.zone: band for band in format_zones(name, 1e-50, 1e50)}
    assert list(zones) == list(FORMAT_ZONES)

    def middle(band):  # the geometric middle of a zone
        return math.sqrt(band.low * band.high)

    assert cast_report([middle(zones["overflow / clip"])], name).frac_overflow == 1.0
    assert cast_report([middle(zones["represented"])], name).frac_subnormal == 0.0
    assert cast_report([middle(zones["subnormal"])], name).frac_subnormal == 1.0
    lost = cast_report([zones["lost to 0"].high / 4], name)  # a quarter of the smallest subnormal
    assert lost.frac_flushed_to_zero == 1.0


def test_zones_are_cut_to_the_axis():
    zones = format_zones("float16", 1e-3, 1e3)
    assert [band.zone for band in zones] == ["represented"]  # the others lie off this axis
    assert (zones[0].low, zones[0].high) == (1e-3, 1e3)
    cut = int8_zones(0.01, 1e-4, 1.0)  # keeps 0.005 .. 1.27
    assert [(band.zone, band.low, band.high) for band in cut] == [
        ("represented", pytest.approx(0.005), 1.0),
        ("lost to 0", 1e-4, pytest.approx(0.005)),
    ]


def test_int8_zones_agree_with_int8_report():
    scale = 0.02
    zones = {band.zone: band for band in int8_zones(scale, 1e-6, 1e3)}
    assert int8_report([zones["lost to 0"].high * 0.99], scale=scale).frac_zero == 1.0
    assert int8_report([zones["represented"].low * 1.01], scale=scale).frac_zero == 0.0
    # A value clips once it is more than half a step above 127 x scale, the zone's low edge.
    assert int8_report([zones["overflow / clip"].low + 0.51 * scale], scale=scale).frac_clipped
    assert "255 levels" in zones["represented"].detail


def test_decades_around_a_value():
    assert (decade_below(0.3), decade_above(3.0)) == (0.01, 100.0)
    assert (decade_below(1000.0), decade_above(1000.0)) == (100.0, 10_000.0)
    assert (decade_below(1e-5), decade_above(1e-5)) == pytest.approx((1e-6, 1e-4), rel=1e-12)
    assert [on_log_axis(v) for v in (1e-300, 0.0, -1.0, math.inf, math.nan)] == [
        True,
        False,
        False,
        False,
        False,
    ]


# --- invalid arguments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cast_report([1.0], "float64"), "fmt_name must be one of float32, .*got 'float64'"),
        (lambda: cast_report([], "float16"), "x must be a non-empty array.*empty"),
        (lambda: cast_report(["a"], "float16"), "x must be a non-empty array of real numbers"),
        (lambda: cast_report([1j], "float16"), "x must be .*real numbers; got dtype complex"),
        (lambda: cast_roundtrip([1.0], "int8"), "fmt_name must be one of"),
        (lambda: int8_quantize([1.0], scale=0.0), r"scale must be a finite number > 0; got 0"),
        (lambda: int8_quantize([1.0], scale=-1.0), r"scale must be a finite number > 0; got -1"),
        (lambda: int8_report([1.0], scale=math.inf), "scale must be a finite number > 0; got inf"),
        (lambda: int8_report([1.0], scale="1"), "scale must be a finite number > 0; got '1'"),
        (lambda: int8_dequantize([0.5], 1.0), "q must be a non-empty integer array"),
        (lambda: analyze_layers([]), r"activations must be a non-empty list.*got \[\]"),
        (lambda: analyze_layers(np.ones(3)), "activations must be a non-empty list.*ndarray"),
        (lambda: analyze_layers([np.ones(3), []]), r"activations\[1\] must be a non-empty"),
        (lambda: analyze_layers([np.ones(3)], "last"), "calibration must be one of per_layer"),
        (lambda: first_failure([], ["fp16"]), "formats must be one of float32.*got 'fp16'"),
        (lambda: first_failure([], "int8"), "formats must be a list of format names"),
        (lambda: first_failure([], zero_fraction=0.0), r"zero_fraction .* in \(0, 1\]; got 0"),
        (lambda: first_failure([], clip_fraction=2.0), r"clip_fraction .* in \(0, 1\]; got 2"),
        (lambda: first_failure([1]), "reports must be a list of LayerFormatReport.*int"),
        (lambda: first_failure(None), "reports must be a list of LayerFormatReport"),
        (lambda: dynamic_range_bands("int8"), "fmt_name must be one of"),
        (lambda: dynamic_range_bands("float16", "1e3"), "values must be a list of magnitudes"),
        (lambda: format_zones("int8", 1e-3, 1.0), "fmt_name must be one of"),
        (lambda: format_zones("float16", 0.0, 1.0), r"bottom must be a finite number > 0"),
        (lambda: format_zones("float16", 1.0, 1.0), r"top must be a finite number > 1"),
        (lambda: int8_zones(0.0, 1e-3, 1.0), r"scale must be a finite number > 0"),
        (lambda: decade_below(0.0), r"value must be a finite number > 0; got 0"),
        (lambda: sqnr_db([1.0, 2.0], [1.0]), r"approx must have the shape of reference"),
    ],
)
def test_invalid_arguments_name_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()
