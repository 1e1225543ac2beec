"""assignments.toml: the shipped examples, and one message with the right line for each kind
of mistake an instructor can make."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from quizzes.assignments import (
    ASSIGNMENT_PARAM,
    STEP_PARAM,
    AssignmentFileError,
    expand_questions,
    load_assignments,
    local_time,
    parse_assignments,
)
from quizzes.bank import QUIZZES
from quizzes.pages import ALL_PAGES

REPO_ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
[[assignment]]
id = "lab1"
title = "Lab 1"
timezone = "Europe/Berlin"
opens = 2026-12-01T08:00:00
due = 2026-12-10T17:00:00
instructions = "Do it."

[[assignment.step]]
page = "signal_propagation"
preset = { init = "xavier_normal", activation = "relu", layers = 20 }
locked = ["init", "layers", "width"]

[[assignment.quiz]]
id = "formulas"
title = "Formulas 1-8"
questions = ["formulas:1-8"]
schedule = [1.0, 0.5]
"""


def broken(old: str, new: str) -> tuple[AssignmentFileError, int]:
    """The error for GOOD with ``old`` replaced by ``new``, and the 1-based line of ``new``'s
    first line in the broken text."""
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    marker = new.splitlines()[0] if new else old
    line = text.splitlines().index(marker) + 1
    with pytest.raises(AssignmentFileError) as caught:
        parse_assignments(text, "assignments.toml")
    return caught.value, line


def test_the_shipped_examples_parse_and_their_links_open_their_pages_with_the_presets():
    assignments = load_assignments(REPO_ROOT / "assignments.toml")
    assert {a.id for a in assignments} == {"lab1", "lab2"}
    lab1 = assignments.get("lab1")
    # 17:00 in Berlin in December is CET, UTC+1.
    assert lab1.due.astimezone(UTC) == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
    assert lab1.quizzes[0].questions == QUIZZES["formulas"].question_ids[:8]
    assert lab1.quizzes[0].attempts == 2
    for assignment in assignments:
        for step in assignment.steps:
            link = urlsplit(assignment.step_link(step.number))
            query = dict(parse_qsl(link.query))
            assert query.pop(ASSIGNMENT_PARAM) == assignment.id
            assert query.pop(STEP_PARAM) == str(step.number)
            spec = ALL_PAGES[step.page]
            assert link.path == f"./{spec.url_path}"
            parsed = spec.parse_query(query)
            assert parsed.warnings == ()
            for name, value in step.values().items():
                assert parsed.values[name] == value


def test_a_good_file_gives_steps_locks_and_quiz_sets():
    assignment = parse_assignments(GOOD).get("lab1")
    step = assignment.step(1)
    # width is locked without a preset: the page's default is the locked value.
    assert step.locked_values() == {
        "init": "xavier_normal",
        "layers": 20,
        "width": ALL_PAGES["signal_propagation"]["width"].default,
    }
    assert assignment.quizzes[0].max_points == 8.0
    assert assignment.quizzes[0].schedule == (1.0, 0.5)
    assert assignment.quiz_of("he_variance").id == "formulas"
    assert assignment.quiz_of("relu_phase") is None
    assert assignment.link() == "./?assignment=lab1"
    with pytest.raises(ValueError, match=r"step of assignment lab1 must be in \[1, 1\]; got 2"):
        assignment.step(2)


def test_phases_and_lateness_follow_the_dates_in_the_time_zone():
    assignment = parse_assignments(GOOD).get("lab1")
    due_utc = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
    assert assignment.phase(datetime(2026, 11, 30, tzinfo=UTC)) == "upcoming"
    assert assignment.phase(due_utc) == "open"
    assert not assignment.is_late(due_utc)
    late = datetime(2026, 12, 10, 16, 0, 1, tzinfo=UTC)
    assert assignment.phase(late) == "past_due"
    assert assignment.is_late(late)


def test_no_file_means_no_assignments(tmp_path):
    assert len(load_assignments(tmp_path / "assignments.toml")) == 0


