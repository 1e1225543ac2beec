"""Item analysis of graded attempts: which questions students miss, with which mistake, and for
which numbers.

From the attempt ledger's rows (:class:`quizzes.ledger.LedgerRow`), per question of a quiz or
an assignment:

- ``first_try_correct``: the share of students whose first attempt was correct (the item's
  difficulty index p of classical test theory, on the first try);
- ``mean_attempts``: attempts used per student, on average;
- ``solved``: the share of students who answered correctly on some attempt;
- the most frequent wrong answers, grouped by the known mistake each matched when it was
  graded (the names of :mod:`quizzes.mistakes`, e.g. ``std_for_variance``, and the generic
  slips ``sign`` and ``power_of_ten``), and by the answer itself when it matched none;
- the first-try share broken down by each parameter of the question's variants (e.g. which
  fan-ins are hard). The ledger keeps the variant number, not the numbers: they are derived
  again from the variant seed (:func:`quizzes.session.variant_params`), which needs the same
  ``variant_key`` as the deployment.

Each student counts once per question: their first variant's attempts (graded quizzes have
one variant). :func:`assignment_grades` and :func:`grades_table` give each student's total on
an assignment (the points of ``assignments.toml``) with late flags, as a CSV for Canvas and
Moodle. Plain Python: no streamlit, no altair.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lab.text import plural
from quizzes.assignments import Assignment
from quizzes.bank import TEMPLATES
from quizzes.gradebook import csv_safe, format_points
from quizzes.identity import printable
from quizzes.ledger import LedgerRow
from quizzes.questions import OPTION_ORDER_KEY, ChoiceQuestion, Params, render
from quizzes.session import variant_params

#: Wrong-answer groups kept per question.
TOP_WRONG = 5
#: A parameter with more distinct values than this is split into quantile bins.
MAX_VALUES = 12
#: Bins of a parameter with many values.
BINS = 4
#: What a wrong answer that matched no known mistake is grouped under (numeric questions).
NO_MISTAKE = "no known mistake"
#: Generic slips recognized for every numeric question (quizzes.grading).
GENERIC_SLIPS: dict[str, str] = {
    "sign": "The size is right but the sign is wrong.",
    "power_of_ten": "The digits are right but the answer is off by a power of ten.",
}

ParamsOf = Callable[[LedgerRow], Params]


@dataclass(frozen=True)
class WrongAnswer:
    """One group of wrong answers: a known mistake, or the same answer without one."""

    label: str
    mistake: str | None
    description: str
    count: int
    share: float
    example: str


@dataclass(frozen=True)
class ParameterShare:
    """The first-try share of the students whose variant had ``parameter`` = ``value``."""

    parameter: str
    value: str
    students: int
    first_try_correct: float


@dataclass(frozen=True)
class ItemStats:
    """The analysis of one question of one quiz (or quiz set of an assignment)."""

    assignment: str
    quiz: str
    question: str
    title: str
    students: int
    attempts: int
    first_try_correct: float
    mean_attempts: float
    solved: float
    wrong_answers: tuple[WrongAnswer, ...]
    by_parameter: tuple[ParameterShare, ...]


def params_from_seed(variant_key: bytes | str | None) -> ParamsOf:
    """A function giving a row's variant params, derived again from the variant seed with the
    deployment's ``variant_key`` (None: the public key of a deployment without one)."""

    def params_of(row: LedgerRow) -> Params:
        return variant_params(
            TEMPLATES[row.question],
            row.student,
            row.quiz,
            row.variant,
            mode="graded",
            assignment=row.assignment,
            key=variant_key,
        )

    return params_of


def item_analysis(
    rows: Iterable[LedgerRow],
    params_of: ParamsOf | None = None,
    *,
    top: int = TOP_WRONG,
) -> tuple[ItemStats, ...]:
    """One :class:`ItemStats` per (assignment, quiz, question) in ``rows``, in the order the
    questions first appear. ``params_of`` gives a row's variant params for the breakdown by
    parameter (None: no breakdown)."""
    per_item: dict[tuple[str, str, str], dict[str, list[LedgerRow]]] = {}
    for row in rows:
        item = per_item.setdefault((row.assignment, row.quiz, row.question), {})
        item.setdefault(row.student, []).append(row)
    return tuple(
        _item(key, students, params_of, top) for key, students in per_item.items() if students
    )


def _first_variant(rows: Sequence[LedgerRow]) -> list[LedgerRow]:
    variant = min(row.variant for row in rows)
    return sorted((r for r in rows if r.variant == variant), key=lambda r: (r.attempt, r.id or 0))


