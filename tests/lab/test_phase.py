"""Mean-field phase diagram helpers and the trainability grid.

Numbers are pinned to ../shared/reference.md ("Mean-field theory": the tanh edge of chaos and
PyTorch's tanh gain) or to an independent computation (scipy.integrate quad and dblquad).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special

from lab import phase, theory
from lab.controls.phase_diagram import CONTROLS

# reference.md, tanh edge of chaos: sb2 -> (critical sw2, q*), four decimals.
TANH_EDGE = {
    0.01: (1.4242, 0.2733),
    0.05: (1.7610, 0.5700),
    0.1: (1.9861, 0.8058),
    0.5: (2.8432, 1.9710),
}


def sech2(u):
    return 1.0 / np.cosh(u) ** 2


def dblquad_expectation(f, g, q: float, c: float) -> float:
    """Independent E[f(u1) g(u2)]: scipy dblquad over z1, z2 in [-12, 12]."""
    s, r = math.sqrt(q), math.sqrt(1.0 - c * c)

    def integrand(z2: float, z1: float) -> float:
        density = math.exp(-0.5 * (z1 * z1 + z2 * z2)) / (2.0 * math.pi)
        return float(f(s * z1) * g(s * (c * z1 + r * z2))) * density

    return integrate.dblquad(integrand, -12, 12, -12, 12, epsabs=1e-12, epsrel=1e-11)[0]


def test_edge_of_chaos_curve_matches_the_reference():
    sb2 = list(TANH_EDGE)
    critical, q_star = phase.edge_of_chaos_curve("tanh", sb2)
    assert [round(float(v), 4) for v in critical] == [TANH_EDGE[b][0] for b in sb2]
    assert [round(float(v), 4) for v in q_star] == [TANH_EDGE[b][1] for b in sb2]
    # Where chi1 = 1 the point is critical and xi_c diverges.
    point = phase.phase_point("tanh", float(critical[1]), 0.05)
    assert point["chi1"] == pytest.approx(1.0, abs=1e-9)
    assert point["phase"] == "critical" and math.isinf(point["depth_scale"])


@pytest.mark.parametrize(("q", "c"), [(0.6, 0.3), (2.5, 0.9), (8.0, 0.99)])
def test_bivariate_expectation_matches_dblquad(q, c):
    # dblquad's own tolerance is 1e-11; the rule is checked to 1e-8.
    ours = phase.bivariate_expectation(np.tanh, np.tanh, q, c)
    assert ours == pytest.approx(dblquad_expectation(np.tanh, np.tanh, q, c), abs=1e-8)
    ours = phase.bivariate_expectation(sech2, sech2, q, c)
    assert ours == pytest.approx(dblquad_expectation(sech2, sech2, q, c), abs=1e-8)


def test_ordered_phase_correlations_converge_to_one():
    point = phase.phase_point("tanh", 1.2, 0.05)
    assert point["phase"] == "ordered" and point["c_star"] == 1.0
    # At c* = 1, chi_c = chi1: xi_c equals the gradient depth scale -1 / ln chi1.
    assert point["depth_scale"] == pytest.approx(-1.0 / math.log(point["chi1"]), rel=1e-12)
    assert point["depth_scale"] == pytest.approx(point["gradient_depth_scale"], rel=1e-12)


def test_chaotic_phase_without_bias_decorrelates_completely():
    """sb2 = 0, odd phi: c* = 0, and chi_c = sw2 E[phi'(u1)] E[phi'(u2)] = sw2 E[sech^2]^2."""
    sw2 = 3.0
    point = phase.phase_point("tanh", sw2, 0.0)
    assert point["phase"] == "chaotic"
    assert abs(point["c_star"]) < 1e-10
    q = point["q_star"]

    def density_times(f):
        return lambda z: f(math.sqrt(q) * z) * math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)

    mean_slope = integrate.quad(density_times(sech2), -12, 12, epsabs=1e-13)[0]
    assert point["chi_c"] == pytest.approx(sw2 * mean_slope**2, rel=1e-9)
    assert point["depth_scale"] == pytest.approx(-1.0 / math.log(sw2 * mean_slope**2), rel=1e-8)


def test_chaotic_fixed_point_is_a_fixed_point():
    q_star, c_star = phase.correlation_fixed_point("tanh", 3.0, 0.3)
    assert 0.0 < c_star < 1.0
    again = phase.correlation_map("tanh", c_star, 3.0, 0.3, q_star)
    assert again == pytest.approx(c_star, abs=1e-12)
    # Stable: the slope there is below 1.
    assert phase.correlation_slope("tanh", c_star, 3.0, q_star) < 1.0


def test_pytorch_tanh_gain_is_chaotic():
    """reference.md: sw2 = (5/3)^2, sb2 = 0 has q* = 1.1785, chi1 = 1.2098."""
    point = phase.phase_point("tanh", 25.0 / 9.0, 0.0)
    assert round(point["q_star"], 4) == 1.1785 and round(point["chi1"], 4) == 1.2098
    assert point["phase"] == "chaotic"


def test_depth_scale_grows_towards_the_edge_from_both_sides():
    diagram = phase.phase_diagram("tanh", [1.0, 1.5, 1.7, 1.85, 2.2, 3.0], [0.05])
    scale = diagram.depth_scale[0]
    assert list(diagram.phase[0]) == ["ordered"] * 3 + ["chaotic"] * 3
    assert scale[0] < scale[1] < scale[2] and scale[3] > scale[4] > scale[5]
    # In the chaotic phase the correlations decay more slowly than the gradients grow.
    assert np.all(scale[3:] > diagram.gradient_depth_scale[0, 3:])
    assert diagram.edge_sw2[0] == pytest.approx(1.7610, abs=5e-5)
    assert diagram.q_star.shape == diagram.chi1.shape == (1, 6)


def test_other_smooth_activations_and_refusals():
    point = phase.phase_point("sigmoid", 2.0, 0.1)
    assert point["phase"] == "ordered"  # sigmoid'(0) = 1/4 keeps chi1 far below 1
    point = phase.phase_point("gelu", 1.5, 0.05)
    assert math.isfinite(point["depth_scale"])
    with pytest.raises(ValueError, match="activation must be one of tanh, sigmoid, gelu"):
        phase.phase_point("relu", 2.0, 0.0)
    with pytest.raises(ValueError, match=r"sw2 must be 1 to 200 finite numbers in \(0, 10\]"):
        phase.phase_diagram("tanh", [0.0, 1.0], [0.05])
    with pytest.raises(ValueError, match=r"sb2 must be 1 to 200 finite numbers in \[0, 2\]"):
        phase.phase_diagram("tanh", [1.0], [float("nan")])


def test_chaotic_depth_scale_with_bias_matches_dblquad():
    """sb2 > 0 in the chaotic phase: 0 < c* < 1, checked with scipy's dblquad and q* from quad:
    c* is a fixed point of the correlation map, chi_c = sw2 E[phi'(u1) phi'(u2)] there and
    xi_c = -1 / ln chi_c (Schoenholz et al. 2017, eq. 9), longer than the gradient's 1 / ln chi1.
    """
    sb2 = 0.05
    for sw2 in (2.5, 4.0):
        point = phase.phase_point("tanh", sw2, sb2)
        q, c = point["q_star"], point["c_star"]
        assert point["phase"] == "chaotic" and 0.1 < c < 0.5
        s = math.sqrt(q)
        second = quad_mean(lambda z, s=s: np.tanh(s * z) ** 2)
        assert q == pytest.approx(sw2 * second + sb2, rel=1e-10)  # q* is the length fixed point
        mapped = (sw2 * dblquad_expectation(np.tanh, np.tanh, q, c) + sb2) / q
        assert mapped == pytest.approx(c, abs=1e-9)
        chi_c = sw2 * dblquad_expectation(sech2, sech2, q, c)
        assert chi_c < 1.0 < point["chi1"]
        assert point["depth_scale"] == pytest.approx(-1.0 / math.log(chi_c), rel=1e-7)
        assert point["depth_scale"] > point["gradient_depth_scale"]


# --- GELU: closed forms and the fixed point at sw2 = 2 ------------------------------------


def quad_mean(f) -> float:
    """E[f(z)], z ~ N(0, 1), by scipy's quad (independent of the engine's rules)."""
    density = 1.0 / math.sqrt(2.0 * math.pi)
    return integrate.quad(
        lambda z: f(z) * density * math.exp(-0.5 * z * z), -40, 40, epsabs=1e-14, limit=400
    )[0]


def gelu(u):
    return u * special.ndtr(u)


def gelu_grad(u):
    return special.ndtr(u) + u * np.exp(-0.5 * u * u) / math.sqrt(2.0 * math.pi)


def quad_in_x(g, q: float) -> float:
    """E[g(sqrt(q) z)] = integral of g(x) N(x; 0, q) dx for a g that vanishes beyond |x| ~ 40:
    quad in x, split at 0, resolves g at any q (where a rule in z would need nodes 1/sqrt(q)
    apart)."""
    density = 1.0 / math.sqrt(2.0 * math.pi * q)

    def integrand(x: float) -> float:
        return g(x) * density * math.exp(-0.5 * x * x / q)

    return sum(
        integrate.quad(integrand, a, b, epsabs=1e-17, epsrel=1e-12, limit=400)[0]
        for a, b in ((-60.0, 0.0), (0.0, 60.0))
    )


def quad_deficit(q: float) -> float:
    """R(q) = q/2 - E[gelu(sqrt(q) z)^2] = E[x^2 (1{x > 0} - Phi(x)^2)], x ~ N(0, q)."""

    def g(x: float) -> float:
        if x > 0:
            return x * x * special.ndtr(-x) * (1.0 + special.ndtr(x))
        return -x * x * special.ndtr(x) ** 2

    return quad_in_x(g, q)


@pytest.mark.parametrize(("q", "c"), [(0.6, 0.3), (2.5, 0.9), (8.0, 0.99), (1.0, -0.7), (3.0, 0.0)])
def test_gelu_closed_forms_match_dblquad(q, c):
    assert phase.gelu_kernel(q, c) == pytest.approx(dblquad_expectation(gelu, gelu, q, c), abs=1e-9)
    slope = dblquad_expectation(gelu_grad, gelu_grad, q, c)
    assert phase.gelu_kernel_slope(q, c) == pytest.approx(slope, abs=1e-9)


def test_gelu_closed_forms_match_the_reference_and_large_q():
    # reference.md: GELU at q = 1, E[phi^2] = 0.4252214826, E[phi'^2] = 0.4558508656.
    assert phase.gelu_kernel(1.0, 1.0) == pytest.approx(0.4252214826, abs=1e-10)
    assert phase.gelu_kernel_slope(1.0, 1.0) == pytest.approx(0.4558508656, abs=1e-10)
    for q in (0.01, 1.0, 30.0, 1e4, 1e8, 1e12):
        # Where q/2 - E[gelu^2] cancels, R is computed without the difference.
        assert phase.gelu_deficit(q) == pytest.approx(quad_deficit(q), rel=1e-9)
        excess = quad_in_x(lambda x: gelu_grad(x) ** 2 - (x > 0), q)
        assert phase.gelu_kernel_slope(q, 1.0) - 0.5 == pytest.approx(excess, rel=1e-6, abs=1e-15)
    assert phase.gelu_kernel_slope(math.inf, 1.0) == 0.5


def test_gelu_deficit_has_one_peak_and_one_inflection():
    """The shape _gelu_fixed_point relies on: R rises to GELU_DEFICIT_MAX at GELU_DEFICIT_PEAK
    (checked with quad), is concave below GELU_DEFICIT_INFLECTION, convex above, and falls to
    0. Second differences on a log grid (relative step 1e-3) have the sign of R''."""
    peak = optimize.minimize_scalar(
        lambda log_q: -quad_deficit(math.exp(log_q)),
        bounds=(0.0, 1.0),
        method="bounded",
        options={"xatol": 1e-9},
    )
    assert math.exp(peak.x) == pytest.approx(phase.GELU_DEFICIT_PEAK, rel=1e-5)
    assert -peak.fun == pytest.approx(phase.GELU_DEFICIT_MAX, rel=1e-9)
    for q in np.geomspace(1e-4, 1e12, 200):
        h = 1e-3 * q
        values = [phase.gelu_deficit(q + k * h) for k in (-1, 0, 1)]
        second = values[0] - 2 * values[1] + values[2]
        slope = values[2] - values[0]
        if abs(q / phase.GELU_DEFICIT_INFLECTION - 1) > 0.01:
            assert (second < 0) == (q < phase.GELU_DEFICIT_INFLECTION), q
        if abs(q / phase.GELU_DEFICIT_PEAK - 1) > 0.01:
            assert (slope > 0) == (q < phase.GELU_DEFICIT_PEAK), q
    assert phase.gelu_deficit(1e300) < 1e-140


def quad_length_map(sw2: float, sb2: float):
    return lambda q: sw2 * quad_mean(lambda z: gelu(math.sqrt(q) * z) ** 2) + sb2


@pytest.mark.parametrize("sb2", [0.2, 0.25, 1.0, 2.0])
def test_gelu_at_he_scale_with_a_large_bias_has_no_finite_fixed_point(sb2):
    """Regression: GELU at sw2 = 2 with sb2 >= 0.2 raised ValueError (a spurious q* near 1e15,
    where q - sw2 E[gelu^2] is lost to rounding, sent to the correlation map). The length map
    is q + sb2 - 2 R(q) with R <= 0.0783 (quad): every layer adds at least sb2 - 0.1566, so q
    grows without bound; 60 layers iterated with quad from q0 = 1 confirm it."""
    step = quad_length_map(2.0, sb2)
    q = 1.0
    for _ in range(60):
        again = step(q)
        assert again - q > sb2 - 2 * 0.0784
        q = again
    assert q > 1.0 + 60 * (sb2 - 2 * 0.0784)
    assert phase.length_fixed_point("gelu", 2.0, sb2) == math.inf
    point = phase.phase_point("gelu", 2.0, sb2)
    assert math.isnan(point["q_star"]) and math.isnan(point["depth_scale"])
    assert point["chi1"] == 1.0 and point["phase"] == "critical"  # sw2 lim E[gelu'^2] = 2 / 2


@pytest.mark.parametrize(
    ("sw2", "sb2"), [(2.0, 0.04), (2.0, 0.15), (2.0, 0.155), (1.9881, 1.0), (1.9881, 0.25)]
)
def test_gelu_fixed_points_near_he_scale_match_quad(sw2, sb2):
    """Finite fixed points next to the case above: sw2 = 2 with sb2 below 2 R's maximum (at
    0.155 the iteration from 1 climbs to the root before R's peak), and Xavier gain 1.41
    (sw2 = 1.9881), where q* is large. Independent: Brent's method on the quad
    length map (q* is the first root above or below q0 = 1), chi1 by quad."""
    step = quad_length_map(sw2, sb2)
    first = step(1.0)
    bracket = (first, 1.0) if first < 1.0 else (1.0, first)
    while step(bracket[0]) < bracket[0]:
        bracket = (bracket[0] / 2, bracket[0])
    while step(bracket[1]) > bracket[1]:
        bracket = (bracket[1], 2 * bracket[1])
    q = optimize.brentq(lambda v: step(v) - v, *bracket, xtol=1e-14, rtol=1e-13)
    point = phase.phase_point("gelu", sw2, sb2)
    assert point["q_star"] == pytest.approx(q, rel=1e-9)
    chi1 = sw2 * quad_mean(lambda z: gelu_grad(math.sqrt(q) * z) ** 2)
    assert point["chi1"] == pytest.approx(chi1, rel=1e-9)
    assert math.isfinite(point["depth_scale"]) and point["depth_scale"] > 0


def test_gelu_agrees_with_the_length_map_of_lab_theory():
    """Away from sw2 = 2 lab.theory's quadrature is exact enough: the closed forms agree."""
    for sw2 in (0.5, 1.0, 1.5, 1.9, 2.5, 3.0, 4.84):
        for sb2 in (0.0, 0.01, 0.25, 1.0):
            q = phase.length_fixed_point("gelu", sw2, sb2)
            expected = theory.fixed_point("gelu", sw2, sb2)
            assert q == pytest.approx(expected, rel=1e-12) or q == expected == math.inf
            assert phase.phase_point("gelu", sw2, sb2)["chi1"] == pytest.approx(
                theory.chi1("gelu", sw2, sb2), rel=1e-12
            )


