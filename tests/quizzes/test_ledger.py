"""The attempt ledger on SQLite and on a real PostgreSQL server (``ledger_url`` runs each test on
both): rows round-trip, the attempt slot is unique, sessions read their attempts from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import lab
from quizzes.identity import self_declared_identity
from quizzes.ledger import AttemptTaken, Ledger, LedgerError, LedgerRow, prepare_url
from quizzes.receipts import make_receipt, restore_session
from quizzes.session import QuizSession

NOW = datetime(2026, 3, 2, 10, 30, 15, 250_000, tzinfo=UTC)
KEY = "ledger test variant key"
ADA = self_declared_identity("Ada Lovelace", "s1234567")
WRONG = ("123456", "234567", "345678")  # far from every answer, and from each other


def _row(**changes) -> LedgerRow:
    values = {
        "student": ADA.key,
        "quiz": "formulas",
        "question": "he_variance",
        "variant": 0,
        "attempt": 1,
        "answer": "2/512",
        "status": "correct",
        "credit_fraction": 1.0,
        "credit": 1.0,
        "submitted_at": NOW,
        "nonce": "a" * 32,
        "student_name": ADA.name,
        "sis_login_id": ADA.student_id,
    }
    values.update(changes)
    return LedgerRow(**values)


@pytest.fixture
def ledger(ledger_url: str) -> Ledger:
    book = Ledger(ledger_url)
    book.create_schema()
    book.create_schema()  # idempotent
    return book


def test_rows_round_trip(ledger: Ledger) -> None:
    berlin = timezone(timedelta(hours=1))
    first = ledger.record(_row(answer="0.5", status="incorrect", credit=0.0, credit_fraction=0.0))
    second = ledger.record(
        _row(
            attempt=2,
            credit=0.75,
            submitted_at=datetime(2026, 3, 2, 11, 30, 16, tzinfo=berlin),
            late=True,
            mistake=None,
        )
    )
    choice = ledger.record(
        _row(question="rand_vs_randn", answer=["positive_mean", "matched_variance"])
    )
    assert first.id is not None and first.id < second.id < choice.id
    rows = ledger.rows()
    assert rows == [first, second, choice]
    assert rows[0].submitted_at == NOW.replace(microsecond=0)  # UTC, to the second
    assert rows[1].submitted_at == datetime(2026, 3, 2, 10, 30, 16, tzinfo=UTC)
    assert rows[1].late is True and rows[0].late is False
    assert rows[2].answer == ("positive_mean", "matched_variance")
    assert rows[2].answer_text() == "positive_mean, matched_variance"


def test_an_attempt_slot_is_taken_once(ledger: Ledger) -> None:
    ledger.record(_row())
    with pytest.raises(AttemptTaken, match="attempt 1 of question 'he_variance'"):
        ledger.record(_row(nonce="b" * 32, answer="something else"))
    # The same slot of another student, quiz, assignment or variant is free.
    ledger.record(_row(student="id:s7654321"))
    ledger.record(_row(quiz="review"))
    ledger.record(_row(assignment="lab1"))
    ledger.record(_row(variant=1))
    assert len(ledger.rows()) == 5


def test_queries_select_by_student_quiz_question_and_assignment(ledger: Ledger) -> None:
    ledger.record(_row(attempt=2, status="incorrect", credit=0.0, credit_fraction=0.0))
    ledger.record(_row(attempt=1, status="incorrect", credit=0.0, credit_fraction=0.0))
    ledger.record(_row(question="he_std"))
    ledger.record(_row(assignment="lab1"))
    ledger.record(_row(student="id:other"))
    attempts = ledger.attempts(ADA.key, "formulas", "he_variance")
    assert [row.attempt for row in attempts] == [1, 2]  # attempt order, not insertion order
    assert len(ledger.attempts(ADA.key, "formulas", "he_variance", assignment="lab1")) == 1
    history = ledger.history(ADA.key, "formulas")
    assert {q: len(rows) for q, rows in history.items()} == {"he_std": 1, "he_variance": 2}
    assert len(ledger.rows(assignment="lab1")) == 1
    assert len(ledger.rows(assignment="")) == 4
    assert len(ledger.rows(student="id:other")) == 1
    assert ledger.rows(quiz="signal") == []


def test_session_reads_and_appends_attempts(ledger: Ledger) -> None:
    session = QuizSession(ADA, "formulas", variant_key=KEY, ledger=ledger, nonce="n1")
    session.submit("he_variance", WRONG[0], now=NOW)
    session.submit("he_std", WRONG[0], now=NOW)
    rows = ledger.rows()
    assert [(r.question, r.attempt, r.answer, r.nonce) for r in rows] == [
        ("he_variance", 1, WRONG[0], "n1"),
        ("he_std", 1, WRONG[0], "n1"),
    ]
    assert rows[0].student == ADA.key and rows[0].sis_login_id == "s1234567"
    # A reload: a new session object of the same student, with another nonce.
    again = QuizSession(ADA, "formulas", variant_key=KEY, ledger=ledger, nonce="n2")
    assert again.attempts_left("he_variance") == 2
    assert again.state("he_variance").attempts[0].nonce == "n1"
    # Practice is never recorded.
    practice = QuizSession(ADA, "formulas", "practice", variant_key=KEY, ledger=ledger)
    practice.submit("he_variance", WRONG[1], now=NOW)
    assert practice.attempts_left("he_variance") == 2 and len(ledger.rows()) == 2


def test_two_servers_count_the_same_attempts(ledger_url: str) -> None:
    # Two Ledger objects, each with its own engine and connection pool, as on two servers.
    server_a, server_b = Ledger(ledger_url), Ledger(ledger_url)
    server_a.create_schema()
    on_a = QuizSession(ADA, "formulas", variant_key=KEY, ledger=server_a)
    on_b = QuizSession(ADA, "formulas", variant_key=KEY, ledger=server_b)
    assert on_a.current_params("he_std") == on_b.current_params("he_std")
    on_a.submit("he_std", WRONG[0], now=NOW)
    on_b.submit("he_std", WRONG[1], now=NOW)  # reads A's attempt first: this is attempt 2
    on_a.submit("he_std", WRONG[2], now=NOW)
    right = on_b.question("he_std").correct_text(on_b.current_params("he_std"))
    fourth = on_b.submit("he_std", right, now=NOW)
    assert fourth.status == "invalid" and "No attempts left" in fourth.message
    assert [row.attempt for row in server_b.rows()] == [1, 2, 3]
    on_b.sync()
    assert on_b.progress().attempts_used == 3 and on_b.score() == 0.0


class _StaleLedger(Ledger):
    """A ledger whose first read misses the newest attempt, as when another server records an
    attempt between this server's read and its write."""

    stale = True

    def attempts(self, *args, **kwargs):
        rows = super().attempts(*args, **kwargs)
        if self.stale:
            self.stale = False
            return rows[:-1]
        return rows