def test_bad_toml_names_the_file_and_line():
    error, line = broken('title = "Lab 1"', 'title = "Lab 1')
    assert error.file == "assignments.toml"
    assert error.line == line
    assert str(error).startswith(f"assignments.toml, line {line}: this is not valid TOML")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'page = "signal_propagation"',
            'page = "signal_propagaton"',
            "step 1: page must be one of forward_pass, ",
        ),
        (
            "preset = { init",
            'preset = { layer = 20, init = "xavier_normal", activation = "relu", layers = 20 }\n#',
            "step 1: signal_propagation has no control 'layer'; its controls are: init,",
        ),
        (
            "preset = { init",
            'preset = { init = "xavier_normal", activation = "relu", layers = 200 }\n#',
            r"step 1: preset layers must be an integer in [1, 100]; got 200",
        ),
        (
            "preset = { init",
            'preset = { init = "he_normal", gain = 2.0 }\n#',
            "step 1: gain applies only when init is",
        ),
        (
            'locked = ["init", "layers", "width"]',
            'locked = ["init", "depth"]',
            "step 1: locked names 'depth', which signal_propagation does not declare",
        ),
        (
            'locked = ["init", "layers", "width"]',
            'lock = ["init"]',
            "unknown key 'lock' in step 1; the keys are: locked, note, page, preset, title",
        ),
        (
            'questions = ["formulas:1-8"]',
            'questions = ["formulas:1-80"]',
            "quiz set formulas: questions: 'formulas:1-80' must be a range within 1-23",
        ),
        (
            'questions = ["formulas:1-8"]',
            'questions = ["he_varience"]',
            "questions: 'he_varience' is neither a question id of the bank",
        ),
        (
            "schedule = [1.0, 0.5]",
            "schedule = [1.0, 1.5]",
            "quiz set formulas: schedule entry must be a finite number in [0, 1]; got 1.5",
        ),
        (
            'id = "lab1"',
            'id = "Lab 1"',
            "assignment 1: id must be 1-32 lowercase letters, digits",
        ),
    ],
)
def test_each_bad_value_is_one_message_naming_its_line(old, new, message):
    error, line = broken(old, new)
    assert message in error.problem
    assert error.line == line, str(error)
    assert str(error) == f"assignments.toml, line {line}: {error.problem}"
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("due = 2026-12-10", "due must be a date and time such as 2026-12-10T17:00:00, not a date"),
        ('due = "next friday"', "due must be a date and time such as 2026-12-10T17:00:00"),
        # Clocks move forward at 02:00 on 29 March 2026 in Berlin, back at 03:00 on 25 October.
        ("due = 2026-03-29T02:30:00", "2026-03-29T02:30:00 does not exist in Europe/Berlin"),
        ("due = 2026-10-25T02:30:00", "2026-10-25T02:30:00 happens twice in Europe/Berlin"),
        ("due = 2026-11-01T17:00:00", "opens must be before due"),
    ],
)
def test_bad_dates_are_one_message_naming_their_line(new, message):
    error, line = broken("due = 2026-12-10T17:00:00", new)
    assert message in error.problem
    if "opens" in message:
        line = GOOD.splitlines().index("opens = 2026-12-01T08:00:00") + 1
    assert error.line == line


def test_an_unknown_time_zone_is_refused_on_its_line():
    error, line = broken('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlinn"')
    assert "timezone must be an IANA time zone" in error.problem
    assert error.line == line


def test_a_missing_due_date_and_an_empty_assignment_are_refused():
    with pytest.raises(AssignmentFileError, match="due is required"):
        parse_assignments(GOOD.replace("due = 2026-12-10T17:00:00\n", ""))
    header_only = GOOD.split("[[assignment.step]]")[0]
    with pytest.raises(AssignmentFileError, match=r"at least one \[\[assignment.step\]\]"):
        parse_assignments(header_only)


def test_a_question_asked_twice_in_one_assignment_and_a_repeated_id_are_refused():
    twice = GOOD + '\n[[assignment.quiz]]\nid = "more"\ntitle = "More"\nquestions = ["he_std"]\n'
    error = pytest.raises(AssignmentFileError, parse_assignments, twice).value
    assert "question 'he_std' is in quiz sets 'formulas' and 'more'" in error.problem
    assert error.line == twice.splitlines().index('questions = ["he_std"]') + 1
    again = GOOD + "\n" + GOOD
    error = pytest.raises(AssignmentFileError, parse_assignments, again).value
    assert "assignment id 'lab1' is used twice" in error.problem
    assert error.line == len(GOOD.splitlines()) + 1 + GOOD.splitlines().index('id = "lab1"') + 1


def test_a_preset_written_as_its_own_table_is_located_too():
    text = GOOD.replace(
        'preset = { init = "xavier_normal", activation = "relu", layers = 20 }\n'
        'locked = ["init", "layers", "width"]\n',
        '[assignment.step.preset]\ninit = "xavier_normal"\nlayers = 0\n',
    )
    error = pytest.raises(AssignmentFileError, parse_assignments, text).value
    assert error.line == text.splitlines().index("layers = 0") + 1
    assert "layers must be an integer in [1, 100]; got 0" in error.problem


def test_an_oversized_or_undecodable_file_is_refused(tmp_path):
    path = tmp_path / "assignments.toml"
    path.write_bytes(b"# " + b"x" * 1_000_001)
    with pytest.raises(AssignmentFileError, match="at most 1,000,000 bytes"):
        load_assignments(path)
    path.write_bytes(b"title = '\xff'")
    with pytest.raises(AssignmentFileError, match="must be UTF-8"):
        load_assignments(path)


def test_question_ranges_expand_in_quiz_order():
    ids = QUIZZES["quantization"].question_ids
    assert expand_questions(["quantization:2-3", "relu_phase"]) == (ids[1], ids[2], "relu_phase")
    with pytest.raises(ValueError, match="lists 'relu_phase' twice"):
        expand_questions(["relu_phase", "signal:1-11"])


def test_an_offset_time_keeps_its_instant():
    when = local_time("2026-12-10T17:00:00+00:00", "Europe/Berlin")
    assert when.astimezone(UTC) == datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
    assert when.utcoffset().total_seconds() == 3600
