"""Engine tests of lab/experiments/training.py: the page's one result against lab.training (the
trainer), lab.experiments.signal_propagation (the health at initialization), the declared ranges
and the budget.

Small networks and few epochs keep the file fast; every comparison is with an independent call
of the module the number comes from, with the same seed (the draws are identical).
"""

from __future__ import annotations

import numpy as np
import pytest

from lab import training
from lab.controls.network import SCHEME_LABELS
from lab.controls.training import CONTROLS, MAX_TRAINING_WIDTH
from lab.experiments import signal_propagation
from lab.experiments.training import (
    CLOSEST_NOTE,
    CURVE_POINTS,
    GRADIENT_LAYERS,
    LOSS_AXIS_DECADES,
    Config,
    config_from_values,
    curve_epochs,
    gradient_layers,
    run,
    scheme_label,
)

#: A small request: four initializations, every scheme parameter in play.
SMALL = {
    "dataset": "xor",
    "samples": 120,
    "inits": ("he_normal", "xavier_normal", "constant", "zeros"),
    "gain": 1.5,
    "value": 0.2,
    "activation": "tanh",
    "layers": 3,
    "width": 8,
    "epochs": 12,
    "learning_rate": 0.05,
    "batch_size": 16,
    "seed": 3,
}


@pytest.fixture(scope="module")
def small():
    config = config_from_values(SMALL)
    return config, run(config)


# --------------------------------------------------------------------------- configuration


def test_config_defaults_are_the_declared_defaults():
    assert config_from_values({}) == Config() == config_from_values(CONTROLS.defaults())
    assert Config().inits == training.DEFAULT_INITS
    assert (Config().layers, Config().width, Config().epochs) == (
        training.DEFAULT_LAYERS,
        training.DEFAULT_WIDTH,
        training.DEFAULT_EPOCHS,
    )


def test_scheme_parameters_go_to_the_schemes_that_take_them():
    config = config_from_values(SMALL | {"std": 0.5, "inits": ("xavier_normal", "normal")})
    assert config.init_params("xavier_normal") == (("gain", 1.5),)
    assert config.init_params("normal") == (("std", 0.5),)
    assert config.init_params("constant") == (("value", 0.2),)
    assert config.init_params("he_normal") == ()
    specs = dict(config.training_config().inits)
    assert specs == {"xavier_normal": (("gain", 1.5),), "normal": (("std", 0.5),)}


def test_the_digits_ignore_the_points_control():
    assert config_from_values({"dataset": "digits", "samples": 500}) == config_from_values(
        {"dataset": "digits"}
    )
    assert config_from_values({"dataset": "digits"}).training_config().samples is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"width": MAX_TRAINING_WIDTH + 1}, r"width must be an integer in \[2, 128\]"),
        ({"layers": 0}, r"layers must be an integer in \[1, 100\]"),
        ({"inits": ()}, "inits must name at least 1 of"),
        ({"inits": ("he_normal", "glorot")}, "inits must be one of"),
        ({"learning_rate": 0.03}, "learning_rate must be one of"),
        ({"neurons": 3}, "training has no control 'neurons'"),
    ],
)
def test_config_refuses_what_the_page_does_not_declare(values, message):
    with pytest.raises(ValueError, match=message):
        config_from_values(values)


def test_every_allowed_network_is_within_the_trainers_parameter_limit():
    # The largest corner of the declared ranges on the widest input (the digits' 64 pixels):
    # the trainer refuses networks above MAX_PARAMETERS, so the page must never ask for one.
    corner = {"dataset": "digits", "layers": CONTROLS["layers"].high, "width": MAX_TRAINING_WIDTH}
    trainer = config_from_values(corner).training_config()
    assert training.parameter_count((64, *(MAX_TRAINING_WIDTH,) * 100, 10)) <= (
        training.MAX_PARAMETERS
    )
    fitted, note = training.fit_budget(trainer)
    assert note.startswith("100 layers × 128 units: ")
    assert (fitted.layers, fitted.width) == (100, MAX_TRAINING_WIDTH)  # never another network


