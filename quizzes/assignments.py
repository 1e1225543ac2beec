"""Assignments: an instructor's ``assignments.toml``, read and checked against the pages'
declared controls and the question bank.

An assignment has an id, a title, instructions (markdown written by the instructor), steps (a
page opened with preset values of its declared controls, some of them locked), quiz sets
(questions of the bank, points, a credit schedule whose length is the number of attempts) and
open and due dates in a time zone (``zoneinfo``). The file's layout is documented at the top of
``assignments.toml`` itself.

Every preset is checked by the page's declaration (``PageControls.check_values`` for the names
and values, ``PageControls.query`` for controls that apply only with other values), so a step's
link always opens the page with exactly its presets. A broken file raises one
:class:`AssignmentFileError` naming the file, the line and the problem; the app then shows that
line to the instructor and keeps the free lab running for students.

Plain Python: no streamlit here.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lab.controls.core import PageControls, Value
from quizzes.bank import QUIZZES, TEMPLATES
from quizzes.pages import ALL_PAGES
from quizzes.session import check_schedule

#: The file's name, at the repository root (beside streamlit_app.py).
ASSIGNMENTS_FILE = "assignments.toml"
#: URL parameter naming the assignment a student follows (``?assignment=lab1``).
ASSIGNMENT_PARAM = "assignment"
#: URL parameter naming the step of the assignment a page is opened for (``&step=2``).
STEP_PARAM = "step"
#: URL parameters the app shell reads on every page (the pages' controls never use them).
SHELL_PARAMS: frozenset[str] = frozenset({ASSIGNMENT_PARAM, STEP_PARAM})
#: Largest assignments file read (a real one is a few kilobytes).
MAX_FILE_BYTES = 1_000_000
MAX_ID_LENGTH = 32
MAX_TITLE_LENGTH = 200
MAX_MARKDOWN_LENGTH = 20_000
MAX_STEPS = 50
MAX_POINTS = 1000.0
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_QUIZ_RANGE = re.compile(r"([a-z0-9][a-z0-9_-]*):(\d{1,3})(?:-(\d{1,3}))?")
_ASSIGNMENT_KEYS = frozenset(
    {
        "id",
        "title",
        "instructions",
        "timezone",
        "opens",
        "due",
        "step",
        "quiz",
    }
)
_STEP_KEYS = frozenset({"page", "title", "note", "preset", "locked"})
_QUIZ_KEYS = frozenset({"id", "title", "questions", "points", "schedule"})

Phase = Literal["upcoming", "open", "past_due"]


class AssignmentFileError(ValueError):
    """A problem in the assignments file: ``str(error)`` is the one line shown to the
    instructor, "assignments.toml, line 12: <problem>"."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Step:
    """One page of an assignment, opened with preset values; ``locked`` names the controls the
    student cannot change (their values are the presets, or the page's defaults)."""

    number: int
    page: str
    title: str
    note: str
    preset: dict[str, Value]
    locked: tuple[str, ...]

    @property
    def spec(self) -> PageControls:
        """The page's declaration."""
        return ALL_PAGES[self.page]

    def locked_values(self) -> dict[str, Value]:
        """{name: value} of the locked controls (preset, else the declared default)."""
        full = self.spec.defaults() | self.preset
        return {name: full[name] for name in self.locked}

    def values(self) -> dict[str, Value]:
        """The values the step sets: presets and locked values."""
        return self.preset | self.locked_values()

    def query(self) -> dict[str, str]:
        """The page's URL parameters for this step (checked by its declaration)."""
        return self.spec.query(self.values())


@dataclass(frozen=True)
class QuizSet:
    """Questions of the bank graded together: points per question and a credit schedule
    (``schedule[k]`` is the share of the points attempt k + 1 earns)."""

    id: str
    title: str
    questions: tuple[str, ...]
    points: dict[str, float]
    schedule: tuple[float, ...]

    @property
    def attempts(self) -> int:
        """Attempts per question."""
        return len(self.schedule)

    @property
    def max_points(self) -> float:
        """The points of every question, summed."""
        return math.fsum(self.points.values())


