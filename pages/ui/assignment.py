"""An assignment followed in the app: ``?assignment=ID`` (from ``assignments.toml``).

The shell calls :func:`follow_assignment` before building the menu (an assignment adds its own
page, the default one) and runs every page inside :func:`assignment_scope`, which

- finds the page's step (``?step=N``, else the step last opened on that page, else the page's
  first step) and hands its locked values to ``pages.ui.widgets.draw_controls`` through
  ``SHELL_LOCKS_STATE``: those widgets are disabled and a URL cannot change them;
- applies the step's presets the first time the student opens it (through the URL, as a link
  would), and ticks the step in the checklist (and, once the student is known, in the ledger:
  a reload or another browser keeps it, as it keeps quiz progress);
- draws a banner on top of the page: title, due date, progress, the step and its note.

The assignment page (:func:`draw_assignment_page`) shows the instructions, the checklist and
the quiz sets. A broken ``assignments.toml`` leaves students in the free lab with one neutral
line; the instructor page shows the file's error (:func:`assignment_file_error`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import streamlit as st

from lab.text import plural
from pages.ui.registry import ASSIGNMENT_PAGE, INSTRUCTOR_PAGE, REPO_ROOT, get_page
from pages.ui.student import classroom_ledger, current_identity, secret
from pages.ui.text import plain
from pages.ui.widgets import SHELL_LOCKS_STATE
from quizzes.assignments import (
    ASSIGNMENT_PARAM,
    ASSIGNMENTS_FILE,
    STEP_PARAM,
    Assignment,
    AssignmentFileError,
    Assignments,
    QuizSet,
    Step,
    load_assignments,
    time_left,
)
from quizzes.ledger import LedgerError

#: Secret naming another assignments file (a path relative to the repository root, or absolute).
FILE_SECRET = "assignments_file"
#: Session-state keys: the followed assignment's id; {assignment: {page: step}} (the step last
#: opened on each page); {assignment: {step opened: who opened it}}; {assignment: [steps whose
#: presets were applied]}; {assignment: {quiz set: (closed, questions)}}; a one-line notice.
_FOLLOWED_STATE = "_wil_assignment"
_STEP_STATE = "_wil_assignment_step"
_VISITED_STATE = "_wil_assignment_visited"
_ENTERED_STATE = "_wil_assignment_entered"
_QUIZ_STATE = "_wil_assignment_quizzes"
_NOTICE_STATE = "_wil_assignment_notice"
#: {identity key + assignment: step numbers the ledger holds}: read once per session.
_SYNCED_STATE = "_wil_assignment_synced"
#: When (time.monotonic) the ledger may be tried again after it could not be opened.
_LEDGER_DOWN_STATE = "_wil_assignment_ledger_down"
#: Seconds between tries of a ledger that could not be opened: an unreachable database must not
#: slow every run of every page of the assignment.
LEDGER_RETRY_S = 60.0
#: The checklist's marks: a step not yet opened, and opened.
STEP_MARKS = {False: ":material/radio_button_unchecked:", True: ":material/check_circle:"}
#: Longest assignment id read from a URL (ids are at most 32 characters).
_MAX_ID_TEXT = 64


def assignments_path() -> Path:
    """The assignments file: ``assignments.toml`` at the repository root, unless the
    deployment's secrets name another (``assignments_file``)."""
    configured = secret(FILE_SECRET)
    if isinstance(configured, str) and configured.strip():
        path = Path(configured.strip())
        return path if path.is_absolute() else REPO_ROOT / path
    return REPO_ROOT / ASSIGNMENTS_FILE


@st.cache_data(max_entries=8, show_spinner=False)
def _read(path: str, stamp: tuple[int, int]) -> tuple[Assignments, str | None]:
    """The file's assignments and None, or no assignments and the error line. ``stamp``
    (modification time, size) makes an edited file read again."""
    try:
        return load_assignments(path), None
    except AssignmentFileError as error:
        return Assignments(Path(path).name, {}), str(error)


def load() -> tuple[Assignments, str | None]:
    """The assignments (none when the file is broken) and the file's error, if any."""
    path = assignments_path()
    try:
        status = path.stat()
        stamp = (status.st_mtime_ns, status.st_size)
    except OSError:
        stamp = (0, 0)
    return _read(str(path), stamp)


def assignment_file_error() -> str | None:
    """The one line that says where the assignments file is broken (None when it is fine)."""
    return load()[1]


