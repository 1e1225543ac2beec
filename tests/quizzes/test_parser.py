"""The answer parser: accepted forms, rejected forms with their hints, limits, fuzzing."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.parser import MAX_LENGTH, MAX_PAREN_DEPTH, AnswerParseError, parse_number

# Every rejection must come back well under this; the slow paths (huge powers, deep nesting)
# would take seconds or hit RecursionError if the limits were checked after the work.
FAST_SECONDS = 0.05


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0039", 0.0039),
        ("3.9e-3", 0.0039),
        ("3.9E-03", 0.0039),
        ("2/512", 2 / 512),
        ("1/256", 1 / 256),
        ("sqrt(6/1536)", 0.0625),
        ("2^-5", 1 / 32),
        ("2**-5", 1 / 32),
        ("6**0.5/40", math.sqrt(6) / 40),
        ("  sqrt( 6 / 1536 )  ", 0.0625),
        ("2 ^ 10", 1024.0),
        ("-(3)", -3.0),
        ("+4", 4.0),
        ("(1 + 2) * 3", 9.0),
        ("2^3^2", 512.0),  # right-associative, as in mathematics
        ("log(e)", 1.0),
        ("ln(e^2)", 2.0),
        ("log10(1000)", 3.0),
        ("log2(1024)", 10.0),
        ("exp(0)", 1.0),
        ("abs(-0.5)", 0.5),
        ("pi", math.pi),
        ("5/3", 5 / 3),
        ("\u22122/512", -2 / 512),  # a typographic minus pasted from a document
        ("2\u00d73", 6.0),
        ("\uff10.\uff15", 0.5),  # full-width digits, as an East Asian keyboard types them
        ("\uff13\uff0f\uff18", 3 / 8),
        ("00012", 12.0),  # leading zeros, which Python's own grammar refuses
        ("2^003", 8.0),
        ("0.05", 0.05),
        ("1e005", 1e5),
    ],
)
def test_accepted_forms_give_the_right_float(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected, rel=1e-15)


def test_thousands_separator_gets_a_specific_hint() -> None:
    with pytest.raises(AnswerParseError, match="write|Write") as error:
        parse_number("1,000")
    assert "1000 without the comma" in str(error.value)


@pytest.mark.parametrize("text", ["0x1F", "00x12", "-00b101", "00o17"])
def test_prefixed_integers_are_refused_after_any_number_of_zeros(text: str) -> None:
    with pytest.raises(AnswerParseError, match="Write numbers in decimal"):
        parse_number(text)


def test_superscripts_get_a_hint_to_write_powers_with_a_caret() -> None:
    with pytest.raises(AnswerParseError, match=r"Write powers with \^") as error:
        parse_number("3\u00b2")  # "3²": NFKC would read it as 32
    assert "superscripts" in str(error.value)


def test_decimal_comma_gets_a_decimal_point_hint() -> None:
    with pytest.raises(AnswerParseError) as error:
        parse_number("1,5")
    assert "decimal point" in str(error.value) and "1.5" in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "x",
        "a.b",
        "[1]",
        '"1"',
        "lambda: 1",
        "lambda x: x",
        "",
        "   ",
        "1e999",
        "9" * 400,
        "sqrt",
        "sqrt(-1)",
        "log(0)",
        "1/0",
        "0^-1",
        "(-8)^(1/3)",
        "exp(1000)",
        "1e200*1e200",
        "1 if 1 else 2",
        "not 1",
        "1 < 2",
        "1//2",
        "1j",
        "True",
        "None",
        "...",
        "0x10",
        "1_000",
        "1 000",
        "5%",
        "sqrt(1, 2)",
        "sqrt(x=1)",
        "math.sqrt(2)",
        "(1",
        "1)",
        "2pi",
        "1\n2",
        "\x00",
    ],
)
def test_rejected_inputs_raise_answer_parse_error(text: str) -> None:
    with pytest.raises(AnswerParseError) as error:
        parse_number(text)
    message = str(error.value)
    assert message and "\n" not in message  # one line for the student
    assert isinstance(error.value, ValueError)


def test_non_text_is_rejected() -> None:
    with pytest.raises(AnswerParseError):
        parse_number(0.5)  # type: ignore[arg-type]


def test_tower_of_powers_fails_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(AnswerParseError, match="power"):
        parse_number("9^9^9^9")
    assert time.perf_counter() - start < FAST_SECONDS


def test_ten_thousand_nested_parentheses_fail_fast_without_recursion_error() -> None:
    text = "(" * 10_000 + "1" + ")" * 10_000
    start = time.perf_counter()
    with pytest.raises(AnswerParseError):
        parse_number(text)
    assert time.perf_counter() - start < FAST_SECONDS


def test_nesting_within_the_length_limit_is_still_bounded() -> None:
    depth = MAX_PAREN_DEPTH + 1
    text = "(" * depth + "1" + ")" * depth
    assert len(text) <= MAX_LENGTH
    with pytest.raises(AnswerParseError, match="nested"):
        parse_number(text)
    assert parse_number("(" * MAX_PAREN_DEPTH + "1" + ")" * MAX_PAREN_DEPTH) == 1.0


def test_long_chains_of_signs_are_bounded() -> None:
    with pytest.raises(AnswerParseError, match="nested"):
        parse_number("-" * 150 + "1")


def test_too_many_nodes_is_rejected() -> None:
    # Six products of six factors: 71 characters and depth ~12, but about 140 AST nodes.
    text = "+".join(["*".join(["e"] * 6)] * 6)
    assert len(text) <= MAX_LENGTH
    with pytest.raises(AnswerParseError, match="too long"):
        parse_number(text)


def test_length_limit() -> None:
    with pytest.raises(AnswerParseError, match="too long"):
        parse_number("1" + " " * MAX_LENGTH)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_arbitrary_text_gives_a_finite_float_or_a_parse_error(text: str) -> None:
    try:
        value = parse_number(text)
    except AnswerParseError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(value, float) and math.isfinite(value)


_TOKENS = st.sampled_from(
    [
        "1",
        "2",
        "0.5",
        "9",
        "1e308",
        "-",
        "+",
        "*",
        "/",
        "^",
        "**",
        "(",
        ")",
        "sqrt",
        "log",
        "exp",
        "e",
        "pi",
        " ",
        ",",
        "1e-300",
        "abs",
        "log2",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENS, max_size=30).map("".join))
def test_fuzz_formula_like_text(text: str) -> None:
    start = time.perf_counter()
    try:
        value = parse_number(text)
    except AnswerParseError:
        pass
    else:
        assert math.isfinite(value)
    assert time.perf_counter() - start < 0.5  # generous: fuzzing runs on a loaded machine
