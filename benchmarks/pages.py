"""How heavy is each page? Prints measured times and ratios; asserts nothing.

Run from the repository root::

    python -m benchmarks.pages              # AppTest reruns, plus browser loads if chromium exists
    python -m benchmarks.pages --reruns 31 --no-browser

1. AppTest: for every page of ``pages.ui.registry.PAGES`` whose file exists, the median time of a
   rerun after a control change with a warm cache (the page's first slider, number box,
   selectbox, toggle or checkbox, main area first, then the sidebar, is switched between two
   values, both computed once before timing), against the median rerun of
   an empty page (a script that only imports streamlit). Pages without a control report plain
   reruns.
2. Browser (when Debian's ``chromium`` and Playwright are available): one fresh
   ``streamlit run`` of the app; after a warm-up visit of the home page, each page is opened
   once in a fresh session and timed until its first chart is drawn (or, without a chart,
   until the script run ends): the cold cost of the page's imports and first computation.
   The reference is an empty Streamlit page served the same way.
3. Memory (with the browser): for each simulation page, a fresh server opens the page's
   default URL (imports, first computation), then its heaviest allowed URL (every size control
   at its largest declared value, built and checked by the page's declaration); printed is the
   rise of the server's peak resident memory (``VmHWM`` over the ``VmRSS`` before the
   request) and what stays held afterwards. The budget is 150 MB per request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from lab.controls.core import ChoiceControl, FloatControl, IntControl, MultiChoiceControl
from lab.controls.registry import SIMULATION_PAGES
from lab.validation import check_int
from pages.ui.registry import HOME_KEY, PAGES, PageInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "streamlit_app.py"
EMPTY_PAGE = "import streamlit as st\n"
TIMEOUT_S = 120
#: Targets: a rerun after a control change at most 20 x an empty page's; the first chart of a
#: simulation page in a new browser session at most 1.5 x an empty page's load.
RERUN_TARGET = 20.0
FIRST_VIEW_TARGET = 1.5


# --------------------------------------------------------------------------- AppTest reruns


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _control_change(at: AppTest) -> tuple[str, Callable[[int], None]] | None:
    """The page's first control (main area, then sidebar) and a function that sets it to the
    i-th of two alternating values (then ``at.run()``), or None when the page has none."""
    found = [
        (area, kind)
        for area in ("main", "sidebar")
        for kind in ("slider", "number_input", "selectbox", "toggle", "checkbox")
        if len(getattr(getattr(at, area), kind))
    ]
    if not found:
        return None
    area, kind = found[0]
    widget = getattr(getattr(at, area), kind)[0]
    if kind == "slider":
        first = widget.value
        if isinstance(first, tuple):
            return None
        values = (first, widget.min if first != widget.min else widget.max)
    elif kind == "number_input":
        first = widget.value
        up = widget.max is None or first + widget.step <= widget.max
        values = (first, first + widget.step if up else first - widget.step)
    elif kind == "selectbox":
        if len(widget.options) < 2:
            return None
        values = (widget.index or 0, ((widget.index or 0) + 1) % len(widget.options))
    else:
        values = (bool(widget.value), not widget.value)

    def set_value(i: int) -> None:
        # Widget handles belong to one run's element tree: look the control up again.
        current = getattr(getattr(at, area), kind)[0]
        if kind == "selectbox":
            current.select_index(values[i % 2])
        else:
            current.set_value(values[i % 2])

    return f"{kind} {widget.label!r}", set_value


def _rerun_times(make_app: Callable[[], AppTest], reruns: int) -> tuple[str, list[float]]:
    at = make_app()
    change = _control_change(at)
    if change is None:
        return "no control: plain rerun", [_timed(at.run) for _ in range(reruns)]
    label, set_value = change
    try:
        for i in (1, 2):  # compute both values once: the timed reruns hit a warm cache
            set_value(i)
            at.run()
    except Exception as error:  # AppTest cannot drive every widget: time plain reruns instead
        at = make_app()
        note = f"{label}: AppTest could not change it ({type(error).__name__}); plain rerun"
        return note, [_timed(at.run) for _ in range(reruns)]
    times = []
    for i in range(1, reruns + 1):
        set_value(i)
        times.append(_timed(at.run))
    return label, times


def apptest_report(reruns: int) -> list[tuple[str, str, float]]:
    """(page, what was changed, median rerun seconds) for the empty page and each page."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty_page.py"
        empty.write_text(EMPTY_PAGE)

        def empty_app() -> AppTest:
            return AppTest.from_file(str(empty), default_timeout=TIMEOUT_S).run()

        rows.append(
            ("empty page", "plain rerun", statistics.median(_rerun_times(empty_app, reruns)[1]))
        )
    for info in PAGES:
        if not info.path.is_file():
            rows.append((info.key, "missing file", float("nan")))
            continue

        def page_app(info: PageInfo = info) -> AppTest:
            at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
            return at if info.key == HOME_KEY else at.switch_page(info.file).run()

        at = page_app()
        if at.exception:
            rows.append((info.key, f"exception: {at.exception[0].message}", float("nan")))
            continue
        label, times = _rerun_times(page_app, reruns)
        rows.append((info.key, label, statistics.median(times)))
    return rows


