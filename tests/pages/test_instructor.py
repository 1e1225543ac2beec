"""AppTest of the instructor page: the gate (no password, wrong, right, too many tries; the
e-mail list under sign-in), the live gradebook with late flags, item analysis charts, the link
builder, and receipts refused before they are read."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import lab
from pages.ui.instructor import MAX_TRIES, receipts_gradebook, setup_values, step_snippet
from pages.ui.registry import get_page
from quizzes.assignments import parse_assignments
from quizzes.ledger import Ledger, LedgerRow
from quizzes.pages import ALL_PAGES
from quizzes.receipts import MAX_RECEIPT_BYTES, make_receipt, receipt_to_json
from quizzes.session import QuizSession
from tests.quizzes.test_gradebook import LAB1

TIMEOUT = 30
PAGE = "pages/instructor_page.py"
PASSWORD = "correct horse battery staple"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a cookie secret",
    "client_id": "lab",
    "client_secret": "secret",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}


def app(tmp_path: Path, **secrets: object) -> AppTest:
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets["connections"] = {"sql": {"url": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"}}
    for name, value in secrets.items():
        at.secrets[name] = value
    return at


def registered(at: AppTest) -> bool:
    try:
        at.switch_page(PAGE)
    except ValueError:
        return False
    at.switch_page("pages/home_page.py")
    return True


def type_password(at: AppTest, text: str) -> AppTest:
    at.text_input(key="instructor_password_box").input(text)
    return next(b for b in at.button if b.label == "Open the instructor page").click().run()


def open_instructor_page(at: AppTest) -> AppTest:
    at.switch_page(PAGE)
    return at.run()


def test_without_a_password_or_list_nobody_is_an_instructor(tmp_path):
    at = app(tmp_path).run()
    assert not registered(at)
    assert "instructor_password_box" not in [t.key for t in at.text_input]
    # The page script itself refuses too (reached without the menu).
    direct = AppTest.from_file("../../pages/instructor_page.py", default_timeout=TIMEOUT).run()
    assert [e.value for e in direct.error] == ["This page is for instructors."]
    assert not direct.tabs


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_page(tmp_path):
    at = app(tmp_path, instructor_password=PASSWORD).run()
    assert not registered(at)
    at = type_password(at, PASSWORD[:-1])
    assert [e.value for e in at.error] == [f"Wrong password ({MAX_TRIES - 1} tries left)."]
    assert not registered(at)
    at = type_password(at, PASSWORD)
    assert registered(at)
    at = open_instructor_page(at)
    assert not at.exception
    assert at.title[0].value == "Instructor"
    assert [tab.label for tab in at.tabs] == ["Links", "Gradebook", "Receipts", "Item analysis"]
    next(b for b in at.button if b.key == "instructor_sign_out").click().run()
    assert not registered(at)


def test_too_many_wrong_passwords_close_the_box_for_the_session(tmp_path):
    at = app(tmp_path, instructor_password=PASSWORD).run()
    for _ in range(MAX_TRIES - 1):
        at = type_password(at, "guess")
    assert [e.value for e in at.error] == ["Wrong password (1 try left)."]
    at = type_password(at, "guess")
    assert at.text_input(key="instructor_password_box").disabled
    assert "Too many wrong passwords" in at.error[0].value
    # Even the right password, set behind the disabled box, is not checked any more.
    at.session_state["instructor_password_box"] = PASSWORD
    at.session_state["_wil_instructor_tries"] = MAX_TRIES
    at.run()
    assert not registered(at)


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ({"is_logged_in": True, "email": "Prof@Uni.example"}, True),
        ({"is_logged_in": True, "email": "prof@uni.example", "email_verified": False}, False),
        ({"is_logged_in": True, "email": "student@uni.example"}, False),
        ({"is_logged_in": False}, False),
    ],
)
def test_under_sign_in_the_email_list_decides(tmp_path, user, allowed):
    at = app(tmp_path, auth=AUTH, instructors=["prof@uni.example"], instructor_password=PASSWORD)
    at.user = user
    at.run()
    assert registered(at) is allowed
    # The password box is not offered under sign-in.
    assert "instructor_password_box" not in [t.key for t in at.text_input]


def record_attempts(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.create_schema()
    base = {
        "assignment": "lab2",
        "quiz": "formats",
        "variant": 0,
        "answer": "1",
        "nonce": "b" * 32,
    }
    on_time = datetime(2026, 12, 17, 13, 0, tzinfo=UTC)
    late = datetime(2026, 12, 18, 13, 0, tzinfo=UTC)
    rows = [
        ("id:ada", "Ada", "relu_phase", 1, "correct", 1.0, on_time, None),
        ("id:ada", "Ada", "fp16_max", 1, "incorrect", 0.0, on_time, "sign"),
        ("id:bob", "=HYPERLINK(1)", "fp16_max", 1, "correct", 1.0, late, None),
    ]
    for student, name, question, attempt, status, credit, when, mistake in rows:
        ledger.record(
            LedgerRow(
                **(base | {"credit_fraction": credit}),
                student=student,
                student_name=name,
                sis_login_id=student[3:],
                question=question,
                attempt=attempt,
                status=status,
                credit=credit,
                submitted_at=when,
                mistake=mistake,
                late=when == late,
            )
        )


def test_the_gradebook_shows_points_late_flags_and_safe_cells(tmp_path):
    record_attempts(tmp_path)
    at = type_password(app(tmp_path, instructor_password=PASSWORD).run(), PASSWORD)
    at = open_instructor_page(at)
    assert not at.exception
    frames = [frame.value for frame in at.dataframe]
    totals = next(f for f in frames if "Late" in f.columns)
    label = "Lab 2: rand vs randn, and what FP16 can hold (lab2)"
    ada = totals[totals["Student"] == "Ada"].iloc[0]
    assert ada[label] == "2" and ada[f"{label} max"] == "7"  # relu_phase is worth 2 points
    assert ada["Late"] == ""
    bob = totals[totals["SIS Login ID"] == "bob"].iloc[0]
    assert bob["Student"] == "'=HYPERLINK(1)"  # a formula is quoted for spreadsheets
    assert bob["Late"] == "late: 1 of 1 attempt"
    assert any("submitted after the due date" in w.value for w in at.warning)


def test_item_analysis_is_drawn_as_charts(tmp_path):
    record_attempts(tmp_path)
    at = type_password(app(tmp_path, instructor_password=PASSWORD).run(), PASSWORD)
    at = open_instructor_page(at)
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 2  # first-try share, wrong answers (and by parameter)
    frames = [frame.value for frame in at.dataframe]
    summary = next(f for f in frames if "first try correct" in f.columns)
    assert set(summary["question"]) == {"relu_phase", "fp16_max"}
    fp16 = summary[summary["question"] == "fp16_max"].iloc[0]
    assert fp16["first try correct"] == 0.5


def test_the_link_builder_gives_a_pages_current_setup(tmp_path):
    at = type_password(app(tmp_path, instructor_password=PASSWORD).run(), PASSWORD)
    at.switch_page("pages/signal_propagation.py")
    at.query_params.update({"layers": "30", "init": "xavier_normal"})
    at.run()
    at.query_params.clear()
    at = open_instructor_page(at)
    choose = next(s for s in at.selectbox if s.key == "instructor_page_link")
    choose.set_value(get_page("signal_propagation")).run()
    codes = [code.value for code in at.code]
    assert any(c.startswith("/signal-propagation?") and "layers=30" in c for c in codes), codes
    assert any('page = "signal_propagation"' in c and "layers = 30" in c for c in codes)
    assert "/?assignment=lab1" in codes


def test_setup_values_and_the_step_snippet_round_trip():
    spec = ALL_PAGES["weight_distribution"]
    values = setup_values(spec, {"fan_in": "300", "init": "he_normal,xavier_normal", "x": "1"})
    assert values == {"fan_in": 300, "init": ("he_normal", "xavier_normal")}
    snippet = step_snippet("weight_distribution", values)
    assert 'preset = { fan_in = 300, init = ["he_normal", "xavier_normal"] }' in snippet


class Upload(io.BytesIO):
    """What st.file_uploader hands over: name, size, getvalue()."""

    def __init__(self, name: str, data: bytes, size: int | None = None) -> None:
        super().__init__(data)
        self.name = name
        self.size = len(data) if size is None else size


class Untouchable(Upload):
    def getvalue(self) -> bytes:  # pragma: no cover - must not be called
        raise AssertionError("an oversized upload must be refused before it is read")


def test_receipts_are_verified_and_oversized_ones_refused_before_reading():
    key = b"receipt key"
    session = QuizSession("Ada", "formulas", question_ids=["he_std"], student_id="s1")
    session.submit("he_std", "1")
    data = receipt_to_json(make_receipt(session, key, lab.__version__)).encode()
    files = [
        Upload("ada.json", data),
        Upload("forged.json", data.replace(b'"Ada"', b'"Eve"')),
        Untouchable("huge.json", b"", size=MAX_RECEIPT_BYTES + 1),
    ]
    book = receipts_gradebook(files, key)
    assert len(book.students) == 1
    notes = "\n".join(book.notes)
    assert "forged.json: left out" in notes
    assert "huge.json: left out, larger than" in notes


def test_a_broken_assignments_file_is_one_line_for_the_instructor(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "assignments.toml").read_text()
    broken = tmp_path / "assignments.toml"
    broken.write_text(text.replace("layers = 20, width", "layers = 200, width", 1))
    line = (
        broken.read_text()
        .splitlines()
        .index(next(row for row in broken.read_text().splitlines() if "layers = 200" in row))
    )
    at = app(tmp_path, instructor_password=PASSWORD, assignments_file=str(broken)).run()
    at = open_instructor_page(type_password(at, PASSWORD))
    (error,) = at.error
    shown = error.value.replace("\\", "")
    assert shown.startswith(f"assignments.toml, line {line + 1}: assignment lab1, step 1: ")
    assert "layers must be an integer in [1, 100]; got 200" in shown


def test_uploaded_receipts_of_a_quiz_set_count_its_points():
    # The same quiz set as `python -m quizzes grade` reads from the assignments file: He
    # variance is worth 2 of the set's 3 points, whatever questions the student tried.
    # The test gradebook's assignment: two He questions, the second worth 2 points.
    assignment = parse_assignments(LAB1, "assignments.toml").by_id["lab1"]
    key = b"receipt key"
    session = QuizSession(
        "Ada", "formulas", assignment="lab1", question_ids=["he_std", "he_variance"],
        student_id="s1",
    )  # fmt: skip
    question = session.question("he_variance")
    session.submit("he_variance", question.correct_text(session.current_params("he_variance")))
    data = receipt_to_json(make_receipt(session, key, lab.__version__)).encode()
    book = receipts_gradebook([Upload("ada.json", data)], key, [assignment])
    assert book.header()[-2:] == [
        "Two He questions (lab1/formulas)",
        "Two He questions (lab1/formulas) max",
    ]
    assert book.rows() == [["Ada", "s1", "0", "2", "2", "3"]]
