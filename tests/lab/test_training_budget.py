"""The trainer's budget (lab.training): the cost model counts what the trainer does, grows with
every size of a request, leaves the defaults alone, scales every request of the Training page
to its budget and says what it lowered in one line. Deterministic: nothing here is timed
(benchmarks/training.py measures the seconds)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.training import EIGHT_INITS
from lab import training
from lab.controls.training import CONTROLS
from lab.datasets import DATASET_NAMES, PLANAR
from lab.experiments import training as experiment
from lab.training import TrainingConfig


def predicted(config: TrainingConfig) -> float:
    return training.estimated_seconds(config)


# --- the cost model -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("samples", (20, 100, 101, 400, 2_000, 10_000)),
        ("layers", (1, 2, 8, 30, 100)),
        ("width", (2, 3, 16, 64, 127, 128)),
        ("epochs", (1, 2, 200, 1000)),
    ],
)
@pytest.mark.parametrize("dataset", ["spirals", "digits"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_the_prediction_grows_with_every_size(field, values, dataset, activation):
    if dataset == "digits" and field == "samples":
        values = (20, 100, 101, 400, 1797)
    base = TrainingConfig(dataset=dataset, activation=activation, inits=("he_normal", "zeros"))
    seconds = [predicted(replace(base, **{field: value})) for value in values]
    assert all(a < b for a, b in itertools.pairwise(seconds)), seconds


def test_more_initializations_adam_and_small_batches_cost_more():
    one = TrainingConfig(inits=("he_normal",))
    assert predicted(one) < predicted(replace(one, inits=("he_normal", "xavier_normal")))
    assert predicted(one) < predicted(replace(one, optimizer="adam"))
    assert predicted(replace(one, batch_size=64)) < predicted(replace(one, batch_size=16))
    # tied units compute their products one unit at a time
    assert predicted(one) < predicted(replace(one, inits=("zeros",)))
    assert predicted(replace(one, activation="relu")) < predicted(replace(one, activation="gelu"))


@pytest.mark.parametrize("dataset", ["blobs", "digits"])
def test_the_model_counts_the_trainers_products(monkeypatch, dataset):
    """The multiply-adds of the model are those of every row the trainer sends through the
    network: three products per row of a gradient, one per row of a prediction."""
    config = TrainingConfig(
        dataset=dataset,
        inits=("he_normal", "zeros"),
        samples=203,
        batch_size=32,
        epochs=3,
        layers=2,
        width=4,
    )
    rows = {"gradient": 0, "predict": 0}
    for name in rows:
        original = getattr(training._Network, name)

        def counted(self, x, *args, name=name, original=original):
            rows[name] += len(x)
            return original(self, x, *args)

        monkeypatch.setattr(training._Network, name, counted)
    result = training.run(config)
    assert result.budget_note == ""
    train = len(result.dataset.y_train)
    # per initialization: the whole training part at epoch 0, then every minibatch
    assert rows["gradient"] == 2 * 4 * train
    widths = result.widths
    per_row = sum(a * b for a, b in itertools.pairwise(widths))
    work = training.cost_features(config)
    products = per_row * (3 * rows["gradient"] + rows["predict"])
    assert work["blas"][0] == work["exact"][1] == products / 2
    assert work["exact"][0] == work["blas"][1] == 0


def test_predicted_seconds_sum_the_priced_features():
    config = TrainingConfig(inits=("he_normal", "constant", "orthogonal"))
    work = training.cost_features(config)
    assert set(work) == set(training.SECONDS_PER)
    assert all(len(values) == 3 and np.all(values >= 0) for values in work.values())
    # the tied network's products are per unit, the others BLAS
    assert work["exact"][1] > 0 and work["blas"][1] == 0
    assert work["blas"][0] > 0 and work["exact"][0] == 0
    # the same network: the same buffers to set up
    assert work["setup"][0] == work["setup"][2] > 0
    total = sum(training.SECONDS_PER[name] * float(np.sum(work[name])) for name in work)
    assert predicted(config) == pytest.approx(total)
    cost = training.training_cost(config)
    assert cost.multiply_adds == int(total * training.MULTIPLY_ADDS_PER_SECOND)


def test_a_step_costs_more_with_more_rows_and_per_unit_products():
    widths = (2, 32, 32, 2)
    small = training.estimated_step_seconds(widths, "tanh", 16)
    assert small < training.estimated_step_seconds(widths, "tanh", 64)
    assert small < training.estimated_step_seconds(widths, "tanh", 16, exact=True)


# --- the defaults and the page's requests ---------------------------------------------------


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_the_defaults_are_not_scaled(dataset):
    config = TrainingConfig(dataset=dataset)
    assert training.fit_budget(config) == (config, "")
    assert training.decision_grid_size(config) == (0 if dataset == "digits" else 60)
    page = experiment.Config(dataset=dataset).training_config()
    assert training.fit_budget(page) == (page, "")


def corner_requests():
    """The corners of the Training page's declared ranges (a learning rate is irrelevant)."""
    high = {name: CONTROLS[name].high for name in ("samples", "layers", "width", "epochs")}
    batches = (CONTROLS["batch_size"].low, CONTROLS["batch_size"].high)
    for dataset, layers, width, batch, optimizer, inits, activation in itertools.product(
        ("spirals", "blobs", "digits"),
        (1, high["layers"]),
        (CONTROLS["width"].low, high["width"]),
        batches,
        ("sgd", "adam"),
        (("he_normal",), EIGHT_INITS),
        ("linear", "gelu"),
    ):
        yield TrainingConfig(
            dataset=dataset,
            samples=high["samples"] if dataset in PLANAR else None,
            layers=layers,
            width=width,
            batch_size=batch,
            optimizer=optimizer,
            inits=inits,
            activation=activation,
            epochs=high["epochs"],
        )


