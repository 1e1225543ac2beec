"""A quiz session charges no attempt for a wrong answer equal in value to one already tried."""

from __future__ import annotations

from datetime import UTC, datetime

from quizzes.session import QuizSession

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
WRONG = "123456"  # far from every answer of the formulas quiz and from its known mistakes


def test_384_then_384_0_costs_one_attempt() -> None:
    session = QuizSession("rita", "formulas")
    first = session.submit("conv_fan_in", WRONG, now=NOW)
    assert first.counts_as_attempt and first.attempts_left == 2 and first.note is None
    for same in ("123456.0", "1.23456e5", "123456 * 1"):
        again = session.submit("conv_fan_in", same, now=NOW)
        assert again.status == "incorrect" and not again.counts_as_attempt
        assert again.note == "You already tried 123456; this uses no attempt."
        assert again.attempts_left == 2 and again.attempt is None
    assert session.attempts_left("conv_fan_in") == 2
    assert [a.answer for a in session.state("conv_fan_in").attempts] == [WRONG]
    other = session.submit("conv_fan_in", "654321", now=NOW)
    assert other.counts_as_attempt and other.attempts_left == 1
    right = session.question("conv_fan_in").correct_text(session.current_params("conv_fan_in"))
    assert session.submit("conv_fan_in", right, now=NOW).credit == 0.5  # the third attempt


def test_the_same_option_again_costs_no_attempt() -> None:
    session = QuizSession("sam", "signal")
    first = session.submit("critical_init_relu", "xavier_normal", now=NOW)
    assert first.counts_as_attempt and first.attempts_left == 2
    again = session.submit("critical_init_relu", ["xavier_normal"], now=NOW)
    assert not again.counts_as_attempt and again.attempts_left == 2
    assert again.note == "You already tried this option; this uses no attempt."
    assert again.feedback == first.feedback  # the same feedback, shown again
    assert session.submit("critical_init_relu", "lecun_normal", now=NOW).attempts_left == 1


def test_a_repeat_is_not_stored() -> None:
    session = QuizSession("tom", "formulas")
    session.submit("he_variance", WRONG, now=NOW)
    session.submit("he_variance", WRONG + ".00", now=NOW)
    stored = {item["id"]: item for item in session.to_dict()["questions"]}["he_variance"]
    assert len(stored["attempts"]) == 1
    assert session.progress().attempts_used == 1
