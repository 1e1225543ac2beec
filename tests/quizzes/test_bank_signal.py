"""The signal-propagation and quantization templates, 200 variants each: the engine's answer is
accepted, equals an independent recomputation written out here, and every declared mistake is
recognized with its feedback and earns no credit."""

from __future__ import annotations

import json
import math

import ml_dtypes
import numpy as np
import pytest

from quizzes.bank import QUIZZES, TEMPLATES, get_question
from quizzes.bank_quantization import QUANTIZATION_TEMPLATES
from quizzes.bank_signal import SIGNAL_TEMPLATES, TEXTBOOK_LINEAR, float32_overflow_layer
from quizzes.grading import grade
from quizzes.questions import OPTION_ORDER_KEY, ChoiceQuestion, NumericQuestion, render, within
from quizzes.session import variant_params
from tests.quizzes.quiz_checks import assert_every_distractor_explained, assert_tolerance_edges

VARIANTS = 200
STUDENT = "signal bank test student"
NEW_TEMPLATES = (*SIGNAL_TEMPLATES, *QUANTIZATION_TEMPLATES)
NUMERIC = [q for q in NEW_TEMPLATES if isinstance(q, NumericQuestion)]
CHOICE = [q for q in NEW_TEMPLATES if isinstance(q, ChoiceQuestion)]


# Independent closed forms, not using lab/: a linear layer of N(0,1) weights multiplies the
# variance by n; ReLU halves E[z^2] (He et al. 2015), E[relu(z)] = sqrt(q / (2 pi)); chi1 =
# sw2 / 2 for ReLU (Schoenholz et al. 2017); IEEE binary16 limits (2 - 2^-10) 2^15 and 2^-14;
# E4M3fn max 1.75 * 2^8 (Micikevicius et al. 2022); INT8 absmax scale m / 127; SQNR of a uniform
# signal 10 log10(4 * 127^2).
def _q_he(p):
    return 2.0 * p["input_std"] ** 2


INDEPENDENT_NUMERIC = {
    "textbook_linear_variance": lambda p: 2.0**90,
    "linear_randn_log10_variance": lambda p: p["layers"] * math.log10(p["width"]),
    "quick_check_he_512": lambda p: 2 / 512,
    "xavier_relu_layer_factor": lambda p: 0.5,
    "xavier_relu_rms_factor": lambda p: 2.0 ** (-p["layers"] / 2),
    "he_relu_pre_std": lambda p: math.sqrt(2.0) * p["input_std"],
    "he_relu_post_std": lambda p: math.sqrt(_q_he(p) / 2 - _q_he(p) / (2 * math.pi)),
    "relu_chi1": lambda p: p["sw2"] / 2,
    "relu_depth_scale": lambda p: -1 / math.log(p["sw2"] / 2),
    "fp16_max": lambda p: (2 - 2**-10) * 2**15,
    "fp16_smallest_normal": lambda p: 2.0**-14,
    "fp8_e4m3_max": lambda p: 1.75 * 2**8,
    "int8_scale": lambda p: p["max_abs"] / 127,
    "int8_small_activation": lambda p: float(np.rint(p["value"] / (p["max_abs"] / 127))),
    "int8_uniform_sqnr": lambda p: 10 * math.log10(4 * 127**2),
}


def _independent_choice(question_id: str, p: dict) -> set[str]:
    if question_id == "relu_phase":
        chi = p["sw2"] / 2
        return {"ordered" if chi < 1 else "chaotic" if chi > 1 else "critical"}
    if question_id == "critical_init_relu":
        return {"he_normal"}  # sw2 = 2 for He; 1 for Xavier/LeCun; n 1e-4 and n otherwise
    if question_id == "fp16_overflow":
        return {"inf"} if p["value"] > 65520 else {"same"}  # 65520 rounds up to 2^16 = inf
    if question_id == "fp8_e4m3_overflow":
        return {"nan"} if p["value"] >= 464 else {"max"}  # 464 = 448 + half a step of 32
    if question_id == "fp16_underflow":
        value = p["value"]
        if value <= 2.0**-25:  # half the smallest subnormal 2^-24 rounds to 0 (ties to even)
            return {"zero"}
        return {"subnormal"} if value < 2.0**-14 else {"normal"}
    raise AssertionError(question_id)


