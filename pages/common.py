"""Shared UI helpers for the lab's Streamlit pages (no math here: the engine is ``lab/``).

Sections:

- Page registry: ``PAGES`` (key, title, file, url_path, icon, section, description), used by
  ``streamlit_app.py`` for ``st.navigation``, by the home page and by the tests.
- Deep-link controls: ``int_control``, ``float_control``, ``choice_control``, ``bool_control``,
  ``multi_choice_control``.
  Each widget mirrors its value in the URL (``?layers=10&act=relu``), so a copied URL reproduces
  the view. A URL value that cannot be used gives one ``st.warning`` and the default.
  ``page_link_with_params`` and ``deep_link_url`` link to a page with a configuration.
- Errors: ``show_engine_error`` shows an engine ``ValueError`` as one line, never a traceback.
- Charts (Altair): ``histogram_chart`` for pre-binned data with explicit out-of-range and
  inf/NaN counts, ``log_line_chart`` for values spanning decades, with zeros and inf/NaN marked
  instead of silently dropped; ``show_chart`` renders with ``width="stretch"``.
- Caching: ``cached_simulate`` shows how engine calls are cached with a bounded
  ``st.cache_data``.
- Student identity: ``student_sidebar`` and ``current_student`` (session state key
  ``"student"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from numbers import Integral, Real
from typing import Any, Literal
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from lab.validation import check_choice, check_float, check_int
from pages.ui.charts import (  # noqa: F401  (moved; re-exported until every page imports pages.ui)
    ANNOTATION_COLOR,
    histogram_chart,
    log_line_chart,
    show_chart,
    show_spec,
    vega_spec,
)
from pages.ui.registry import (  # noqa: F401  (moved; re-exported until every page imports pages.ui)
    HOME_KEY,
    PAGES,
    REPO_ROOT,
    SECTIONS,
    PageInfo,
    get_page,
    page_header,
    pages_in_section,
)
from pages.ui.student import STUDENT_KEY, current_student, student_sidebar  # noqa: F401

# --------------------------------------------------------------------------- deep-link state

#: Session-state key of the page being run (set by ``deep_link_scope`` in streamlit_app.py).
_CURRENT_PAGE_STATE = "_wil_current_page"
#: Session-state key of {page key: {param name: URL text last written}}.
_LINK_STATE = "_wil_deep_links"
#: Page key used when a script runs outside the app shell (e.g. a test script).
STANDALONE_PAGE_KEY = "app"

_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
_INT_PATTERN = re.compile(r"[+-]?\d+")
#: Query parameters Streamlit itself interprets; controls may not use them.
_RESERVED_NAMES = frozenset({"embed", "embed_options"})
_TRUE_TEXTS = ("true", "false")


def current_page_key() -> str:
    """Key of the page being run: the registry key inside the app, ``"app"`` standalone."""
    return str(st.session_state.get(_CURRENT_PAGE_STATE, STANDALONE_PAGE_KEY))


def widget_key(name: str, page: str | None = None) -> str:
    """The session-state key of control ``name`` on ``page`` (default: the current page)."""
    name = _check_name("name", name)
    page = current_page_key() if page is None else _check_text("page", page)
    return f"ctl:{page}:{name}"


@contextmanager
def deep_link_scope(page_key: str) -> Iterator[None]:
    """Run one page with its controls keyed by ``page_key``; afterwards drop URL parameters
    that other pages' controls wrote and this page does not use.

    Used once, around ``page.run()`` in streamlit_app.py.
    """
    st.session_state[_CURRENT_PAGE_STATE] = _check_text("page_key", page_key)
    try:
        yield
    finally:
        _drop_stale_params(page_key)


def _drop_stale_params(page_key: str) -> None:
    written: dict[str, dict[str, str]] = st.session_state.get(_LINK_STATE, {})
    mine = set(written.get(page_key, {}))
    others = {name for page, names in written.items() if page != page_key for name in names}
    for name in sorted(others - mine):
        if name in st.query_params:
            del st.query_params[name]


# --------------------------------------------------------------------------- URL values


def format_param(value: object) -> str:
    """The URL text of a control value: ``true``/``false``, ``10``, ``0.001`` (round-trips),
    ``a,b`` for a list of choices."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = check_float("value", value)
        return repr(number)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        if any("," in item for item in value):
            raise ValueError(f"value items must not contain ','; got {value!r}")
        return ",".join(value)
    raise ValueError(
        "value must be a bool, an integer, a finite number, a string or a list of strings; "
        f"got {value!r}"
    )


