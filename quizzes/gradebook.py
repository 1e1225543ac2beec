"""Turn the attempt ledger and/or a folder of student receipts into one gradebook CSV.

``python -m quizzes grade [RECEIPT...] --csv gradebook.csv [--db URL] [--assignments PATH]
[--key KEY | --key-env VAR]``

**From the ledger** (``--db URL``, the app's database, e.g. ``sqlite:///lab-data/ledger.sqlite3``
or a PostgreSQL URL): every graded attempt the app recorded. A question's points are its best
credit over the student's attempts (the credit schedule already lowers later attempts).

**From receipts**: every receipt's HMAC signature is checked with the key (default: the
environment variable ``LAB_RECEIPT_KEY``). Tampered, unsigned and practice-mode receipts are
reported on stderr, one line each, and left out; so are files that are missing, over 1 MB, not
receipts, or JSON with a duplicate key. Receipts are matched by the student's identity key (the
student ID, or the signed-in account), assignment and quiz. Several receipts of one student for
one quiz must form one history: each later receipt continues the earlier one (its attempts start
with all of the earlier one's). Then the longest counts. Otherwise they are a **fork** (the
student went back to an older state, e.g. with an old receipt): the quiz's cells stay empty, the
``Flags`` column says so, and stderr lists each receipt with its score, for the instructor to
decide. Never is the best of several receipts taken.

With both, the ledger counts for every quiz it holds, and a receipt of such a quiz whose history
is not the start of the ledger's is flagged (it was changed or comes from another server).

CSV layout (UTF-8, comma-separated, one header row, one row per student, sorted by identity):

- ``Student``: the name; ``SIS Login ID``: the student ID, or the signed-in account's e-mail.
- per quiz, one column per question, ``<quiz>: <question title> (<question id>)``, in points
  from 0 to the question's points (attempt penalties applied); then ``<Quiz title> (<quiz>)``:
  the total, and ``<Quiz title> (<quiz>) max``: the maximum. ``<quiz>`` is the quiz id, or
  ``<assignment>/<quiz id>`` for a quiz set taken under an assignment. A quiz taken on its own
  has every question of the bank's quiz, each worth 1 point. A quiz set of the assignments file
  (``--assignments``, default ``assignments.toml``) has its own title, questions and points,
  whichever questions a student tried, so its maximum is the same for every student and the
  sets' maxima add up to the assignment's total on the instructor page; a question the set no
  longer holds is left out (as that total leaves it out), and a set the file no longer holds
  has the questions seen, 1 point each.
- ``Flags`` (only when a student has one): forks and disagreements, for the instructor.

Every cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
with a single quote, so a spreadsheet shows it as text instead of running it as a formula
(OWASP's CSV injection advice); names and notes are stripped of control characters and terminal
escape sequences before they are written or printed.

Importing:

- Canvas (Grades > Import): Canvas identifies students by its own columns (Student, ID,
  SIS User ID, SIS Login ID, Section) and turns every unknown column into a new assignment.
  Check the matches in the import preview and keep only the total column (ignore the question,
  max and Flags columns), or copy the totals into a gradebook export.
- Moodle (Grades > Import > CSV file): map ``SIS Login ID`` to the user field the students
  typed or signed in with (username, ID number or email address), and map the total column to a
  grade item; leave the other columns unmapped.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lab.text import plural
from quizzes.assignments import (
    ASSIGNMENTS_FILE,
    Assignment,
    AssignmentFileError,
    QuizSet,
    load_assignments,
)
from quizzes.bank import QUIZZES, TEMPLATES
from quizzes.identity import printable
from quizzes.ledger import Ledger, LedgerError, LedgerRow
from quizzes.receipts import (
    MAX_RECEIPT_BYTES,
    attempt_history,
    history_extends,
    load_receipt,
    verify_receipt,
)
from quizzes.session import utc_timestamp

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A (assignment, quiz) pair: the unit a gradebook has columns for.
Scope = tuple[str, str]


@dataclass
class StudentRecord:
    """One gradebook row: points per (scope, question), and flags for the instructor."""

    name: str
    login: str
    points: dict[tuple[Scope, str], float] = field(default_factory=dict)
    taken: set[Scope] = field(default_factory=set)
    flags: list[str] = field(default_factory=list)


@dataclass
class QuizColumns:
    """The question columns of one (assignment, quiz), in order: each question's title, and
    its points where they are not 1 (an assignment's quiz set)."""

    scope: Scope
    title: str
    questions: dict[str, str] = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)

    def worth(self, question_id: str) -> float:
        """The points of ``question_id`` (1 unless its quiz set gives others)."""
        return self.points.get(question_id, 1.0)

    @property
    def max_points(self) -> float:
        """The points of every column's question, summed."""
        return math.fsum(self.worth(question_id) for question_id in self.questions)

    @property
    def label(self) -> str:
        """``quiz`` or ``assignment/quiz``: the prefix of the columns."""
        assignment, quiz = self.scope
        return f"{assignment}/{quiz}" if assignment else quiz


