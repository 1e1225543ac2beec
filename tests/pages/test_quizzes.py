"""AppTest of the five quiz pages and the shared renderer pages/ui/quiz.py.

The pages run inside the navigation app (streamlit_app.py draws the sidebar's student box), so
every test starts the shell, types a student name and switches page. Paths are relative to
this file. Expected answers come from the session's own params and the template's engine
answer, never from typed-in numbers.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

import lab
from pages.ui.quiz import (
    PROGRESS_TABLE_KEY,
    answer_key,
    new_variant_key,
    question_choice_key,
    step_key,
    submit_key,
    upload_key,
)
from pages.ui.quiz import quiz_session_key as page_session_key
from pages.ui.registry import PAGES
from pages.ui.student import STUDENT_ID_KEY, STUDENT_KEY
from pages.ui.widgets import widget_key
from quizzes.identity import ANONYMOUS, Identity, self_declared_identity
from quizzes.receipts import load_receipt, make_receipt, receipt_to_json, verify_receipt
from quizzes.session import QuizSession
from tests.pages.deep_links import unused_parameter_warnings

TIMEOUT = 30
SECRET = "test-receipt-key"
#: The deployment's variant key in these tests (without one the page warns on every run).
VARIANT_KEY = "test-variant-key"
QUIZ_PAGES = {
    "formulas": "pages/quiz_formulas.py",
    "signal": "pages/quiz_signal.py",
    "quantization": "pages/quiz_quantization.py",
    "review": "pages/quiz_review.py",
}
PRACTICE_PAGE = "pages/quiz_practice.py"
#: Different wrong answers: a repeated one uses no attempt.
WRONGS = ("123", "456", "789")


class _RecordingStorage(MemoryMediaFileStorage):
    """The media storage AppTest creates, remembered so a test can read a download's bytes."""

    instances: list[MemoryMediaFileStorage] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _RecordingStorage.instances.append(self)


@pytest.fixture(autouse=True)
def record_downloads(monkeypatch):
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", _RecordingStorage)
    _RecordingStorage.instances.clear()


@pytest.fixture(autouse=True)
def own_ledger(monkeypatch, tmp_path):
    """Each test's app keeps its attempt ledger (the default SQLite file) in tmp_path."""
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))


def student_id_of(student: str) -> str:
    """The student ID these tests type beside a name: the name's letters and digits."""
    return re.sub(r"[^A-Za-z0-9]+", ".", student).strip(".") or "x"


def identity_of(student: str) -> Identity:
    """The identity the page builds from a name typed by :func:`open_page`."""
    if student == ANONYMOUS.key:
        return ANONYMOUS
    return self_declared_identity(student, student_id_of(student))


def quiz_session_key(student: str, quiz_id: str, mode: str = "graded") -> str:
    """The page's session-state key of the student :func:`open_page` typed in."""
    return page_session_key(identity_of(student).key, quiz_id, mode)