def parse_int_param(name: str, text: str, low: int, high: int) -> int:
    """Parse URL text as an integer in [low, high]; ValueError says what is allowed."""
    text = _check_str("text", text).strip()
    if not _INT_PATTERN.fullmatch(text):
        check_int(name, text, low, high)  # raises with the allowed range
    return check_int(name, int(text), low, high)


def parse_float_param(
    name: str,
    text: str,
    low: float,
    high: float,
    options: Sequence[float] | None = None,
) -> float:
    """Parse URL text as a finite number in [low, high], and one of ``options`` if given."""
    text = _check_str("text", text).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        check_float(name, text, low, high)  # raises with the allowed range
    number = check_float(name, number, low, high)
    if options is None:
        return number
    for option in options:
        if math.isclose(number, option, rel_tol=1e-9, abs_tol=0.0):
            return option
    allowed = ", ".join(f"{option:g}" for option in options)
    raise ValueError(f"{name} must be one of {allowed}; got {number:g}")


def parse_choice_param(name: str, text: str, options: Sequence[str]) -> str:
    """Parse URL text as one of ``options`` (exact match)."""
    return check_choice(name, _check_str("text", text), options)


def parse_bool_param(name: str, text: str) -> bool:
    """Parse URL text ``true`` or ``false`` (any case)."""
    return check_choice(name, _check_str("text", text).strip().lower(), _TRUE_TEXTS) == "true"


def parse_multi_choice_param(name: str, text: str, options: Sequence[str]) -> list[str]:
    """Parse comma-separated URL text into distinct ``options`` (``""`` is no selection)."""
    text = _check_str("text", text).strip()
    chosen: list[str] = []
    for part in text.split(",") if text else []:
        value = check_choice(name, part.strip(), options)
        if value not in chosen:
            chosen.append(value)
    return chosen


def url_warning(name: str, text: str, error: ValueError, default: object) -> str:
    """The one-line message shown when URL parameter ``name=text`` cannot be used."""
    reason = str(error).rsplit("; got ", 1)[0]
    default_text = format_param(default) or "no selection"
    return f"URL parameter {name}={text!r} ignored: {reason}; using {default_text}."


# --------------------------------------------------------------------------- controls


def int_control(
    label: str,
    name: str,
    default: int,
    low: int,
    high: int,
    *,
    widget: Literal["slider", "number"] = "slider",
    step: int = 1,
    help: str | None = None,
    page: str | None = None,
) -> int:
    """An integer slider or number box in [low, high] whose value lives in the URL as ``name``."""
    label = _check_text("label", label)
    low = check_int("low", low)
    high = check_int("high", high, low)
    default = check_int("default", default, low, high)
    check_choice("widget", widget, ("slider", "number"))
    step = check_int("step", step, 1, max(1, high - low))
    help = _check_optional_str("help", help)

    def draw(key: str) -> int:
        if widget == "slider":
            return st.slider(label, min_value=low, max_value=high, step=step, key=key, help=help)
        return st.number_input(label, min_value=low, max_value=high, step=step, key=key, help=help)

    def parse(text: str) -> int:
        return parse_int_param(name, text, low, high)

    return int(_deep_link_control(name, page, default, parse, draw))