# Every (activation, sigma_w^2, sigma_b^2) the page's controls allow: gain g in [0.1, 2.2]
# (sigma_w^2 = g^2), the bias std options, and the schemes' points (sigma_w^2 = 1, 2, 25/9).
GAINS = CONTROLS["gain"]
SB2_OPTIONS = tuple(b * b for b in CONTROLS["bias_std"].options)
SPECIAL_SW2 = (1.0, 2.0, 25.0 / 9.0, math.sqrt(2.0) ** 2, 1.41**2, 1.42**2, 2 - 1e-6, 2 + 1e-6)


def check_point(activation: str, sw2: float, sb2: float) -> None:
    """The contract the page relies on: no exception; chi1 finite; q*, c*, chi_c and xi all
    NaN exactly where q* is infinite; otherwise 0 <= c* <= 1 and xi in [0, inf], inf only on
    the edge (chi1 within EDGE_TOL of 1)."""
    point = phase.phase_point(activation, sw2, sb2)
    assert math.isfinite(point["chi1"]) and point["chi1"] >= 0
    assert point["phase"] in ("ordered", "critical", "chaotic")
    undefined = math.isnan(point["q_star"])
    for name in ("c_star", "chi_c", "depth_scale"):
        assert math.isnan(point[name]) == undefined, (activation, sw2, sb2, point)
    if undefined:
        assert activation == "gelu" and sw2 >= 2.0 and point["chi1"] >= 1.0
        return
    assert 0.0 <= point["c_star"] <= 1.0 and point["q_star"] >= 0.0
    assert point["depth_scale"] >= 0.0
    if math.isinf(point["depth_scale"]):
        assert abs(point["chi1"] - 1.0) <= phase.EDGE_TOL


