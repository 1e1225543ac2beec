"""The registry: every question template by id, and the quizzes built from them.

To add a topic, write a module with a tuple of templates (like ``bank_formulas``), append it to
``TEMPLATE_GROUPS`` and list its ids in a quiz of ``QUIZZES``. Ids must be unique across
groups; :func:`build_templates` and :func:`check_quizzes` enforce that at import. Every question
is worth one point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lab.validation import check_choice
from quizzes.bank_concepts import CONCEPT_TEMPLATES
from quizzes.bank_formulas import FORMULA_TEMPLATES
from quizzes.bank_quantization import QUANTIZATION_TEMPLATES
from quizzes.bank_signal import SIGNAL_TEMPLATES
from quizzes.bank_training import TRAINING_TEMPLATES
from quizzes.questions import Question, check_slug


@dataclass(frozen=True)
class Quiz:
    """A named, ordered list of question ids."""

    id: str
    title: str
    description: str
    question_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        check_slug("quiz id", self.id)
        if len(set(self.question_ids)) != len(self.question_ids):
            raise ValueError(f"quiz {self.id} lists a question twice; got {self.question_ids}")


def build_templates(*groups: Iterable[Question]) -> dict[str, Question]:
    """{id: template} over all groups; a repeated id raises ValueError."""
    templates: dict[str, Question] = {}
    for group in groups:
        for question in group:
            if question.id in templates:
                raise ValueError(f"question id {question.id!r} is defined twice")
            templates[question.id] = question
    return templates


def check_quizzes(quizzes: Mapping[str, Quiz], templates: Mapping[str, Question]) -> None:
    """Raise ValueError if a quiz is filed under another id or lists an unknown question."""
    for quiz_id, quiz in quizzes.items():
        if quiz.id != quiz_id:
            raise ValueError(f"quiz {quiz.id!r} is registered as {quiz_id!r}")
        unknown = [qid for qid in quiz.question_ids if qid not in templates]
        if unknown:
            raise ValueError(f"quiz {quiz_id!r} lists unknown questions: {', '.join(unknown)}")


#: Template modules, one tuple of templates per topic.
TEMPLATE_GROUPS: tuple[tuple[Question, ...], ...] = (
    FORMULA_TEMPLATES,
    CONCEPT_TEMPLATES,
    SIGNAL_TEMPLATES,
    QUANTIZATION_TEMPLATES,
    TRAINING_TEMPLATES,
)
TEMPLATES: dict[str, Question] = build_templates(*TEMPLATE_GROUPS)

_REVIEW_IDS = (
    "he_variance",
    "xavier_uniform_bound",
    "conv_fan_in",
    "exercise2_xavier_bound",
    *(question.id for question in CONCEPT_TEMPLATES),
    "xavier_relu_rms_factor",
    "relu_phase",
    "critical_init_relu",
    "fp16_overflow",
    "int8_scale",
)

QUIZZES: dict[str, Quiz] = {
    "formulas": Quiz(
        "formulas",
        "Initialization formulas",
        "Variances, standard deviations and bounds of Xavier, He and LeCun; fans of dense and "
        "convolution layers; gains; library defaults.",
        tuple(question.id for question in FORMULA_TEMPLATES),
    ),
    "signal": Quiz(
        "signal",
        "Signal propagation",
        "How the size of activations and gradients changes through depth.",
        tuple(question.id for question in SIGNAL_TEMPLATES),
    ),
    "quantization": Quiz(
        "quantization",
        "Number formats and quantization",
        "Overflow, underflow and rounding of activations in float16, bfloat16, FP8 and INT8.",
        tuple(question.id for question in QUANTIZATION_TEMPLATES),
    ),
    "training": Quiz(
        "training",
        "Training and the phase diagram",
        "Which initialization trains first, why equal units stay equal, and how deep a network "
        "trains at a given distance from the edge of chaos.",
        tuple(question.id for question in TRAINING_TEMPLATES),
    ),
    "review": Quiz(
        "review",
        "Review",
        "A mix of every topic: formulas, ideas (symmetry, rand vs randn, output layers, "
        "normalization), signal propagation and number formats.",
        _REVIEW_IDS,
    ),
}
QUIZ_IDS: tuple[str, ...] = tuple(QUIZZES)

check_quizzes(QUIZZES, TEMPLATES)


def get_question(question_id: str) -> Question:
    """The template with this id (ValueError listing the ids otherwise)."""
    check_choice("question_id", question_id, TEMPLATES)
    return TEMPLATES[question_id]


def get_quiz(quiz_id: str) -> Quiz:
    """The quiz with this id (ValueError listing the ids otherwise)."""
    check_choice("quiz_id", quiz_id, QUIZZES)
    return QUIZZES[quiz_id]


def quiz_questions(quiz_id: str) -> list[Question]:
    """The templates of a quiz, in order."""
    return [TEMPLATES[question_id] for question_id in get_quiz(quiz_id).question_ids]