# --------------------------------------------------------------------------- the result


def test_outcomes_are_the_trainers_numbers(small):
    config, result = small
    engine = training.run(config.training_config())
    assert result.ran == engine.config and result.notes == ()
    assert result.target_loss == engine.target_loss
    for outcome, trained in zip(result.outcomes, engine.runs, strict=True):
        assert outcome.init == trained.init
        assert outcome.epochs_to_target == trained.epochs_to_target
        assert outcome.final_train_loss == trained.train_loss[-1]
        assert outcome.final_held_out_accuracy == trained.held_out_accuracy[-1]
        assert outcome.tied == trained.exact_arithmetic
        expected = "never" if trained.epochs_to_target is None else str(trained.epochs_to_target)
        assert outcome.wasted == expected
    reached = [o.epochs_to_target for o in result.outcomes if o.epochs_to_target is not None]
    assert reached, "the small request must have a winner for this test to mean anything"
    for outcome in result.outcomes:
        if outcome.epochs_to_target is not None:
            assert outcome.behind == outcome.epochs_to_target - min(reached)
    first = [o.label for o in result.outcomes if o.behind == 0]
    assert result.fastest.startswith(f"{' and '.join(first)} reach")
    never = [o.label for o in result.outcomes if o.epochs_to_target is None]
    assert result.fastest.endswith(f"Never within 12 epochs: {', '.join(never)}.")


def test_curves_sample_the_trainers_curves(small):
    config, result = small
    engine = training.run(config.training_config())
    curves = result.curves
    assert list(curves.epochs) == list(range(config.epochs + 1))
    for row, trained in enumerate(engine.runs):
        np.testing.assert_array_equal(curves.train_loss[row], trained.train_loss)
        np.testing.assert_array_equal(curves.held_out_accuracy[row], trained.held_out_accuracy)
        np.testing.assert_array_equal(curves.unit_distance[row], trained.symmetry.max(axis=1))
        panel = result.gradients[row]
        np.testing.assert_array_equal(panel.norms, trained.gradient_norm)


def test_health_is_signal_propagations_diagnosis_of_the_same_layers(small):
    config, result = small
    for outcome in result.outcomes:
        params = config.init_params(outcome.init)
        independent = signal_propagation.run(
            signal_propagation.Config(
                init=outcome.init,
                init_params=params,
                activation="tanh",
                layers=3,
                width=8,
                samples=256,
                seed=3,
            )
        )
        assert outcome.health == independent.summary.diagnosis.state
        # Marked when it is the closest of no matching scheme (tanh: Xavier normal).
        assert outcome.verdict.removesuffix(CLOSEST_NOTE) == independent.verdict.label
    by_init = {o.init: o for o in result.outcomes}
    assert by_init["zeros"].verdict == by_init["constant"].verdict == "never"


def test_equal_units_stay_exactly_equal_and_random_ones_do_not(small):
    _, result = small
    by_init = {o.init: o for o in result.outcomes}
    for tied in ("zeros", "constant"):
        assert by_init[tied].tied and by_init[tied].unit_distance == 0.0
        row = result.curves.labels.index(by_init[tied].label)
        assert np.all(result.curves.unit_distance[row] == 0.0)
    for random in ("he_normal", "xavier_normal"):
        assert not by_init[random].tied and by_init[random].unit_distance > 0.1
    zeros_line = result.symmetry_lines[list(by_init).index("zeros")]
    assert "exactly identical after 12 epochs (largest distance 0)" in zeros_line


def test_labels_are_short_distinct_and_name_a_gain(small):
    _, result = small
    assert result.curves.labels == (
        "He normal",
        "Xavier normal, gain 1.5",
        "Constant (0.2)",
        "Zeros",
    )
    assert scheme_label("large_random") == "N(0, 1)"
    assert scheme_label("small_random") == "N(0, 0.01²)"
    twins = run(
        config_from_values(
            {"inits": ("large_random", "normal"), "layers": 1, "width": 4, "epochs": 1}
        )
    )
    assert twins.curves.labels == ("N(0, 1) (large_random)", "N(0, 1) (normal)")


