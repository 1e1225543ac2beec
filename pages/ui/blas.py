"""The BLAS library's threads, limited to one for a server that a class shares.

numpy's BLAS (OpenBLAS) runs a large matrix product on as many threads as it sees cores, and
waits for all of them at the end of every call. On an idle machine two threads make the lab's
products almost twice as fast. On a server that thirty students keep busy, the other core is
taken by another session's script run (or by another process of the host), a BLAS thread waits
for its turn on it, and every call waits for that thread: ``python -m benchmarks.engine``
(section 7) measures a page-sized simulation several times slower on two threads than on one
while a second process keeps one core busy. A container may also see more cores than its CPU
quota gives it, and OpenBLAS then starts a thread for each. So the
server runs BLAS on one thread (``SERVER_BLAS_THREADS``), which is also the unit the lab's
budget is priced in (``lab.budget``: one multiply-add on one core); sessions that run at once
still use both cores, one each. The test suite does the same (``scripts/test.sh``).

A thread count chosen in the server's environment (``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``) is left as it is. threadpoolctl (the scikit-learn
project's) finds the BLAS library numpy loaded and sets its thread count while the process
runs; without it nothing is done. Nothing here raises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy  # noqa: F401 - loads the BLAS library that threadpoolctl looks for

#: BLAS threads of the app's server.
SERVER_BLAS_THREADS = 1
#: Environment variables that choose a BLAS library's thread count before it loads.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def threads_set_by_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the server's environment already chose the BLAS threads."""
    return any(name in environ for name in THREAD_VARIABLES)


def blas_threads() -> int | None:
    """The most threads any loaded BLAS library uses, or None when unknown (no threadpoolctl,
    or no BLAS library found)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts, default=None)


def limit_blas_threads(threads: int = SERVER_BLAS_THREADS) -> bool:
    """Set every loaded BLAS library to ``threads`` threads for the rest of the process;
    whether one was found and set."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return False
    try:
        controller = ThreadpoolController().select(user_api="blas")
        if not controller.lib_controllers:
            return False
        controller.limit(limits=threads)  # kept: the limiter is never restored
    except Exception:  # a BLAS library threadpoolctl cannot drive: leave it as it is
        return False
    return True
