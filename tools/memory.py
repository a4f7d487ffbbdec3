"""Give the heap that native libraries freed back to the operating system.

glibc keeps freed memory in its arenas (one per thread that allocated) for reuse, so a
large temporary peak stays in the resident set of a long-lived process: building the ONNX
Runtime session for the runbook embedding peaks about 60 MiB above what the session keeps
(the int8 weights are folded to float, then the unfolded graph is freed). `malloc_trim(0)`
returns the free pages of every arena. Where the C library has no `malloc_trim` (musl,
macOS) there is nothing to return this way and the call reports False.
"""

from __future__ import annotations

import ctypes
import threading
from functools import lru_cache
from typing import Any

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    return getattr(ctypes.CDLL(None), "malloc_trim", None)


def release_free_memory() -> bool:
    """Return freed heap to the OS; True when the C library could be asked to."""
    trim = _malloc_trim()
    if trim is None:
        return False
    with _lock:  # one trim at a time: it walks every arena under their locks
        trim(0)
    return True
