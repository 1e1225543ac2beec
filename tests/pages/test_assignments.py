"""AppTest of assignments: ``?assignment=ID`` opens the assignment page, steps apply presets and
lock controls (by widget and by URL), graded answers land in the ledger (late after the due
date), and a broken file or an unknown id leaves students in the free lab."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.errors import AppTestError

from pages.ui.widgets import widget_key
from quizzes.ledger import Ledger

TIMEOUT = 30
REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "assignments.toml"

PAST_DUE = """\
[[assignment]]
id = "old"
title = "An old lab"
timezone = "UTC"
due = 2020-01-01T00:00:00

[[assignment.quiz]]
id = "formulas"
title = "Two formulas"
questions = ["he_variance", "he_std"]
schedule = [1.0]
"""


def app(tmp_path: Path, assignments: str | None = None, **query: str) -> AppTest:
    """The app with its own ledger and (optionally) its own assignments file, run once."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets["connections"] = {"sql": {"url": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"}}
    path = tmp_path / "assignments.toml"
    path.write_text(assignments if assignments is not None else EXAMPLES.read_text())
    at.secrets["assignments_file"] = str(path)
    at.query_params.update(query)
    return at.run()


def sign_up(at: AppTest, name: str = "Ada", student_id: str = "s1") -> AppTest:
    at.text_input(key="student").input(name)
    at.text_input(key="student_id").input(student_id)
    return at.run()


def registered(at: AppTest, page_file: str) -> bool:
    """Whether the shell put ``page_file`` in the menu (AppTest can switch only to those)."""
    try:
        at.switch_page(page_file)
    except ValueError:
        return False
    at.switch_page("pages/home_page.py")
    return True


def shown_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(parts).replace("\\", "")


def control(at: AppTest, page: str, name: str):
    key = widget_key(name, page=page)
    for kind in (at.selectbox, at.slider, at.number_input, at.toggle, at.segmented_control):
        for element in kind:
            if element.key == key:
                return element
    raise KeyError(key)


def open_step(at: AppTest, page_file: str, **query: str) -> AppTest:
    at.switch_page(page_file)
    at.query_params.clear()
    at.query_params.update(query)
    return at.run()


def test_an_assignment_link_opens_its_page_with_steps_quizzes_and_due_date(tmp_path):
    at = app(tmp_path, assignment="lab1")
    assert not at.exception
    assert at.title[0].value.replace("\\", "") == "Lab 1: Xavier vs He on ReLU at 20 layers"
    text = shown_text(at)
    assert "Thu 10 Dec 2026, 17:00 CET (Europe/Berlin)" in text  # the due date
    assert "A ReLU network of 20 layers" in text  # the instructions
    assert "Worth 8 points in all (1 point each)." in text
    assert "Enter your name and student ID" in text
    assert registered(at, "pages/assignment_page.py")
    assert at.query_params["assignment"] == "lab1"


def test_a_step_applies_its_presets_and_locks_its_controls_against_the_url(tmp_path):
    at = app(tmp_path, assignment="lab1")
    # A hand-edited link: locked init and layers changed, unlocked width changed.
    at = open_step(
        at,
        "pages/signal_propagation.py",
        assignment="lab1",
        step="2",
        init="xavier_normal",
        layers="5",
        width="128",
    )
    assert not at.exception
    page = "signal_propagation"
    assert control(at, page, "init").value == "he_normal"
    assert control(at, page, "init").disabled
    assert control(at, page, "layers").value == 20
    assert control(at, page, "layers").disabled
    assert control(at, page, "width").value == 128
    assert not control(at, page, "width").disabled
    assert at.query_params["init"] == "he_normal"
    assert at.query_params["layers"] == "20"
    assert at.query_params["assignment"] == "lab1"
    assert at.query_params["step"] == "2"
    text = shown_text(at)
    assert "Step 2 of 2: He/Kaiming normal on ReLU, 20 layers" in text
    assert "Set by the assignment, locked: Weight initialization = He/Kaiming normal" in text
    # The link's own values for locked controls were not used: one line each says so.
    shown = [w.value.replace("\\", "") for w in at.warning]
    assert "URL parameter init='xavier_normal' ignored: the assignment sets it to he_normal." in (
        shown
    )
    assert "URL parameter layers='5' ignored: the assignment sets it to 20." in shown
    assert not [w for w in shown if w.startswith("URL parameter width")]  # not locked: used
    # The locked value written another way is the same value: no line.
    at = open_step(
        at, "pages/signal_propagation.py", assignment="lab1", step="2", layers="020", width="128"
    )
    assert not [w for w in at.warning if "ignored" in w.value]