def follow_assignment() -> Assignment | None:
    """The assignment this browser session follows: the URL's ``assignment``, else the one
    opened earlier in the session; None for the free lab. An unknown id or a broken file
    leaves a one-line notice for :func:`assignment_scope` and gives the free lab."""
    text = st.query_params.get(ASSIGNMENT_PARAM)
    if text is None:
        followed = st.session_state.get(_FOLLOWED_STATE)
        if followed is None:
            return None
        text = followed
    assignments, error = load()
    assignment = assignments.get(text[:_MAX_ID_TEXT])
    if assignment is None:
        st.session_state.pop(_FOLLOWED_STATE, None)
        if error is not None:
            notice = "This assignment cannot be opened right now: the instructor's assignment "
            notice += "file has a problem. The lab works as usual."
        else:
            notice = f"There is no assignment {text[:_MAX_ID_TEXT]!r}. The lab works as usual."
        st.session_state[_NOTICE_STATE] = notice
        _drop_params()
        return None
    st.session_state[_FOLLOWED_STATE] = assignment.id
    return assignment


def followed_assignment() -> Assignment | None:
    """The assignment this session follows (set by :func:`follow_assignment`), or None."""
    followed = st.session_state.get(_FOLLOWED_STATE)
    return load()[0].get(followed) if isinstance(followed, str) else None


def leave_assignment() -> None:
    """Stop following the assignment (the free lab again)."""
    st.session_state.pop(_FOLLOWED_STATE, None)
    _drop_params()


def _drop_params() -> None:
    for name in (ASSIGNMENT_PARAM, STEP_PARAM):
        if name in st.query_params:
            del st.query_params[name]


def now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- steps


def current_step(assignment: Assignment, page_key: str) -> Step | None:
    """The step of ``assignment`` that ``page_key`` shows: the URL's ``step`` when it is a
    step of this page, else the one last opened here, else the page's first step."""
    remembered: dict[str, int] = st.session_state.setdefault(_STEP_STATE, {}).setdefault(
        assignment.id, {}
    )
    text = st.query_params.get(STEP_PARAM, "")
    if text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(assignment.steps):
        step = assignment.steps[int(text) - 1]
        if step.page == page_key:
            remembered[page_key] = step.number
            return step
    if page_key in remembered:
        return assignment.steps[remembered[page_key] - 1]
    steps = assignment.steps_on(page_key)
    return steps[0] if steps else None


def _visited(assignment: Assignment) -> dict[int, set[str]]:
    """The steps opened in this session: step number -> the identity keys of the students
    signed in when it was opened ("" for nobody yet)."""
    return st.session_state.setdefault(_VISITED_STATE, {}).setdefault(assignment.id, {})


def _mark_opened(assignment: Assignment, number: int) -> None:
    """Record that step ``number`` was opened, by the student signed in now (if any)."""
    identity = current_identity()
    _visited(assignment).setdefault(number, set()).add(identity.key if identity else "")


def _claim_unowned(assignment: Assignment, student: str) -> None:
    """Give the steps opened while nobody was signed in to ``student``, the next student to
    sign in (and so to no later one)."""
    for openers in _visited(assignment).values():
        if "" in openers:
            openers.discard("")
            openers.add(student)


def _own_steps(assignment: Assignment, student: str) -> set[int]:
    """The steps of this session that count for ``student``: those opened while they were
    signed in, or claimed by them (``_claim_unowned``)."""
    return {number for number, openers in _visited(assignment).items() if student in openers}


def _sync_visits(assignment: Assignment) -> None:
    """Share the opened steps with the ledger once the student is known: the steps of this
    session that count for the student (``_own_steps``) are recorded under them, and those the
    ledger holds for the student (another session, a reload) are kept apart, per student, for
    the checklist (:func:`_opened_steps`). Nothing is written under a student who did not
    open it: a second student typed into the same session starts from their own steps. The
    ledger is read once per session and student; when it cannot be opened, the next try waits
    ``LEDGER_RETRY_S`` and the checklist counts this session's steps only (the quiz pages say
    what is wrong with the ledger)."""
    identity = current_identity()
    if identity is None:
        return
    _claim_unowned(assignment, identity.key)
    synced: dict[str, set[int]] = st.session_state.setdefault(_SYNCED_STATE, {})
    key = _synced_key(identity.key, assignment)
    own = _own_steps(assignment, identity.key)
    if key in synced and own <= synced[key]:
        return
    if time.monotonic() < st.session_state.get(_LEDGER_DOWN_STATE, 0.0):
        return
    try:
        ledger = classroom_ledger()
        known = synced[key] if key in synced else ledger.steps_opened(identity.key, assignment.id)
        for number in sorted(own - known):
            ledger.record_step(identity.key, assignment.id, number)
            known.add(number)
    except LedgerError:
        st.session_state[_LEDGER_DOWN_STATE] = time.monotonic() + LEDGER_RETRY_S
        return
    synced[key] = known