def test_the_2d_sets_have_decision_regions_and_the_digits_do_not(small):
    _, result = small
    assert len(result.boundaries) == len(result.outcomes)
    panel = result.boundaries[0]
    assert panel.grid_class.shape == (training.GRID_SIZE, training.GRID_SIZE)
    assert set(np.unique(panel.grid_class)) <= {-1, 0, 1}
    assert result.points.shape[1] == 2 and len(result.point_labels) == len(result.points)
    digits = run(
        config_from_values(
            {"dataset": "digits", "inits": ("he_normal",), "layers": 1, "width": 4, "epochs": 1}
        )
    )
    assert digits.boundaries == () and digits.points is None
    assert digits.class_names == tuple(str(k) for k in range(10))


def test_more_initializations_than_the_trainer_takes_run_the_first_ones_with_a_note():
    chosen = tuple(SCHEME_LABELS)[: training.MAX_INITS + 2]
    result = run(config_from_values({"inits": chosen, "layers": 1, "width": 2, "epochs": 1}))
    assert [o.init for o in result.outcomes] == list(chosen[: training.MAX_INITS])
    assert result.notes == (
        f"{len(chosen)} initializations chosen: the first {training.MAX_INITS} train, the lab "
        f"trains at most {training.MAX_INITS} at once.",
    )


def test_a_diverged_run_is_named_off_the_log_axis():
    # N(0, 1) weights in 8 ReLU layers of 32 units overflow in the first epoch.
    result = run(config_from_values({"inits": ("large_random",), "epochs": 3}))
    (outcome,) = result.outcomes
    assert outcome.diverged_epoch is not None
    assert outcome.wasted == f"never (diverged at epoch {outcome.diverged_epoch})"
    assert result.loss_note.startswith("Not on the log axis: no values once the loss overflowed")
    assert "no values from epoch" in result.gradients[0].note


def test_progress_reaches_one_and_grows():
    shares: list[float] = []
    run(
        config_from_values({"inits": ("he_normal", "zeros"), "layers": 1, "width": 4, "epochs": 5}),
        shares.append,
    )
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    assert len(shares) == 2 * 5


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("epochs", [1, 7, CURVE_POINTS, CURVE_POINTS + 1, 1000])
def test_curve_epochs_keep_the_first_and_the_last(epochs):
    shown = curve_epochs(epochs)
    assert shown[0] == 0 and shown[-1] == epochs
    assert len(shown) <= CURVE_POINTS + 1 and np.all(np.diff(shown) > 0)
    if epochs <= CURVE_POINTS:
        assert len(shown) == epochs + 1


@pytest.mark.parametrize("weight_layers", [2, GRADIENT_LAYERS, GRADIENT_LAYERS + 1, 101])
def test_gradient_layers_keep_the_first_and_the_read_out(weight_layers):
    layers = gradient_layers(weight_layers)
    assert layers[0] == 1 and layers[-1] == weight_layers
    assert len(layers) == min(weight_layers, GRADIENT_LAYERS)


def test_curves_that_hide_one_another_are_named_under_the_loss_chart():
    """With the default settings N(0, 0.01²) and Zeros both leave the signal dead: they train
    to the same loss at every epoch and one line hides the other, so the note says so. No
    other pair of curves comes within the tolerance."""
    result = run(config_from_values(CONTROLS.defaults()))
    curves = result.curves
    small, zeros = (curves.labels.index(name) for name in ("N(0, 0.01²)", "Zeros"))
    assert np.allclose(curves.train_loss[small], curves.train_loss[zeros], rtol=1e-3)
    assert result.loss_note.endswith(
        "N(0, 0.01²) and Zeros have the same loss at every epoch: one line hides the other."
    )
    assert result.loss_note.count("the same loss") == 1
    # A single initialization has nobody to hide.
    alone = run(config_from_values({"inits": ("zeros",), "epochs": 3}))
    assert "the same loss" not in alone.loss_note


