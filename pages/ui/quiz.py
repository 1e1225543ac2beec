"""The quiz renderer shared by the five quiz pages (no grading logic here: see ``quizzes/``).

A page calls :func:`render_quiz` with a quiz id. The student is the sidebar's identity
(``pages.ui.student``: the signed-in account, or a typed name and student ID). The student's
:class:`QuizSession` lives in ``st.session_state`` under a key made of the mode, the quiz and the
student's identity key; its variants come from an HMAC keyed by ``st.secrets["variant_key"]``
(the page warns when there is none). In graded mode every counted attempt is appended to the
attempt ledger (``st.connection("sql")``, ``quizzes.ledger``) and the attempts are read back from
it on every run, so a reload, another tab or another server cannot reset them. Each question is
an ``st.form`` whose submit button grades in a callback, before the page is drawn, so the score
at the top is always current. Graded answers are revealed only as ``QuizSession.may_reveal``
allows (``st.secrets["reveal_answers"]``). Receipts: ``quizzes.receipts`` signed with
``st.secrets["receipt_key"]`` when the server has one (unsigned otherwise); "resume from a
receipt" refuses files over 1 MB before reading them, and in graded mode never changes the
ledger's attempts. Text from students (names, answers) is shown as text, never as markdown.
A graded quiz shows all its questions; Practice shows one at a time (a topic has up to 23).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import Any, Literal

import streamlit as st

import lab
from lab.validation import check_choice
from pages.ui.memo import arrow_table, page_of
from pages.ui.registry import get_page
from pages.ui.student import (
    RECEIPT_SECRET,
    REVEAL_SECRET,
    SELF_DECLARED_NOTE,
    VARIANT_SECRET,
    classroom_ledger,
    current_identity,
    secret_flag,
    secret_text,
    sign_in_configured,
)
from pages.ui.text import plain, show_engine_error
from pages.ui.widgets import current_page_key, draw_controls
from quizzes.bank import QUIZZES, get_quiz
from quizzes.grading import Grade, reveal
from quizzes.identity import ANONYMOUS, Identity
from quizzes.ledger import Ledger, LedgerError
from quizzes.pages import QUIZ_PAGES
from quizzes.parser import EXAMPLE_ANSWERS, EXAMPLE_FORMULAS, EXAMPLE_SCIENTIFIC
from quizzes.questions import ChoiceQuestion, NumericQuestion, Question, count_text
from quizzes.receipts import (
    MAX_RECEIPT_BYTES,
    load_receipt,
    make_receipt,
    receipt_to_json,
    restore_session,
)
from quizzes.session import MODES, QuizSession, new_nonce

Mode = Literal["graded", "practice"]

#: Session-state key of this browser session's nonce (recorded with every attempt).
NONCE_KEY = "_quiz_nonce"
PREDICTABLE_NOTE = (
    "Self-assessment mode: this server has no variant key, so anyone with the lab's public "
    "code can compute every student's numbers. Scores here are for your own practice."
)
NUMBER_HINT = (
    f"Type a number or a formula, e.g. {', '.join(EXAMPLE_ANSWERS[:-1])} or "
    f"{EXAMPLE_ANSWERS[-1]} (^ is a power, log is ln)."
)
#: The formulas named under every numeric answer box.
FORMULA_EXAMPLES = f"{EXAMPLE_FORMULAS[0]}, {EXAMPLE_FORMULAS[1]} or {EXAMPLE_SCIENTIFIC}"
_FEEDBACK_STATE = "_quiz_feedback"
_RESTORE_STATE = "_quiz_restore_message"
_STATUS_ICON = {
    "solved": ":green[:material/check_circle:]",
    "open": ":material/edit_note:",
    "closed": ":gray[:material/lock:]",
    "practice": ":orange[:material/replay:]",
}
_STATUS_TEXT = {
    "solved": "solved",
    "open": "open",
    "closed": "closed",
    "practice": "needs a new variant",
}
#: Columns of the progress table.
PROGRESS_COLUMNS = ("#", "question", "status", "attempts used", "attempts left", "score")
#: Session-state key of a quiz's "Progress per question" expander (its table is sent only
#: while it is open), followed by the quiz's ID.
PROGRESS_TABLE_KEY = "quiz_progress_table:"


# --------------------------------------------------------------------------- state


def receipt_secret() -> str | None:
    """The receipt signing key from ``st.secrets``, or None (no secrets file, no such key)."""
    return secret_text(RECEIPT_SECRET)


def variant_secret() -> str | None:
    """The variant key from ``st.secrets``, or None (variants are then predictable)."""
    return secret_text(VARIANT_SECRET)


def session_nonce() -> str:
    """This browser session's nonce, drawn on first use."""
    nonce = st.session_state.get(NONCE_KEY)
    if not isinstance(nonce, str):
        nonce = st.session_state[NONCE_KEY] = new_nonce()
    return nonce