@pytest.mark.parametrize("activation", phase.PHASE_ACTIVATIONS)
def test_every_allowed_point_returns_a_value(activation):
    gains = np.linspace(GAINS.low, GAINS.high, 23)
    for sw2 in (*(gains**2), *SPECIAL_SW2):
        for sb2 in SB2_OPTIONS:
            check_point(activation, float(sw2), sb2)


@settings(max_examples=60)
@given(
    activation=st.sampled_from(phase.PHASE_ACTIVATIONS),
    gain=st.floats(GAINS.low, GAINS.high),
    sb2=st.sampled_from(SB2_OPTIONS) | st.floats(0.0, phase.MAX_SB2),
)
def test_any_point_in_range_returns_a_value(activation, gain, sb2):
    check_point(activation, gain * gain, sb2)


# --- trainability ---------------------------------------------------------------------------


def test_trainable_region_follows_six_depth_scales_to_the_edge():
    """Schoenholz et al. 2017: networks deeper than about 6 xi_c do not train. At
    sw2 = 0.5 (sb2 = 0.05) 6 xi_c is about 7 layers: 4 layers train, 24 stay at chance. At the
    edge of chaos xi_c is infinite and 24 layers train."""
    edge = float(phase.edge_of_chaos_curve("tanh", [0.05])[0][0])
    config = phase.TrainabilityConfig(sw2=(0.5, edge), depths=(4, 24))
    result = phase.trainability(config)
    assert result.budget_note == ""
    assert 4 < result.trainable_depth[0] < 24 and math.isinf(result.trainable_depth[1])
    shallow, deep = result.accuracy
    assert shallow[0] > 0.8  # inside 6 xi_c
    assert deep[0] < result.chance_accuracy + 0.1  # far beyond 6 xi_c: chance
    assert deep[1] > 0.8  # at the edge
    assert result.line_depth.shape == result.line_sw2.shape == (phase.LINE_POINTS,)
    assert result.edge_sw2 == pytest.approx(edge)
    assert list(result.phase) == ["ordered", "critical"]
    np.testing.assert_array_equal(result.trained, result.accuracy >= phase.TRAINED_ACCURACY)
    # Column 1 trains at both depths (no boundary in the grid); column 0 stops after 4 layers.
    assert result.reach[0] == pytest.approx(4 / result.depth_scale[0])
    assert math.isnan(result.reach[1])


