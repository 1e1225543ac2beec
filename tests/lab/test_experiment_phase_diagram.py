"""Engine tests of lab/experiments/phase_diagram.py: the plane against reference.md and an
independent mean-field computation, the points and their links, the declared ranges, and the
trainability panel (a few steps, to stay fast)."""

from __future__ import annotations

import math
from dataclasses import replace
from urllib.parse import urlencode

import numpy as np
import pytest
from scipy import integrate, optimize

from lab import phase as lab_phase
from lab.controls.phase_diagram import CONTROLS, MAX_PHASE_GAIN
from lab.controls.registry import SIMULATION_PAGES
from lab.experiments.phase_diagram import (
    SB2_MAX,
    SW2_MAX,
    Config,
    TrainabilityRequest,
    cell_edges,
    config_from_values,
    depth_text,
    plane,
    reach_text,
    run,
    run_trainability,
    trainability_from_values,
)
from lab.phase import TRAINABLE_DEPTH_SCALES, phase_point
from lab.theory import effective_sw2

SIGNAL = SIMULATION_PAGES["signal_propagation"]


def gaussian_mean(f) -> float:
    """E[f(z)], z ~ N(0, 1), by scipy's adaptive quadrature (Gauss-Hermite converges slowly
    for tanh at large q: its poles approach the real axis)."""
    density = 1.0 / math.sqrt(2.0 * math.pi)
    value, _ = integrate.quad(
        lambda z: f(z) * density * math.exp(-0.5 * z * z), -40, 40, epsabs=1e-14, limit=400
    )
    return value


def tanh_mean_field(sw2: float, sb2: float) -> tuple[float, float]:
    """(q*, chi1) for tanh, written out here independently of lab.theory: q* is the root of
    sw2 E[tanh(sqrt(q) z)^2] + sb2 - q (Brent's method), chi1 = sw2 E[(1 - tanh^2)^2] at q*."""

    def gap(q: float) -> float:
        return sw2 * gaussian_mean(lambda z: math.tanh(math.sqrt(q) * z) ** 2) + sb2 - q

    q = optimize.brentq(gap, 1e-12, sw2 + sb2 + 1.0, xtol=1e-14, rtol=1e-13)
    chi1 = sw2 * gaussian_mean(lambda z: (1.0 - math.tanh(math.sqrt(q) * z) ** 2) ** 2)
    return q, chi1


@pytest.fixture(scope="module")
def tanh_result():
    return run(Config())


# --------------------------------------------------------------------------- configuration


def test_config_defaults_are_the_declared_defaults():
    assert config_from_values({}) == Config() == config_from_values(CONTROLS.defaults())
    assert trainability_from_values({}) == TrainabilityRequest()


def test_every_allowed_point_lies_in_the_plotted_plane():
    assert MAX_PHASE_GAIN**2 <= SW2_MAX
    assert CONTROLS["bias_std"].high ** 2 <= SB2_MAX
    assert CONTROLS["gain"].high == MAX_PHASE_GAIN


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"activation": "relu"}, "activation must be one of tanh, sigmoid, gelu"),
        ({"gain": 2.3}, r"gain must be a finite number in \[0.1, 2.2\]"),
        ({"bias_std": 0.3}, "bias_std must be one of"),
        ({"steps": 0}, r"steps must be an integer in \[1, 2000\]"),
    ],
)
def test_config_refuses_what_the_page_does_not_declare(values, message):
    with pytest.raises(ValueError, match=message):
        config_from_values(values)
    with pytest.raises(ValueError, match=message):
        trainability_from_values(values)


# --------------------------------------------------------------------------- the plane


def test_the_edge_of_chaos_matches_the_reference(tanh_result):
    # reference.md: tanh edge of chaos sb2 -> critical sw2: 0 -> 1, 0.05 -> 1.7610, 0.1 -> 1.9861.
    grid = tanh_result.plane
    for sb2, sw2 in ((0.0, 1.0), (0.05, 1.7610), (0.1, 1.9861), (0.5, 2.8432)):
        (index,) = np.flatnonzero(np.isclose(grid.edge_sb2, sb2))
        assert grid.edge_sw2[index] == pytest.approx(sw2, abs=5e-5)
    assert grid.edge_outside == ""


