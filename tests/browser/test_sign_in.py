"""Sign-in through a real OpenID Connect provider, and an assignment from link to gradebook.

A mock OpenID Connect provider (``oidc-provider-mock``, a Flask app with Authlib) runs on
127.0.0.1 in this process; a fresh ``streamlit run streamlit_app.py`` reads a temporary
secrets file (``--secrets.files``: the repository's .streamlit is not touched) whose ``[auth]``
section points at it. Chromium clicks the app's "Sign in" button, fills the provider's login
form and comes back signed in: the student shown is the provider's account and cannot be
edited. Then a signed-in student follows an assignment link and answers a graded question, and
an instructor (an e-mail in ``instructors``) signs in and downloads the gradebook that holds it.

With CI=true a missing Chromium or provider fails these tests instead of skipping them.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quizzes.bank import get_question
from quizzes.ledger import Ledger
from quizzes.session import variant_params
from tests.browser.conftest import (
    APP_IDLE,
    APP_TIMEOUT_MS,
    REPO_ROOT,
    VIEWPORT,
    assert_no_errors,
    free_port,
    screenshot,
    skip_or_fail,
    stop_streamlit,
    wait_for_app,
    wait_healthy,
)

pytestmark = pytest.mark.browser

STUDENT = {"sub": "ada", "email": "ada@uni.example", "name": "Ada Lovelace"}
INSTRUCTOR = {"sub": "grace", "email": "grace@uni.example", "name": "Grace Hopper"}
VARIANT_KEY = "browser-test variant key"
ASSIGNMENT = """\
[[assignment]]
id = "lab1"
title = "Lab 1: Xavier vs He on ReLU at 20 layers"
timezone = "Europe/Berlin"
opens = 2020-01-01T08:00:00
due = 2099-12-10T17:00:00

[[assignment.step]]
page = "signal_propagation"
preset = { init = "xavier_normal", activation = "relu", layers = 20 }
locked = ["init", "activation", "layers"]