@dataclass
class Gradebook:
    """Students, columns and the lines to report on stderr.

    ``quiz_sets`` holds the quiz sets of the assignments file (``for_assignments``): an
    (assignment, quiz) of it gets the set's title, questions and points, so its maximum does not
    depend on the questions a student tried. Otherwise a quiz taken on its own has every
    question of the bank's quiz, and an assignment's quiz the questions seen, 1 point each.
    """

    students: dict[str, StudentRecord] = field(default_factory=dict)
    quizzes: dict[Scope, QuizColumns] = field(default_factory=dict)
    quiz_sets: dict[Scope, QuizSet] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files_read: int = 0
    receipts_used: int = 0
    ledger_rows: int = 0

    @classmethod
    def for_assignments(cls, assignments: Iterable[Assignment]) -> Gradebook:
        """An empty gradebook that knows the quiz sets of ``assignments``."""
        return cls(
            quiz_sets={
                (assignment.id, quiz.id): quiz
                for assignment in assignments
                for quiz in assignment.quizzes
            }
        )

    def header(self) -> list[str]:
        """The CSV header row."""
        columns = ["Student", "SIS Login ID"]
        for quiz in self._ordered_quizzes():
            for question_id, title in quiz.questions.items():
                columns.append(f"{quiz.label}: {title} ({question_id})")
            columns.append(f"{quiz.title} ({quiz.label})")
            columns.append(f"{quiz.title} ({quiz.label}) max")
        if self._has_flags():
            columns.append("Flags")
        return [csv_safe(column) for column in columns]

    def rows(self) -> list[list[str]]:
        """One row per student, sorted by identity key; cells made safe for spreadsheets."""
        rows = []
        flags = self._has_flags()
        for key in sorted(self.students):
            record = self.students[key]
            row = [printable(record.name), printable(record.login)]
            for quiz in self._ordered_quizzes():
                taken = quiz.scope in record.taken
                total = 0.0
                for question_id in quiz.questions:
                    credit = record.points.get((quiz.scope, question_id), 0.0)
                    points = credit * quiz.worth(question_id)
                    total += points
                    row.append(format_points(points) if taken else "")
                row.append(format_points(total) if taken else "")
                row.append(format_points(quiz.max_points) if taken else "")
            if flags:
                row.append(printable("; ".join(record.flags), 1000))
            rows.append([csv_safe(cell) for cell in row])
        return rows

    def columns_for(self, scope: Scope, title: str) -> QuizColumns:
        """The columns of ``scope``, created with every question of a known quiz set or quiz
        (``title`` names a scope that is neither)."""
        if scope not in self.quizzes:
            quiz_set = self.quiz_sets.get(scope)
            listed: Sequence[str] = ()
            if quiz_set is not None:
                title, listed = quiz_set.title, quiz_set.questions
            elif not scope[0] and scope[1] in QUIZZES:
                listed = QUIZZES[scope[1]].question_ids
            columns = QuizColumns(scope, title)
            for question_id in listed:
                template = TEMPLATES.get(question_id)
                columns.questions[question_id] = template.title if template else question_id
            if quiz_set is not None:
                columns.points = dict(quiz_set.points)
            self.quizzes[scope] = columns
        return self.quizzes[scope]

    def counts(self, scope: Scope, question_id: str) -> bool:
        """Whether ``question_id`` has a column in ``scope``: any question of a quiz, but only
        the questions of a known quiz set (one the assignments file no longer lists is left
        out, as the assignment's total leaves it out, with one note)."""
        quiz_set = self.quiz_sets.get(scope)
        if quiz_set is None or question_id in quiz_set.questions:
            return True
        note = (
            f"{scope[0]}/{scope[1]}: question {question_id} is not in the quiz set of the "
            "assignments file; its attempts are left out"
        )
        if note not in self.notes:
            self.notes.append(note)
        return False

    def _has_flags(self) -> bool:
        return any(record.flags for record in self.students.values())

    def _ordered_quizzes(self) -> list[QuizColumns]:
        order = {quiz_id: index for index, quiz_id in enumerate(QUIZZES)}
        return sorted(
            self.quizzes.values(),
            key=lambda q: (q.scope[0], order.get(q.scope[1], len(order)), q.scope[1]),
        )