def _item(
    key: tuple[str, str, str],
    students: Mapping[str, list[LedgerRow]],
    params_of: ParamsOf | None,
    top: int,
) -> ItemStats:
    assignment, quiz, question_id = key
    template = TEMPLATES.get(question_id)
    tries = {student: _first_variant(rows) for student, rows in students.items()}
    first_right = {
        s: rows[0].attempt == 1 and rows[0].status == "correct" for s, rows in tries.items()
    }
    count = len(tries)
    wrong = [row for rows in tries.values() for row in rows if row.status != "correct"]
    return ItemStats(
        assignment=assignment,
        quiz=quiz,
        question=question_id,
        title=template.title if template is not None else question_id,
        students=count,
        attempts=sum(len(rows) for rows in tries.values()),
        first_try_correct=sum(first_right.values()) / count,
        mean_attempts=sum(len(rows) for rows in tries.values()) / count,
        solved=sum(any(r.status == "correct" for r in rows) for rows in tries.values()) / count,
        wrong_answers=_wrong_answers(question_id, wrong, top),
        by_parameter=_by_parameter(tries, first_right, params_of),
    )


def _answer_key(text: str) -> str:
    """Answers that differ only in spaces and case are the same answer."""
    return re.sub(r"\s+", "", text).casefold()


def _wrong_answers(question_id: str, wrong: list[LedgerRow], top: int) -> tuple[WrongAnswer, ...]:
    if not wrong:
        return ()
    template = TEMPLATES.get(question_id)
    is_choice = isinstance(template, ChoiceQuestion)
    groups: Counter[tuple[str | None, str]] = Counter()
    examples: dict[tuple[str | None, str], str] = {}
    for row in wrong:
        text = row.answer_text()
        if row.mistake is not None:
            group = (row.mistake, row.mistake)
        elif is_choice:
            group = (None, _answer_key(text))
        else:
            # Numeric answers depend on each student's numbers: only the mistake is shared.
            group = (None, NO_MISTAKE)
        groups[group] += 1
        examples.setdefault(group, text)
    total = len(wrong)
    ranked = sorted(groups.items(), key=lambda item: (-item[1], item[0][1]))[:top]
    return tuple(
        WrongAnswer(
            label=label,
            mistake=mistake,
            description=_describe(question_id, mistake, examples[(mistake, label)], is_choice),
            count=count,
            share=count / total,
            example=examples[(mistake, label)],
        )
        for (mistake, label), count in ranked
    )


def _describe(question_id: str, mistake: str | None, example: str, is_choice: bool) -> str:
    """What a wrong-answer group means: the mistake's feedback (its first sentence), the
    chosen options' texts, or that no known mistake matched."""
    template = TEMPLATES.get(question_id)
    if mistake is not None:
        if mistake in GENERIC_SLIPS:
            return GENERIC_SLIPS[mistake]
        known = {m.name: m for m in template.mistakes} if template is not None else {}
        feedback = known[mistake].feedback if mistake in known else None
        if isinstance(feedback, str):
            return _first_sentence(render(feedback, {}))
        if mistake in known and known[mistake].summary:
            return known[mistake].summary
        return mistake.replace("_", " ")
    if is_choice and isinstance(template, ChoiceQuestion) and not callable(template.options):
        texts = dict(template.options)
        chosen = [texts.get(part.strip(), part.strip()) for part in example.split(",")]
        return "; ".join(chosen)
    return "a wrong answer that matches none of the question's known mistakes"


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return match[1] if match else text.strip()


def _by_parameter(
    tries: Mapping[str, list[LedgerRow]],
    first_right: Mapping[str, bool],
    params_of: ParamsOf | None,
) -> tuple[ParameterShare, ...]:
    if params_of is None:
        return ()
    values: dict[str, dict[str, object]] = {}
    for student, rows in tries.items():
        try:
            params = params_of(rows[0])
        except (KeyError, ValueError):
            continue
        values[student] = {
            name: value
            for name, value in params.items()
            if name != OPTION_ORDER_KEY and isinstance(value, int | float | str)
        }
    names = sorted({name for params in values.values() for name in params})
    shares: list[ParameterShare] = []
    for name in names:
        seen = {s: params[name] for s, params in values.items() if name in params}
        distinct = set(seen.values())
        if len(distinct) < 2:
            continue  # the same for every student: it explains nothing
        labels = _labels(seen)
        groups: dict[str, list[str]] = {}
        for student, label in labels.items():
            groups.setdefault(label, []).append(student)
        for label, members in _ordered(groups, seen):
            shares.append(
                ParameterShare(
                    name,
                    label,
                    len(members),
                    sum(first_right[s] for s in members) / len(members),
                )
            )
    return tuple(shares)