[[assignment.quiz]]
id = "formulas"
title = "Initialization formulas, questions 1-2"
questions = ["formulas:1-2"]
schedule = [1.0, 0.5]
"""


def _provider() -> Any:
    """The OpenID Connect provider on 127.0.0.1 (a free port), with two known accounts."""
    try:
        import oidc_provider_mock
        import werkzeug.serving
    except ImportError:
        skip_or_fail("oidc-provider-mock is not installed (pip install -r requirements-dev.txt)")
    users = [
        oidc_provider_mock.User(
            sub=user["sub"], claims={k: v for k, v in user.items() if k != "sub"}
        )
        for user in (STUDENT, INSTRUCTOR)
    ]
    return werkzeug.serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(user_claims=users), threaded=True
    )


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[dict]:
    """A provider and an app server configured for sign-in, a ledger and an assignment."""
    folder = tmp_path_factory.mktemp("classroom")
    provider = _provider()
    thread = threading.Thread(target=provider.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    ledger_url = f"sqlite:///{folder / 'ledger.sqlite3'}"
    (folder / "assignments.toml").write_text(ASSIGNMENT)
    secrets = folder / "secrets.toml"
    secrets.write_text(
        f'variant_key = "{VARIANT_KEY}"\n'
        f'assignments_file = "{folder / "assignments.toml"}"\n'
        f'instructors = ["{INSTRUCTOR["email"]}"]\n'
        "[auth]\n"
        f'redirect_uri = "{base_url}/oauth2callback"\n'
        'cookie_secret = "a cookie secret for the browser test"\n'
        'client_id = "weight-init-lab"\n'
        'client_secret = "client secret"\n'
        "server_metadata_url = "
        f'"http://127.0.0.1:{provider.server_port}/.well-known/openid-configuration"\n'
        "[connections.sql]\n"
        f'url = "{ledger_url}"\n'
    )
    log = folder / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO_ROOT / "streamlit_app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--secrets.files",
                str(secrets),
            ],
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            wait_healthy(base_url, process, log)
        except RuntimeError as error:
            pytest.fail(str(error))
        yield {
            "base_url": base_url,
            "provider": f"http://127.0.0.1:{provider.server_port}",
            "ledger": ledger_url,
        }
    finally:
        stop_streamlit(process)
        provider.shutdown()
        thread.join(timeout=10)


def sign_in(browser: Any, classroom: dict, user: dict) -> Any:
    """A new browser context signed in as ``user`` through the provider's form; its tab."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=classroom["base_url"], viewport=VIEWPORT)
    page = context.new_page()
    page.goto("/")
    wait_for_app(page)
    sidebar = page.get_by_test_id("stSidebar")
    # Before signing in there is nothing to type an identity into.
    expect(sidebar.get_by_role("textbox")).to_have_count(0)
    sidebar.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{classroom['provider']}/**")
    page.get_by_placeholder("sub").fill(user["sub"])
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{classroom['base_url']}/**")
    wait_for_app(page)
    return page


def test_the_student_is_the_providers_account_and_cannot_be_edited(browser, classroom):
    from playwright.sync_api import expect

    page = sign_in(browser, classroom, STUDENT)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Signed in as")).to_be_visible()
    expect(sidebar.get_by_text(STUDENT["name"], exact=True)).to_be_visible()
    expect(sidebar.get_by_text(STUDENT["email"], exact=True)).to_be_visible()
    expect(sidebar.get_by_role("button", name="Sign out")).to_be_visible()
    # Shown, not editable: no box to type another name or ID into.
    expect(sidebar.get_by_role("textbox")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Student ID")).to_have_count(0)
    assert_no_errors(page)
    screenshot(page, "signed_in")
    page.context.close()


def _answer(page: Any, index: int, text: str) -> None:
    form = page.get_by_test_id("stForm").nth(index)
    form.get_by_role("textbox", name="Your answer").fill(text)
    form.get_by_role("button", name="Submit").click()
    wait_for_app(page)


def test_an_assignment_from_the_link_to_the_instructors_gradebook(browser, classroom):
    from playwright.sync_api import expect

    # The student signs in, follows the assignment link, opens the step, answers question 1.
    page = sign_in(browser, classroom, STUDENT)
    page.goto("/?assignment=lab1")
    wait_for_app(page)
    expect(
        page.get_by_role("heading", name="Lab 1: Xavier vs He on ReLU at 20 layers")
    ).to_be_visible()
    expect(page.get_by_text("Due Thu 10 Dec 2099, 17:00 CET (Europe/Berlin)")).to_be_visible()
    page.get_by_role("link", name="Step 1:").click()
    page.wait_for_url("**/signal-propagation?**")
    wait_for_app(page)
    assert "init=xavier_normal" in page.url and "layers=20" in page.url
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("combobox", name="Weight initialization")).to_be_disabled()
    page.get_by_role("link", name="Checklist and quizzes").click()
    wait_for_app(page)
    question = get_question("he_variance")
    params = variant_params(
        question,
        f"sso:{STUDENT['email']}",
        "formulas",
        0,
        mode="graded",
        assignment="lab1",
        key=VARIANT_KEY,
    )
    _answer(page, 0, f"2/{params['fan_in']}")
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Correct")
    assert_no_errors(page)
    screenshot(page, "assignment")
    page.context.close()
    (row,) = Ledger(classroom["ledger"]).rows()
    assert (row.student, row.assignment, row.quiz, row.question, row.status) == (
        f"sso:{STUDENT['email']}",
        "lab1",
        "formulas",
        "he_variance",
        "correct",
    )

    # The instructor signs in; the instructor page opens, and its gradebook has Ada.
    page = sign_in(browser, classroom, INSTRUCTOR)
    page.goto("/instructor")
    # Charts in tabs not shown yet are drawn when their tab opens: wait for the run only.
    page.wait_for_selector(APP_IDLE, timeout=APP_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Instructor")).to_be_visible()
    page.get_by_role("tab", name="Gradebook").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV for Canvas or Moodle").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    label = "Lab 1: Xavier vs He on ReLU at 20 layers (lab1)"
    assert rows[0] == ["Student", "SIS Login ID", label, f"{label} max", "Late"]
    assert rows[1] == [STUDENT["name"], STUDENT["email"], "1", "2", ""]
    assert_no_errors(page)
    page.context.close()
