"""What a page builds once per result and reuses on every rerun and in every session.

A rerun with a warm engine cache should only send elements: the tables handed to
``st.dataframe`` and the Vega-Lite specs of the charts depend on the result alone, so they are
built once per result. ``once_per`` caches a builder in a small LRU (bounded, thread-safe,
shared by the sessions of the server process) under a hashable key of its arguments: for an
experiment's result, its frozen ``Config``, which determines it (``run`` is deterministic);
``once_per_object`` keys a part of a shared result by its identity. A cache hit returns the very
object built the first time, without a copy: ``pyarrow.Table`` is immutable, and dicts from a
builder (chart specs) are read, never changed.

``arrow_table`` builds the Arrow table Streamlit sends: ``st.dataframe`` serializes a
``pyarrow.Table`` as it is, where a pandas DataFrame is converted to Arrow on every call.
``page_of`` gives ``st.page_link`` a page object made once per process instead of a file path
it would resolve on the file system on every call; ``navigation_pages`` gives each session
copies of ``st.navigation``'s pages, made once per process.
"""

from __future__ import annotations

import copy
import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Generic, TypeVar

import pyarrow as pa
import streamlit as st
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lab.validation import check_int
from pages.ui.registry import PageInfo

Arg = TypeVar("Arg")
Value = TypeVar("Value")

#: Entries kept per builder: the engine keeps as many results (pages.ui.engine.CACHED_RESULTS).
CACHED_BUILDS = 16


class BoundedCache(Generic[Value]):
    """Values by key, the least recently used dropped beyond ``size``; safe across threads.

    Two sessions that miss the same key at once may both build; the first value stored is the
    one every caller gets, so a key always maps to one object while it is cached.
    """

    def __init__(self, size: int) -> None:
        self.size = check_int("size", size, 1, 10_000)
        self._items: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], Value]) -> Value:
        """The value cached under ``key``, or ``build()`` stored under it (built unlocked)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            value = self._items.setdefault(key, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._items.clear()


def once_per(
    key: Callable[..., Hashable], size: int = CACHED_BUILDS
) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    """Decorator: ``build(*args)`` runs once per ``key(*args)`` (e.g. a result's Config, with
    any argument that also changes the value) and its value is shared while cached (``size``
    entries; the wrapper's ``cache`` holds them)."""

    def decorate(build: Callable[..., Value]) -> Callable[..., Value]:
        cache: BoundedCache[Value] = BoundedCache(size)

        @functools.wraps(build)
        def cached(*args: object) -> Value:
            return cache.get_or_build(key(*args), lambda: build(*args))

        cached.cache = cache  # type: ignore[attr-defined]
        return cached

    return decorate


def once_per_object(
    size: int = CACHED_BUILDS,
) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    """Decorator: ``build(part, *rest)`` runs once per object ``part`` (by identity) and value
    of ``rest`` (hashable), for parts of a shared result that cannot be hashed (numpy arrays
    inside). The engine hands every rerun the very result it stored (``pages.ui.engine``), so
    its parts are the same objects; the cache holds each part while its value is cached, so an
    identity is never reused for another object meanwhile."""

    def decorate(build: Callable[..., Value]) -> Callable[..., Value]:
        cache: BoundedCache[tuple[object, Value]] = BoundedCache(size)

        @functools.wraps(build)
        def cached(part: object, *rest: Hashable) -> Value:
            # The entry holds ``part``: while it is cached no other object can have its id.
            _, value = cache.get_or_build((id(part), *rest), lambda: (part, build(part, *rest)))
            return value

        cached.cache = cache  # type: ignore[attr-defined]
        return cached

    return decorate


def _cell(value: object) -> object:
    # pandas turns a float NaN into a missing value when it converts a frame to Arrow, and
    # st.dataframe draws both as an empty cell: keep that.
    return None if isinstance(value, float) and math.isnan(value) else value


def arrow_table(
    rows: Sequence[Mapping[str, object]] | Sequence[Sequence[object]],
    columns: Sequence[str] | None = None,
    *,
    drop: Sequence[str] = (),
) -> pa.Table:
    """``rows`` (dicts, or sequences in the order of ``columns``) as a ``pyarrow.Table`` with
    ``columns`` (default: the first dict's keys) in order, less the columns in ``drop``; NaN is
    a missing value, as in pandas' conversion. An empty ``rows`` needs ``columns``."""
    if columns is None:
        if not rows or not isinstance(rows[0], Mapping):
            raise ValueError("columns must be given for empty rows or rows that are not dicts")
        columns = list(rows[0])
    names = [name for name in columns if name not in drop]
    if rows and isinstance(rows[0], Mapping):
        records = [[row[name] for name in columns] for row in rows]  # type: ignore[index]
    else:
        records = [list(row) for row in rows]
    for record in records:
        if len(record) != len(columns):
            raise ValueError(f"each row must have {len(columns)} values; got {len(record)}")
    index = {name: i for i, name in enumerate(columns)}
    return pa.table({name: [_cell(record[index[name]]) for record in records] for name in names})


#: The process's ``st.Page`` of each (page key, default or not), made once.
_PAGES: dict[tuple[str, bool], StreamlitPage] = {}
_PAGES_LOCK = threading.Lock()


def _page_made_once(info: PageInfo, default: bool = False) -> StreamlitPage:
    """The process's ``st.Page`` of ``info`` (``default``: the navigation's default page), made
    on the first call. Call it while a script runs: without the run's context ``st.Page``
    returns an empty shell, which would be kept for every later session."""
    key = (info.key, default)
    with _PAGES_LOCK:
        page = _PAGES.get(key)
    if page is None:
        if get_script_run_ctx() is None:
            raise RuntimeError(f"the page {info.key!r} needs a running script to be made")
        made = st.Page(
            info.path, title=info.title, icon=info.icon, url_path=info.url_path, default=default
        )
        with _PAGES_LOCK:
            page = _PAGES.setdefault(key, made)
    return page


def page_of(info: PageInfo) -> StreamlitPage:
    """The ``st.Page`` of one of the app's pages, made once per process, for ``st.page_link``.

    Given a file path, ``st.page_link`` resolves it on every call (the working directory and a
    file-system lookup per folder, each letting other threads take the interpreter); given a
    page, it looks its URL path up among the pages ``st.navigation`` registered, by which the
    link is the same. A page object is only read there, so one serves every session.
    """
    return _page_made_once(info)


#: Session-state key of this session's navigation pages.
NAVIGATION_PAGES_KEY = "_navigation_pages"


def navigation_pages(shown: Sequence[PageInfo], default_key: str) -> dict[str, StreamlitPage]:
    """This session's ``st.Page`` of each page in ``shown``, by page key, for ``st.navigation``:
    made on the session's first run and reused by its later runs while the pages shown and the
    default one stay the same.

    Making an ``st.Page`` from a file resolves the path and checks the file on the file system:
    about a hundred system calls for the app's fourteen pages, each of which lets other
    threads take the interpreter. The pages are made once per process, and a session gets
    copies: ``st.navigation`` marks the page it returns as the one to run (and may mark a
    default), which must never touch another session's pages.
    """
    key = (default_key, tuple(info.key for info in shown))
    kept = st.session_state.get(NAVIGATION_PAGES_KEY)
    if kept is not None and kept[0] == key:
        return kept[1]
    pages = {info.key: copy.copy(_page_made_once(info, info.key == default_key)) for info in shown}
    st.session_state[NAVIGATION_PAGES_KEY] = (key, pages)
    return pages
