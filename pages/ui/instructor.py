"""The instructor's page: who may see it, and what it draws.

Who is an instructor (:func:`is_instructor`):

- with sign-in (an ``[auth]`` section in the secrets): a signed-in account whose e-mail is in
  the secret ``instructors`` (a list of e-mails; compared case-insensitively, each comparison
  with ``hmac.compare_digest``); an account whose provider says the e-mail is not verified
  (``email_verified = false``) is refused;
- without sign-in: whoever typed the secret ``instructor_password`` in the sidebar's
  "Instructor" box in this browser session (``hmac.compare_digest``; at most
  :data:`MAX_TRIES` wrong passwords per session).

Without either secret nobody is an instructor and the page is not in the menu. The page
itself checks again (a script reached without the menu shows nothing).

The page (:func:`draw_instructor_page`): the assignments file's status, a link builder (an
assignment and its steps, or any page's current setup, with the ``[[assignment.step]]`` lines
to paste into ``assignments.toml``), the live gradebook from the attempt ledger with CSVs for
Canvas and Moodle and late flags, a gradebook from uploaded receipts (deployments without a
database), and item analysis per question as charts.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import altair as alt
import pandas as pd
import streamlit as st

from lab.controls.core import PageControls, Value
from lab.text import plural
from pages.ui.assignment import assignment_file_error, assignments_path, due_line, load
from pages.ui.charts import show_chart
from pages.ui.registry import INSTRUCTOR_PAGE, PAGES, get_page, page_header
from pages.ui.student import (
    RECEIPT_SECRET,
    VARIANT_SECRET,
    classroom_ledger,
    secret,
    secret_text,
    sign_in_configured,
)
from pages.ui.text import plain, show_engine_error
from pages.ui.widgets import page_setup
from quizzes.analysis import (
    ItemStats,
    assignment_grades,
    grades_table,
    item_analysis,
    parameter_table,
    params_from_seed,
    summary_table,
    wrong_answer_table,
)
from quizzes.assignments import Assignment
from quizzes.gradebook import Gradebook, add_ledger, add_receipts, check_receipt, write_csv
from quizzes.identity import printable
from quizzes.ledger import LedgerError, LedgerRow
from quizzes.pages import ALL_PAGES
from quizzes.receipts import MAX_RECEIPT_BYTES, load_receipt

#: Secrets: the instructors' e-mails (with sign-in), the instructor password (without).
INSTRUCTORS_SECRET = "instructors"
PASSWORD_SECRET = "instructor_password"
#: Wrong passwords allowed per browser session.
MAX_TRIES = 5
#: Longest password read from the box.
MAX_PASSWORD_LENGTH = 200
#: Receipts one upload may hold.
MAX_RECEIPTS = 500
_INSTRUCTOR_STATE = "_wil_instructor"
_TRIES_STATE = "_wil_instructor_tries"
_PASSWORD_KEY = "instructor_password_box"


# --------------------------------------------------------------------------- the gate


def instructor_emails() -> tuple[str, ...]:
    """The e-mails of the secret ``instructors`` (a list, or one e-mail), casefolded."""
    value = secret(INSTRUCTORS_SECRET)
    items = [value] if isinstance(value, str) else value
    if isinstance(items, str) or not isinstance(items, Sequence):
        return ()
    return tuple(
        item.strip().casefold() for item in items if isinstance(item, str) and item.strip()
    )


def _same(typed: str, expected: str) -> bool:
    return hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8"))


def gate_configured() -> bool:
    """Whether this deployment names instructors (an e-mail list with sign-in, a password
    without)."""
    if sign_in_configured():
        return bool(instructor_emails())
    return secret_text(PASSWORD_SECRET) is not None


def is_instructor() -> bool:
    """Whether the visitor is an instructor (see the module's docstring)."""
    if sign_in_configured():
        if not st.user.get("is_logged_in"):
            return False
        email = st.user.get("email")
        if not isinstance(email, str) or not email.strip():
            return False
        if st.user.get("email_verified") is False:
            return False
        email = email.strip().casefold()
        # Every entry is compared, so the time taken does not say which one matched.
        matches = [_same(email, allowed) for allowed in instructor_emails()]
        return any(matches)
    password = secret_text(PASSWORD_SECRET)
    return password is not None and st.session_state.get(_INSTRUCTOR_STATE) is True


def _check_password() -> None:
    typed = str(st.session_state.get(_PASSWORD_KEY, "") or "")[:MAX_PASSWORD_LENGTH]
    st.session_state[_PASSWORD_KEY] = ""
    password = secret_text(PASSWORD_SECRET)
    tries = int(st.session_state.get(_TRIES_STATE, 0))
    if password is None or tries >= MAX_TRIES:
        return
    if typed and _same(typed, password):
        st.session_state[_INSTRUCTOR_STATE] = True
        st.session_state[_TRIES_STATE] = 0
    else:
        st.session_state[_TRIES_STATE] = tries + 1


def _sign_out() -> None:
    st.session_state.pop(_INSTRUCTOR_STATE, None)


def instructor_sidebar() -> None:
    """Without sign-in, the sidebar's "Instructor" box: a password field, or a sign-out
    button once the password was right. Nothing when no password is configured."""
    if sign_in_configured() or secret_text(PASSWORD_SECRET) is None:
        return
    with st.sidebar:
        if is_instructor():
            st.button(
                "Leave instructor mode",
                key="instructor_sign_out",
                icon=":material/logout:",
                on_click=_sign_out,
            )
            return
        with st.expander("Instructor", icon=":material/school:"):
            tries = int(st.session_state.get(_TRIES_STATE, 0))
            blocked = tries >= MAX_TRIES
            with st.form("instructor_form", border=False):
                st.text_input(
                    "Instructor password",
                    key=_PASSWORD_KEY,
                    type="password",
                    max_chars=MAX_PASSWORD_LENGTH,
                    disabled=blocked,
                )
                st.form_submit_button(
                    "Open the instructor page", on_click=_check_password, disabled=blocked
                )
            if blocked:
                st.error("Too many wrong passwords: open a new browser session to try again.")
            elif tries:
                st.error(f"Wrong password ({plural(MAX_TRIES - tries, 'try', 'tries')} left).")


# --------------------------------------------------------------------------- links


def base_url() -> str:
    """The app's address as the browser sees it (``https://YOUR-APP``), or '' if unknown."""
    url = getattr(st.context, "url", None)
    if not isinstance(url, str) or not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def full_link(relative: str) -> str:
    """``./signal-propagation?...`` as an absolute link on this server."""
    return base_url() + "/" + relative.removeprefix("./").lstrip("/")


def _toml_value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(item) for item in value) + "]"
    return json.dumps(value)