def _labels(seen: Mapping[str, object]) -> dict[str, str]:
    """Each student's value as a label: the value itself, or its quantile bin when a numeric
    parameter has more than MAX_VALUES distinct values."""
    distinct = sorted(set(seen.values()), key=_sort_key)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct)
    if len(distinct) <= MAX_VALUES or not numeric:
        return {student: _show(value) for student, value in seen.items()}
    ordered = sorted(float(v) for v in seen.values())  # type: ignore[arg-type]
    edges = [ordered[min(len(ordered) - 1, (len(ordered) * k) // BINS)] for k in range(BINS)]
    edges = sorted(set(edges))
    labels = {}
    for student, value in seen.items():
        number = float(value)  # type: ignore[arg-type]
        index = max(i for i, edge in enumerate(edges) if number >= edge)
        high = edges[index + 1] if index + 1 < len(edges) else None
        labels[student] = (
            f"[{_show(edges[index])}, {_show(high)})"
            if high is not None
            else f">= {_show(edges[index])}"
        )
    return labels


def _ordered(groups: dict[str, list[str]], seen: Mapping[str, object]):
    def key(item: tuple[str, list[str]]):
        return _sort_key(seen[item[1][0]])

    return sorted(groups.items(), key=key)


def _sort_key(value: object) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    return str(value)


# --------------------------------------------------------------------------- tables


def summary_table(stats: Sequence[ItemStats]) -> list[dict[str, object]]:
    """One row per question: the counts and shares of :class:`ItemStats`."""
    return [
        {
            "assignment": item.assignment,
            "quiz": item.quiz,
            "question": item.question,
            "title": item.title,
            "students": item.students,
            "first try correct": round(item.first_try_correct, 4),
            "mean attempts": round(item.mean_attempts, 4),
            "solved": round(item.solved, 4),
        }
        for item in stats
    ]


def wrong_answer_table(stats: Sequence[ItemStats]) -> list[dict[str, object]]:
    """One row per (question, wrong-answer group)."""
    return [
        {
            "assignment": item.assignment,
            "quiz": item.quiz,
            "question": item.question,
            "wrong answer": wrong.label,
            "count": wrong.count,
            "share of wrong": round(wrong.share, 4),
            "meaning": wrong.description,
            "example": wrong.example,
        }
        for item in stats
        for wrong in item.wrong_answers
    ]


def parameter_table(stats: Sequence[ItemStats]) -> list[dict[str, object]]:
    """One row per (question, parameter, value): the first-try share of those students."""
    return [
        {
            "assignment": item.assignment,
            "quiz": item.quiz,
            "question": item.question,
            "parameter": share.parameter,
            "value": share.value,
            "students": share.students,
            "first try correct": round(share.first_try_correct, 4),
        }
        for item in stats
        for share in item.by_parameter
    ]


# --------------------------------------------------------------------------- assignment grades


@dataclass(frozen=True)
class AssignmentGrade:
    """One student's total on one assignment: each question's best credit times its points,
    and how many of the student's attempts came after the due date."""

    student: str
    name: str
    login: str
    assignment: str
    points: float
    max_points: float
    attempts: int
    late_attempts: int
    last_submission: datetime


def assignment_grades(assignment: Assignment, rows: Iterable[LedgerRow]) -> list[AssignmentGrade]:
    """The totals of every student with an attempt at ``assignment``'s quiz sets, by
    identity key. Points follow the file (``QuizSet.points``); an attempt is late when the
    ledger marked it so or it was submitted after the due date."""
    sets = {quiz.id: quiz for quiz in assignment.quizzes}
    per_student: dict[str, list[LedgerRow]] = {}
    for row in rows:
        quiz = sets.get(row.quiz)
        if row.assignment == assignment.id and quiz is not None and row.question in quiz.points:
            per_student.setdefault(row.student, []).append(row)
    grades = []
    for student in sorted(per_student):
        group = per_student[student]
        best: dict[tuple[str, str], float] = {}
        for row in group:
            slot = (row.quiz, row.question)
            best[slot] = max(best.get(slot, 0.0), row.credit)
        latest = max(group, key=lambda r: (r.submitted_at, r.id or 0))
        grades.append(
            AssignmentGrade(
                student=student,
                name=latest.student_name or student,
                login=latest.sis_login_id,
                assignment=assignment.id,
                points=math.fsum(credit * sets[q].points[qid] for (q, qid), credit in best.items()),
                max_points=assignment.max_points,
                attempts=len(group),
                late_attempts=sum(1 for r in group if r.late or assignment.is_late(r.submitted_at)),
                last_submission=latest.submitted_at,
            )
        )
    return grades


def grades_table(assignment: Assignment, grades: Sequence[AssignmentGrade]) -> list[list[str]]:
    """The assignment's gradebook for Canvas and Moodle: a header row, then one row per
    student (``Student``, ``SIS Login ID``, the total, its maximum, ``Late``). Cells are made
    safe for spreadsheets (a leading = + - @ tab or CR is quoted) and printable."""
    label = f"{printable(assignment.title, 120)} ({assignment.id})"
    table = [["Student", "SIS Login ID", label, f"{label} max", "Late"]]
    for grade in grades:
        late = (
            f"late: {grade.late_attempts} of {plural(grade.attempts, 'attempt')}"
            if grade.late_attempts
            else ""
        )
        table.append(
            [
                printable(grade.name, 120),
                printable(grade.login, 120),
                format_points(grade.points),
                format_points(grade.max_points),
                late,
            ]
        )
    return [[csv_safe(cell) for cell in row] for row in table]
