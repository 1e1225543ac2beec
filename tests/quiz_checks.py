"""Checks shared by the question-bank tests."""

from __future__ import annotations

from quizzes.grading import grade
from quizzes.questions import ChoiceQuestion, render


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
