"""Widgets drawn from declared controls (lab.controls), each mirrored in the page's URL.

``draw_controls(spec)`` reads the URL once, shows one text-only warning per value it cannot use
and per parameter the page does not declare, draws a widget for every control that applies
(those of a folded section only while it is open), writes the values back to the URL, and
returns every control's value. A copied URL reproduces the view; a link built by
``PageControls.link`` opens it with exactly those values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import streamlit as st

from lab.controls.core import (
    BoolControl,
    ChoiceControl,
    Control,
    FloatControl,
    IntControl,
    MultiChoiceControl,
    PageControls,
    Value,
    locked_warning,
    url_warning,
)
from pages.ui.text import show_warning
from quizzes.assignments import SHELL_PARAMS

#: URL parameters the app shell reads on every page (an assignment and its step): every page
#: keeps them in its URL and never warns about them.
SHELL_NAMES: frozenset[str] = SHELL_PARAMS
#: Session-state key of {page key: {control name: value}} the shell locks on that page (an
#: assignment's step); ``draw_controls`` locks them as if the page had passed ``locked``.
SHELL_LOCKS_STATE = "_wil_shell_locks"
#: Session-state key of the page being run (set by ``deep_link_scope`` in streamlit_app.py).
_CURRENT_PAGE_STATE = "_wil_current_page"
#: Session-state key of {page key: {param name: URL text last written}}.
_LINK_STATE = "_wil_deep_links"
#: What ``st.session_state.get`` returns for a widget key it does not hold.
_NOT_HELD = object()
#: Page key used when a script runs outside the app shell (e.g. a test script).
STANDALONE_PAGE_KEY = "app"


@dataclass(frozen=True)
class Section:
    """A group of controls under one sidebar heading. ``expander`` folds it away: its widgets
    are drawn only while it is open (every run sends each widget, and a widget costs the
    server about twice a line of text), and its controls keep their values while it is
    closed. A link or a lock that sets one of them to another value than its default opens
    it."""

    title: str | None
    names: tuple[str, ...]
    expander: bool = False


def fold_key(title: str, page: str | None = None) -> str:
    """The session-state key of the folded section ``title`` on ``page`` (True: open)."""
    return f"fold:{page or current_page_key()}:{title}"


def current_page_key() -> str:
    """Key of the page being run: the registry key inside the app, ``"app"`` standalone."""
    return str(st.session_state.get(_CURRENT_PAGE_STATE, STANDALONE_PAGE_KEY))


def widget_key(name: str, page: str | None = None) -> str:
    """The session-state key of control ``name`` on ``page`` (default: the current page)."""
    return f"ctl:{page or current_page_key()}:{name}"


def page_setup(page_key: str) -> dict[str, str]:
    """The URL texts of ``page_key``'s controls as last drawn in this session: the page's
    current setup (empty before the page was opened)."""
    return dict(st.session_state.get(_LINK_STATE, {}).get(page_key, {}))


@contextmanager
def deep_link_scope(page_key: str) -> Iterator[None]:
    """Run one page with its controls keyed by ``page_key``; afterwards drop URL parameters
    that other pages' controls wrote and this page does not use. Used around ``page.run()``."""
    st.session_state[_CURRENT_PAGE_STATE] = page_key
    try:
        yield
    finally:
        written: dict[str, dict[str, str]] = st.session_state.get(_LINK_STATE, {})
        mine = set(written.get(page_key, {}))
        others = {name for page, names in written.items() if page != page_key for name in names}
        for name in sorted(others - mine):
            if name in st.query_params:
                del st.query_params[name]