def quiz_session_key(
    student_key: str, quiz_id: str, mode: Mode = "graded", assignment: str = ""
) -> str:
    """The session-state key of one student's session of one quiz in one mode (and
    assignment). ``student_key`` is the identity key (``Identity.key``, ``anonymous``)."""
    check_choice("mode", mode, MODES)
    scope = f"{assignment}/{quiz_id}" if assignment else quiz_id
    return f"quiz_session:{mode}:{scope}:{student_key}"


def get_quiz_session(
    identity: Identity,
    quiz_id: str,
    mode: Mode = "graded",
    *,
    ledger: Ledger | None = None,
    assignment: str = "",
    due: datetime | None = None,
    question_ids: Sequence[str] | None = None,
    schedule: Sequence[float] | None = None,
) -> QuizSession:
    """The student's session of ``quiz_id`` from ``st.session_state``, created on first use.

    A graded session gets the ledger and reads its attempts from it on every call.
    """
    key = quiz_session_key(identity.key, quiz_id, mode, assignment)
    session = st.session_state.get(key)
    ledger = ledger if mode == "graded" else None
    if not isinstance(session, QuizSession):
        extra = {} if schedule is None else {"schedule": schedule}
        session = QuizSession(
            identity,
            quiz_id,
            mode,
            **extra,
            assignment=assignment,
            question_ids=question_ids,
            variant_key=variant_secret(),
            ledger=ledger,
            nonce=session_nonce(),
            due=due,
            reveal_closed=secret_flag(REVEAL_SECRET),
        )
        st.session_state[key] = session
    else:
        session.ledger = ledger
        session.sync()
    return session


def _feedback(key: str) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, dict[str, Any]]] = st.session_state.setdefault(_FEEDBACK_STATE, {})
    return store.setdefault(key, {})


def answer_key(session_key: str, question_id: str, variant: int) -> str:
    """The widget key of a question's answer box (new per variant, so old text goes away)."""
    return f"quiz_answer:{session_key}:{question_id}:{variant}"


def submit_key(session_key: str, question_id: str, variant: int) -> str:
    """The widget key of a question's submit button."""
    return f"quiz_submit:{session_key}:{question_id}:{variant}"


def new_variant_key(session_key: str, question_id: str) -> str:
    """The widget key of a practice question's "new variant" button."""
    return f"quiz_new:{session_key}:{question_id}"


def question_choice_key(session_key: str) -> str:
    """The widget key of Practice's question picker (one question is shown at a time)."""
    return f"quiz_question:{session_key}"


def step_key(session_key: str, offset: int) -> str:
    """The widget key of Practice's "previous" (-1) or "next" (+1) question button."""
    return f"quiz_step:{session_key}:{offset:+d}"


def upload_key(session_key: str) -> str:
    """The widget key of the "resume from a receipt" uploader."""
    return f"quiz_upload:{session_key}"


def last_grade(session_key: str, question_id: str, variant: int) -> Grade | None:
    """The grade of the last submission on this variant, if any."""
    entry = _feedback(session_key).get(question_id)
    if entry is None or entry.get("variant") != variant:
        return None
    return Grade.from_dict(entry["grade"])


# --------------------------------------------------------------------------- callbacks


def _submit(session_key: str, question_id: str, widget: str) -> None:
    session: QuizSession = st.session_state[session_key]
    answer = st.session_state.get(widget)
    if answer is None:
        answer = ""
    try:
        result = session.submit(question_id, list(answer) if isinstance(answer, list) else answer)
    except LedgerError as error:
        result = Grade(
            "invalid",
            0.0,
            f"Not recorded, try again in a moment: {error}",
            counts_as_attempt=False,
        )
    _feedback(session_key)[question_id] = {
        "variant": session.current_variant(question_id),
        "grade": result.to_dict(),
    }


