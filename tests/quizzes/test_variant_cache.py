"""The process-wide cache of drawn variants (quizzes.session.variant_params): it serves exactly
what a fresh draw from the student's own seed gives, a new dict on every call, per template,
and stays bounded; a session built from the cache grades as one built from scratch."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import quizzes.session as session_module
from quizzes.bank import get_question, get_quiz
from quizzes.identity import ANONYMOUS, self_declared_identity
from quizzes.session import QuizSession, variant_params, variant_seed

KEY = "test-variant-key"
ADA = self_declared_identity("Ada Lovelace", "alovelace")
GRACE = self_declared_identity("Grace Hopper", "ghopper")


def fresh(question, student_key: str, quiz_id: str, variant: int, **seed_args) -> dict:
    """The params drawn directly from the seed, without the cache."""
    seed = variant_seed(student_key, quiz_id, question.id, variant, **seed_args)
    return question.variant_params(np.random.default_rng(seed))


@pytest.fixture(autouse=True)
def empty_cache():
    with session_module._DRAWN_LOCK:
        session_module._DRAWN.clear()


@pytest.mark.parametrize(
    "seed_args",
    [
        {},
        {"key": KEY},
        {"key": "another-deployment"},
        {"key": KEY, "mode": "practice"},
        {"key": KEY, "mode": "practice", "draw": 3},
        {"key": KEY, "assignment": "lab1"},
    ],
)
def test_cached_params_equal_a_fresh_draw_for_every_part_of_the_seed(seed_args) -> None:
    quiz = get_quiz("formulas")
    for student in (ADA, GRACE):
        for question_id in quiz.question_ids:
            question = get_question(question_id)
            for variant in (0, 1):
                expected = fresh(question, student.key, "formulas", variant, **seed_args)
                first = variant_params(question, student.key, "formulas", variant, **seed_args)
                again = variant_params(question, student.key, "formulas", variant, **seed_args)
                assert first == again == expected, (student.key, question_id, variant)


def test_two_students_are_never_served_each_others_numbers() -> None:
    question = get_question("he_variance")
    ada = variant_params(question, ADA.key, "formulas", 0, key=KEY)
    grace = variant_params(question, GRACE.key, "formulas", 0, key=KEY)
    assert ada == fresh(question, ADA.key, "formulas", 0, key=KEY)
    assert grace == fresh(question, GRACE.key, "formulas", 0, key=KEY)
    assert ada != grace  # fixed identities and key: known to differ
    # Another deployment's key gives Ada other numbers, not the cached ones.
    other = variant_params(question, ADA.key, "formulas", 0, key="another-deployment")
    assert other == fresh(question, ADA.key, "formulas", 0, key="another-deployment") != ada


def test_each_call_returns_its_own_dict() -> None:
    question = get_question("torch_shape_fan_in")  # params hold a list
    first = variant_params(question, ADA.key, "formulas", 0, key=KEY)
    expected = json.loads(json.dumps(first))
    first["shape"].append(1)
    first["extra"] = 1
    again = variant_params(question, ADA.key, "formulas", 0, key=KEY)
    assert again == expected and again is not first


def test_the_cache_is_per_template_not_per_question_id() -> None:
    question = get_question("gain_leaky_relu")
    real = variant_params(question, ADA.key, "formulas", 0, key=KEY)
    # A template with the same id and another generator (a custom bank) draws its own.
    other = dataclasses.replace(question, generate=lambda rng: {"slope": 0.5})
    assert variant_params(other, ADA.key, "formulas", 0, key=KEY) == {"slope": 0.5}
    assert real != {"slope": 0.5}
    assert variant_params(question, ADA.key, "formulas", 0, key=KEY) == real


def test_the_cache_is_bounded_and_redraws_what_it_dropped(monkeypatch) -> None:
    monkeypatch.setattr(session_module, "CACHED_VARIANTS", 5)
    question = get_question("he_variance")
    drawn = [variant_params(question, ADA.key, "formulas", v, key=KEY) for v in range(12)]
    assert len(session_module._DRAWN) == 5
    # Variant 0 was dropped first; drawn again it is the same.
    assert variant_params(question, ADA.key, "formulas", 0, key=KEY) == drawn[0]
    assert len(session_module._DRAWN) == 5


def test_a_session_from_the_cache_matches_and_grades_like_one_from_scratch() -> None:
    first = QuizSession(ANONYMOUS, "formulas", "practice", variant_key=KEY)
    cached_entries = len(session_module._DRAWN)
    second = QuizSession(ANONYMOUS, "formulas", "practice", variant_key=KEY)
    assert cached_entries >= len(first.question_ids)  # every question's variant was kept
    assert len(session_module._DRAWN) == cached_entries  # the second session drew nothing new
    for question_id in first.question_ids:
        assert second.current_params(question_id) == first.current_params(question_id)
        assert second.same_as_graded(question_id) == first.same_as_graded(question_id)
    question = second.question("he_variance")
    right = question.correct_text(second.current_params("he_variance"))
    wrong = second.submit("he_variance", "123456")
    assert wrong.status == "incorrect" and second.attempts_left("he_variance") == 2
    grade = second.submit("he_variance", right)
    assert grade.status == "correct" and grade.credit == 0.75
    # The first session's state is its own.
    assert first.attempts_left("he_variance") == 3
    # A new variant in one session does not change the other's params.
    second.new_variant("he_variance")
    assert first.current_params("he_variance") != second.current_params("he_variance")