def float_control(
    label: str,
    name: str,
    default: float,
    low: float,
    high: float,
    *,
    widget: Literal["slider", "number"] = "slider",
    step: float | None = None,
    log: bool = False,
    options: Sequence[float] | None = None,
    format: str | None = None,
    help: str | None = None,
    page: str | None = None,
) -> float:
    """A number control in [low, high] whose value lives in the URL as ``name``.

    ``options`` gives a select-slider of fixed values; ``log=True`` builds one from the
    1-2-5 values per decade in [low, high] (plus low, high and default). Otherwise ``widget``
    picks a slider or a number box with ``step`` and printf-style ``format``.
    """
    label = _check_text("label", label)
    low = check_float("low", low)
    high = check_float("high", high, low, low_inclusive=False)
    default = check_float("default", default, low, high)
    check_choice("widget", widget, ("slider", "number"))
    if step is not None:
        step = check_float("step", step, 0.0, high - low, low_inclusive=False)
    if not isinstance(log, bool):
        raise ValueError(f"log must be True or False; got {log!r}")
    format = _check_optional_str("format", format)
    help = _check_optional_str("help", help)
    if options is not None:
        values = _check_options(options, low, high)
    elif log:
        check_float("low", low, 0.0, low_inclusive=False)
        values = log_options(low, high, default)
    else:
        values = None
    if values is not None:
        default = _matching_option("default", default, values)

    def draw(key: str) -> float:
        if values is not None:
            return st.select_slider(label, options=values, format_func=_short, key=key, help=help)
        if widget == "slider":
            return st.slider(
                label, min_value=low, max_value=high, step=step, format=format, key=key, help=help
            )
        return st.number_input(
            label, min_value=low, max_value=high, step=step, format=format, key=key, help=help
        )

    def parse(text: str) -> float:
        return parse_float_param(name, text, low, high, values)

    return float(_deep_link_control(name, page, default, parse, draw))


def choice_control(
    label: str,
    name: str,
    options: Mapping[str, str],
    default: str,
    widget: Literal["selectbox", "radio", "segmented"] = "selectbox",
    *,
    help: str | None = None,
    page: str | None = None,
) -> str:
    """A choice among ``options`` ({value: label}); the URL holds the value, the widget shows
    the label."""
    label = _check_text("label", label)
    if not isinstance(options, Mapping) or not options:
        raise ValueError(f"options must be a non-empty dict {{value: label}}; got {options!r}")
    values = [_check_text("options key", value) for value in options]
    labels = {value: _check_text("options label", options[value]) for value in values}
    default = check_choice("default", default, values)
    check_choice("widget", widget, ("selectbox", "radio", "segmented"))
    help = _check_optional_str("help", help)

    def draw(key: str) -> str:
        if widget == "selectbox":
            return st.selectbox(label, values, format_func=labels.get, key=key, help=help)
        if widget == "radio":
            return st.radio(
                label, values, format_func=labels.get, key=key, help=help, horizontal=True
            )
        return st.segmented_control(
            label, values, format_func=labels.get, key=key, help=help, required=True
        )

    def parse(text: str) -> str:
        return parse_choice_param(name, text, values)

    return str(_deep_link_control(name, page, default, parse, draw))


def bool_control(
    label: str,
    name: str,
    default: bool,
    *,
    widget: Literal["toggle", "checkbox"] = "toggle",
    help: str | None = None,
    page: str | None = None,
) -> bool:
    """An on/off switch whose value lives in the URL as ``name=true`` or ``name=false``."""
    label = _check_text("label", label)
    if not isinstance(default, bool):
        raise ValueError(f"default must be True or False; got {default!r}")
    check_choice("widget", widget, ("toggle", "checkbox"))
    help = _check_optional_str("help", help)

    def draw(key: str) -> bool:
        if widget == "toggle":
            return st.toggle(label, key=key, help=help)
        return st.checkbox(label, key=key, help=help)

    def parse(text: str) -> bool:
        return parse_bool_param(name, text)

    return bool(_deep_link_control(name, page, default, parse, draw))


