"""pages/ui/startup.py: the server's startup computes every simulation page's default result
into the store the page reads, and the charts and tables the page draws from it, in a thread
the server does not wait for, and survives failures."""

from __future__ import annotations

import ast
import logging
import threading
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from lab.controls.registry import SIMULATION_PAGES
from lab.experiments import signal_propagation
from pages.ui import (
    default_views,
    engine,
    forward_charts,
    gradient_charts,
    phase_charts,
    quantization_charts,
    signal_charts,
    startup,
    training_charts,
    weight_charts,
)
from pages.ui.blas import THREAD_VARIABLES
from pages.ui.memo import BoundedCache
from pages.ui.registry import get_page
from tests.coroutines import run_coroutine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # a page's first run imports the engine and Altair; CI machines can be busy
HANG_S = 60.0


class Asked(Exception):
    """Stops a page at its engine call: the test only wants to know what it asked for."""


#: The modules that build the simulation pages' chart specs (``vega_spec``) and Arrow tables
#: (``arrow_table``), each keeping what it built in ``pages.ui.memo`` caches.
CHART_MODULES = (
    forward_charts,
    weight_charts,
    signal_charts,
    gradient_charts,
    quantization_charts,
    training_charts,
    phase_charts,
)


def forget_builds() -> None:
    """Empty every memo cache of the chart modules, as in a fresh server process."""
    for module in CHART_MODULES:
        for value in vars(module).values():
            cache = getattr(value, "cache", None)
            if isinstance(cache, BoundedCache):
                cache.clear()


def count_builds(monkeypatch) -> list[str]:
    """A list that gets the name of every chart spec or table the chart modules build."""
    built: list[str] = []
    for module in CHART_MODULES:
        for name in ("vega_spec", "arrow_table"):
            real = getattr(module, name)

            def counted(*args, _real=real, _name=f"{module.__name__}.{name}", **kwargs):
                built.append(_name)
                return _real(*args, **kwargs)

            monkeypatch.setattr(module, name, counted)
    return built


def open_default(page: str) -> AppTest:
    """The app on ``page``'s default view (shell run first, as a browser does)."""
    at = AppTest.from_file("../../streamlit_app.py", default_timeout=TIMEOUT).run()
    return at.switch_page(get_page(page).file).run()


@pytest.fixture
def log_lines(monkeypatch) -> list[str]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("test_engine_startup")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(Keep())
    monkeypatch.setattr(startup, "_LOGGER", logger)
    return lines


def test_the_defaults_are_those_of_every_simulation_page():
    assert [page for page, _, _ in startup.default_runs()][:-1] == list(SIMULATION_PAGES)
    assert startup.default_runs()[-1][0] == "phase_diagram"  # its second, slowest panel


def test_each_page_first_view_asks_for_exactly_what_the_startup_computes(monkeypatch, log_lines):
    planned: list[tuple[str, object]] = []
    monkeypatch.setattr(
        engine, "compute_default", lambda run, config: planned.append((engine._name(run), config))
    )
    assert startup.compute_defaults() == (len(startup.default_runs()), 0)
    assert log_lines[-1].startswith(startup.DEFAULTS_READY)

    asked: list[tuple[str, object]] = []
    real = engine._get_or_compute

    def spy(name, config, compute, *, show=True):
        asked.append((name, config))
        if name == "lab.experiments.phase_diagram.run":  # the plane: needed to reach the grid
            return real(name, config, compute, show=show)
        raise Asked

    monkeypatch.setattr(engine, "_get_or_compute", spy)
    for page in SIMULATION_PAGES:
        before = len(asked)
        open_default(page)
        assert len(asked) > before, f"{page} asked the engine for nothing"
    assert asked == planned  # same experiments, same configs, same order


@pytest.mark.parametrize("page", ["weight_distribution", "signal_propagation"])
def test_after_the_startup_a_page_first_view_is_a_cache_hit(monkeypatch, page):
    ((_, run, from_values),) = [entry for entry in startup.default_runs() if entry[0] == page]
    engine.cached(run).clear()
    assert engine.compute_default(run, from_values(SIMULATION_PAGES[page].defaults())) is True
    computed: list[bool] = []
    real = engine._get_or_compute

    def spy(name, config, compute, *, show=True):
        result, fresh = real(name, config, compute, show=show)
        computed.append(fresh)
        return result, fresh

    monkeypatch.setattr(engine, "_get_or_compute", spy)
    at = open_default(page)
    assert not at.exception
    assert computed == [False]


def test_a_failing_default_is_logged_and_the_others_are_computed(monkeypatch, log_lines):
    def broken(config):
        raise RuntimeError("no memory left")

    def fine(config):
        return {"config": config}

    broken.__qualname__ = "broken_default"
    fine.__qualname__ = "fine_default"
    engine.cached(fine).clear()
    monkeypatch.setattr(
        startup,
        "default_runs",
        lambda: (
            ("weight_distribution", broken, lambda values: 1),
            ("signal_propagation", fine, lambda values: 2),
        ),
    )
    assert startup.compute_defaults() == (1, 1)
    assert "Default result of weight_distribution (broken) not computed" in log_lines
    assert log_lines[-1].startswith(f"{startup.DEFAULTS_READY}: 1, 1 failed")
    assert engine.compute_default(fine, 2) is False  # stored by the startup

    def no_engine():
        raise ImportError("no module named lab")

    monkeypatch.setattr(startup, "default_runs", no_engine)
    assert startup.compute_defaults() == (0, 1)
    assert log_lines[-1].startswith(f"{startup.DEFAULTS_READY}: 0, 1 failed")