def open_page(page: str, student: str = "", secret: str | None = None, **secrets) -> AppTest:
    """The app on ``page``, with ``student``'s name and ID typed in the sidebar."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets["variant_key"] = VARIANT_KEY
    if secret is not None:
        at.secrets["receipt_key"] = secret
    at.secrets.update(secrets)
    at.run()
    if student:
        at.sidebar.text_input(key=STUDENT_KEY).input(student)
        at.sidebar.text_input(key=STUDENT_ID_KEY).input(student_id_of(student)).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def session_of(at: AppTest, student: str, quiz_id: str, mode: str = "graded") -> QuizSession:
    return at.session_state[quiz_session_key(student, quiz_id, mode)]


def answer(at: AppTest, student: str, quiz_id: str, question_id: str, text, mode="graded"):
    """Type (or pick) an answer to one question and press its Submit button."""
    skey = quiz_session_key(student, quiz_id, mode)
    variant = session_of(at, student, quiz_id, mode).current_variant(question_id)
    key = answer_key(skey, question_id, variant)
    if isinstance(text, str):
        at.text_input(key=key).input(text)
    elif isinstance(text, list):
        at.multiselect(key=key).set_value(text)
    else:
        at.radio(key=key).set_value(text[0])
    at.button(key=submit_key(skey, question_id, variant)).click().run()
    assert not at.exception
    return at


def correct_text(session: QuizSession, question_id: str) -> str:
    question = session.question(question_id)
    return repr(question.correct_value(session.current_params(question_id)))


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def download_bytes(at: AppTest) -> bytes:
    (button,) = at.get("download_button")
    filename = button.proto.url.rsplit("/", 1)[-1]
    for storage in reversed(_RecordingStorage.instances):
        try:
            return storage.get_file(filename).content
        except Exception:  # noqa: BLE001 - the file is in one of the recorded storages
            continue
    raise AssertionError(f"download file {filename} not found")


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("quiz_id", QUIZ_PAGES)
def test_quiz_page_shows_every_question_for_a_student(quiz_id: str) -> None:
    at = open_page(QUIZ_PAGES[quiz_id], "Ada Lovelace")
    info = next(p for p in PAGES if p.file == QUIZ_PAGES[quiz_id])
    assert at.title[0].value == info.title
    session = session_of(at, "Ada Lovelace", quiz_id)
    n = len(session.question_ids)
    assert n >= 9
    submits = [b for b in at.button if b.key and b.key.startswith("quiz_submit:")]
    assert len(submits) == n  # one form per question
    assert "Score 0.00 of" in progress_text(at)
    assert not at.error
    # The per-question table is sent only while its expander is open.
    assert not at.dataframe
    at.session_state[PROGRESS_TABLE_KEY + quiz_id] = True
    at.run()
    (table,) = at.dataframe
    assert list(table.value["question"]) == [
        session.question(question_id).title for question_id in session.question_ids
    ]
    assert set(table.value["status"]) == {"open"}


def test_graded_quiz_without_a_name_asks_for_one() -> None:
    at = open_page(QUIZ_PAGES["formulas"])
    assert any("Enter your name" in box.value for box in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("quiz_submit:")]


def test_right_answer_scores_full_credit_and_shows_the_exact_value() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    session = session_of(at, "Ada", "formulas")
    params = session.current_params("he_variance")
    answer(at, "Ada", "formulas", "he_variance", f"2/{params['fan_in']}")
    success = [box.value for box in at.success]
    exact = session.question("he_variance").correct_text(params)
    assert any("Correct" in text and exact in text for text in success)
    assert "Score 1.00 of 23" in progress_text(at)
    assert session_of(at, "Ada", "formulas").question_score("he_variance") == 1.0
    # closed: the form is gone and the solution shows
    assert not [b for b in at.button if b.key and ":he_variance:" in b.key]
    assert any(m.value.startswith("**Solution.**") for m in at.markdown)


def test_wrong_answers_use_attempts_and_give_mistake_feedback() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    session = session_of(at, "Ada", "formulas")
    fan_in = session.current_params("he_variance")["fan_in"]
    answer(at, "Ada", "formulas", "he_variance", f"1/{fan_in}")  # LeCun's 1/n
    assert any("Not correct" in box.value for box in at.warning)
    assert any("ReLU" in m.value and "2/n" in m.value for m in at.markdown)
    assert any("2 attempts left" in c.value for c in at.caption)
    assert session_of(at, "Ada", "formulas").attempts_left("he_variance") == 2
    answer(at, "Ada", "formulas", "he_variance", "1")
    assert any("1 attempt left" in c.value for c in at.caption)
    # third attempt right: 50% credit (schedule 100/75/50)
    answer(at, "Ada", "formulas", "he_variance", correct_text(session, "he_variance"))
    assert session_of(at, "Ada", "formulas").question_score("he_variance") == 0.5
    assert "Score 0.50 of" in progress_text(at)


def test_used_up_attempts_hide_the_answer_in_graded_mode() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    for wrong in WRONGS:
        answer(at, "Ada", "formulas", "he_std", wrong)
    session = session_of(at, "Ada", "formulas")
    assert session.attempts_left("he_std") == 0 and session.question_score("he_std") == 0
    assert not [b for b in at.button if b.key and ":he_std:" in b.key]
    assert not any(m.value.startswith(("**Answer:**", "**Solution.**")) for m in at.markdown)
    assert any("do not show answers" in c.value for c in at.caption)
    # Nor does the simulation, which shows the numbers, open for this closed question.
    assert not [link for link in at.page_link if link.value.startswith("Explore this in")]


def test_the_deployment_may_reveal_answers_of_closed_questions() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada", reveal_answers=True)
    for wrong in WRONGS:
        answer(at, "Ada", "formulas", "he_std", wrong)
    session = session_of(at, "Ada", "formulas")
    shown = session.question("he_std").correct_text(session.current_params("he_std"))
    assert any(m.value == f"**Answer:** {shown}" for m in at.markdown)
    assert any(m.value.startswith("**Solution.**") for m in at.markdown)


def test_unparseable_answer_shows_the_parser_message_and_uses_no_attempt() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    answer(at, "Ada", "formulas", "he_variance", "two over 512")
    assert at.info and not at.warning
    assert any("did not use an attempt" in c.value for c in at.caption)
    assert session_of(at, "Ada", "formulas").attempts_left("he_variance") == 3
    assert "Score 0.00" in progress_text(at)


def test_choice_question_is_graded_from_the_radio() -> None:
    at = open_page(QUIZ_PAGES["signal"], "Ada")
    session = session_of(at, "Ada", "signal")
    question = session.question("critical_init_relu")
    params = session.current_params("critical_init_relu")
    answer(at, "Ada", "signal", "critical_init_relu", ("xavier_normal",))
    assert any("vanish" in m.value for m in at.markdown)  # the mistake's feedback
    answer(at, "Ada", "signal", "critical_init_relu", tuple(question.correct_ids(params)))
    assert session_of(at, "Ada", "signal").question_score("critical_init_relu") == 0.75


def test_a_right_choice_shows_no_exact_value_and_keeps_its_option_order() -> None:
    at = open_page(QUIZ_PAGES["signal"], "Ada")
    session = session_of(at, "Ada", "signal")
    question = session.question("critical_init_relu")
    params = session.current_params("critical_init_relu")
    skey = quiz_session_key("Ada", "signal")
    radio = at.radio(key=answer_key(skey, "critical_init_relu", 0))
    shown = [text for _, text in question.option_list(params)]
    assert list(radio.options) == shown  # the variant's shuffled order
    at.run()
    assert list(at.radio(key=answer_key(skey, "critical_init_relu", 0)).options) == shown
    answer(at, "Ada", "signal", "critical_init_relu", tuple(question.correct_ids(params)))
    (success,) = at.success
    assert success.value == "Correct." and "Exact value" not in success.value


def test_the_same_wrong_answer_again_uses_no_attempt() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    assert any(c.value.startswith("Graded exactly. Formulas") for c in at.caption)
    assert not any("exactly of" in c.value for c in at.caption)
    answer(at, "Ada", "formulas", "conv_fan_in", "384")
    assert any(w.value == "Not correct: 384 is not the answer." for w in at.warning)
    answer(at, "Ada", "formulas", "conv_fan_in", "384.0")
    # Shown literally: the markdown escapes are the only change to the note.
    notes = [re.sub(r"\\(.)", r"\1", i.value) for i in at.info]
    assert "You already tried 384; this uses no attempt." in notes
    assert any("2 attempts left" in c.value for c in at.caption)
    assert session_of(at, "Ada", "formulas").attempts_left("conv_fan_in") == 2
    assert "Attempts used" in [m.label for m in at.metric]
    assert [m.value for m in at.metric if m.label == "Attempts used"] == ["1"]


def test_counts_are_printed_in_the_right_number() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    session = session_of(at, "Ada", "formulas")
    n = len(session.question_ids)
    assert any(f"{n} questions, 3 attempts each" in c.value for c in at.caption)
    answer(at, "Ada", "formulas", "he_std", WRONGS[0])
    answer(at, "Ada", "formulas", "he_std", WRONGS[1])
    assert any(c.value.startswith("Attempt 2 · credit 0.00 · 1 attempt left") for c in at.caption)
    assert not any(re.search(r"\b1 (attempts|points|questions)\b", c.value) for c in at.caption)


def test_select_all_question_needs_every_correct_option() -> None:
    at = open_page(QUIZ_PAGES["review"], "Ada")
    answer(at, "Ada", "review", "rand_vs_randn", ["positive_mean"])
    assert any("not selected" in m.value for m in at.markdown)
    answer(at, "Ada", "review", "rand_vs_randn", ["positive_mean", "matched_variance"])
    assert session_of(at, "Ada", "review").question_score("rand_vs_randn") == 0.75


def test_same_student_same_variant_other_student_other_variant() -> None:
    def prompts(student: str) -> list[str]:
        at = open_page(QUIZ_PAGES["signal"], student)
        first = [m.value for m in at.markdown]
        at.run()
        assert [m.value for m in at.markdown] == first  # a rerun keeps the numbers
        return first

    ada = prompts("Ada Lovelace")
    assert prompts("  ada   LOVELACE ") == ada  # same student (normalized), fresh app
    assert prompts("Grace Hopper") != ada


def test_progress_survives_switching_pages() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    session = session_of(at, "Ada", "formulas")
    answer(at, "Ada", "formulas", "he_variance", correct_text(session, "he_variance"))
    at.switch_page(QUIZ_PAGES["signal"]).run()
    at.switch_page(QUIZ_PAGES["formulas"]).run()
    assert "Score 1.00 of" in progress_text(at)


def test_a_graded_question_links_its_simulation_once_answered() -> None:
    at = open_page(QUIZ_PAGES["signal"], "Ada")
    session = session_of(at, "Ada", "signal")
    question_id = "linear_randn_log10_variance"
    params = session.current_params(question_id)
    # Before an answer the simulation, which shows the answer, is not linked.
    assert not [link for link in at.page_link if link.value.startswith("Explore this in")]
    assert any("opens here once it is answered" in c.value for c in at.caption)
    answer(at, "Ada", "signal", question_id, correct_text(session, question_id))
    links = [link for link in at.page_link if link.proto.page == "signal-propagation"]
    assert links and all(link.value.startswith("Explore this in") for link in links)
    wanted = {
        "init": "large_random",
        "activation": "linear",
        "layers": str(params["layers"]),
        "width": str(params["width"]),
    }
    queries = [dict(parse_qsl(link.proto.query_string)) for link in links]
    assert wanted in queries


# --------------------------------------------------------------------------- receipts


def test_receipt_download_is_signed_and_verifies() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada", secret=SECRET)
    session = session_of(at, "Ada", "formulas")
    answer(at, "Ada", "formulas", "he_variance", correct_text(session, "he_variance"))
    receipt = load_receipt(download_bytes(at))
    assert verify_receipt(receipt, SECRET).ok
    assert receipt["student"] == "Ada" and receipt["quiz"]["id"] == "formulas"
    assert receipt["totals"]["score"] == 1.0 and receipt["app_version"] == lab.__version__
    assert not verify_receipt(receipt, "another key").ok
    assert not any("unsigned" in c.value for c in at.sidebar.caption)


def test_without_a_key_the_receipt_is_unsigned_and_the_page_says_so() -> None:
    at = open_page(QUIZ_PAGES["formulas"], "Ada")
    receipt = load_receipt(download_bytes(at))
    assert receipt["signed"] is False and receipt["signature"] is None
    assert verify_receipt(receipt, None).status == "unsigned"
    assert any("unsigned" in c.value for c in at.sidebar.caption)


def _receipt_with_progress(student: str = "Ada") -> tuple[dict, float]:
    """A signed receipt of ``student`` made outside this app's ledger (e.g. another server)."""
    session = QuizSession(identity_of(student), "formulas", variant_key=VARIANT_KEY)
    session.submit("he_variance", "1")  # wrong
    params = session.current_params("he_variance")
    session.submit("he_variance", repr(session.question("he_variance").correct_value(params)))
    return make_receipt(session, SECRET, lab.__version__), session.score()