def step_snippet(page: str, values: Mapping[str, Value]) -> str:
    """The ``[[assignment.step]]`` lines that open ``page`` with ``values``."""
    preset = ", ".join(f"{name} = {_toml_value(value)}" for name, value in values.items())
    return (
        f'[[assignment.step]]\npage = "{page}"\npreset = {{ {preset} }}\n'.replace("{  }", "{}")
        + "locked = []  # names of the controls students may not change"
    )


def setup_values(spec: PageControls, written: Mapping[str, str]) -> dict[str, Value]:
    """The values a page's URL texts (``page_setup``) stand for, checked by the page's
    declaration (a text it cannot read is left out)."""
    parsed = spec.parse_query({n: t for n, t in written.items() if n in spec.names})
    return {name: parsed.values[name] for name in spec.names if name in parsed.from_url}


def draw_link_builder(assignments: Sequence[Assignment]) -> None:
    """Links to hand out: an assignment and its steps, or a page's current setup."""
    st.subheader("An assignment")
    if assignments:
        chosen = st.selectbox(
            "Assignment",
            assignments,
            format_func=lambda a: f"{a.id}: {a.title}",
            key="instructor_assignment_link",
        )
        st.code(full_link(chosen.link()), language=None)
        st.caption(plain(due_line(chosen)))
        for step in chosen.steps:
            st.caption(f"Step {step.number}: {plain(step.title or get_page(step.page).title)}")
            st.code(full_link(chosen.step_link(step.number)), language=None)
    else:
        st.caption(f"No assignment in {assignments_path().name}.")
    st.subheader("A page's current setup")
    st.caption(
        "Set a page up (its controls are in its address), come back here, and copy its link, "
        "or paste the step into assignments.toml to preset (and lock) it for an assignment."
    )
    choices = [info for info in PAGES if ALL_PAGES[info.key].controls]
    info = st.selectbox("Page", choices, format_func=lambda i: i.title, key="instructor_page_link")
    spec = ALL_PAGES[info.key]
    values = setup_values(spec, page_setup(info.key))
    if not values:
        st.caption("Not opened in this session yet: the link opens the page's defaults.")
    try:
        link = spec.link(values)
    except ValueError as error:
        show_engine_error(error)
        return
    st.code(full_link(link), language=None)
    st.code(step_snippet(info.key, values), language="toml")


