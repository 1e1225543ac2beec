"""Initializers: exact values from ../shared/reference.md, and samples against their exact law."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from lab.activations import calculate_gain
from lab.initializers import (
    SCHEME_NAMES,
    SCHEMES,
    TRUNCATED_NORMAL_STD,
    conv_fans,
    fans_from_shape,
    get_initializer,
    he_normal,
    he_uniform,
    receptive_field,
    torch_linear_default,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

# --- exact values (reference.md, "Verified values") -----------------------------------------


def test_he_variance_fan_in_512():
    assert he_normal().variance(512, 7) == 2 / 512 == 0.00390625
    assert he_normal().std(512, 7) == pytest.approx(0.0625, rel=1e-15)


def test_xavier_1024_to_512():
    assert xavier_normal().variance(1024, 512) == pytest.approx(2 / 1536, rel=1e-15)
    assert xavier_normal().std(1024, 512) == pytest.approx(0.0360844, rel=1e-6)
    assert xavier_uniform().bound(1024, 512) == pytest.approx(0.0625, rel=1e-15)
    # The textbook's +-0.089 is wrong (reference errata).
    assert abs(xavier_uniform().bound(1024, 512) - 0.089) > 0.02


def test_he_fan_in_1024():
    assert he_normal().variance(1024, 1) == pytest.approx(0.00195313, rel=1e-5)
    assert he_normal().std(1024, 1) == pytest.approx(0.0441942, rel=1e-6)
    assert he_uniform().bound(1024, 1) == pytest.approx(math.sqrt(6 / 1024), rel=1e-15)
    assert he_uniform().bound(1024, 1) == pytest.approx(0.0765466, rel=1e-6)


def test_torch_linear_default_bound_is_one_over_sqrt_fan_in():
    for fan_in in (1, 3, 100, 1024):
        assert torch_linear_default().bound(fan_in, 5) == pytest.approx(1 / math.sqrt(fan_in))
    assert torch_linear_default().bound(1024, 5) == pytest.approx(0.03125)


def test_truncated_normal_constant_is_scipys():
    assert TRUNCATED_NORMAL_STD == pytest.approx(stats.truncnorm(-2, 2).std(), rel=1e-15)


def test_conv_fans():
    assert conv_fans(64, 128, 3) == (576, 1152)
    assert conv_fans(64, 128, (3, 3)) == (576, 1152)
    assert conv_fans(3, 16, (5,)) == (15, 80)
    assert fans_from_shape((128, 64, 3, 3)) == (576, 1152)
    assert fans_from_shape((3, 3, 64, 128), layout="keras") == (576, 1152)
    assert fans_from_shape((512, 1024)) == (1024, 512)


def test_gains_match_calculate_gain():
    assert calculate_gain("tanh") == 5 / 3
    assert calculate_gain("relu") == math.sqrt(2)
    assert calculate_gain("sigmoid") == 1
    assert calculate_gain("linear") == 1
    assert calculate_gain("conv2d") == 1
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))


def test_xavier_gain_scales_variance_by_gain_squared():
    base = xavier_normal().variance(300, 100)
    assert xavier_normal(gain=5 / 3).variance(300, 100) == pytest.approx(base * 25 / 9)


def test_he_modes_and_slope():
    assert he_normal(mode="fan_out").variance(1024, 512) == pytest.approx(2 / 512)
    assert he_normal(slope=0.2).variance(100, 1) == pytest.approx(2 / (1.04 * 100))
    assert he_uniform(slope=math.sqrt(5)).variance(100, 1) == pytest.approx(1 / 300)


def test_fixed_scale_schemes():
    assert get_initializer("small_random").std(10, 10) == 0.01
    assert get_initializer("large_random").std(10, 10) == 1.0
    rand = get_initializer("rand")
    assert rand.mean() == 0.5 and rand.variance(3, 3) == pytest.approx(1 / 12)
    assert get_initializer("uniform", bound=math.sqrt(3)).variance(3, 3) == pytest.approx(1.0)
    assert get_initializer("zeros").variance(3, 3) == 0.0
    assert get_initializer("constant", value=0.5).mean() == 0.5


def test_every_scheme_reports_consistent_numbers():
    for name in SCHEME_NAMES:
        init = get_initializer(name)
        var, std = init.variance(200, 100), init.std(200, 100)
        assert std == pytest.approx(math.sqrt(var))
        bound = init.bound(200, 100)
        if bound is not None:
            assert bound == pytest.approx(math.sqrt(3 * var))


# --- samples against the exact distribution -------------------------------------------------

# 400 x 300 = 120,000 draws: the std of a sample variance is ~ sqrt(2/N) ~ 0.4% for a normal,
# so 2% is five standard errors; the KS test at this N has a p-value uniform under the null,
# and with a fixed seed a p-value above 1e-3 is a stable pass.
FANS = (400, 300)


@pytest.mark.parametrize(
    "name",
    [n for n in SCHEME_NAMES if n not in ("zeros", "constant", "orthogonal")],
)
def test_samples_match_exact_distribution(name):
    init = get_initializer(name)
    w = init.sample(np.random.default_rng(2024), *FANS)
    assert w.shape == FANS
    assert w.var() == pytest.approx(init.variance(*FANS), rel=0.02)
    assert w.mean() == pytest.approx(init.mean(*FANS), abs=5 * init.std(*FANS) / math.sqrt(w.size))
    dist = init.scipy_distribution(*FANS)
    assert stats.kstest(w.ravel(), dist.cdf).pvalue > 1e-3
    support = init.support(*FANS)
    if support is not None:
        assert support[0] <= w.min() and w.max() <= support[1]


def test_truncated_normal_keeps_target_variance():
    init = get_initializer("he_truncated_normal")
    w = init.sample(np.random.default_rng(7), 1000, 500)
    assert np.abs(w).max() <= 2 * init.untruncated_std(1000, 500)
    assert w.var() == pytest.approx(2 / 1000, rel=0.02)


def test_orthogonal_is_orthogonal_with_gain():
    w = get_initializer("orthogonal", gain=2.0).sample(np.random.default_rng(0), 64, 32)
    np.testing.assert_allclose(w.T @ w, 4.0 * np.eye(32), atol=1e-10)
    w = get_initializer("orthogonal").sample(np.random.default_rng(0), 32, 64)
    np.testing.assert_allclose(w @ w.T, np.eye(32), atol=1e-10)


# --- orthogonal convolution kernels (reference.md, "More verified facts") -------------------


def _flattened_orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """torch.nn.init.orthogonal_ written out on its own: a (rows, cols) Gaussian matrix,
    transposed when it has fewer rows than columns, QR, signs of diag(R) applied, transposed
    back. Its rows (or columns, whichever are fewer) are orthonormal."""
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    return q.T if rows < cols else q


# (C_in, C_out, k): the reference's 3x3 64 -> 128; a kernel whose C_out exceeds C_in k^2; a
# 1x1 convolution (a dense layer); a 5x5 kernel with C_in k^2 = C_out k^2 / 2.
CONV_KERNELS = [(64, 128, 3), (8, 128, 3), (64, 128, 1), (16, 32, 5)]


@pytest.mark.parametrize(("c_in", "c_out", "k"), CONV_KERNELS)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_orthogonal_conv_variance_is_that_of_the_flattened_kernel(c_in, c_out, k, gain):
    # PyTorch flattens a (C_out, C_in, k, k) kernel to (C_out, C_in k^2) and makes that matrix
    # orthogonal (Keras: (k, k, C_in, C_out) to (k^2 C_in, C_out)). Build it, orthogonalize it
    # and measure the mean square of its entries: the lab's variance must be that number.
    rows, cols = c_out, c_in * k * k
    kernel = gain * _flattened_orthogonal(np.random.default_rng(3), rows, cols)
    kernel = kernel.reshape(c_out, c_in, k, k)
    measured = float(np.mean(kernel**2))
    init = get_initializer("orthogonal", gain=gain)
    fan_in, fan_out = conv_fans(c_in, c_out, k)
    assert init.variance(fan_in, fan_out, receptive_field(k)) == pytest.approx(measured, rel=1e-12)
    # The lab's own draw has the flattened shape (C_in k^2, C_out) in the x @ W layout, is
    # orthogonal and has the same mean square.
    w = init.sample(np.random.default_rng(4), fan_in, fan_out, receptive_field(k))
    assert w.shape == (c_in * k * k, c_out)
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-10)
    assert float(np.mean(w**2)) == pytest.approx(measured, rel=1e-12)


def test_orthogonal_conv_3x3_64_to_128_is_1_over_576():
    # reference.md: PyTorch gives 1/576 = 1.736e-3, not 1/max(576, 1152) = 8.68e-4.
    init = get_initializer("orthogonal")
    assert init.variance(*conv_fans(64, 128, 3), receptive_field(3)) == pytest.approx(
        1.736e-3, rel=1e-3
    )
    assert init.variance(*conv_fans(64, 128, 3), receptive_field(3)) == 1 / 576
    assert init.matrix_shape(576, 1152, 9) == (576, 128)
    # The fans alone describe a dense 576 x 1152 layer, whose orthogonal variance is 1/1152.
    assert init.variance(576, 1152) == 1 / 1152


def test_receptive_field_changes_only_the_orthogonal_variance():
    for name in SCHEME_NAMES:
        init = get_initializer(name)
        if name != "orthogonal":
            assert init.variance(576, 1152, 9) == init.variance(576, 1152)
    assert receptive_field(3) == 9 and receptive_field((3, 5)) == 15
    assert receptive_field(3, spatial_dims=3) == 27


def test_constant_and_zero_samples():
    assert np.all(get_initializer("zeros").sample(np.random.default_rng(0), 3, 4) == 0)
    assert np.all(
        get_initializer("constant", value=0.3).sample(np.random.default_rng(0), 3, 4) == 0.3
    )


def test_sampling_is_reproducible():
    a = get_initializer("xavier_uniform").sample(np.random.default_rng(5), 20, 30)
    b = get_initializer("xavier_uniform").sample(np.random.default_rng(5), 20, 30)
    np.testing.assert_array_equal(a, b)


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: get_initializer("kaiming"), "init must be one of"),
        (lambda: get_initializer("xavier_normal", slope=0.1), "init 'xavier_normal' takes gain"),
        (lambda: get_initializer("normal", std=-1.0), "std must be a finite number"),
        (lambda: get_initializer("normal", std=float("nan")), "std must be a finite number"),
        (lambda: he_normal(mode="fan_sideways"), "mode must be one of"),
        (lambda: he_normal(slope=-0.1), "slope must be a finite number in [0, 100]"),
        (lambda: xavier_normal().variance(0, 5), "fan_in must be an integer in [1, 1e+06]"),
        (lambda: xavier_normal().variance(5, 2.5), "fan_out must be an integer"),
        (lambda: variance_scaling(0.0), "scale must be a finite number in (0, 1e+06]"),
        (lambda: conv_fans(3, 4, 0), "kernel_size must be an integer"),
        (
            lambda: get_initializer("orthogonal").variance(576, 1152, 7),
            "receptive_field must divide fan_in and fan_out",
        ),
        (lambda: get_initializer("orthogonal").matrix_shape(9, 9, 0), "receptive_field must be"),
        (lambda: fans_from_shape((5,)), "shape must have at least 2 dimensions"),
    ],
)
def test_invalid_arguments_name_the_parameter(call, words):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert words in str(info.value)


@given(
    name=st.sampled_from(SCHEME_NAMES),
    fan_in=st.integers(1, 64),
    fan_out=st.integers(1, 64),
    seed=st.integers(0, 2**32 - 1),
)
def test_valid_arguments_never_crash(name, fan_in, fan_out, seed):
    init = SCHEMES[name]()
    w = init.sample(np.random.default_rng(seed), fan_in, fan_out)
    assert w.shape == (fan_in, fan_out)
    assert np.all(np.isfinite(w))
    assert init.variance(fan_in, fan_out) >= 0


@given(fan=st.one_of(st.integers(max_value=0), st.floats(), st.text(), st.none()))
def test_invalid_fans_raise_value_error(fan):
    with pytest.raises(ValueError, match="fan_in"):
        he_normal().variance(fan, 3)
