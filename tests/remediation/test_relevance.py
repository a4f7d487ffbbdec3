"""A clean_directory that frees far less than the full disk must lose is irrelevant to the
incident: kept as a valid tidy-up, never offered as the fix (real files, real dry runs)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config
from tools.remediation.relevance import DiskNeed, disk_need, irrelevance
from tools.remediation.suggest import suggest

GIB = 1024**3


def _old_logs(logs: Path, count: int, size: int) -> int:
    logs.mkdir(parents=True, exist_ok=True)
    stamp = time.time() - 30 * 86400
    for i in range(count):
        path = logs / f"app-{i}.log"
        path.write_bytes(b"x" * size)
        os.utime(path, (stamp, stamp))
    return count * size


def test_disk_need_is_what_the_mount_must_lose_to_get_under_its_threshold() -> None:
    need = disk_need("/", total=100 * GIB, used=95 * GIB, threshold=90.0, largest=[("/a", 1)])
    assert need == DiskNeed("/", 5 * GIB, 90.0, [("/a", 1)])
    assert disk_need("/", total=100 * GIB, used=80 * GIB, threshold=90.0) is None  # under it
    assert disk_need("/", total=100 * GIB, used=95 * GIB, threshold=None) is None  # unknown


def test_half_a_mebibyte_on_a_disk_filled_elsewhere_is_irrelevant() -> None:
    disk = DiskNeed("/", 5 * GIB, 90.0, [("/var/lib/docker", 40 * GIB), ("/home", 3 * GIB)])
    why = irrelevance(512 * 1024, disk)
    assert why == (
        "would free 512.0 KiB, under 0.01% of the 5.0 GiB / must lose to get under 90%: irrelevant "
        "to this incident; the space is in /var/lib/docker (40.0 GiB), /home (3.0 GiB)"
    )
    assert irrelevance(GIB, disk) is None  # a fifth of the need: part of the fix


def test_suggest_marks_a_clean_that_frees_too_little_and_keeps_one_that_helps(
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    freed = _old_logs(logs, 2, 256 * 1024)  # 0.5 MiB
    catalogue = RemediationCatalogue(parse_config({"clean_directories": [{"path": str(logs)}]}))
    labels = {"mountpoint": str(tmp_path), "host": "h"}
    full = DiskNeed(str(tmp_path), 5 * GIB, 90.0, [("/elsewhere", 40 * GIB)])
    (kept,), dropped = suggest(catalogue, "HostDiskFull", labels, disk=full)
    assert dropped == [] and kept.action == "clean_directory" and not kept.fixes
    assert kept.reason.startswith(f"frees space on {tmp_path}: old files under {logs}; ")
    assert "would free 512.0 KiB" in kept.reason and "irrelevant to this incident" in kept.reason
    assert "the space is in /elsewhere (40.0 GiB)" in kept.reason
    assert kept.preview.startswith("Would delete 2 files")  # the dry run still stands
    small = DiskNeed(str(tmp_path), freed * 2, 90.0)  # the clean frees half of what is needed
    (helps,), _ = suggest(catalogue, "HostDiskFull", labels, disk=small)
    assert helps.fixes and "irrelevant" not in helps.reason
    (unjudged,), _ = suggest(catalogue, "HostDiskFull", labels)  # no figures: not judged
    assert unjudged.fixes