# --------------------------------------------------------------------------- gradebooks


def _csv_text(rows: Sequence[Sequence[str]]) -> str:
    stream = io.StringIO()
    csv.writer(stream).writerows(rows)
    return stream.getvalue()


def book_frame(book: Gradebook) -> pd.DataFrame:
    """The gradebook as a table (cells as the CSV has them)."""
    return pd.DataFrame(book.rows(), columns=book.header())


def draw_gradebook(rows: Sequence[LedgerRow], assignments: Sequence[Assignment]) -> None:
    """Assignment totals with late flags, and the per-question gradebook, with CSVs."""
    if not rows:
        st.info("No graded attempt recorded yet.", icon=":material/hourglass_empty:")
        return
    for assignment in assignments:
        grades = assignment_grades(assignment, rows)
        if not grades:
            continue
        st.subheader(plain(f"{assignment.title} ({assignment.id})"))
        st.caption(plain(due_line(assignment)))
        table = grades_table(assignment, grades)
        st.dataframe(pd.DataFrame(table[1:], columns=table[0]), hide_index=True, width="stretch")
        late = sum(1 for grade in grades if grade.late_attempts)
        if late:
            st.warning(f"{late} student(s) submitted after the due date.", icon=":material/alarm:")
        st.download_button(
            "Download CSV for Canvas or Moodle",
            data=_csv_text(table),
            file_name=f"gradebook-{assignment.id}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key=f"instructor_csv_{assignment.id}",
        )
    st.subheader("Every question")
    book = Gradebook.for_assignments(assignments)
    add_ledger(book, list(rows))
    _gradebook_table(book, "Download the question gradebook (CSV)", "gradebook.csv", "all")


def receipts_gradebook(
    files: Sequence[object], key: bytes, assignments: Sequence[Assignment] = ()
) -> Gradebook:
    """A gradebook of uploaded receipt files (objects with ``name``, ``size``, ``getvalue``):
    each is refused over 1 MB before it is read, verified with ``key``, forks flagged; the quiz
    sets of ``assignments`` give their titles, questions and points."""
    book = Gradebook.for_assignments(assignments)
    valid = []
    for item in list(files)[:MAX_RECEIPTS]:
        source = printable(getattr(item, "name", "receipt"), 120)
        size = getattr(item, "size", None)
        if not isinstance(size, int) or size > MAX_RECEIPT_BYTES:
            book.notes.append(f"{source}: left out, larger than {MAX_RECEIPT_BYTES:,} bytes")
            continue
        try:
            receipt = load_receipt(item.getvalue())  # type: ignore[attr-defined]
        except ValueError as error:
            book.notes.append(f"{source}: {error}")
            continue
        book.files_read += 1
        if check_receipt(book, source, receipt, key):
            valid.append((source, receipt))
    add_receipts(book, valid)
    return book


def draw_receipts(assignments: Sequence[Assignment]) -> None:
    """Upload receipts and get their gradebook (for a deployment without a database)."""
    st.caption(
        "For a deployment whose ledger is lost on restart: students hand in their receipts, "
        "and this builds the same gradebook as python -m quizzes grade."
    )
    key = secret_text(RECEIPT_SECRET)
    if key is None:
        st.warning("This server has no receipt_key: receipts cannot be verified.")
        return
    files = st.file_uploader(
        "Receipts (JSON)", type=["json"], accept_multiple_files=True, key="instructor_receipts"
    )
    if not files:
        return
    book = receipts_gradebook(files, key.encode("utf-8"), assignments)
    for note in book.notes:
        st.caption(plain(note))
    if not book.students:
        st.warning("No valid graded receipt.")
        return
    _gradebook_table(book, "Download gradebook CSV", "gradebook-receipts.csv", "receipts")


# --------------------------------------------------------------------------- item analysis