def test_default_grid_fits_the_budget_and_crosses_ten_depth_scales_on_both_sides():
    config = phase.TrainabilityConfig()
    assert phase.trainability_cost(config).fits()  # the page's grid runs all its steps
    deepest = max(config.depths)
    scale = np.array([phase.phase_point("tanh", w, config.sb2)["depth_scale"] for w in config.sw2])
    edge = float(phase.edge_of_chaos_curve("tanh", [config.sb2])[0][0])
    below = np.array(config.sw2) < edge
    assert np.any(below & (10 * scale < deepest)) and np.any(~below & (10 * scale < deepest))


def test_cells_do_not_depend_on_the_rest_of_the_grid():
    """Every network of the grid uses the grid's seed, so a cell trained alone equals the cell
    of the page's grid (the next test trains only the cells it checks)."""
    config = phase.TrainabilityConfig(sw2=(0.5, 9.0), depths=(2, 4), steps=20)
    grid = phase.trainability(config)
    alone = phase.trainability(replace(config, sw2=(9.0,), depths=(4,)))
    assert alone.accuracy[0, 0] == grid.accuracy[1, 1] and alone.loss[0, 0] == grid.loss[1, 1]


def test_trainable_region_follows_a_few_depth_scales_on_both_sides():
    """The page's grid (seed 0): in every column whose 6 xi_c lies within the grid's depths,
    on both sides of the edge of chaos, the networks at most 3 xi_c deep train (accuracy >=
    TRAINED_ACCURACY = 0.5; they reach 0.84 to 0.99) and those at least 10 xi_c deep stay at
    chance (within 0.1 of it: at most one more of the ten classes, 10 % of the digits each,
    told apart; they reach 0.12 and 0.13). Seeds 1 to 3 pass too. Between 3 and 10 xi_c
    lies the boundary (``lab.phase``'s docstring: 4 to 9 xi_c on the ordered side, 2 to
    4.5 xi_c on the chaotic side). Closer to the edge 6 xi_c is above the grid and the
    deepest networks are limited by the 300 steps instead (at sw2 = 2, 48 layers reach 0.29
    to 0.71 depending on the seed)."""
    config = phase.TrainabilityConfig()
    edge = float(phase.edge_of_chaos_curve("tanh", [config.sb2])[0][0])
    checked = {"ordered": [0, 0], "chaotic": [0, 0]}
    for sw2 in config.sw2:
        xi = float(phase.phase_point("tanh", sw2, config.sb2)["depth_scale"])
        if phase.TRAINABLE_DEPTH_SCALES * xi > max(config.depths):
            continue
        shallow = tuple(d for d in config.depths if d <= 3 * xi)
        deep = tuple(d for d in config.depths if d >= 10 * xi)
        result = phase.trainability(replace(config, sw2=(sw2,), depths=shallow + deep))
        assert result.budget_note == ""
        side = "ordered" if sw2 < edge else "chaotic"
        for depth, accuracy in zip(result.depths, result.accuracy[:, 0], strict=True):
            if depth in shallow:
                assert accuracy >= phase.TRAINED_ACCURACY, (sw2, depth, accuracy)
                checked[side][0] += 1
            else:
                assert accuracy < result.chance_accuracy + 0.1, (sw2, depth, accuracy)
                checked[side][1] += 1
    assert all(shallow and deep for shallow, deep in checked.values()), checked