def upload(at: AppTest, student: str, quiz_id: str, content: bytes) -> AppTest:
    key = upload_key(quiz_session_key(student, quiz_id))
    at.file_uploader(key=key).set_value(("receipt.json", content, "application/json"))
    at.run()
    assert not at.exception
    return at


def test_a_receipt_never_adds_attempts_the_ledger_does_not_have() -> None:
    receipt, score = _receipt_with_progress()
    assert score == 0.75
    at = open_page(QUIZ_PAGES["formulas"], "Ada", secret=SECRET)
    assert "Score 0.00" in progress_text(at)
    upload(at, "Ada", "formulas", receipt_to_json(receipt).encode())
    # The server's record counts, not the receipt's.
    assert "Score 0.00 of 23" in progress_text(at)
    (success,) = at.sidebar.success
    assert "Receipt checked" in success.value and "not the receipt" in success.value
    assert not session_of(at, "Ada", "formulas").state("he_variance").attempts


def test_resume_a_practice_receipt() -> None:
    session = QuizSession(ANONYMOUS, "formulas", "practice", variant_key=VARIANT_KEY)
    session.submit("he_variance", WRONGS[0])
    receipt = make_receipt(session, SECRET, lab.__version__)
    at = open_page(PRACTICE_PAGE, secret=SECRET)
    key = upload_key(quiz_session_key("anonymous", "formulas", "practice"))
    at.file_uploader(key=key).set_value(("r.json", receipt_to_json(receipt).encode(), "x")).run()
    assert any("Progress restored" in box.value for box in at.sidebar.success)
    restored = session_of(at, "anonymous", "formulas", "practice")
    assert restored.attempts_left("he_variance") == 2