def test_a_race_for_the_same_attempt_grades_the_answer_as_the_next(ledger_url: str) -> None:
    honest = Ledger(ledger_url)
    honest.create_schema()
    QuizSession(ADA, "formulas", variant_key=KEY, ledger=honest).submit("he_variance", WRONG[0])
    stale = _StaleLedger(ledger_url)
    session = QuizSession(ADA, "formulas", variant_key=KEY, ledger=stale)
    session.state("he_variance").attempts.clear()
    right = session.question("he_variance").correct_text(session.current_params("he_variance"))
    result = session.submit("he_variance", right, now=NOW)
    # Attempt 1 was taken on the other server: this answer is attempt 2 at 75 %.
    assert result.status == "correct" and result.attempt == 2 and result.credit == 0.75
    assert [row.attempt for row in honest.rows()] == [1, 2]


def test_an_old_receipt_does_not_give_back_attempts(ledger: Ledger) -> None:
    session = QuizSession(ADA, "formulas", variant_key=KEY, ledger=ledger)
    old = make_receipt(session, "receipt key", lab.__version__)  # no attempt yet
    for wrong in WRONG:
        session.submit("he_std", wrong, now=NOW)
    restored = restore_session(old, "receipt key", variant_key=KEY, ledger=ledger)
    assert restored.attempts_left("he_std") == 0
    assert restored.progress().attempts_used == 3
    without_ledger = restore_session(old, "receipt key", variant_key=KEY)
    assert without_ledger.attempts_left("he_std") == 3  # what the receipt alone says