def _variants(question, quiz="signal"):
    return [variant_params(question, STUDENT, quiz, v) for v in range(VARIANTS)]


def test_registry_holds_the_new_templates_and_quizzes() -> None:
    assert len(NEW_TEMPLATES) >= 12
    assert len(TEMPLATES) >= 43
    assert {q.id for q in NUMERIC} == set(INDEPENDENT_NUMERIC)
    assert QUIZZES["signal"].question_ids == tuple(q.id for q in SIGNAL_TEMPLATES)
    assert QUIZZES["quantization"].question_ids == tuple(q.id for q in QUANTIZATION_TEMPLATES)
    review = set(QUIZZES["review"].question_ids)
    assert review & {q.id for q in SIGNAL_TEMPLATES}
    assert review & {q.id for q in QUANTIZATION_TEMPLATES}
    assert all(get_question(q.id) is q for q in NEW_TEMPLATES)


@pytest.mark.parametrize("question", NUMERIC, ids=lambda q: q.id)
def test_numeric_template_over_200_variants(question: NumericQuestion) -> None:
    applied = {m.name: 0 for m in question.mistakes}
    for params in _variants(question):
        assert json.loads(json.dumps(params)) == params
        answer = question.correct_value(params)
        assert answer == pytest.approx(INDEPENDENT_NUMERIC[question.id](params), rel=1e-9)
        for typed in (repr(answer), question.correct_text(params)):
            result = grade(question, params, typed)
            assert result.status == "correct" and result.credit_fraction == 1.0, typed
            assert result.exact_value
        for mistake in question.mistakes:
            wrong = mistake.value(params)
            if wrong is None:
                continue
            applied[mistake.name] += 1
            assert not within(wrong, answer, question.rel_tol, question.abs_tol)
            result = grade(question, params, repr(float(wrong)))
            assert result.status == "incorrect" and result.credit_fraction == 0.0
            assert result.mistake == mistake.name, (params, mistake.name, result.mistake)
            assert result.feedback == render(mistake.feedback, params)
        assert question.render_prompt(params) and question.render_explanation(params)
        assert question.tolerance_description.startswith(("within", "exactly"))
    assert all(applied.values()), f"mistakes never applicable: {applied}"


@pytest.mark.parametrize("question", CHOICE, ids=lambda q: q.id)
def test_choice_template_over_200_variants(question: ChoiceQuestion) -> None:
    for params in _variants(question):
        assert json.loads(json.dumps(params)) == params
        ids = [option_id for option_id, _ in question.option_list(params)]
        assert sorted(params[OPTION_ORDER_KEY]) == sorted(ids)
        correct = question.correct_ids(params)
        assert correct == _independent_choice(question.id, params)
        result = grade(question, params, sorted(correct))
        assert result.status == "correct" and result.exact_value is None  # no "Exact value:"
        assert_every_distractor_explained(question, params)
        assert question.render_prompt(params) and question.render_explanation(params)


@pytest.mark.parametrize("question", NUMERIC, ids=lambda q: q.id)
def test_tolerance_edges(question: NumericQuestion) -> None:
    params = variant_params(question, STUDENT, "signal", 0)
    assert_tolerance_edges(question, params)


def test_variants_cover_every_outcome() -> None:
    """The draws reach each phase and each FP16 range, so the choice questions vary."""
    phases = {
        frozenset(get_question("relu_phase").correct_ids(p))
        for p in _variants(get_question("relu_phase"))
    }
    assert phases == {frozenset({"ordered"}), frozenset({"critical"}), frozenset({"chaotic"})}
    underflow = get_question("fp16_underflow")
    ranges = {frozenset(underflow.correct_ids(p)) for p in _variants(underflow)}
    assert ranges == {frozenset({"zero"}), frozenset({"subnormal"}), frozenset({"normal"})}
    levels = {
        get_question("int8_small_activation").correct_value(p)
        for p in _variants(get_question("int8_small_activation"))
    }
    assert 0.0 in levels and len(levels) >= 3  # small activations often vanish, not always


