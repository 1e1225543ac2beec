"""A student's quiz session: variants, attempts, credit and JSON round trips.

Each (student, quiz, question, variant) gets its own random params from a seed derived with
SHA-256 (stable across processes and machines, unlike Python's ``hash()``), so a student who
reloads sees the same numbers and two students see different ones. Credit follows a declining
schedule (PrairieLearn-style): attempt k earns ``schedule[k] * credit_fraction`` and the best
attempt counts. In graded mode the variant is fixed and attempts end with the schedule; in
practice mode :meth:`QuizSession.new_variant` draws fresh params and restarts the schedule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from lab.validation import check_choice, check_float, check_int
from quizzes.bank import QUIZZES, TEMPLATES
from quizzes.grading import Answer, Grade, grade
from quizzes.questions import Params, Question, check_slug

Mode = Literal["graded", "practice"]
MODES: tuple[str, ...] = ("graded", "practice")
DEFAULT_SCHEDULE: tuple[float, ...] = (1.0, 0.75, 0.5)
SESSION_FORMAT = "weight-init-lab/quiz-session"
SEED_NAMESPACE = "weight-init-lab/variant/v1"
MAX_NAME_LENGTH = 200
MAX_VARIANT = 1_000_000


def normalize_student(name: str) -> str:
    """The key a student name is matched by: trimmed, inner spaces collapsed, casefolded."""
    if not isinstance(name, str):
        raise ValueError(f"student must be a non-empty name; got {name!r}")
    key = " ".join(name.split()).casefold()
    if not key or len(key) > MAX_NAME_LENGTH:
        raise ValueError(f"student must be a name of 1-{MAX_NAME_LENGTH} characters; got {name!r}")
    return key


def variant_seed(student: str, quiz_id: str, question_id: str, variant: int) -> int:
    """A 64-bit seed from SHA-256 of the normalized student name, quiz, question and variant."""
    check_int("variant", variant, 0, MAX_VARIANT)
    payload = json.dumps(
        [SEED_NAMESPACE, normalize_student(student), quiz_id, question_id, variant],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return int.from_bytes(hashlib.sha256(payload.encode("ascii")).digest()[:8], "big")


def variant_params(question: Question, student: str, quiz_id: str, variant: int) -> Params:
    """The params a student sees for one variant of ``question`` in ``quiz_id``."""
    seed = variant_seed(student, quiz_id, question.id, variant)
    return question.variant_params(np.random.default_rng(seed))


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
    """One counted submission: the answer as typed (option ids for choice questions)."""

    answer: str | list[str]
    status: str
    credit_fraction: float
    credit: float
    timestamp: str
    variant: int
    mistake: str | None = None

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
        return cls(
            answer=answer,
            status=data["status"],
            credit_fraction=check_float("credit_fraction", data.get("credit_fraction"), 0, 1),
            credit=check_float("credit", data.get("credit"), 0.0, 1.0),
            timestamp=timestamp,
            variant=check_int("attempt variant", data.get("variant"), 0, MAX_VARIANT),
            mistake=mistake,
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

    ``templates`` maps question ids to templates and ``question_ids`` fixes the quiz's list;
    both default to the registry in :mod:`quizzes.bank`. Every question is worth one point.
    """

    def __init__(
        self,
        student: str,
        quiz_id: str,
        mode: Mode = "graded",
        schedule: Sequence[float] = DEFAULT_SCHEDULE,
        *,
        student_id: str = "",
        question_ids: Sequence[str] | None = None,
        templates: Mapping[str, Question] | None = None,
        created_at: str | None = None,
    ) -> None:
        self.student = " ".join(student.split()) if isinstance(student, str) else student
        self.student_key = normalize_student(student)
        self.student_id = _check_student_id(student_id)
        self.quiz_id = check_slug("quiz_id", quiz_id)
        self.mode: Mode = check_choice("mode", mode, MODES)
        self.schedule = check_schedule(schedule)
        self.templates, self.quiz_title, ids = _resolve_quiz(quiz_id, question_ids, templates)
        self.question_ids: tuple[str, ...] = ids
        self.created_at = created_at if created_at is not None else utc_timestamp()
        self._states: dict[str, QuestionState] = {
            qid: QuestionState(qid, 0, self._params(qid, 0)) for qid in ids
        }

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
        ``invalid`` and nothing is recorded.
        """
        state = self._state(question_id)
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
        result = grade(self.question(question_id), state.params, answer)
        if not result.counts_as_attempt:
            return replace(result, attempts_left=left)
        number = len(state.attempts_on_variant()) + 1
        credit = self.schedule[number - 1] * result.credit_fraction
        state.attempts.append(
            Attempt(
                answer=_answer_record(answer),
                status=result.status,
                credit_fraction=result.credit_fraction,
                credit=credit,
                timestamp=utc_timestamp(now),
                variant=state.variant,
                mistake=result.mistake,
            )
        )
        return replace(
            result, credit=credit, attempt=number, attempts_left=self.attempts_left(question_id)
        )

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
            "version": 1,
            "student": self.student,
            "student_id": self.student_id,
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
        cls, data: Mapping[str, Any], templates: Mapping[str, Question] | None = None
    ) -> QuizSession:
        """Rebuild a session from :meth:`to_dict` output; ValueError on a malformed dict."""
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
            question_ids=[q.get("id") for q in questions],
            templates=templates,
            created_at=created_at,
        )
        for item in questions:
            params = item.get("params")
            attempts = item.get("attempts")
            if not isinstance(params, dict) or not isinstance(attempts, list):
                raise ValueError(f"question {item.get('id')!r} needs params and attempts")
            state = session._states[item["id"]]
            state.variant = check_int("variant", item.get("variant"), 0, MAX_VARIANT)
            state.params = json.loads(json.dumps(params))
            state.attempts = [Attempt.from_dict(a) for a in attempts]
        return session

    # --- helpers --------------------------------------------------------------------------

    def _state(self, question_id: str) -> QuestionState:
        check_choice("question_id", question_id, self.question_ids)
        return self._states[question_id]

    def _params(self, question_id: str, variant: int) -> Params:
        question = self.templates[question_id]
        return variant_params(question, self.student_key, self.quiz_id, variant)

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
