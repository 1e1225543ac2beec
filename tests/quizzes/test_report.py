"""``python -m quizzes report --db URL`` and ``python -m quizzes assignments`` on a real SQLite
ledger: the instructor page's tables, points from assignments.toml, late flags, safe text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quizzes.__main__ import main
from quizzes.ledger import Ledger, LedgerRow

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "assignments.toml"
# lab2 is due 2026-12-17 09:00 in New York (EST, UTC-5), i.e. 14:00 UTC.
ON_TIME = datetime(2026, 12, 17, 13, 59, tzinfo=UTC)
LATE = datetime(2026, 12, 17, 14, 1, tzinfo=UTC)


def attempt(student, name, question, attempt_no, status, when, mistake=None, **extra):
    values = {
        "student": student,
        "student_name": name,
        "sis_login_id": student.removeprefix("id:"),
        "assignment": "lab2",
        "quiz": "formats",
        "question": question,
        "variant": 0,
        "attempt": attempt_no,
        "answer": "1",
        "status": status,
        "credit_fraction": 1.0 if status == "correct" else 0.0,
        "credit": {1: 1.0, 2: 0.75, 3: 0.5}[attempt_no] if status == "correct" else 0.0,
        "submitted_at": when,
        "nonce": "a" * 32,
        "mistake": mistake,
    }
    return LedgerRow(**(values | extra))


@pytest.fixture
def ledger_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = Ledger(url)
    ledger.create_schema()
    for row in (
        # Ada: relu_phase (2 points) right at once, fp16_max right at the second try: 2 + 0.75.
        attempt("id:ada", "Ada", "relu_phase", 1, "correct", ON_TIME),
        attempt("id:ada", "Ada", "fp16_max", 1, "incorrect", ON_TIME, mistake="sign"),
        attempt("id:ada", "Ada", "fp16_max", 2, "correct", ON_TIME),
        # Bob answers after the due date, with a terminal escape in his name.
        attempt("id:bob", "Bob\x1b[31m", "fp16_max", 1, "correct", LATE, late=True),
        # Cy: one attempt on time, the second after the due date.
        attempt("id:cy", "Cy", "fp16_max", 1, "incorrect", ON_TIME),
        attempt("id:cy", "Cy", "fp16_max", 2, "correct", LATE, late=True),
    ):
        ledger.record(row)
    return url


def test_report_prints_totals_with_points_and_late_flags(ledger_url, capsys):
    assert main(["report", "--db", ledger_url, "--assignments", str(EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "== Gradebook: Lab 2: rand vs randn, and what FP16 can hold (lab2)" in out
    lines = out.splitlines()
    ada = next(line for line in lines if line.startswith("Ada "))
    assert ada.split()[:4] == ["Ada", "ada", "2.75", "7"]
    bob = next(line for line in lines if line.startswith("Bob "))
    assert bob.endswith("late: 1 of 1 attempt")
    cy = next(line for line in lines if line.startswith("Cy "))
    assert cy.endswith("late: 1 of 2 attempts")
    assert "\x1b" not in out
    assert "== Gradebook per question ==" in out
    assert "== Item analysis ==" in out
    assert "== Most frequent wrong answers ==" in out
    assert "sign" in out


def test_report_without_attempts_or_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    Ledger(url).create_schema()
    assert main(["report", "--db", url, "--assignments", str(EXAMPLES)]) == 1
    assert "No graded attempt" in capsys.readouterr().err
    assert main(["report", "--db", "nonsense://", "--assignments", str(EXAMPLES)]) == 2


def test_report_keeps_going_without_the_assignment_totals_when_the_file_is_broken(
    ledger_url, tmp_path, capsys
):
    broken = tmp_path / "assignments.toml"
    broken.write_text("[[assignment]]\nid = \n")
    assert main(["report", "--db", ledger_url, "--assignments", str(broken)]) == 0
    captured = capsys.readouterr()
    assert "assignments.toml, line 2: this is not valid TOML" in captured.err
    assert "== Gradebook: " not in captured.out
    assert "== Item analysis ==" in captured.out


def test_the_assignments_command_checks_a_file(tmp_path, capsys):
    assert main(["assignments", str(EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "lab1: Lab 1: Xavier vs He on ReLU at 20 layers" in out
    assert "step 2: ./signal-propagation?init=he_normal" in out
    assert "quiz formulas: 8 questions, 8 points, 2 attempts (1, 0.5)" in out
    broken = tmp_path / "assignments.toml"
    broken.write_text(
        EXAMPLES.read_text().replace('page = "quantization"', 'page = "quantisation"')
    )
    assert main(["assignments", str(broken)]) == 1
    err = capsys.readouterr().err.strip()
    line = broken.read_text().splitlines().index('page = "quantisation"') + 1
    assert err.startswith(f"assignments.toml, line {line}: assignment lab2, step 3: page must be")
    assert len(err.splitlines()) == 1


def test_the_assignments_command_says_1_question_1_point_1_attempt(tmp_path, capsys):
    single = tmp_path / "assignments.toml"
    single.write_text(
        EXAMPLES.read_text()
        .replace('questions = ["formulas:1-8"]', 'questions = ["formulas:1"]')
        .replace("schedule = [1.0, 0.5]", "schedule = [1.0]")
    )
    assert main(["assignments", str(single)]) == 0
    out = capsys.readouterr().out
    assert "quiz formulas: 1 question, 1 point, 1 attempt (1)" in out
    assert "quiz formats: 6 questions, 7 points, 3 attempts (1, 0.75, 0.5)" in out