def test_the_server_does_not_wait_for_the_defaults(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    started, release = threading.Event(), threading.Event()
    arenas: list[bool] = []

    def slow_defaults() -> tuple[int, int]:
        started.set()
        assert release.wait(HANG_S)
        return 0, 0

    monkeypatch.setattr(startup, "compute_defaults", slow_defaults)
    monkeypatch.setattr(startup, "limit_arenas", lambda: arenas.append(True) or True)
    threads: list[bool] = []
    monkeypatch.setattr(startup, "limit_blas_threads", lambda: threads.append(True) or True)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    async def serve() -> bool:
        async with startup.server_startup(None):
            # Serving while the defaults are still being computed.
            return started.wait(HANG_S) and not release.is_set()

    try:
        assert run_coroutine(serve)
        assert PagesManager.uses_pages_directory is False
        assert arenas == [True] and threads == [True]
        (thread,) = [t for t in threading.enumerate() if t.name == startup.THREAD_NAME]
        assert thread.daemon
    finally:
        release.set()
    thread.join(HANG_S)
    assert not thread.is_alive()


def test_an_arena_limit_chosen_in_the_environment_is_kept():
    assert startup.arenas_set_by_environment({"MALLOC_ARENA_MAX": "4"})
    assert startup.arenas_set_by_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"})
    other_tunable = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"}
    assert not startup.arenas_set_by_environment(other_tunable)
    assert not startup.arenas_set_by_environment({})


def _startup_calls(monkeypatch, limit: str) -> list[bool]:
    """Run the server's startup with both process limits stubbed; the calls of ``limit``
    (``limit_arenas`` or ``limit_blas_threads``)."""
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    monkeypatch.setattr(startup, "start_computing_defaults", lambda: None)
    called: list[bool] = []
    for name in ("limit_arenas", "limit_blas_threads"):
        record = name == limit
        monkeypatch.setattr(
            startup, name, lambda record=record: record and called.append(True) or True
        )

    async def serve() -> None:
        async with startup.server_startup(None):
            pass

    run_coroutine(serve)
    return called


def test_the_startup_leaves_an_arena_limit_of_the_environment(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert _startup_calls(monkeypatch, "limit_arenas") == []


def test_the_startup_leaves_a_blas_thread_count_of_the_environment(monkeypatch):
    """scripts/test.sh and a server started with OPENBLAS_NUM_THREADS keep their choice."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert _startup_calls(monkeypatch, "limit_blas_threads") == []


def _pages_ui_imports(path) -> set[str]:
    """The pages.ui modules a page script imports (``from pages.ui.x import ...``)."""
    tree = ast.parse(path.read_text())
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pages.ui.")
    }


def test_the_startup_imports_every_module_the_simulation_pages_draw_with():
    drawing = set().union(*(_pages_ui_imports(get_page(page).path) for page in SIMULATION_PAGES))
    # Modules every page imports anyway (the app shell imports them before any page runs).
    shell = _pages_ui_imports(ROOT / "streamlit_app.py") | {"pages.ui.registry"}
    missing = drawing - set(startup.PAGE_MODULES) - shell
    assert missing == set()
    assert {"pages.ui.charts", "pages.ui.forward_charts"} <= set(startup.PAGE_MODULES)


def test_a_module_that_fails_to_import_is_logged_and_skipped(log_lines):
    assert startup.import_page_modules(("pages.ui.charts", "pages.ui.no_such_module")) == 1
    assert any("pages.ui.no_such_module" in line for line in log_lines)


def test_the_startup_thread_freezes_the_imports_before_the_defaults(monkeypatch):
    """gc.freeze: the modules the startup imported are no longer scanned by every later
    collection; it happens before the defaults, so that sessions opened meanwhile are not."""
    order: list[str] = []
    monkeypatch.setattr(startup, "import_page_modules", lambda: order.append("imports") or 0)
    monkeypatch.setattr(startup, "compute_defaults", lambda: order.append("defaults") or (0, 0))
    monkeypatch.setattr(startup.gc, "freeze", lambda: order.append("freeze"))
    startup.prepare_pages()
    assert order == ["imports", "freeze", "defaults"]


@pytest.mark.parametrize("page", list(SIMULATION_PAGES))
def test_after_the_startup_a_first_view_builds_no_chart_and_no_table(monkeypatch, page):
    values = SIMULATION_PAGES[page].defaults()
    mine = [
        (run, from_values(values))
        for key, run, from_values in startup.default_runs()
        if key == page
    ]
    for run, config in mine:
        engine.compute_default(run, config)
    built = count_builds(monkeypatch)

    forget_builds()  # a fresh process without the startup's views: the first view builds them
    assert not open_default(page).exception
    assert built, f"{page}'s first view built nothing: the probe misses its builders"

    forget_builds()
    built.clear()
    for run, config in mine:
        assert startup.build_stored_default_view(page, run, config, values)
    assert built, "the startup built nothing"
    built.clear()
    at = open_default(page)
    assert not at.exception, [e.message for e in at.exception]
    assert built == [], f"{page}'s first view after the startup still built {built}"


def test_a_view_that_fails_is_logged_and_the_page_builds_it(monkeypatch, log_lines):
    def broken(result, values):
        raise RuntimeError("no memory left")

    monkeypatch.setitem(default_views.BUILDERS, signal_propagation.run, broken)
    values = SIMULATION_PAGES["signal_propagation"].defaults()
    config = signal_propagation.config_from_values(values)
    engine.compute_default(signal_propagation.run, config)
    assert not startup.build_stored_default_view(
        "signal_propagation", signal_propagation.run, config, values
    )
    assert "Default view of signal_propagation (run) not built" in log_lines
    monkeypatch.undo()  # the real builders, to count what the page builds itself
    built = count_builds(monkeypatch)
    forget_builds()
    assert not open_default("signal_propagation").exception
    assert built, "the page built nothing after the startup's view failed"
