"""The attempt ledger: every graded submission, appended to one SQL table.

The ledger is the record of what each student submitted; quiz pages read a student's attempts
from it, so neither a reload, nor a new browser, nor an old receipt gives fresh attempts, and
several app servers that share one database count the same attempts. It speaks SQLAlchemy Core
(2.x), so it runs on the default SQLite file and on PostgreSQL alike (``Ledger(engine)`` or
``Ledger("postgresql+psycopg://...")``); it never imports Streamlit (the app hands it the engine
of ``st.connection("sql")``).

One row per counted attempt (table ``quiz_attempts``):

==================  ===================================================================
``id``              row number, increasing in insertion order
``student``         the identity key (``quizzes.identity.Identity.key``)
``student_name``    the name shown at the time of the attempt
``sis_login_id``    the student ID or account e-mail (the gradebook's ``SIS Login ID``)
``assignment``      the assignment id, or ``""`` for a quiz taken on its own
``quiz``            the quiz id
``question``        the question id
``variant``         the variant number (0 in graded mode)
``attempt``         1, 2, 3... on that variant
``answer``          the answer as typed (JSON: a string, or a list of option ids)
``status``          ``correct`` or ``incorrect``
``mistake``         the known mistake the answer matched, or NULL
``credit_fraction`` the answer's share of the question (partial credit), 0 to 1
``credit``          points earned: schedule[attempt] * credit_fraction, 0 to 1
``submitted_at``    UTC time, to the second
``nonce``           the app session that submitted (random, one per browser session)
``late``            true when submitted after the due date
==================  ===================================================================

(student, assignment, quiz, question, variant, attempt) is unique: two servers that grade the
same attempt number at the same moment cannot both record it (:class:`AttemptTaken`), so the
database, not each server, enforces the attempt limit. Rows are only ever inserted.

A second table, ``assignment_steps``, holds the assignment steps each student has opened
(``student``, ``assignment``, ``step``, ``opened_at``; one row per step, the first opening), so
that an assignment's checklist survives a reload and a new browser as its quiz progress does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from lab.validation import check_choice, check_float, check_int

#: Where the app keeps its SQLite ledger when the deployment sets no database URL.
DEFAULT_DATA_DIR = "lab-data"
DEFAULT_FILE = "ledger.sqlite3"
TABLE_NAME = "quiz_attempts"
STATUSES = ("correct", "incorrect")
MAX_ANSWER_LENGTH = 2000
_KEY_LENGTH = 100
_ID_LENGTH = 64

metadata = MetaData()
attempts_table = Table(
    TABLE_NAME,
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student", String(_KEY_LENGTH), nullable=False),
    Column("student_name", String(_KEY_LENGTH), nullable=False),
    Column("sis_login_id", String(_KEY_LENGTH), nullable=False),
    Column("assignment", String(_ID_LENGTH), nullable=False),
    Column("quiz", String(_ID_LENGTH), nullable=False),
    Column("question", String(_ID_LENGTH), nullable=False),
    Column("variant", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("answer", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("mistake", String(_ID_LENGTH), nullable=True),
    Column("credit_fraction", Float, nullable=False),
    Column("credit", Float, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("nonce", String(_ID_LENGTH), nullable=False),
    Column("late", Boolean, nullable=False),
    UniqueConstraint(
        "student", "assignment", "quiz", "question", "variant", "attempt", name="uq_attempt_slot"
    ),
    Index("ix_quiz_attempts_assignment", "assignment", "quiz"),
)


STEPS_TABLE_NAME = "assignment_steps"
#: Highest step number a row may hold (an assignment has far fewer steps).
MAX_STEP = 999
steps_table = Table(
    STEPS_TABLE_NAME,
    metadata,
    Column("student", String(_KEY_LENGTH), nullable=False),
    Column("assignment", String(_ID_LENGTH), nullable=False),
    Column("step", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("student", "assignment", "step", name="uq_step_opened"),
)


class LedgerError(RuntimeError):
    """The database could not be read or written; ``str()`` is one line for people."""


class AttemptTaken(LedgerError):
    """That attempt number of that question is already recorded (another window or server)."""


@dataclass(frozen=True)
class LedgerRow:
    """One graded submission. ``id`` is None until :meth:`Ledger.record` stores it."""

    student: str
    quiz: str
    question: str
    variant: int
    attempt: int
    answer: str | tuple[str, ...]
    status: str
    credit_fraction: float
    credit: float
    submitted_at: datetime
    nonce: str
    late: bool = False
    assignment: str = ""
    student_name: str = ""
    sis_login_id: str = ""
    mistake: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        for name in ("student", "student_name", "sis_login_id"):
            _check_text(name, getattr(self, name), _KEY_LENGTH, allow_empty=name != "student")
        for name in ("quiz", "question", "nonce"):
            _check_text(name, getattr(self, name), _ID_LENGTH, allow_empty=False)
        _check_text("assignment", self.assignment, _ID_LENGTH, allow_empty=True)
        check_int("variant", self.variant, 0)
        check_int("attempt", self.attempt, 1)
        check_choice("status", self.status, STATUSES)
        check_float("credit_fraction", self.credit_fraction, 0.0, 1.0)
        check_float("credit", self.credit, 0.0, 1.0)
        if not isinstance(self.late, bool):
            raise ValueError(f"late must be True or False; got {self.late!r}")
        if self.mistake is not None:
            _check_text("mistake", self.mistake, _ID_LENGTH, allow_empty=False)
        if isinstance(self.answer, list):
            object.__setattr__(self, "answer", tuple(self.answer))
        if not isinstance(self.answer, str) and not (
            isinstance(self.answer, tuple) and all(isinstance(a, str) for a in self.answer)
        ):
            raise ValueError(f"answer must be text or a list of option ids; got {self.answer!r}")
        if len(_encode_answer(self.answer)) > MAX_ANSWER_LENGTH:
            raise ValueError(f"answer must be at most {MAX_ANSWER_LENGTH} characters as JSON")
        object.__setattr__(self, "submitted_at", _utc(self.submitted_at))

    def answer_text(self) -> str:
        """The answer as one line: the text typed, or the option ids joined by ", "."""
        return self.answer if isinstance(self.answer, str) else ", ".join(self.answer)


class Ledger:
    """The attempt ledger on one database.

    ``Ledger(engine)`` takes a SQLAlchemy Engine (e.g. ``st.connection("sql").engine``) or a
    URL such as ``sqlite:///lab-data/ledger.sqlite3`` or
    ``postgresql+psycopg://user:password@host/db``. Call :meth:`create_schema` once (it is
    idempotent). Database failures raise :class:`LedgerError` with a one-line message.
    """

    def __init__(self, engine: Engine | str) -> None:
        if isinstance(engine, str):
            engine = create_ledger_engine(engine)
        if not isinstance(engine, Engine):
            raise ValueError(f"engine must be a SQLAlchemy Engine or a URL; got {engine!r}")
        self.engine = engine

    @property
    def where(self) -> str:
        """The database URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def create_schema(self) -> None:
        """Create the ``quiz_attempts`` and ``assignment_steps`` tables and their indexes if
        they do not exist (a ledger made before the steps table gains it)."""
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except SQLAlchemyError as error:
            raise self._error("cannot create the attempt table in", error) from None

    def record(self, row: LedgerRow) -> LedgerRow:
        """Append ``row``; returns it with its ``id``. :class:`AttemptTaken` when that attempt
        number of that question is already recorded."""
        if not isinstance(row, LedgerRow):
            raise ValueError(f"row must be a LedgerRow; got {type(row).__name__}")
        values = {f.name: getattr(row, f.name) for f in fields(row) if f.name != "id"}
        values["answer"] = _encode_answer(row.answer)
        try:
            with self.engine.begin() as connection:
                result = connection.execute(insert(attempts_table).values(**values))
                new_id = result.inserted_primary_key[0]
        except IntegrityError:
            raise AttemptTaken(
                f"attempt {row.attempt} of question {row.question!r} is already recorded"
            ) from None
        except SQLAlchemyError as error:
            raise self._error("cannot record the attempt in", error) from None
        return replace(row, id=int(new_id))

    def attempts(
        self,
        student: str,
        quiz: str,
        question: str,
        *,
        assignment: str = "",
        variant: int | None = None,
    ) -> list[LedgerRow]:
        """One student's attempts at one question, in order (all variants unless given)."""
        table = attempts_table
        query = select(table).where(
            table.c.student == student,
            table.c.assignment == assignment,
            table.c.quiz == quiz,
            table.c.question == question,
        )
        if variant is not None:
            query = query.where(table.c.variant == variant)
        return self._fetch(query.order_by(table.c.variant, table.c.attempt, table.c.id))

    def history(self, student: str, quiz: str, *, assignment: str = "") -> dict[str, list]:
        """One student's attempts at every question of a quiz: question id -> rows in order."""
        table = attempts_table
        query = (
            select(table)
            .where(
                table.c.student == student,
                table.c.assignment == assignment,
                table.c.quiz == quiz,
            )
            .order_by(table.c.question, table.c.variant, table.c.attempt, table.c.id)
        )
        grouped: dict[str, list[LedgerRow]] = {}
        for row in self._fetch(query):
            grouped.setdefault(row.question, []).append(row)
        return grouped

    def rows(
        self,
        assignment: str | None = None,
        *,
        quiz: str | None = None,
        student: str | None = None,
    ) -> list[LedgerRow]:
        """Every row (optionally of one assignment, quiz or student), in insertion order.

        ``assignment=""`` selects quizzes taken outside any assignment; None selects all.
        """
        table = attempts_table
        query = select(table)
        if assignment is not None:
            query = query.where(table.c.assignment == assignment)
        if quiz is not None:
            query = query.where(table.c.quiz == quiz)
        if student is not None:
            query = query.where(table.c.student == student)
        return self._fetch(query.order_by(table.c.id))

    def _fetch(self, query) -> list[LedgerRow]:
        try:
            with self.engine.connect() as connection:
                mappings = connection.execute(query).mappings().all()
        except SQLAlchemyError as error:
            raise self._error("cannot read the attempts from", error) from None
        return [_row(mapping) for mapping in mappings]

    def record_step(
        self, student: str, assignment: str, step: int, when: datetime | None = None
    ) -> bool:
        """Record that ``student`` opened ``step`` of ``assignment``; False when that step was
        already recorded (the first opening is kept)."""
        _check_text("student", student, _KEY_LENGTH, allow_empty=False)
        _check_text("assignment", assignment, _ID_LENGTH, allow_empty=False)
        step = check_int("step", step, 1, MAX_STEP)
        values = {
            "student": student,
            "assignment": assignment,
            "step": step,
            "opened_at": _utc(when or datetime.now(UTC)),
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(steps_table).values(**values))
        except IntegrityError:
            return False
        except SQLAlchemyError as error:
            raise self._error("cannot record the opened step in", error) from None
        return True

    def steps_opened(self, student: str, assignment: str) -> set[int]:
        """The step numbers of ``assignment`` that ``student`` has opened."""
        table = steps_table
        query = select(table.c.step).where(
            table.c.student == student, table.c.assignment == assignment
        )
        try:
            with self.engine.connect() as connection:
                return {int(step) for step in connection.execute(query).scalars()}
        except SQLAlchemyError as error:
            raise self._error("cannot read the opened steps from", error) from None

    def _error(self, doing: str, error: SQLAlchemyError) -> LedgerError:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        first = reason[0] if reason else type(error).__name__
        return LedgerError(f"The attempt ledger {doing} {self.where}: {first[:200]}")


