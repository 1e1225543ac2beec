"""The gradebook command: fixture receipts in tmp_path -> CSV content, stderr lines, exit codes."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quizzes.__main__ import main
from quizzes.bank import get_quiz
from quizzes.gradebook import format_points
from quizzes.receipts import make_receipt, receipt_to_json
from quizzes.session import QuizSession

ROOT = Path(__file__).resolve().parents[2]
KEY = "gradebook test key"
ENV_VAR = "LAB_RECEIPT_KEY"
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
WRONG = "123456"
FORMULA_IDS = get_quiz("formulas").question_ids
TOTAL = "Initialization formulas (formulas)"


def _answer(session: QuizSession, question_id: str, correct_on: int | None) -> None:
    """Answer wrong until attempt ``correct_on`` (1-based), then right; None: wrong 3 times."""
    question = session.question(question_id)
    right = question.correct_text(session.current_params(question_id))
    for attempt in range(1, 4):
        correct = attempt == correct_on
        session.submit(question_id, right if correct else WRONG, now=NOW)
        if correct:
            return


def _write(path: Path, session: QuizSession, key: str | None = KEY) -> Path:
    path.write_text(receipt_to_json(make_receipt(session, key, "0.1.0", now=NOW)))
    return path


@pytest.fixture
def receipts(tmp_path: Path) -> dict[str, Path]:
    alice1 = QuizSession("Alice Martin", "formulas", student_id="amartin")
    _answer(alice1, "he_variance", 1)  # 1.0
    _answer(alice1, "xavier_variance", 2)  # 0.75
    alice2 = QuizSession("  alice MARTIN", "formulas", student_id="amartin")
    _answer(alice2, "he_variance", None)  # 0: the first receipt's 1.0 is kept
    _answer(alice2, "xavier_variance", 1)  # 1.0 beats 0.75
    _answer(alice2, "conv_fan_in", 3)  # 0.5
    bob = QuizSession("Bob, Jr.", "formulas")
    _answer(bob, "conv_fan_in", 3)  # 0.5
    carol = QuizSession("Carol", "formulas")
    _answer(carol, "he_variance", 1)
    dave = QuizSession("Dave", "formulas")
    _answer(dave, "he_variance", None)
    practice = QuizSession("Erin", "formulas", mode="practice")
    _answer(practice, "he_variance", 1)

    files = {
        "alice1": _write(tmp_path / "alice1.json", alice1),
        "alice2": _write(tmp_path / "alice2.json", alice2),
        "bob": _write(tmp_path / "bob.json", bob),
        "carol": _write(tmp_path / "carol.json", carol, key=None),
        "dave": _write(tmp_path / "dave.json", dave),
        "erin": _write(tmp_path / "erin.json", practice),
        "bad": tmp_path / "bad.json",
        "other": tmp_path / "other.json",
        "missing": tmp_path / "missing.json",
    }
    text = files["dave"].read_text().replace('"score": 0.0', '"score": 1.0', 1)
    files["dave"].write_text(text)  # Dave raises his own score: the signature breaks
    files["bad"].write_text("{ this is not json")
    files["other"].write_text('{"some": "other json"}')
    return files


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
    rows = _read_csv(out)
    assert [row["Student"] for row in rows] == ["Alice Martin", "Bob, Jr."]
    alice, bob = rows
    assert alice["SIS Login ID"] == "amartin" and bob["SIS Login ID"] == ""
    assert alice["formulas: He variance of a dense layer (he_variance)"] == "1"
    assert alice["formulas: Xavier variance (xavier_variance)"] == "1"
    assert alice["formulas: fan_in of a convolution (conv_fan_in)"] == "0.5"
    assert alice["formulas: He standard deviation (he_std)"] == "0"
    assert alice[TOTAL] == "2.5" and alice[f"{TOTAL} max"] == str(len(FORMULA_IDS))
    assert bob[TOTAL] == "0.5"
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("Student,SIS Login ID,formulas: ")
    assert header.endswith(f"{TOTAL},{TOTAL} max")
    assert len(header.split(",")) >= 2 + len(FORMULA_IDS) + 2

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
    assert any("several receipts of Alice Martin" in line and "best" in line for line in lines)
    assert lines[-1].startswith(f"wrote {out}: 2 students from 3 receipts")
    assert all(name not in out.read_text() for name in ("Carol", "Dave", "Erin"))


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
        ("grade", str(receipts["bob"]), "--csv", "x.csv", "--key", "k", "--key-env", "V"),
        ("frobnicate",),
    ):
        result = _cli(*args)
        assert result.returncode == 2, args
        assert "usage:" in result.stderr and "Traceback" not in result.stderr
    no_key = _cli("grade", str(receipts["bob"]), "--csv", str(tmp_path / "k.csv"), key=None)
    assert no_key.returncode == 2 and "no receipt key" in no_key.stderr
    assert "Traceback" not in no_key.stderr
