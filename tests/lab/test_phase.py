"""Mean-field phase diagram helpers and the trainability grid.

Numbers are pinned to ../shared/reference.md ("Mean-field theory": the tanh edge of chaos and
PyTorch's tanh gain) or to an independent computation (scipy.integrate quad and dblquad).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from lab import phase

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


# --- trainability ---------------------------------------------------------------------------


def test_trainable_region_follows_six_depth_scales():
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
