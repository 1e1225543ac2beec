"""Open a deep link in AppTest and read back what the page's widgets show."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

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


def shown_values(at: AppTest, page_key: str, names) -> dict[str, object]:
    """The values the page's widgets hold for ``names`` (session state of each control)."""
    values = {}
    for name in names:
        raw = at.session_state[widget_key(name, page=page_key)]
        values[name] = tuple(raw) if isinstance(raw, list) else raw
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