def draw_controls(
    spec: PageControls,
    sections: Sequence[Section] | None = None,
    *,
    locked: Mapping[str, Value] | None = None,
    container=None,
) -> dict[str, Value]:
    """Draw the page's controls (in the sidebar unless ``container`` is given) and return the
    value of every declared control: the widget's where the control applies, else its default.

    ``sections`` groups the controls under headings (default: one group, in declared order).
    ``locked`` fixes values (an assignment's setup): those widgets are disabled and the URL
    cannot change them. The shell's locks for the current page (``SHELL_LOCKS_STATE``) are
    added to them, and the shell's URL parameters (``SHELL_NAMES``) are left in the URL.
    """
    page = current_page_key()
    spec = replace(spec, shell_names=spec.shell_names | SHELL_NAMES)
    shell_locked = st.session_state.get(SHELL_LOCKS_STATE, {}).get(page, {})
    locked = dict(spec.check_values({**(locked or {}), **shell_locked}))
    query = st.query_params.to_dict()
    parsed = spec.parse_query(query)
    written: dict[str, str] = st.session_state.setdefault(_LINK_STATE, {}).setdefault(page, {})
    target = container if container is not None else st.sidebar

    # Values before drawing: locked > a URL value this page did not write itself > the widget's
    # state > the default. Conditions (``when``) are judged on these.
    values: dict[str, Value] = {}
    warnings = [w for w in parsed.warnings if not _is_control_warning(w, spec)]
    groups = sections or (Section(None, spec.names),)
    folded = {name: s.title for s in groups if s.expander and s.title for name in s.names}
    to_show: set[str] = set()  # folded controls a link or a lock sets: their fold opens
    for control in spec.controls:
        key = widget_key(control.name, page)
        url_text = query.get(control.name)
        if control.name in locked:
            lock = locked[control.name]
            if url_text is not None and not _means(control, url_text, lock):
                warnings.append(locked_warning(control, url_text, lock))
            st.session_state[key] = _widget_value(control, lock)
            if locked[control.name] != control.default:
                to_show.add(control.name)
        elif url_text is not None and url_text != written.get(control.name):
            try:
                value = control.parse(url_text)
                st.session_state[key] = _widget_value(control, value)
                if value != control.default:
                    to_show.add(control.name)
            except ValueError as error:
                warnings.append(url_warning(control, url_text, error))
                st.session_state[key] = _widget_value(control, control.default)
        else:
            held = st.session_state.get(key, _NOT_HELD)
            if held is not _NOT_HELD:
                values[control.name] = _from_widget(control, held)
                continue
            st.session_state[key] = _widget_value(control, _parse_or_default(control, written))
        values[control.name] = _from_widget(control, st.session_state[key])

    applying = {control.name for control in spec.active(values)}
    for name in to_show & applying & set(folded):
        st.session_state[fold_key(folded[name], page)] = True

    for line in warnings:
        show_warning(line)
    # An undeclared parameter is warned about once, then dropped: the URL a student copies
    # holds only what the page reads.
    for name in query:
        if name not in spec.names and name not in spec.shell_names:
            del st.query_params[name]

    with target:
        for section in groups:
            applying = {control.name for control in spec.active(values)}
            active = [spec[name] for name in section.names if name in applying]
            if not active:
                continue
            holder = None
            if section.expander and section.title:
                holder = st.expander(
                    section.title, key=fold_key(section.title, page), on_change="rerun"
                )
                if not holder.open:
                    # Streamlit drops a widget's state when a run does not draw it, and the
                    # value set before its first draw would come back: keep the current one.
                    for control in active:
                        key = widget_key(control.name, page)
                        st.session_state[key] = _widget_value(control, values[control.name])
                    continue
            with holder if holder is not None else _nothing():
                if section.title and not section.expander:
                    st.subheader(section.title)
                for control in active:
                    disabled = control.name in locked
                    raw = _draw(control, widget_key(control.name, page), disabled)
                    values[control.name] = _from_widget(control, raw)

    applied = spec.applied(values)
    for control in spec.controls:
        if control.name in applied:
            text = control.format(applied[control.name])
            written[control.name] = text
            if query.get(control.name) != text:  # (the URL as read above, for controls)
                st.query_params[control.name] = text
        else:
            written.pop(control.name, None)
            if control.name in query:
                del st.query_params[control.name]
    return {c.name: values[c.name] if c.name in applied else c.default for c in spec.controls}


def _means(control: Control, text: str, value: Value) -> bool:
    """Whether URL text ``text`` reads as ``value`` for ``control`` ("1.0" and "1e0" as 1; a
    multi-choice in any order); unreadable text means nothing."""
    try:
        parsed = control.parse(text)
    except ValueError:
        return False
    if isinstance(parsed, tuple) and isinstance(value, tuple):
        return sorted(parsed) == sorted(value)
    return parsed == value


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _is_control_warning(line: str, spec: PageControls) -> bool:
    """parse_query's lines about declared controls are redone per control (the widget state may
    already hold the value); its lines about undeclared parameters are kept."""
    return any(line.startswith(f"URL parameter {name}=") for name in spec.names)


def _parse_or_default(control: Control, written: Mapping[str, str]) -> Value:
    text = written.get(control.name)
    if text is None:
        return control.default
    try:
        return control.parse(text)
    except ValueError:
        return control.default


def _widget_value(control: Control, value: Value) -> object:
    """What the widget holds for ``value`` (a multiselect holds a list)."""
    if isinstance(control, MultiChoiceControl):
        return list(value)  # type: ignore[arg-type]
    return value


def _from_widget(control: Control, raw: object) -> Value:
    if isinstance(control, MultiChoiceControl):
        return tuple(raw or ())  # type: ignore[arg-type]
    if isinstance(control, IntControl):
        return int(raw)  # type: ignore[arg-type]
    if isinstance(control, FloatControl):
        return float(raw)  # type: ignore[arg-type]
    if isinstance(control, BoolControl):
        return bool(raw)
    return str(raw)


def _label(control: Control) -> str:
    return f"{control.label} ({control.unit})" if control.unit else control.label


def _draw(control: Control, key: str, disabled: bool) -> object:
    """The widget for one control, keyed by ``key`` (its value is already in session state)."""
    label, help = _label(control), control.help or None
    common = {"key": key, "help": help, "disabled": disabled}
    if isinstance(control, IntControl):
        if control.widget == "number":
            return st.number_input(
                label, min_value=control.low, max_value=control.high, step=control.step, **common
            )
        return st.slider(
            label, min_value=control.low, max_value=control.high, step=control.step, **common
        )
    if isinstance(control, FloatControl):
        if control.options is not None:
            return st.select_slider(
                label, options=list(control.options), format_func=_short, **common
            )
        if control.widget == "number":
            return st.number_input(
                label,
                min_value=control.low,
                max_value=control.high,
                step=control.step,
                format=control.display,
                **common,
            )
        return st.slider(
            label,
            min_value=control.low,
            max_value=control.high,
            step=control.step,
            format=control.display,
            **common,
        )
    if isinstance(control, ChoiceControl):
        labels = control.labels
        if control.widget == "radio":
            return st.radio(
                label, control.values, format_func=labels.__getitem__, horizontal=True, **common
            )
        if control.widget == "segmented":
            return st.segmented_control(
                label, control.values, format_func=labels.__getitem__, required=True, **common
            )
        return st.selectbox(label, control.values, format_func=labels.__getitem__, **common)
    if isinstance(control, BoolControl):
        if control.widget == "checkbox":
            return st.checkbox(label, **common)
        return st.toggle(label, **common)
    if isinstance(control, MultiChoiceControl):
        return st.multiselect(
            label, control.values, format_func=control.labels.__getitem__, **common
        )
    raise TypeError(f"no widget for {type(control).__name__}")  # pragma: no cover


def _short(value: float) -> str:
    return f"{value:g}"