def csv_safe(cell: str) -> str:
    """``cell`` with a leading single quote when it starts like a formula (= + - @ tab CR)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def format_points(points: float) -> str:
    """Points with at most 4 decimals and no trailing zeros (0.75, 1, 0.5625)."""
    text = f"{points:.4f}".rstrip("0").rstrip(".")
    return text or "0"


# --- the ledger ---------------------------------------------------------------------------------


def ledger_history(rows: Iterable[LedgerRow]) -> dict[str, list[tuple]]:
    """Attempts per question as comparable tuples, like ``receipts.attempt_history``."""
    history: dict[str, list[tuple]] = {}
    for row in sorted(rows, key=lambda r: (r.variant, r.attempt, r.id or 0)):
        history.setdefault(row.question, []).append(
            (
                row.variant,
                utc_timestamp(row.submitted_at),
                row.answer,
                row.status,
                round(row.credit, 9),
                row.nonce,
            )
        )
    return history


def add_ledger(book: Gradebook, rows: Sequence[LedgerRow]) -> dict[tuple[str, Scope], dict]:
    """Merge ledger rows into ``book``; returns each (student, scope)'s attempt history."""
    grouped: dict[tuple[str, Scope], list[LedgerRow]] = {}
    for row in rows:
        grouped.setdefault((row.student, (row.assignment, row.quiz)), []).append(row)
    histories = {}
    for (student, scope), group in sorted(grouped.items()):
        latest = max(group, key=lambda r: (r.submitted_at, r.id or 0))
        record = book.students.setdefault(
            student, StudentRecord(name=latest.student_name, login=latest.sis_login_id)
        )
        record.name, record.login = latest.student_name or student, latest.sis_login_id
        title = QUIZZES[scope[1]].title if scope[1] in QUIZZES else scope[1]
        columns = book.columns_for(scope, title)
        record.taken.add(scope)
        for row in group:
            if not book.counts(scope, row.question):
                continue
            title = TEMPLATES[row.question].title if row.question in TEMPLATES else row.question
            columns.questions.setdefault(row.question, title)
            slot = (scope, row.question)
            record.points[slot] = max(record.points.get(slot, 0.0), row.credit)
        histories[(student, scope)] = ledger_history(group)
    book.ledger_rows += len(rows)
    return histories


# --- receipts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Handed:
    source: str
    receipt: Mapping[str, Any]

    @property
    def length(self) -> int:
        return sum(len(item["attempts"]) for item in self.receipt["questions"])


def _scope(receipt: Mapping[str, Any]) -> Scope:
    return (receipt["assignment"], receipt["quiz"]["id"])


def check_receipt(book: Gradebook, source: str, receipt: Mapping[str, Any], key: bytes) -> bool:
    """True for a valid graded receipt; otherwise a note says why it is left out."""
    check = verify_receipt(receipt, key)
    if check.status != "valid":
        book.notes.append(f"{source}: left out, {check.status}: {check.message}")
        return False
    if receipt["mode"] != "graded":
        book.notes.append(f"{source}: left out, a practice-mode receipt does not count")
        return False
    return True


def add_receipts(
    book: Gradebook,
    handed: Sequence[tuple[str, Mapping[str, Any]]],
    ledger: Mapping[tuple[str, Scope], Mapping[str, list]] | None = None,
) -> None:
    """Merge verified graded receipts: one history per (student, scope), forks flagged.

    For a (student, scope) the ledger holds, the ledger counts and each receipt is only
    compared with it.
    """
    groups: dict[tuple[str, Scope], list[_Handed]] = {}
    for source, receipt in handed:
        groups.setdefault((receipt["student_key"], _scope(receipt)), []).append(
            _Handed(source, receipt)
        )
    for (student, scope), group in sorted(groups.items()):
        label = f"{scope[0]}/{scope[1]}" if scope[0] else scope[1]
        name = printable(group[-1].receipt["student"], 80)
        if ledger is not None and (student, scope) in ledger:
            for item in group:
                if not history_extends(ledger[(student, scope)], attempt_history(item.receipt)):
                    _flag(
                        book,
                        student,
                        f"{label}: a receipt disagrees with the ledger",
                        f"{item.source}: the receipt of {name} for {label} is not the start of "
                        "the ledger's history (changed, or from another server); the ledger "
                        "counts",
                    )
            continue
        group.sort(key=lambda item: item.length)
        forked = any(
            not history_extends(attempt_history(later.receipt), attempt_history(earlier.receipt))
            for earlier, later in zip(group, group[1:], strict=False)
        )
        chosen = group[-1].receipt
        record = book.students.setdefault(
            student, StudentRecord(name=chosen["student"], login=chosen["student_id"])
        )
        record.name, record.login = chosen["student"], chosen["student_id"]
        columns = book.columns_for(scope, str(chosen["quiz"].get("title", scope[1])))
        for item in chosen["questions"]:
            if book.counts(scope, item["id"]):
                columns.questions.setdefault(item["id"], item["title"])
        book.receipts_used += len(group)
        if forked:
            scores = ", ".join(
                f"{item.source} ({float(item.receipt['totals']['score']):g} points)"
                for item in group
            )
            _flag(
                book,
                student,
                f"{label}: fork, {len(group)} receipts whose histories diverge",
                f"fork: {name} handed in receipts for {label} whose attempt histories do not "
                f"continue each other, left empty for you to decide: {scores}",
            )
            continue
        record.taken.add(scope)
        for item in chosen["questions"]:
            if book.counts(scope, item["id"]):
                record.points[(scope, item["id"])] = float(item["score"])
        if len(group) > 1:
            book.notes.append(
                f"note: {len(group)} receipts of {name} for {label} form one history; "
                f"the latest ({group[-1].source}) counts"
            )


