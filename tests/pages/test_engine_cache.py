"""pages/ui/engine.py's result cache: one object per config for every session, its arrays
read-only, shared by ``cached``, ``cached_with_progress`` and ``compute_default``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lab.controls.weight_distribution import CONTROLS
from lab.experiments.weight_distribution import config_from_values, run
from pages.ui import engine

TIMEOUT = 60  # the first run imports the engine; CI machines can be busy


def arrays_in(value, seen=None) -> list[np.ndarray]:
    """Every numpy array reachable from ``value`` (as freeze_arrays walks it)."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, str | bytes | int | float | type(None)):
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return [value]
    if dataclasses.is_dataclass(value):
        items = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, tuple | list | set | frozenset):
        items = list(value)
    else:
        return []
    return [array for item in items for array in arrays_in(item, seen)]


def _session_app():
    import streamlit as st

    from lab.controls.weight_distribution import CONTROLS
    from lab.experiments.weight_distribution import config_from_values, run
    from pages.ui.engine import cached

    st.session_state["result"] = cached(run, spinner="Sampling weights…")(
        config_from_values(CONTROLS.defaults())
    )


def test_two_sessions_get_the_same_result_object_with_read_only_arrays():
    first = AppTest.from_function(_session_app, default_timeout=TIMEOUT).run()
    second = AppTest.from_function(_session_app, default_timeout=TIMEOUT).run()
    assert not first.exception and not second.exception
    result = first.session_state["result"]
    assert second.session_state["result"] is result  # shared, not a copy per session
    arrays = arrays_in(result)
    assert len(arrays) >= 10  # histograms, densities, bounds of every scheme
    assert not any(array.flags.writeable for array in arrays)
    with pytest.raises(ValueError, match="read-only"):
        arrays[0][...] = 0  # a page cannot change what every student sees
    # The shared result is the engine's own: equal to a fresh run.
    fresh = run(config_from_values(CONTROLS.defaults()))
    assert fresh.fan_in == result.fan_in
    np.testing.assert_array_equal(arrays_in(fresh)[0], arrays[0])


@dataclass(frozen=True)
class Inner:
    values: np.ndarray
    by_name: dict


@dataclass(frozen=True)
class Outer:
    inner: tuple[Inner, ...]
    rows: list
    table: np.ndarray


def test_freeze_arrays_reaches_every_array_and_copies_nothing():
    base = np.arange(6.0)
    objects = np.empty(2, dtype=object)
    objects[0], objects[1] = np.ones(2), "text"
    cycle: list = []
    cycle.append(cycle)
    value = Outer(
        inner=(Inner(base[1:4], {"a": np.zeros(3), "nested": (np.ones(1),)}),),
        rows=[{"x": np.full(2, 3.0)}, cycle, objects],
        table=np.eye(2),
    )
    arrays = arrays_in(value) + [objects[0]]
    assert len(arrays) == 7
    assert engine.freeze_arrays(value) is value
    assert not any(array.flags.writeable for array in arrays)
    assert value.inner[0].values.base is base  # a view stays a view of the same memory
    assert base.flags.writeable  # only the result's own view is locked
    assert engine.freeze_arrays(3) == 3 and engine.freeze_arrays(None) is None


def test_compute_default_fills_the_store_the_pages_read():
    calls: list[int] = []

    def doubled(config: int, progress=None) -> np.ndarray:
        calls.append(config)
        return np.full(3, 2 * config)

    doubled.__qualname__ = "doubled_for_the_default_test"
    page_call = engine.cached(doubled, spinner="A page's own spinner")
    page_call.clear()
    assert engine.compute_default(doubled, 4) is True
    assert engine.compute_default(doubled, 4) is False  # already there
    first = page_call(4)
    assert engine.cached(doubled)(4) is first  # any spinner, one store
    assert engine.cached_with_progress(doubled, text="…")(4) is first
    assert calls == [4]
    assert not first.flags.writeable
    page_call.clear()
    assert page_call(4) is not first
    assert calls == [4, 4]


def test_the_store_keeps_at_most_cached_results_per_experiment():
    calls: list[int] = []

    def echo(config: int) -> int:
        calls.append(config)
        return config

    echo.__qualname__ = "echo_for_the_bound_test"
    call = engine.cached(echo)
    call.clear()
    for config in range(engine.CACHED_RESULTS + 1):
        call(config)
    call(engine.CACHED_RESULTS)  # the newest is kept
    call(0)  # the oldest was dropped
    assert calls == [*range(engine.CACHED_RESULTS + 1), 0]
