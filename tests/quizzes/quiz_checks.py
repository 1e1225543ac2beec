"""Checks shared by the question-bank tests."""

from __future__ import annotations

from quizzes.grading import grade
from quizzes.questions import ChoiceQuestion, NumericQuestion, render


def assert_every_distractor_explained(question: ChoiceQuestion, params: dict) -> None:
    """Each declared mistake's option gets its feedback and no credit, and every wrong option
    of this variant is covered by one of them."""
    ids = {option_id for option_id, _ in question.option_list(params)}
    explained = set()
    for mistake in question.mistakes:
        option = question.mistake_option(mistake, params)
        if option is None:
            continue
        explained.add(option)
        result = grade(question, params, [option])
        assert result.status == "incorrect" and result.credit_fraction == 0.0
        assert result.mistake == mistake.name
        assert render(mistake.feedback, params) in result.feedback
    assert explained == ids - question.correct_ids(params)


def assert_tolerance_edges(question: NumericQuestion, params: dict) -> None:
    """Answers 0.9 tolerance away from the exact value are accepted, 1.1 away rejected."""
    answer = question.correct_value(params)
    tolerance = max(question.abs_tol, question.rel_tol * abs(answer))
    for factor, status in ((0.9, "correct"), (1.1, "incorrect")):
        for sign in (1, -1):
            shifted = repr(answer + sign * factor * tolerance)
            assert grade(question, params, shifted).status == status, (shifted, status)
