"""A safe parser for numeric quiz answers: numbers and small arithmetic formulas.

Students may type ``0.378``, ``3.78e-1``, ``3/8``, ``sqrt(1/7)`` or ``7^-0.5``. The text is
parsed with Python's ``ast`` module and evaluated by walking a whitelist of node types (numbers,
+ - * / and powers, unary signs, a few named functions and constants); nothing is ever passed to
``eval`` or ``exec``. Limits on length, node count, nesting depth and power size make every input
fail fast with an :class:`AnswerParseError` whose message is one line meant for the student.

``^`` means power (as in calculators and LaTeX), ``**`` too; ``log`` is the natural logarithm.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable

MAX_LENGTH = 200
MAX_NODES = 100
MAX_DEPTH = 30
MAX_PAREN_DEPTH = 20
#: Largest |result| a power may have, as a base-10 exponent (floats overflow near 1e308).
MAX_POWER_LOG10 = 300.0

FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "log": math.log,
    "ln": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "exp": math.exp,
    "abs": abs,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_ALLOWED_CHARACTERS = re.compile(r"[0-9A-Za-z.+\-*/^() ]*")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
_SPACE_IN_NUMBER = re.compile(r"\d \d")
_PREFIXED_INTEGER = re.compile(r"(?<![0-9A-Za-z.])0+[xXoObB]")
_TYPOGRAPHIC = str.maketrans({"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u2013": "-"})
#: Full-width forms (an East Asian keyboard's "０.５") read as their ASCII characters, and the
#: ideographic space as a space. Not NFKC: that would also turn "3²" into "32".
_FULL_WIDTH = str.maketrans({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: " "})
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"
#: Leading zeros of an integer ("00012"), which Python's grammar refuses; "0.5" keeps its 0.
_LEADING_ZEROS = re.compile(r"(?<![0-9A-Za-z.])0+(?=[0-9])")
#: The answers the app shows as examples of what may be typed: a number, the same in scientific
#: notation, formulas. None of them is the answer to a question of the bank, for any variant
#: (tests/quizzes/test_bank.py): an example must not give an answer away.
#: They sit where no answer does (near 0.38: eight tolerances from the nearest answer, 0.35).
EXAMPLE_NUMBER, EXAMPLE_SCIENTIFIC = "0.378", "3.78e-1"
EXAMPLE_FORMULAS = ("3/8", "sqrt(1/7)", "7^-0.5")
EXAMPLE_ANSWERS = (EXAMPLE_NUMBER, EXAMPLE_SCIENTIFIC, *EXAMPLE_FORMULAS)
_HELP = f"enter a number such as {EXAMPLE_NUMBER} or a formula such as {EXAMPLE_FORMULAS[1]}"


class AnswerParseError(ValueError):
    """The answer is not a readable number; ``str(error)`` is a one-line hint for the student."""


def parse_number(text: str) -> float:
    """Read a student's answer as a finite float, or raise :class:`AnswerParseError`."""
    if not isinstance(text, str):
        raise AnswerParseError(f"The answer must be text; got {type(text).__name__}.")
    cleaned = _normalize(text)
    _check_characters(cleaned)
    tree = _parse(cleaned)
    _check_size(tree)
    value = _evaluate(tree.body)
    return _finite(value)


def _normalize(text: str) -> str:
    if len(text) > MAX_LENGTH:
        raise AnswerParseError(f"The answer is too long: keep it under {MAX_LENGTH} characters.")
    cleaned = " ".join(text.translate(_TYPOGRAPHIC).translate(_FULL_WIDTH).split())
    if not cleaned:
        raise AnswerParseError(f"The answer is empty: {_HELP}.")
    return cleaned