def _synced_key(student: str, assignment: Assignment) -> str:
    return f"{student}\n{assignment.id}"


def _opened_steps(assignment: Assignment) -> set[int]:
    """The step numbers the checklist ticks: for a student signed in, the session's steps that
    count for them and those the ledger holds for them; for nobody, the steps opened while
    nobody was signed in."""
    identity = current_identity()
    if identity is None:
        opened = {number for number, openers in _visited(assignment).items() if "" in openers}
    else:
        synced = st.session_state.get(_SYNCED_STATE, {})
        opened = _own_steps(assignment, identity.key)
        opened |= synced.get(_synced_key(identity.key, assignment), set())
    return {number for number in opened if 1 <= number <= len(assignment.steps)}


def _apply_presets(assignment: Assignment, step: Step) -> None:
    """On the step's first opening in this session, put its presets in the URL (where the URL
    does not give the value already): ``draw_controls`` then applies them as a link's."""
    entered: list[int] = st.session_state.setdefault(_ENTERED_STATE, {}).setdefault(
        assignment.id, []
    )
    if step.number in entered:
        return
    entered.append(step.number)
    for name, text in step.query().items():
        if name not in st.query_params:
            st.query_params[name] = text


@contextmanager
def assignment_scope(assignment: Assignment | None, page_key: str) -> Iterator[None]:
    """Run one page under ``assignment`` (None: the free lab): locks, presets, banner."""
    notice = st.session_state.pop(_NOTICE_STATE, None)
    if notice:
        st.info(plain(notice), icon=":material/assignment_late:")
    locks: dict[str, dict] = {}
    if assignment is not None:
        step = current_step(assignment, page_key)
        if step is not None:
            locks[page_key] = step.locked_values()
            _apply_presets(assignment, step)
            _mark_opened(assignment, step.number)
        _sync_visits(assignment)
        st.query_params[ASSIGNMENT_PARAM] = assignment.id
        if step is not None:
            st.query_params[STEP_PARAM] = str(step.number)
        elif STEP_PARAM in st.query_params:
            del st.query_params[STEP_PARAM]
        if page_key not in (ASSIGNMENT_PAGE.key, INSTRUCTOR_PAGE.key):
            draw_banner(assignment, step)
    elif STEP_PARAM in st.query_params:
        del st.query_params[STEP_PARAM]
    st.session_state[SHELL_LOCKS_STATE] = locks
    yield


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    """Checklist counts: steps opened and quiz questions closed (solved or out of attempts)."""

    steps_done: int
    steps: int
    questions_done: int
    questions: int

    @property
    def done(self) -> int:
        return self.steps_done + self.questions_done

    @property
    def total(self) -> int:
        return self.steps + self.questions

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def progress(assignment: Assignment) -> Progress:
    """The student's progress: the steps opened (in this session, or recorded in the ledger
    for the student signed in) and the quiz sets as last drawn."""
    visited = _opened_steps(assignment)
    quizzes: dict[str, tuple[int, int]] = st.session_state.get(_QUIZ_STATE, {}).get(
        assignment.id, {}
    )
    closed = sum(quizzes.get(quiz.id, (0, 0))[0] for quiz in assignment.quizzes)
    return Progress(
        steps_done=sum(1 for step in assignment.steps if step.number in visited),
        steps=len(assignment.steps),
        questions_done=closed,
        questions=len(assignment.question_ids),
    )


def _record_quiz(assignment: Assignment, quiz: QuizSet, closed: int) -> None:
    store = st.session_state.setdefault(_QUIZ_STATE, {}).setdefault(assignment.id, {})
    store[quiz.id] = (closed, len(quiz.questions))


def due_line(assignment: Assignment, when: datetime | None = None) -> str:
    """ "Due Thu 10 Dec 2026, 17:00 CET (Europe/Berlin), in 3 days" (plain text)."""
    when = when or now()
    phase = assignment.phase(when)
    if phase == "upcoming":
        return f"Opens {assignment.opens_text()}, due {assignment.due_text()}"
    tail = time_left(assignment.due, when)
    if phase == "past_due":
        return f"Was due {assignment.due_text()} ({tail}): answers given now are recorded as late"
    return f"Due {assignment.due_text()}, {tail}"


def points_text(points: float) -> str:
    """ "1 point", "2 points", "0.5 points"."""
    return f"{points:g} point{'' if points == 1 else 's'}"


