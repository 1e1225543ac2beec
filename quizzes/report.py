"""``python -m quizzes report --db URL`` and ``python -m quizzes assignments``.

``report`` prints, from the attempt ledger, the tables of the app's instructor page: each
assignment's totals (points of ``assignments.toml``, late flags), the gradebook per question,
and the item analysis of every quiz (first-try share, mean attempts, most frequent wrong answers
with the mistake each matches, first-try share by parameter value). The breakdown by parameter
derives each variant's numbers again from the variant seed, so it needs the deployment's
``variant_key`` (environment variable ``LAB_VARIANT_KEY`` unless ``--variant-key-env`` names
another; without it the public key of a deployment without one is used).

``assignments`` checks an assignments file and prints what it holds, or its one error line.

Exit codes: 0 printed; 1 nothing to report (no attempt) or a broken assignments file; 2 the
database cannot be read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from lab.text import plural
from quizzes.analysis import (
    assignment_grades,
    grades_table,
    item_analysis,
    parameter_table,
    params_from_seed,
    summary_table,
    wrong_answer_table,
)
from quizzes.assignments import (
    ASSIGNMENTS_FILE,
    AssignmentFileError,
    Assignments,
    load_assignments,
)
from quizzes.gradebook import Gradebook, add_ledger
from quizzes.identity import printable
from quizzes.ledger import Ledger, LedgerError

#: Where the variant key is read from unless --variant-key-env says otherwise.
DEFAULT_VARIANT_KEY_ENV = "LAB_VARIANT_KEY"
#: Widest cell printed (longer text is cut with an ellipsis).
MAX_CELL = 48


def format_table(rows: Sequence[Sequence[object]]) -> str:
    """Rows (the first is the header) as aligned text columns; every cell made printable."""
    cells = [[printable(_cell(value), MAX_CELL) for value in row] for row in rows]
    if not cells:
        return ""
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(cells[0]))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _dict_rows(records: Sequence[Mapping[str, object]], skip: tuple[str, ...] = ()) -> list:
    if not records:
        return []
    names = [name for name in records[0] if name not in skip]
    return [names, *([record[name] for name in names] for record in records)]


def run_report(
    db_url: str,
    assignments_path: str | Path,
    variant_key: str | None,
    out: TextIO,
    err: TextIO,
    assignment_id: str | None = None,
) -> int:
    """The ``report`` command; see the module's docstring for the exit codes."""
    try:
        rows = Ledger(db_url).rows(assignment=assignment_id)
    except (LedgerError, ValueError, SQLAlchemyError) as error:
        print(printable(f"error: {error}", 2000), file=err)
        return 2
    try:
        assignments = load_assignments(assignments_path)
    except AssignmentFileError as error:
        print(printable(f"warning: {error}; assignment totals left out", 2000), file=err)
        assignments = Assignments(Path(assignments_path).name, {})
    if not rows:
        print("No graded attempt in the ledger.", file=err)
        return 1

    def section(title: str, table: Sequence[Sequence[object]]) -> None:
        if len(table) > 1:
            print(f"\n== {printable(title, 200)} ==", file=out)
            print(format_table(table), file=out)

    for assignment in assignments:
        grades = assignment_grades(assignment, rows)
        if grades:
            title = f"{assignment.title} ({assignment.id}), due {assignment.due_text()}"
            section(f"Gradebook: {title}", grades_table(assignment, grades))
    book = Gradebook.for_assignments(assignments)
    add_ledger(book, rows)
    section("Gradebook per question", [book.header(), *book.rows()])
    stats = item_analysis(rows, params_from_seed(variant_key))
    section("Item analysis", _dict_rows(summary_table(stats)))
    section("Most frequent wrong answers", _dict_rows(wrong_answer_table(stats)))
    section("Correct at the first attempt, by parameter", _dict_rows(parameter_table(stats)))
    return 0


def run_check(path: str | Path, out: TextIO, err: TextIO) -> int:
    """The ``assignments`` command: 0 and a summary for a good file, 1 and the error line."""
    try:
        assignments = load_assignments(path)
    except AssignmentFileError as error:
        print(printable(str(error), 2000), file=err)
        return 1
    if not len(assignments):
        print(f"{printable(str(path), 500)}: no assignment.", file=out)
        return 0
    for assignment in assignments:
        print(f"{assignment.id}: {printable(assignment.title, 200)}", file=out)
        if assignment.opens is not None:
            print(f"  opens {assignment.opens_text()}", file=out)
        print(f"  due {assignment.due_text()}", file=out)
        for step in assignment.steps:
            locked = f" (locked: {', '.join(step.locked)})" if step.locked else ""
            print(f"  step {step.number}: {assignment.step_link(step.number)}{locked}", file=out)
        for quiz in assignment.quizzes:
            schedule = ", ".join(f"{x:g}" for x in quiz.schedule)
            print(
                f"  quiz {quiz.id}: {plural(len(quiz.questions), 'question')}, "
                f"{quiz.max_points:g} point{'' if quiz.max_points == 1 else 's'}, "
                f"{plural(quiz.attempts, 'attempt')} ({schedule})",
                file=out,
            )
    return 0


def default_assignments_path() -> Path:
    """``assignments.toml`` in the current folder."""
    return Path(ASSIGNMENTS_FILE)


def variant_key_from_env(name: str) -> str | None:
    """The variant key from environment variable ``name`` (None when unset or empty)."""
    value = os.environ.get(name, "")
    return value if value.strip() else None