def test_accuracy_curves_that_hide_one_another_are_named_under_their_chart():
    """The same two networks differ at initialization (0.517 and 0.483 of the training part
    right) and then keep the same accuracy at every epoch: one line hides the other from
    epoch 1 on. No other pair comes within half a pixel."""
    result = run(config_from_values(CONTROLS.defaults()))
    curves = result.curves
    small, zeros = (curves.labels.index(name) for name in ("N(0, 0.01²)", "Zeros"))
    for part in (curves.train_accuracy, curves.held_out_accuracy):
        assert part[small][0] != part[zeros][0]
        assert np.allclose(part[small][1:], part[zeros][1:], rtol=0.0, atol=2e-3)
    assert result.accuracy_note == (
        "N(0, 0.01²) and Zeros have the same accuracy from epoch 1 on: one line hides the other."
    )
    alone = run(config_from_values({"inits": ("zeros",), "epochs": 3}))
    assert alone.accuracy_note == ""


def test_one_epoch_is_named_in_the_singular():
    result = run(config_from_values({"inits": ("zeros",), "epochs": 1}))
    assert "1 epochs" not in result.fastest
    assert result.fastest.endswith("within 1 epoch.") or "within 1 epoch:" in result.fastest


def test_the_closest_scheme_is_marked_when_none_matches():
    """GELU: no standard scheme keeps both scales, and He normal, the closest, trains well from
    a healthy start; its "mismatch" says it is the closest, as the reason does (which also
    quotes chi1 over the 8 layers, on their way to q* = 0). With ReLU He matches and nothing
    is marked."""
    gelu = run(config_from_values({"activation": "gelu", "epochs": 3}))
    by_label = {o.label: o for o in gelu.outcomes}
    he = by_label["He normal"]
    assert he.verdict == "mismatch (the closest)" and he.health == "healthy"
    assert "this is the closest" in he.verdict_reason
    assert by_label["Xavier normal"].verdict == "mismatch"
    relu = run(config_from_values({"epochs": 3}))
    assert not any("closest" in o.verdict for o in relu.outcomes)


@pytest.mark.parametrize(
    ("activation", "inits"),
    [
        ("gelu", ("he_uniform", "he_normal", "xavier_normal")),
        ("tanh", ("xavier_normal", "lecun_normal", "orthogonal", "he_normal")),
    ],
)
def test_the_table_marks_the_closest_exactly_where_the_reason_says_so(activation, inits):
    """He uniform and He normal (GELU), or Xavier, LeCun and orthogonal (tanh), have the same
    weight scale and the same sentence 'this is the closest'; the table marked only the one
    whose name was the recommended scheme's."""
    result = run(config_from_values({"activation": activation, "inits": inits, "epochs": 2}))
    marked = {o.label for o in result.outcomes if o.verdict.endswith(CLOSEST_NOTE)}
    said = {o.label for o in result.outcomes if "this is the closest" in o.verdict_reason}
    assert marked == said and len(marked) >= 2


def test_an_exploding_first_loss_lies_above_a_bounded_loss_axis():
    """100 layers: N(0, 1)'s first loss is 1e89. An axis up to it spanned 90 decades and every
    other curve lay flat at its bottom; the axis stops at most LOSS_AXIS_DECADES above its
    bottom, at the decade above the largest loss it can show (not at the cap, with nothing
    drawn up there), and the note names what lies above it."""
    result = run(config_from_values({"layers": 100, "width": 128, "epochs": 2}))
    low, high = result.loss_axis
    assert high / low <= 10.0**LOSS_AXIS_DECADES
    losses = result.curves.train_loss
    shown = losses[np.isfinite(losses) & (losses <= high)]
    assert shown.max() > high / 10  # the top decade holds a loss
    first = float(losses[result.curves.labels.index("N(0, 1)")][0])
    assert first > 1e80 > high
    assert f"above {high:g}, the axis's top: N(0, 1) at epoch 0 ({first:.2g})" in (result.loss_note)
    others = np.delete(losses, result.curves.labels.index("N(0, 1)"), axis=0)
    assert np.nanmax(others) < high  # nobody else is cut
    default = run(config_from_values({}))
    assert default.loss_axis == (1e-4, 1e5) and "the axis's top" not in default.loss_note


