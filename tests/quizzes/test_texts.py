"""Every text a student reads in a quiz is well-formed, for 60 variants of every template.

The texts: prompt, solution, link help, option texts, feedback, the grading rule under the
answer box and the grade messages (right, wrong, and each known mistake). Each pattern below is
a phrasing the bank once printed ("Graded exactly of the exact value", "384 is not exactly of
the answer", "a deep stack of a 3x3 convolution (nn.Conv2d) layers", "1 samples",
"a 8-layer", "Not nan:").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest

from quizzes.bank import TEMPLATES
from quizzes.grading import grade
from quizzes.questions import ChoiceQuestion, NumericQuestion, Question, article, render

VARIANTS = 60
COUNT_NOUNS = (
    "attempt|block|bit|channel|class|feature|input|layer|level|output|point|question|run|"
    "sample|step|unit|value|variant|weight"
)
BROKEN = {
    "a tolerance composed with 'of'": r"\bexactly of\b",
    "1 with a plural noun": rf"(?<![\d.,^])1 (?:{COUNT_NOUNS})(?:s|es)\b",
    "a singular article on a plural phrase": r"\bof an? [^,;:?]{0,40}\blayers\b",
    "an option id in feedback": r"\bNot (?:nan|inf|max|same|wrap|zero|normal|subnormal):",
    "a word twice": r"(?i)\b([a-z]+) \1\b",
    "an unfilled field": r"(?<![\\\w}])\{[A-Za-z_]+\}",
    "two spaces": r"\S  +\S",
    "a space before punctuation": r" [,;:?!]| \.(?![\d.])",
    "None or nan printed": r"\bNone\b|\bnan\b",
}


def student_texts(question: Question, params: dict) -> Iterator[str]:
    """Every text of one variant a student may read."""
    yield question.render_prompt(params)
    yield question.render_explanation(params)
    yield question.link_help(params) or ""
    if isinstance(question, ChoiceQuestion):
        correct = question.correct_ids(params)
        for option_id, text in question.option_list(params):
            yield text
            if option_id not in correct:
                result = grade(question, params, [option_id])
                yield result.message
                yield result.feedback or ""
        yield grade(question, params, sorted(correct)).message
        return
    assert isinstance(question, NumericQuestion)
    yield question.grading_rule
    yield grade(question, params, question.correct_text(params)).message
    wrong = grade(question, params, repr(question.correct_value(params) * 7.3 + 1))
    yield wrong.message
    for mistake in question.mistakes:
        value = mistake.value(params)
        if value is not None:
            result = grade(question, params, repr(float(value)))
            yield result.message
            yield result.feedback or render(mistake.feedback, params)


@pytest.mark.parametrize("question", list(TEMPLATES.values()), ids=lambda q: q.id)
def test_no_broken_phrasing(question: Question) -> None:
    for seed in range(VARIANTS):
        params = question.variant_params(np.random.default_rng(seed))
        for text in student_texts(question, params):
            for problem, pattern in BROKEN.items():
                match = re.search(pattern, text)
                assert match is None, f"{question.id}: {problem}: {text!r}"
            for word, number in re.findall(r"\b([Aa]n?) (\d[\d,]*)\b", text):
                assert word.lower() == article(int(number.replace(",", ""))), text


def test_patterns_catch_the_old_phrasings() -> None:
    old = [
        "Graded exactly of the exact value.",
        "Not correct: 384 is not exactly of the answer.",
        "through a deep stack of a 3x3 convolution (`nn.Conv2d`) layers followed by ReLU?",
        "Std of dL/dW_l (summed over 1 samples)",
        "Not nan: FP16 normals start at 6.1035e-05",
    ]
    for text in old:
        assert any(re.search(pattern, text) for pattern in BROKEN.values()), text


def test_article_reads_numbers_aloud() -> None:
    for number in (8, 11, 18, 80, 86, 800, 8000, 11_000, 18_500, 800_000):
        assert article(number) == "an", number
    for number in (0, 1, 7, 10, 12, 100, 180, 1100, 1800, 50_000):
        assert article(number) == "a", number
    with pytest.raises(ValueError, match="number must be an integer"):
        article(8.0)


def test_the_layer_prompt_names_a_plural_stack() -> None:
    question = TEMPLATES["init_for_activation"]
    prompts = {
        question.render_prompt(question.variant_params(np.random.default_rng(seed)))
        for seed in range(VARIANTS)
    }
    stacks = {re.search(r"a deep stack of (.+?), each followed by", p)[1] for p in prompts}
    assert stacks == {"dense layers (`nn.Linear`)", "3x3 convolutions (`nn.Conv2d`)"}