@dataclass(frozen=True)
class Assignment:
    """One assignment of the file. ``opens`` and ``due`` are aware datetimes in ``timezone``."""

    id: str
    title: str
    instructions: str
    timezone: str
    opens: datetime | None
    due: datetime
    steps: tuple[Step, ...]
    quizzes: tuple[QuizSet, ...]
    #: Line of the assignment's ``[[assignment]]`` header in the file.
    line: int | None = field(default=None, compare=False)

    def phase(self, now: datetime) -> Phase:
        """ "upcoming" before ``opens``, "open" until ``due``, "past_due" after it."""
        now = _aware(now)
        if self.opens is not None and now < self.opens:
            return "upcoming"
        return "past_due" if now > self.due else "open"

    def is_late(self, when: datetime) -> bool:
        """Whether a submission at ``when`` is after the due date."""
        return _aware(when) > self.due

    def step(self, number: int) -> Step:
        """Step ``number`` (1-based); ValueError naming the steps otherwise."""
        if isinstance(number, bool) or not isinstance(number, int):
            raise ValueError(f"step must be an integer in [1, {len(self.steps)}]; got {number!r}")
        if not 1 <= number <= len(self.steps):
            raise ValueError(
                f"step of assignment {self.id} must be in [1, {len(self.steps)}]; got {number}"
            )
        return self.steps[number - 1]

    def steps_on(self, page: str) -> tuple[Step, ...]:
        """The steps that open ``page``."""
        return tuple(step for step in self.steps if step.page == page)

    def quiz_of(self, question_id: str) -> QuizSet | None:
        """The quiz set holding ``question_id`` (question ids are distinct in an assignment)."""
        return next((quiz for quiz in self.quizzes if question_id in quiz.questions), None)

    @property
    def question_ids(self) -> tuple[str, ...]:
        """Every question of every quiz set, in order."""
        return tuple(qid for quiz in self.quizzes for qid in quiz.questions)

    @property
    def max_points(self) -> float:
        """The points of every quiz set, summed."""
        return math.fsum(quiz.max_points for quiz in self.quizzes)

    def shell_query(self, step: int | None = None) -> dict[str, str]:
        """The shell's URL parameters: the assignment, and the step when given."""
        query = {ASSIGNMENT_PARAM: self.id}
        if step is not None:
            query[STEP_PARAM] = str(self.step(step).number)
        return query

    def link(self) -> str:
        """A relative URL that opens the assignment: ``./?assignment=lab1``."""
        return "./?" + urlencode(self.shell_query())

    def step_link(self, number: int) -> str:
        """A relative URL that opens step ``number`` with its presets."""
        step = self.step(number)
        query = step.query() | self.shell_query(number)
        return f"./{step.spec.url_path}?{urlencode(query)}"

    def due_text(self) -> str:
        """The due date as read by a student: "Thu 10 Dec 2026, 17:00 CET (Europe/Berlin)"."""
        return format_when(self.due, self.timezone)

    def opens_text(self) -> str:
        """The opening date as :meth:`due_text` shows it ('' when the assignment has none)."""
        return format_when(self.opens, self.timezone) if self.opens is not None else ""


@dataclass(frozen=True)
class Assignments:
    """Every assignment of the file by id (empty when there is no file)."""

    file: str
    by_id: dict[str, Assignment]

    def __contains__(self, assignment_id: object) -> bool:
        return assignment_id in self.by_id

    def __iter__(self):
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, assignment_id: str) -> Assignment | None:
        """The assignment with this id, or None."""
        return self.by_id.get(assignment_id)


def format_when(when: datetime, timezone: str) -> str:
    """``when`` in ``timezone``: "Thu 10 Dec 2026, 17:00 CET (Europe/Berlin)"."""
    local = _aware(when).astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()} ({timezone})"