def test_cells_match_an_independent_mean_field_computation(tanh_result):
    grid = tanh_result.plane
    for i, j in ((0, 4), (5, 20), (12, 35), (19, 49)):
        q_star, chi1 = tanh_mean_field(float(grid.sw2[j]), float(grid.sb2[i]))
        assert grid.chi1[i, j] == pytest.approx(chi1, rel=1e-6)
        phase = "ordered" if chi1 < 1 else "chaotic"
        assert grid.phase[i, j] == phase
        if phase == "ordered":  # xi_c = -1 / ln chi1 there (c* = 1)
            assert grid.xi[i, j] == pytest.approx(-1.0 / math.log(chi1), rel=1e-5)
    assert grid.chi1.shape == (len(grid.sb2), len(grid.sw2))
    assert grid.sw2[0] > 0 and grid.sw2[-1] < SW2_MAX and grid.sb2[-1] < SB2_MAX


def test_the_points_sit_where_the_schemes_put_them(tanh_result):
    points = {point.key: point for point in tanh_result.points}
    assert points["xavier"].sw2 == pytest.approx(1.0) and points["lecun"].sw2 == pytest.approx(1.0)
    assert points["he"].sw2 == pytest.approx(2.0)
    torch = points["torch_tanh"]
    # reference.md: PyTorch's tanh gain 5/3 (sw2 = 25/9, sb2 = 0) is chaotic, chi1 = 1.2098.
    assert torch.sw2 == pytest.approx(25 / 9) and torch.chi1 == pytest.approx(1.2098, abs=1e-4)
    assert torch.phase == "chaotic"
    assert points["xavier"].phase == "critical" and points["xavier"].xi_text == "∞"
    yours = points["yours"]
    assert yours.sw2 == pytest.approx(CONTROLS["gain"].default ** 2)
    # Xavier and LeCun coincide on square layers: one marker for both.
    assert [marker.short for marker in tanh_result.markers][0] == "Xavier = LeCun"
    assert len(tanh_result.markers) == len(tanh_result.points) - 1


def test_each_point_links_to_signal_propagation_with_its_weight_scale():
    result = run(Config(activation="sigmoid", gain=1.5, bias_std=0.2))
    for point in result.points:
        parsed = SIGNAL.parse_query(point.link)
        assert parsed.warnings == () and parsed.from_url == frozenset(point.link)
        values = parsed.values
        assert (values["activation"], values["bias_std"]) == ("sigmoid", 0.2)
        params = {name: values[name] for name in ("gain",) if name in point.link}
        width = values["width"]
        sw2 = effective_sw2(values["init"], width, width, tuple(params.items())).sw2
        assert sw2 == pytest.approx(point.sw2, rel=1e-9)
        assert point.href == "./signal-propagation?" + urlencode(point.link)
        expected = phase_point("sigmoid", point.sw2, 0.04)
        assert point.chi1 == pytest.approx(float(expected["chi1"]))


def test_the_point_caption_names_the_depth_the_network_trains_to():
    result = run(Config(gain=1.3, bias_std=0.5))
    mine = result.points[-1]
    expected = phase_point("tanh", 1.69, 0.25)
    assert mine.xi == pytest.approx(float(expected["depth_scale"]))
    assert mine.trainable_depth == pytest.approx(TRAINABLE_DEPTH_SCALES * mine.xi)
    assert f"ξ = {mine.xi:.4g} layers" in result.point_caption
    assert f"{mine.trainable_depth:.4g} layers still train" in result.point_caption


def test_region_names_sit_in_their_regions(tanh_result):
    names = {text.split()[0]: (sw2, sb2) for text, sw2, sb2, _ in tanh_result.region_labels}
    assert set(names) == {"ordered", "chaotic"}
    for phase, (sw2, sb2) in names.items():
        assert phase_point("tanh", sw2, sb2)["phase"] == phase


def test_sigmoid_has_its_edge_beyond_the_plane():
    result = run(Config(activation="sigmoid"))
    grid = result.plane
    assert grid.edge_sw2.size == 0
    assert grid.edge_outside.startswith("The edge of chaos lies beyond the plotted σ_w² ≤ 5")
    assert set(np.unique(grid.phase)) == {"ordered"}
    assert [text for text, *_ in result.region_labels] == ["ordered (χ₁ < 1)"]


@pytest.mark.parametrize("activation", CONTROLS["activation"].values)
def test_every_declared_point_runs(activation):
    """Every activation, bias option and gain the controls declare (the gain's ends, the
    default and sqrt(2), whose sigma_w^2 = 2.0000000000000004 sits next to He's 2): the page
    gets a value for every point, never an exception. GELU at sigma_w^2 = 2 with sigma_b^2 =
    0.25 or 1 has no finite q*: its xi is "undefined" and the caption says so."""
    gain = CONTROLS["gain"]
    for bias_std in CONTROLS["bias_std"].options:
        for g in (gain.low, gain.default, math.sqrt(2.0), gain.high):
            result = run(Config(activation=activation, gain=g, bias_std=bias_std))
            for point in result.points:
                assert math.isfinite(point.chi1)
                assert point.xi_text == depth_text(point.xi)
            mine = result.points[-1]
            if math.isnan(mine.xi):
                assert "ξ is undefined" in result.point_caption
            else:
                assert f"ξ = {mine.xi_text} layers" in result.point_caption
    if activation == "gelu":
        he = run(Config(activation="gelu", bias_std=0.5)).points[2]
        assert he.key == "he" and he.xi_text == "undefined" and he.phase == "critical"