def test_reach_is_the_deepest_trained_depth_below_the_first_failure():
    depths = np.array([2, 4, 8, 16])
    trained = np.array(
        [
            [True, True, False, True],
            [True, True, False, True],
            [False, True, False, True],
            [True, False, False, True],
        ]
    )
    reach = phase._reach(depths, trained, np.array([2.0, 4.0, 1.0, 3.0]))
    # column 0: 4 layers trained, 8 did not (16 training again does not count)
    assert reach[0] == pytest.approx(4 / 2.0) and reach[1] == pytest.approx(8 / 4.0)
    assert math.isnan(reach[2]) and math.isnan(reach[3])  # none trained; all trained
    assert math.isnan(phase._reach(depths, trained, np.array([2.0, np.inf, 1.0, 3.0]))[1])


def test_trainability_fits_the_budget_by_lowering_steps(monkeypatch):
    monkeypatch.setattr(phase, "TRAINABILITY_BUDGET_SECONDS", 0.005)
    config = phase.TrainabilityConfig(sw2=(1.0,), depths=(2,), samples=100)
    seen: list[float] = []
    result = phase.trainability(config, progress=seen.append)
    assert result.config.steps < config.steps and result.requested.steps == config.steps
    assert result.budget_note == (
        f"1 × 1 networks: {result.config.steps:,} steps instead of 300, "
        "to stay within the lab's budget."
    )
    assert seen == [1.0]


