"""Item analysis on fixture ledger rows: first-try share, mean attempts, wrong answers grouped
by the mistake they matched, and the breakdown by the variants' parameters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quizzes.analysis import (
    NO_MISTAKE,
    item_analysis,
    parameter_table,
    params_from_seed,
    summary_table,
    wrong_answer_table,
)
from quizzes.bank import TEMPLATES
from quizzes.ledger import LedgerRow
from quizzes.session import QuizSession

WHEN = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def row(student, attempt, status, *, question="he_variance", mistake=None, answer="1", **extra):
    values = {
        "student": student,
        "quiz": "formulas",
        "question": question,
        "variant": 0,
        "attempt": attempt,
        "answer": answer,
        "status": status,
        "credit_fraction": 1.0 if status == "correct" else 0.0,
        "credit": 1.0 if status == "correct" else 0.0,
        "submitted_at": WHEN,
        "nonce": "n" * 32,
        "assignment": "lab1",
        "mistake": mistake,
    }
    return LedgerRow(**(values | extra))


ROWS = [
    row("id:s1", 1, "correct"),
    row("id:s2", 1, "incorrect", mistake="std_for_variance", answer="0.0625"),
    row("id:s2", 2, "correct"),
    row("id:s3", 1, "incorrect", mistake="std_for_variance", answer="0.05"),
    row("id:s3", 2, "incorrect", mistake="lecun_for_he", answer="0.002"),
    row("id:s4", 1, "incorrect", answer="12"),
    row("id:s4", 2, "correct"),
    # Another question of the same quiz: its own item.
    row("id:s1", 1, "incorrect", question="he_std", mistake="variance_for_std", answer="0.004"),
]


def test_shares_counts_and_mean_attempts_per_question():
    he_variance, he_std = item_analysis(ROWS)
    assert (he_variance.question, he_std.question) == ("he_variance", "he_std")
    assert he_variance.title == TEMPLATES["he_variance"].title
    assert he_variance.students == 4
    assert he_variance.attempts == 7
    assert he_variance.first_try_correct == pytest.approx(1 / 4)
    assert he_variance.mean_attempts == pytest.approx(7 / 4)
    assert he_variance.solved == pytest.approx(3 / 4)
    assert (he_std.students, he_std.first_try_correct, he_std.solved) == (1, 0.0, 0.0)


def test_wrong_answers_are_grouped_by_the_mistake_they_matched():
    (he_variance, _) = item_analysis(ROWS)
    groups = [(w.label, w.mistake, w.count) for w in he_variance.wrong_answers]
    assert groups == [
        ("std_for_variance", "std_for_variance", 2),
        ("lecun_for_he", "lecun_for_he", 1),
        (NO_MISTAKE, None, 1),
    ]
    first = he_variance.wrong_answers[0]
    assert first.share == pytest.approx(2 / 4)
    assert first.example == "0.0625"
    # The mistake factory's feedback, first sentence.
    assert first.description == "That is the standard deviation."
    assert item_analysis(ROWS, top=1)[0].wrong_answers == (first,)


def test_only_each_students_first_variant_counts():
    later = row("id:s1", 1, "incorrect", variant=1, mistake="inverted", answer="640")
    (he_variance, _) = item_analysis([*ROWS, later])
    assert he_variance.students == 4
    assert he_variance.first_try_correct == pytest.approx(1 / 4)
    assert "inverted" not in {w.label for w in he_variance.wrong_answers}


def test_assignments_and_quizzes_are_separate_items():
    alone = row("id:s9", 1, "correct", assignment="")
    items = item_analysis([*ROWS, alone])
    keys = [(i.assignment, i.quiz, i.question) for i in items]
    assert keys == [
        ("lab1", "formulas", "he_variance"),
        ("lab1", "formulas", "he_std"),
        ("", "formulas", "he_variance"),
    ]


def test_the_first_try_share_is_broken_down_by_parameter_value():
    fans = {"id:s1": 64, "id:s2": 64, "id:s3": 1024, "id:s4": 1024}

    def params_of(r):
        return {"fan_in": fans[r.student], "fan_out": 32}  # fan_out is the same for all

    (he_variance,) = item_analysis(ROWS[:7], params_of)
    shares = [
        (p.parameter, p.value, p.students, p.first_try_correct) for p in he_variance.by_parameter
    ]
    assert shares == [("fan_in", "64", 2, 0.5), ("fan_in", "1024", 2, 0.0)]


def test_many_parameter_values_are_binned_by_quantile():
    rows = [row(f"id:s{i}", 1, "correct" if i < 10 else "incorrect") for i in range(20)]

    def params_of(r):
        return {"fan_in": 10 * int(r.student.removeprefix("id:s"))}

    (item,) = item_analysis(rows, params_of)
    assert [(p.value, p.students, p.first_try_correct) for p in item.by_parameter] == [
        ("[0, 50)", 5, 1.0),
        ("[50, 100)", 5, 1.0),
        ("[100, 150)", 5, 0.0),
        (">= 150", 5, 0.0),
    ]


def test_params_derived_from_the_seed_are_the_students_numbers():
    session = QuizSession(
        "Ada",
        "formulas",
        assignment="lab1",
        question_ids=["he_variance", "he_std", "xavier_uniform_bound"],
        variant_key="deployment secret",
    )
    keyed = params_from_seed("deployment secret")
    public = params_from_seed(None)
    differs = False
    for question_id in session.question_ids:
        r = row(session.student_key, 1, "correct", question=question_id)
        assert keyed(r) == session.current_params(question_id)
        differs |= public(r) != keyed(r)
    assert differs, "without the key the analysis must not find the students' numbers"


def test_wrong_choice_answers_are_grouped_by_the_options_chosen():
    question = next(
        q for q in TEMPLATES.values() if hasattr(q, "options") and not callable(q.options)
    )
    first, second = (option_id for option_id, _ in question.options[:2])
    rows = [
        row("id:a", 1, "incorrect", question=question.id, answer=(first,)),
        row("id:b", 1, "incorrect", question=question.id, answer=(first,)),
        row("id:c", 1, "incorrect", question=question.id, answer=(second,)),
    ]
    (item,) = item_analysis(rows)
    assert [(w.label, w.count) for w in item.wrong_answers] == [(first, 2), (second, 1)]
    assert item.wrong_answers[0].description == dict(question.options)[first]


def test_tables_hold_one_row_per_question_group_and_value():
    fans = {"id:s1": 64, "id:s2": 64, "id:s3": 1024, "id:s4": 1024}
    items = item_analysis(ROWS[:7], lambda r: {"fan_in": fans[r.student]})
    (summary,) = summary_table(items)
    assert summary["students"] == 4
    assert summary["first try correct"] == 0.25
    assert summary["mean attempts"] == 1.75
    assert len(wrong_answer_table(items)) == 3
    assert [r["value"] for r in parameter_table(items)] == ["64", "1024"]


def test_a_mistake_whose_feedback_needs_the_numbers_is_described_in_words():
    # The textbook's 0.089 for a Xavier bound: its feedback is built from each student's fans,
    # so the table shows the mistake's summary ("textbook 089" before).
    rows = [
        row("id:s1", 1, "incorrect", question="exercise2_xavier_bound", mistake="textbook_089"),
    ]
    (item,) = item_analysis(rows)
    description = item.wrong_answers[0].description
    assert "0.089" in description and "average fan" in description
