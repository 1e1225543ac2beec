"""lab.experiments.weight_distribution: one call returns what the page shows, in agreement with
lab.weights and lab.initializers, within the lab's budget (values from ../shared/reference.md)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from lab import budget
from lab.controls.weight_distribution import CONTROLS
from lab.experiments.weight_distribution import Config, config_from_values, cost, run
from lab.initializers import conv_fans, get_initializer
from lab.weights import (
    COMPARED_SCHEMES,
    MAX_CHANNELS,
    MAX_DENSE_FAN,
    MAX_KERNEL,
    MAX_SAMPLES,
    MIN_SHOWN_SAMPLES,
    natural_half_width,
    rand_vs_randn_shapes,
    weight_summary,
)

QUICK = 2000

#: The heaviest requests the page allows: every scheme at the most samples, on the largest
#: conv layer (fans 1024 * 11^2 = 123,904: orthogonal's block is then 2 whole columns of that
#: length, 247,808 weights) and on the largest dense layer.
HEAVIEST = {
    "conv": Config(
        layer="conv",
        c_in=MAX_CHANNELS,
        c_out=MAX_CHANNELS,
        kernel=MAX_KERNEL,
        schemes=COMPARED_SCHEMES,
        gain=4.0,
        samples=MAX_SAMPLES,
    ),
    "dense": Config(
        fan_in=MAX_DENSE_FAN,
        fan_out=MAX_DENSE_FAN,
        schemes=COMPARED_SCHEMES,
        samples=MAX_SAMPLES,
    ),
}


def same_summary(a, b) -> None:
    """Two WeightSummary objects hold the same numbers."""
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert value == other, name


def test_default_run_is_lab_weights_on_one_axis():
    result = run(Config())
    assert (result.fan_in, result.fan_out) == (1024, 512)
    names = [view.summary.init_name for view in result.schemes]
    assert names == ["xavier_normal", "xavier_uniform", "he_normal", "he_truncated_normal"]
    # The common axis is the widest natural range: He normal's 4 std (reference: 0.0441942).
    assert result.half_width == pytest.approx(4 * 0.0441942, rel=1e-6)
    assert result.half_width == max(natural_half_width(name, 1024, 512) for name in names)
    for view in result.schemes:
        same_summary(
            view.summary,
            weight_summary(view.summary.init_name, 1024, 512, seed=0, half_width=result.half_width),
        )
    xavier, uniform = result.schemes[0].summary, result.schemes[1].summary
    assert xavier.exact_std == pytest.approx(0.0360844, rel=1e-6)
    assert uniform.bound == pytest.approx(0.0625, rel=1e-12)
    assert r"b = \sqrt{3}\,\sigma = 0.0625" in result.schemes[1].formula
    assert result.fans_latex == (r"n_\text{in} = 1024", r"n_\text{out} = 512")
    # The shared y axis reaches the tallest bar and the highest point of every density curve.
    for view in result.schemes:
        assert view.summary.counts.max() <= result.count_top
        assert view.summary.curve_counts.max() <= result.count_top
    assert result.count_top in {
        float(np.max(a))
        for view in result.schemes
        for a in (view.summary.counts, view.summary.curve_counts)
    }
    assert result.budget_note == "" and result.samples.used == 20_000


def test_rand_vs_randn_is_lab_weights_shapes():
    result = run(Config(schemes=(), samples=QUICK, seed=3))
    expected = rand_vs_randn_shapes(QUICK, 3)
    for ours, theirs in zip(result.shapes, expected, strict=True):
        np.testing.assert_array_equal(ours.counts, theirs.counts)
        assert ours.sampled_variance == theirs.sampled_variance
    assert result.shape("rand").exact_mean == 0.5
    assert result.shape("uniform_centered").exact_variance == pytest.approx(1 / 3)
    assert result.shapes_top >= max(float(s.counts.max()) for s in result.shapes)
    with pytest.raises(ValueError, match="name must be one of rand, randn"):
        result.shape("randu")


def test_no_scheme_still_runs():
    result = run(Config(schemes=(), samples=QUICK))
    assert result.schemes == () and result.half_width is None and result.count_top == 0.0
    assert len(result.shapes) == 4


def test_conv_layer_uses_channels_times_kernel_area():
    result = run(Config(layer="conv", schemes=("he_normal",), samples=QUICK))
    assert (result.fan_in, result.fan_out) == conv_fans(64, 128, 3) == (576, 1152)
    (he,) = result.schemes
    assert he.summary.fan == 576.0
    assert he.summary.exact_variance == pytest.approx(2 / 576, rel=1e-15)
    assert result.fans_latex[0].endswith(r"= 64\cdot3^2 = 576")


def test_orthogonal_conv_kernel_is_the_flattened_matrix_pytorch_uses():
    # reference.md: orthogonal_ flattens the kernel to (C_out, C_in k^2) = (128, 576), so
    # E[w^2] = 1/576 = 1.736e-3, not 1/max(576, 1152).
    result = run(Config(layer="conv", schemes=("orthogonal",), samples=QUICK))
    (ortho,) = result.schemes
    assert ortho.summary.exact_variance == 1 / 576
    assert ortho.summary.matrix_shape == (576, 128)
    assert r"\max(576,\,128)} = 0.001736" in ortho.formula[1]
    assert ortho.note.startswith("The kernel is made orthogonal as one C_in k² × C_out = 576 × 128")


def test_gain_reaches_xavier_and_orthogonal_only():
    gain = 5 / 3
    schemes = (
        "xavier_normal",
        "xavier_uniform",
        "orthogonal",
        "glorot_truncated_normal",
        "he_normal",
    )
    result = run(Config(schemes=schemes, gain=gain, samples=QUICK))
    by_name = {view.summary.init_name: view for view in result.schemes}
    for name in ("xavier_normal", "xavier_uniform", "orthogonal"):
        view = by_name[name]
        assert dict(view.params) == {"gain": gain}
        expected = get_initializer(name, gain=gain).variance(1024, 512)
        assert view.summary.exact_variance == pytest.approx(expected, rel=1e-15)
    # Xavier: g^2 * 2 / (n_in + n_out); the Keras truncated Glorot and He take no gain.
    assert by_name["xavier_normal"].summary.exact_variance == pytest.approx(
        gain**2 * 2 / 1536, rel=1e-14
    )
    assert by_name["glorot_truncated_normal"].summary.exact_variance == pytest.approx(2 / 1536)
    assert by_name["he_normal"].summary.exact_variance == pytest.approx(2 / 1024)
    # Orthogonal weights times g: every singular value of the sampled block is g.
    ortho = by_name["orthogonal"]
    np.testing.assert_allclose(ortho.summary.singular_values, gain, rtol=1e-12)
    assert "singular values of the sampled block equal 1.66667 to 6 digits" in ortho.note
    assert "not independent" in ortho.note
    assert by_name["xavier_normal"].note == ""


def test_mode_and_slope_reach_the_he_schemes_that_take_them():
    schemes = ("he_normal", "he_uniform", "he_truncated_normal", "lecun_normal")
    result = run(Config(schemes=schemes, mode="fan_out", slope=0.5, samples=QUICK))
    variance = {v.summary.init_name: v.summary.exact_variance for v in result.schemes}
    # He et al. 2015: 2 / ((1 + a^2) n) = 1.6 / 512 with a = 0.5 and n = fan_out.
    assert variance["he_normal"] == pytest.approx(1.6 / 512, rel=1e-14)
    assert variance["he_uniform"] == pytest.approx(1.6 / 512, rel=1e-14)
    assert variance["he_truncated_normal"] == pytest.approx(2 / 512, rel=1e-14)
    assert variance["lecun_normal"] == pytest.approx(1 / 1024, rel=1e-14)


def test_a_deep_link_becomes_the_config_it_names():
    parsed = CONTROLS.parse_query(
        {"init": "he_normal", "fan_in": "300", "fan_out": "100", "mode": "fan_out", "gain": "2"}
    )
    assert parsed.warnings == ()
    config = config_from_values(parsed.values)
    assert config == Config(
        schemes=("he_normal",), fan_in=300, fan_out=100, mode="fan_out", gain=2.0
    )
    # The controls' defaults are the experiment's: an empty URL runs Config().
    assert config_from_values(CONTROLS.defaults()) == Config()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"layer": "sphere"}, "layer must be one of dense, conv; got 'sphere'"),
        ({"fan_in": 0}, r"fan_in must be an integer in \[1, 4096\]; got 0"),
        ({"kernel": 12}, r"kernel must be an integer in \[1, 11\]; got 12"),
        ({"schemes": ("zeros",)}, "schemes must be one of xavier_normal"),
        ({"schemes": ("he_normal", "he_normal")}, "schemes must be distinct"),
        ({"schemes": "he_normal"}, "schemes must be a tuple"),
        ({"mode": "fan_avg"}, "mode must be one of fan_in, fan_out; got 'fan_avg'"),
        ({"gain": 0.0}, r"gain must be a finite number in \(0, 100\]; got 0"),
        ({"slope": float("nan")}, "slope must be a finite number"),
        ({"samples": 10}, r"samples must be an integer in \[1000, 200000\]; got 10"),
        ({"seed": -1}, r"seed must be an integer in \[0, "),
    ],
)
def test_bad_config_names_the_field_and_range(fields, message):
    with pytest.raises(ValueError, match=message):
        Config(**fields)


def test_run_refuses_anything_but_a_config():
    with pytest.raises(ValueError, match="config must be a weight_distribution.Config"):
        run({"layer": "dense"})


# --------------------------------------------------------------------------- budget


@pytest.mark.parametrize("layer", sorted(HEAVIEST))
def test_heaviest_request_runs_whole_within_the_budget(layer):
    config = HEAVIEST[layer]
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = run(config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    # Nothing is cut: the declared ranges were chosen to fit.
    assert result.samples.used == MAX_SAMPLES and result.budget_note == ""
    assert len(result.schemes) == len(COMPARED_SCHEMES)
    # The estimate bounds what numpy and scipy really allocate, and fits the budget.
    assert peak <= result.cost.peak_bytes <= budget.MAX_PEAK_BYTES, (peak, result.cost)
    assert result.cost.multiply_adds <= budget.MAX_MULTIPLY_ADDS
    # About 1.5 s on one core (3 truncated normals at 0.1-0.3 s each dominate); no timed
    # assertion, but a run that takes a minute is a regression worth seeing.
    assert seconds < 60, seconds


def test_orthogonal_block_counts_in_the_cost():
    # On the largest conv layer one column of orthogonal weights is 123,904 long, more than
    # the 1,000 weights asked for; the cost counts the block actually drawn.
    small = Config(layer="conv", c_in=1024, c_out=1024, kernel=11, samples=MIN_SHOWN_SAMPLES)
    with_ortho = Config(**{**vars(small), "schemes": ("orthogonal",)})
    result = run(with_ortho)
    assert result.schemes[0].summary.samples == 123_904
    assert cost(with_ortho).peak_bytes > cost(Config(**{**vars(small), "schemes": ()})).peak_bytes


def test_an_over_budget_request_gets_fewer_samples_and_says_so(monkeypatch):
    config = Config(schemes=("xavier_normal", "he_truncated_normal"), samples=50_000, seed=1)
    # A budget that holds 10,000 weights per scheme but not 50,000.
    monkeypatch.setattr(budget, "MAX_PEAK_BYTES", cost(config, 10_000).peak_bytes)
    result = run(config)
    assert MIN_SHOWN_SAMPLES <= result.samples.used < config.samples
    assert result.samples.used >= 10_000
    assert result.cost.fits()
    assert all(view.summary.samples == result.samples.used for view in result.schemes)
    assert result.budget_note == (
        f"2 schemes on a 1,024 × 512 layer: {result.samples.used:,} weights per scheme "
        "instead of 50,000, to stay within the lab's budget."
    )


# --------------------------------------------------------------------------- shared axes


def test_laws_of_far_apart_widths_get_their_own_axes():
    """fan_in 1, fan_out 4096: He uniform's bound sqrt(6) is 64 times Xavier uniform's
    sqrt(6/4097). On one axis Xavier's law filled less than one of the 60 bins (bars that
    seemed to cross its bounds) and He's lay flat; each now has its natural range."""
    config = Config(fan_in=1, fan_out=4096, schemes=("xavier_uniform", "he_uniform"), samples=QUICK)
    result = run(config)
    assert not result.shared_axes
    for view, top in zip(result.schemes, result.count_tops, strict=True):
        summary = view.summary
        assert summary.half_width == natural_half_width(summary.init_name, 1, 4096)
        assert summary.counts.max() <= top and summary.curve_counts.max() <= top
        assert np.count_nonzero(summary.counts) >= 40  # the law spans the chart
    note = result.axes_note
    assert note.startswith("Each chart has its own axes: He/Kaiming uniform's range is 64 times")
    assert "would fill less than one bin" in note


