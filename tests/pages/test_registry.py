"""The page registry (pages/ui/registry.py): the navigation plan, icons, sections."""

from __future__ import annotations

import pytest
from streamlit.material_icon_names import ALL_MATERIAL_ICONS

from pages.ui.registry import PAGES, SECTIONS, get_page, pages_in_section

# --------------------------------------------------------------------------- registry

#: The navigation the brief asks for: (section, title, file, url_path).
EXPECTED_PAGES = [
    ("Start", "Home", "pages/home_page.py", "home"),
    ("Simulations", "Forward pass", "pages/forward_pass.py", "forward-pass"),
    ("Simulations", "Weight distribution", "pages/weight_distribution.py", "weight-distribution"),
    ("Simulations", "Signal propagation", "pages/signal_propagation.py", "signal-propagation"),
    ("Simulations", "Gradient flow: rand vs randn", "pages/gradient_flow.py", "gradient-flow"),
    ("Simulations", "Quantization range", "pages/quantization_range.py", "quantization"),
    ("Simulations", "Training", "pages/training.py", "train"),
    ("Simulations", "Phase diagram", "pages/phase_diagram.py", "phase-diagram"),
    ("Quizzes", "Initialization formulas", "pages/quiz_formulas.py", "quiz-formulas"),
    ("Quizzes", "Signal propagation quiz", "pages/quiz_signal.py", "quiz-signal"),
    ("Quizzes", "Quantization quiz", "pages/quiz_quantization.py", "quiz-quantization"),
    ("Quizzes", "Training quiz", "pages/quiz_training.py", "quiz-training"),
    ("Quizzes", "Mixed review", "pages/quiz_review.py", "quiz-review"),
    ("Quizzes", "Practice", "pages/quiz_practice.py", "practice"),
]


def test_registry_matches_the_navigation_plan():
    assert [(p.section, p.title, p.file, p.url_path) for p in PAGES] == EXPECTED_PAGES


def test_registry_entries_are_unique_and_complete():
    assert len({p.key for p in PAGES}) == len(PAGES)
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    for info in PAGES:
        assert info.path.is_file(), info.file
        assert info.section in SECTIONS
        assert info.description.strip() and "\n" not in info.description
        assert info.icon.startswith(":material/") and info.icon.endswith(":")
        assert info.icon[len(":material/") : -1] in ALL_MATERIAL_ICONS, info.icon


def test_sections_keep_registry_order():
    assert [p.key for s in SECTIONS for p in pages_in_section(s)] == [p.key for p in PAGES]
    assert pages_in_section("Start") == (get_page("home"),)


def test_unknown_page_and_section_are_rejected():
    with pytest.raises(ValueError, match="page_key must be one of .*; got 'nope'"):
        get_page("nope")
    with pytest.raises(ValueError, match="section must be one of Start, Simulations, Quizzes"):
        pages_in_section("Extras")


# --------------------------------------------------------------------------- navigation pages


def test_a_session_keeps_its_navigation_pages_and_another_session_gets_its_own():
    from streamlit.testing.v1 import AppTest

    from pages.ui.memo import NAVIGATION_PAGES_KEY

    first = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    key, pages = first.session_state[NAVIGATION_PAGES_KEY]
    assert key == ("home", tuple(info.key for info in PAGES))
    first.switch_page("pages/quiz_formulas.py").run()
    assert not first.exception
    assert first.session_state[NAVIGATION_PAGES_KEY][1] is pages  # reused, not made again
    assert first.title[0].value == "Initialization formulas"
    other = AppTest.from_file("../../streamlit_app.py", default_timeout=30).run()
    others = other.session_state[NAVIGATION_PAGES_KEY][1]
    assert all(others[name] is not page for name, page in pages.items())