def test_symmetry_lines_that_coincide_are_named():
    """Zeros and Constant both keep every hidden layer's units identical: both lines lie at 0
    for every epoch, one under the other, and the panel said nothing of it."""
    result = run(config_from_values({"inits": ("he_normal", "zeros", "constant"), "epochs": 3}))
    by_label = {o.label: o for o in result.outcomes}
    tied = [label for label, o in by_label.items() if o.tied]
    assert len(tied) == 2
    assert result.symmetry_note == (
        f"{tied[0]} and {tied[1]} have the same distance at every epoch (0: identical units): "
        "one line hides the other."
    )
    alone = run(config_from_values({"inits": ("he_normal", "zeros"), "epochs": 3}))
    assert alone.symmetry_note == ""


def test_a_match_on_a_dead_narrow_network_says_the_verdict_is_the_wide_theorys():
    # He + ReLU with 2 units per layer: dead at initialization (Signal propagation's
    # simulation) while theory calls it a match; the reason says why the two differ.
    narrow = run(Config(inits=("he_normal",), layers=10, width=2, epochs=1))
    (outcome,) = narrow.outcomes
    assert (outcome.health, outcome.verdict) == ("dead", "match")
    assert "with 2 units per layer this simulation is dead" in outcome.verdict_reason
    wide = run(Config(inits=("he_normal",), layers=10, width=64, epochs=1))
    assert wide.outcomes[0].health == "healthy"
    assert "infinitely wide" not in wide.outcomes[0].verdict_reason


def test_runs_that_diverged_draw_no_line_to_hide_behind():
    # Three SELU runs on digits diverge at epochs 2, 2 and 1: from epoch 2 on no accuracy line
    # is drawn, so no caption may say that one of them hides another.
    result = run(
        Config(
            dataset="digits",
            inits=("lecun_normal", "he_uniform", "normal"),
            std=10,
            activation="selu",
            layers=20,
            width=128,
            epochs=20,
            optimizer="sgd",
            learning_rate=1,
            batch_size=1024,
        )
    )
    assert [o.diverged_epoch for o in result.outcomes] == [2, 2, 1]
    assert "hides" not in result.accuracy_note
    assert "hides" not in result.loss_note


def test_the_short_normal_names_are_tied_to_the_sidebars():
    # The table and legends call large_random "N(0, 1)" (a phone's legend has room for about
    # 20 characters); the sidebar lists "Large random (std 1.0)". The caption ties the two.
    result = run(Config(inits=("he_normal", "large_random", "small_random"), epochs=1))
    assert [o.label for o in result.outcomes] == ["He normal", "N(0, 1)", "N(0, 0.01²)"]
    assert result.target_caption.endswith(
        "In the sidebar, N(0, 1) is Large random (std 1.0), N(0, 0.01²) is Small random (std 0.01)."
    )
    assert "In the sidebar" not in run(Config(inits=("he_normal",), epochs=1)).target_caption


def test_gradient_lines_that_lie_on_one_another_are_named():
    """N(0, 0.01²) at 30 layers: the first hidden layers' gradient norms all sit near 1e-45 on
    an axis of some 45 decades, one thick line; the panel's note names them. A healthy He
    panel, whose lines are apart on its few decades, has no such note."""
    result = run(config_from_values({"layers": 30, "epochs": 20}))
    panels = {panel.label: panel for panel in result.gradients}
    small = panels["N(0, 0.01²)"]
    assert "Layers 1, 5, 8, 12, 16 nearly coincide at every epoch" in small.note
    logs = np.log10(small.norms[:, :5])
    low, high = np.log10(small.norms[small.norms > 0]).min(), np.log10(small.norms).max()
    assert np.ptp(logs, axis=1).max() <= 0.02 * (high - low + 2)  # within the axis's 2 %
    assert "nearly coincide" not in panels["He normal"].note
