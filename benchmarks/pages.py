"""How heavy is each page? Prints measured times and ratios; asserts nothing.

Run from the repository root::

    python -m benchmarks.pages              # AppTest reruns, plus browser loads if chromium exists
    python -m benchmarks.pages --reruns 31 --no-browser
    python -m benchmarks.pages --only browser --rounds 3   # only the cold loads, 3 servers

1. AppTest: for every page of ``pages.ui.registry.PAGES`` whose file exists, the median time of a
   rerun after a control change with a warm cache (the page's first slider, number box,
   selectbox, toggle or checkbox, main area first, then the sidebar, is switched between two
   values, both computed once before timing), against the median rerun of
   an empty page (a script that only imports streamlit). Pages without a control report plain
   reruns.
2. Browser (when Debian's ``chromium`` and Playwright are available): one fresh
   ``streamlit run`` of the app per round (``--rounds``); once the server's startup has
   computed every simulation page's default result (``pages.ui.startup``, the line
   ``DEFAULTS_READY`` in its log) and after a warm-up visit of the home page, each page is
   opened once in a fresh session and timed until its first chart is drawn (or, without a
   chart, until the script run ends): the cold cost of the page's first view. The reference
   is an empty Streamlit page served the same way; a page that only draws one tiny chart
   (``st.vega_lite_chart``, no Altair) shows what the browser's first chart costs by itself
   (loading Vega's JavaScript, which an empty page never loads, and drawing); and the app's
   floor, its shell (navigation, the sidebar's student box) around a page that draws only that
   tiny chart, is the soonest any page of the app can show a chart ("x app floor").
3. Memory (with the browser): for each simulation page, a fresh server computes the default
   results (``DEFAULTS_READY``) and opens the page's default URL, then its heaviest allowed
   URL (every size control at its largest declared value, built and checked by the page's
   declaration); printed is the rise of the server's peak resident memory (``VmHWM`` over the
   ``VmRSS`` before the request) and what stays held afterwards. The budget is 150 MB per
   request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
#: The smallest page with a chart: what the browser's first chart costs by itself.
TINY_CHART_CALL = """st.vega_lite_chart(
    {
        "data": {"values": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
        "mark": "line",
        "encoding": {"x": {"field": "x", "type": "quantitative"},
                     "y": {"field": "y", "type": "quantitative"}},
    }
)
"""
TINY_CHART_PAGE = "import streamlit as st\n\n" + TINY_CHART_CALL
#: The app's own floor: the shell every page runs in (its navigation of every page, the
#: sidebar's student box, the wrapping style) around a page that draws only the tiny chart.
#: No page of the app can show its first chart sooner. Run from a folder of its own, with the
#: repository on the path; the app's pages are listed but never run.
APP_FLOOR_PAGE = f"""import sys

sys.path.insert(0, {str(REPO_ROOT)!r})

import streamlit as st

from pages.ui.instructor import instructor_sidebar
from pages.ui.registry import PAGE_CONFIG, PAGES, SECTIONS, wrapping_text
from pages.ui.student import student_sidebar


def tiny_chart() -> None:
{textwrap.indent(TINY_CHART_CALL, "    ")}

st.set_page_config(**PAGE_CONFIG)
floor = st.Page(tiny_chart, title="One tiny chart", url_path="floor", default=True)
pages = {{
    section: [
        st.Page(info.path, title=info.title, icon=info.icon, url_path=info.url_path)
        for info in PAGES
        if info.section == section
    ]
    for section in SECTIONS
}}
pages[SECTIONS[0]].insert(0, floor)
current = st.navigation(pages)
wrapping_text()
student_sidebar()
instructor_sidebar()
current.run()
"""
TIMEOUT_S = 120
#: Seconds a fresh app server may take to compute every default result at startup.
STARTUP_S = 600
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


@dataclass(frozen=True)
class ColdLoad:
    """One cold load: wall seconds to the first drawn chart (or to the end of the run), whether
    a chart was drawn, the browser's main-thread busy seconds over it (Chromium's
    ``Performance.getMetrics`` TaskDuration: parsing and running JavaScript, style, layout,
    painting) and the server process's CPU seconds over it."""

    seconds: float
    chart: bool
    browser_cpu: float
    server_cpu: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (/proc/PID/stat fields 14, 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cold_load(browser: Any, base_url: str, url_path: str, server_pid: int = 0) -> ColdLoad:
    """Load ``/url_path`` in a new session until its first chart is drawn (or, for a page
    without charts, until the first run has ended with every element loaded)."""
    from tests.browser.conftest import APP_IDLE, APP_TIMEOUT_MS, CHART, ERROR_SELECTORS, SKELETON

    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    try:
        devtools = context.new_cdp_session(page)
        devtools.send("Performance.enable")
        server_start = cpu_seconds(server_pid) if server_pid else 0.0
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
        server = cpu_seconds(server_pid) - server_start if server_pid else float("nan")
        metrics = devtools.send("Performance.getMetrics")["metrics"]
        busy = next(m["value"] for m in metrics if m["name"] == "TaskDuration")
        problems = page.locator(", ".join(ERROR_SELECTORS)).count()
        if problems:
            raise RuntimeError(f"/{url_path} showed {problems} error(s); nothing to measure")
        chart = page.locator(f"{CHART} canvas, {CHART} svg").count() > 0
        return ColdLoad(elapsed, chart, busy, server)
    finally:
        context.close()


@contextmanager
def _server(script: Path, log_dir: Path, wait_for: str | None = None) -> Iterator[tuple[str, int]]:
    """A fresh ``streamlit run script``: its base URL and pid once healthy (and, with
    ``wait_for``, once its log holds that line)."""
    from tests.browser.conftest import free_port, start_streamlit, stop_streamlit, wait_healthy

    port = free_port()
    log = log_dir / f"{script.stem}-{port}.log"
    process = start_streamlit(script, port, log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        if wait_for is not None:
            wait_for_log_line(log, wait_for, process)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop_streamlit(process)


def wait_for_log_line(log: Path, text: str, process: Any, timeout: float = STARTUP_S) -> float:
    """Seconds until a line of the server's log contains ``text``; RuntimeError when the
    server exits or ``timeout`` passes first."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if text in log.read_text(errors="replace"):
            return time.monotonic() - start
        if process.poll() is not None:
            raise RuntimeError(f"the server exited before logging {text!r}")
        time.sleep(0.25)
    raise RuntimeError(f"the server did not log {text!r} within {timeout:.0f} s")


#: The reference pages of the browser timings: Streamlit's floor, Vega's, the app's.
EMPTY_KEY, TINY_CHART_KEY, APP_FLOOR_KEY = "empty page", "one tiny chart", "app + tiny chart"
REFERENCES = (
    (EMPTY_KEY, EMPTY_PAGE),
    (TINY_CHART_KEY, TINY_CHART_PAGE),
    (APP_FLOOR_KEY, APP_FLOOR_PAGE),
)


def reference_script(folder: Path, key: str, text: str) -> Path:
    """Write a reference page in a folder of its own and return its path; the app's floor gets
    the app's Streamlit configuration (``.streamlit/config.toml``), as the app does."""
    name = key.replace(" ", "_").replace("+", "and")
    script = folder / name / f"{name}.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(text)
    if key == APP_FLOOR_KEY:
        (script.parent / ".streamlit").mkdir(exist_ok=True)
        config = REPO_ROOT / ".streamlit" / "config.toml"
        (script.parent / ".streamlit" / "config.toml").write_text(config.read_text())
    return script


def browser_report(
    rounds: int = 1, app: Path = APP, wait_for_defaults: bool = True
) -> dict[str, list[ColdLoad]] | str:
    """Each round's cold load of the empty page, the tiny-chart page and each page of the app,
    or why not run. With ``wait_for_defaults`` the app's server is first left to compute every
    default result (its log's ``DEFAULTS_READY`` line)."""
    from tests.browser.conftest import browser_problem, launch_chromium

    problem = browser_problem()
    if problem:
        return problem
    from playwright.sync_api import sync_playwright

    wait_for = None
    if wait_for_defaults:
        from pages.ui.startup import DEFAULTS_READY

        wait_for = DEFAULTS_READY
    loads: dict[str, list[ColdLoad]] = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for _ in range(rounds):
                for key, text in REFERENCES:
                    script = reference_script(Path(folder), key, text)
                    with _server(script, Path(folder)) as (url, pid):
                        _cold_load(browser, url, "")  # warm-up: the server's first session
                        loads.setdefault(key, []).append(_cold_load(browser, url, "", pid))
                with _server(app, Path(folder), wait_for) as (url, pid):
                    _cold_load(browser, url, "")  # warm-up with the home page (see the docstring)
                    for info in _existing(PAGES):
                        path = "" if info.key == HOME_KEY else info.url_path
                        loads.setdefault(info.key, []).append(_cold_load(browser, url, path, pid))
        finally:
            browser.close()
    return loads


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

    from pages.ui.startup import DEFAULTS_READY

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
                        wait_for_log_line(log, DEFAULTS_READY, process)
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


PARTS = ("apptest", "browser", "memory")


def main(argv: list[str] | None = None) -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=15, help="timed reruns per page")
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the browser timings and memory"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable): apptest (reruns), browser (cold loads), "
        "memory (heaviest URLs)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="browser cold loads: fresh servers, median shown"
    )
    args = parser.parse_args(argv)
    try:  # a bad value gets argparse's one-line message, not a traceback
        reruns = check_int("reruns", args.reruns, 3, 1000)
        rounds = check_int("rounds", args.rounds, 1, 20)
    except ValueError as error:
        parser.error(str(error))
    parts = set(args.only or (PARTS[:1] if args.no_browser else PARTS))

    if "apptest" in parts:
        print_apptest(reruns)
    if "browser" in parts:
        print_browser(rounds)
    if "memory" in parts:
        print_memory()


