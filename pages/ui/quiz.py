"""The quiz renderer shared by the five quiz pages (no grading logic here: see ``quizzes/``).

A page calls :func:`render_quiz` with a quiz id. The student's :class:`QuizSession` lives in
``st.session_state`` under a key made of the mode, the quiz and the normalized student name, so
moving between pages keeps the progress, and the variants (derived by ``quizzes.session`` from
student, quiz, question and variant number) stay the same after a reload. Each question is an
``st.form`` whose submit button grades in a callback, before the page is drawn, so the score at
the top is always current. Receipts: ``quizzes.receipts`` signed with ``st.secrets["receipt_key"]``
when the server has one (unsigned otherwise), and "resume from receipt" restores a session.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pandas as pd
import streamlit as st

import lab
from lab.validation import check_choice
from pages.ui.registry import get_page
from pages.ui.student import STUDENT_KEY, current_student
from pages.ui.text import show_engine_error
from quizzes.bank import QUIZZES, get_quiz
from quizzes.grading import Grade, reveal
from quizzes.questions import ChoiceQuestion, NumericQuestion, Question
from quizzes.receipts import (
    load_receipt,
    make_receipt,
    receipt_to_json,
    restore_session,
)
from quizzes.session import MODES, QuizSession, normalize_student

Mode = Literal["graded", "practice"]

#: Student name used in practice mode when the sidebar box is empty.
ANONYMOUS = "anonymous"
#: Secret name of the receipt signing key (``.streamlit/secrets.toml``).
RECEIPT_SECRET = "receipt_key"
NUMBER_HINT = (
    "Type a number or a formula, e.g. 0.0039, 3.9e-3, 2/512, sqrt(6/1536) or 2^-5 "
    "(^ is a power, log is ln)."
)
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


# --------------------------------------------------------------------------- state


def receipt_secret() -> str | None:
    """The receipt signing key from ``st.secrets``, or None (no secrets file, no such key)."""
    try:
        value = st.secrets.get(RECEIPT_SECRET)
    except (FileNotFoundError, KeyError, AttributeError, TypeError, ValueError):
        return None
    return value if isinstance(value, str) and value.strip() else None


def quiz_session_key(student: str, quiz_id: str, mode: Mode = "graded") -> str:
    """The session-state key of one student's session of one quiz in one mode."""
    check_choice("quiz_id", quiz_id, QUIZZES)
    check_choice("mode", mode, MODES)
    return f"quiz_session:{mode}:{quiz_id}:{normalize_student(student)}"


def get_quiz_session(student: str, quiz_id: str, mode: Mode = "graded") -> QuizSession:
    """The student's session of ``quiz_id`` from ``st.session_state``, created on first use."""
    key = quiz_session_key(student, quiz_id, mode)
    session = st.session_state.get(key)
    if not isinstance(session, QuizSession):
        session = QuizSession(student, quiz_id, mode)
        st.session_state[key] = session
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
    result = session.submit(question_id, list(answer) if isinstance(answer, list) else answer)
    _feedback(session_key)[question_id] = {
        "variant": session.current_variant(question_id),
        "grade": result.to_dict(),
    }


def _new_variant(session_key: str, question_id: str) -> None:
    session: QuizSession = st.session_state[session_key]
    session.new_variant(question_id)
    _feedback(session_key).pop(question_id, None)