def test_tampered_receipt_is_rejected_with_one_line() -> None:
    receipt, _ = _receipt_with_progress()
    receipt["questions"][1]["attempts"] = [dict(receipt["questions"][0]["attempts"][-1])]
    receipt["totals"]["score"] = 23.0
    at = open_page(QUIZ_PAGES["formulas"], "Ada", secret=SECRET)
    upload(at, "Ada", "formulas", json.dumps(receipt).encode())
    (error,) = at.sidebar.error
    assert "signature does not match" in error.value and "\n" not in error.value
    assert "Score 0.00" in progress_text(at)


def test_receipt_of_another_student_or_garbage_is_rejected() -> None:
    receipt, _ = _receipt_with_progress("Grace")
    at = open_page(QUIZ_PAGES["formulas"], "Ada", secret=SECRET)
    upload(at, "Ada", "formulas", receipt_to_json(receipt).encode())
    assert "belongs to" in at.sidebar.error[0].value and "Grace" in at.sidebar.error[0].value
    upload(at, "Ada", "formulas", b"{not json")
    assert "not a receipt" in at.sidebar.error[0].value.lower()
    assert "Score 0.00" in progress_text(at)


# --------------------------------------------------------------------------- practice


def test_practice_runs_anonymously_and_draws_new_variants() -> None:
    at = open_page(PRACTICE_PAGE)
    assert any("anonymously" in c.value for c in at.caption)
    session = session_of(at, "anonymous", "formulas", "practice")
    before = session.current_params("he_variance")
    skey = quiz_session_key("anonymous", "formulas", "practice")
    at.button(key=new_variant_key(skey, "he_variance")).click().run()
    session = session_of(at, "anonymous", "formulas", "practice")
    assert session.current_variant("he_variance") == 1
    assert session.state("he_variance").params == session.current_params("he_variance")
    assert session.current_params("he_variance") != before  # fixed seeds: known to differ
    # attempts restart on the new variant and a used-up variant offers another one
    for wrong in WRONGS:
        answer(at, "anonymous", "formulas", "he_variance", wrong, mode="practice")
    labels = {b.key: b.label for b in at.button if b.key}
    assert labels[new_variant_key(skey, "he_variance")] == "Try a new variant"
    at.button(key=new_variant_key(skey, "he_variance")).click().run()
    assert session_of(at, "anonymous", "formulas", "practice").attempts_left("he_variance") == 3