# --------------------------------------------------------------------------- browser loads


def _cold_load(browser: Any, base_url: str, url_path: str) -> tuple[float, bool]:
    """Seconds from navigation to the first drawn chart (or, for a page without charts, to
    the end of the first run with every element loaded) in a new session; and whether a chart
    was drawn."""
    from tests.browser.conftest import APP_IDLE, APP_TIMEOUT_MS, CHART, ERROR_SELECTORS, SKELETON

    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"/{url_path}")
        page.wait_for_function(
            """([idle, skeleton, chart]) =>
                document.querySelector(`${chart} canvas, ${chart} svg`) !== null
                || (document.querySelector(idle) !== null
                    && document.querySelectorAll(skeleton).length === 0
                    && document.querySelectorAll(chart).length === 0)""",
            arg=[APP_IDLE, SKELETON, CHART],
            timeout=APP_TIMEOUT_MS,
        )
        elapsed = time.perf_counter() - start
        problems = page.locator(", ".join(ERROR_SELECTORS)).count()
        if problems:
            raise RuntimeError(f"/{url_path} showed {problems} error(s); nothing to measure")
        return elapsed, page.locator(f"{CHART} canvas, {CHART} svg").count() > 0
    finally:
        context.close()


@contextmanager
def _server(script: Path, log_dir: Path) -> Iterator[str]:
    from tests.browser.conftest import free_port, start_streamlit, stop_streamlit, wait_healthy

    port = free_port()
    log = log_dir / f"{script.stem}-{port}.log"
    process = start_streamlit(script, port, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_streamlit(process)


def browser_report() -> list[tuple[str, float, bool]] | str:
    """(page, cold seconds, has chart) for the empty page and each page, or why not run."""
    from tests.browser.conftest import browser_problem, launch_chromium

    problem = browser_problem()
    if problem:
        return problem
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            empty = Path(folder) / "empty_page.py"
            empty.write_text(EMPTY_PAGE)
            with _server(empty, Path(folder)) as url:
                _cold_load(browser, url, "")  # warm-up: the server's first session
                rows.append(("empty page", *_cold_load(browser, url, "")))
            with _server(APP, Path(folder)) as url:
                _cold_load(browser, url, "")  # warm-up with the home page (see the docstring)
                for info in _existing(PAGES):
                    path = "" if info.key == HOME_KEY else info.url_path
                    rows.append((info.key, *_cold_load(browser, url, path)))
        finally:
            browser.close()
    return rows


def _existing(pages: tuple[PageInfo, ...]) -> list[PageInfo]:
    return [info for info in pages if info.path.is_file()]


# --------------------------------------------------------------------------- memory

#: Choices that make a request heavier than the default: weights whose signal overflows (every
#: later layer is inf/NaN, the slowest path) and the views with the most work.
HEAVY_CHOICES: dict[str, tuple[dict[str, str], ...]] = {
    "forward_pass": ({"view": "network"}, {"view": "sigma_sweep"}, {"view": "xavier_pair"}),
    "weight_distribution": ({"layer": "dense"}, {"layer": "conv"}),
}
#: Controls whose largest value is not the heaviest request (the seed only picks the draws).
NOT_SIZES = frozenset({"seed"})
MEMORY_BUDGET_MB = 150.0


def heaviest_links(page: str) -> list[str]:
    """The page's heaviest allowed URLs, built (and so checked) by its declaration."""
    controls = SIMULATION_PAGES[page]
    links = []
    for choices in HEAVY_CHOICES.get(page, ({},)):
        values = controls.defaults() | choices
        for control in controls.controls:
            if control.name in choices or control.name in NOT_SIZES:
                continue
            if isinstance(control, IntControl | FloatControl) and control.name != "input_std":
                values[control.name] = (
                    control.options[-1] if getattr(control, "options", None) else control.high
                )
            elif isinstance(control, MultiChoiceControl):
                values[control.name] = control.values
            elif isinstance(control, ChoiceControl) and "large_random" in control.values:
                values[control.name] = "large_random"
        links.append(controls.link(controls.applied(values)))
    return links


def _memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(rest.split()[0])
    return fields


def memory_report() -> list[tuple[str, str, float, float]] | str:
    """(page, URL, peak rise MB, held after MB) for each simulation page's heaviest URLs."""
    from tests.browser.conftest import (
        browser_problem,
        free_port,
        launch_chromium,
        start_streamlit,
        stop_streamlit,
        wait_healthy,
    )

    problem = browser_problem()
    if problem:
        return problem
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for page_key in SIMULATION_PAGES:
                for link in heaviest_links(page_key):
                    port = free_port()
                    log = Path(folder) / f"memory-{port}.log"
                    process = start_streamlit(APP, port, log)
                    try:
                        url = f"http://127.0.0.1:{port}"
                        wait_healthy(url, process, log)
                        # Warm up with the page's default view: its imports and first
                        # computation are not what the heavy request adds.
                        controls = SIMULATION_PAGES[page_key]
                        default = controls.link(controls.applied(controls.defaults()))
                        _cold_load(browser, url, default.removeprefix("./"))
                        time.sleep(1.0)
                        before = _memory_kb(process.pid)["VmRSS"]
                        _cold_load(browser, url, link.removeprefix("./"))
                        time.sleep(1.0)
                        after = _memory_kb(process.pid)
                        rows.append(
                            (
                                page_key,
                                link,
                                (after["VmHWM"] - before) / 1024,
                                (after["VmRSS"] - before) / 1024,
                            )
                        )
                    finally:
                        stop_streamlit(process)
        finally:
            browser.close()
    return rows


# --------------------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> None:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=15, help="timed reruns per page")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser timings")
    args = parser.parse_args(argv)
    reruns = check_int("reruns", args.reruns, 3, 1000)

    rows = apptest_report(reruns)
    empty = rows[0][2]
    print(f"AppTest rerun after a control change, warm cache (median of {reruns}):")
    print(f"  {'page':<22} {'median ms':>10} {'x empty':>8} {f'(≤ {RERUN_TARGET:g})':>7}  changed")
    for key, label, seconds in rows:
        ratio = seconds / empty
        status = "ok" if ratio <= RERUN_TARGET else "MISSED"
        print(f"  {key:<22} {seconds * 1e3:>10.1f} {ratio:>8.1f} {status:>7}  {label}")

    if args.no_browser:
        return
    print()
    report = browser_report()
    if isinstance(report, str):
        print(f"Browser timings skipped: {report}")
        return
    empty = report[0][1]
    print("Cold load in Chromium, new session, to the first chart (or end of run if none):")
    print(f"  {'page':<22} {'ms':>10} {'x empty':>8} {f'(≤ {FIRST_VIEW_TARGET:g})':>7}  chart")
    for key, seconds, has_chart in report:
        note = "yes" if has_chart else "no chart: time to end of run"
        ratio = seconds / empty
        status = "ok" if ratio <= FIRST_VIEW_TARGET or not has_chart else "MISSED"
        print(f"  {key:<22} {seconds * 1e3:>10.1f} {ratio:>8.1f} {status:>7}  {note}")

    print()
    memory = memory_report()
    if isinstance(memory, str):
        print(f"Memory skipped: {memory}")
        return
    print(
        "Server resident memory for each page's heaviest allowed URL (fresh server, "
        f"budget {MEMORY_BUDGET_MB:.0f} MB per request):"
    )
    print(f"  {'page':<22} {'peak rise MB':>12} {'held MB':>8} {'x budget':>8}  URL")
    for key, link, peak, held in memory:
        print(f"  {key:<22} {peak:>12.0f} {held:>8.0f} {peak / MEMORY_BUDGET_MB:>8.2f}  {link}")


if __name__ == "__main__":
    main(sys.argv[1:])