def test_trainability_refuses_bad_grids():
    with pytest.raises(ValueError, match=r"depths must be an integer in \[1, 64\]; got 100"):
        phase.TrainabilityConfig(depths=(2, 100))
    with pytest.raises(ValueError, match="sw2 must have at most 16 values"):
        phase.TrainabilityConfig(sw2=tuple(np.linspace(0.1, 4, 20)))
    with pytest.raises(ValueError, match="activation must be one of"):
        phase.TrainabilityConfig(activation="relu")


@pytest.mark.parametrize("activation", ["tanh", "gelu"])
def test_the_boundary_line_divides_the_planes_own_phases(activation):
    """The line is where the plane's own chi1 (the network started at q0 = 1) first reaches 1:
    every cell left of it is ordered, and just right of it chi1 >= 1, on both sides of GELU's
    jump. (Solving chi1 = 1 over every fixed point put GELU's line at sw2 = 4 for sb2 = 0,
    through cells the plane calls chaotic.)"""
    sb2 = np.linspace(0.0, 1.0, 21)
    sw2 = np.linspace(0.05, 5.0, 100)
    diagram = phase.phase_diagram(activation, sw2, sb2)
    for row, b in enumerate(sb2):
        edge = float(diagram.edge_sw2[row])
        left = sw2 < edge * (1 - 1e-9)
        assert left.any() and (diagram.chi1[row, left] < 1.0).all(), b
        assert phase.phase_point(activation, edge * (1 + 1e-6), float(b))["chi1"] >= 1.0, b


