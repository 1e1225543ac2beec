"""Data sets of the training experiments: generated 2-D sets and scikit-learn's digits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab import datasets
from lab.datasets import DATASET_NAMES, PLANAR, make_dataset


@pytest.mark.parametrize("name", PLANAR)
def test_generated_sets_are_reproducible_split_and_balanced(name):
    first = make_dataset(name, samples=201, seed=3)
    again = make_dataset(name, samples=201, seed=3)
    other = make_dataset(name, samples=201, seed=4)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(first, field), getattr(again, field))
    assert not np.array_equal(first.x_train, other.x_train)
    # 201 points, a quarter held out (rounded), no point in both parts.
    assert len(first.y_test) == 50 and len(first.y_train) == 151
    rows = {tuple(row) for row in first.x_train}
    assert rows.isdisjoint({tuple(row) for row in first.x_test})
    # Classes are generated in turn, so their sizes over both parts differ by at most one.
    counts = np.bincount(np.concatenate([first.y_train, first.y_test]), minlength=first.classes)
    assert counts.max() - counts.min() <= 1 and first.classes == (3 if name == "blobs" else 2)
    assert first.features == 2 and first.planar


def test_inputs_are_standardized_with_the_training_part():
    data = make_dataset("blobs", samples=400, seed=1)
    assert np.allclose(data.x_train.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(data.x_train.std(axis=0), 1.0, rtol=1e-12)
    # The held-out part uses the training statistics, so its own are only close.
    assert not np.allclose(data.x_test.mean(axis=0), 0.0, atol=1e-12)
    assert np.all(np.abs(data.x_test.mean(axis=0)) < 0.3)


def test_spiral_points_lie_on_their_spiral_without_noise():
    """Without jitter a point of class k at radius r has angle 2 pi turns r + k pi (mod 2 pi)."""
    rng = np.random.default_rng(0)
    points, labels = datasets._spirals(rng, 300, 0.0)
    radius = np.hypot(points[:, 0], points[:, 1])
    angle = np.arctan2(points[:, 1], points[:, 0])
    expected = 2.0 * math.pi * datasets.SPIRAL_TURNS * radius + math.pi * labels
    gap = np.angle(np.exp(1j * (angle - expected)))
    assert np.max(np.abs(gap)) < 1e-9
    assert radius.max() <= 1.0


def test_circles_and_xor_follow_their_rule_without_noise():
    rng = np.random.default_rng(0)
    points, labels = datasets._circles(rng, 100, 0.0)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert np.allclose(radius, np.where(labels == 0, 1.0, datasets.CIRCLE_FACTOR))
    points, labels = datasets._xor(rng, 100, 0.0)
    assert np.array_equal(labels == 1, points[:, 0] * points[:, 1] > 0)


def test_digits_come_from_scikit_learn_without_download():
    from sklearn.datasets import load_digits

    reference = load_digits()
    data = make_dataset("digits", seed=0)
    labels = np.concatenate([data.y_train, data.y_test])
    assert data.features == 64 and data.classes == 10 and not data.planar
    assert len(labels) == 1797
    assert np.array_equal(np.bincount(labels), np.bincount(reference.target))
    # A blank pixel of every image (the top-left corner) is only centred: it stays 0.
    assert np.all(data.x_train[:, 0] == 0.0)
    smaller = make_dataset("digits", samples=300, seed=0)
    assert len(smaller.y_train) + len(smaller.y_test) == 300


def test_chance_level_of_a_constant_prediction():
    data = make_dataset("digits", samples=500, seed=2)
    counts = np.bincount(data.y_train, minlength=10)
    shares = counts / counts.sum()
    # The loss of predicting the class frequencies, computed the long way.
    loss = -np.mean(np.log(shares[data.y_train]))
    assert data.chance_loss == pytest.approx(loss, rel=1e-12)
    assert data.chance_accuracy == pytest.approx(counts.max() / counts.sum())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "moons"}, "dataset must be one of"),
        ({"name": "spirals", "samples": 5}, "samples must be an integer in [20, 10000]; got 5"),
        ({"name": "digits", "samples": 2000}, "samples must be an integer in [20, 1797]"),
        ({"name": "digits", "noise": 0.1}, "noise applies to the generated 2-D sets only"),
        ({"name": "xor", "noise": -1.0}, "noise must be a finite number in [0, 2]"),
        ({"name": "xor", "held_out": 0.9}, "held_out must be a finite number in [0.05, 0.5]"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_dataset(name, **kwargs)


def test_every_name_builds():
    for name in DATASET_NAMES:
        data = make_dataset(name, samples=40)
        assert data.label == datasets.DATASETS[name]
        assert len(data.y_train) + len(data.y_test) == 40
