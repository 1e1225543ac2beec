"""pages/ui/engine.py's one simulation slot, with real threads.

Order is controlled with threading.Event: a fake experiment signals when it starts and blocks
until the test lets it finish. The timeouts below only keep a broken slot from hanging the test
suite; nothing asserts how long anything took.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import pytest
import streamlit as st

from pages.ui import engine

#: Seconds before a wait that should succeed at once is declared a hang.
HANG_S = 30.0


@dataclass(frozen=True)
class Config:
    n: int


class Gate:
    """A fake experiment that records its calls, says when it starts and waits to be let go."""

    def __init__(self, name: str) -> None:
        self.calls: list[int] = []
        self.started = threading.Event()
        self.go = threading.Event()
        self.error: Exception | None = None

        def run(config: Config) -> dict:
            self.calls.append(config.n)
            self.started.set()
            assert self.go.wait(HANG_S), "the test never let the experiment finish"
            if self.error is not None:
                raise self.error
            return {"n": config.n}

        run.__qualname__ = f"Gate.{name}"  # each gate has a store of its own, emptied here
        self.run = run
        engine.cached(run).clear()


class Caller(threading.Thread):
    """``call(config)`` in a thread of its own, keeping its result or exception."""

    def __init__(self, call: Callable[[Config], object], config: Config) -> None:
        super().__init__(daemon=True)
        self.call, self.config = call, config
        self.result: object = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.call(self.config)
        except BaseException as error:  # handed to the test
            self.error = error
        finally:
            self.done.set()


class Ui:
    """Stands in for st.empty and st.spinner: records the queue notices and spinners shown.
    ``queued[i]`` is set when the i-th notice is shown, after that session was counted."""

    def __init__(self) -> None:
        self.notices: list[str] = []
        self.spinners: list[str] = []
        self.queued = [threading.Event() for _ in range(4)]
        self.lock = threading.Lock()

    def empty(self):
        ui = self

        class Notice:
            def info(self, text: str) -> None:
                with ui.lock:
                    ui.notices.append(text)
                    ui.queued[len(ui.notices) - 1].set()

            def empty(self) -> None:
                pass

        return Notice()

    def spinner(self, text: str):
        with self.lock:
            self.spinners.append(text)
        return nullcontext()


@pytest.fixture
def ui(monkeypatch) -> Iterator[Ui]:
    fake = Ui()
    monkeypatch.setattr(st, "empty", fake.empty)
    monkeypatch.setattr(st, "spinner", fake.spinner)
    yield fake


@contextmanager
def holding_the_slot(name: str = "holder") -> Iterator[Gate]:
    """A session's cache miss in progress: it holds the slot until the block ends."""
    gate = Gate(name)
    holder = Caller(engine.cached(gate.run), Config(0))
    holder.start()
    try:
        assert gate.started.wait(HANG_S)
        yield gate
    finally:
        gate.go.set()
        assert holder.done.wait(HANG_S)
    assert holder.error is None


def finish(caller: Caller) -> object:
    assert caller.done.wait(HANG_S), "the call never returned"
    if caller.error is not None:
        raise caller.error
    return caller.result


def test_a_second_miss_waits_for_the_slot_and_is_counted_ahead(ui):
    second = Gate("second")
    with holding_the_slot():
        waiting = Caller(engine.cached(second.run), Config(1))
        waiting.start()
        assert ui.queued[0].wait(HANG_S)
        # It is queued behind the running simulation and has not started its own.
        assert engine._waiting == 1
        assert not second.started.is_set()
        assert ui.notices == ["Queued: 1 simulation ahead of yours."]
        second.go.set()
    assert finish(waiting) == {"n": 1}
    assert second.calls == [1]
    assert engine._waiting == 0