def time_left(due: datetime, now: datetime) -> str:
    """A rough "in 3 days" / "2 hours ago" between ``now`` and ``due``."""
    delta = _aware(due) - _aware(now)
    seconds = abs(delta.total_seconds())
    unit, count = "minute", 0
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            unit, count = name, int(seconds // size)
            break
    if count == 0:
        return "now"
    text = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {text}" if delta > timedelta(0) else f"{text} ago"


# --------------------------------------------------------------------------- reading


def load_assignments(path: str | Path) -> Assignments:
    """Read and check the assignments file at ``path`` (no file: no assignments).

    Raises :class:`AssignmentFileError` naming the file, the line and the problem.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        return Assignments(name, {})
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AssignmentFileError(
                name, None, f"the file must be at most {MAX_FILE_BYTES:,} bytes; got {size:,}"
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise AssignmentFileError(name, None, f"the file must be UTF-8 text ({error})") from None
    except OSError as error:
        raise AssignmentFileError(name, None, f"the file cannot be read ({error})") from None
    return parse_assignments(text, name)


def parse_assignments(text: str, file: str = ASSIGNMENTS_FILE) -> Assignments:
    """Parse and check the text of an assignments file; AssignmentFileError on a problem."""
    if len(text) > MAX_FILE_BYTES:
        raise AssignmentFileError(
            file, None, f"the file must be at most {MAX_FILE_BYTES:,} characters; got {len(text):,}"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match[1]) if match else None
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "invalid TOML"
        if match:
            problem += f" at column {match[2]}"
        raise AssignmentFileError(file, line, f"this is not valid TOML: {problem}") from None
    locator = _Locator(text)
    unknown = sorted(set(data) - {"assignment"})
    if unknown:
        raise AssignmentFileError(
            file,
            locator.top_key(unknown[0]),
            f"unknown top-level key {unknown[0]!r}: the file holds [[assignment]] tables only",
        )
    tables = data.get("assignment", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise AssignmentFileError(
            file, locator.top_key("assignment"), "assignments must be [[assignment]] tables"
        )
    by_id: dict[str, Assignment] = {}
    for index, table in enumerate(tables):
        reader = _AssignmentReader(file, locator, index, table)
        assignment = reader.read()
        if assignment.id in by_id:
            raise AssignmentFileError(
                file,
                reader.line("id"),
                f"assignment id {assignment.id!r} is used twice; ids must be distinct",
            )
        by_id[assignment.id] = assignment
    return Assignments(file, by_id)


class _AssignmentReader:
    """Checks one ``[[assignment]]`` table; every error names the line of the key at fault."""

    def __init__(self, file: str, locator: _Locator, index: int, table: dict[str, Any]) -> None:
        self.file = file
        self.locator = locator
        self.index = index
        self.table = table
        self.name = f"assignment {index + 1}"

    def fail(self, line: int | None, problem: str) -> AssignmentFileError:
        return AssignmentFileError(self.file, line, problem)

    def line(self, key: str | None = None, section: str | None = None, item: int = 0, sub=None):
        return self.locator.find(self.index, key, section, item, sub)

    def read(self) -> Assignment:
        table = self.table
        self._no_unknown(table, _ASSIGNMENT_KEYS, None, 0, "[[assignment]]")
        assignment_id = self._id(table.get("id"), "id", None, 0)
        self.name = f"assignment {assignment_id}"
        title = self._text(table.get("title"), "title", MAX_TITLE_LENGTH, required=True)
        instructions = self._text(
            table.get("instructions", ""), "instructions", MAX_MARKDOWN_LENGTH
        )
        timezone = self._timezone(table.get("timezone"))
        due = self._when(table.get("due"), "due", timezone, required=True)
        assert due is not None
        opens = self._when(table.get("opens"), "opens", timezone, required=False)
        if opens is not None and opens >= due:
            raise self.fail(
                self.line("opens"),
                f"{self.name}: opens must be before due; got opens {opens.isoformat()} and "
                f"due {due.isoformat()}",
            )
        steps = self._list_of_tables("step")
        quizzes = self._list_of_tables("quiz")
        if len(steps) > MAX_STEPS or len(quizzes) > MAX_STEPS:
            raise self.fail(
                self.line(), f"{self.name}: at most {MAX_STEPS} steps and {MAX_STEPS} quiz sets"
            )
        if not steps and not quizzes:
            raise self.fail(
                self.line(),
                f"{self.name} must have at least one [[assignment.step]] or [[assignment.quiz]]",
            )
        read_steps = tuple(self._step(i, step) for i, step in enumerate(steps))
        read_quizzes: list[QuizSet] = []
        seen: dict[str, str] = {}
        for i, quiz in enumerate(quizzes):
            quiz_set = self._quiz(i, quiz)
            if quiz_set.id in {q.id for q in read_quizzes}:
                raise self.fail(
                    self.line("id", "quiz", i),
                    f"{self.name}: quiz set id {quiz_set.id!r} is used twice",
                )
            for question_id in quiz_set.questions:
                if question_id in seen:
                    raise self.fail(
                        self.line("questions", "quiz", i),
                        f"{self.name}: question {question_id!r} is in quiz sets "
                        f"{seen[question_id]!r} and {quiz_set.id!r}; a question may be "
                        "asked once per assignment",
                    )
                seen[question_id] = quiz_set.id
            read_quizzes.append(quiz_set)
        return Assignment(
            id=assignment_id,
            title=title,
            instructions=instructions,
            timezone=timezone,
            opens=opens,
            due=due,
            steps=read_steps,
            quizzes=tuple(read_quizzes),
            line=self.line(),
        )

    # --- fields ---------------------------------------------------------------------------

    def _no_unknown(
        self, table: Mapping[str, Any], known: frozenset[str], section, item, what: str
    ) -> None:
        unknown = sorted(set(table) - known)
        if unknown:
            raise self.fail(
                self.line(unknown[0], section, item),
                f"{self.name}: unknown key {unknown[0]!r} in {what}; the keys are: "
                f"{', '.join(sorted(known))}",
            )

    def _id(self, value: object, key: str, section: str | None, item: int) -> str:
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise self.fail(
                self.line(key, section, item),
                f"{self.name}: {key} must be 1-{MAX_ID_LENGTH} lowercase letters, digits, '_' "
                f"or '-' (starting with a letter or digit); got {value!r}",
            )
        return value

    def _text(
        self,
        value: object,
        key: str,
        limit: int,
        *,
        required: bool = False,
        section: str | None = None,
        item: int = 0,
    ) -> str:
        if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
            given = f"{len(value):,} characters" if isinstance(value, str) else repr(value)
            raise self.fail(
                self.line(key, section, item),
                f"{self.name}: {key} must be {'non-empty ' if required else ''}text of at most "
                f"{limit:,} characters; got {given}",
            )
        return value.strip()

    def _timezone(self, value: object) -> str:
        line = self.line("timezone")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                line,
                f"{self.name}: timezone must be an IANA time zone such as 'Europe/Berlin' or "
                f"'America/New_York'; got {value!r}",
            )
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                line,
                f"{self.name}: timezone must be an IANA time zone such as 'Europe/Berlin' or "
                f"'America/New_York'; got {value!r}",
            ) from None
        return value

    def _when(self, value: object, key: str, timezone: str, *, required: bool) -> datetime | None:
        line = self.line(key)
        if value is None:
            if required:
                raise self.fail(
                    line, f"{self.name}: {key} is required, e.g. {key} = 2026-12-10T17:00:00"
                )
            return None
        try:
            return local_time(value, timezone)
        except ValueError as error:
            raise self.fail(line, f"{self.name}: {key} {error}") from None

    def _list_of_tables(self, section: str) -> list[dict[str, Any]]:
        tables = self.table.get(section, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise self.fail(
                self.line(section),
                f"{self.name}: {section} must be written as [[assignment.{section}]] tables",
            )
        return tables

    def _step(self, index: int, table: dict[str, Any]) -> Step:
        number = index + 1
        where = f"{self.name}, step {number}"
        self._no_unknown(table, _STEP_KEYS, "step", index, f"step {number}")
        page = table.get("page")
        if not isinstance(page, str) or page not in ALL_PAGES:
            raise self.fail(
                self.line("page", "step", index),
                f"{where}: page must be one of {', '.join(ALL_PAGES)}; got {page!r}",
            )
        spec = ALL_PAGES[page]
        title = self._text(
            table.get("title", ""), "title", MAX_TITLE_LENGTH, section="step", item=index
        )
        note = self._text(
            table.get("note", ""), "note", MAX_MARKDOWN_LENGTH, section="step", item=index
        )
        preset_table = table.get("preset", {})
        if not isinstance(preset_table, dict):
            raise self.fail(
                self.line("preset", "step", index),
                f"{where}: preset must be a table of control values, e.g. "
                f"preset = {{ layers = 20 }}; got {preset_table!r}",
            )
        preset: dict[str, Value] = {}
        for name, value in preset_table.items():
            line = self.line("preset", "step", index, name)
            if name not in spec.names:
                raise self.fail(
                    line,
                    f"{where}: {page} has no control {name!r}; its controls are: "
                    f"{', '.join(spec.names) or 'none'}",
                )
            try:
                preset.update(spec.check_values({name: value}))
            except ValueError as error:
                raise self.fail(line, f"{where}: preset {error}") from None
        locked = table.get("locked", [])
        if not isinstance(locked, list) or not all(isinstance(n, str) for n in locked):
            raise self.fail(
                self.line("locked", "step", index),
                f"{where}: locked must be a list of control names; got {locked!r}",
            )
        for name in locked:
            if name not in spec.names:
                raise self.fail(
                    self.line("locked", "step", index),
                    f"{where}: locked names {name!r}, which {page} does not declare; its "
                    f"controls are: {', '.join(spec.names) or 'none'}",
                )
        if len(set(locked)) != len(locked):
            raise self.fail(
                self.line("locked", "step", index), f"{where}: locked lists a control twice"
            )
        step = Step(number, page, title, note, preset, tuple(locked))
        try:
            step.query()
        except ValueError as error:
            raise self.fail(self.line("preset", "step", index), f"{where}: {error}") from None
        return step

    def _quiz(self, index: int, table: dict[str, Any]) -> QuizSet:
        where = f"{self.name}, quiz set {index + 1}"
        self._no_unknown(table, _QUIZ_KEYS, "quiz", index, f"quiz set {index + 1}")
        quiz_id = self._id(table.get("id"), "id", "quiz", index)
        where = f"{self.name}, quiz set {quiz_id}"
        title = self._text(
            table.get("title"), "title", MAX_TITLE_LENGTH, required=True, section="quiz", item=index
        )
        line = self.line("questions", "quiz", index)
        try:
            questions = expand_questions(table.get("questions"))
        except ValueError as error:
            raise self.fail(line, f"{where}: {error}") from None
        points = self._points(table.get("points", 1), questions, where, index)
        line = self.line("schedule", "quiz", index)
        schedule = table.get("schedule", [1.0, 0.75, 0.5])
        try:
            schedule = check_schedule(schedule)
        except ValueError as error:
            raise self.fail(line, f"{where}: {error}") from None
        if schedule[0] == 0.0:
            raise self.fail(line, f"{where}: the first attempt must earn credit; got 0")
        return QuizSet(quiz_id, title, questions, points, schedule)

    def _points(
        self, value: object, questions: tuple[str, ...], where: str, index: int
    ) -> dict[str, float]:
        line = self.line("points", "quiz", index)
        allowed = f"a number in (0, {MAX_POINTS:g}] or a table {{ question_id = points }}"

        def check(number: object) -> float:
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise self.fail(line, f"{where}: points must be {allowed}; got {number!r}")
            if not math.isfinite(number) or not 0 < number <= MAX_POINTS:
                raise self.fail(line, f"{where}: points must be {allowed}; got {number!r}")
            return float(number)

        if isinstance(value, dict):
            extra = sorted(set(value) - set(questions))
            if extra:
                raise self.fail(
                    line, f"{where}: points names {extra[0]!r}, which is not in this quiz set"
                )
            return {qid: check(value.get(qid, 1)) for qid in questions}
        each = check(value)
        return {qid: each for qid in questions}


def expand_questions(value: object) -> tuple[str, ...]:
    """Question ids from a list of ids and ``quiz:N`` / ``quiz:N-M`` ranges (1-based numbers of
    a bank quiz's questions): ``["formulas:1-8", "relu_phase"]``."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ValueError(
            "questions must be a non-empty list of question ids or 'quiz:N-M' ranges, e.g. "
            f"['formulas:1-8']; got {value!r}"
        )
    ids: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"questions must name questions as text; got {item!r}")
        match = _QUIZ_RANGE.fullmatch(item)
        if match:
            quiz_id, first, last = match[1], int(match[2]), int(match[3] or match[2])
            if quiz_id not in QUIZZES:
                raise ValueError(
                    f"questions: quiz must be one of {', '.join(QUIZZES)}; got {quiz_id!r}"
                )
            count = len(QUIZZES[quiz_id].question_ids)
            if not 1 <= first <= last <= count:
                raise ValueError(
                    f"questions: {item!r} must be a range within 1-{count} (quiz {quiz_id} has "
                    f"{count} questions)"
                )
            ids.extend(QUIZZES[quiz_id].question_ids[first - 1 : last])
        elif item in TEMPLATES:
            ids.append(item)
        else:
            raise ValueError(
                f"questions: {item!r} is neither a question id of the bank nor a 'quiz:N-M' "
                f"range of a quiz ({', '.join(QUIZZES)})"
            )
    duplicates = sorted({qid for qid in ids if ids.count(qid) > 1})
    if duplicates:
        raise ValueError(f"questions lists {duplicates[0]!r} twice")
    return tuple(ids)


