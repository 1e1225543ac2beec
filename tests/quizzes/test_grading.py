"""Grading rules, question validation and the mistake factories, on small hand-made templates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quizzes import mistakes as mk
from quizzes.bank import get_question
from quizzes.grading import Grade, grade, mark_repeat, reveal
from quizzes.questions import (
    ChoiceQuestion,
    Mistake,
    NumericQuestion,
    count_text,
    format_value,
    render,
    round_sig,
    within,
)

PARAMS = {"n": 400}


def _variance(p: dict) -> float:
    return 2.0 / p["n"]  # 0.005 for n = 400


def _numeric(**overrides) -> NumericQuestion:
    fields = dict(
        id="toy_variance",
        topic="test",
        title="Toy variance",
        difficulty=1,
        prompt=lambda p: f"n = {p['n']}",
        explanation="2/n",
        generate=lambda rng: {"n": int(rng.integers(100, 1000))},
        answer=_variance,
        mistakes=(
            mk.std_for_variance(_variance),
            mk.lecun_for_he(_variance, 1.0),
            Mistake("not_here", lambda p: None, "never applies"),
        ),
    )
    fields.update(overrides)
    return NumericQuestion(**fields)


def _choice(**overrides) -> ChoiceQuestion:
    fields = dict(
        id="toy_choice",
        topic="test",
        title="Toy choice",
        difficulty=1,
        prompt="Pick",
        explanation="a and b",
        options=(("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")),
        correct=("a", "b"),
        multi_select=True,
        option_feedback={"d": "D is about something else."},
        mistakes=(Mistake("c_myth", "c", "C is a myth."),),
    )
    fields.update(overrides)
    return ChoiceQuestion(**fields)


# --- numeric --------------------------------------------------------------------------------


def test_relative_tolerance_rule() -> None:
    question = _numeric()  # rel_tol 0.01 of 0.005 -> 5e-5
    assert grade(question, PARAMS, "0.005").status == "correct"
    assert grade(question, PARAMS, "0.00504").status == "correct"
    assert grade(question, PARAMS, "0.00496").status == "correct"
    assert grade(question, PARAMS, "0.00506").status == "incorrect"
    assert grade(question, PARAMS, "2/400").status == "correct"
    assert grade(question, PARAMS, 0.005).status == "correct"  # numbers are accepted too


def test_absolute_tolerance_rule() -> None:
    question = _numeric(rel_tol=0.0, abs_tol=0.001, mistakes=())
    assert grade(question, PARAMS, "0.0059").status == "correct"
    assert grade(question, PARAMS, "0.0041").status == "correct"
    assert grade(question, PARAMS, "0.0062").status == "incorrect"
    assert question.tolerance_description == "within 0.001"
    assert _numeric().tolerance_description == "within 1%"
    assert _numeric(tolerance_text="exactly").tolerance_description == "exactly"


def test_correct_grade_carries_the_exact_value() -> None:
    result = grade(_numeric(), PARAMS, "0.005")
    assert result == Grade(
        "correct",
        1.0,
        "Correct (within 1% of the exact value).",
        exact_value="0.005",
        value=0.005,
    )


def test_tolerance_phrases_compose_into_sentences() -> None:
    within_1 = _numeric(mistakes=())
    assert within_1.grading_rule == "Graded within 1% of the exact value."
    assert grade(within_1, PARAMS, "0.3").message == (
        "Not correct: 0.3 is not within 1% of the answer."
    )
    decibels = _numeric(rel_tol=0.0, abs_tol=0.3, tolerance_text="within 0.3 dB", mistakes=())
    assert decibels.grading_rule == "Graded within 0.3 dB of the exact value."
    assert grade(decibels, PARAMS, "0.005").message == "Correct (within 0.3 dB of the exact value)."
    # An integer answer graded exactly: no "exactly of the exact value".
    fan_in = _numeric(
        answer=lambda p: float(p["n"]), rel_tol=0.0, abs_tol=0.5, tolerance_text="exactly",
        mistakes=(),
    )  # fmt: skip
    assert fan_in.exact and not within_1.exact
    assert fan_in.grading_rule == "Graded exactly."
    assert grade(fan_in, PARAMS, "400").message == "Correct."
    assert grade(fan_in, PARAMS, "384").message == "Not correct: 384 is not the answer."
    level = _numeric(tolerance_text="exactly (an integer level)", mistakes=())
    assert level.grading_rule == "Graded exactly (an integer level)."
    for bad in ("to 3 digits", "Exactly", "within 1%\nplus", ""):
        with pytest.raises(ValueError, match="tolerance_text must be one line starting with"):
            _numeric(tolerance_text=bad)


def test_known_mistakes_get_their_feedback_and_no_credit() -> None:
    question = _numeric()
    std = grade(question, PARAMS, "sqrt(2/400)")
    assert (std.status, std.credit_fraction, std.mistake) == ("incorrect", 0.0, "std_for_variance")
    assert "standard deviation" in std.feedback and std.exact_value is None
    lecun = grade(question, PARAMS, "1/400")
    assert lecun.mistake == "lecun_for_he" and "doubles" in lecun.feedback
    other = grade(question, PARAMS, "0.3")
    assert other.status == "incorrect" and other.mistake is None and other.feedback is None


def test_a_mistake_matching_the_answer_never_costs_credit() -> None:
    question = _numeric(mistakes=(Mistake("same", _variance, "should never show"),))
    assert grade(question, PARAMS, "0.005").status == "correct"
    assert question.clashes(PARAMS) == [("answer", "same")]
    with pytest.raises(ValueError, match="coinciding"):
        question.variant_params(np.random.default_rng(0))


def test_variant_params_redraws_clashing_variants() -> None:
    # "used 400" coincides with the answer only when n = 400; such draws must be redrawn.
    question = _numeric(
        generate=lambda rng: {"n": int(rng.choice([400, 800]))},
        mistakes=(Mistake("used_400", lambda p: 2 / 400, "you used 400"),),
    )
    draws = [question.variant_params(np.random.default_rng(seed))["n"] for seed in range(30)]
    assert set(draws) == {800}


def test_generic_slips() -> None:
    question = _numeric(mistakes=())
    assert grade(question, PARAMS, "-0.005").mistake == "sign"
    slip = grade(question, PARAMS, "0.05")
    assert slip.mistake == "power_of_ten" and "10^1" in slip.feedback
    assert grade(question, PARAMS, "0.0005").mistake == "power_of_ten"


@pytest.mark.parametrize("answer", ["", "1,000", "x", "abc", True, None, float("nan"), [1]])
def test_unreadable_numeric_answers_are_invalid_and_do_not_count(answer) -> None:
    result = grade(_numeric(), PARAMS, answer)
    assert result.status == "invalid" and not result.counts_as_attempt
    assert result.credit_fraction == 0.0 and result.message


def test_reveal_gives_the_answer_text() -> None:
    assert reveal(_numeric(), PARAMS) == "0.005"
    assert reveal(_choice(), {}) == "A; B"


# --- repeated answers -----------------------------------------------------------------------


def _again(question, params, answer, tried):
    return mark_repeat(question, params, answer, grade(question, params, answer), tried)


def test_a_number_equal_to_one_tried_uses_no_attempt() -> None:
    question = _numeric(mistakes=())  # answer 0.005, within 1%
    for earlier, again, shown in [
        ("384", "384.0", "384"),
        ("384", " 3.84e2 ", "384"),
        ("1/400", "0.0025", "0.0025"),
        ("7", 7, "7"),
    ]:
        result = _again(question, PARAMS, again, ["0.3", earlier])
        assert result.status == "incorrect" and not result.counts_as_attempt
        assert result.note == f"You already tried {shown}; this uses no attempt."
    fresh = _again(question, PARAMS, "390", ["384"])  # 1.6% away: a new answer
    assert fresh.counts_as_attempt and fresh.note is None
    # The right value is never a repeat: it is graded and counts.
    assert _again(question, PARAMS, "0.005", ["2/400"]).counts_as_attempt


def test_a_wrong_value_within_the_tolerance_of_one_tried_is_the_same_answer() -> None:
    question = _numeric(mistakes=(mk.lecun_for_he(_variance, 1.0),))  # LeCun: 1/400 = 0.0025
    near = _again(question, PARAMS, "0.0121", ["0.012"])  # both wrong, 0.8% apart
    assert not near.counts_as_attempt
    assert near.note.startswith("You already tried 0.012, the same within the tolerance")
    # Within the tolerance of an earlier wrong value but now a known mistake: a new answer.
    edge = _again(question, PARAMS, "0.0025", ["0.00253"])
    assert edge.mistake == "lecun_for_he" and edge.counts_as_attempt
    # Within the tolerance of an earlier wrong value and now right: graded, counts.
    right = _again(question, PARAMS, "0.00497", ["0.00492"])
    assert right.status == "correct" and right.counts_as_attempt
    assert grade(question, PARAMS, "0.00492").status == "incorrect"  # the earlier one was wrong


def test_invalid_answers_are_not_marked_as_repeats() -> None:
    question = _numeric(mistakes=())
    result = _again(question, PARAMS, "abc", ["abc", "0.3"])
    assert result.status == "invalid" and result.note is None


def test_the_same_selection_uses_no_attempt() -> None:
    question = _choice()
    multi = _again(question, {}, ["c", "a"], [["a", "c"]])
    assert not multi.counts_as_attempt
    assert multi.note == "You already tried this selection; this uses no attempt."
    assert _again(question, {}, ["a", "d"], [["a", "c"]]).counts_as_attempt
    single = _choice(correct=("a",), multi_select=False)
    repeat = _again(single, {}, "c", ["b", ["c"]])
    assert repeat.note == "You already tried this option; this uses no attempt."
    assert repeat.feedback == "C is a myth."  # the grade itself is unchanged
    assert _again(single, {}, "b", ["c"]).counts_as_attempt


def test_counts_are_printed_with_their_noun_in_the_right_number() -> None:
    assert count_text(1, "attempt") == "1 attempt"
    assert count_text(0, "attempt") == "0 attempts"
    assert count_text(3.0, "point") == "3 points"
    assert count_text(10000, "sample") == "10,000 samples"
    assert count_text(2, "matrix", "matrices") == "2 matrices"
    for bad in (1.5, True, float("inf"), "3"):
        with pytest.raises(ValueError, match="count must be a whole number"):
            count_text(bad, "attempt")


# --- choice ---------------------------------------------------------------------------------


def test_choice_correct_and_incorrect() -> None:
    question = _choice()
    assert grade(question, {}, ["b", "a"]).status == "correct"
    assert grade(question, {}, ("a", "b")).exact_value is None  # the option is the answer
    myth = grade(question, {}, ["a", "b", "c"])
    assert myth.status == "incorrect" and myth.mistake == "c_myth"
    assert myth.feedback == "C is a myth." and myth.credit_fraction == 0.0
    other = grade(question, {}, ["a", "d"])
    assert "D is about something else." in other.feedback
    assert "not selected" in other.feedback and other.mistake is None


def test_choice_partial_credit() -> None:
    question = _choice(partial_credit=True)
    assert grade(question, {}, ["a"]).credit_fraction == pytest.approx(0.5)
    assert grade(question, {}, ["a", "c"]).credit_fraction == 0.0
    half = grade(question, {}, ["a"])
    assert half.status == "incorrect" and half.message == "Partly right."


@pytest.mark.parametrize("answer", [[], "", ["zzz"], 3])
def test_invalid_choice_answers(answer) -> None:
    result = grade(_choice(), {}, answer)
    assert result.status == "invalid" and not result.counts_as_attempt


def test_single_select_takes_one_option() -> None:
    question = _choice(correct=("a",), multi_select=False)
    assert grade(question, {}, "a").status == "correct"
    assert grade(question, {}, ["a", "b"]).status == "invalid"


def test_shuffled_order_is_deterministic_and_a_permutation() -> None:
    question = _choice()
    first = question.variant_params(np.random.default_rng(5))
    again = question.variant_params(np.random.default_rng(5))
    assert first == again
    assert sorted(first["option_order"]) == ["a", "b", "c", "d"]
    assert [i for i, _ in question.option_list(first)] == first["option_order"]
    with pytest.raises(ValueError, match="option_order"):
        question.option_list({"option_order": ["a", "b"]})


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"id": "Bad Id"}, "id must be"),
        ({"difficulty": 4}, r"difficulty must be an integer in \[1, 3\]; got 4"),
        ({"rel_tol": -0.1}, "rel_tol must be"),
        ({"rel_tol": 0.0, "abs_tol": 0.0}, "must not both be 0"),
        ({"mistakes": (Mistake("m", "a", "option id"),)}, "callable value"),
        ({"title": " "}, "title must be"),
        ({"mistakes": (mk.inverted(_variance), mk.inverted(_variance))}, "distinct names"),
    ],
)
def test_numeric_question_validation(overrides: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _numeric(**overrides)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"correct": ("z",)}, "correct ids"),
        ({"correct": ("a", "b"), "multi_select": False}, "one correct id"),
        ({"options": (("a", "A"),), "correct": ("a",)}, ">= 2 distinct"),
        ({"mistakes": (Mistake("m", "a", "x"),)}, "points at a correct option"),
        ({"mistakes": (Mistake("m", "q", "x"),)}, "mistake m option must be one of"),
    ],
)
def test_choice_question_validation(overrides: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _choice(**overrides)


def test_params_must_be_json_able() -> None:
    question = _numeric(generate=lambda rng: {"n": np.int64(400)})
    with pytest.raises(ValueError, match="JSON-able"):
        question.variant_params(np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be"):
        _numeric().variant_params(0)


def test_grade_round_trip_and_validation() -> None:
    result = grade(_numeric(), PARAMS, "1/400")
    assert Grade.from_dict(result.to_dict()) == result
    with pytest.raises(ValueError, match="status must be one of"):
        Grade("maybe", 0.0, "")
    with pytest.raises(ValueError, match="credit_fraction"):
        Grade("correct", 1.5, "")


# --- factories and formatting ---------------------------------------------------------------


def test_mistake_factories_compute_the_wrong_values() -> None:
    # Independent values: He variance 2/400, std sqrt(2/400), bound sqrt(6/400); Xavier
    # variance 1/250 (fan_avg 250); He fan_out variance 2/100.
    p = {"fan_in": 400, "fan_out": 100}
    var = lambda q: 2 / q["fan_in"]  # noqa: E731
    std = lambda q: math.sqrt(2 / q["fan_in"])  # noqa: E731
    bound = lambda q: math.sqrt(6 / q["fan_in"])  # noqa: E731
    xavier = lambda q: 2 / (q["fan_in"] + q["fan_out"])  # noqa: E731
    he_out = lambda q: 2 / q["fan_out"]  # noqa: E731
    cases = [
        (mk.std_for_variance(var), math.sqrt(2 / 400)),
        (mk.variance_for_std(std), 2 / 400),
        (mk.bound_for_std(std), math.sqrt(6 / 400)),
        (mk.std_for_bound(bound), math.sqrt(2 / 400)),
        (mk.variance_for_bound(bound), 2 / 400),
        (mk.forgot_sqrt(bound), 6 / 400),
        (mk.sqrt3_for_sqrt6(bound), math.sqrt(3 / 400)),
        (mk.lecun_for_he(std, 0.5), math.sqrt(1 / 400)),
        (mk.he_for_lecun(var, 1.0), 4 / 400),
        (mk.fan_sum_without_two(var, 1.0), 1 / 400),
        (mk.fan_avg_for_fan_in(var, 1.0), 2 / 250),
        (mk.fan_in_for_fan_avg(xavier, 1.0), 1 / 400),
        (mk.fan_out_for_fan_in(std, 0.5), math.sqrt(2 / 100)),
        (mk.fan_in_for_fan_out(he_out, 1.0), 2 / 400),
        (mk.squared_gain(std), 2 / 400),
        (mk.inverted(var), 200.0),
        (mk.natural_log_for_log10(lambda q: 10 * math.log10(2)), 10 * math.log(2)),
        (mk.log10_for_natural_log(lambda q: math.log(2)), math.log10(2)),
    ]
    for mistake, expected in cases:
        assert mistake.value(p) == pytest.approx(expected, rel=1e-12), mistake.name
        assert isinstance(mistake.feedback, str) and mistake.feedback
    assert mk.std_for_variance(var, "custom").feedback == "custom"
    with pytest.raises(ValueError, match="exponent"):
        mk.lecun_for_he(var, 0.0)


def test_render_fills_named_fields_only() -> None:
    assert render("n = {n}, $\\sqrt{2}$ {missing} {0}", {"n": 400}) == (
        "n = 400, $\\sqrt{2}$ {missing} {0}"
    )
    assert render(lambda p: f"n={p['n']}", {"n": 3}) == "n=3"
    assert _numeric(prompt="fan {n}").render_prompt(PARAMS) == "fan 400"


def test_choice_mistakes_may_depend_on_params() -> None:
    question = _choice(
        correct=lambda p: (p["right"],),
        multi_select=False,
        mistakes=(Mistake("picked_c", lambda p: "c" if p["right"] != "c" else None, "not c"),),
    )
    assert grade(question, {"right": "a"}, "c").feedback == "not c"
    assert grade(question, {"right": "c"}, "c").status == "correct"
    with pytest.raises(ValueError, match="points at a correct option"):
        _choice(
            correct=lambda p: ("a",), multi_select=False, mistakes=(Mistake("m", "a", "x"),)
        ).correct_ids({})


def test_format_value_and_round_sig() -> None:
    assert format_value(0.001953125) == "0.00195313"  # half up, as in reference.md
    assert format_value(576.0) == "576"
    assert format_value(2 / 1536) == "0.00130208"
    assert format_value(0.0765466, 3) == "0.0765"
    assert round_sig(0.0360844, 3) == 0.0361
    assert round_sig(1234.5, 2) == 1200.0
    with pytest.raises(ValueError, match="digits"):
        round_sig(1.0, 0)
    assert within(1.0, 1.0, 0.0, 0.0)


@pytest.mark.parametrize("question_id", ["conv_fan_in", "torch_shape_fan_in"])
def test_a_question_graded_exactly_takes_only_its_whole_number(question_id) -> None:
    """The fan questions say "Graded exactly." but accepted anything within 0.5: 72.3 passed,
    and 0.2 after 0.3 read "Not correct" beside "the same within the tolerance". A fan is a
    whole number, so exactly means it."""
    question = get_question(question_id)
    assert question.grading_rule == "Graded exactly."
    params = question.generate(np.random.default_rng(3))
    answer = question.correct_value(params)
    assert grade(question, params, f"{answer:g}").status == "correct"
    assert grade(question, params, f"{answer + 0.3:g}").status == "incorrect"
    second = mark_repeat(question, params, "0.2", grade(question, params, "0.2"), ["0.3"])
    assert second.counts_as_attempt and second.note is None