def test_queued_misses_count_everyone_ahead_and_run_one_at_a_time(ui):
    running = 0
    most = 0
    lock = threading.Lock()

    def counted(config: Config) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        with lock:
            running -= 1
        return config.n

    counted.__qualname__ = "counted_one_at_a_time"
    call = engine.cached(counted)
    call.clear()
    with holding_the_slot():
        first = Caller(call, Config(1))
        first.start()
        assert ui.queued[0].wait(HANG_S)
        second = Caller(call, Config(2))
        second.start()
        assert ui.queued[1].wait(HANG_S)
        assert engine._waiting == 2
        assert ui.notices == [
            "Queued: 1 simulation ahead of yours.",
            "Queued: 2 simulations ahead of yours.",
        ]
    assert (finish(first), finish(second)) == (1, 2)
    assert most == 1


def test_a_cache_hit_never_waits_for_the_slot(ui):
    stored = Gate("stored")
    stored.go.set()
    call = engine.cached(stored.run, spinner="Working…")
    call.clear()
    first = call(Config(7))
    assert ui.spinners == ["Working…"]
    with holding_the_slot():
        hit = Caller(call, Config(7))
        hit.start()
        assert finish(hit) is first  # returned while the slot was still taken
        assert ui.notices == []
    assert stored.calls == [7]
    assert ui.spinners == ["Working…", "Simulating…"]  # the holder's miss, not the hit


def test_the_slot_is_released_after_an_exception(ui):
    failing = Gate("failing")
    failing.error = RuntimeError("out of memory")
    failing.go.set()
    with pytest.raises(RuntimeError, match="out of memory"):
        engine.cached(failing.run)(Config(3))
    # The slot is free: another miss computes at once, without queueing.
    after = Gate("after")
    after.go.set()
    assert engine.cached(after.run)(Config(4)) == {"n": 4}
    assert ui.notices == []
    assert engine._SLOT.acquire(blocking=False)
    engine._SLOT.release()


def test_a_value_error_is_not_cached_and_a_waiting_session_gets_the_slot(ui):
    invalid = Gate("invalid")
    invalid.error = ValueError("layers must be an integer in [1, 100]; got 0")
    call = engine.cached(invalid.run)
    call.clear()
    first = Caller(call, Config(0))
    first.start()
    assert invalid.started.wait(HANG_S)
    other = Gate("other")
    other.go.set()
    waiting = Caller(engine.cached(other.run), Config(5))
    waiting.start()
    assert ui.queued[0].wait(HANG_S)
    invalid.go.set()
    with pytest.raises(ValueError, match="got 0"):
        finish(first)
    assert finish(waiting) == {"n": 5}
    with pytest.raises(ValueError, match="got 0"):
        call(Config(0))  # asked again: errors are not stored
    assert invalid.calls == [0, 0]


def test_the_same_miss_in_two_sessions_is_computed_once(ui):
    shared = Gate("shared")
    call = engine.cached(shared.run)
    call.clear()
    first = Caller(call, Config(9))
    first.start()
    assert shared.started.wait(HANG_S)
    second = Caller(call, Config(9))
    second.start()
    assert ui.queued[0].wait(HANG_S)  # it waits for the slot instead of computing again
    shared.go.set()
    assert finish(first) is finish(second)
    assert shared.calls == [9]


def test_a_progress_miss_takes_the_same_slot(ui, monkeypatch):
    bars: list[str] = []

    class Bar:
        def progress(self, value: float, text: str = "") -> None:
            bars.append(text)

        def empty(self) -> None:
            pass

    monkeypatch.setattr(st, "progress", lambda value, text="": Bar())

    def trained(config: Config, progress: Callable[[float], None]) -> int:
        progress(1.0)
        return config.n

    trained.__qualname__ = "trained_in_the_slot"
    call = engine.cached_with_progress(trained, text="Training…")
    with holding_the_slot():
        waiting = Caller(call, Config(11))
        waiting.start()
        assert ui.queued[0].wait(HANG_S)
        assert bars == []  # no bar while it waits
    assert finish(waiting) == 11
    assert bars == ["Training… 100%"]