def multi_choice_control(
    label: str,
    name: str,
    options: Mapping[str, str],
    default: Sequence[str],
    *,
    help: str | None = None,
    page: str | None = None,
) -> list[str]:
    """A multiselect among ``options`` ({value: label}) whose values live in the URL as
    ``name=a,b`` (``name=`` when nothing is selected); the widget shows the labels."""
    label = _check_text("label", label)
    if not isinstance(options, Mapping) or not options:
        raise ValueError(f"options must be a non-empty dict {{value: label}}; got {options!r}")
    values = [_check_text("options key", value) for value in options]
    if any("," in value for value in values):
        raise ValueError(f"options keys must not contain ','; got {values}")
    labels = {value: _check_text("options label", options[value]) for value in values}
    if isinstance(default, str) or not isinstance(default, Sequence):
        raise ValueError(f"default must be a list of options; got {default!r}")
    default = [check_choice("default", value, values) for value in default]
    help = _check_optional_str("help", help)

    def draw(key: str) -> list[str]:
        return list(st.multiselect(label, values, format_func=labels.get, key=key, help=help))

    def parse(text: str) -> list[str]:
        return parse_multi_choice_param(name, text, values)

    return list(_deep_link_control(name, page, default, parse, draw))


def _deep_link_control(name, page, default, parse, draw):
    """URL -> widget -> URL for one control.

    The URL wins when its value differs from what this control last wrote (first visit, a
    pasted link, ``page_link_with_params``); otherwise the widget keeps its state. A value
    that cannot be used gives one warning and the default.
    """
    name = _check_name("name", name)
    page = current_page_key() if page is None else _check_text("page", page)
    key = widget_key(name, page)
    written: dict[str, dict[str, str]] = st.session_state.setdefault(_LINK_STATE, {})
    last_text = written.get(page, {}).get(name)
    url_text = st.query_params.get(name)
    if url_text is not None and url_text != last_text:
        try:
            st.session_state[key] = parse(url_text)
        except ValueError as error:
            st.warning(url_warning(name, url_text, error, default), icon=":material/link_off:")
            st.session_state[key] = default
    elif key not in st.session_state:
        # Back on the page after visiting another one (navigation clears the URL).
        st.session_state[key] = _parse_or(parse, last_text, default)
    value = draw(key)
    text = format_param(value)
    written.setdefault(page, {})[name] = text
    if st.query_params.get(name) != text:
        st.query_params[name] = text
    return value


def _parse_or(parse, text: str | None, default):
    if text is None:
        return default
    try:
        return parse(text)
    except ValueError:
        return default


def log_options(low: float, high: float, default: float) -> list[float]:
    """The 1-2-5 values per decade in [low, high], with low, high and default, sorted."""
    low = check_float("low", low, 0.0, low_inclusive=False)
    high = check_float("high", high, low, low_inclusive=False)
    default = check_float("default", default, low, high)
    values = {low, high, default}
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = float(f"{mantissa}e{exponent}")
            if low <= value <= high:
                values.add(value)
    ordered = sorted(values)
    unique = [ordered[0]]
    for value in ordered[1:]:
        if not math.isclose(value, unique[-1], rel_tol=1e-9):
            unique.append(value)
    return unique


def _check_options(options: Sequence[float], low: float, high: float) -> list[float]:
    if isinstance(options, str | bytes) or not isinstance(options, Sequence) or not options:
        raise ValueError(f"options must be a non-empty sequence of numbers; got {options!r}")
    values = [check_float(f"options[{i}]", value, low, high) for i, value in enumerate(options)]
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError(f"options must be strictly increasing; got {values}")
    return values


def _matching_option(name: str, value: float, options: Sequence[float]) -> float:
    for option in options:
        if math.isclose(value, option, rel_tol=1e-9, abs_tol=0.0):
            return option
    allowed = ", ".join(f"{option:g}" for option in options)
    raise ValueError(f"{name} must be one of {allowed}; got {value:g}")


def _short(value: float) -> str:
    return f"{value:g}"


# --------------------------------------------------------------------------- links


def deep_link_url(page_key: str, params: Mapping[str, object] | None = None) -> str:
    """Relative URL of a page with a configuration, e.g. ``./forward-pass?layers=20&act=tanh``."""
    info = get_page(page_key)
    path = "" if info.key == HOME_KEY else info.url_path
    query = _query(params)
    return f"./{path}" + (f"?{urlencode(query)}" if query else "")


