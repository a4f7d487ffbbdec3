"""Host readings from psutil: CPU, memory, swap, load, disks (space and inodes), uptime.

CPU utilisation needs two samples. `CpuSampler` keeps the previous `cpu_times()` reading, so a
check every minute reports the average over that minute, and a first call waits a short,
bounded interval instead of returning psutil's meaningless first 0.0.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from tools.infra.levels import Thresholds, level, worst
from tools.infra.usage import filesystem_usage

# Filesystems that are not real storage (kernel, memory-backed or virtual).
PSEUDO_FS = {
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
    "devtmpfs", "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "proc", "pstore",
    "ramfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs",
    "tracefs", "fuse.lxcfs", "fuse.snapfuse", "iso9660", "nfsd", "overlay_tmp",
}  # fmt: skip


@dataclass
class CpuReading:
    percent: float
    per_cpu: list[float]
    window_seconds: float


class CpuSampler:
    """Utilisation between the previous reading and now (at least `min_window` apart)."""

    def __init__(self, min_window: float = 0.5) -> None:
        self.min_window = min_window
        self._lock = threading.Lock()
        self._last: tuple[float, list] | None = None
        self._reading: CpuReading | None = None

    @staticmethod
    def _busy(before: Any, after: Any) -> float:  # psutil's scputimes (platform fields)
        idle_fields = ("idle", "iowait")
        total = sum(after) - sum(before)
        idle = sum(getattr(after, f, 0.0) - getattr(before, f, 0.0) for f in idle_fields)
        if total <= 0:
            return 0.0
        return max(0.0, min(100.0, 100.0 * (total - idle) / total))

    def read(self) -> CpuReading:
        """Utilisation since the previous reading. Readings closer together than
        `min_window` return the previous figure instead of sleeping; only the very first
        reading waits `min_window` for its second sample."""
        with self._lock:
            now = time.monotonic()
            if self._last is None:
                self._last = (now, psutil.cpu_times(percpu=True))
                time.sleep(self.min_window)
                now = time.monotonic()
            elif now - self._last[0] < self.min_window and self._reading is not None:
                return self._reading
            before_t, before = self._last
            after = psutil.cpu_times(percpu=True)
            self._last = (now, after)
            per_cpu = [round(self._busy(b, a), 1) for b, a in zip(before, after, strict=False)]
            total = round(sum(per_cpu) / len(per_cpu), 1) if per_cpu else 0.0
            self._reading = CpuReading(total, per_cpu, round(now - before_t, 2))
            return self._reading


_default_sampler = CpuSampler()


@dataclass
class DiskReading:
    mountpoint: str
    device: str
    fstype: str
    total: int
    used: int
    free: int
    percent: float
    inodes_total: int
    inodes_used: int
    inodes_percent: float
    level: str = "ok"
    inodes_level: str = "ok"


@dataclass
class HostReport:
    hostname: str
    cpu_percent: float
    cpu_window_seconds: float
    cpu_count: int
    load: tuple[float, float, float]
    load_per_core: float
    memory_total: int
    memory_available: int
    memory_percent: float
    swap_total: int
    swap_used: int
    swap_percent: float
    uptime_seconds: float
    disks: list[DiskReading] = field(default_factory=list)
    levels: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def overall(self) -> str:
        return worst(list(self.levels.values()))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["overall"] = self.overall
        return data


@dataclass(frozen=True)
class Partition:
    device: str
    mountpoint: str
    fstype: str


def real_partitions() -> list[Partition]:
    """Mounted filesystems that hold data: no pseudo filesystems, one entry per device."""
    seen: set[str] = set()
    result: list[Partition] = []
    for part in psutil.disk_partitions(all=False):
        if part.fstype in PSEUDO_FS or not part.fstype:
            continue
        if not os.path.isdir(part.mountpoint):  # bind-mounted files such as /etc/hosts
            continue
        key = part.device if part.device.startswith("/dev/") else part.mountpoint
        if key in seen:
            continue
        seen.add(key)
        result.append(Partition(part.device, part.mountpoint, part.fstype))
    if not result:  # containers sometimes report nothing useful: fall back to the root
        result.append(Partition("rootfs", "/", "unknown"))
    return result


def read_disk(mountpoint: str, device: str = "", fstype: str = "") -> DiskReading:
    """Space (as df shows it, see tools.infra.usage) and inodes of one filesystem."""
    usage = filesystem_usage(mountpoint)
    stat = os.statvfs(mountpoint)
    inodes_total = stat.f_files
    inodes_used = stat.f_files - stat.f_ffree
    inodes_percent = round(100.0 * inodes_used / inodes_total, 1) if inodes_total else 0.0
    return DiskReading(
        mountpoint=mountpoint,
        device=device,
        fstype=fstype,
        total=usage.total,
        used=usage.used,
        free=usage.free,
        percent=usage.percent,
        inodes_total=inodes_total,
        inodes_used=inodes_used,
        inodes_percent=inodes_percent,
    )


def read_host(thresholds: Thresholds, sampler: CpuSampler | None = None) -> HostReport:
    cpu = (sampler or _default_sampler).read()
    cores = psutil.cpu_count() or 1
    load = os.getloadavg()
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    margin = thresholds.warn_margin
    disks = []
    for part in real_partitions():
        try:
            disk = read_disk(part.mountpoint, part.device, part.fstype)
        except OSError:
            continue  # vanished or permission denied: not a reading we can report
        disk.level = level(disk.percent, thresholds.disk, margin)
        disk.inodes_level = level(disk.inodes_percent, thresholds.inodes, margin)
        disks.append(disk)
    load_per_core = round(load[0] / cores, 2)
    levels = {
        "cpu": level(cpu.percent, thresholds.cpu, margin),
        "memory": level(memory.percent, thresholds.memory, margin),
        "swap": level(swap.percent, thresholds.swap, margin) if swap.total else "ok",
        "load": level(load_per_core * 100, thresholds.load_per_core * 100, 50),
    }
    for disk in disks:
        levels[f"disk {disk.mountpoint}"] = disk.level
        levels[f"inodes {disk.mountpoint}"] = disk.inodes_level
    return HostReport(
        hostname=os.uname().nodename,
        cpu_percent=cpu.percent,
        cpu_window_seconds=cpu.window_seconds,
        cpu_count=cores,
        load=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
        load_per_core=load_per_core,
        memory_total=memory.total,
        memory_available=memory.available,
        memory_percent=round(memory.percent, 1),
        swap_total=swap.total,
        swap_used=swap.used,
        swap_percent=round(swap.percent, 1),
        uptime_seconds=round(time.time() - psutil.boot_time(), 0),
        disks=disks,
        levels=levels,
        thresholds={
            "cpu": thresholds.cpu,
            "memory": thresholds.memory,
            "disk": thresholds.disk,
            "swap": thresholds.swap,
            "inodes": thresholds.inodes,
            "load_per_core": thresholds.load_per_core,
        },
    )
