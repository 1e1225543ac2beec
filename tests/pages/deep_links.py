"""Open a deep link in AppTest and read back what the page's widgets show."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from lab.controls.registry import SIMULATION_PAGES
from pages.ui.registry import PAGES, PageInfo
from pages.ui.widgets import widget_key

TIMEOUT = 30


def page_of(link: str) -> tuple[PageInfo, dict[str, str]]:
    """The registry page and the query of a link such as ``./signal-propagation?layers=30`` or
    ``https://YOUR-APP/signal-propagation?layers=30`` (the empty path is the home page)."""
    parts = urlsplit(link)
    path = parts.path.rsplit("/", 1)[-1] if "/" in parts.path else parts.path
    path = path.removeprefix(".")
    info = next(info for info in PAGES if info.url_path == (path or "home"))
    return info, dict(parse_qsl(parts.query, keep_blank_values=True))


def open_link(link: str) -> AppTest:
    """The app after following ``link`` (shell run first, as a browser does)."""
    info, query = page_of(link)
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    at.query_params.update(query)
    at.switch_page(info.file).run()
    return at


#: The kinds of widget ``pages.ui.widgets.draw_controls`` draws, as AppTest names them.
CONTROL_WIDGETS = (
    "checkbox",
    "multiselect",
    "number_input",
    "radio",
    "button_group",
    "select_slider",
    "selectbox",
    "slider",
    "toggle",
)


def shown_values(at: AppTest, page_key: str, names) -> dict[str, object]:
    """The values the page's controls hold for ``names``: a drawn widget's value, or for a
    control in a closed fold its value in session state, which must then be its default (a
    link or a student that sets a folded control opens its fold, so a value other than the
    default that nobody can see fails the test)."""
    drawn = {
        widget.key: widget for kind in CONTROL_WIDGETS for widget in at.get(kind) if widget.key
    }
    values = {}
    for name in names:
        key = widget_key(name, page=page_key)
        raw = drawn[key].value if key in drawn else at.session_state[key]
        value = tuple(raw) if isinstance(raw, list) else raw
        if key not in drawn:
            default = SIMULATION_PAGES[page_key][name].default
            assert value == default, f"{name}={value!r} is held in a closed fold, not shown"
        values[name] = value
    return values


def url_warnings(at: AppTest) -> list[str]:
    """The page's URL warnings (pages.ui.text.show_warning's link icon), not its verdicts."""
    return [w.value for w in at.warning if w.icon == ":material/link_off:"]


def every_tab(at: AppTest, key: str) -> Iterator[str]:
    """Open each of the page's lazy tabs (``st.tabs(..., key=key, on_change="rerun")``) in turn,
    yielding its label once the page has drawn it."""
    for label in [tab.label for tab in at.tabs]:
        at.session_state[key] = label
        at.run()
        assert not at.exception
        yield label


def unused_parameter_warnings(at: AppTest) -> list[str]:
    """The one-line warnings for URL parameters the page does not use, as a student reads them
    (without the backslashes that keep the URL text literal)."""
    return [w.value.replace("\\", "") for w in at.warning if "not used on" in w.value]