def test_the_plane_is_computed_once_per_activation():
    assert plane("tanh") is plane("tanh")


@pytest.mark.parametrize(
    ("value", "text"), [(12.345678, "12.35"), (math.inf, "∞"), (math.nan, "undefined")]
)
def test_depth_text(value, text):
    assert depth_text(value) == text


# --------------------------------------------------------------------------- trainability


def test_trainability_panel_runs_the_grid_with_its_line():
    shares: list[float] = []
    panel = run_trainability(TrainabilityRequest(steps=3, seed=1), shares.append)
    assert panel.accuracy.shape == (len(panel.depths), len(panel.sw2))
    assert np.all((panel.accuracy >= 0) & (panel.accuracy <= 1))
    assert shares[-1] == pytest.approx(1.0) and len(shares) == panel.accuracy.size
    np.testing.assert_allclose(
        panel.sw2_edges[1:-1], (panel.sw2[1:] + panel.sw2[:-1]) / 2, rtol=0, atol=1e-12
    )
    assert panel.depth_edges[0] < panel.depths[0] < panel.depth_edges[1]
    middle = len(panel.line_sw2) // 2
    expected = TRAINABLE_DEPTH_SCALES * float(
        phase_point("tanh", float(panel.line_sw2[middle]), panel.sb2)["depth_scale"]
    )
    assert panel.line_depth[middle] == pytest.approx(expected)
    assert panel.edge_sw2 == pytest.approx(1.7610, abs=5e-5)  # reference.md, sb2 = 0.05
    assert panel.budget_note == ""
    assert "trained for 3 SGD steps" in panel.caption


def test_the_caption_states_where_the_trainable_region_ends(monkeypatch):
    """The caption's multiples of xi are the engine's: the deepest trained depth below each
    column's first failure over xi, over the columns whose 6 xi lies within the grid (here a
    3-step grid with its accuracies replaced: 0.5 and 9 qualify, 1.5 has 6 xi = 95 > 48)."""
    small = lab_phase.trainability(
        lab_phase.TrainabilityConfig(sw2=(0.5, 1.5, 9.0), depths=(2, 8, 48), steps=3)
    )
    accuracy = np.array([[0.97, 0.98, 0.97], [0.67, 0.99, 0.99], [0.12, 0.3, 0.13]])
    trained = accuracy >= lab_phase.TRAINED_ACCURACY
    grid = replace(
        small,
        accuracy=accuracy,
        trained=trained,
        reach=lab_phase._reach(small.depths, trained, small.depth_scale),
    )
    monkeypatch.setattr(lab_phase, "trainability", lambda config, progress=None: grid)
    panel = run_trainability(TrainabilityRequest())
    xi = grid.depth_scale
    assert panel.reach == {
        "ordered": (pytest.approx(8 / xi[0]),) * 2,
        "chaotic": (pytest.approx(8 / xi[2]),) * 2,
    }
    ordered, chaotic = f"{8 / xi[0]:.2g} ξ", f"{8 / xi[2]:.2g} ξ"
    assert (
        "Where 6 ξ lies within the grid's depths, the trainable region ends (the deepest "
        f"network with accuracy ≥ 50% below the first without) at {ordered} on the ordered "
        f"side and at {chaotic} on the chaotic side. The red line is 6 ξ"
    ) in panel.caption
    assert panel.caption.endswith("the dashed rule is the edge of chaos, σ_w² = 1.761.")
    assert reach_text(2.94, 3.56) == "2.9–3.6 ξ" and reach_text(3.01, 2.99) == "3 ξ"
    # No column with its boundary inside the grid: no sentence.
    unbounded = replace(grid, reach=np.full(3, np.nan))
    monkeypatch.setattr(lab_phase, "trainability", lambda config, progress=None: unbounded)
    panel = run_trainability(TrainabilityRequest())
    assert panel.reach == {} and "trainable region ends" not in panel.caption


def test_cell_edges_surround_their_values():
    edges = cell_edges(np.array([2.0, 4.0, 8.0]))
    np.testing.assert_allclose(edges, [1.0, 3.0, 6.0, 10.0])
    np.testing.assert_allclose(cell_edges(np.array([5.0])), [4.5, 5.5])
