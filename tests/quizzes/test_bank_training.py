"""The training and phase-diagram templates, over many variants: the engine's answer is
accepted, equals an independent recomputation written out here, every declared mistake is
recognized with its feedback and earns no credit, and the links open the pages with the
question's settings."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from functools import cache

import pytest
from scipy import integrate, optimize

from lab import training
from lab.controls.registry import SIMULATION_PAGES
from lab.experiments.training import config_from_values, scheme_label
from lab.initializers import get_initializer
from lab.text import plural
from quizzes import bank_training
from quizzes.bank import QUIZZES, get_question
from quizzes.bank_training import (
    RACE,
    RACED,
    RACES,
    TRAINING_TEMPLATES,
    XI_DEPTHS,
    race_outcomes,
    race_values,
    race_winner,
    xi_settings,
)
from quizzes.grading import grade
from quizzes.questions import OPTION_ORDER_KEY, render, within
from quizzes.session import variant_params
from tests.quizzes.quiz_checks import assert_every_distractor_explained, assert_tolerance_edges

VARIANTS = 100
STUDENT = "training bank test student"


def _variants(question):
    return [variant_params(question, STUDENT, "training", v) for v in range(VARIANTS)]


def test_the_training_quiz_lists_the_templates():
    assert QUIZZES["training"].question_ids == tuple(q.id for q in TRAINING_TEMPLATES)
    assert all(get_question(q.id) is q for q in TRAINING_TEMPLATES)


# --------------------------------------------------------------------------- first to target


def _race_params(race: tuple[str, str, int]) -> dict:
    return dict(zip(("dataset", "activation", "layers"), race, strict=True)) | RACE


def test_a_race_trains_what_the_prompt_says():
    # The page's configuration of a race (the link's) is the trainer's configuration written
    # out from the prompt: SGD with momentum at 0.01, batches of 64, seed 0, the five inits.
    for race in RACES:
        params = _race_params(race)
        page = config_from_values(race_values(params)).training_config()
        # The page passes its gain control (1) to Xavier: the same initializer as the default.
        for name, init_params in page.inits:
            assert get_initializer(name, **dict(init_params)) == get_initializer(name)
        assert replace(page, inits=RACED) == training.TrainingConfig(
            dataset=race[0],
            inits=RACED,
            activation=race[1],
            layers=race[2],
            width=RACE["width"],
            epochs=RACE["epochs"],
            samples=RACE["samples"],
            optimizer="sgd",
            learning_rate=0.01,
            batch_size=64,
            seed=0,
        )
        assert training.fit_budget(page)[1] == ""  # the budget lowers nothing: same run


@pytest.fixture(scope="module")
def races() -> dict[tuple[str, str, int], dict[str, tuple[int | None, int | None]]]:
    return {race: race_outcomes(_race_params(race)) for race in RACES}


def test_every_race_has_one_winner_and_the_winners_differ(races):
    winners = set()
    for race, outcomes in races.items():
        reached = {init: e for init, (e, _) in outcomes.items() if e is not None}
        best = min(reached.values())
        (winner,) = [init for init, e in reached.items() if e == best]  # one fastest
        assert race_winner(_race_params(race)) == winner
        winners.add(winner)
        # zeros and N(0, 0.01²) never reach the target: their feedback says so for every race
        assert outcomes["zeros"][0] is None and outcomes["small_random"][0] is None
    # Deep ReLU networks: He; shallow ones can be won by N(0, 1): the answer is not a constant.
    assert {"he_normal", "large_random"} <= winners


def test_first_to_target_over_many_variants(races):
    question = get_question("training_first_to_target")
    for params in _variants(question):
        assert json.loads(json.dumps(params)) == params
        race = (params["dataset"], params["activation"], params["layers"])
        assert race in races
        correct = question.correct_ids(params)
        assert correct == {race_winner(params)}
        assert grade(question, params, sorted(correct)).status == "correct"
        assert_every_distractor_explained(question, params)
        assert sorted(params[OPTION_ORDER_KEY]) == sorted(RACED)
        explanation = question.render_explanation(params)
        for init, (epochs, _) in races[race].items():
            if epochs is not None:
                outcome = f"{scheme_label(init)} reached the target after {plural(epochs, 'epoch')}"
                assert outcome in explanation


def test_first_to_target_feedback_names_both_outcomes():
    question = get_question("training_first_to_target")
    params = {"dataset": "spirals", "activation": "relu", "layers": 10, **RACE}
    result = grade(question, params, ["zeros"])
    assert result.mistake == "chose_zeros"
    assert result.feedback.startswith("Zeros never reached it in 100 epochs, but He normal")


def test_a_race_won_after_one_epoch_says_1_epoch(monkeypatch):
    question = get_question("training_first_to_target")
    params = {"dataset": "xor", "activation": "relu", "layers": 3, **RACE}
    outcomes = {init: (None, None) for init in RACED}
    outcomes["he_normal"] = (1, None)
    outcomes["xavier_normal"] = (12, None)
    monkeypatch.setattr(bank_training, "race_outcomes", lambda p: outcomes)
    explanation = question.render_explanation(params)
    assert f"{scheme_label('he_normal')} reached the target after 1 epoch;" in explanation
    assert f"{scheme_label('xavier_normal')} reached the target after 12 epochs" in explanation
    assert "1 epochs" not in explanation


# --------------------------------------------------------------------------- trainable depth


def _mean(f) -> float:
    density = 1.0 / math.sqrt(2.0 * math.pi)
    value, _ = integrate.quad(
        lambda z: f(z) * density * math.exp(-0.5 * z * z), -40, 40, epsabs=1e-14, limit=400
    )
    return value


@cache
def _ordered_xi(sw2: float, sb2: float) -> float | None:
    """xi = -1 / ln chi1 for tanh in the ordered phase (c* = 1 there), or None when chaotic;
    q* by Brent's method and adaptive quadrature, independent of lab.theory and lab.phase."""

    def gap(q: float) -> float:
        return sw2 * _mean(lambda z: math.tanh(math.sqrt(q) * z) ** 2) + sb2 - q

    q = optimize.brentq(gap, 1e-12, sw2 + sb2 + 1.0, xtol=1e-14, rtol=1e-13)
    chi1 = sw2 * _mean(lambda z: (1.0 - math.tanh(math.sqrt(q) * z) ** 2) ** 2)
    return -1.0 / math.log(chi1) if chi1 < 1.0 else None


