"""One malloc arena for the process's threads, set before any library starts a thread (dashboard/__init__)."""

from __future__ import annotations

import ctypes

M_ARENA_MAX = -8  # glibc's mallopt parameter number


def one_malloc_arena() -> bool:
    """Make every thread allocate from glibc's one main arena, where glibc is the C library (True when set).

    A refresh reads from two threads at once (dashboard.refresh.READ_THREADS). With an arena per thread, memory
    one thread freed was not reused by the other, and a full refresh's peak rose by a fifth (1M requests on
    PostgreSQL: 828-834 MiB, against 703-709 with one read at a time and 693-701 with two and one arena;
    docs/benchmarks.md). glibc fixes its arena limit when a second thread first allocates, so this runs when the
    package is imported, before numpy or pyarrow start their threads: `python -m dashboard` imports this package
    first. mallopt is looked up in the C library the process has loaded (ctypes.util.find_library would run
    ldconfig in a subprocess on every import)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: no mallopt to call
        return False
    return mallopt(M_ARENA_MAX, 1) == 1
