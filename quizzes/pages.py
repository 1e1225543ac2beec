"""The quiz pages' declared controls, and every page's declaration by page key.

The engine declares the simulation pages and the home page (lab.controls.registry); the quiz
pages are declared here because only the quiz library knows the quizzes. ``ALL_PAGES`` has one
declaration per page of the app, with the URL path the app serves it at.
"""

from __future__ import annotations

from lab.controls.core import ChoiceControl, PageControls
from lab.controls.registry import HOME, SIMULATION_PAGES
from quizzes.bank import QUIZ_IDS, QUIZZES

TOPIC = ChoiceControl(
    name="topic",
    label="Practice topic",
    default=QUIZ_IDS[0],
    options=tuple((quiz_id, quiz.title) for quiz_id, quiz in QUIZZES.items()),
    help="The quiz whose questions you practise.",
)

#: Practice: one quiz chosen by ``topic``.
PRACTICE = PageControls("practice", "practice", (TOPIC,))

#: The quiz pages by page key: each graded quiz (no controls: the quiz is the page) and Practice.
QUIZ_PAGES: dict[str, PageControls] = {
    controls.page: controls
    for controls in (
        PageControls("quiz_formulas", "quiz-formulas", ()),
        PageControls("quiz_signal", "quiz-signal", ()),
        PageControls("quiz_quantization", "quiz-quantization", ()),
        PageControls("quiz_training", "quiz-training", ()),
        PageControls("quiz_review", "quiz-review", ()),
        PRACTICE,
    )
}

#: Every page's declaration by page key: simulations, home, quizzes.
ALL_PAGES: dict[str, PageControls] = {**SIMULATION_PAGES, HOME.page: HOME, **QUIZ_PAGES}