def _new_variant(session_key: str, question_id: str) -> None:
    session: QuizSession = st.session_state[session_key]
    session.new_variant(question_id)
    _feedback(session_key).pop(question_id, None)


def _step(choice_key: str, question_ids: tuple[str, ...], offset: int) -> None:
    current = st.session_state.get(choice_key)
    index = question_ids.index(current) if current in question_ids else 0
    st.session_state[choice_key] = question_ids[min(max(index + offset, 0), len(question_ids) - 1)]


def _restore(session_key: str, uploader_key: str, quiz_id: str, mode: str) -> None:
    uploaded = st.session_state.get(uploader_key)
    if uploaded is None:
        st.session_state.pop(_RESTORE_STATE, None)
        return
    current: QuizSession = st.session_state[session_key]
    try:
        # Refused before a byte is decoded: a receipt is about 10 KB.
        size = getattr(uploaded, "size", None)
        if not isinstance(size, int) or size > MAX_RECEIPT_BYTES:
            raise ValueError(
                f"this file is larger than {MAX_RECEIPT_BYTES // 1_000_000} MB; a receipt is "
                "about 10 KB"
            )
        receipt = load_receipt(uploaded.getvalue())
        restored = restore_session(
            receipt,
            receipt_secret(),
            variant_key=variant_secret(),
            ledger=current.ledger,
            nonce=current.nonce,
        )
        if (restored.quiz_id, restored.mode, restored.assignment) != (
            quiz_id,
            mode,
            current.assignment,
        ):
            raise ValueError(
                f"this receipt is for the {restored.mode} quiz {restored.quiz_id!r}, "
                f"not this page's {mode} quiz {quiz_id!r}"
            )
        if restored.student_key != current.student_key:
            raise ValueError(
                f"this receipt belongs to {restored.student!r} ({restored.student_id or 'no ID'}),"
                " not to the student in the sidebar"
            )
    except (ValueError, LedgerError) as error:
        st.session_state[_RESTORE_STATE] = ("error", _one_line(error))
        return
    restored.due, restored.reveal_closed = current.due, current.reveal_closed
    st.session_state[session_key] = restored
    _feedback(session_key).clear()
    progress = restored.progress()
    summary = (
        f"{progress.score:.2f} of {count_text(progress.max_score, 'point')}, "
        f"{count_text(progress.attempts_used, 'attempt')}"
    )
    if restored.recorded:
        message = (
            f"Receipt checked. Your attempts are the ones this server recorded, not the "
            f"receipt's: {summary}."
        )
    else:
        message = f"Progress restored: {summary}."
    st.session_state[_RESTORE_STATE] = ("success", message)


def _one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else "The receipt could not be read."
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- drawing


def _status(session: QuizSession, question_id: str) -> str:
    state = session.state(question_id)
    if state.solved:
        return "solved"
    if session.can_submit(question_id):
        return "open"
    return "practice" if session.mode == "practice" else "closed"


def render_progress(session: QuizSession) -> None:
    """Score bar, counts and the per-question table."""
    progress = session.progress()
    fraction = progress.score / progress.max_score if progress.max_score else 0.0
    st.progress(
        min(max(fraction, 0.0), 1.0),
        text=f"Score {progress.score:.2f} of {count_text(progress.max_score, 'point')}",
    )
    solved, answered, attempts = st.columns(3)
    solved.metric("Solved", f"{progress.solved} / {progress.total}")
    answered.metric("Questions tried", f"{progress.answered} / {progress.total}")
    attempts.metric("Attempts used", progress.attempts_used)
    # Lazy: the table is sent only while the expander is open.
    table = st.expander(
        "Progress per question", key=PROGRESS_TABLE_KEY + session.quiz_id, on_change="rerun"
    )
    if not table.open:
        return
    rows = [
        (
            index,
            row.title,
            _STATUS_TEXT[_status(session, row.question_id)],
            row.attempts_used,
            row.attempts_left,
            float(row.score),
        )
        for index, row in enumerate(progress.questions, start=1)
    ]
    # An Arrow table: st.dataframe sends it as it is (a pandas one is converted each run).
    table.dataframe(
        arrow_table(rows, PROGRESS_COLUMNS),
        hide_index=True,
        width="stretch",
        column_config={
            "score": st.column_config.ProgressColumn(
                "score", min_value=0.0, max_value=1.0, format="%.2f"
            )
        },
    )