def test_trainable_depth_over_many_variants():
    question = get_question("trainable_depth_from_xi")
    applied = {m.name: 0 for m in question.mistakes}
    checked = 0
    for params in _variants(question):
        assert (params["gain"], params["bias_std"]) in xi_settings()
        answer = question.correct_value(params)
        assert XI_DEPTHS[0] <= answer <= XI_DEPTHS[1]
        xi = _ordered_xi(params["gain"] ** 2, params["bias_std"] ** 2)
        if xi is not None:
            assert answer == pytest.approx(6.0 * xi, rel=1e-6)
            checked += 1
        for typed in (repr(answer), question.correct_text(params)):
            assert grade(question, params, typed).status == "correct", typed
        for mistake in question.mistakes:
            wrong = mistake.value(params)
            if wrong is None:
                continue
            applied[mistake.name] += 1
            assert not within(wrong, answer, question.rel_tol, question.abs_tol)
            result = grade(question, params, repr(float(wrong)))
            assert result.status == "incorrect" and result.mistake == mistake.name
            assert result.feedback == render(mistake.feedback, params)
    assert checked >= VARIANTS // 4  # enough ordered variants were recomputed independently
    assert all(applied.values()), applied


def test_trainable_depth_tolerance_edges():
    question = get_question("trainable_depth_from_xi")
    assert_tolerance_edges(question, variant_params(question, STUDENT, "training", 0))


def test_trainable_depth_link_sets_the_point_on_the_phase_diagram():
    question = get_question("trainable_depth_from_xi")
    params = {"gain": 1.3, "bias_std": 0.2}
    page, query = question.page_link(params)
    values = SIMULATION_PAGES[page].parse_query(query).values
    assert (values["gain"], values["bias_std"], values["heatmap"]) == (1.3, 0.2, "xi")


# --------------------------------------------------------------------------- symmetry


def test_symmetry_over_many_variants():
    question = get_question("training_symmetry")
    seen = set()
    for params in _variants(question):
        assert json.loads(json.dumps(params)) == params
        correct = question.correct_ids(params)
        # Independent expectation (Goodfellow et al. 2016, 8.4): equal starting weights stay
        # exactly equal; random ones differ from the start.
        tied = params["init"] in ("zeros", "constant")
        assert correct == {"stays_zero" if tied else "positive"}
        assert grade(question, params, sorted(correct)).status == "correct"
        assert_every_distractor_explained(question, params)
        seen.add(params["init"])
        page, query = question.page_link(params)
        values = SIMULATION_PAGES[page].parse_query(query).values
        assert values["inits"] == (params["init"],)
        if tied and params["init"] == "constant":
            assert values["value"] == params["value"]
    assert seen == {"zeros", "constant", "he_normal", "xavier_normal", "small_random"}