def test_every_corner_of_the_page_is_scaled_within_its_budget():
    for config in corner_requests():
        fitted, note = training.fit_budget(config)
        assert training.training_cost(fitted).fits(), (config, note)
        assert (fitted.layers, fitted.width) == (config.layers, config.width)
        kept = len(fitted.inits)
        assert kept >= 1 and fitted.inits == config.inits[:kept]
        assert "\n" not in note
        if kept < len(config.inits):
            # initializations are the last resort: one epoch of the fewest points
            assert fitted.epochs == 1 and fitted.sample_count == training.MIN_FITTED_SAMPLES
            assert f"the first {kept} of {len(config.inits)} initializations" in note
        elif fitted.epochs < config.epochs:
            # as many epochs as fit: one more would not
            assert not training.training_cost(replace(fitted, epochs=fitted.epochs + 1)).fits()


def test_the_decision_grid_of_large_networks_is_coarser_within_its_share():
    small = TrainingConfig(inits=EIGHT_INITS)
    large = replace(small, layers=100, width=128)
    assert training.decision_grid_size(small) == training.GRID_SIZE
    side = training.decision_grid_size(large)
    assert training.MIN_GRID_SIZE <= side < training.GRID_SIZE
    sides = [training.decision_grid_size(replace(small, layers=n, width=128)) for n in (8, 30, 60)]
    assert sides == sorted(sides, reverse=True)
    assert training.decision_grid_size(replace(large, dataset="digits")) == 0


# --- the note -------------------------------------------------------------------------------


def test_the_note_names_what_was_lowered_with_plurals():
    config = TrainingConfig(layers=100, width=128, samples=10_000, epochs=1000, inits=EIGHT_INITS)
    fitted, note = training.fit_budget(config)
    side = training.decision_grid_size(fitted)
    kept = len(fitted.inits)
    assert fitted.epochs == 1 and kept < 8 and side < 60
    assert note == (
        f"100 layers × 128 units: {fitted.sample_count:,} points instead of 10,000, 1 epoch "
        f"instead of 1,000, the first {kept} of 8 initializations and decision regions on a "
        f"{side} × {side} grid instead of 60 × 60, to stay within the lab's budget."
    )
    assert all(word not in note for word in ("1 epochs", "1 points", "1 initializations"))


def test_only_the_first_initialization_is_singular(monkeypatch):
    monkeypatch.setitem(training.BUDGET_SECONDS, "spirals", 1e-4)
    config = TrainingConfig(layers=3, width=8, inits=("he_normal", "zeros"))
    fitted, note = training.fit_budget(config)
    assert fitted.inits == (("he_normal", ()),)
    assert "1 epoch instead of 200, only the first of 2 initializations" in note


def test_one_epoch_and_one_layer_are_singular(monkeypatch):
    monkeypatch.setitem(training.BUDGET_SECONDS, "xor", 1e-4)
    config = TrainingConfig(dataset="xor", layers=1, width=16, samples=100, inits=("he_normal",))
    fitted, note = training.fit_budget(config)
    assert fitted.epochs == 1 and fitted.sample_count == 100
    assert note.startswith("1 layer × 16 units: 1 epoch instead of 200")
    assert "epochs" not in note and "points" not in note


def test_a_coarser_grid_runs_and_is_named(monkeypatch):
    monkeypatch.setitem(training.BUDGET_SECONDS, "circles", 1e-4)
    config = TrainingConfig(dataset="circles", layers=2, width=8, inits=("he_normal", "zeros"))
    side = training.decision_grid_size(config)
    assert side < training.GRID_SIZE
    result = training.run(config)
    assert f"decision regions on a {side} × {side} grid instead of 60 × 60" in result.budget_note
    assert result.grid_x.shape == result.grid_y.shape == (side,)
    for run in result.runs:
        assert run.grid_class.shape == run.grid_probability.shape == (side, side)


def test_row_maximum_is_numpys():
    rng = np.random.default_rng(3)
    for rows, columns in ((10, 3), (65, 2), (500, 10)):
        values = rng.standard_normal((rows, columns))
        values[rng.integers(0, rows, 5), rng.integers(0, columns, 5)] = np.inf
        values[0, -1] = np.nan
        expected = values.max(axis=1, keepdims=True)
        np.testing.assert_array_equal(training._row_max(values), expected)
