"""Grade one answer against a question template and its params.

Numeric answers (PrairieLearn's ``number-input`` rule): correct when
|x - a| <= max(abs_tol, rel_tol * |a|). A wrong answer that matches a known mistake within the
same tolerance (relative to the mistake's value) gets that mistake's feedback; a few generic
slips (a power of ten, a sign) are recognized for every numeric question. Choice answers are
correct when the selected set equals the correct set. Unreadable answers are ``invalid`` and do
not count as an attempt, and neither does a wrong answer equal in value to one already tried
(:func:`mark_repeat`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from lab.validation import check_choice, check_float
from quizzes.parser import AnswerParseError, parse_number
from quizzes.questions import (
    ChoiceQuestion,
    NumericQuestion,
    Params,
    Question,
    format_value,
    render,
    within,
)

Status = Literal["correct", "incorrect", "invalid"]
STATUSES: tuple[str, ...] = ("correct", "incorrect", "invalid")
Answer = str | float | int | Collection[str]


@dataclass(frozen=True)
class Grade:
    """The outcome of one submission.

    ``credit_fraction`` is the share of the question's point before attempt penalties;
    ``credit``, ``attempt`` and ``attempts_left`` are filled in by a quiz session.
    ``exact_value`` is the engine's answer as text, given only with a correct numeric answer.
    ``note`` is a one-line remark, e.g. that a repeated answer uses no attempt.
    """

    status: Status
    credit_fraction: float
    message: str
    feedback: str | None = None
    exact_value: str | None = None
    counts_as_attempt: bool = True
    mistake: str | None = None
    value: float | None = None
    credit: float | None = None
    attempt: int | None = None
    attempts_left: int | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        check_choice("status", self.status, STATUSES)
        check_float("credit_fraction", self.credit_fraction, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``Grade.from_dict`` reverses it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Grade:
        """Rebuild a Grade from :meth:`to_dict` output."""
        if not isinstance(data, Mapping):
            raise ValueError(f"data must be a dict; got {type(data).__name__}")
        return cls(**dict(data))


def grade(question: Question, params: Params, answer: Answer) -> Grade:
    """Grade ``answer`` (text or number; option id(s) for choice questions) for ``params``."""
    if isinstance(question, NumericQuestion):
        return _grade_numeric(question, params, answer)
    if isinstance(question, ChoiceQuestion):
        return _grade_choice(question, params, answer)
    raise ValueError(f"question must be a NumericQuestion or ChoiceQuestion; got {question!r}")


def reveal(question: Question, params: Params) -> str:
    """The correct answer as text, for when the attempts are used up."""
    return question.correct_text(params)


def mark_repeat(
    question: Question, params: Params, answer: Answer, result: Grade, tried: Sequence[Answer]
) -> Grade:
    """``result``, or the same grade using no attempt, with a one-line ``note``, when it is wrong
    and ``answer`` equals in value one of ``tried`` (earlier answers to the same variant).

    Numeric: the parsed numbers are equal ("384" and "384.0"), or the earlier answer was graded
    the same (the same known mistake, or none) and the new value lies within the question's
    tolerance of it. Choice: the same selection.
    """
    if result.status != "incorrect" or not result.counts_as_attempt:
        return result
    for earlier in tried:
        note = _repeat_note(question, params, answer, result, earlier)
        if note is not None:
            return replace(result, counts_as_attempt=False, note=note)
    return result


def _repeat_note(
    question: Question, params: Params, answer: Answer, result: Grade, earlier: Answer
) -> str | None:
    if isinstance(question, ChoiceQuestion):
        if _read_selection(earlier) != _read_selection(answer):
            return None
        what = "this selection" if question.multi_select else "this option"
        return f"You already tried {what}; this uses no attempt."
    try:
        before = _read_number(earlier)
    except AnswerParseError:
        return None
    if result.value is None:
        return None
    if before == result.value:
        return f"You already tried {format_value(before)}; this uses no attempt."
    if not within(result.value, before, question.rel_tol, question.abs_tol):
        return None
    first = _grade_numeric(question, params, earlier)
    if first.status != "incorrect" or first.mistake != result.mistake:
        return None
    return (
        f"You already tried {format_value(before)}, the same within the tolerance; "
        "this uses no attempt."
    )


# --- numeric --------------------------------------------------------------------------------


def _grade_numeric(question: NumericQuestion, params: Params, answer: Answer) -> Grade:
    try:
        value = _read_number(answer)
    except AnswerParseError as error:
        return Grade("invalid", 0.0, str(error), counts_as_attempt=False)
    target = question.correct_value(params)
    if within(value, target, question.rel_tol, question.abs_tol):
        return Grade(
            "correct",
            1.0,
            _correct_message(question),
            exact_value=question.correct_text(params),
            value=value,
        )
    name, feedback = _known_mistake(question, params, value, target)
    return Grade(
        "incorrect",
        0.0,
        _miss_message(question, value),
        feedback=feedback,
        mistake=name,
        value=value,
    )


def _correct_message(question: NumericQuestion) -> str:
    if question.exact:
        return "Correct."
    return f"Correct ({question.tolerance_description} of the exact value)."


def _miss_message(question: NumericQuestion, value: float) -> str:
    if question.exact:
        return f"Not correct: {format_value(value)} is not the answer."
    return (
        f"Not correct: {format_value(value)} is not {question.tolerance_description} of the answer."
    )


def _read_number(answer: Answer) -> float:
    if isinstance(answer, str):
        return parse_number(answer)
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        raise AnswerParseError("Enter a number.")
    if not math.isfinite(answer):
        raise AnswerParseError("The number must be finite.")
    return float(answer)


def _known_mistake(
    question: NumericQuestion, params: Params, value: float, target: float
) -> tuple[str | None, str | None]:
    for mistake in question.mistakes:
        wrong = mistake.value(params)
        if wrong is None or not math.isfinite(wrong):
            continue
        if within(value, wrong, question.rel_tol, question.abs_tol):
            return mistake.name, render(mistake.feedback, params)
    return _generic_slip(question, value, target)


def _generic_slip(
    question: NumericQuestion, value: float, target: float
) -> tuple[str | None, str | None]:
    if target != 0 and within(-value, target, question.rel_tol, question.abs_tol):
        return "sign", "The size is right but the sign is wrong."
    for power in (1, 2, 3, -1, -2, -3):
        if target != 0 and within(value, target * 10.0**power, question.rel_tol, 0.0):
            return (
                "power_of_ten",
                f"The digits are right but the answer is off by a factor of 10^{power}: "
                "check the decimal point.",
            )
    return None, None


# --- choice ---------------------------------------------------------------------------------


def _grade_choice(question: ChoiceQuestion, params: Params, answer: Answer) -> Grade:
    options = question.option_list(params)
    texts = dict(options)
    selected = _read_selection(answer)
    if not selected:
        hint = "Select at least one option." if question.multi_select else "Select an option."
        return Grade("invalid", 0.0, hint, counts_as_attempt=False)
    unknown = sorted(selected - set(texts))
    if unknown:
        return Grade("invalid", 0.0, f"Unknown option {unknown[0]!r}.", counts_as_attempt=False)
    if not question.multi_select and len(selected) > 1:
        return Grade("invalid", 0.0, "Select exactly one option.", counts_as_attempt=False)
    correct = question.correct_ids(params)
    if selected == correct:
        return Grade("correct", 1.0, "Correct.")
    wrong_picks = selected - correct
    messages: list[str] = []
    name = None
    explained: set[str] = set()
    for mistake in question.mistakes:
        option = question.mistake_option(mistake, params)
        if option in wrong_picks:
            name = name or mistake.name
            explained.add(option)
            messages.append(render(mistake.feedback, params))
    for option_id, _ in options:
        if option_id in wrong_picks - explained and option_id in question.option_feedback:
            messages.append(question.option_feedback[option_id])
    if question.multi_select and correct - selected:
        messages.append("At least one correct option is not selected.")
    credit = 0.0
    if question.partial_credit:
        hits = len(selected & correct)
        credit = max(0.0, (hits - len(wrong_picks)) / len(correct))
    message = "Partly right." if credit > 0 else "Not correct."
    return Grade("incorrect", credit, message, feedback=" ".join(messages) or None, mistake=name)


def _read_selection(answer: Answer) -> frozenset[str]:
    if isinstance(answer, str):
        return frozenset([answer]) if answer else frozenset()
    if isinstance(answer, Collection) and all(isinstance(item, str) for item in answer):
        return frozenset(answer)
    return frozenset([repr(answer)])
