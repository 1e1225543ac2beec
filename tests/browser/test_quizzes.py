"""The formulas quiz in Chromium: one answer right, one wrong, the score and feedback update."""

from __future__ import annotations

import pytest

from quizzes.bank import get_question
from quizzes.session import variant_params
from tests.browser.conftest import assert_no_errors, open_page, screenshot, wait_for_app

pytestmark = pytest.mark.browser

STUDENT = "Browser Student"
STUDENT_ID = "browser1"
#: The identity key the page derives from the typed ID (quizzes.identity).
STUDENT_KEY = "id:browser1"
STUDENT_BOX = {"role": "textbox", "name": "Your name", "exact": True}
ID_BOX = {"role": "textbox", "name": "Student ID", "exact": True}


def _sign(page) -> None:
    """Type the student's name and ID in the sidebar."""
    page.get_by_role(**STUDENT_BOX).fill(STUDENT)
    box = page.get_by_role(**ID_BOX)
    box.fill(STUDENT_ID)
    box.press("Enter")
    wait_for_app(page)


def _submit(page, form_index: int, text: str) -> None:
    form = page.get_by_test_id("stForm").nth(form_index)
    box = form.get_by_role("textbox", name="Your answer")
    box.fill(text)
    form.get_by_role("button", name="Submit").click()
    wait_for_app(page)


def test_answer_right_and_wrong(page):
    from playwright.sync_api import expect

    # Start on the home page and reach the quiz through the sidebar, as a student does.
    open_page(page, "")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Initialization formulas").click()
    page.wait_for_url("**/quiz-formulas")
    wait_for_app(page)
    expect(page.get_by_text("Enter your name and student ID")).to_be_visible()
    _sign(page)
    expect(page.get_by_test_id("stForm")).to_have_count(23)

    # Question 1 (He variance), answered right with a formula the student would type.
    he_variance = get_question("he_variance")
    params = variant_params(he_variance, STUDENT_KEY, "formulas", 0)  # no variant_key here
    _submit(page, 0, f"2/{params['fan_in']}")
    success = page.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text("Correct")
    expect(success).to_contain_text(he_variance.correct_text(params))
    expect(page.get_by_test_id("stProgress")).to_contain_text("Score 1.00 of 23")

    # The first form is gone (question closed); question 2 (He std) is now the first form.
    he_std = get_question("he_std")
    std_params = variant_params(he_std, STUDENT_KEY, "formulas", 0)
    variance = he_std.correct_value(std_params) ** 2
    _submit(page, 0, repr(variance))  # the variance where the std is asked
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="Not correct")
    expect(warning).to_have_count(1)
    expect(page.get_by_text("That is the variance.")).to_be_visible()
    expect(page.get_by_text("2 attempts left on this variant")).to_be_visible()
    expect(page.get_by_test_id("stProgress")).to_contain_text("Score 1.00 of 23")

    assert_no_errors(page)
    path = screenshot(page, "quiz_formulas_answered")
    assert path.stat().st_size > 10_000


def test_choice_question_in_the_signal_quiz(page):
    from playwright.sync_api import expect

    open_page(page, "")
    _sign(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Signal propagation quiz").click()
    page.wait_for_url("**/quiz-signal")
    wait_for_app(page)

    question = get_question("relu_phase")
    params = variant_params(question, STUDENT_KEY, "signal", 0)
    (correct,) = question.correct_ids(params)
    form = page.get_by_test_id("stForm").nth(8)  # relu_phase is question 9 of the quiz
    prompt = f"A 50-layer ReLU network without biases has weights with Var(W) = {params['sw2']:g}/n"
    expect(page.get_by_text(prompt)).to_be_visible()
    form.get_by_test_id("stRadio").get_by_text(dict(question.option_list(params))[correct]).click()
    form.get_by_role("button", name="Submit").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Correct")
    expect(page.get_by_test_id("stProgress")).to_contain_text("Score 1.00 of 11")
    assert_no_errors(page)
    assert screenshot(page, "quiz_signal_answered").stat().st_size > 10_000
