"""Activations: values, derivatives against finite differences, and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab.activations import ACTIVATION_NAMES, SELU_ALPHA, SELU_LAMBDA, get_activation

Z = np.linspace(-4.0, 4.0, 801)


def test_known_values():
    assert np.array_equal(get_activation("relu")(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])
    assert get_activation("leaky_relu", 0.2)(np.array([-1.0]))[0] == pytest.approx(-0.2)
    assert get_activation("sigmoid")(np.array([0.0]))[0] == 0.5
    assert get_activation("tanh")(np.array([1.0]))[0] == pytest.approx(math.tanh(1.0))
    # GELU(1) = Phi(1) = 0.841344746...
    assert get_activation("gelu")(np.array([1.0]))[0] == pytest.approx(0.8413447460685429)
    assert get_activation("selu")(np.array([-1.0]))[0] == pytest.approx(
        SELU_LAMBDA * SELU_ALPHA * (math.exp(-1) - 1)
    )


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivative_matches_central_difference(name):
    act = get_activation(name)
    h = 1e-6
    numeric = (act(Z + h) - act(Z - h)) / (2 * h)
    away_from_kinks = np.all(np.abs(Z[:, None] - np.array(act.kinks or (99.0,))) > 1e-3, axis=1)
    np.testing.assert_allclose(
        act.derivative(Z)[away_from_kinks], numeric[away_from_kinks], rtol=1e-5, atol=1e-7
    )


def test_unknown_activation_names_choices():
    with pytest.raises(ValueError, match="activation must be one of linear, relu"):
        get_activation("swish")


def test_leaky_slope_validated():
    with pytest.raises(ValueError, match=r"slope must be a finite number in \[0, 1\]; got -0.5"):
        get_activation("leaky_relu", -0.5)