def step_label(step: Step) -> str:
    """A step's line in the checklist: its title, or the page's."""
    return step.title or get_page(step.page).title


def _step_link(assignment: Assignment, step: Step, label: str, icon: str | None = None) -> None:
    """A link to the step's page with its presets (``icon``: the page's unless given)."""
    info = get_page(step.page)
    st.page_link(
        info.path,
        label=label,
        icon=icon or info.icon,
        query_params=step.query() | assignment.shell_query(step.number),
    )


def _locked_text(step: Step) -> str:
    spec = step.spec
    parts = []
    for name, value in step.locked_values().items():
        control = spec[name]
        labels = getattr(control, "labels", None)
        shown = labels.get(value, value) if isinstance(labels, dict) else control.format(value)
        parts.append(f"{control.label} = {shown}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- drawing


def draw_banner(assignment: Assignment, step: Step | None) -> None:
    """The assignment's strip on top of a page: title, due date, progress, the step."""
    done = progress(assignment)
    with st.container(border=True, key="assignment_banner"):
        st.markdown(f":material/assignment: **{plain(assignment.title)}**")
        st.caption(plain(due_line(assignment)))
        st.progress(done.fraction, text=f"{done.done} of {done.total} done")
        if step is not None:
            st.markdown(
                f"**Step {step.number} of {len(assignment.steps)}: {plain(step_label(step))}**"
            )
            if step.note:
                st.markdown(step.note)  # written by the instructor: markdown on purpose
            if step.locked:
                st.caption(
                    ":material/lock: Set by the assignment, locked: " + plain(_locked_text(step))
                )
        left, right = st.columns(2, vertical_alignment="center")
        with left:
            st.page_link(
                ASSIGNMENT_PAGE.path,
                label="Checklist and quizzes",
                icon=":material/checklist:",
                query_params=assignment.shell_query(),
            )
        with right:
            st.button(
                "Leave the assignment",
                key="assignment_leave",
                icon=":material/logout:",
                on_click=leave_assignment,
            )


def draw_assignment_page(assignment: Assignment | None) -> None:
    """The assignment page: due date, instructions, checklist with progress, quiz sets."""
    if assignment is None:
        st.title(ASSIGNMENT_PAGE.title)
        st.info("No assignment is open. Follow your instructor's link to open one.")
        return
    st.title(plain(assignment.title))
    when = now()
    phase = assignment.phase(when)
    if phase == "past_due":
        st.warning(plain(due_line(assignment, when)), icon=":material/schedule:")
    else:
        st.caption(f":material/schedule: {plain(due_line(assignment, when))}")
    if assignment.instructions:
        st.markdown(assignment.instructions)  # written by the instructor: markdown on purpose
    summary = st.container()
    if assignment.steps:
        st.subheader("Steps")
        visited = _opened_steps(assignment)
        for step in assignment.steps:
            # The mark is the link's icon: in columns of their own it wrapped onto a line
            # above its step on a phone.
            opened = step.number in visited
            label = f"Step {step.number}: {step_label(step)}" + (" (opened)" if opened else "")
            _step_link(assignment, step, label, STEP_MARKS[opened])
    for quiz in assignment.quizzes:
        st.subheader(plain(quiz.title))
        each = set(quiz.points.values())
        points = f"{points_text(next(iter(each)))} each" if len(each) == 1 else "points vary"
        st.caption(f"Worth {points_text(quiz.max_points)} in all ({points}).")
        if phase == "upcoming":
            st.info(f"Opens {plain(assignment.opens_text())}.", icon=":material/lock_clock:")
            continue
        _record_quiz(assignment, quiz, draw_quiz_set(assignment, quiz))
    done = progress(assignment)
    with summary:
        st.progress(
            done.fraction,
            text=f"{done.done} of {done.total} done: {done.steps_done} of "
            f"{plural(done.steps, 'step')} opened, {done.questions_done} of "
            f"{plural(done.questions, 'question')} closed",
        )


def draw_quiz_set(assignment: Assignment, quiz: QuizSet) -> int:
    """Draw one quiz set with the quiz renderer; returns how many of its questions are closed
    (solved or out of attempts)."""
    from pages.ui.quiz import render_quiz  # the quiz renderer imports the registry too

    session = render_quiz(
        quiz.id,
        "graded",
        assignment=assignment.id,
        question_ids=quiz.questions,
        schedule=quiz.schedule,
        due=assignment.due,
    )
    if session is None:
        return 0
    return sum(1 for question_id in quiz.questions if not session.can_submit(question_id))
