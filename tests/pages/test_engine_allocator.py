"""pages/ui/allocator.py: glibc's mallopt and malloc_trim where they exist, False elsewhere,
never an exception."""

from __future__ import annotations

import ctypes
import platform
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pages.ui import allocator

ON_GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
MALLOC_H = Path("/usr/include/malloc.h")


@pytest.mark.skipif(not ON_GLIBC, reason="glibc on Linux only")
def test_the_arena_limit_applies_on_this_glibc_machine():
    assert allocator._glibc() is not None
    assert allocator.limit_arenas() is True
    assert allocator.limit_arenas(allocator.SERVER_ARENAS) is True  # setting it again is fine


@pytest.mark.skipif(not MALLOC_H.is_file(), reason="glibc's headers (libc6-dev) not installed")
def test_m_arena_max_is_glibcs_value():
    defined = re.search(r"#define\s+M_ARENA_MAX\s+(-?\d+)", MALLOC_H.read_text())
    assert defined is not None and int(defined.group(1)) == allocator.M_ARENA_MAX


@pytest.mark.skipif(not ON_GLIBC, reason="glibc on Linux only")
def test_trimming_returns_freed_heap_pages():
    # Arrays of 100 KB come from malloc's heap (below its mmap threshold); freeing nine of
    # every ten leaves whole free pages inside the heap for malloc_trim to hand back.
    arrays = [np.ones(100 * 1024 // 8) for _ in range(500)]
    del arrays[: len(arrays) : 10]
    kept = arrays[::9]
    del arrays
    assert allocator.release_free_memory() is True
    assert len(kept) > 0


def test_a_library_without_mallopt_gives_false_without_raising(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: SimpleNamespace(gnu_get_libc_version=None))
    assert allocator.limit_arenas() is False
    assert allocator.release_free_memory() is False


def test_a_refused_setting_gives_false(monkeypatch):
    def refuse(*_args) -> int:
        return 0  # mallopt's answer for an error

    fake = SimpleNamespace(gnu_get_libc_version=None, mallopt=refuse, malloc_trim=refuse)
    monkeypatch.setattr(allocator, "_glibc", lambda: fake)
    assert allocator.limit_arenas() is False
    assert allocator.release_free_memory() is False


def test_no_glibc_is_found_off_linux_or_in_another_c_library(monkeypatch):
    find_glibc = allocator._glibc.__wrapped__  # the lookup itself, not its cached answer
    monkeypatch.setattr(sys, "platform", "darwin")
    assert find_glibc() is None
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert find_glibc() is None
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libc.musl-x86_64.so.1")
    monkeypatch.setattr(ctypes, "CDLL", lambda name: SimpleNamespace(malloc=None))  # musl
    assert find_glibc() is None

    def missing(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    assert find_glibc() is None
