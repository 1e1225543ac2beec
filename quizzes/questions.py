"""Question templates as data, in the shape of PrairieLearn's questions.

A template declares ``generate(rng) -> params`` (a JSON-able dict, rounded to what the student
sees), the answer as a function of the params (computed by ``lab/``, never typed in), a
tolerance, an explanation and feedback for known mistakes. :mod:`quizzes.grading` grades an
answer against a template and its params; :mod:`quizzes.session` derives the params per student.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context
from typing import Any

import numpy as np

from lab.controls.registry import SIMULATION_PAGES
from lab.validation import check_choice, check_float, check_int

Params = dict[str, Any]
Text = str | Callable[[Params], str]

DIFFICULTIES: dict[int, str] = {1: "basic", 2: "intermediate", 3: "advanced"}
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
OPTION_ORDER_KEY = "option_order"
#: The words a tolerance text starts with ("within 0.3 dB", "exactly (an integer level)").
TOLERANCE_WORDS = ("within ", "exactly")
#: Draws a numeric template may take to find params whose mistakes are all distinguishable.
MAX_DRAWS = 100
#: The help of a simulation link that sets every number of the question on the page.
LINK_WITH_NUMBERS = "Opens the simulation with this question's numbers."
#: The help of a simulation link for a question without numbers.
LINK_SET_UP = "Opens the simulation set up for this question."


def check_slug(name: str, value: object) -> str:
    """Return ``value`` if it is a lowercase id (letters, digits, _ and -), else raise."""
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ValueError(
            f"{name} must be 1-64 lowercase letters, digits, '_' or '-'; got {value!r}"
        )
    return value


def render(text: Text, params: Params) -> str:
    """A template's text for ``params``: a callable is called; in a string, each ``{name}`` whose
    name is a key of ``params`` is replaced by its value. Other braces stay as they are, so
    LaTeX such as ``\\sqrt{2}`` needs no escaping."""
    if callable(text):
        return text(params)
    return _FIELD.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], text)


def within(value: float, target: float, rel_tol: float, abs_tol: float) -> bool:
    """|value - target| <= max(abs_tol, rel_tol * |target|) (PrairieLearn's relabs rule)."""
    return abs(value - target) <= max(abs_tol, rel_tol * abs(target))


def round_sig(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant digits (what a prompt shows)."""
    check_float("value", value)
    check_int("digits", digits, 1, 15)
    return float(f"{value:.{digits}g}")


def tex_value(value: float, digits: int = 6) -> str:
    """``format_value`` for LaTeX math, in powers of ten from a million on: 1.2379e+27 becomes
    1.2379 \\times 10^{27} (KaTeX would read the e-notation as 1.2379e + 27)."""
    text = f"{value:.{digits}g}" if abs(value) >= 1e6 else format_value(value, digits)
    mantissa, marker, exponent = text.partition("e")
    if not marker:
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def format_value(value: float, digits: int = 6) -> str:
    """A number as shown to students: integers plainly, others to ``digits`` significant."""
    check_float("value", value)
    check_int("digits", digits, 1, 15)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    # Round half up from the shortest repr, so 0.001953125 shows as 0.00195313, not ...12.
    rounded = Context(prec=digits, rounding=ROUND_HALF_UP).create_decimal(repr(float(value)))
    return f"{rounded:g}"


def count_text(count: int | float, singular: str, plural: str | None = None) -> str:
    """``count`` and its noun in the right number: "1 attempt", "3 attempts", "0 attempts"."""
    if (
        isinstance(count, bool)
        or not isinstance(count, int | float)
        or not math.isfinite(count)
        or count != int(count)
    ):
        raise ValueError(f"count must be a whole number; got {count!r}")
    count = int(count)
    noun = singular if abs(count) == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"


def article(number: int) -> str:
    """The article before ``number`` read aloud, "a" or "an": an 8-layer, an 11-layer, an 18,
    an 80, an 800, an 8,000; a 7, a 100, a 1,100."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValueError(f"number must be an integer; got {number!r}")
    lead = abs(number)
    while lead >= 1000:
        lead //= 1000
    return "an" if lead in (8, 11, 18) or 80 <= lead < 90 or 800 <= lead < 900 else "a"


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the feedback it earns.

    ``value`` is a function of the params for numeric questions (it may return None when the
    mistake does not apply to a variant). For choice questions it is an option id, or a
    function of the params returning one (or None) when the options depend on the params.
    ``summary``: what the mistake is in a few words, for the instructor's tables, where a
    feedback that depends on the params cannot be shown ("" when the name says it).
    """

    name: str
    value: Callable[[Params], float | str | None] | str
    feedback: Text
    summary: str = ""

    def __post_init__(self) -> None:
        check_slug("name", self.name)


@dataclass(frozen=True, kw_only=True)
class _Template:
    id: str
    topic: str
    title: str
    difficulty: int
    prompt: Text
    explanation: Text
    generate: Callable[[np.random.Generator], Params] = lambda rng: {}
    mistakes: tuple[Mistake, ...] = ()
    #: Key of the simulation page the question links to (lab.controls.registry.SIMULATION_PAGES).
    page: str | None = None
    #: The page's control values for a variant; checked by the page's declaration.
    page_params: Callable[[Params], dict[str, Any]] | None = None
    #: The link's help when it cannot set every number of the question on the page: what it
    #: opens instead (default: LINK_WITH_NUMBERS, or LINK_SET_UP without numbers).
    page_note: Text | None = None

    def __post_init__(self) -> None:
        check_slug("id", self.id)
        check_int("difficulty", self.difficulty, 1, 3)
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(f"title must be a non-empty string; got {self.title!r}")
        if self.page is not None:
            check_choice("page", self.page, SIMULATION_PAGES)
        elif self.page_params is not None or self.page_note is not None:
            raise ValueError(f"{self.id}: page_params and page_note need a page")
        names = [m.name for m in self.mistakes]
        if len(set(names)) != len(names):
            raise ValueError(f"mistakes must have distinct names; got {names}")

    @property
    def difficulty_label(self) -> str:
        """basic, intermediate or advanced."""
        return DIFFICULTIES[self.difficulty]

    def variant_params(self, rng: np.random.Generator) -> Params:
        """Draw one variant's params with ``rng`` (a numpy Generator)."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
        params = dict(self.generate(rng))
        _check_json_able(self.id, params)
        return params

    def render_prompt(self, params: Params) -> str:
        """The question text (markdown) for ``params``."""
        return render(self.prompt, params)

    def render_explanation(self, params: Params) -> str:
        """The worked solution (markdown) for ``params``, shown after answering."""
        return render(self.explanation, params)

    def page_link(self, params: Params) -> tuple[str, dict[str, str]] | None:
        """(page key, URL parameters) of the simulation that shows this variant, or None.

        The parameters come from the page's declaration (``PageControls.query``), which refuses
        a name the page does not declare, an illegal value and a control that does not apply.
        """
        if self.page is None:
            return None
        values = self.page_params(params) if self.page_params else {}
        return self.page, SIMULATION_PAGES[self.page].query(values)

    def link_help(self, params: Params) -> str | None:
        """One line saying what the simulation link opens for ``params`` (None: no link)."""
        if self.page is None:
            return None
        if self.page_note is not None:
            return render(self.page_note, params)
        return LINK_WITH_NUMBERS if question_numbers(params) else LINK_SET_UP


@dataclass(frozen=True, kw_only=True)
class NumericQuestion(_Template):
    """A question answered with a number (or a formula) graded within a tolerance.

    Correct when |x - a| <= max(abs_tol, rel_tol * |a|), with a = ``answer(params)``.
    """

    answer: Callable[[Params], float]
    rel_tol: float = 0.01
    abs_tol: float = 0.0
    #: The tolerance in words when the default ("within 1%", "within 0.001") does not say it:
    #: a phrase that starts with "within " (e.g. "within 0.3 dB") or with "exactly".
    tolerance_text: str | None = None
    display_digits: int = 6
    kind: str = field(default="numeric", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float("rel_tol", self.rel_tol, 0.0, 0.5)
        check_float("abs_tol", self.abs_tol, 0.0)
        check_int("display_digits", self.display_digits, 1, 15)
        if self.rel_tol == 0.0 and self.abs_tol == 0.0:
            raise ValueError("rel_tol and abs_tol must not both be 0; got 0 and 0")
        if self.tolerance_text is not None and not (
            isinstance(self.tolerance_text, str)
            and self.tolerance_text.startswith(TOLERANCE_WORDS)
            and "\n" not in self.tolerance_text
        ):
            raise ValueError(
                f"tolerance_text must be one line starting with 'within ' or 'exactly'; "
                f"got {self.tolerance_text!r}"
            )
        for mistake in self.mistakes:
            if not callable(mistake.value):
                raise ValueError(
                    f"mistake {mistake.name!r} of a numeric question must have a callable value"
                )

    def variant_params(self, rng: np.random.Generator) -> Params:
        """Draw params until no two of the answer and the mistakes' values coincide within the
        tolerance (so every mistake can be told apart); at most ``MAX_DRAWS`` draws."""
        for _ in range(MAX_DRAWS):
            params = super().variant_params(rng)
            if not self.clashes(params):
                return params
        raise ValueError(f"{self.id}: every one of {MAX_DRAWS} variants had coinciding mistakes")

    def clashes(self, params: Params) -> list[tuple[str, str]]:
        """Pairs among the answer and the applicable mistakes whose values coincide."""
        values = [("answer", self.correct_value(params))]
        for mistake in self.mistakes:
            wrong = mistake.value(params)
            if wrong is not None:
                values.append((mistake.name, float(wrong)))
        pairs = []
        for i, (first, a) in enumerate(values):
            for second, b in values[i + 1 :]:
                if within(a, b, self.rel_tol, self.abs_tol) or within(
                    b, a, self.rel_tol, self.abs_tol
                ):
                    pairs.append((first, second))
        return pairs

    @property
    def tolerance_description(self) -> str:
        """The tolerance in plain words: "within 1%", "within 0.001", "exactly"."""
        if self.tolerance_text:
            return self.tolerance_text
        if self.abs_tol and not self.rel_tol:
            return f"within {self.abs_tol:g}"
        return f"within {self.rel_tol * 100:g}%"

    @property
    def exact(self) -> bool:
        """True when the question is graded "exactly" (an integer, a level)."""
        return self.tolerance_description.startswith("exactly")

    @property
    def grading_rule(self) -> str:
        """One sentence for the answer box: "Graded within 1% of the exact value." or
        "Graded exactly."."""
        if self.exact:
            return f"Graded {self.tolerance_description}."
        return f"Graded {self.tolerance_description} of the exact value."

    def correct_value(self, params: Params) -> float:
        """The engine's answer for ``params``."""
        return float(self.answer(params))

    def correct_text(self, params: Params) -> str:
        """The answer as shown after answering, to ``display_digits`` significant digits."""
        return format_value(self.correct_value(params), self.display_digits)


@dataclass(frozen=True, kw_only=True)
class ChoiceQuestion(_Template):
    """A multiple-choice (``multi_select=False``) or select-all (``True``) question.

    ``options`` and ``correct`` are fixed or functions of the params; ``option_feedback`` maps
    an option id to a sentence shown once the answer is graded. With ``shuffle`` the option
    order is part of each variant's params (key ``option_order``).
    """

    options: Sequence[tuple[str, str]] | Callable[[Params], Sequence[tuple[str, str]]]
    correct: Collection[str] | Callable[[Params], Collection[str]]
    multi_select: bool = False
    option_feedback: Mapping[str, str] = field(default_factory=dict)
    shuffle: bool = True
    partial_credit: bool = False
    kind: str = field(default="choice", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not callable(self.options) and not callable(self.correct):
            self._check_options({}, self._base_options({}), set(self.correct))

    def _base_options(self, params: Params) -> list[tuple[str, str]]:
        options = self.options(params) if callable(self.options) else self.options
        return [(str(option_id), str(text)) for option_id, text in options]

    def _check_options(
        self, params: Params, options: list[tuple[str, str]], correct: set[str]
    ) -> None:
        ids = [option_id for option_id, _ in options]
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise ValueError(f"options of {self.id} must have >= 2 distinct ids; got {ids}")
        if not correct or not correct <= set(ids):
            raise ValueError(f"correct ids of {self.id} must be options; got {sorted(correct)}")
        if not self.multi_select and len(correct) != 1:
            raise ValueError(f"a single-choice question needs one correct id; got {correct}")
        for mistake in self.mistakes:
            option = self.mistake_option(mistake, params)
            if option is None:
                continue
            check_choice(f"mistake {mistake.name} option", option, ids)
            if option in correct:
                raise ValueError(f"mistake {mistake.name!r} points at a correct option")

    @staticmethod
    def mistake_option(mistake: Mistake, params: Params) -> str | None:
        """The option id a mistake stands for with ``params`` (None: not applicable)."""
        return mistake.value(params) if callable(mistake.value) else mistake.value

    def variant_params(self, rng: np.random.Generator) -> Params:
        params = super().variant_params(rng)
        if self.shuffle:
            ids = [option_id for option_id, _ in self._base_options(params)]
            params[OPTION_ORDER_KEY] = [ids[i] for i in rng.permutation(len(ids))]
        return params

    def option_list(self, params: Params) -> list[tuple[str, str]]:
        """[(id, text)] in the order to show, for ``params``."""
        options = self._base_options(params)
        order = params.get(OPTION_ORDER_KEY)
        if order is None:
            return options
        by_id = dict(options)
        if sorted(order) != sorted(by_id):
            raise ValueError(f"{OPTION_ORDER_KEY} must list the option ids; got {order!r}")
        return [(option_id, by_id[option_id]) for option_id in order]

    def correct_ids(self, params: Params) -> frozenset[str]:
        """The ids of the correct options for ``params``."""
        correct = self.correct(params) if callable(self.correct) else self.correct
        correct = frozenset(str(c) for c in correct)
        self._check_options(params, self._base_options(params), set(correct))
        return correct

    def correct_text(self, params: Params) -> str:
        """The correct options' texts, joined, as shown after answering."""
        correct = self.correct_ids(params)
        return "; ".join(
            text for option_id, text in self.option_list(params) if option_id in correct
        )


Question = NumericQuestion | ChoiceQuestion


def question_numbers(params: Params) -> dict[str, int | float]:
    """The numbers of a variant: its int and float params (not the option order)."""
    return {
        name: value
        for name, value in params.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def page_accepts(page: str, name: str, value: object) -> bool:
    """Whether control ``name`` of simulation ``page`` allows ``value`` (a link may set it)."""
    spec = SIMULATION_PAGES[check_choice("page", page, SIMULATION_PAGES)]
    if name not in spec.names:
        return False
    try:
        spec[name].check(value)
    except ValueError:
        return False
    return True


def _check_json_able(question_id: str, params: Params) -> None:
    for key, value in params.items():
        if not isinstance(key, str):
            raise ValueError(f"params of {question_id} must have string keys; got {key!r}")
        if not _is_json_value(value):
            raise ValueError(
                f"params of {question_id} must be JSON-able (int, float, str, bool, lists); "
                f"got {key}={value!r} of type {type(value).__name__}"
            )


def _is_json_value(value: object) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return type(value) in (type(None), str, bool, int)
    if isinstance(value, float):
        return type(value) is float and math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False
