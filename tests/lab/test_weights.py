"""lab.weights: sampled weights against their exact law (values from ../shared/reference.md)."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lab.budget import MAX_PEAK_BYTES
from lab.initializers import TRUNCATED_NORMAL_STD, conv_fans, get_initializer
from lab.weights import (
    DEFAULT_SAMPLES,
    MAX_SAMPLES,
    MIN_SHOWN_SAMPLES,
    RANDOM_SCHEMES,
    SHAPE_NAMES,
    SHAPES_HALF_WIDTH,
    applicable_params,
    draw_weights,
    drawn_count,
    natural_half_width,
    orthogonal_block,
    rand_vs_randn_shapes,
    shapes_cost,
    summary_cost,
    weight_summary,
)

IID_SCHEMES = tuple(name for name in RANDOM_SCHEMES if name != "orthogonal")
N = DEFAULT_SAMPLES

# Tolerances for N = 20,000 draws. The sample variance has relative standard error
# sqrt((kurtosis - 1) / N): 1.0% for a normal (kurtosis 3), 0.63% for a uniform (1.8), less for
# a normal truncated at 2 std (kurtosis < 3). 5% is at least 5 standard errors for all of them.
VARIANCE_RTOL = 0.05
# The sample mean has standard error std / sqrt(N); allow 5 of them.
MEAN_SES = 5.0


def summary(name: str, fan_in: int = 1024, fan_out: int = 512, **kwargs):
    return weight_summary(name, fan_in, fan_out, **kwargs)


# --------------------------------------------------------------------------- exact values


def test_xavier_1024_to_512_matches_reference():
    normal = summary("xavier_normal")
    assert normal.exact_variance == pytest.approx(2 / 1536, rel=1e-15)
    assert normal.exact_std == pytest.approx(0.0360844, rel=1e-6)
    assert normal.fan == 768.0
    assert normal.bound is None and normal.truncation is None and normal.markers == ()
    uniform = summary("xavier_uniform")
    assert uniform.bound == pytest.approx(0.0625, rel=1e-15)
    # The source's +-0.089 is wrong (reference errata on 003).
    assert abs(uniform.bound - 0.089) > 0.02
    assert [m.x for m in uniform.markers] == pytest.approx([-0.0625, 0.0625], rel=1e-15)


def test_he_fan_in_1024_matches_reference():
    normal = summary("he_normal", 1024, 10)
    assert normal.exact_variance == pytest.approx(0.00195313, rel=1e-5)
    assert normal.exact_std == pytest.approx(0.0441942, rel=1e-6)
    assert summary("he_uniform", 1024, 10).bound == pytest.approx(0.0765466, rel=1e-6)


def test_he_mode_and_slope_reach_the_summary():
    fan_out = summary("he_normal", 1024, 256, init_params={"mode": "fan_out"})
    assert fan_out.fan == 256.0
    assert fan_out.exact_variance == pytest.approx(2 / 256, rel=1e-15)
    leaky = summary("he_uniform", 1024, 256, init_params={"slope": 0.5})
    # scale 2 / (1 + a^2) = 1.6 for a = 0.5
    assert leaky.exact_variance == pytest.approx(1.6 / 1024, rel=1e-14)


def test_conv_3x3_64_to_128_has_fan_in_576():
    fan_in, fan_out = conv_fans(64, 128, 3)
    assert (fan_in, fan_out) == (576, 1152)
    he = summary("he_normal", fan_in, fan_out)
    assert he.fan == 576.0
    assert he.exact_variance == pytest.approx(2 / 576, rel=1e-15)


def test_truncated_normal_cut_and_target_variance():
    keras = summary("he_truncated_normal", 1024, 10)
    assert keras.exact_variance == pytest.approx(2 / 1024, rel=1e-15)
    sigma_prime = math.sqrt(2 / 1024) / 0.87962566103423978
    assert keras.truncation == pytest.approx(2 * sigma_prime, rel=1e-14)
    assert [m.x for m in keras.markers] == pytest.approx([-2 * sigma_prime, 2 * sigma_prime])
    assert keras.bound is None
    # No sampled weight lies beyond the cut.
    assert keras.sampled_max_abs <= keras.truncation
    assert keras.sampled_variance == pytest.approx(keras.exact_variance, rel=VARIANCE_RTOL)


def test_rand_scheme_is_all_positive():
    rand = summary("rand")
    assert rand.exact_mean == 0.5 and rand.exact_variance == pytest.approx(1 / 12)
    assert rand.fan is None
    assert rand.half_width == 1.25
    left_bins = rand.edges[1:] <= 0
    assert rand.counts[left_bins].sum() == 0 and rand.below == 0
    assert [m.x for m in rand.markers] == [0.0, 1.0]


# --------------------------------------------------------------------------- sampled moments


@pytest.mark.parametrize("name", IID_SCHEMES)
def test_sampled_moments_match_exact(name):
    s = summary(name, 300, 200, seed=7)
    assert s.samples == N
    assert s.sampled_variance == pytest.approx(s.exact_variance, rel=VARIANCE_RTOL)
    assert s.sampled_std == pytest.approx(s.exact_std, rel=VARIANCE_RTOL / 2)
    assert abs(s.sampled_mean - s.exact_mean) < MEAN_SES * s.exact_std / math.sqrt(N)
    if s.bound is not None:
        # The largest of 20,000 uniform |w| misses b by about b / 20,000.
        assert s.bound * (1 - 1e-3) < s.sampled_max_abs <= s.bound


@pytest.mark.parametrize("name", IID_SCHEMES)
def test_histogram_accounts_for_every_sample(name):
    s = summary(name, 256, 128, bins=40, seed=3)
    assert s.edges.shape == (41,) and s.counts.shape == (40,)
    assert s.edges[0] == -s.half_width and s.edges[-1] == s.half_width
    assert int(s.counts.sum()) + s.below + s.above == N
    # The density integrates to the share of samples inside the bins.
    width = s.edges[1] - s.edges[0]
    assert s.density.sum() * width == pytest.approx(s.counts.sum() / N, rel=1e-12)
    # The exact curve, scaled to counts per bin, integrates to the expected count inside.
    law = get_initializer(name).scipy_distribution(256, 128)
    inside = law.cdf(s.edges[-1]) - law.cdf(s.edges[0])
    area = np.trapezoid(s.curve_counts, s.grid) / width
    assert area == pytest.approx(N * inside, rel=2e-3)  # trapezoid error at the cliffs
    assert s.expected_counts.sum() == pytest.approx(N * inside, rel=1e-12)
    # Bin by bin the counts are binomial: each within 6 standard deviations of its expectation.
    spread = np.sqrt(s.expected_counts * (1 - s.expected_counts / N)) + 1.0
    assert np.all(np.abs(s.counts - s.expected_counts) < 6 * spread)


def test_exact_density_has_vertical_cliffs_at_uniform_bounds():
    s = summary("xavier_uniform")
    b = s.bound
    at_b = np.flatnonzero(s.grid == b)
    assert at_b.size == 2
    assert s.pdf[at_b].tolist() == pytest.approx([1 / (2 * b), 0.0])
    at_minus_b = np.flatnonzero(s.grid == -b)
    assert s.pdf[at_minus_b].tolist() == pytest.approx([0.0, 1 / (2 * b)])
    assert np.all(np.diff(s.grid) >= 0)
    assert np.all(s.pdf[np.abs(s.grid) > b] == 0)


def test_normal_density_integrates_to_one_over_four_std():
    s = summary("lecun_normal", 1000, 10)
    # P(|Z| <= 4) = 0.999937; trapezoid error on 401 points is far below 1e-4.
    area = np.trapezoid(s.pdf, s.grid)
    assert area == pytest.approx(2 * stats.norm.cdf(4) - 1, abs=1e-4)


# --------------------------------------------------------------------------- KS test


@pytest.mark.parametrize("name", IID_SCHEMES)
def test_ks_accepts_the_right_law(name):
    s = summary(name, 512, 512, seed=11)
    # Under the right law p is uniform on [0, 1]; with this fixed seed every p is far from 0.
    assert s.ks_pvalue > 1e-3
    assert s.ks_statistic < 0.02  # ~ 1.36 / sqrt(N) = 0.0096 is the 5% critical value
    assert s.ks_note == ""


def test_ks_rejects_a_wrong_law():
    normal = draw_weights("xavier_normal", 1024, 512, seed=5)
    uniform_law = get_initializer("xavier_uniform").scipy_distribution(1024, 512)
    # Same variance, wrong shape: rejected.
    assert stats.kstest(normal, uniform_law.cdf).pvalue < 1e-10
    # Right shape, wrong variance (He's 2/1024 against Xavier's 2/1536): rejected.
    he_law = get_initializer("he_normal").scipy_distribution(1024, 512)
    assert stats.kstest(normal, he_law.cdf).pvalue < 1e-10
    # The right law: accepted.
    xavier_law = get_initializer("xavier_normal").scipy_distribution(1024, 512)
    assert stats.kstest(normal, xavier_law.cdf).pvalue > 1e-3


def test_truncated_samples_are_not_the_untruncated_normal():
    keras = draw_weights("he_truncated_normal", 1024, 10, seed=2)
    torch_law = get_initializer("he_normal").scipy_distribution(1024, 10)
    # Same variance, so the CDFs differ by at most 0.0167 (largest gap on a fine grid): at
    # N = 20,000 that is 2.4 times the 5% critical value 1.36 / sqrt(N), p ~ 1e-6.
    assert stats.kstest(keras, torch_law.cdf).pvalue < 1e-4


@pytest.mark.parametrize("name", IID_SCHEMES)
def test_drawn_weights_have_the_law_of_initializer_sample(name):
    # The page draws from the exact law directly; the network uses Initializer.sample.
    # Two-sample KS between 20,000 page draws and a whole 200 x 150 layer (30,000 weights).
    ours = draw_weights(name, 200, 150, seed=4)
    layer = get_initializer(name).sample(np.random.default_rng(99), 200, 150).ravel()
    assert stats.ks_2samp(ours, layer).pvalue > 1e-3


# --------------------------------------------------------------------------- orthogonal


def test_orthogonal_reports_singular_values_instead_of_ks():
    s = summary("orthogonal", 1024, 512)
    assert s.ks_statistic is None and s.ks_pvalue is None
    assert "not independent" in s.ks_note
    assert s.pdf is None and s.curve_counts is None and s.expected_counts is None
    assert s.exact_variance == pytest.approx(1 / 1024, rel=1e-15)
    assert s.samples == 1024 * 20  # orthogonal_block: ceil(20,000 / 1024) = 20 columns
    np.testing.assert_allclose(s.singular_values, 1.0, atol=1e-12)
    assert s.orthogonality_error < 1e-12
    assert s.sampled_variance == pytest.approx(s.exact_variance, rel=0.03)


@pytest.mark.parametrize(("fan_in", "fan_out"), [(1024, 512), (512, 1024), (7, 5), (1, 9)])
def test_orthogonal_block_has_exact_mean_square(fan_in, fan_out):
    gain = 1.5
    w = draw_weights("orthogonal", fan_in, fan_out, init_params={"gain": gain})
    rows, cols = orthogonal_block(fan_in, fan_out)
    assert w.size == rows * cols
    # Every column (or row) of the block is a unit vector times the gain, so the mean square
    # is exactly gain^2 / max(fan_in, fan_out), the exact per-weight variance.
    assert np.mean(w**2) == pytest.approx(gain**2 / max(fan_in, fan_out), rel=1e-12)


def test_orthogonal_conv_summary_uses_the_flattened_kernel():
    # conv 3x3, 64 -> 128 (fans 576, 1152): PyTorch's orthogonal_ makes the (128, 576) kernel
    # matrix orthogonal, so E[w^2] = 1/576 (reference.md), and the sampled block holds whole
    # length-576 columns of the (576, 128) matrix: ceil(20,000 / 576) = 35 of them.
    fan_in, fan_out = conv_fans(64, 128, 3)
    s = summary("orthogonal", fan_in, fan_out, receptive_field=9)
    assert s.matrix_shape == (576, 128) and s.receptive_field == 9
    assert s.exact_variance == 1 / 576
    assert s.samples == 576 * 35
    np.testing.assert_allclose(s.singular_values, 1.0, atol=1e-12)
    # Unit columns: the mean square of the block is the exact variance, to rounding.
    w = draw_weights("orthogonal", fan_in, fan_out, receptive_field=9)
    assert np.mean(w**2) == pytest.approx(1 / 576, rel=1e-12)
    assert s.half_width == pytest.approx(4 / math.sqrt(576), rel=1e-15)
    # C_out larger than C_in k^2: the matrix (72, 128) is cut along its 72-long side.
    s = summary("orthogonal", *conv_fans(8, 128, 3), receptive_field=9)
    assert s.matrix_shape == (72, 128) and s.exact_variance == 1 / 128
    assert orthogonal_block(72, 1152, receptive_field=9) == (72, 128)
    # Other schemes take their variance from the fans whatever the receptive field.
    he = summary("he_normal", fan_in, fan_out, receptive_field=9)
    assert he.exact_variance == 2 / 576 and he.matrix_shape == (576, 128)


def test_orthogonal_block_shapes():
    assert orthogonal_block(1024, 512) == (1024, 20)
    assert orthogonal_block(512, 1024) == (20, 1024)
    assert orthogonal_block(7, 5) == (7, 5)
    assert orthogonal_block(100_000, 3, 20_000) == (100_000, 1)
    with pytest.raises(ValueError, match=r"fan_in \* fan_out must be >= 2"):
        orthogonal_block(1, 1)


# --------------------------------------------------------------------------- cost


def test_drawn_count_is_the_block_for_orthogonal_weights():
    assert drawn_count("he_truncated_normal", 123_904, 123_904, 1000) == 1000
    # One whole column of a 123,904-long side, however few weights were asked for.
    assert drawn_count("orthogonal", 123_904, 123_904, 1000) == 123_904
    assert drawn_count("orthogonal", 1024, 512, 20_000) == 1024 * 20
    assert draw_weights("orthogonal", 300, 7, samples=1000).size == drawn_count(
        "orthogonal", 300, 7, 1000
    )


def traced_peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("samples", [MIN_SHOWN_SAMPLES, MAX_SAMPLES])
@pytest.mark.parametrize(
    ("name", "fan_in", "fan_out"),
    [
        ("xavier_normal", 1024, 512),
        ("he_uniform", 1024, 512),
        ("he_truncated_normal", 1024, 512),
        ("orthogonal", 4096, 4096),
        ("orthogonal", 447, 447),  # the most QR work: a 447 x 447 block
    ],
)
def test_summary_cost_bounds_the_memory_it_allocates(name, fan_in, fan_out, samples):
    estimate = summary_cost(name, fan_in, fan_out, samples)
    peak = traced_peak(lambda: weight_summary(name, fan_in, fan_out, samples=samples))
    assert peak <= estimate.peak_bytes <= MAX_PEAK_BYTES
    if samples == MAX_SAMPLES:  # where it matters, not wildly pessimistic either
        assert estimate.peak_bytes < 2.5 * peak


def test_shapes_cost_bounds_the_memory_it_allocates():
    peak = traced_peak(lambda: rand_vs_randn_shapes(MAX_SAMPLES))
    assert peak <= shapes_cost(MAX_SAMPLES).peak_bytes < 2.5 * peak


# --------------------------------------------------------------------------- ranges, seeds


def test_natural_half_widths():
    assert natural_half_width("xavier_normal", 1024, 512) == pytest.approx(4 * 0.0360844, 1e-6)
    assert natural_half_width("xavier_uniform", 1024, 512) == pytest.approx(1.25 * 0.0625)
    keras = natural_half_width("lecun_truncated_normal", 100, 1)
    assert keras == pytest.approx(1.25 * 2 * 0.1 / TRUNCATED_NORMAL_STD, rel=1e-14)
    assert natural_half_width("rand", 3, 3) == 1.25


def test_common_half_width_puts_schemes_on_one_axis():
    width = natural_half_width("he_normal", 1024, 512)
    a = summary("xavier_uniform", half_width=width)
    b = summary("he_normal", half_width=width)
    np.testing.assert_array_equal(a.edges, b.edges)
    assert a.grid[0] == -width and a.grid[-1] == width


def test_seeds_reproduce_and_differ():
    first = draw_weights("he_normal", 64, 64, seed=1)
    np.testing.assert_array_equal(first, draw_weights("he_normal", 64, 64, seed=1))
    assert not np.array_equal(first, draw_weights("he_normal", 64, 64, seed=2))
    # Two normal schemes, or two layers, with one seed do not share their noise.
    xavier = draw_weights("xavier_normal", 64, 64, seed=1)
    assert not np.allclose(first / first.std(), xavier / xavier.std())
    wider = draw_weights("he_normal", 64, 65, seed=1)
    assert not np.allclose(first / first.std(), wider / wider.std())


def test_applicable_params_keeps_what_each_scheme_takes():
    controls = {"mode": "fan_out", "slope": 0.2}
    assert applicable_params("he_normal", controls) == controls
    assert applicable_params("he_truncated_normal", controls) == {"mode": "fan_out"}
    assert applicable_params("xavier_normal", controls) == {}
    assert applicable_params("lecun_uniform", None) == {}


# --------------------------------------------------------------------------- rand vs randn


def test_rand_vs_randn_exact_moments():
    shapes = {s.name: s for s in rand_vs_randn_shapes()}
    assert tuple(shapes) == SHAPE_NAMES == ("rand", "randn", "uniform_centered", "uniform_matched")
    exact = {name: (s.exact_mean, s.exact_variance) for name, s in shapes.items()}
    assert exact["rand"] == pytest.approx((0.5, 1 / 12), rel=1e-14)
    assert exact["randn"] == pytest.approx((0.0, 1.0), abs=1e-14)
    assert exact["uniform_centered"] == pytest.approx((0.0, 1 / 3), abs=1e-14)
    assert exact["uniform_matched"] == pytest.approx((0.0, 1.0), abs=1e-14)


def test_rand_vs_randn_sampled_moments_and_histograms():
    for s in rand_vs_randn_shapes(seed=3):
        std = math.sqrt(s.exact_variance)
        assert abs(s.sampled_mean - s.exact_mean) < MEAN_SES * std / math.sqrt(N)
        assert s.sampled_variance == pytest.approx(s.exact_variance, rel=VARIANCE_RTOL)
        assert s.edges[0] == -SHAPES_HALF_WIDTH and s.edges[-1] == SHAPES_HALF_WIDTH
        assert int(s.counts.sum()) + s.below + s.above == N
        if s.low is not None:
            assert s.below == s.above == 0
            outside = (s.edges[1:] <= s.low) | (s.edges[:-1] >= s.high)
            assert s.counts[outside].sum() == 0
    rand = rand_vs_randn_shapes(seed=3)[0]
    assert rand.counts[rand.edges[1:] <= 0].sum() == 0  # rand never draws a negative weight


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: weight_summary("zeros", 4, 4), "init_name must be one of"),
        (lambda: weight_summary("nope", 4, 4), "init_name must be one of"),
        (lambda: weight_summary("he_normal", 0, 4), r"fan_in must be an integer in \[1, "),
        (lambda: weight_summary("he_normal", 4, 4, samples=1), r"samples must be .* \[2, 200000\]"),
        (
            lambda: weight_summary("he_normal", 4, 4, samples=MAX_SAMPLES + 1),
            r"samples must be an integer in \[2, 200000\]; got 200001",
        ),
        (lambda: weight_summary("he_normal", 4, 4, bins=3), r"bins must be an integer in \[5, "),
        (lambda: weight_summary("he_normal", 4, 4, seed=-1), r"seed must be an integer in \[0, "),
        (
            lambda: weight_summary("he_normal", 4, 4, half_width=0.0),
            r"half_width must be a finite number > 0; got 0",
        ),
        (
            lambda: weight_summary("xavier_normal", 4, 4, init_params={"slope": 0.1}),
            "takes gain; got slope",
        ),
        (lambda: weight_summary("he_normal", 4, 4, init_params=[1]), "init_params must be a dict"),
        (lambda: applicable_params("he_normal", "mode"), "init_params must be a dict"),
        (lambda: rand_vs_randn_shapes(samples=1.5), "samples must be an integer"),
        (lambda: natural_half_width("constant", 4, 4), "init_name must be one of"),
    ],
)
def test_bad_arguments_name_parameter_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(RANDOM_SCHEMES),
    fan_in=st.integers(1, 5000),
    fan_out=st.integers(1, 5000),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_layer_gives_a_consistent_summary(name, fan_in, fan_out, seed):
    if name == "orthogonal" and fan_in * fan_out < 2:
        return
    s = weight_summary(name, fan_in, fan_out, samples=2000, bins=20, seed=seed)
    assert int(s.counts.sum()) + s.below + s.above == s.samples
    assert math.isfinite(s.sampled_variance) and s.sampled_variance > 0
    assert s.exact_std == pytest.approx(math.sqrt(s.exact_variance))