def test_a_locked_widget_cannot_be_changed(tmp_path):
    at = app(tmp_path, assignment="lab1")
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    page = "signal_propagation"
    assert control(at, page, "init").value == "xavier_normal"
    assert not [w for w in at.warning if "ignored" in w.value]  # the step's own link
    with pytest.raises(AppTestError, match="disabled"):
        control(at, page, "init").set_value("he_normal")
    # A forged widget message (state changed behind the disabled widget) does not stick either.
    at.session_state[widget_key("init", page=page)] = "he_normal"
    at.session_state[widget_key("layers", page=page)] = 3
    at.run()
    assert control(at, page, "init").value == "xavier_normal"
    assert control(at, page, "layers").value == 20
    assert at.query_params["init"] == "xavier_normal"


def test_presets_apply_when_the_step_page_is_opened_from_the_menu(tmp_path):
    at = app(tmp_path, assignment="lab2")
    at = open_step(at, "pages/gradient_flow.py")
    page = "gradient_flow"
    assert control(at, page, "uniform").value == "rand"  # step 1, the page's first step
    assert control(at, page, "uniform").disabled
    assert at.query_params["step"] == "1"
    # An unlocked preset is the student's to change, and stays changed.
    control(at, page, "layers").set_value(15)
    at.run()
    at = open_step(at, "pages/gradient_flow.py")
    assert control(at, page, "layers").value == 15


def test_without_an_assignment_nothing_is_locked(tmp_path):
    at = app(tmp_path)
    at = open_step(at, "pages/signal_propagation.py", init="xavier_normal")
    assert not control(at, "signal_propagation", "init").disabled
    assert not registered(at, "pages/assignment_page.py")


def test_a_graded_answer_is_recorded_under_the_assignment(tmp_path):
    at = sign_up(app(tmp_path, assignment="lab1"))
    box = next(t for t in at.text_input if t.key.startswith("quiz_answer") and "he_std" in t.key)
    box.input("1")
    submit = next(b for b in at.button if b.key and b.key == box.key.replace("answer", "submit"))
    submit.click().run()
    assert not at.exception
    (row,) = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}").rows()
    assert (row.assignment, row.quiz, row.question, row.student) == (
        "lab1",
        "formulas",
        "he_std",
        "id:s1",
    )
    assert not row.late


def test_an_answer_after_the_due_date_is_recorded_as_late(tmp_path):
    at = sign_up(app(tmp_path, PAST_DUE, assignment="old"))
    assert "Was due Wed 01 Jan 2020, 00:00 UTC (UTC)" in shown_text(at)
    box = next(t for t in at.text_input if t.key.startswith("quiz_answer"))
    box.input("2")
    next(b for b in at.button if b.key == box.key.replace("answer", "submit")).click().run()
    (row,) = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}").rows()
    assert row.late


def test_the_progress_bar_counts_in_the_singular_for_one_step_and_one_question(tmp_path):
    one = PAST_DUE.replace(
        'questions = ["he_variance", "he_std"]', 'questions = ["he_variance"]'
    ).replace(
        "[[assignment.quiz]]", '[[assignment.step]]\npage = "forward_pass"\n\n[[assignment.quiz]]'
    )
    at = app(tmp_path, one, assignment="old")
    assert not at.exception
    (bar,) = at.get("progress")
    assert bar.proto.text == "0 of 2 done: 0 of 1 step opened, 0 of 1 question closed"
    (bar,) = app(tmp_path, assignment="lab1").get("progress")
    assert bar.proto.text == "0 of 10 done: 0 of 2 steps opened, 0 of 8 questions closed"


def test_a_quiz_set_waits_for_the_opening_date(tmp_path):
    upcoming = PAST_DUE.replace(
        "due = 2020-01-01T00:00:00", "opens = 2099-01-01T00:00:00\ndue = 2099-02-01T00:00:00"
    )
    at = sign_up(app(tmp_path, upcoming, assignment="old"))
    assert "Opens Thu 01 Jan 2099, 00:00 UTC (UTC)" in shown_text(at)
    assert not [t for t in at.text_input if t.key.startswith("quiz_answer")]


@pytest.mark.parametrize(
    ("assignments", "value", "expected"),
    [
        (None, "lab9", "There is no assignment 'lab9'. The lab works as usual."),
        (
            None,
            "[click](http://evil.example)",
            "There is no assignment '[click](http://evil.example)'.",
        ),
        (
            EXAMPLES.read_text().replace("layers = 20, width", "layerz = 20, width", 1),
            "lab1",
            "This assignment cannot be opened right now",
        ),
    ],
)
def test_an_unknown_id_or_a_broken_file_leaves_the_free_lab(tmp_path, assignments, value, expected):
    at = app(tmp_path, assignments, assignment=value)
    assert not at.exception
    (info,) = at.info
    assert expected in info.value.replace("\\", "")
    assert "](" not in info.value  # markdown stays text
    assert at.title[0].value == "Weight Initialization Lab"  # the home page
    assert not registered(at, "pages/assignment_page.py")
    assert "assignment" not in at.query_params


def test_leaving_the_assignment_returns_to_the_free_lab(tmp_path):
    at = app(tmp_path, assignment="lab1")
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    next(b for b in at.button if b.key == "assignment_leave").click().run()
    at.run()
    assert "assignment" not in at.query_params
    assert not registered(at, "pages/assignment_page.py")
    at = open_step(at, "pages/signal_propagation.py")
    assert not control(at, "signal_propagation", "init").disabled