# --- pinned to reference.md -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question_id", "params", "expected", "rel"),
    [
        # reference.md gives 5 significant digits for 2^90 and 4 for the log10 (27.09).
        ("textbook_linear_variance", {"layers": 10, "width": 512}, 1.2379e27, 1e-4),
        ("linear_randn_log10_variance", {"layers": 10, "width": 512}, 27.0927, 1e-5),
        ("quick_check_he_512", {"fan_in": 512}, 0.00390625, 1e-12),
        ("xavier_relu_rms_factor", {"layers": 12, "width": 256}, 1 / 64, 1e-12),
        ("he_relu_pre_std", {"layers": 12, "width": 256, "input_std": 1.0}, 2**0.5, 1e-12),
        ("he_relu_post_std", {"layers": 12, "width": 256, "input_std": 1.0}, 0.8256, 1e-4),
        ("relu_chi1", {"sw2": 2.0}, 1.0, 1e-12),
        ("fp16_max", {}, 65504, 0),
        ("fp16_smallest_normal", {}, 6.103515625e-05, 0),
        ("fp8_e4m3_max", {}, 448, 0),
        ("int8_scale", {"max_abs": 2.54}, 0.02, 1e-12),
        ("int8_uniform_sqnr", {}, 48.1, 1e-3),
    ],
)
def test_reference_values(question_id: str, params: dict, expected: float, rel: float) -> None:
    assert get_question(question_id).correct_value(params) == pytest.approx(expected, rel=rel)


def test_reference_casts_70000_and_500() -> None:
    # reference.md: np.float16(70000) = inf; E4M3fn has no inf, 500 casts to NaN.
    with np.errstate(over="ignore"):  # the overflow is the point of the check
        assert np.isinf(np.float16(70000))
    assert np.isnan(np.array([500.0]).astype(ml_dtypes.float8_e4m3fn).astype(np.float32))[0]
    fp16 = get_question("fp16_overflow")
    e4m3 = get_question("fp8_e4m3_overflow")
    assert fp16.correct_ids({"value": 70000.0}) == {"inf"}
    assert e4m3.correct_ids({"value": 500.0}) == {"nan"}


def test_he_512_quick_check_names_the_relu_factor() -> None:
    question = get_question("quick_check_he_512")
    params = {"fan_in": 512}
    result = grade(question, params, "1/512")
    assert result.mistake == "lecun_for_he" and "2/n" in result.feedback
    assert grade(question, params, "2/512").status == "correct"
    assert grade(question, params, "0.0625").mistake == "std_for_variance"


def test_textbook_variance_accepts_formulas_and_catches_natural_log() -> None:
    question = get_question("textbook_linear_variance")
    params = {"layers": 10, "width": 512}
    assert grade(question, params, "512^10").status == "correct"
    assert grade(question, params, "2^90").status == "correct"
    log_question = get_question("linear_randn_log10_variance")
    assert grade(log_question, params, "27.09").status == "correct"
    result = grade(log_question, params, "62.38")  # ln(2^90)
    assert result.mistake == "natural_log_for_log10"
    assert grade(log_question, params, "90").mistake == "log2"
    assert grade(log_question, params, "24.38").mistake == "forgot_a_layer"  # 9 log10 512


def test_the_float32_overflow_layer_is_simulated_not_guessed() -> None:
    # 512-wide N(0, 1) linear layers: the variance 512^L passes float32's 3.4e38 at layer 15,
    # but the values are its square root: the first inf appears at layer 28 (issue 9's
    # independent check), not "a few layers" after the 10th.
    assert float32_overflow_layer(512) == 28
    explanation = get_question("textbook_linear_variance").explanation(dict(TEXTBOOK_LINEAR))
    assert "the first inf appears at layer 28" in explanation
    assert "a few layers deeper" not in explanation


def test_int8_small_activation_is_zero_for_a_tiny_value() -> None:
    question = get_question("int8_small_activation")
    params = {"max_abs": 10.0, "value": 0.03}  # 0.03 / (10/127) = 0.381 -> level 0
    assert question.correct_value(params) == 0.0
    assert grade(question, params, "0").status == "correct"
    assert grade(question, params, "0.381").mistake == "not_rounded"
