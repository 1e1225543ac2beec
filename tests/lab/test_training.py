"""The trainer: backpropagation against finite differences, what each initialization does to
training, exact symmetry of tied units, determinism, the budget and ``python -m lab train``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lab import cli, training
from lab.activations import ACTIVATION_NAMES, get_activation
from lab.training import TrainingConfig, loss_and_gradients, run

# --- backpropagation ----------------------------------------------------------------------


def small_network(seed: int, widths=(3, 5, 4, 6, 3)):
    rng = np.random.default_rng(seed)
    weights = [
        rng.normal(0.0, 1.0 / math.sqrt(a), (a, b))
        for a, b in zip(widths[:-1], widths[1:], strict=True)
    ]
    biases = [rng.normal(0.0, 0.3, b) for b in widths[1:]]
    x = rng.standard_normal((7, widths[0]))
    labels = rng.integers(0, widths[-1], 7)
    return weights, biases, x, labels


def central_differences(params, loss_of, h=1e-6):
    """d loss / d params[i] by (f(p + h) - f(p - h)) / 2h, entry by entry."""
    gradients = []
    for array in params:
        gradient = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + h
            up = loss_of()
            array[index] = saved - h
            down = loss_of()
            array[index] = saved
            gradient[index] = (up - down) / (2.0 * h)
        gradients.append(gradient)
    return gradients


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_backpropagation_matches_finite_differences(name):
    weights, biases, x, labels = small_network(seed=ACTIVATION_NAMES.index(name))
    activation = get_activation(name, 0.2)
    if activation.kinks:
        # A difference step across a kink would measure a one-sided slope; these draws keep
        # every pre-activation at least 100 steps away from it.
        z = x
        for w, b in zip(weights[:-1], biases[:-1], strict=True):
            z = z @ w + b
            assert np.min(np.abs(z)) > 1e-4
            z = activation(z)
    loss, grad_w, grad_b = loss_and_gradients(weights, biases, activation, x, labels)

    def loss_of() -> float:
        return loss_and_gradients(weights, biases, activation, x, labels)[0]

    numeric = central_differences([*weights, *biases], loss_of)
    # Central differences in float64 with h = 1e-6: truncation ~h^2 * f''' and rounding
    # ~1e-16 / h, both far below 1e-7 for these O(1) quantities.
    for analytic, estimate in zip([*grad_w, *grad_b], numeric, strict=True):
        assert np.allclose(analytic, estimate, rtol=1e-6, atol=1e-8)
    assert loss > 0.0


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
def test_per_unit_products_give_the_blas_gradients(name):
    weights, biases, x, labels = small_network(seed=11)
    blas = loss_and_gradients(weights, biases, name, x, labels)
    exact = loss_and_gradients(weights, biases, name, x, labels, exact=True)
    assert exact[0] == pytest.approx(blas[0], rel=1e-14)
    for a, b in zip(blas[1] + blas[2], exact[1] + exact[2], strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-15)


def test_chunked_batches_give_the_same_gradient(monkeypatch):
    weights, biases, x, labels = small_network(seed=5)
    whole = loss_and_gradients(weights, biases, "tanh", x, labels)
    # Chunks of one row: seven forward/backward passes summed.
    monkeypatch.setattr(training, "CHUNK_BYTES", 1)
    chunked = loss_and_gradients(weights, biases, "tanh", x, labels)
    assert chunked[0] == pytest.approx(whole[0], rel=1e-14)
    for a, b in zip(whole[1] + whole[2], chunked[1] + chunked[2], strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-15)


# --- what each initialization does --------------------------------------------------------


@pytest.fixture(scope="module")
def default_spirals():
    """The default network (8 ReLU layers x 32 units, SGD) on two spirals, default epochs."""
    return run(TrainingConfig(inits=("he_normal", "large_random", "zeros", "small_random")))


def test_he_beats_large_random_and_zeros_at_depth_8(default_spirals):
    result = default_spirals
    assert result.config.layers == 8 and result.config.dataset == "spirals"
    assert result.budget_note == ""
    he, large, zeros = (result.run(name) for name in ("he_normal", "large_random", "zeros"))
    # He fits the spirals; N(0, 1) weights multiply the signal by about sqrt(32 / 2) = 4 per
    # layer, so the first steps overflow; zeros never leave the chance level.
    assert he.final_train_loss < 0.05 and he.final_train_accuracy > 0.95
    assert he.epochs_to_target is not None and zeros.epochs_to_target is None
    assert he.final_train_loss < large.final_train_loss
    assert he.final_train_loss < zeros.final_train_loss
    assert large.diverged_epoch == 1 and math.isinf(large.final_train_loss)
    assert np.all(np.isnan(large.train_loss[1:])) and np.isfinite(large.train_loss[0])
    # What zeros reach is what a network that ignores its input can: the chance loss.
    assert zeros.final_train_loss == pytest.approx(result.dataset.chance_loss, rel=1e-3)
    assert result.target_loss == pytest.approx(0.25 * result.dataset.chance_loss)


def test_gradients_at_initialization_show_vanishing_and_exploding(default_spirals):
    he, large, small = (
        default_spirals.run(name) for name in ("he_normal", "large_random", "small_random")
    )
    # He keeps every layer's gradient within a factor of 10 of the others.
    assert he.gradient_norm[0].max() / he.gradient_norm[0].min() < 10.0
    # N(0, 1) weights: every layer multiplies the signal by about sqrt(32 / 2) = 4, so the
    # gradients start near 1e4. Std 0.01: each layer multiplies the forward signal and the
    # backward gradient by about 0.01 * sqrt(32 / 2) = 0.04, and dL/dW_l = a_{l-1}^T dL/dz_l
    # carries 0.04^(l-1) * 0.04^(L-l) = 0.04^7 ~ 1e-10 in every layer.
    assert large.gradient_norm[0].min() > 1e3
    assert small.gradient_norm[0].max() < 1e-8 * he.gradient_norm[0].min()


def test_decision_grid_agrees_with_the_network_on_the_data(default_spirals):
    result = default_spirals
    he = result.run("he_normal")
    assert he.grid_class.shape == (training.GRID_SIZE, training.GRID_SIZE)
    # The grid's cell nearest to each training point predicts the point's label (He fits
    # the training set, so nearly every point).
    x, y = result.dataset.x_train, result.dataset.y_train
    column = np.abs(result.grid_x[None, :] - x[:, :1]).argmin(axis=1)
    row = np.abs(result.grid_y[None, :] - x[:, 1:]).argmin(axis=1)
    assert np.mean(he.grid_class[row, column] == y) > 0.9
    assert set(np.unique(he.grid_class)) == {0, 1}
    # Zeros ignore the input: one class everywhere. Overflowed logits are marked -1.
    assert len(np.unique(result.run("zeros").grid_class)) == 1
    assert np.all(result.run("large_random").grid_class == -1)


def test_symmetry_separates_random_units_and_keeps_zeros_tied(default_spirals):
    he, zeros = default_spirals.run("he_normal"), default_spirals.run("zeros")
    assert zeros.exact_arithmetic and not he.exact_arithmetic
    assert np.all(zeros.symmetry == 0.0)
    assert np.all(he.symmetry > 0.1)


@pytest.mark.parametrize(
    ("dataset", "activation", "init"),
    [
        ("digits", "sigmoid", ("zeros", ())),
        ("spirals", "tanh", ("constant", (("value", 0.3),))),
    ],
)
def test_tied_units_stay_exactly_equal_through_training(dataset, activation, init):
    """Units that start equal get equal gradients: the distance stays exactly 0.0 while the
    network trains. (With sigmoid, zero weights still pass phi(0) = 1/2 on, so every layer
    learns; BLAS products would split the units by rounding at 13 units.)"""
    config = TrainingConfig(
        dataset=dataset,
        inits=(init,),
        activation=activation,
        width=13,
        layers=3,
        epochs=12,
        samples=400,
    )
    result = run(config).runs[0]
    assert result.exact_arithmetic
    assert np.all(result.symmetry == 0.0)
    assert result.train_loss[-1] < result.train_loss[0] - 1e-3  # it did train
    assert np.all(result.gradient_norm[1:, 1:-1] > 0.0)  # hidden layers did move


def test_a_run_does_not_depend_on_the_other_initializations():
    """Every initialization starts from the same draws and sees the same minibatches."""
    base = dict(width=8, layers=3, epochs=5, samples=120)
    alone = run(TrainingConfig(inits=("xavier_normal",), **base)).runs[0]
    together = run(TrainingConfig(inits=("zeros", "he_normal", "xavier_normal"), **base))
    other = together.run("xavier_normal")
    for field in ("train_loss", "held_out_accuracy", "gradient_norm", "symmetry"):
        assert np.array_equal(getattr(alone, field), getattr(other, field))
    # He normal and Xavier normal are the same standard normal draws, scaled: at 8 units and
    # 2 inputs, the first layer's stds are sqrt(2 / 2) and sqrt(2 / 10).
    he = together.run("he_normal")
    assert he.symmetry[0, 0] / other.symmetry[0, 0] == pytest.approx(math.sqrt(5.0))


def test_same_seed_same_numbers_other_seed_other_numbers():
    config = TrainingConfig(dataset="xor", inits=("he_normal",), width=8, layers=2, epochs=6)
    first, second = run(config).runs[0], run(config).runs[0]
    for field in ("train_loss", "train_accuracy", "held_out_loss", "gradient_norm", "symmetry"):
        assert np.array_equal(getattr(first, field), getattr(second, field))
    assert np.array_equal(first.grid_probability, second.grid_probability)
    changed = run(TrainingConfig(**{**config.__dict__, "seed": 1})).runs[0]
    assert not np.array_equal(first.train_loss, changed.train_loss)


def test_adam_and_every_two_d_set_train():
    for dataset in ("circles", "xor", "blobs"):
        config = TrainingConfig(
            dataset=dataset,
            inits=("he_normal",),
            optimizer="adam",
            learning_rate=0.01,
            width=16,
            layers=2,
            epochs=40,
        )
        result = run(config)
        he = result.runs[0]
        assert he.final_train_accuracy > 0.9, dataset
        assert he.final_held_out_accuracy > 0.85, dataset
        assert he.final_train_loss < 0.5 * result.dataset.chance_loss


def test_progress_reports_shares_up_to_one():
    seen: list[float] = []
    config = TrainingConfig(inits=("he_normal", "zeros"), width=4, layers=1, epochs=3)
    run(config, progress=seen.append)
    assert seen == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1.0])


# --- budget ---------------------------------------------------------------------------------


def test_defaults_fit_and_big_requests_keep_their_network():
    for dataset in ("spirals", "digits"):
        config = TrainingConfig(dataset=dataset)
        assert training.fit_budget(config) == (config, "")
    big = TrainingConfig(width=256, layers=16, samples=2000)
    fitted, note = training.fit_budget(big)
    assert (fitted.layers, fitted.width, fitted.inits) == (big.layers, big.width, big.inits)
    assert fitted.sample_count < 2000
    assert training.training_cost(fitted).fits()
    assert note.startswith(
        f"16 layers × 256 units: {fitted.sample_count:,} points instead of 2,000"
    )
    assert note.endswith(", to stay within the lab's budget.")
    assert "\n" not in note


def test_a_scaled_run_says_so(monkeypatch):
    monkeypatch.setitem(training.BUDGET_SECONDS, "xor", 0.02)
    result = run(TrainingConfig(dataset="xor", inits=("he_normal",), width=16, layers=2))
    assert result.budget_note.startswith("2 layers × 16 units: ")
    assert result.config.epochs < 200 and result.requested.epochs == 200
    assert len(result.epochs) == result.config.epochs + 1
    assert len(result.runs[0].train_loss) == result.config.epochs + 1


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inits": ("he_normal", "he_normal")}, "inits must be distinct"),
        ({"inits": ("he",)}, "init must be one of"),
        ({"inits": ()}, "inits must be 1 to 8"),
        ({"width": 1}, r"width must be an integer in \[2, 1024\]; got 1"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, adam"),
        ({"learning_rate": 0.0}, r"learning_rate must be a finite number in \(0, 10\]"),
        ({"width": 1024, "layers": 3}, "at most 2,100,000 parameters; got 2,104,322"),
        ({"dataset": "digits", "noise": 0.1}, "noise applies to the generated 2-D sets only"),
    ],
)
def test_bad_configurations_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**kwargs)


def test_config_from_values_reads_a_comma_list():
    config = training.config_from_values({"inits": "he_normal, zeros", "width": 16, "x": 1})
    assert config.inits == (("he_normal", ()), ("zeros", ()))
    assert config.width == 16


# --- command line ---------------------------------------------------------------------------


def test_train_json_fields(capsys):
    code = cli.main(["train", "--inits", "he_normal,large_random", "--epochs", "3", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"config", "requested", "budget_note", "dataset", "epochs", "runs"}
    assert report["epochs"] == [0, 1, 2, 3]
    assert report["config"]["inits"] == ["he_normal", "large_random"]
    assert report["dataset"]["name"] == "spirals" and report["dataset"]["train_samples"] == 300
    he, large = report["runs"]
    assert set(he) == {
        "init",
        "label",
        "params",
        "exact_arithmetic",
        "train_loss",
        "train_accuracy",
        "held_out_loss",
        "held_out_accuracy",
        "gradient_norm",
        "symmetry",
        "epochs_to_target",
        "diverged_epoch",
        "final_train_loss",
        "final_train_accuracy",
        "final_held_out_loss",
        "final_held_out_accuracy",
    }
    assert len(he["train_loss"]) == 4 and len(he["gradient_norm"][0]) == 9
    assert len(he["symmetry"][0]) == 8
    # A diverged run's losses are null (JSON has no NaN), as is its final loss.
    assert large["diverged_epoch"] == 1 and large["train_loss"][1:] == [None] * 3
    assert large["final_train_loss"] is None


def test_train_text_output(capsys):
    assert cli.main(["train", "--inits", "zeros", "--epochs", "2", "--width", "4"]) == 0
    out = capsys.readouterr().out
    assert "Two spirals" in out and "zeros" in out and "never" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--width", "0"], "error: width must be an integer in [2, 1024]; got 0\n"),
        (["--inits", "he,zeros"], "error: init must be one of"),
        (["--dataset", "digits", "--samples", "5000"], "error: samples must be an integer"),
    ],
)
def test_train_errors_are_one_line(capsys, argv, message):
    assert cli.main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_train_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--layers", "x"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --layers: invalid int value: 'x'")
    assert err.count("\n") == 1