def _restore(session_key: str, uploader_key: str, quiz_id: str, mode: str) -> None:
    uploaded = st.session_state.get(uploader_key)
    if uploaded is None:
        st.session_state.pop(_RESTORE_STATE, None)
        return
    try:
        receipt = load_receipt(uploaded.getvalue())
        restored = restore_session(receipt, receipt_secret())
        if restored.quiz_id != quiz_id or restored.mode != mode:
            raise ValueError(
                f"this receipt is for the {restored.mode} quiz {restored.quiz_id!r}, "
                f"not this page's {mode} quiz {quiz_id!r}"
            )
        student = str(st.session_state.get(STUDENT_KEY, "") or "").strip() or ANONYMOUS
        if restored.student_key != normalize_student(student):
            raise ValueError(
                f"this receipt belongs to {restored.student!r}; enter that name in the "
                "sidebar first"
            )
    except ValueError as error:
        st.session_state[_RESTORE_STATE] = ("error", _one_line(error))
        return
    st.session_state[session_key] = restored
    _feedback(session_key).clear()
    progress = restored.progress()
    st.session_state[_RESTORE_STATE] = (
        "success",
        f"Progress restored: {progress.score:.2f} of {progress.max_score:.0f} points, "
        f"{progress.attempts_used} attempts.",
    )


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
        text=f"Score {progress.score:.2f} of {progress.max_score:.0f} points",
    )
    solved, answered, attempts = st.columns(3)
    solved.metric("Solved", f"{progress.solved} / {progress.total}")
    answered.metric("Questions tried", f"{progress.answered} / {progress.total}")
    attempts.metric("Attempts used", progress.attempts_used)
    rows = [
        {
            "#": index,
            "question": row.title,
            "status": _STATUS_TEXT[_status(session, row.question_id)],
            "attempts used": row.attempts_used,
            "attempts left": row.attempts_left,
            "score": row.score,
        }
        for index, row in enumerate(progress.questions, start=1)
    ]
    with st.expander("Progress per question"):
        st.dataframe(
            pd.DataFrame(rows),
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
        st.caption(
            f"Graded {question.tolerance_description} of the exact value. Formulas such as "
            "2/512, sqrt(6/1536) or 3.9e-3 are fine."
        )
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
        st.info(result.message, icon=":material/help:")
    elif result.status == "correct":
        exact = f" Exact value: **{result.exact_value}**." if result.exact_value else ""
        st.success(f"{result.message}{exact}", icon=":material/check_circle:")
    else:
        st.warning(result.message, icon=":material/cancel:")
    if result.feedback:
        st.markdown(f":material/lightbulb: {result.feedback}")
    parts = []
    if result.attempt is not None:
        parts.append(f"attempt {result.attempt}")
    if result.credit is not None and result.status != "invalid":
        parts.append(f"credit {result.credit:.2f}")
    if result.attempts_left is not None and result.status != "correct":
        left = result.attempts_left
        parts.append(f"{left} attempt{'' if left == 1 else 's'} left on this variant")
    if not result.counts_as_attempt:
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
        shown.append(f"`{answer}` {marks.get(attempt.status, '')}, credit {attempt.credit:.2f}")
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
            if not session.state(question_id).solved:
                st.markdown(f"**Answer:** {reveal(question, params)}")
            st.markdown(f"**Solution.** {question.render_explanation(params)}")
        _question_footer(session, session_key, question, params, status)


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
        info.path,
        label=f"Explore this in {info.title}",
        icon=info.icon,
        help=question.link_help(params),
        query_params=query,
    )


def _question_footer(
    session: QuizSession, session_key: str, question: Question, params: dict, status: str
) -> None:
    columns = st.columns(2) if session.mode == "practice" else [st.container()]
    with columns[0]:
        # A simulation shows the numbers a question asks for: graded questions link to it only
        # once they are closed.
        if session.mode == "practice" or status != "open":
            simulation_link(question, params)
        elif question.page is not None:
            st.caption("The simulation of this question opens here once it is answered.")
    if session.mode == "practice":
        with columns[-1]:
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
        slug = re.sub(r"[^a-z0-9]+", "-", session.student_key).strip("-") or "student"
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
        help="Upload a receipt downloaded from this quiz to continue where you stopped.",
    )
    message = st.session_state.get(_RESTORE_STATE)
    if message is not None:
        kind, text = message
        if kind == "error":
            st.error(text, icon=":material/gpp_bad:")
        else:
            st.success(text, icon=":material/restore:")


def render_quiz(quiz_id: str, mode: Mode = "graded") -> QuizSession | None:
    """Draw a whole quiz for the sidebar's student; returns the session (None: no student).

    Graded quizzes need a student name; practice runs as ``ANONYMOUS`` without one.
    """
    quiz = get_quiz(quiz_id)
    check_choice("mode", mode, MODES)
    student = current_student()
    if not student and mode == "graded":
        st.info(
            "Enter your name or student ID in the sidebar to start this quiz. It decides "
            "your numbers and is printed on your receipt.",
            icon=":material/badge:",
        )
        return None
    if not student:
        st.caption("Practising anonymously: enter a name in the sidebar to keep a receipt.")
    name = student or ANONYMOUS
    try:
        session_key = quiz_session_key(name, quiz_id, mode)
        session = get_quiz_session(name, quiz_id, mode)
    except ValueError as error:
        show_engine_error(error)
        return None
    with st.sidebar:
        render_receipt_tools(session, session_key)
    render_progress(session)
    if session.is_finished():
        st.success("Quiz finished: download your receipt in the sidebar.", icon=":material/flag:")
    st.caption(
        f"{quiz.title}: {len(session.question_ids)} questions, "
        f"{len(session.schedule)} attempts each, credit "
        f"{' / '.join(f'{x:.0%}' for x in session.schedule)} by attempt."
    )
    for index, question_id in enumerate(session.question_ids, start=1):
        try:
            render_question(session, session_key, index, question_id)
        except (ValueError, KeyError, TypeError) as error:
            show_engine_error(ValueError(f"question {index} cannot be shown: {error}"))
    return session