def _answer_widget(question: Question, params: dict, key: str) -> None:
    if isinstance(question, NumericQuestion):
        st.text_input(
            "Your answer",
            key=key,
            placeholder="a number or a formula",
            help=NUMBER_HINT,
        )
        st.caption(f"{question.grading_rule} Formulas such as {FORMULA_EXAMPLES} are fine.")
        return
    assert isinstance(question, ChoiceQuestion)
    options = question.option_list(params)
    texts = dict(options)
    ids = [option_id for option_id, _ in options]
    if question.multi_select:
        st.multiselect(
            "Select all that apply", ids, format_func=texts.get, key=key, placeholder="Choose"
        )
    else:
        st.radio("Your answer", ids, index=None, format_func=texts.get, key=key)


def _show_grade(result: Grade) -> None:
    if result.status == "invalid":
        # The parser's message may quote a character or a name from the student's answer.
        st.info(plain(result.message), icon=":material/help:")
    elif result.status == "correct":
        # Only numeric grades carry an exact value; a choice's answer is the option itself.
        exact = f" Exact value: **{result.exact_value}**." if result.exact_value else ""
        st.success(f"{result.message}{exact}", icon=":material/check_circle:")
    else:
        st.warning(result.message, icon=":material/cancel:")
    if result.feedback:
        st.markdown(f":material/lightbulb: {result.feedback}")
    if result.note:
        st.info(plain(result.note), icon=":material/replay:")
    parts = []
    if result.attempt is not None:
        parts.append(f"attempt {result.attempt}")
    if result.credit is not None and result.status != "invalid":
        parts.append(f"credit {result.credit:.2f}")
    if result.attempts_left is not None and result.status != "correct":
        parts.append(f"{count_text(result.attempts_left, 'attempt')} left on this variant")
    if not result.counts_as_attempt and not result.note:
        parts.append("this did not use an attempt")
    st.caption(" · ".join(parts).capitalize())


def _attempt_history(session: QuizSession, question_id: str) -> None:
    attempts = session.state(question_id).attempts_on_variant()
    if not attempts:
        return
    marks = {"correct": "right", "incorrect": "wrong"}
    shown = []
    for attempt in attempts:
        answer = attempt.answer if isinstance(attempt.answer, str) else ", ".join(attempt.answer)
        late = " (late)" if attempt.late else ""
        # The answer is the student's own text: escaped, never markdown.
        shown.append(
            f"{plain(answer)} {marks.get(attempt.status, '')}, credit {attempt.credit:.2f}{late}"
        )
    st.caption("Your attempts: " + "; ".join(shown))


def render_question(session: QuizSession, session_key: str, index: int, question_id: str) -> None:
    """One question: prompt, answer form, last grade, and once closed the solution."""
    question = session.question(question_id)
    params = session.current_params(question_id)
    variant = session.current_variant(question_id)
    status = _status(session, question_id)
    with st.container(border=True):
        variant_text = f" · variant {variant + 1}" if session.mode == "practice" else ""
        st.markdown(
            f"{_STATUS_ICON[status]} **{index}. {question.title}** "
            f":gray[· {question.difficulty_label}{variant_text}]"
        )
        st.markdown(question.render_prompt(params))
        widget = answer_key(session_key, question_id, variant)
        if status == "open":
            with st.form(key=f"quiz_form:{session_key}:{question_id}:{variant}", border=False):
                _answer_widget(question, params, widget)
                st.form_submit_button(
                    "Submit",
                    key=submit_key(session_key, question_id, variant),
                    type="primary",
                    on_click=_submit,
                    args=(session_key, question_id, widget),
                )
        result = last_grade(session_key, question_id, variant)
        if result is not None:
            _show_grade(result)
        _attempt_history(session, question_id)
        if status != "open":
            if session.may_reveal(question_id):
                if not session.state(question_id).solved:
                    st.markdown(f"**Answer:** {reveal(question, params)}")
                st.markdown(f"**Solution.** {question.render_explanation(params)}")
            else:
                st.caption(_hidden_answer_note(session))
        _question_footer(session, session_key, question, params, status)


