"""Turn a folder of student receipts into one gradebook CSV.

``python -m quizzes grade RECEIPT... --csv gradebook.csv [--key KEY | --key-env VAR]``

Every receipt's HMAC signature is checked with the key (default: the environment variable
``LAB_RECEIPT_KEY``). Tampered, unsigned and practice-mode receipts are reported on stderr, one
line each, and left out; so are files that are missing or not receipts. Several receipts of the
same student for the same quiz are merged by keeping the best score per question (a note on
stderr says so). Students are matched by their normalized name (trimmed, casefolded).

CSV layout (UTF-8, comma-separated, one header row, one row per student, sorted by name):

- ``Student``: the name as the student typed it.
- ``SIS Login ID``: the ID the student typed (e.g. a university login), possibly empty.
- per quiz, one column per question, ``<quiz id>: <question title> (<question id>)``, in
  points from 0 to 1 (1 point per question; attempt penalties applied);
- per quiz, ``<Quiz title> (<quiz id>)``: the total, and
  ``<Quiz title> (<quiz id>) max``: the maximum (the number of questions).

A student without a receipt for a quiz has empty cells there. Importing:

- Canvas (Grades > Import): Canvas identifies students by its own columns (Student, ID,
  SIS User ID, SIS Login ID, Section) and turns every unknown column into a new assignment.
  Check the matches in the import preview and keep only the total column (ignore the question
  and max columns), or copy the totals into a gradebook export.
- Moodle (Grades > Import > CSV file): map ``SIS Login ID`` (or ``Student``) to the user
  field the students typed (username, ID number or email address), and map the total column
  to a grade item; leave the other columns unmapped.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from quizzes.bank import QUIZZES
from quizzes.receipts import load_receipt, verify_receipt
from quizzes.session import normalize_student

MAX_RECEIPT_BYTES = 5_000_000


@dataclass
class StudentRecord:
    """One gradebook row: best points per (quiz, question)."""

    name: str
    login: str
    points: dict[tuple[str, str], float] = field(default_factory=dict)
    receipts: dict[str, int] = field(default_factory=dict)


@dataclass
class QuizColumns:
    """The question columns of one quiz, in order of first appearance."""

    quiz_id: str
    title: str
    questions: dict[str, str] = field(default_factory=dict)


@dataclass
class Gradebook:
    """Merged valid receipts plus the lines to report on stderr."""

    students: dict[str, StudentRecord] = field(default_factory=dict)
    quizzes: dict[str, QuizColumns] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files_read: int = 0
    receipts_used: int = 0

    def header(self) -> list[str]:
        """The CSV header row."""
        columns = ["Student", "SIS Login ID"]
        for quiz in self._ordered_quizzes():
            for question_id, title in quiz.questions.items():
                columns.append(f"{quiz.quiz_id}: {title} ({question_id})")
            columns.append(f"{quiz.title} ({quiz.quiz_id})")
            columns.append(f"{quiz.title} ({quiz.quiz_id}) max")
        return columns

    def rows(self) -> list[list[str]]:
        """One row per student, sorted by normalized name."""
        rows = []
        for key in sorted(self.students):
            record = self.students[key]
            row = [record.name, record.login]
            for quiz in self._ordered_quizzes():
                taken = quiz.quiz_id in record.receipts
                total = 0.0
                for question_id in quiz.questions:
                    points = record.points.get((quiz.quiz_id, question_id))
                    total += points or 0.0
                    row.append(format_points(points) if taken and points is not None else "")
                row.append(format_points(total) if taken else "")
                row.append(format_points(len(quiz.questions)) if taken else "")
            rows.append(row)
        return rows

    def _ordered_quizzes(self) -> list[QuizColumns]:
        known = [self.quizzes[q] for q in QUIZZES if q in self.quizzes]
        others = [self.quizzes[q] for q in sorted(self.quizzes) if q not in QUIZZES]
        return known + others


def format_points(points: float) -> str:
    """Points with at most 4 decimals and no trailing zeros (0.75, 1, 0.5625)."""
    text = f"{points:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def add_receipt(book: Gradebook, source: str, receipt: Mapping[str, Any], key: bytes) -> bool:
    """Verify ``receipt`` and merge it into ``book``; False (with a note) if left out."""
    check = verify_receipt(receipt, key)
    if check.status != "valid":
        book.notes.append(f"{source}: left out, {check.status}: {check.message}")
        return False
    if receipt["mode"] != "graded":
        book.notes.append(f"{source}: left out, a practice-mode receipt does not count")
        return False
    student_key = normalize_student(receipt["student"])
    record = book.students.setdefault(
        student_key, StudentRecord(name=receipt["student"], login=receipt["student_id"])
    )
    if receipt["student_id"] and record.login and receipt["student_id"] != record.login:
        book.notes.append(
            f"{source}: {receipt['student']} typed ID {receipt['student_id']!r} here and "
            f"{record.login!r} elsewhere; keeping {record.login!r}"
        )
    record.login = record.login or receipt["student_id"]
    quiz_id = receipt["quiz"]["id"]
    quiz = book.quizzes.setdefault(
        quiz_id, QuizColumns(quiz_id, str(receipt["quiz"].get("title", quiz_id)))
    )
    for item in receipt["questions"]:
        quiz.questions.setdefault(item["id"], item["title"])
        slot = (quiz_id, item["id"])
        record.points[slot] = max(record.points.get(slot, 0.0), float(item["score"]))
    record.receipts[quiz_id] = record.receipts.get(quiz_id, 0) + 1
    if record.receipts[quiz_id] == 2:
        book.notes.append(
            f"note: several receipts of {record.name} for quiz {quiz_id}: keeping the best "
            "score per question"
        )
    book.receipts_used += 1
    return True


def build_gradebook(paths: Iterable[str | Path], key: bytes) -> Gradebook:
    """Read, verify and merge receipt files."""
    book = Gradebook()
    for path in paths:
        source = str(path)
        try:
            receipt = load_receipt(_read(Path(path)))
        except OSError as error:
            book.notes.append(f"{source}: cannot read ({error.strerror or error})")
            continue
        except ValueError as error:
            book.notes.append(f"{source}: {error}")
            continue
        book.files_read += 1
        add_receipt(book, source, receipt, key)
    return book


def write_csv(book: Gradebook, stream: TextIO) -> None:
    """Write the header and the rows to an open text stream (opened with newline="")."""
    writer = csv.writer(stream)
    writer.writerow(book.header())
    writer.writerows(book.rows())


def run_grade(
    paths: Sequence[str],
    csv_path: str,
    key: str | None,
    key_env: str,
    stderr: TextIO,
) -> int:
    """The ``grade`` command: 0 written, 1 nothing valid to write, 2 nothing readable or no key."""
    secret = key if key is not None else os.environ.get(key_env)
    if not secret:
        print(
            f"error: no receipt key: pass --key or set the environment variable {key_env}",
            file=stderr,
        )
        return 2
    book = build_gradebook(paths, secret.encode("utf-8"))
    for note in book.notes:
        print(note, file=stderr)
    if book.files_read == 0:
        print("error: none of the files could be read as a receipt", file=stderr)
        return 2
    if book.receipts_used == 0:
        print("error: no valid graded receipt; nothing written", file=stderr)
        return 1
    try:
        with open(csv_path, "w", newline="", encoding="utf-8") as stream:
            write_csv(book, stream)
    except OSError as error:
        print(f"error: cannot write {csv_path}: {error.strerror or error}", file=stderr)
        return 2
    print(
        f"wrote {csv_path}: {len(book.students)} students from {book.receipts_used} receipts",
        file=stderr,
    )
    return 0


def _read(path: Path) -> bytes:
    with path.open("rb") as stream:
        data = stream.read(MAX_RECEIPT_BYTES + 1)
    if len(data) > MAX_RECEIPT_BYTES:
        raise ValueError(f"not a receipt: larger than {MAX_RECEIPT_BYTES // 1_000_000} MB")
    return data