def _flag(book: Gradebook, student: str, flag: str, note: str) -> None:
    record = book.students.get(student)
    if record is not None and flag not in record.flags:
        record.flags.append(flag)
    book.notes.append(note)


def read_receipts(book: Gradebook, paths: Iterable[str | Path], key: bytes) -> list:
    """Read and verify receipt files; returns (source, receipt) of the valid graded ones."""
    valid = []
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
        if check_receipt(book, source, receipt, key):
            valid.append((source, receipt))
    return valid


def build_gradebook(
    paths: Iterable[str | Path],
    key: bytes | None,
    ledger: Ledger | None = None,
    assignments: Iterable[Assignment] = (),
) -> Gradebook:
    """The gradebook of a ledger and/or receipt files (receipts need ``key``), with the quiz
    sets of ``assignments``."""
    book = Gradebook.for_assignments(assignments)
    histories = add_ledger(book, ledger.rows()) if ledger is not None else None
    paths = list(paths)
    if paths:
        if key is None:
            raise ValueError("key must be the receipt key to read receipts; got None")
        add_receipts(book, read_receipts(book, paths, key), histories)
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
    db_url: str | None = None,
    assignments_path: str | Path = ASSIGNMENTS_FILE,
) -> int:
    """The ``grade`` command: 0 written, 1 nothing valid to write, 2 nothing readable, no key
    for receipts, or a database that cannot be read. A broken assignments file is a warning:
    its quiz sets are then counted by the questions seen."""

    def say(line: str) -> None:
        print(printable(line, 2000), file=stderr)

    secret = key if key is not None else os.environ.get(key_env)
    if paths and not secret:
        say(f"error: no receipt key: pass --key or set the environment variable {key_env}")
        return 2
    if Path(assignments_path) != Path(ASSIGNMENTS_FILE) and not Path(assignments_path).exists():
        say(f"warning: no file {assignments_path}; quiz sets counted by the questions seen")
    try:
        assignments = list(load_assignments(assignments_path))
    except AssignmentFileError as error:
        say(f"warning: {error}; quiz sets counted by the questions seen, 1 point each")
        assignments = []
    try:
        ledger = Ledger(db_url) if db_url is not None else None
        book = build_gradebook(
            paths, secret.encode("utf-8") if secret else None, ledger, assignments
        )
    except (LedgerError, ValueError) as error:
        say(f"error: {error}")
        return 2
    for note in book.notes:
        say(note)
    if paths and book.files_read == 0 and not book.ledger_rows:
        say("error: none of the files could be read as a receipt")
        return 2
    if not book.students:
        say("error: no valid graded receipt and no ledger attempt; nothing written")
        return 1
    try:
        with open(csv_path, "w", newline="", encoding="utf-8") as stream:
            write_csv(book, stream)
    except OSError as error:
        say(f"error: cannot write {csv_path}: {error.strerror or error}")
        return 2
    sources = []
    if ledger is not None:
        sources.append(plural(book.ledger_rows, "ledger attempt"))
    if paths:
        sources.append(plural(book.receipts_used, "receipt"))
    students = plural(len(book.students), "student")
    say(f"wrote {csv_path}: {students} from {' and '.join(sources)}")
    return 0


def _read(path: Path) -> bytes:
    with path.open("rb") as stream:
        data = stream.read(MAX_RECEIPT_BYTES + 1)
    if len(data) > MAX_RECEIPT_BYTES:
        raise ValueError(f"not a receipt: larger than {MAX_RECEIPT_BYTES // 1_000_000} MB")
    return data
