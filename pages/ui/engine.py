"""Engine calls from pages: one bounded, cached call per page run, one simulation at a time.

A class opening the lab together must not run thirty large simulations at once: each holds up
to ``lab.budget.MAX_PEAK_BYTES`` of arrays, and the server's memory is the sum. Cache misses
therefore go through one process-wide slot (a semaphore); a session whose miss finds the slot
taken shows "Queued: N ahead" and waits for its turn. Cache hits never wait.

Results are kept once per server process (a store inside ``st.cache_resource``, at most
``CACHED_RESULTS`` per experiment) and every session gets the same object: no copy per hit, as
``st.cache_data`` would make by unpickling. A result is a frozen dataclass; its numpy arrays
are made read-only before it is stored (``freeze_arrays``), so a page that tried to change a
shared result would raise instead of changing every student's view.

After a computed result is stored, ``pages.ui.allocator.release_free_memory`` hands the
allocator's free pages back to the system (glibc's ``malloc_trim``): a simulation's temporary
arrays would otherwise stay in the server's resident memory.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from pages.ui.allocator import release_free_memory
from pages.ui.text import show_engine_error

Config = TypeVar("Config", bound=Hashable)
Result = TypeVar("Result")

#: Results kept per experiment and process (each holds per-layer arrays).
CACHED_RESULTS = 16
#: Simulations computed at once in the whole server process.
CONCURRENT_SIMULATIONS = 1

_SLOT = threading.BoundedSemaphore(CONCURRENT_SIMULATIONS)
_WAITING_LOCK = threading.Lock()
_waiting = 0


def freeze_arrays(value: Any) -> Any:
    """``value`` with every numpy array in it made read-only (``ndarray.flags.writeable``),
    looking through dataclass fields, tuples, lists, dicts, sets and object arrays; returns
    ``value`` itself (nothing is copied)."""
    _freeze(value, set())
    return value


def _freeze(value: Any, seen: set[int]) -> None:
    if isinstance(value, str | bytes | int | float | complex | bool | type(None)):
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
        if value.dtype == object:
            for item in value.flat:
                _freeze(item, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _freeze(getattr(value, field.name), seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            _freeze(key, seen)
            _freeze(item, seen)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _freeze(item, seen)


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

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_MISSING = object()


@st.cache_resource(show_spinner=False)
def _store(name: str) -> _Store:
    """The one result store of experiment ``name`` in this server process."""
    return _Store(CACHED_RESULTS)


def _name(run: Callable) -> str:
    """The store's name of experiment ``run``: the same for every wrapper of one function."""
    return f"{run.__module__}.{run.__qualname__}"


def _wait_for_the_slot(show: bool = True) -> None:
    """Block until the slot is free; while waiting, count as one more simulation queued and,
    with ``show``, say how many are ahead (this one's count includes the one computing)."""
    global _waiting
    with _WAITING_LOCK:
        _waiting += 1
        ahead = _waiting
    notice = st.empty() if show else None
    if notice is not None:
        notice.info(f"Queued: {ahead} simulation{'s' if ahead != 1 else ''} ahead of yours.")
    try:
        _SLOT.acquire()
        _SLOT.release()
    finally:
        with _WAITING_LOCK:
            _waiting -= 1
        if notice is not None:
            notice.empty()


def _get_or_compute(
    name: str, config: Config, compute: Callable[[], Result], *, show: bool = True
) -> tuple[Result, bool]:
    """The stored result of ``config``, or ``compute()``'s, frozen and stored, computed in the
    process's one slot; and whether it was computed here. An exception (a ValueError of the
    engine) is not stored and frees the slot."""
    store = _store(name)
    found = store.get(config)
    if found is not _MISSING:
        return found, False  # type: ignore[return-value]
    while not _SLOT.acquire(blocking=False):
        _wait_for_the_slot(show)
    try:
        found = store.get(config)  # another session may have computed it while this one waited
        if found is not _MISSING:
            return found, False  # type: ignore[return-value]
        result = freeze_arrays(compute())
        store.put(config, result)
    finally:
        _SLOT.release()
    release_free_memory()
    return result, True


def cached(
    run: Callable[[Config], Result], *, spinner: str = "Simulating…"
) -> Callable[[Config], Result]:
    """``run`` (an experiment's ``run(config) -> result``) behind a bounded cache shared by
    every session, its cache misses one at a time in the process with ``spinner`` shown (see
    the module docstring).

    The config is a frozen dataclass, its fields hashable: equal configs share one result. A
    ValueError is not cached and reaches the page, which shows it with
    ``pages.ui.text.show_engine_error``. Every wrapper of one ``run`` (any ``spinner``) and
    ``compute_default`` share its results. The returned function's ``clear()`` empties them.
    """
    made = _WRAPPERS.get((run, spinner))
    if made is not None:
        return made
    name = _name(run)

    @functools.wraps(run)
    def call(config: Config) -> Result:
        def compute() -> Result:
            with st.spinner(spinner):
                return run(config)

        return _get_or_compute(name, config, compute)[0]

    call.clear = lambda: _store(name).clear()  # type: ignore[attr-defined]
    _WRAPPERS[(run, spinner)] = call
    return call


#: ``cached``'s wrappers by (run, spinner).
_WRAPPERS: dict[tuple[Callable, str], Callable] = {}


def cached_with_progress(
    run: Callable[[Config, Callable[[float], None]], Result], *, text: str
) -> Callable[[Config], Result]:
    """``run(config, progress)`` (an experiment that reports the share done) behind a bounded
    cache shared by every session, with a progress bar on a cache miss.

    The cache lookup comes first and the bar (``text`` and the percentage) is drawn only while
    ``run`` computes. Misses take the process's one simulation slot, as ``cached``'s do, and
    share ``cached``'s store for ``run``. A ValueError is not cached and reaches the page.
    """
    name = _name(run)

    def call(config: Config) -> Result:
        def compute() -> Result:
            bar = st.progress(0.0, text=text)
            shown = -1

            def progress(share: float) -> None:
                nonlocal shown
                percent = int(100 * min(max(float(share), 0.0), 1.0))
                if percent != shown:  # one message per percent, not one per epoch
                    shown = percent
                    bar.progress(percent / 100, text=f"{text} {percent}%")

            try:
                return run(config, progress)
            finally:
                bar.empty()

        return _get_or_compute(name, config, compute)[0]

    return call


def stored_result(run: Callable[..., Result], config: Config) -> Result | None:
    """The result of ``run(config)`` in the store ``cached(run)`` reads, or None; computes
    nothing and draws nothing."""
    found = _store(_name(run)).get(config)
    return None if found is _MISSING else found  # type: ignore[return-value]


def compute_default(run: Callable[..., Result], config: Config) -> bool:
    """Compute ``run(config)`` into the store that ``cached(run)`` and
    ``cached_with_progress(run)`` read, drawing nothing (for a thread outside any page run,
    e.g. the server's startup); whether it was computed here (False: already stored). Waits
    for the slot like a page's miss, and counts as queued while it waits."""
    return _get_or_compute(_name(run), config, lambda: run(config), show=False)[1]


def result_or_stop(
    compute: Callable[[Config], Result],
    config_from_values: Callable[[Mapping[str, object]], Config],
    values: Mapping[str, object],
) -> Result:
    """A page's one engine call: ``compute(config_from_values(values))`` (``compute`` from
    ``cached`` or ``cached_with_progress``). A ValueError, settings the engine refuses, is shown
    as one line (``pages.ui.text.show_engine_error``) and the page's run stops there."""
    try:
        return compute(config_from_values(values))
    except ValueError as error:
        show_engine_error(error)
        st.stop()