def test_gelu_jumps_past_chi1_1_at_small_bias_variance():
    """sb2 = 0: q0 = 1 is a fixed point at sw2 = 1 / E[gelu(z)^2] = 2.352 (the reference);
    below it the variance falls to 0 (chi1 -> sw2 / 4), above it grows without bound (chi1 ->
    sw2 / 2). Large sb2: the edge of chaos, where chi1 reaches 1."""
    jump = phase.phase_boundary("gelu", 0.0)
    assert jump.jump and jump.sw2 == pytest.approx(1 / 0.4252214826, rel=1e-9)
    assert jump.q_star == pytest.approx(0.0, abs=1e-12)
    below = phase.phase_point("gelu", jump.sw2 * (1 - 1e-6), 0.0)["chi1"]
    above = phase.phase_point("gelu", jump.sw2 * (1 + 1e-6), 0.0)["chi1"]
    assert below == pytest.approx(jump.sw2 / 4, rel=1e-5)
    assert above == pytest.approx(jump.sw2 / 2, rel=1e-5)
    edge = phase.phase_boundary("gelu", 0.5)
    assert not edge.jump
    assert (edge.sw2, edge.q_star) == pytest.approx(theory.edge_of_chaos("gelu", 0.5))
    assert phase.phase_point("gelu", edge.sw2, 0.5)["chi1"] == pytest.approx(1.0, abs=1e-9)
    jumps = [b.jump for b in phase.phase_boundaries("gelu", np.linspace(0.0, 1.0, 21))]
    assert jumps[0] and not jumps[-1]
    assert not any(b.jump for b in phase.phase_boundaries("tanh", np.linspace(0.0, 1.0, 21)))