def test_near_widths_share_both_axes_and_say_when_heights_do_not_compare():
    same = run(Config(schemes=("xavier_normal", "he_normal"), samples=QUICK))
    assert same.shared_axes and same.axes_note.endswith("A narrower law has taller bars.")
    # Orthogonal weights come in whole columns of the matrix: 2,048 against 2,000 compare...
    close = run(
        Config(fan_in=64, fan_out=64, schemes=("xavier_normal", "orthogonal"), samples=QUICK)
    )
    assert close.schemes[1].summary.samples == 2048
    assert close.shared_axes and close.axes_note.endswith("A narrower law has taller bars.")
    # ...one column of 4,096 against 2,000 is taller for that alone.
    mixed = run(
        Config(fan_in=4096, fan_out=16, schemes=("xavier_normal", "orthogonal"), samples=QUICK)
    )
    orthogonal = mixed.schemes[1].summary
    assert mixed.shared_axes and orthogonal.samples == 4096
    assert "A narrower law" not in mixed.axes_note
    assert mixed.axes_note.endswith(
        "Orthogonal counts 4,096 weights (whole columns of its matrix) against the others' "
        "2,000: its bars are taller for that alone. Bar heights compare only between charts of "
        "equal counts."
    )
    # A 4 x 4 matrix holds 16 weights: fewer, and shorter bars.
    small = run(Config(fan_in=4, fan_out=4, schemes=("xavier_normal", "orthogonal"), samples=QUICK))
    assert small.schemes[1].summary.samples == 16
    assert "Orthogonal counts 16 weights (whole columns of its matrix) against the others' " in (
        small.axes_note
    )
    assert "its bars are shorter for that alone" in small.axes_note
