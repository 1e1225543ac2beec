"""Declared controls: one declaration per page parameter, and everything derived from it.

A control is declared once (URL name, type, allowed range or choices, default, label, help,
unit). From the declarations alone come URL parsing with one-line warnings, the widgets and
their defaults (drawn by pages/widgets.py), validation messages in scikit-learn's style, the
link builder, which refuses undeclared names and illegal values, and command-line options.

Plain Python: no streamlit here, so quizzes, notebooks and the command line use the same rules.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from lab.validation import check_choice, check_float, check_int

#: URL names: a lowercase letter, then up to 31 lowercase letters, digits or underscores.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
#: Query parameters Streamlit itself interprets; no control may use them.
RESERVED_NAMES = frozenset({"embed", "embed_options"})
#: Longest URL value the lab reads; longer text is refused before parsing.
MAX_URL_TEXT = 200
#: How much of a refused URL value a warning repeats.
SHOWN_TEXT = 40
_INT_TEXT = re.compile(r"[+-]?\d{1,18}")
_BOOL_TEXTS = ("true", "false")

Value = int | float | str | bool | tuple[str, ...]
#: A control is used only when every named control has one of the listed values (a control
#: of several choices: when one of its choices is listed).
Condition = tuple[tuple[str, tuple[str, ...]], ...]


def _holds(value: object, options: tuple[str, ...]) -> bool:
    """Whether a control's ``value`` meets a condition's ``options``: it is one of them or, for
    several choices (a tuple), one of its choices is."""
    if isinstance(value, tuple):
        return any(choice in options for choice in value)
    return value in options


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name in RESERVED_NAMES:
        raise ValueError(
            "name must be a URL name (a lowercase letter, then up to 31 lowercase letters, "
            f"digits or _; not {', '.join(sorted(RESERVED_NAMES))}); got {name!r}"
        )
    return name


def shown(text: str) -> str:
    """A URL value as a warning may repeat it: at most SHOWN_TEXT characters, repr-quoted."""
    text = str(text)
    if len(text) > SHOWN_TEXT:
        text = text[:SHOWN_TEXT] + "…"
    return repr(text)


@dataclass(frozen=True, kw_only=True)
class Control:
    """What every control declares. Subclasses add the type and the allowed values."""

    name: str
    label: str
    help: str = ""
    unit: str = ""
    #: Shown and used only when these other controls have these values, e.g.
    #: ``(("init", ("normal",)),)`` for the std of N(0, std²).
    when: Condition = ()
    #: A hint for the widget: "slider", "number", "select", "radio", "segmented", "toggle".
    widget: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.label, str) or not self.label.strip():
            raise ValueError(f"label of {self.name} must be a non-empty string; got {self.label!r}")
        self.check(self.default)  # type: ignore[attr-defined]

    # Subclasses implement these three.
    def check(self, value: object) -> Value:  # pragma: no cover - abstract
        """``value`` if it is allowed, else ValueError naming the control and the range."""
        raise NotImplementedError

    def parse(self, text: str) -> Value:  # pragma: no cover - abstract
        """The value written in a URL, else ValueError saying what is allowed."""
        raise NotImplementedError

    def format(self, value: Value) -> str:
        """The URL text of an allowed value; ``parse(format(v)) == v``."""
        return str(self.check(value))

    def allowed(self) -> str:
        """What values are allowed, as a short phrase ('an integer in [1, 100]')."""
        try:
            self.check(object())
        except ValueError as error:
            return str(error).split(" must be ", 1)[1].rsplit("; got ", 1)[0]
        return "any value"  # pragma: no cover

    def applies(self, values: Mapping[str, Value]) -> bool:
        """Whether this control is used, given the other controls' values."""
        return all(_holds(values.get(other), options) for other, options in self.when)

    def _bounded(self, text: object) -> str:
        if not isinstance(text, str):
            raise ValueError(f"{self.name} must be given as text; got {type(text).__name__}")
        if len(text) > MAX_URL_TEXT:
            raise ValueError(f"{self.name} must be {self.allowed()}; got {len(text):,} characters")
        return text.strip()


@dataclass(frozen=True, kw_only=True)
class IntControl(Control):
    """An integer in [low, high]."""

    default: int
    low: int
    high: int
    step: int = 1
    widget: str = "slider"

    def check(self, value: object) -> int:
        return check_int(self.name, value, self.low, self.high)

    def parse(self, text: str) -> int:
        text = self._bounded(text)
        if not _INT_TEXT.fullmatch(text):
            raise ValueError(f"{self.name} must be {self.allowed()}; got {shown(text)}")
        return self.check(int(text))