def local_time(value: object, timezone: str) -> datetime:
    """An aware datetime from a TOML date-time (or ISO text) read in ``timezone``.

    A local time the zone skips (the hour clocks move forward) or repeats (the hour they move
    back) is refused: the instructor must say which instant is meant, with an offset.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"must be a date and time such as 2026-12-10T17:00:00; got {value!r}"
            ) from None
    if not isinstance(value, datetime):
        if isinstance(value, date):
            raise ValueError(
                f"must be a date and time such as {value.isoformat()}T17:00:00, not a date "
                f"alone; got {value.isoformat()}"
            )
        raise ValueError(f"must be a date and time such as 2026-12-10T17:00:00; got {value!r}")
    zone = ZoneInfo(timezone)
    if value.tzinfo is not None:
        return value.astimezone(zone)
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        what = "happens twice" if back == value else "does not exist"
        raise ValueError(
            f"{value.isoformat()} {what} in {timezone} (a daylight-saving change); give another "
            "time or an offset such as +01:00"
        )
    return first


def _aware(when: datetime) -> datetime:
    if not isinstance(when, datetime):
        raise ValueError(f"time must be a datetime; got {when!r}")
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- line numbers

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


class _Locator:
    """Finds the line of a key in the file's text (tomllib gives no positions for values).

    Tables are found by their headers (``[[assignment]]``, ``[[assignment.step]]``, ...); a key
    by ``key =`` at the start of a line inside its table; a key of an inline table such as
    ``preset = { layers = 20 }`` by ``layers =`` after the line of ``preset``.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []  # (0-based line, dotted name)
        for number, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match and not line.lstrip().startswith("#"):
                name = re.sub(r"\s+", "", match[2]).replace('"', "").replace("'", "")
                self.headers.append((number, name))

    def _region(self, start: int) -> tuple[int, int]:
        """[start, end) lines of the table whose header is at ``start`` (to the next header)."""
        following = [number for number, _ in self.headers if number > start]
        return start, following[0] if following else len(self.lines)

    def _nth(self, name: str, item: int, within: tuple[int, int]) -> int | None:
        found = [n for n, header in self.headers if header == name and within[0] <= n < within[1]]
        return found[item] if item < len(found) else None

    def _assignment_span(self, index: int) -> tuple[int, int] | None:
        starts = [number for number, name in self.headers if name == "assignment"]
        if index >= len(starts):
            return None
        end = starts[index + 1] if index + 1 < len(starts) else len(self.lines)
        return starts[index], end

    def _key_line(self, key: str, region: tuple[int, int]) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(*region):
            if pattern.match(self.lines[number]):
                return number
        return None

    def top_key(self, key: str) -> int | None:
        first = self.headers[0][0] if self.headers else len(self.lines)
        number = self._key_line(key, (0, first))
        if number is None:
            number = next((n for n, name in self.headers if name.split(".")[0] == key), None)
        return None if number is None else number + 1

    def find(
        self,
        index: int,
        key: str | None = None,
        section: str | None = None,
        item: int = 0,
        sub: str | None = None,
    ) -> int | None:
        """1-based line of ``key`` (and of ``sub`` inside it) in assignment ``index``, in its
        ``section`` table number ``item`` when given; the nearest table header otherwise."""
        span = self._assignment_span(index)
        if span is None:
            return None
        region = self._region(span[0])
        if section is not None:
            start = self._nth(f"assignment.{section}", item, span)
            if start is None:
                return span[0] + 1
            region = self._region(start)
        if key is None:
            return region[0] + 1
        number = self._key_line(key, region)
        if number is None:
            # ``[assignment.step.preset]`` written as its own table.
            prefix = f"assignment.{section}.{key}" if section else f"assignment.{key}"
            sub_header = next(
                (n for n, name in self.headers if name == prefix and n == region[1]), None
            )
            if sub_header is not None and sub is not None:
                found = self._key_line(sub, self._region(sub_header))
                return (found if found is not None else sub_header) + 1
            return (sub_header if sub_header is not None else region[0]) + 1
        if sub is not None:
            pattern = re.compile(rf"(^|[\s{{,])[\"']?{re.escape(sub)}[\"']?\s*=")
            for candidate in range(number, region[1]):
                text = self.lines[candidate]
                if candidate == number:
                    text = text.split("=", 1)[1] if "=" in text else ""
                if pattern.search(text):
                    return candidate + 1
        return number + 1