def _hidden_answer_note(session: QuizSession) -> str:
    if session.mode == "practice":
        return (
            "This question is the same in a graded quiz, so its answer is not shown here: "
            "try a new variant, or read its page."
        )
    if session.due is not None:
        return "The answer and the solution are shown after the due date."
    return "Graded quizzes on this server do not show answers. Ask your instructor."


def simulation_link(question: Question, params: dict) -> None:
    """The "Explore this in ..." link of a question: its page opened with the values the
    question's declaration-checked link sets (``Question.page_link``), and what it shows."""
    try:
        link = question.page_link(params)
    except ValueError as error:
        show_engine_error(ValueError(f"the simulation link cannot be built: {error}"))
        return
    if link is None:
        return
    page_key, query = link
    info = get_page(page_key)
    st.page_link(
        page_of(info),
        label=f"Explore this in {info.title}",
        icon=info.icon,
        help=question.link_help(params),
        query_params=query,
    )


def _question_footer(
    session: QuizSession, session_key: str, question: Question, params: dict, status: str
) -> None:
    # Practice: the link and the "new variant" button in one row (one block, where columns
    # would send three for each of the page's questions); graded: the link alone.
    row = (
        st.container(horizontal=True, vertical_alignment="center", gap="medium")
        if session.mode == "practice"
        else nullcontext()
    )
    with row:
        # A simulation shows the numbers a question asks for: a graded question links to it
        # only when its answer may be shown, and so does a practice question whose variant is
        # also a graded one.
        practice = session.mode == "practice" and not session.same_as_graded(question.id)
        if practice or session.may_reveal(question.id):
            simulation_link(question, params)
        elif question.page is not None and status == "open":
            st.caption("The simulation of this question opens here once it is answered.")
        if session.mode == "practice":
            st.button(
                "Try a new variant" if status != "open" else "New variant",
                key=new_variant_key(session_key, question.id),
                icon=":material/refresh:",
                on_click=_new_variant,
                args=(session_key, question.id),
            )


def render_receipt_tools(session: QuizSession, session_key: str) -> None:
    """Sidebar: download a receipt of this session, or resume from one."""
    secret = receipt_secret()
    st.subheader("Receipt")
    try:
        receipt = make_receipt(session, secret, lab.__version__)
        data = receipt_to_json(receipt)
    except ValueError as error:
        show_engine_error(error)
    else:
        slug = re.sub(r"[^a-z0-9]+", "-", session.student_key.casefold()).strip("-") or "student"
        st.download_button(
            "Download receipt",
            data=data,
            file_name=f"receipt-{session.quiz_id}-{slug}.json",
            mime="application/json",
            icon=":material/download:",
            on_click="ignore",
            key=f"quiz_download:{session_key}",
        )
    if secret is None:
        st.caption("This server has no signing key: receipts are unsigned.")
    uploader_key = upload_key(session_key)
    st.file_uploader(
        "Resume from a receipt",
        type=["json"],
        key=uploader_key,
        on_change=_restore,
        args=(session_key, uploader_key, session.quiz_id, session.mode),
        help="Upload a receipt downloaded from this quiz to continue where you stopped "
        "(at most 1 MB). Graded attempts are kept on the server: a receipt never resets them.",
    )
    message = st.session_state.get(_RESTORE_STATE)
    if message is not None:
        kind, text = message
        # Messages quote names from the receipt: shown as text.
        if kind == "error":
            st.error(plain(text), icon=":material/gpp_bad:")
        else:
            st.success(plain(text), icon=":material/restore:")