def test_opened_steps_survive_a_reload_once_the_student_is_known(tmp_path):
    """Steps opened before and after signing up are recorded under the student; a new session
    (a reload, another browser) of the same student starts with them ticked, and another
    student's checklist does not."""

    def checklist(at: AppTest) -> str:
        at.switch_page("pages/assignment_page.py")
        return at.run().get("progress")[0].proto.text

    at = app(tmp_path, assignment="lab1")
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    at.switch_page("pages/assignment_page.py")
    at = sign_up(at.run())
    assert "1 of 2 steps opened" in at.get("progress")[0].proto.text
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="2")
    assert at.get("progress")[0].proto.text == "2 of 10 done"  # the banner's short form
    assert "2 of 2 steps opened" in checklist(at)
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    assert ledger.steps_opened("id:s1", "lab1") == {1, 2}

    again = sign_up(app(tmp_path, assignment="lab1"))
    assert "2 of 2 steps opened" in again.get("progress")[0].proto.text
    # Each checklist row is one link whose icon is its mark (columns wrapped it on a phone).
    steps = [link.proto for link in again.get("page_link") if link.proto.label.startswith("Step")]
    assert [link.icon for link in steps] == [":material/check_circle:"] * 2
    assert all(link.label.endswith("(opened)") for link in steps)
    other = sign_up(app(tmp_path, assignment="lab1"), "Grace", "s2")
    assert "0 of 2 steps opened" in other.get("progress")[0].proto.text


def test_the_checklist_counts_this_sessions_steps_when_the_ledger_is_down(tmp_path):
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)
    at.secrets["connections"] = {"sql": {"url": "postgresql+psycopg://lab:secret@127.0.0.1:1/lab"}}
    at.secrets["assignments_file"] = str(EXAMPLES)
    at.query_params.update(assignment="lab1")
    at = sign_up(at.run())
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    assert not at.exception
    at.switch_page("pages/assignment_page.py")
    assert "1 of 2 steps opened" in at.run().get("progress")[0].proto.text


def test_another_student_in_the_same_browser_does_not_inherit_the_ledgers_steps(tmp_path):
    """A's steps come back from the ledger into A's checklist; when B types their own name in
    the same session, B's checklist holds only the steps this session opened, and A's
    recorded steps are not written under B."""
    first = sign_up(app(tmp_path, assignment="lab1"))
    open_step(first, "pages/signal_propagation.py", assignment="lab1", step="1")
    open_step(first, "pages/signal_propagation.py", assignment="lab1", step="2")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    assert ledger.steps_opened("id:s1", "lab1") == {1, 2}

    at = sign_up(app(tmp_path, assignment="lab1"))  # A again, in a new session
    assert "2 of 2 steps opened" in at.get("progress")[0].proto.text
    at = sign_up(at, "Grace", "s2")
    assert "0 of 2 steps opened" in at.get("progress")[0].proto.text
    assert ledger.steps_opened("id:s2", "lab1") == set()


def test_a_step_counts_for_the_student_who_opened_it(tmp_path):
    """Ada opens step 1 signed in; Grace then types her name in the same browser: Grace's
    checklist and ledger rows hold no step she did not open, while Ada's keep hers. A step
    opened while nobody is signed in goes to the next student who signs in."""
    at = app(tmp_path, assignment="lab1")
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="2")  # anonymous
    at.switch_page("pages/assignment_page.py")
    at = sign_up(at.run())
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    at.switch_page("pages/assignment_page.py")
    at = sign_up(at.run(), "Grace", "s2")
    assert "0 of 2 steps opened" in at.get("progress")[0].proto.text
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    assert ledger.steps_opened("id:s1", "lab1") == {1, 2}
    assert ledger.steps_opened("id:s2", "lab1") == set()
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    assert ledger.steps_opened("id:s2", "lab1") == {1}


def test_a_step_opened_signed_out_goes_to_the_next_student_to_sign_in(tmp_path):
    """Ada signs in, then clears her name and ID; Grace opens step 1 signed out and then types
    hers: the step is Grace's, not Ada's, and the signed-out checklist shows only it."""
    at = sign_up(app(tmp_path, assignment="lab1"))
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="2")  # Ada's
    at.switch_page("pages/assignment_page.py")
    at = sign_up(at.run(), "", "")
    at = open_step(at, "pages/signal_propagation.py", assignment="lab1", step="1")
    at.switch_page("pages/assignment_page.py")
    at.run()
    assert "1 of 2 steps opened" in at.get("progress")[0].proto.text  # step 1, not Ada's 2
    at = sign_up(at, "Grace", "s2")
    assert "1 of 2 steps opened" in at.get("progress")[0].proto.text
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    assert ledger.steps_opened("id:s2", "lab1") == {1}
    assert ledger.steps_opened("id:s1", "lab1") == {2}
