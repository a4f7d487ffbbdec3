"""How full a filesystem is: the one definition every report, monitor and action uses.

`df` shows used / (used + available): blocks reserved for root (often 5%, and on some
filesystems far more) count neither as used nor as available, so a disk is 100% full when
an ordinary process can no longer write, not when the last reserved block goes. A figure of
used / total would say "10.7%" of the same disk `df` calls "26.6%" and never reach 100%.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class FilesystemUsage:
    total: int  # bytes, reserved blocks included
    used: int  # bytes in use
    free: int  # bytes available to unprivileged processes
    percent: float  # used / (used + free), one decimal, as df shows it

    @property
    def reserved(self) -> int:
        return max(0, self.total - self.used - self.free)


def used_percent(used: int, free: int) -> float:
    """df's percentage, to one decimal; 0.0 for a filesystem with no usable blocks."""
    usable = used + free
    return round(100.0 * used / usable, 1) if usable > 0 else 0.0


def filesystem_usage(path: str | int) -> FilesystemUsage:
    """Space on the filesystem holding `path` (or the open file descriptor `path`);
    OSError when it cannot be read."""
    st = os.statvfs(path)
    total = st.f_blocks * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    free = st.f_bavail * st.f_frsize
    return FilesystemUsage(total=total, used=used, free=free, percent=used_percent(used, free))
