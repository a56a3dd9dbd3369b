"""Giving a process's freed memory back to the system after a large piece of work.

glibc keeps what a process frees for later use: after a query that built a 300 MB answer, a
query worker holds those pages for as long as it lives, and with several workers the server
grows to many times its store. `malloc_trim` hands free pages back (in the middle of the heap
too, since glibc 2.8). Python's own allocator has no such call and the standard library does
not expose glibc's, hence ctypes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# Worth a trim: this much more resident memory than the process had when it started working.
TRIM_ABOVE = 32 * 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _load_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


_malloc_trim = _load_trim()


def resident_bytes() -> int:
    """Resident memory, from one read of /proc/self/statm (~10 µs): it grows when the process
    allocates, not when it copies a page it shares with its zygote (see private_bytes)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def private_bytes() -> int:
    """Memory this process alone holds. A forked worker starts sharing its zygote's store; a
    query that only reads it still writes to some of its pages (reference counts, locks), and
    each such page becomes the worker's own copy. Costs a walk of the page tables: about 1 ms
    per GiB mapped."""
    total = 0
    with open("/proc/self/smaps_rollup", "rb") as rollup:
        for line in rollup:
            if line.startswith((b"Private_Clean:", b"Private_Dirty:")):
                total += int(line.split()[1]) * 1024
    return total


def trim() -> None:
    """Hand the pages malloc holds free back to the system (no-op where malloc is not glibc)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


class Trimmer:
    """Trims after a job only when the process has grown by TRIM_ABOVE since it last trimmed
    (or started), so a stream of small jobs pays one file read each and nothing more, and what
    a trim could not return does not make every later job trim again."""

    def __init__(self, above: int = TRIM_ABOVE) -> None:
        self.baseline = resident_bytes()
        self.above = above

    def after_job(self) -> None:
        if resident_bytes() - self.baseline >= self.above:
            trim()
            self.baseline = max(self.baseline, resident_bytes())
