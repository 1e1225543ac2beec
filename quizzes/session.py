"""A student's quiz session: variants, attempts, credit and JSON round trips.

Each (student, assignment, quiz, question, variant, mode) gets its own random params from a
seed that is an HMAC-SHA256 (RFC 2104) keyed by the deployment's secret ``variant_key``: stable
across processes and machines, so a student who reloads sees the same numbers and two students
see different ones, and nobody without the key can compute anyone's numbers from the public
code. The mode is part of the seed, so practice never shows a graded variant. Without a key the
seed uses a public key (:data:`PUBLIC_VARIANT_KEY`): variants are then predictable, which the
app says (self-assessment mode). The params drawn from a seed are kept per (template, seed) in a
bounded cache of the process (:func:`variant_params`), so a reload or a new browser session of
the same student (every anonymous practice session is one) does not draw them again.

Credit follows a declining schedule (PrairieLearn-style): attempt k earns
``schedule[k] * credit_fraction`` and the best attempt counts. In graded mode the variant is
fixed and attempts end with the schedule; in practice mode :meth:`QuizSession.new_variant` draws
fresh params and restarts the schedule.

With a :class:`~quizzes.ledger.Ledger`, a graded session reads its attempts from the ledger
(:meth:`QuizSession.sync`) and appends every counted submission to it before accepting it, so a
reload, another browser, another server or an old receipt cannot give fresh attempts.
Answers are revealed by :meth:`QuizSession.may_reveal`: in practice once a variant is closed; in
graded mode never before the due date, and only for closed questions (solved, or attempts used)
after it or when the deployment allows it (``reveal_closed``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from lab.validation import check_choice, check_float, check_int
from quizzes.bank import QUIZZES, TEMPLATES
from quizzes.grading import Answer, Grade, grade, mark_repeat
from quizzes.identity import Identity, normalize_text
from quizzes.ledger import AttemptTaken, Ledger, LedgerRow
from quizzes.questions import Params, Question, check_slug

Mode = Literal["graded", "practice"]
MODES: tuple[str, ...] = ("graded", "practice")
DEFAULT_SCHEDULE: tuple[float, ...] = (1.0, 0.75, 0.5)
SESSION_FORMAT = "weight-init-lab/quiz-session"
SESSION_VERSION = 2
SEED_NAMESPACE = "weight-init-lab/variant/v2"
#: The HMAC key of variant seeds when the deployment sets no ``variant_key``: public, so
#: anyone with the code can compute every student's numbers (self-assessment mode).
PUBLIC_VARIANT_KEY = b"weight-init-lab/public-variant-key"
MAX_NAME_LENGTH = 100
#: Redraws a practice variant may take to differ from the student's graded variants.
MAX_PRACTICE_REDRAWS = 20
MAX_VARIANT = 1_000_000
#: Longest session nonce (the app draws 16 random bytes, 32 hex digits).
MAX_NONCE_LENGTH = 64


def normalize_student(name: str) -> str:
    """The key a typed name is matched by: NFKC, control and format characters removed,
    whitespace collapsed, casefolded (``quizzes.identity.normalize_text``)."""
    try:
        return normalize_text(name, "student", MAX_NAME_LENGTH).casefold()
    except ValueError:
        raise ValueError(
            f"student must be a name of 1-{MAX_NAME_LENGTH} characters; got {name!r}"
        ) from None


def variant_seed(
    student_key: str,
    quiz_id: str,
    question_id: str,
    variant: int,
    *,
    mode: Mode = "graded",
    assignment: str = "",
    key: bytes | str | None = None,
    draw: int = 0,
) -> int:
    """A 64-bit seed: HMAC-SHA256 keyed by ``key`` (the deployment's ``variant_key``;
    :data:`PUBLIC_VARIANT_KEY` when None) over (student key, assignment, quiz, question,
    variant, mode, draw), first 8 bytes big-endian. ``student_key`` is used as given (an
    ``Identity.key``, or a :func:`normalize_student` name); ``draw`` numbers the redraws of a
    practice variant that equalled a graded one."""
    check_int("variant", variant, 0, MAX_VARIANT)
    check_int("draw", draw, 0, MAX_PRACTICE_REDRAWS)
    check_choice("mode", mode, MODES)
    if not isinstance(student_key, str) or not student_key:
        raise ValueError(f"student_key must be non-empty text; got {student_key!r}")
    payload = json.dumps(
        [SEED_NAMESPACE, student_key, assignment, quiz_id, question_id, variant, mode, draw],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    digest = hmac.new(_variant_key(key), payload.encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def variant_params(
    question: Question,
    student_key: str,
    quiz_id: str,
    variant: int,
    *,
    mode: Mode = "graded",
    assignment: str = "",
    key: bytes | str | None = None,
    draw: int = 0,
) -> Params:
    """The params a student sees for one variant of ``question`` (see :func:`variant_seed`),
    a new dict on every call.

    Drawing them takes about a millisecond (a numeric question redraws until its mistakes can be
    told apart), and a practice session draws every question's params and those of the graded
    quizzes it must avoid. The params are a pure function of the template and the seed, so they
    are drawn once per (template, seed) in the process (:func:`_drawn`); the seed already covers
    everything that decides them (student, assignment, quiz, question, variant, mode, redraw and
    the deployment's key), so one student's numbers are never served for another's seed.
    """
    seed = variant_seed(
        student_key,
        quiz_id,
        question.id,
        variant,
        mode=mode,
        assignment=assignment,
        key=key,
        draw=draw,
    )
    return json.loads(_drawn(question, seed))


#: (template, seed) pairs whose params ``variant_params`` keeps, least recently used dropped
#: first: about 200 bytes each, so a class's sessions fit.
CACHED_VARIANTS = 4096
_DRAWN: OrderedDict[tuple[int, int], tuple[Question, str]] = OrderedDict()
_DRAWN_LOCK = threading.Lock()


def _drawn(question: Question, seed: int) -> str:
    """The JSON text of ``question.variant_params`` for ``seed`` (immutable, so a caller never
    shares a dict with another), drawn once while cached. The entry holds the template itself,
    so the template's ``id()`` in the key cannot be reused by another object while it lasts."""
    key = (id(question), seed)
    with _DRAWN_LOCK:
        entry = _DRAWN.get(key)
        if entry is not None and entry[0] is question:
            _DRAWN.move_to_end(key)
            return entry[1]
    text = json.dumps(question.variant_params(np.random.default_rng(seed)))
    with _DRAWN_LOCK:
        _DRAWN[key] = (question, text)
        _DRAWN.move_to_end(key)
        while len(_DRAWN) > CACHED_VARIANTS:
            _DRAWN.popitem(last=False)
    return text


def new_nonce() -> str:
    """A fresh session nonce: 16 random bytes (``secrets``) as 32 hex digits."""
    return secrets.token_hex(16)


def check_schedule(schedule: object) -> tuple[float, ...]:
    """A credit schedule: 1-10 fractions in [0, 1], e.g. (1.0, 0.75, 0.5) for attempts 1-3."""
    if isinstance(schedule, str | bytes) or not isinstance(schedule, Collection):
        raise ValueError(f"schedule must be a sequence of fractions in [0, 1]; got {schedule!r}")
    check_int("number of schedule entries", len(schedule), 1, 10)
    return tuple(check_float("schedule entry", x, 0.0, 1.0) for x in schedule)


def utc_timestamp(now: datetime | None = None) -> str:
    """ISO-8601 UTC time to the second, e.g. 2025-01-31T09:30:00Z (naive times count as UTC)."""
    if now is None:
        now = datetime.now(UTC)
    if not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime or None; got {now!r}")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Attempt:
    """One counted submission: the answer as typed (option ids for choice questions), the
    nonce of the app session that submitted it, and whether it came after the due date."""

    answer: str | list[str]
    status: str
    credit_fraction: float
    credit: float
    timestamp: str
    variant: int
    mistake: str | None = None
    nonce: str = ""
    late: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attempt:
        """Rebuild an attempt from :func:`dataclasses.asdict` output, checking its fields."""
        if not isinstance(data, Mapping):
            raise ValueError(f"attempt must be a dict; got {type(data).__name__}")
        answer = data.get("answer")
        if not isinstance(answer, str) and not (
            isinstance(answer, list) and all(isinstance(a, str) for a in answer)
        ):
            raise ValueError(f"attempt answer must be text or a list of ids; got {answer!r}")
        check_choice("attempt status", data.get("status"), ("correct", "incorrect"))
        timestamp = data.get("timestamp")
        if not isinstance(timestamp, str):
            raise ValueError(f"attempt timestamp must be text; got {timestamp!r}")
        mistake = data.get("mistake")
        if mistake is not None and not isinstance(mistake, str):
            raise ValueError(f"attempt mistake must be text or null; got {mistake!r}")
        nonce, late = data.get("nonce", ""), data.get("late", False)
        if not isinstance(nonce, str) or len(nonce) > MAX_NONCE_LENGTH:
            raise ValueError(f"attempt nonce must be text of at most 64 characters; got {nonce!r}")
        if not isinstance(late, bool):
            raise ValueError(f"attempt late must be true or false; got {late!r}")
        return cls(
            answer=answer,
            status=data["status"],
            credit_fraction=check_float("credit_fraction", data.get("credit_fraction"), 0, 1),
            credit=check_float("credit", data.get("credit"), 0.0, 1.0),
            timestamp=timestamp,
            variant=check_int("attempt variant", data.get("variant"), 0, MAX_VARIANT),
            mistake=mistake,
            nonce=nonce,
            late=late,
        )

    @classmethod
    def from_row(cls, row: LedgerRow) -> Attempt:
        """The attempt a ledger row records."""
        answer = row.answer if isinstance(row.answer, str) else list(row.answer)
        return cls(
            answer=answer,
            status=row.status,
            credit_fraction=row.credit_fraction,
            credit=row.credit,
            timestamp=utc_timestamp(row.submitted_at),
            variant=row.variant,
            mistake=row.mistake,
            nonce=row.nonce,
            late=row.late,
        )


@dataclass
class QuestionState:
    """Where a student stands on one question: current variant, its params, all attempts."""

    question_id: str
    variant: int
    params: Params
    attempts: list[Attempt] = field(default_factory=list)

    def attempts_on_variant(self) -> list[Attempt]:
        """The attempts made on the current variant."""
        return [a for a in self.attempts if a.variant == self.variant]

    @property
    def solved(self) -> bool:
        """True once the current variant was answered correctly."""
        return any(a.status == "correct" for a in self.attempts_on_variant())

    @property
    def best_credit(self) -> float:
        """The best credit over every attempt (the question's score)."""
        return max((a.credit for a in self.attempts), default=0.0)


@dataclass(frozen=True)
class QuestionProgress:
    """One row of :meth:`QuizSession.progress`."""

    question_id: str
    title: str
    variant: int
    attempts_used: int
    attempts_left: int
    solved: bool
    score: float


@dataclass(frozen=True)
class Progress:
    """Summary of a session: counts, score and one row per question."""

    answered: int
    solved: int
    total: int
    attempts_used: int
    score: float
    max_score: float
    finished: bool
    questions: tuple[QuestionProgress, ...]


class QuizSession:
    """A student's attempts at one quiz. Pure Python; ``to_dict``/``from_dict`` for storage.

    ``student`` is an :class:`~quizzes.identity.Identity` (its key, name and ID are used) or
    a name (its key is then :func:`normalize_student` of it, unless ``student_key`` is given).
    ``templates`` maps question ids to templates and ``question_ids`` fixes the quiz's list;
    both default to the registry in :mod:`quizzes.bank`. Every question is worth one point.

    Classroom settings: ``assignment`` (the assignment the quiz is taken under, "" for none),
    ``variant_key`` (the deployment's secret for variant seeds), ``ledger`` (graded attempts
    are read from and appended to it), ``nonce`` (this app session; drawn when None), ``due``
    (submissions after it are marked late, and closed questions reveal their answers) and
    ``reveal_closed`` (the deployment lets closed graded questions reveal their answers).
    """

    def __init__(
        self,
        student: str | Identity,
        quiz_id: str,
        mode: Mode = "graded",
        schedule: Sequence[float] = DEFAULT_SCHEDULE,
        *,
        student_id: str = "",
        student_key: str | None = None,
        assignment: str = "",
        question_ids: Sequence[str] | None = None,
        templates: Mapping[str, Question] | None = None,
        created_at: str | None = None,
        variant_key: bytes | str | None = None,
        ledger: Ledger | None = None,
        nonce: str | None = None,
        due: datetime | None = None,
        reveal_closed: bool = False,
    ) -> None:
        if isinstance(student, Identity):
            student, student_id, student_key = student.name, student.student_id, student.key
        self.student = _check_name(student)
        self.student_key = normalize_student(student) if student_key is None else student_key
        _check_key("student_key", self.student_key, MAX_NAME_LENGTH)
        self.student_id = _check_student_id(student_id)
        self.assignment = "" if assignment == "" else check_slug("assignment", assignment)
        self.quiz_id = check_slug("quiz_id", quiz_id)
        self.mode: Mode = check_choice("mode", mode, MODES)
        self.schedule = check_schedule(schedule)
        self.templates, self.quiz_title, ids = _resolve_quiz(quiz_id, question_ids, templates)
        self.question_ids: tuple[str, ...] = ids
        self.created_at = created_at if created_at is not None else utc_timestamp()
        self.nonce = new_nonce() if nonce is None else nonce
        _check_key("nonce", self.nonce, MAX_NONCE_LENGTH)
        if ledger is not None and not isinstance(ledger, Ledger):
            raise ValueError(f"ledger must be a Ledger or None; got {type(ledger).__name__}")
        self.ledger = ledger
        self.due = _check_due(due)
        if not isinstance(reveal_closed, bool):
            raise ValueError(f"reveal_closed must be True or False; got {reveal_closed!r}")
        self.reveal_closed = reveal_closed
        self._variant_key = _variant_key(variant_key)
        #: Practice questions whose only variants are a graded quiz's (no numbers to vary).
        self._same_as_graded: set[str] = set()
        self._states: dict[str, QuestionState] = {
            qid: QuestionState(qid, 0, self._params(qid, 0)) for qid in ids
        }
        self.sync()

    @property
    def recorded(self) -> bool:
        """True when counted attempts go to a ledger (graded mode with a ledger)."""
        return self.ledger is not None and self.mode == "graded"

    def sync(self) -> None:
        """Read every question's attempts from the ledger (graded mode with a ledger only).

        The ledger is the record: attempts made in another tab, browser or server count, and
        nothing a client holds (an old receipt, a reload) can take them back.
        """
        if not self.recorded:
            return
        assert self.ledger is not None
        history = self.ledger.history(self.student_key, self.quiz_id, assignment=self.assignment)
        for question_id, state in self._states.items():
            rows = [row for row in history.get(question_id, []) if row.variant == state.variant]
            state.attempts = [Attempt.from_row(row) for row in rows]

    def _sync_question(self, question_id: str) -> None:
        if not self.recorded:
            return
        assert self.ledger is not None
        state = self._states[question_id]
        rows = self.ledger.attempts(
            self.student_key,
            self.quiz_id,
            question_id,
            assignment=self.assignment,
            variant=state.variant,
        )
        state.attempts = [Attempt.from_row(row) for row in rows]

    # --- questions and params -------------------------------------------------------------

    def question(self, question_id: str) -> Question:
        """The template of one of this quiz's questions."""
        return self.templates[self._state(question_id).question_id]

    def state(self, question_id: str) -> QuestionState:
        """The live state of one question (read it; change it through submit/new_variant)."""
        return self._state(question_id)

    def current_params(self, question_id: str) -> Params:
        """A copy of the params of the question's current variant."""
        return json.loads(json.dumps(self._state(question_id).params))

    def current_variant(self, question_id: str) -> int:
        """The current variant number (0 for the first)."""
        return self._state(question_id).variant

    def attempts_left(self, question_id: str) -> int:
        """Attempts left on the current variant (0 once it is solved)."""
        state = self._state(question_id)
        if state.solved:
            return 0
        return max(0, len(self.schedule) - len(state.attempts_on_variant()))

    def can_submit(self, question_id: str) -> bool:
        """True if an answer to the current variant would be graded."""
        return self.attempts_left(question_id) > 0

    def new_variant(self, question_id: str) -> Params:
        """Practice mode: draw the next variant's params and restart the schedule."""
        if self.mode != "practice":
            raise ValueError(f"mode must be practice for a new variant; got {self.mode!r}")
        state = self._state(question_id)
        state.variant = check_int("variant", state.variant + 1, 0, MAX_VARIANT)
        state.params = self._params(question_id, state.variant)
        return self.current_params(question_id)

    # --- grading --------------------------------------------------------------------------

    def submit(self, question_id: str, answer: Answer, now: datetime | None = None) -> Grade:
        """Grade ``answer`` for the current variant and record it if it counts.

        The returned Grade carries ``credit`` (schedule[k] * credit_fraction for attempt k),
        ``attempt`` (1-based) and ``attempts_left``. When no attempt is left the Grade is
        ``invalid`` and nothing is recorded; a wrong answer equal in value to one already tried
        on this variant is graded but not recorded (``counts_as_attempt`` False, with a note).

        With a ledger (graded mode) the attempts are first read from the ledger and a counted
        attempt is appended to it before it is accepted; when another window or server records
        the same attempt number first, the answer is graded again as the next attempt.
        ``quizzes.ledger.LedgerError`` when the database cannot be reached (nothing recorded).
        """
        state = self._state(question_id)
        now = datetime.now(UTC) if now is None else now
        for _ in range(len(self.schedule) + 1):
            self._sync_question(question_id)
            left = self.attempts_left(question_id)
            if left == 0:
                return Grade(
                    "invalid",
                    0.0,
                    self._closed_message(state),
                    counts_as_attempt=False,
                    credit=0.0,
                    attempts_left=0,
                )
            question = self.question(question_id)
            result = grade(question, state.params, answer)
            tried = [attempt.answer for attempt in state.attempts_on_variant()]
            result = mark_repeat(question, state.params, answer, result, tried)
            if not result.counts_as_attempt:
                return replace(result, attempts_left=left)
            number = len(state.attempts_on_variant()) + 1
            credit = self.schedule[number - 1] * result.credit_fraction
            attempt = Attempt(
                answer=_answer_record(answer),
                status=result.status,
                credit_fraction=result.credit_fraction,
                credit=credit,
                timestamp=utc_timestamp(now),
                variant=state.variant,
                mistake=result.mistake,
                nonce=self.nonce,
                late=self.is_late(now),
            )
            if self.recorded:
                try:
                    self._record(question_id, number, attempt, now)
                except AttemptTaken:
                    continue  # another window took this attempt number: grade as the next
            state.attempts.append(attempt)
            return replace(
                result, credit=credit, attempt=number, attempts_left=self.attempts_left(question_id)
            )
        return Grade(
            "invalid",
            0.0,
            "This question is being answered in another window; reload the page.",
            counts_as_attempt=False,
        )

    def _record(self, question_id: str, number: int, attempt: Attempt, now: datetime) -> None:
        assert self.ledger is not None
        self.ledger.record(
            LedgerRow(
                student=self.student_key,
                quiz=self.quiz_id,
                question=question_id,
                variant=attempt.variant,
                attempt=number,
                answer=attempt.answer,
                status=attempt.status,
                credit_fraction=attempt.credit_fraction,
                credit=attempt.credit,
                submitted_at=now,
                nonce=self.nonce,
                late=attempt.late,
                assignment=self.assignment,
                student_name=self.student,
                sis_login_id=self.student_id,
                mistake=attempt.mistake,
            )
        )

    def is_late(self, now: datetime | None = None) -> bool:
        """True when ``now`` (default: the current time) is after the due date."""
        if self.due is None:
            return False
        now = datetime.now(UTC) if now is None else now
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return now > self.due

    def may_reveal(self, question_id: str, now: datetime | None = None) -> bool:
        """True when the page may show the question's answer and worked solution.

        Never while the question is open. Once it is closed: for a solved question (the
        student has the answer); in practice mode unless the variant is also a graded one
        (:meth:`same_as_graded`); in graded mode otherwise only after the due date, or when the
        deployment allows it (``reveal_closed``).
        """
        state = self._state(question_id)
        if self.can_submit(question_id):
            return False
        if state.solved:
            return True
        if self.mode == "practice":
            return not self.same_as_graded(question_id)
        return self.reveal_closed or self.is_late(now)

    def question_score(self, question_id: str) -> float:
        """Best credit on one question, in points (0 to 1)."""
        return self._state(question_id).best_credit

    def score(self) -> float:
        """Total points: the best credit of each question, summed."""
        return sum(state.best_credit for state in self._states.values())

    def max_score(self) -> float:
        """One point per question."""
        return float(len(self.question_ids))

    def is_finished(self) -> bool:
        """True when no question can take another attempt (always False in practice mode)."""
        if self.mode == "practice":
            return False
        return all(not self.can_submit(qid) for qid in self.question_ids)

    def progress(self) -> Progress:
        """Counts, score and per-question rows for a progress display."""
        rows = tuple(
            QuestionProgress(
                question_id=qid,
                title=self.templates[qid].title,
                variant=state.variant,
                attempts_used=len(state.attempts_on_variant()),
                attempts_left=self.attempts_left(qid),
                solved=state.solved,
                score=state.best_credit,
            )
            for qid, state in self._states.items()
        )
        return Progress(
            answered=sum(1 for state in self._states.values() if state.attempts),
            solved=sum(1 for row in rows if row.solved),
            total=len(rows),
            attempts_used=sum(len(state.attempts) for state in self._states.values()),
            score=self.score(),
            max_score=self.max_score(),
            finished=self.is_finished(),
            questions=rows,
        )

    # --- storage --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_dict` restores an equal session."""
        return {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "student": self.student,
            "student_id": self.student_id,
            "student_key": self.student_key,
            "assignment": self.assignment,
            "nonce": self.nonce,
            "quiz_id": self.quiz_id,
            "mode": self.mode,
            "schedule": list(self.schedule),
            "created_at": self.created_at,
            "questions": [
                {
                    "id": state.question_id,
                    "variant": state.variant,
                    "params": json.loads(json.dumps(state.params)),
                    "attempts": [asdict(attempt) for attempt in state.attempts],
                }
                for state in self._states.values()
            ],
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        templates: Mapping[str, Question] | None = None,
        *,
        variant_key: bytes | str | None = None,
        ledger: Ledger | None = None,
        nonce: str | None = None,
        due: datetime | None = None,
        reveal_closed: bool = False,
    ) -> QuizSession:
        """Rebuild a session from :meth:`to_dict` output; ValueError on a malformed dict.

        With a ``ledger`` (graded mode) the stored params and attempts are not used: the
        params come from the variant seed and the attempts from the ledger, so stored data
        can never give back attempts the ledger has recorded. ``nonce`` is the restoring app
        session's (default: the stored one).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"session data must be a dict; got {type(data).__name__}")
        questions = data.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, Mapping) for q in questions):
            raise ValueError("session data must have a list of questions")
        created_at = data.get("created_at")
        if not isinstance(created_at, str):
            raise ValueError(f"created_at must be text; got {created_at!r}")
        session = cls(
            data.get("student"),
            data.get("quiz_id"),
            data.get("mode"),
            data.get("schedule"),
            student_id=data.get("student_id", ""),
            student_key=data.get("student_key"),
            assignment=data.get("assignment", ""),
            question_ids=[q.get("id") for q in questions],
            templates=templates,
            created_at=created_at,
            variant_key=variant_key,
            nonce=data.get("nonce") if nonce is None else nonce,
            due=due,
            reveal_closed=reveal_closed,
        )
        if ledger is not None and session.mode == "graded":
            session.ledger = ledger
            session.sync()
            return session
        for item in questions:
            params = item.get("params")
            attempts = item.get("attempts")
            if not isinstance(params, dict) or not isinstance(attempts, list):
                raise ValueError(f"question {item.get('id')!r} needs params and attempts")
            state = session._states[item["id"]]
            state.variant = check_int("variant", item.get("variant"), 0, MAX_VARIANT)
            if session.mode == "practice" and state.variant:
                session._params(item["id"], state.variant)  # refreshes same_as_graded
            state.params = json.loads(json.dumps(params))
            state.attempts = [Attempt.from_dict(a) for a in attempts]
        return session

    # --- helpers --------------------------------------------------------------------------

    def _state(self, question_id: str) -> QuestionState:
        check_choice("question_id", question_id, self.question_ids)
        return self._states[question_id]

    def _params(self, question_id: str, variant: int) -> Params:
        question = self.templates[question_id]
        common = {"assignment": self.assignment, "key": self._variant_key}
        params = variant_params(
            question, self.student_key, self.quiz_id, variant, mode=self.mode, **common
        )
        if self.mode == "graded":
            return params
        # Practice never shows numbers of the student's graded quizzes: redraw while the params
        # equal those of a graded quiz holding the question (a question with fewer distinct
        # variants than that cannot avoid it, e.g. one without numbers).
        avoid = [
            variant_params(question, self.student_key, quiz_id, 0, mode="graded", **common)
            for quiz_id in _quizzes_with(question_id, self.quiz_id)
        ]
        for draw in range(1, MAX_PRACTICE_REDRAWS + 1):
            if params not in avoid:
                break
            params = variant_params(
                question,
                self.student_key,
                self.quiz_id,
                variant,
                mode=self.mode,
                draw=draw,
                **common,
            )
        if params in avoid:
            self._same_as_graded.add(question_id)
        else:
            self._same_as_graded.discard(question_id)
        return params

    def same_as_graded(self, question_id: str) -> bool:
        """Practice: True when this variant is also a graded quiz's (a question whose numbers
        cannot vary enough); its answer is then never revealed (:meth:`may_reveal`)."""
        self._state(question_id)
        return question_id in self._same_as_graded

    def _closed_message(self, state: QuestionState) -> str:
        if state.solved:
            return "Already answered correctly."
        if self.mode == "practice":
            return "No attempts left on this variant: ask for a new variant to keep practicing."
        return "No attempts left on this question."


def _resolve_quiz(
    quiz_id: str,
    question_ids: Sequence[str] | None,
    templates: Mapping[str, Question] | None,
) -> tuple[Mapping[str, Question], str, tuple[str, ...]]:
    templates = TEMPLATES if templates is None else templates
    quiz = QUIZZES.get(quiz_id)
    title = quiz.title if quiz is not None else quiz_id
    if question_ids is None:
        if quiz is None:
            raise ValueError(
                f"quiz_id must be one of {', '.join(QUIZZES)} (or give question_ids); "
                f"got {quiz_id!r}"
            )
        question_ids = quiz.question_ids
    if isinstance(question_ids, str) or not all(isinstance(q, str) for q in question_ids):
        raise ValueError(f"question_ids must be a list of ids; got {question_ids!r}")
    ids = tuple(question_ids)
    if not ids:
        raise ValueError(f"quiz {quiz_id!r} must have at least one question; got none")
    if len(set(ids)) != len(ids):
        raise ValueError(f"question_ids must be distinct; got {list(ids)}")
    for question_id in ids:
        if question_id not in templates:
            raise ValueError(
                f"question {question_id!r} is not in this version of the lab's question bank"
            )
    return templates, title, ids


def _quizzes_with(question_id: str, quiz_id: str) -> list[str]:
    known = [q for q, quiz in QUIZZES.items() if question_id in quiz.question_ids]
    return known if quiz_id in known else [quiz_id, *known]


def _variant_key(key: bytes | str | None) -> bytes:
    if key is None:
        return PUBLIC_VARIANT_KEY
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or not key:
        raise ValueError(f"variant key must be a non-empty str or bytes (or None); got {key!r}")
    return key


def _check_name(name: object) -> str:
    try:
        return normalize_text(name, "student", MAX_NAME_LENGTH)
    except ValueError:
        raise ValueError(
            f"student must be a name of 1-{MAX_NAME_LENGTH} characters; got {name!r}"
        ) from None


def _check_key(what: str, key: object, max_length: int) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > max_length or key != key.strip():
        raise ValueError(f"{what} must be text of 1-{max_length} characters; got {key!r}")


def _check_due(due: object) -> datetime | None:
    if due is None:
        return None
    if not isinstance(due, datetime):
        raise ValueError(f"due must be a datetime or None; got {due!r}")
    return due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)


def _check_student_id(student_id: object) -> str:
    if not isinstance(student_id, str) or len(student_id) > MAX_NAME_LENGTH:
        raise ValueError(
            f"student_id must be text of at most {MAX_NAME_LENGTH} characters; got {student_id!r}"
        )
    return student_id.strip()


def _answer_record(answer: Answer) -> str | list[str]:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, int | float):
        return repr(answer)
    return sorted(str(item) for item in answer)