def shown_prompts(at: AppTest, session: QuizSession) -> list[str]:
    """The ids of the session's questions whose prompt the page shows."""
    markdown = {element.value for element in at.markdown}
    return [
        question_id
        for question_id in session.question_ids
        if session.question(question_id).render_prompt(session.current_params(question_id))
        in markdown
    ]


def test_practice_shows_one_question_at_a_time_and_keeps_each_ones_feedback() -> None:
    at = open_page(PRACTICE_PAGE)
    skey = quiz_session_key("anonymous", "formulas", "practice")
    session = session_of(at, "anonymous", "formulas", "practice")
    first, second, *_, last = session.question_ids
    picker = at.selectbox(key=question_choice_key(skey))
    assert picker.options == [
        f"{index}. {session.question(question_id).title}"
        for index, question_id in enumerate(session.question_ids, start=1)
    ]
    assert shown_prompts(at, session) == [first]
    assert at.button(key=step_key(skey, -1)).disabled
    answer(at, "anonymous", "formulas", first, WRONGS[0], mode="practice")
    (verdict,) = [box.value for box in at.warning]
    at.button(key=step_key(skey, 1)).click().run()
    assert [box.value for box in at.warning] == []
    assert shown_prompts(at, session) == [second]
    assert not at.button(key=step_key(skey, -1)).disabled
    at.selectbox(key=question_choice_key(skey)).select(last).run()
    assert shown_prompts(at, session) == [last]
    assert at.button(key=step_key(skey, 1)).disabled
    # Back on the first question, its grade is still shown and its attempt still counted.
    at.selectbox(key=question_choice_key(skey)).select(first).run()
    assert shown_prompts(at, session) == [first]
    assert [box.value for box in at.warning] == [verdict]
    assert session_of(at, "anonymous", "formulas", "practice").attempts_left(first) == 2