def first_try_chart(stats: Sequence[ItemStats]) -> alt.Chart:
    """Share correct at the first attempt per question (bars), mean attempts in the tooltip."""
    frame = pd.DataFrame(summary_table(stats))
    return (
        alt.Chart(frame, title="Correct at the first attempt")
        .mark_bar()
        .encode(
            x=alt.X(
                "first try correct:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            y=alt.Y("title:N", sort=None, title=None, axis=alt.Axis(labelLimit=280)),
            tooltip=[
                "title",
                "students",
                alt.Tooltip("first try correct:Q", format=".0%"),
                "mean attempts",
                alt.Tooltip("solved:Q", format=".0%"),
            ],
        )
    )


def wrong_answer_chart(stats: Sequence[ItemStats]) -> alt.Chart:
    """The most frequent wrong answers per question, coloured by the mistake they match."""
    frame = pd.DataFrame(wrong_answer_table(stats))
    titles = {item.question: item.title for item in stats}
    frame["title"] = frame["question"].map(titles)
    return (
        alt.Chart(frame, title="Most frequent wrong answers")
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title="wrong answers"),
            y=alt.Y("title:N", sort=None, title=None, axis=alt.Axis(labelLimit=280)),
            color=alt.Color("wrong answer:N", title="mistake"),
            tooltip=[
                "title",
                "wrong answer",
                "count",
                alt.Tooltip("share of wrong:Q", format=".0%"),
                "meaning",
            ],
        )
    )


def parameter_chart(item: ItemStats) -> alt.Chart:
    """The first-try share of one question by each parameter's value."""
    frame = pd.DataFrame(parameter_table([item]))
    return (
        alt.Chart(frame, title=f"{item.title}: correct at the first attempt, by parameter")
        .mark_bar()
        .encode(
            x=alt.X("value:N", sort=None, title=None),
            y=alt.Y(
                "first try correct:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            column=alt.Column("parameter:N", title=None),
            tooltip=[
                "parameter",
                "value",
                "students",
                alt.Tooltip("first try correct:Q", format=".0%"),
            ],
        )
        .resolve_scale(x="independent")
    )


def _scope_label(scope: tuple[str, str]) -> str:
    return f"{scope[0]} / {scope[1]}" if scope[0] else scope[1]


def draw_item_analysis(rows: Sequence[LedgerRow]) -> None:
    """Per question of one quiz or quiz set: first-try share, wrong answers, parameters."""
    if not rows:
        st.info("No graded attempt recorded yet.", icon=":material/hourglass_empty:")
        return
    scopes = sorted({(row.assignment, row.quiz) for row in rows})
    scope = st.selectbox(
        "Quiz (assignment / quiz set, or quiz)",
        scopes,
        format_func=_scope_label,
        key="instructor_scope",
    )
    chosen = [row for row in rows if (row.assignment, row.quiz) == scope]
    stats = item_analysis(chosen, params_from_seed(secret_text(VARIANT_SECRET)))
    show_chart(first_try_chart(stats))
    st.dataframe(pd.DataFrame(summary_table(stats)), hide_index=True, width="stretch")
    if any(item.wrong_answers for item in stats):
        show_chart(wrong_answer_chart(stats))
        st.dataframe(pd.DataFrame(wrong_answer_table(stats)), hide_index=True, width="stretch")
    with_parameters = [item for item in stats if item.by_parameter]
    if with_parameters:
        item = st.selectbox(
            "Question", with_parameters, format_func=lambda i: i.title, key="instructor_question"
        )
        show_chart(parameter_chart(item))


# --------------------------------------------------------------------------- the page


def draw_instructor_page() -> None:
    """The whole instructor page (after the gate)."""
    if not is_instructor():
        st.error("This page is for instructors.", icon=":material/lock:")
        st.stop()
    page_header(INSTRUCTOR_PAGE.key)
    assignments, _ = load()
    error = assignment_file_error()
    if error is not None:
        st.error(plain(error), icon=":material/error:")
        st.caption("Students get the free lab until the file is fixed.")
    else:
        st.caption(
            plain(f"{assignments_path().name}: {len(assignments)} assignment(s), no problem found.")
        )
    links, grades, receipts, analysis = st.tabs(["Links", "Gradebook", "Receipts", "Item analysis"])
    with links:
        draw_link_builder(list(assignments))
    try:
        rows = classroom_ledger().rows()
        problem = None
    except LedgerError as failure:
        rows, problem = [], str(failure)
    with grades:
        if problem:
            show_engine_error(ValueError(problem))
        else:
            draw_gradebook(rows, list(assignments))
    with receipts:
        draw_receipts(list(assignments))
    with analysis:
        if problem:
            show_engine_error(ValueError(problem))
        else:
            draw_item_analysis(rows)


def _gradebook_table(book: Gradebook, label: str, file_name: str, key: str) -> None:
    """A gradebook as a table and as a spreadsheet-safe CSV download."""
    st.dataframe(book_frame(book), hide_index=True, width="stretch")
    stream = io.StringIO()
    write_csv(book, stream)
    st.download_button(
        label,
        data=stream.getvalue(),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=f"instructor_csv_{key}",
    )