def print_apptest(reruns: int) -> None:
    rows = apptest_report(reruns)
    empty = rows[0][2]
    print(f"AppTest rerun after a control change, warm cache (median of {reruns}):")
    print(f"  {'page':<22} {'median ms':>10} {'x empty':>8} {f'(≤ {RERUN_TARGET:g})':>7}  changed")
    for key, label, seconds in rows:
        ratio = seconds / empty
        status = "ok" if ratio <= RERUN_TARGET else "MISSED"
        print(f"  {key:<22} {seconds * 1e3:>10.1f} {ratio:>8.1f} {status:>7}  {label}")
    print()


def first_view_status(key: str, ratio: float, chart: bool) -> str:
    """The first-view target's verdict on a page: "ok" or "MISSED" for a simulation page (no
    chart is a miss), "" where the target does not apply (the reference pages, Home and the
    quizzes, which draw no chart: their figure is the time to the end of their run)."""
    if key not in SIMULATION_PAGES:
        return ""
    return "ok" if chart and ratio <= FIRST_VIEW_TARGET else "MISSED"


def print_browser(rounds: int) -> None:
    report = browser_report(rounds)
    if isinstance(report, str):
        print(f"Browser timings skipped: {report}\n")
        return
    print(
        "Cold load in Chromium, new session, to the first chart (or end of run if none), "
        f"median of {rounds} server(s); the app's default results computed at startup.\n"
        "CPU seconds over the load: the browser's main thread (JavaScript, layout, paint) and "
        "the server process. The target applies to the simulation pages' first charts."
    )
    print(
        f"  {'page':<22} {'ms':>7} {'x empty':>8} {f'(≤ {FIRST_VIEW_TARGET:g})':>7} "
        f"{'x app floor':>11} {'browser s':>9} {'server s':>8}  {'rounds ms':<20} chart"
    )
    empty, floor = (
        statistics.median(load.seconds for load in report[key])
        for key in (EMPTY_KEY, APP_FLOOR_KEY)
    )
    for key, loads in report.items():
        seconds = statistics.median(load.seconds for load in loads)
        browser = statistics.median(load.browser_cpu for load in loads)
        server = statistics.median(load.server_cpu for load in loads)
        chart = loads[-1].chart
        note = "yes" if chart else "no chart: time to end of run"
        ratio = seconds / empty
        status = first_view_status(key, ratio, chart)
        each = " ".join(f"{load.seconds * 1e3:.0f}" for load in loads)
        print(
            f"  {key:<22} {seconds * 1e3:>7.0f} {ratio:>8.2f} {status:>7} {seconds / floor:>11.2f} "
            f"{browser:>9.2f} {server:>8.2f}  {each:<20} {note}"
        )
    print()


def print_memory() -> None:
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
