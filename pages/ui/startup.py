"""The server's startup hook (``st.App``'s lifespan in streamlit_app.py).

Before the server accepts its first connection it

1. keeps Streamlit's legacy pages/ folder mode off (``pages.ui.page_folder``: deep links opened
   first on a fresh server show no "Page not found");
2. limits glibc's malloc arenas, as ``MALLOC_ARENA_MAX=2`` would (``pages.ui.allocator``): a
   server that has served a class otherwise keeps much more memory than before. A limit set
   in the environment (``MALLOC_ARENA_MAX``, or ``glibc.malloc.arena_max`` in
   ``GLIBC_TUNABLES``) is left as it is;
3. runs numpy's BLAS on one thread (``pages.ui.blas``): on a server that a class keeps busy,
   threaded BLAS waits for cores that other sessions hold. A thread count set in the
   environment (``OPENBLAS_NUM_THREADS`` and the like) is left as it is;
4. starts a background thread that imports the modules the simulation pages draw with
   (``PAGE_MODULES``: Altair and pandas alone take about half a second) and then computes every
   simulation page's default result into the store the page reads
   (``pages.ui.engine.compute_default``), one at a time in the process's simulation slot, and
   the charts and tables the page draws from it (``pages.ui.default_views``), so that a
   student's first view of a page is a cache hit that builds nothing. The server does not wait
   for it; an import, a computation or a view that fails is logged and skipped (the page
   imports, computes or builds, and reports, it on its first view as before). When all are
   done the server logs a line starting with ``DEFAULTS_READY`` (benchmarks wait for it).
"""

from __future__ import annotations

import gc
import importlib
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from streamlit.logger import get_logger

from pages.ui.allocator import SERVER_ARENAS, limit_arenas
from pages.ui.blas import SERVER_BLAS_THREADS, limit_blas_threads, threads_set_by_environment
from pages.ui.page_folder import disable_legacy_page_folder

#: The modules the simulation pages import from pages/ui, imported by the startup thread so that
#: the first student on a page does not wait for them.
PAGE_MODULES = (
    "pages.ui.engine",
    "pages.ui.memo",
    "pages.ui.text",
    "pages.ui.charts",
    "pages.ui.widgets",
    "pages.ui.forward_charts",
    "pages.ui.weight_charts",
    "pages.ui.signal_charts",
    "pages.ui.gradient_charts",
    "pages.ui.quantization_charts",
    "pages.ui.training_charts",
    "pages.ui.phase_charts",
)
#: Start of the log line written once every default result is computed.
DEFAULTS_READY = "Default results computed"
THREAD_NAME = "lab-default-results"

_LOGGER = get_logger(__name__)

#: One default computation: page key, the experiment's run and its ``*_from_values``.
DefaultRun = tuple[str, Callable[..., Any], Callable[[Mapping[str, object]], Any]]


def default_runs() -> tuple[DefaultRun, ...]:
    """Every computation a simulation page makes on its default view, in the pages' order;
    the Phase diagram page makes two (the plane, then the trainability grid, the slowest)."""
    # Imported here, in the startup thread: the engine's imports must not delay the server.
    from lab.experiments import (
        forward_pass,
        gradient_flow,
        phase_diagram,
        quantization,
        signal_propagation,
        training,
        weight_distribution,
    )

    return (
        ("forward_pass", forward_pass.run, forward_pass.config_from_values),
        ("weight_distribution", weight_distribution.run, weight_distribution.config_from_values),
        ("signal_propagation", signal_propagation.run, signal_propagation.config_from_values),
        ("gradient_flow", gradient_flow.run, gradient_flow.config_from_values),
        ("quantization", quantization.run, quantization.config_from_values),
        ("training", training.run, training.config_from_values),
        ("phase_diagram", phase_diagram.run, phase_diagram.config_from_values),
        ("phase_diagram", phase_diagram.run_trainability, phase_diagram.trainability_from_values),
    )


def import_page_modules(names: tuple[str, ...] = PAGE_MODULES) -> int:
    """Import ``names``; the number that failed (each failure is logged, never raised)."""
    failed = 0
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed += 1
            _LOGGER.exception("Page module %s not imported at startup", name)
    return failed


def compute_defaults() -> tuple[int, int]:
    """Compute every page's default result into the page's cache, then build the charts and
    tables the page draws from it (``build_stored_default_view``); (results computed or
    already there, results failed). Never raises: a failure is logged and the next page is
    computed."""
    from pages.ui.engine import compute_default

    start = time.perf_counter()
    done = failed = 0
    try:
        from lab.controls.registry import SIMULATION_PAGES

        runs = default_runs()
    except Exception:
        _LOGGER.exception("Default results not computed: the engine could not be imported")
        runs, failed = (), 1
    for page, run, from_values in runs:
        try:
            values = SIMULATION_PAGES[page].defaults()
            config = from_values(values)
            compute_default(run, config)
            done += 1
        except Exception:
            failed += 1
            _LOGGER.exception("Default result of %s (%s) not computed", page, run.__name__)
            continue
        build_stored_default_view(page, run, config, values)
    _LOGGER.info(
        "%s: %d, %d failed, in %.1f s", DEFAULTS_READY, done, failed, time.perf_counter() - start
    )
    return done, failed


def build_stored_default_view(
    page: str, run: Callable[..., Any], config: object, values: Mapping
) -> bool:
    """Build the charts and tables ``page`` draws from the stored result of ``run(config)``
    (``pages.ui.default_views``); whether they were built. Never raises: a failure is logged
    and the page builds them on its first view, as it would without the startup."""
    from pages.ui.engine import stored_result

    try:
        from pages.ui.default_views import build_default_view

        result = stored_result(run, config)
        return result is not None and build_default_view(run, result, values)
    except Exception:
        _LOGGER.exception("Default view of %s (%s) not built", page, run.__name__)
        return False


def prepare_pages() -> None:
    """The startup thread's work: the pages' modules, then the default results.

    Between the two, every object made so far (the modules: most of the process's objects)
    leaves the cyclic garbage collector's view (``gc.collect`` then ``gc.freeze``), so that
    the collections during a page run scan only what the runs make. It comes right after the
    imports, a second or so after the server starts: a session that is open already would
    also be frozen, and cycles among its objects never collected once it ends.
    """
    import_page_modules()
    gc.collect()
    gc.freeze()
    compute_defaults()


def start_computing_defaults() -> threading.Thread:
    """``prepare_pages`` in a daemon thread (the server's exit does not wait for it)."""
    thread = threading.Thread(target=prepare_pages, name=THREAD_NAME, daemon=True)
    thread.start()
    return thread


def arenas_set_by_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the server's environment already chose glibc's arena limit."""
    return "MALLOC_ARENA_MAX" in environ or "glibc.malloc.arena_max" in environ.get(
        "GLIBC_TUNABLES", ""
    )


@asynccontextmanager
async def server_startup(_app: Any) -> AsyncIterator[None]:
    """``st.App`` lifespan: the four steps of the module docstring, nothing at shutdown."""
    disable_legacy_page_folder()
    if not arenas_set_by_environment() and limit_arenas():
        _LOGGER.info("malloc arenas limited to %d (mallopt M_ARENA_MAX)", SERVER_ARENAS)
    if not threads_set_by_environment() and limit_blas_threads():
        _LOGGER.info("BLAS limited to %d thread(s) (threadpoolctl)", SERVER_BLAS_THREADS)
    start_computing_defaults()
    yield