def _check_characters(text: str) -> None:
    if "," in text:
        compact = text.replace(" ", "")
        if _THOUSANDS.fullmatch(compact):
            plain = compact.replace(",", "")
            raise AnswerParseError(
                f"Write {plain} without the comma (or use a decimal point if you meant a decimal)."
            )
        if _DECIMAL_COMMA.fullmatch(compact):
            raise AnswerParseError(
                f"Use a decimal point, not a comma: write {compact.replace(',', '.')}."
            )
        raise AnswerParseError(f"Commas are not allowed: {_HELP}.")
    if "%" in text:
        raise AnswerParseError("Write percentages as fractions: 1% is 0.01.")
    if not _ALLOWED_CHARACTERS.fullmatch(text):
        bad = next(ch for ch in text if not _ALLOWED_CHARACTERS.fullmatch(ch))
        if bad in _SUPERSCRIPTS:
            raise AnswerParseError(f"Write powers with ^, not superscripts: {EXAMPLE_FORMULAS[2]}.")
        raise AnswerParseError(f"Unexpected character {bad!r}: {_HELP}.")
    if _PREFIXED_INTEGER.search(text):
        raise AnswerParseError(f"Write numbers in decimal: {_HELP}.")
    if _SPACE_IN_NUMBER.search(text):
        raise AnswerParseError("Write numbers without spaces inside them (1000, not 1 000).")
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_PAREN_DEPTH:
            raise AnswerParseError(f"Too many nested parentheses (at most {MAX_PAREN_DEPTH}).")
        if depth < 0:
            raise AnswerParseError("A closing parenthesis has no matching opening one.")
    if depth:
        raise AnswerParseError("A parenthesis is not closed.")


def _parse(text: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "1if": rejected below anyway
            return ast.parse(_LEADING_ZEROS.sub("", text).replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise AnswerParseError(f"Could not read this as a number: {_HELP}.") from None


def _check_size(tree: ast.Expression) -> None:
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise AnswerParseError(f"The formula is too long: {_HELP}.")
        if depth > MAX_DEPTH:
            raise AnswerParseError("The formula is nested too deeply.")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def _evaluate(node: ast.AST) -> float:
    """Evaluate a whitelisted node; depth is bounded by :func:`_check_size`."""
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise AnswerParseError(f"{node.id} needs parentheses, as in {node.id}(2).")
        raise AnswerParseError(_unknown_name(node.id))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise AnswerParseError(f"Only + - * / ^ are allowed: {_HELP}.")
        if isinstance(node.op, ast.Div) and right == 0.0:
            raise AnswerParseError("Division by zero.")
        return _finite(operation(left, right))
    if isinstance(node, ast.Call):
        return _call(node)
    raise AnswerParseError(f"Could not read this as a number: {_HELP}.")


def _constant(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnswerParseError(f"Could not read this as a number: {_HELP}.")
    try:
        return _finite(float(value))
    except OverflowError:
        raise AnswerParseError("The number is too large.") from None


def _call(node: ast.Call) -> float:
    if isinstance(node.func, ast.Attribute) and node.func.attr in FUNCTIONS:
        raise AnswerParseError(f"Write {node.func.attr}(...) without a prefix.")
    if not isinstance(node.func, ast.Name):
        raise AnswerParseError(f"Could not read this as a number: {_HELP}.")
    if node.func.id not in FUNCTIONS:
        raise AnswerParseError(_unknown_name(node.func.id))
    if len(node.args) != 1 or node.keywords:
        raise AnswerParseError(f"{node.func.id}() takes exactly one number.")
    name, argument = node.func.id, _evaluate(node.args[0])
    if name == "sqrt" and argument < 0:
        raise AnswerParseError("sqrt() of a negative number is not a real number.")
    if name in ("log", "ln", "log10", "log2") and argument <= 0:
        raise AnswerParseError(f"{name}() needs a positive number.")
    if name == "exp" and argument > 700:
        raise AnswerParseError("exp() of this number is too large.")
    return _finite(FUNCTIONS[name](argument))


def _power(base: float, exponent: float) -> float:
    """base ** exponent after checking the result's size from logarithms (no huge work)."""
    if base == 0.0:
        if exponent < 0:
            raise AnswerParseError("Division by zero (0 to a negative power).")
        return 1.0 if exponent == 0 else 0.0
    if base < 0 and not float(exponent).is_integer():
        raise AnswerParseError("A negative number to a fractional power is not a real number.")
    if abs(exponent) * abs(math.log10(abs(base))) > MAX_POWER_LOG10:
        raise AnswerParseError("The power is too large (or too small) to compute.")
    return _finite(math.pow(base, exponent))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise AnswerParseError("The number is too large (it must be finite).")
    return float(value)


def _unknown_name(name: str) -> str:
    allowed = ", ".join([*FUNCTIONS, *CONSTANTS])
    return f"Unknown name {name!r}: only {allowed} are allowed."