@dataclass(frozen=True, kw_only=True)
class FloatControl(Control):
    """A finite number in [low, high]; with ``options``, one of those values."""

    default: float
    low: float
    high: float
    step: float | None = None
    options: tuple[float, ...] | None = None
    #: printf-style display format for sliders and number boxes.
    display: str | None = None
    widget: str = "slider"

    def check(self, value: object) -> float:
        number = check_float(self.name, value, self.low, self.high)
        if self.options is None:
            return number
        for option in self.options:
            if math.isclose(number, option, rel_tol=1e-9, abs_tol=1e-12):
                return option
        raise ValueError(
            f"{self.name} must be one of {', '.join(f'{o:g}' for o in self.options)}; "
            f"got {number:g}"
        )

    def allowed(self) -> str:
        if self.options is not None:
            return "one of " + ", ".join(f"{option:g}" for option in self.options)
        return super().allowed()

    def parse(self, text: str) -> float:
        text = self._bounded(text)
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{self.name} must be {self.allowed()}; got {shown(text)}") from None
        return self.check(number)

    def format(self, value: Value) -> str:
        number = self.check(value)
        return repr(number) if number != int(number) else str(int(number))


@dataclass(frozen=True, kw_only=True)
class ChoiceControl(Control):
    """One of ``options``: (value, label) pairs; the URL holds the value."""

    default: str
    options: tuple[tuple[str, str], ...]
    widget: str = "select"

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.options)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.options)

    def check(self, value: object) -> str:
        return check_choice(self.name, value, self.values)

    def parse(self, text: str) -> str:
        return self.check(self._bounded(text))


@dataclass(frozen=True, kw_only=True)
class BoolControl(Control):
    """On or off; the URL holds ``true`` or ``false``."""

    default: bool
    widget: str = "toggle"

    def check(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"{self.name} must be true or false; got {value!r}")
        return value

    def parse(self, text: str) -> bool:
        text = self._bounded(text).lower()
        if text not in _BOOL_TEXTS:
            raise ValueError(f"{self.name} must be true or false; got {shown(text)}")
        return text == "true"

    def format(self, value: Value) -> str:
        return "true" if self.check(value) else "false"


@dataclass(frozen=True, kw_only=True)
class MultiChoiceControl(Control):
    """Distinct values among ``options``; the URL holds ``a,b`` (empty: none selected)."""

    default: tuple[str, ...]
    options: tuple[tuple[str, str], ...]
    widget: str = "multiselect"
    min_chosen: int = 0

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.options)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.options)

    def check(self, value: object) -> tuple[str, ...]:
        if isinstance(value, str) and value in self.values:
            value = (value,)  # one choice given on its own, as a link may name it
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValueError(
                f"{self.name} must be a list of {', '.join(self.values)}; got {value!r}"
            )
        chosen: list[str] = []
        for item in value:
            check_choice(self.name, item, self.values)
            if item not in chosen:
                chosen.append(item)
        if len(chosen) < self.min_chosen:
            raise ValueError(
                f"{self.name} must name at least {self.min_chosen} of "
                f"{', '.join(self.values)}; got {len(chosen)}"
            )
        return tuple(chosen)

    def parse(self, text: str) -> tuple[str, ...]:
        text = self._bounded(text)
        return self.check([part.strip() for part in text.split(",")] if text else [])

    def format(self, value: Value) -> str:
        return ",".join(self.check(value))

    def allowed(self) -> str:
        return f"a comma-separated list of {', '.join(self.values)}"


@dataclass(frozen=True)
class ParsedQuery:
    """Control values read from a URL: every declared control has a value (the URL's or the
    default); ``warnings`` has one line per value that could not be used, and per undeclared
    parameter; ``from_url`` names the controls whose value came from the URL."""

    values: dict[str, Value]
    warnings: tuple[str, ...]
    from_url: frozenset[str]