def test_late_submissions_are_flagged(ledger: Ledger) -> None:
    due = datetime(2026, 3, 1, 17, 0, tzinfo=timezone(timedelta(hours=1)))  # 16:00 UTC
    session = QuizSession(ADA, "formulas", variant_key=KEY, ledger=ledger, due=due)
    session.submit("he_variance", WRONG[0], now=datetime(2026, 3, 1, 15, 59, tzinfo=UTC))
    session.submit("he_variance", WRONG[1], now=datetime(2026, 3, 1, 16, 1, tzinfo=UTC))
    assert [row.late for row in ledger.rows()] == [False, True]
    assert session.state("he_variance").attempts[1].late


def test_database_errors_are_one_line_without_the_password(tmp_path: Path) -> None:
    unreachable = Ledger("postgresql+psycopg://teacher:hunter2@127.0.0.1:1/lab")
    with pytest.raises(LedgerError) as error:
        unreachable.rows()
    message = str(error.value)
    assert "\n" not in message and "hunter2" not in message and "127.0.0.1:1" in message
    missing_table = Ledger(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(LedgerError, match="cannot read the attempts"):
        missing_table.rows()


def test_urls(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'ledger.sqlite3'}"
    assert prepare_url(url) == url and (tmp_path / "new" / "folder").is_dir()
    with pytest.raises(ValueError, match="database url must look like"):
        prepare_url("not a url")
    with pytest.raises(ValueError, match="engine must be"):
        Ledger(42)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"student": ""}, "student must be text"),
        ({"attempt": 0}, "attempt must be an integer"),
        ({"status": "invalid"}, "status must be one of"),
        ({"credit": 1.5}, "credit must be"),
        ({"answer": 3}, "answer must be text"),
        ({"answer": "x" * 3000}, "answer must be at most"),
        ({"submitted_at": "2026-01-01"}, "submitted_at must be a datetime"),
        ({"late": "yes"}, "late must be"),
    ],
)
def test_rows_are_checked(change: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _row(**change)


def test_opened_steps_are_kept_per_student_and_assignment(ledger: Ledger) -> None:
    assert ledger.steps_opened(ADA.key, "week1") == set()
    assert ledger.record_step(ADA.key, "week1", 2, NOW) is True
    assert ledger.record_step(ADA.key, "week1", 2, NOW + timedelta(hours=1)) is False  # kept once
    assert ledger.record_step(ADA.key, "week1", 1) is True
    other = self_declared_identity("Grace Hopper", "s7654321")
    assert ledger.record_step(other.key, "week1", 3) is True
    assert ledger.record_step(ADA.key, "week2", 3) is True
    assert ledger.steps_opened(ADA.key, "week1") == {1, 2}
    assert ledger.steps_opened(other.key, "week1") == {3}
    assert ledger.steps_opened(ADA.key, "week2") == {3}
    # A second server on the same database reads the same steps.
    assert Ledger(ledger.engine.url.render_as_string(hide_password=False)).steps_opened(
        ADA.key, "week1"
    ) == {1, 2}
    with pytest.raises(ValueError, match="step must be"):
        ledger.record_step(ADA.key, "week1", 0)
    with pytest.raises(ValueError, match="assignment must be text"):
        ledger.record_step(ADA.key, "", 1)


def test_a_ledger_made_before_the_steps_table_gains_it(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from quizzes.ledger import STEPS_TABLE_NAME, TABLE_NAME, attempts_table

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Ledger(url)
    attempts_table.create(old.engine)  # the schema as it was: attempts only
    assert inspect(old.engine).get_table_names() == [TABLE_NAME]
    old.create_schema()
    assert sorted(inspect(old.engine).get_table_names()) == sorted([STEPS_TABLE_NAME, TABLE_NAME])
    assert old.record_step(ADA.key, "week1", 1) and old.steps_opened(ADA.key, "week1") == {1}
