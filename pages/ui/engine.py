"""Engine calls from pages: one bounded, cached call per page run, one simulation at a time.

A class opening the lab together must not run thirty large simulations at once: each holds up
to ``lab.budget.MAX_PEAK_BYTES`` of arrays, and the server's memory is the sum. Cache misses
therefore go through one process-wide slot (a semaphore); a session whose miss finds the slot
taken shows "Queued: N ahead" and waits for its turn. Cache hits never wait.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

Config = TypeVar("Config")
Result = TypeVar("Result")

#: Results kept per experiment and process (each holds per-layer arrays).
CACHED_RESULTS = 16
#: Simulations computed at once in the whole server process.
CONCURRENT_SIMULATIONS = 1

_SLOT = threading.BoundedSemaphore(CONCURRENT_SIMULATIONS)
_WAITING_LOCK = threading.Lock()
_waiting = 0


class _Busy(Exception):
    """Raised inside the cached function when the slot is taken (exceptions are not cached)."""


def _one_at_a_time(run: Callable[[Config], Result]) -> Callable[[Config], Result]:
    @functools.wraps(run)
    def in_the_slot(config: Config) -> Result:
        if not _SLOT.acquire(blocking=False):
            raise _Busy
        try:
            return run(config)
        finally:
            _SLOT.release()

    return in_the_slot


def _wait_for_the_slot() -> None:
    """Show how many simulations are ahead and block until the slot is free."""
    global _waiting
    with _WAITING_LOCK:
        _waiting += 1
        ahead = _waiting
    notice = st.empty()
    notice.info(f"Queued: {ahead} simulation{'s' if ahead != 1 else ''} ahead of yours.")
    try:
        _SLOT.acquire()
        _SLOT.release()
    finally:
        with _WAITING_LOCK:
            _waiting -= 1
        notice.empty()


def cached(
    run: Callable[[Config], Result], *, spinner: str = "Simulating…"
) -> Callable[[Config], Result]:
    """``run`` (an experiment's ``run(config) -> result``) behind a bounded ``st.cache_data``,
    its cache misses one at a time in the process (see the module docstring).

    The config is a frozen dataclass, hashed field by field. A ValueError is not cached and
    reaches the page, which shows it with ``pages.ui.text.show_engine_error``. The wrapper is
    made once per ``run`` and process: making an ``st.cache_data`` reads the function's source,
    a cost that pages calling ``cached(run)`` on every rerun would otherwise pay each time.
    """
    made = _WRAPPERS.get((run, spinner))
    if made is not None:
        return made
    cached_run = st.cache_data(max_entries=CACHED_RESULTS, show_spinner=spinner)(
        _one_at_a_time(run)
    )

    @functools.wraps(run)
    def call(config: Config) -> Result:
        while True:
            try:
                return cached_run(config)
            except _Busy:
                _wait_for_the_slot()

    _WRAPPERS[(run, spinner)] = call
    return call


#: ``cached``'s wrappers by (run, spinner).
_WRAPPERS: dict[tuple[Callable, str], Callable] = {}


class _Store:
    """Results by config, least recently used first out; shared by every session."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object:
        with self._lock:
            if key not in self._items:
                return _MISSING
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: object, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_MISSING = object()


@st.cache_resource(show_spinner=False)
def _store(name: str) -> _Store:
    """The one result store of experiment ``name`` in this server process."""
    return _Store(CACHED_RESULTS)


def cached_with_progress(
    run: Callable[[Config, Callable[[float], None]], Result], *, text: str
) -> Callable[[Config], Result]:
    """``run(config, progress)`` (an experiment that reports the share done) behind a bounded
    cache shared by every session, with a progress bar on a cache miss.

    ``st.cache_data`` records the Streamlit calls a cached function makes and replays them on
    a hit, so a progress bar drawn from inside it cannot work; here the cache lookup comes
    first and the bar (``text`` and the percentage) is drawn only while ``run`` computes. Misses
    take the process's one simulation slot, as ``cached``'s do. A ValueError is not cached and
    reaches the page.
    """
    name = f"{run.__module__}.{run.__qualname__}"

    def call(config: Config) -> Result:
        store = _store(name)
        found = store.get(config)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        while not _SLOT.acquire(blocking=False):
            _wait_for_the_slot()
        try:
            return _compute(store, config)
        finally:
            _SLOT.release()

    def _compute(store: _Store, config: Config) -> Result:
        found = store.get(config)  # another session may have computed it while this one waited
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        bar = st.progress(0.0, text=text)
        shown = -1

        def progress(share: float) -> None:
            nonlocal shown
            percent = int(100 * min(max(float(share), 0.0), 1.0))
            if percent != shown:  # one message per percent, not one per epoch
                shown = percent
                bar.progress(percent / 100, text=f"{text} {percent}%")

        try:
            result = run(config, progress)
        finally:
            bar.empty()
        store.put(config, result)
        return result

    return call
