"""glibc's memory allocator, tuned for a long-running server with many threads.

Every Streamlit session runs its script in a thread of its own, and glibc's ``malloc`` gives
busy threads arenas of their own (up to 8 per core on 64-bit), each keeping the memory it
freed. A server that has served a class keeps far more resident memory than before, unless
the number of arenas is limited, as ``MALLOC_ARENA_MAX=2`` in the environment does. A hosted
app (Streamlit Community Cloud) cannot set its server's environment, so the server sets the
same limit itself at startup through ``mallopt(M_ARENA_MAX, 2)``; arenas already made stay,
later threads share the limited ones.

Sources: glibc manual, "Malloc Tunable Parameters" (``mallopt``, ``M_ARENA_MAX``), and
mallopt(3) and malloc_trim(3) of the Linux man-pages project; ``M_ARENA_MAX`` is -8 in glibc's
``malloc.h``. ``malloc_trim(0)`` returns the free memory at the top of the heap and the free
whole pages inside every arena to the system (glibc 2.8 and later).

Everything here is guarded: on another system or C library (macOS, Windows, musl) nothing is
done and False is returned; nothing raises.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from typing import Any

#: ``mallopt`` parameter: the most arenas malloc makes (glibc's malloc.h).
M_ARENA_MAX = -8
#: Arenas for the server: as ``MALLOC_ARENA_MAX=2``.
SERVER_ARENAS = 2


@functools.cache
def _glibc() -> Any | None:
    """The process's C library when it is glibc on Linux, else None (looked up once:
    ``find_library`` runs ``ldconfig``)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        name = ctypes.util.find_library("c")
        if name is None:
            return None
        library = ctypes.CDLL(name)
    except (OSError, ValueError):
        return None
    if not hasattr(library, "gnu_get_libc_version"):  # musl and others have no such function
        return None
    return library


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """``mallopt(M_ARENA_MAX, arenas)``: whether glibc accepted it (False elsewhere)."""
    library = _glibc()
    if library is None:
        return False
    try:
        mallopt = library.mallopt
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        return mallopt(M_ARENA_MAX, int(arenas)) == 1  # 1 on success, 0 on error
    except (AttributeError, OSError, ctypes.ArgumentError):
        return False


def release_free_memory() -> bool:
    """``malloc_trim(0)``: whether glibc returned memory to the system (False elsewhere, or
    when there was nothing to return)."""
    library = _glibc()
    if library is None:
        return False
    try:
        malloc_trim = library.malloc_trim
        malloc_trim.argtypes = (ctypes.c_size_t,)
        malloc_trim.restype = ctypes.c_int
        return malloc_trim(0) == 1  # 1: memory was released, 0: none could be
    except (AttributeError, OSError, ctypes.ArgumentError):
        return False
