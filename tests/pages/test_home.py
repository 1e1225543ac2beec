"""AppTest of the app shell and the home page. Paths passed to AppTest.from_file are relative to
this file."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from pages.ui.registry import HOME_KEY, PAGES, REPO_ROOT
from tests.pages.deep_links import unused_parameter_warnings

TIMEOUT = 30


def app() -> AppTest:
    return AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT)


# --------------------------------------------------------------------------- shell and home


def test_home_runs_and_links_every_page():
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Weight Initialization Lab"
    links = {(link.value, link.proto.page) for link in at.page_link}
    expected = {(info.title, info.url_path) for info in PAGES if info.key != HOME_KEY}
    assert links == expected
    captions = {caption.value for caption in at.caption}
    assert all(info.description in captions for info in PAGES if info.key != HOME_KEY)
    assert any(r"\operatorname{Var}(W) = \frac{\text{scale}}{n}" in m.value for m in at.latex)


def test_identity_boxes_are_in_the_sidebar_and_survive_page_switches():
    at = app().run()
    name, student_id = at.sidebar.text_input
    assert (name.label, student_id.label) == ("Your name", "Student ID")
    name.input("Ada Lovelace")
    student_id.input("s1234567").run()
    at.switch_page("pages/quiz_formulas.py").run()
    assert not at.exception
    assert [box.value for box in at.sidebar.text_input] == ["Ada Lovelace", "s1234567"]


def test_shell_survives_reruns():
    # AppTest resets Streamlit's legacy pages/-folder flag before every run, as a freshly
    # started server has it; the shell must still draw its sidebar on every rerun.
    at = app().run()
    at.run()
    assert not at.exception
    assert len(at.sidebar.text_input) == 2


def test_no_page_file_is_named_like_a_url_path():
    # Streamlit's legacy folder mode serves pages/<stem>.py directly at /<stem>. The app switches
    # it off at server start (pages/ui/page_folder.py), but AppTest runs start in it, and a
    # page file named like one of the app's URL paths would then run without the shell. Every
    # file in pages/ must therefore differ from every url_path.
    stems = {path.stem for path in (REPO_ROOT / "pages").glob("*.py")}
    assert stems.isdisjoint({info.url_path for info in PAGES})


def test_every_page_opens_with_its_registry_title():
    at = app().run()
    for info in PAGES:
        if info.key == HOME_KEY:
            continue
        at.switch_page(info.file).run()
        assert not at.exception, info.key
        assert at.title[0].value == info.title


def test_home_names_a_url_parameter_it_does_not_use():
    """A link meant for another page, or a typo, opened on Home: one line names the parameter
    (as text) and it leaves the address; Home was silent and kept it. Without parameters Home
    warns about nothing."""
    quiet = app().run()
    assert unused_parameter_warnings(quiet) == []
    at = app()
    at.query_params["layers"] = "<b>30</b>"
    at.run()
    assert not at.exception
    (warning,) = unused_parameter_warnings(at)
    assert warning.startswith("URL parameter 'layers' is not used on this page and was ignored")
    assert "its parameters are: none" in warning
    assert "layers" not in at.query_params
