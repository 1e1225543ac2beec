"""The form of multiple-choice options gives the answer away neither by length nor by place.

Every choice template of the bank, 300 variants each (params drawn from fixed seeds): the
options are of similar length, the correct option is not always the longest (nor always the
shortest), across the bank it is the longest no more often than chance would give, and its
place in the shuffled list moves with the variant.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from quizzes.bank import TEMPLATES
from quizzes.questions import OPTION_ORDER_KEY, ChoiceQuestion

VARIANTS = 300
CHOICE = [q for q in TEMPLATES.values() if isinstance(q, ChoiceQuestion)]
SINGLE = [q for q in CHOICE if not q.multi_select]
#: The longest option of a list is at most this many times the shortest (as shown: markdown
#: code ticks and bold stars do not count).
MAX_LENGTH_RATIO = 1.5


def _variants(question: ChoiceQuestion) -> list[dict]:
    return [question.variant_params(np.random.default_rng(seed)) for seed in range(VARIANTS)]


def shown_length(text: str) -> int:
    """Characters a student sees: markdown code ticks, bold stars and $ do not show."""
    return len(re.sub(r"[`*$]", "", text))


def _lengths(question: ChoiceQuestion, params: dict) -> tuple[list[int], list[int]]:
    """(lengths of the correct options, lengths of the others)."""
    correct = question.correct_ids(params)
    options = question.option_list(params)
    right = [shown_length(text) for option_id, text in options if option_id in correct]
    wrong = [shown_length(text) for option_id, text in options if option_id not in correct]
    return right, wrong


def _longest(question: ChoiceQuestion, params: dict) -> bool:
    """The correct option(s) are at least as long as every other one (ties count)."""
    right, wrong = _lengths(question, params)
    return min(right) >= max(wrong)


def _shortest(question: ChoiceQuestion, params: dict) -> bool:
    right, wrong = _lengths(question, params)
    return max(right) <= min(wrong)


def test_the_bank_has_choice_templates_of_both_kinds() -> None:
    assert len(SINGLE) >= 10 and len(CHOICE) > len(SINGLE)


@pytest.mark.parametrize("question", CHOICE, ids=lambda q: q.id)
def test_options_are_of_similar_length(question: ChoiceQuestion) -> None:
    for params in _variants(question):
        lengths = [shown_length(text) for _, text in question.option_list(params)]
        assert max(lengths) <= MAX_LENGTH_RATIO * min(lengths), (
            question.id,
            question.option_list(params),
        )


@pytest.mark.parametrize("question", CHOICE, ids=lambda q: q.id)
def test_the_correct_option_is_not_always_the_longest_nor_the_shortest(
    question: ChoiceQuestion,
) -> None:
    variants = _variants(question)
    longest = sum(_longest(question, params) for params in variants)
    shortest = sum(_shortest(question, params) for params in variants)
    assert longest < len(variants), f"{question.id}: the longest option is always right"
    assert shortest < len(variants), f"{question.id}: the shortest option is always right"


@pytest.mark.parametrize("extreme", [_longest, _shortest], ids=["longest", "shortest"])
def test_across_the_bank_length_picks_the_answer_no_more_often_than_chance(extreme) -> None:
    # If length told nothing, the longest of a template's k options would be the right one with
    # probability 1/k, and the number of single-choice templates where it is, a sum of
    # independent Bernoulli(1/k) with mean sum(1/k) and variance sum(1/k (1 - 1/k)). A template
    # counts with the share of its variants where the correct option is the longest (ties count
    # as longest). Tolerance: the mean plus two standard deviations (a one-sided 98% bound of
    # the normal approximation). The bank before this check was above the bound (6.1 > 5.9).
    observed = 0.0
    mean = variance = 0.0
    for question in SINGLE:
        variants = _variants(question)
        k = len(question.option_list(variants[0]))
        observed += sum(extreme(question, params) for params in variants) / len(variants)
        mean += 1 / k
        variance += (1 / k) * (1 - 1 / k)
    assert observed <= mean + 2 * math.sqrt(variance), (observed, mean, variance)


@pytest.mark.parametrize("question", CHOICE, ids=lambda q: q.id)
def test_the_correct_option_takes_every_place_in_the_shuffled_list(
    question: ChoiceQuestion,
) -> None:
    places = set()
    for params in _variants(question):
        order = params[OPTION_ORDER_KEY]
        assert [option_id for option_id, _ in question.option_list(params)] == order
        places.update(order.index(option_id) for option_id in question.correct_ids(params))
    assert places == set(range(len(order)))
