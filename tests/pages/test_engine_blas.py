"""pages/ui/blas.py: the server's BLAS runs on one thread; the environment's choice is kept;
without threadpoolctl nothing is done and nothing raises."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from pages.ui import blas


@pytest.fixture
def restore_blas_threads():
    """Leave numpy's BLAS with the thread count it had before the test."""
    before = blas.blas_threads()
    yield before
    if before is not None:
        blas.limit_blas_threads(before)


def test_the_limit_sets_numpys_blas_threads(restore_blas_threads):
    # numpy's OpenBLAS is loaded (numpy is imported), so there is a count to read and set.
    assert restore_blas_threads is not None
    # Two, then one: the second call must lower what the first raised (the suite itself runs
    # with OPENBLAS_NUM_THREADS=1, so one alone would hold without any call).
    assert blas.limit_blas_threads(2) is True
    assert blas.blas_threads() == 2
    assert blas.limit_blas_threads() is True
    assert blas.blas_threads() == blas.SERVER_BLAS_THREADS == 1


def test_the_limit_holds_in_other_threads(restore_blas_threads):
    """Streamlit runs every script in a thread of its own: the count is the process's."""
    assert blas.limit_blas_threads(2) is True
    seen: list[int | None] = []
    worker = threading.Thread(target=lambda: seen.append(blas.blas_threads()))
    worker.start()
    worker.join()
    assert seen == [2]
    blas.limit_blas_threads()
    worker = threading.Thread(target=lambda: seen.append(blas.blas_threads()))
    worker.start()
    worker.join()
    assert seen == [2, 1]
    # A product computed after the limit gives the same numbers as before it.
    a = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)
    expected = a.astype(np.float64) @ a.astype(np.float64)
    np.testing.assert_allclose(a @ a, expected, rtol=1e-4, atol=1e-3)


def test_a_thread_count_chosen_in_the_environment_is_kept():
    for name in blas.THREAD_VARIABLES:
        assert blas.threads_set_by_environment({name: "4"})
    assert not blas.threads_set_by_environment({"MALLOC_ARENA_MAX": "2"})
    assert not blas.threads_set_by_environment({})


def test_without_threadpoolctl_nothing_is_done(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    assert blas.limit_blas_threads() is False
    assert blas.blas_threads() is None