def default_url(data_dir: str | Path = DEFAULT_DATA_DIR) -> str:
    """``sqlite:///<data_dir>/ledger.sqlite3``: the ledger of a deployment without a database."""
    return f"sqlite:///{Path(data_dir) / DEFAULT_FILE}"


def prepare_url(url: str) -> str:
    """Check ``url`` and, for an SQLite file, create its folder; returns the URL.

    ValueError with a one-line message for a URL SQLAlchemy cannot read.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ValueError(
            "the database url must look like sqlite:///path/to/file.sqlite3 or "
            "postgresql+psycopg://user:password@host:5432/database; got an unreadable url"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


def create_ledger_engine(url: str) -> Engine:
    """A SQLAlchemy Engine for ``url`` (an SQLite file's folder is created first)."""
    return create_engine(prepare_url(url))


# --- helpers --------------------------------------------------------------------------------


def _check_text(name: str, value: object, max_length: int, *, allow_empty: bool) -> None:
    low = 0 if allow_empty else 1
    if not isinstance(value, str) or not low <= len(value) <= max_length:
        raise ValueError(f"{name} must be text of {low}-{max_length} characters; got {value!r}")


def _encode_answer(answer: str | Sequence[str]) -> str:
    value = answer if isinstance(answer, str) else list(answer)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _decode_answer(text: str) -> str | tuple[str, ...]:
    value = json.loads(text)
    return value if isinstance(value, str) else tuple(value)


def _utc(moment: object) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"submitted_at must be a datetime; got {moment!r}")
    if moment.tzinfo is None:  # SQLite keeps no offset: the ledger stores UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _row(mapping) -> LedgerRow:
    values = dict(mapping)
    values["answer"] = _decode_answer(values["answer"])
    values["late"] = bool(values["late"])
    return LedgerRow(**values)


def rows_by_question(rows: Iterable[LedgerRow]) -> dict[tuple[str, str, str, str], list]:
    """Rows grouped by (student, assignment, quiz, question), each group in attempt order."""
    grouped: dict[tuple[str, str, str, str], list[LedgerRow]] = {}
    for row in sorted(rows, key=lambda r: (r.variant, r.attempt, r.id or 0)):
        grouped.setdefault((row.student, row.assignment, row.quiz, row.question), []).append(row)
    return grouped