@dataclass(frozen=True)
class PageControls:
    """The declared controls of one page, and its URL path ('' for the home page)."""

    page: str
    url_path: str
    controls: tuple[Control, ...]
    #: URL parameters that the app shell reads on every page (e.g. an assignment id).
    shell_names: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        names = [control.name for control in self.controls]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"controls of {self.page} must have distinct names; got {duplicates}")
        for position, control in enumerate(self.controls):
            for other, _ in control.when:
                if other not in names[:position]:
                    raise ValueError(
                        f"control {control.name} of {self.page} depends on {other}, which "
                        "the page must declare before it"
                    )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(control.name for control in self.controls)

    def __getitem__(self, name: str) -> Control:
        for control in self.controls:
            if control.name == name:
                return control
        raise KeyError(name)

    def defaults(self) -> dict[str, Value]:
        """Every control's default value."""
        return {control.name: control.default for control in self.controls}

    def active(self, values: Mapping[str, Value]) -> tuple[Control, ...]:
        """The controls that apply to ``values``: those whose ``when`` holds and whose
        controlling controls apply too (a control may only depend on earlier ones)."""
        used: set[str] = set()
        for control in self.controls:
            if control.applies(values) and all(other in used for other, _ in control.when):
                used.add(control.name)
        return tuple(control for control in self.controls if control.name in used)

    def applied(self, values: Mapping[str, Value]) -> dict[str, Value]:
        """``values`` restricted to the controls that apply to them."""
        return {control.name: values[control.name] for control in self.active(values)}

    def parse_query(self, query: Mapping[str, str]) -> ParsedQuery:
        """Read every declared control from URL parameters.

        A value that cannot be used gives one line naming the parameter, what is allowed and
        the default used instead. A parameter the page does not declare gives one line naming
        it and the page's parameters. Nothing raises.
        """
        values = self.defaults()
        warnings: list[str] = []
        from_url: set[str] = set()
        for control in self.controls:
            if control.name not in query:
                continue
            text = query[control.name]
            try:
                values[control.name] = control.parse(text)
                from_url.add(control.name)
            except ValueError as error:
                warnings.append(url_warning(control, text, error))
        known = set(self.names) | self.shell_names
        for name in [name for name in query if name not in known]:
            warnings.append(self.unknown_warning(name))
        return ParsedQuery(values, tuple(warnings), frozenset(from_url))

    def unknown_warning(self, name: str) -> str:
        """The one line shown for a URL parameter this page does not declare."""
        declared = ", ".join(self.names) or "none"
        return (
            f"URL parameter {shown(name)} is not used on this page and was ignored; "
            f"its parameters are: {declared}."
        )

    def check_values(self, values: Mapping[str, object]) -> dict[str, Value]:
        """Validate a full or partial set of values; ValueError names the first bad one."""
        checked: dict[str, Value] = {}
        for name, value in values.items():
            if name not in self.names:
                raise ValueError(
                    f"{self.page} has no control {name!r}; its controls are: "
                    f"{', '.join(self.names)}"
                )
            checked[name] = self[name].check(value)
        return checked

    def query(self, values: Mapping[str, object]) -> dict[str, str]:
        """URL parameters for ``values``, checked: each name declared, each value allowed, and
        each control applies (``std`` only with ``init=normal``). Defaults are written too
        when given, so a link keeps meaning the same if a default changes."""
        checked = self.check_values(values)
        full = self.defaults() | checked
        used = {control.name for control in self.active(full)}
        for name in checked:
            if name not in used:
                condition = " and ".join(
                    f"{other} {'includes' if self._several(other) else 'is'} "
                    + " or ".join(options)
                    for other, options in self[name].when
                )
                raise ValueError(
                    f"{name} applies only when {condition}; got "
                    + ", ".join(
                        f"{other}={self[other].format(full[other])}" for other, _ in self[name].when
                    )
                )
        return {name: self[name].format(value) for name, value in checked.items()}

    def _several(self, name: str) -> bool:
        return isinstance(self[name], MultiChoiceControl)

    def link(self, values: Mapping[str, object] | None = None) -> str:
        """A relative URL that opens this page with ``values``: ``./signal-propagation?…``.

        Refuses (ValueError) a name the page does not declare, a value outside its range and
        a control that does not apply to the other values.
        """
        query = self.query(values or {})
        path = f"./{self.url_path}"
        return path + (f"?{urlencode(query)}" if query else "")


def url_warning(control: Control, text: str, error: ValueError) -> str:
    """The one line shown when URL parameter ``control.name=text`` cannot be used."""
    reason = str(error).rsplit("; got ", 1)[0]
    if reason.startswith(f"{control.name} "):
        reason = reason[len(control.name) + 1 :]
    default = control.format(control.default) or "none"
    return (
        f"URL parameter {control.name}={shown(text)} ignored: it {reason}; "
        f"using the default {default}."
    )


def locked_warning(control: Control, text: str, value: Value) -> str:
    """The one line shown when URL parameter ``control.name=text`` asks for another value than
    the one an assignment locks (``value``)."""
    return (
        f"URL parameter {control.name}={shown(text)} ignored: the assignment sets it to "
        f"{control.format(value)}."
    )


def to_cli_flag(name: str) -> str:
    """The command-line flag of a control: ``input_std`` -> ``--input-std``."""
    return "--" + _check_name(name).replace("_", "-")


def cli_type(control: Control):
    """An argparse ``type=`` callable that parses and checks like the URL does."""

    def convert(text: str) -> Value:
        import argparse

        try:
            return control.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = type(control).__name__.removesuffix("Control").lower() or "value"
    return convert


WidgetKind = Literal["slider", "number", "select", "radio", "segmented", "toggle", "multiselect"]