def test_practice_sessions_share_drawn_numbers_but_grade_on_their_own() -> None:
    first = open_page(PRACTICE_PAGE)
    second = open_page(PRACTICE_PAGE)  # another browser: its numbers come from the process cache
    ours = session_of(second, "anonymous", "formulas", "practice")
    theirs = session_of(first, "anonymous", "formulas", "practice")
    assert ours is not theirs
    assert all(ours.current_params(q) == theirs.current_params(q) for q in ours.question_ids)
    answer(second, "anonymous", "formulas", "he_variance", WRONGS[0], mode="practice")
    assert session_of(second, "anonymous", "formulas", "practice").attempts_left("he_variance") == 2
    right = correct_text(ours, "he_variance")
    answer(second, "anonymous", "formulas", "he_variance", right, mode="practice")
    assert any(box.value.startswith("Correct") for box in second.success)
    assert "Score 0.75 of 23" in progress_text(second)
    # The other session's attempts and score are its own.
    first.run()
    assert "Score 0.00 of 23" in progress_text(first)
    assert session_of(first, "anonymous", "formulas", "practice").attempts_left("he_variance") == 3


def test_practice_topic_comes_from_the_url_and_bad_values_warn() -> None:
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.switch_page(PRACTICE_PAGE)
    at.query_params["topic"] = "quantization"
    at.run()
    assert session_of(at, "anonymous", "quantization", "practice")
    assert at.session_state[widget_key("topic", "practice")] == "quantization"
    for bad in ("nope", "", "FORMULAS"):
        at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
        at.switch_page(PRACTICE_PAGE)
        at.query_params["topic"] = bad
        at.run()
        assert not at.exception
        assert any("topic" in w.value for w in at.warning), bad
        assert at.session_state[widget_key("topic", "practice")] == "formulas"


def test_practice_comes_back_to_the_question_a_link_left_from() -> None:
    at = open_page(PRACTICE_PAGE)
    skey = quiz_session_key("anonymous", "formulas", "practice")
    session = session_of(at, "anonymous", "formulas", "practice")
    third = session.question_ids[2]
    at.selectbox(key=question_choice_key(skey)).select(third).run()
    at.switch_page("pages/weight_distribution.py").run()  # e.g. "Explore this in ..."
    at.switch_page(PRACTICE_PAGE).run()
    assert not at.exception
    assert shown_prompts(at, session_of(at, "anonymous", "formulas", "practice")) == [third]


@pytest.mark.parametrize("student", ["", "Ada Lovelace"])
def test_a_graded_quiz_page_names_a_url_parameter_it_does_not_use(student):
    """Every page gives one line for a URL parameter it does not declare; the graded quiz pages
    declare none and were silent (``?x=<b>hi</b>`` stayed in the address bar unexplained). The
    name is shown as text, and the shell's own parameters pass without a word."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets["variant_key"] = VARIANT_KEY
    at.run()
    if student:
        at.sidebar.text_input(key=STUDENT_KEY).input(student)
        at.sidebar.text_input(key=STUDENT_ID_KEY).input(student_id_of(student)).run()
    at.switch_page("pages/quiz_signal.py")
    at.query_params["x"] = "<b>hi</b>"
    at.run()
    assert not at.exception
    (warning,) = unused_parameter_warnings(at)
    assert warning.startswith("URL parameter 'x' is not used on this page")
    assert "its parameters are: none" in warning