def test_every_way_gelu_jumps_leaves_xi_finite_and_the_plane_ends_the_dash_where_it_stops():
    """Three kinds of jump, as the page's note says: at sb2 = 0.05 the start q0 = 1 crosses
    the repelling fixed point (from q* < 1); at 0.14 the reached fixed point (q* > 1) meets it
    and vanishes; at 0.165 the variance lands on a far larger finite fixed point. Nowhere does
    xi diverge (no edge of chaos). The plane's dashed stretch ends between 0.165 and 0.175."""
    from lab.experiments.phase_diagram import plane

    crossing, vanishing, landing = (phase.phase_boundary("gelu", b) for b in (0.05, 0.14, 0.165))
    assert crossing.jump and crossing.q_star < 1.0
    assert vanishing.jump and vanishing.q_star > 1.0
    assert landing.jump
    after = phase.phase_point("gelu", landing.sw2 * (1 + 1e-6), 0.165)
    assert math.isfinite(after["q_star"]) and after["q_star"] > 5 * landing.q_star
    for b in np.linspace(0.0, 0.17, 18):
        boundary = phase.phase_boundary("gelu", float(b))
        assert boundary.jump, b
        for side in (1 - 1e-6, 1 + 1e-6):
            point = phase.phase_point("gelu", boundary.sw2 * side, float(b))
            assert not math.isinf(point["depth_scale"]), b
    gelu = plane("gelu")
    last = float(gelu.edge_sb2[gelu.edge_jump].max())
    assert 0.165 < last < 0.175 and not phase.phase_boundary("gelu", last + 1e-3).jump


def test_the_correlation_depth_scale_is_the_gradients_in_order_and_longer_in_chaos():
    """Signal propagation's text: the Phase diagram's xi (correlation) equals the gradient's
    depth scale 1/|ln chi1| in the ordered phase and is longer in the chaotic one."""
    checked = {"ordered": 0, "chaotic": 0}
    for activation in ("tanh", "sigmoid", "gelu"):
        for sw2 in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0):
            for sb2 in (0.0, 0.05, 0.5, 1.0, 2.0):
                point = phase.phase_point(activation, sw2, sb2)
                xi, gradient_xi = point["depth_scale"], point["gradient_depth_scale"]
                if point["phase"] not in checked or not math.isfinite(xi):
                    continue
                if point["phase"] == "ordered":
                    assert xi == pytest.approx(gradient_xi, rel=1e-6)
                else:
                    assert xi > gradient_xi
                checked[point["phase"]] += 1
    assert min(checked.values()) >= 10