def render_quiz(
    quiz_id: str,
    mode: Mode = "graded",
    *,
    assignment: str = "",
    due: datetime | None = None,
    question_ids: Sequence[str] | None = None,
    schedule: Sequence[float] | None = None,
) -> QuizSession | None:
    """Draw a whole quiz for the sidebar's student; returns the session (None: no student).

    Graded quizzes need an identity (sign-in, or a typed name and student ID) and the attempt
    ledger; practice runs as ``anonymous`` without an identity and keeps no ledger. An
    assignment passes its id, due date, questions and credit schedule.
    """
    title = QUIZZES[quiz_id].title if quiz_id in QUIZZES else quiz_id
    if question_ids is None:
        get_quiz(quiz_id)
    check_choice("mode", mode, MODES)
    page = QUIZ_PAGES.get(current_page_key())
    if page is not None and not page.controls:
        # A graded quiz page declares no controls: any URL parameter but the shell's gets the
        # one-line warning every page gives (Practice draws its own controls).
        draw_controls(page)
    identity = current_identity()
    if identity is None and mode == "graded":
        if sign_in_configured():
            text = "Sign in (sidebar) to start this quiz."
        else:
            text = (
                "Enter your name and student ID in the sidebar to start this quiz. The ID "
                "decides your numbers and keeps your attempts."
            )
        st.info(text, icon=":material/badge:")
        return None
    if identity is None:
        st.caption("Practising anonymously: enter your name and ID in the sidebar for a receipt.")
        identity = ANONYMOUS
    if variant_secret() is None and mode == "graded":
        st.warning(PREDICTABLE_NOTE, icon=":material/lock_open:")
    if mode == "graded" and not identity.verified:
        st.caption(SELF_DECLARED_NOTE)
    ledger = None
    if mode == "graded":
        try:
            ledger = classroom_ledger()
        except LedgerError as error:
            show_engine_error(ValueError(f"{error}. Graded quizzes need it to keep attempts."))
            return None
    try:
        session_key = quiz_session_key(identity.key, quiz_id, mode, assignment)
        session = get_quiz_session(
            identity,
            quiz_id,
            mode,
            ledger=ledger,
            assignment=assignment,
            due=due,
            question_ids=question_ids,
            schedule=schedule,
        )
    except (ValueError, LedgerError) as error:
        show_engine_error(ValueError(str(error)))
        return None
    with st.sidebar:
        render_receipt_tools(session, session_key)
    render_progress(session)
    if session.is_finished():
        st.success("Quiz finished: download your receipt in the sidebar.", icon=":material/flag:")
    st.caption(
        f"{title}: {count_text(len(session.question_ids), 'question')}, "
        f"{count_text(len(session.schedule), 'attempt')} each, credit "
        f"{' / '.join(f'{x:.0%}' for x in session.schedule)} by attempt."
    )
    if session.mode == "practice":
        render_one_question(session, session_key)
        return session
    for index, question_id in enumerate(session.question_ids, start=1):
        _render_or_explain(session, session_key, index, question_id)
    return session


def _render_or_explain(
    session: QuizSession, session_key: str, index: int, question_id: str
) -> None:
    try:
        render_question(session, session_key, index, question_id)
    except (ValueError, KeyError, TypeError) as error:
        show_engine_error(ValueError(f"question {index} cannot be shown: {error}"))


def render_one_question(session: QuizSession, session_key: str) -> None:
    """Practice: a picker, the chosen question, and buttons to the previous and next one.

    One question at a time keeps a page run small (a topic has up to 23 questions); the
    progress table above still lists every question's status.
    """
    question_ids = tuple(session.question_ids)
    choice_key = question_choice_key(session_key)
    if st.session_state.get(choice_key) not in question_ids:
        st.session_state[choice_key] = question_ids[0]
    titles = {
        question_id: f"{index}. {session.question(question_id).title}"
        for index, question_id in enumerate(question_ids, start=1)
    }
    chosen = st.selectbox(
        "Question",
        question_ids,
        format_func=titles.__getitem__,
        key=choice_key,
        help="One question at a time: the table above shows where you are in each of them.",
        persist_state="session",  # back from a question's simulation link, on the same question
    )
    index = question_ids.index(chosen)
    _render_or_explain(session, session_key, index + 1, chosen)
    with st.container(horizontal=True, gap="small"):
        for offset, label, icon in (
            (-1, "Previous question", ":material/arrow_back:"),
            (1, "Next question", ":material/arrow_forward:"),
        ):
            st.button(
                label,
                key=step_key(session_key, offset),
                icon=icon,
                disabled=not 0 <= index + offset < len(question_ids),
                on_click=_step,
                args=(choice_key, question_ids, offset),
            )
