"""Tests of the symmetry-breaking experiment (lab.symmetry)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lab.activations import ACTIVATION_NAMES
from lab.symmetry import max_pairwise_distance, symmetry_experiment


@pytest.mark.parametrize(("init", "params"), [("zeros", ()), ("constant", (("value", 0.5),))])
@pytest.mark.parametrize("width", [2, 7, 8, 13])  # odd sizes hit SIMD loop tails
def test_equal_initial_weights_stay_exactly_equal(init, params, width):
    result = symmetry_experiment(init, params, steps=20, width=width)
    assert result.max_pairwise_distance.shape == (21,)
    assert np.all(result.max_pairwise_distance == 0.0)
    assert np.all(result.outgoing_max_pairwise_distance == 0.0)
    assert not result.broken
    # Every hidden unit holds the very same numbers, bit for bit.
    assert np.all(result.incoming_weights == result.incoming_weights[:, :1])


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_constant_init_stays_symmetric_for_every_activation(activation):
    result = symmetry_experiment("constant", (("value", 0.5),), activation=activation, steps=10)
    distances = result.max_pairwise_distance
    assert np.all(distances == 0.0)


def test_constant_weights_do_move_while_staying_equal():
    # The symmetric units still learn (the distance is 0 because they move together).
    result = symmetry_experiment("constant", (("value", 0.5),), steps=20)
    assert not np.all(result.incoming_weights == 0.5)
    assert result.loss[-1] < result.loss[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_init_breaks_symmetry_and_learns(seed):
    result = symmetry_experiment("he_normal", steps=20, seed=seed)
    assert result.broken
    assert np.all(result.max_pairwise_distance > 0.0)
    assert np.all(result.outgoing_max_pairwise_distance > 0.0)
    assert result.loss[-1] < result.loss[0]
    assert np.array_equal(result.steps, np.arange(21))


def test_distance_is_measured_on_the_weights():
    result = symmetry_experiment("he_normal", steps=5, seed=4)
    w = result.incoming_weights
    independent = max(
        np.linalg.norm(w[:, i] - w[:, j]) for i in range(w.shape[1]) for j in range(w.shape[1])
    )
    assert result.max_pairwise_distance[-1] == pytest.approx(independent, rel=1e-12)


def test_max_pairwise_distance_of_known_vectors():
    vectors = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]])  # columns (0,0), (3,0), (0,4)
    assert max_pairwise_distance(vectors) == 5.0
    assert max_pairwise_distance(np.ones((3, 1))) == 0.0
    with pytest.raises(ValueError, match="vectors"):
        max_pairwise_distance(np.ones(3))


def test_loss_is_the_mean_squared_error_of_the_first_forward_pass():
    # Independent forward pass with the documented draw order.
    rng = np.random.default_rng(9)
    x = rng.standard_normal((16, 3))
    teacher = rng.normal(0.0, 1.0 / np.sqrt(3), size=3)
    y = np.sin(x @ teacher)
    w1 = rng.normal(0.0, np.sqrt(2.0 / 3.0), size=(3, 5))  # He normal, fan_in 3
    w2 = rng.normal(0.0, np.sqrt(2.0 / 5.0), size=(5, 1))
    expected = np.mean((np.tanh(x @ w1) @ w2 - y[:, None]) ** 2)
    result = symmetry_experiment("he_normal", steps=1, width=5, inputs=3, samples=16, seed=9)
    assert result.loss[0] == pytest.approx(expected, rel=1e-12)


def test_same_seed_same_record():
    first = symmetry_experiment("xavier_uniform", seed=3)
    second = symmetry_experiment("xavier_uniform", seed=3)
    assert np.array_equal(first.loss, second.loss)
    assert np.array_equal(first.max_pairwise_distance, second.max_pairwise_distance)


def test_divergence_is_reported_as_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = symmetry_experiment("large_random", learning_rate=10.0, activation="linear")
    assert not np.all(np.isfinite(result.loss))
    assert not result.broken


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"init": "glorot"}, "init"),
        ({"init": "he_normal", "steps": 0}, "steps"),
        ({"init": "he_normal", "width": 1}, "width"),
        ({"init": "he_normal", "inputs": 0}, "inputs"),
        ({"init": "he_normal", "samples": 0}, "samples"),
        ({"init": "he_normal", "learning_rate": 0.0}, "learning_rate"),
        ({"init": "he_normal", "learning_rate": float("nan")}, "learning_rate"),
        ({"init": "he_normal", "activation": "swish"}, "activation"),
        ({"init": "he_normal", "seed": -1}, "seed"),
        ({"init": "constant", "init_params": (("value", float("inf")),)}, "value"),
        ({"init": "zeros", "init_params": (("gain", 1.0),)}, "zeros"),
    ],
)
def test_invalid_arguments_raise_value_error_naming_them(arguments, name):
    with pytest.raises(ValueError, match=name):
        symmetry_experiment(**arguments)