def page_link_with_params(
    page_key: str,
    params: Mapping[str, object],
    label: str,
    *,
    icon: str | None = None,
    help: str | None = None,
) -> None:
    """A link to page ``page_key`` that opens it with ``params`` applied to its controls.

    Uses ``st.page_link(..., query_params=...)`` (Streamlit >= 1.5x): the target page's
    controls read the values as if they came from a pasted URL.
    """
    info = get_page(page_key)
    label = _check_text("label", label)
    help = _check_optional_str("help", help)
    st.page_link(
        info.path, label=label, icon=icon or info.icon, help=help, query_params=_query(params)
    )


def _query(params: Mapping[str, object] | None) -> dict[str, str]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict {{name: value}}; got {params!r}")
    return {_check_name("params key", name): format_param(value) for name, value in params.items()}


# --------------------------------------------------------------------------- errors, student


def show_engine_error(exc: ValueError) -> None:
    """Show an engine ValueError as one ``st.error`` line (its message), never a traceback.

    Pattern::

        try:
            result = cached_simulate(...)
        except ValueError as exc:
            show_engine_error(exc)
            st.stop()
    """
    if not isinstance(exc, ValueError):
        raise ValueError(f"exc must be a ValueError; got {type(exc).__name__}")
    lines = str(exc).strip().splitlines()
    st.error(lines[0] if lines else "The engine rejected these settings.", icon=":material/error:")


# --------------------------------------------------------------------------- caching

#: Bound on cached simulation results per process (each holds per-layer arrays).
SIMULATION_CACHE_ENTRIES = 32


@st.cache_data(max_entries=SIMULATION_CACHE_ENTRIES, show_spinner="Simulating…")
def cached_simulate(*args: Any, **kwargs: Any) -> Any:
    """``lab.network.simulate(*args, **kwargs)``, cached per argument set.

    The pattern for every engine call a page makes: wrap it in ``st.cache_data`` with a
    bounded ``max_entries`` and hashable arguments (numbers, strings, tuples). The engine
    validates the arguments; a ValueError is not cached and reaches the page, which shows it
    with ``show_engine_error``. The import is inside the function so the app shell runs before
    ``lab.network`` exists.
    """
    from lab.network import simulate

    return simulate(*args, **kwargs)


# --------------------------------------------------------------------------- argument checks


def _check_name(param: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{param} must be a URL parameter name (a lowercase letter, then up to 31 lowercase "
            f"letters, digits or _); got {value!r}"
        )
    if value in _RESERVED_NAMES:
        raise ValueError(
            f"{param} must not be one of Streamlit's own parameters "
            f"{', '.join(sorted(_RESERVED_NAMES))}; got {value!r}"
        )
    return value


def _check_text(param: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{param} must be a non-empty string; got {value!r}")
    return value


def _check_str(param: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{param} must be a string; got {value!r}")
    return value


def _check_optional_str(param: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{param} must be a string or None; got {value!r}")
    return value


def _as_list(param: str, values: object) -> list:
    if isinstance(values, str | bytes | Mapping):
        raise ValueError(f"{param} must be a sequence of numbers; got {values!r}")
    try:
        return list(values)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{param} must be a sequence of numbers; got {values!r}") from None


def _finite_list(param: str, values: object) -> list[float]:
    return [check_float(f"{param}[{i}]", v) for i, v in enumerate(_as_list(param, values))]


def _as_frame(rows: object) -> pd.DataFrame:
    if isinstance(rows, pd.DataFrame):
        frame = rows
    elif isinstance(rows, Mapping) or (
        isinstance(rows, Sequence) and all(isinstance(row, Mapping) for row in rows)
    ):
        frame = pd.DataFrame(rows)
    else:
        raise ValueError(
            f"rows must be a DataFrame, a list of dicts or a dict of lists; got {type(rows)}"
        )
    if frame.empty:
        raise ValueError("rows must hold at least one row; got 0")
    return frame.reset_index(drop=True)


def _check_column(param: str, column: object, frame: pd.DataFrame) -> str:
    if column not in frame.columns:
        raise ValueError(
            f"{param} must be a column of rows ({', '.join(map(str, frame.columns))}); "
            f"got {column!r}"
        )
    return str(column)
