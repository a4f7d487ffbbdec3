"""The systemd journal as a log source: `journal:<unit>` in LOG_SOURCES (e.g.
`journal:nginx.service`) is read with `journalctl -u <unit> -o json`, the one reader the
journal's format promises to keep working, within the same budgets as a file (bytes per
call, a time limit) and only for the units listed.

Each entry becomes one line `<ISO time> <LEVEL> <message>`, its level from the entry's
PRIORITY (syslog's 0-7), so `search_logs` filters it by time and level like a file's lines.
`journal_dir` reads a journal directory (`journalctl -D`, e.g. one copied from another host)
instead of the system's. No journalctl, no journal, an unknown unit or a slow read is the
source's problem, said in words, never an exception.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime

from tools.logs.sources import SourceLines, newest_within

PREFIX = "journal:"
TIMEOUT_SECONDS = 10.0
MAX_ENTRIES = 50_000
_UNIT = re.compile(r"^[A-Za-z0-9:_.@\\-]{1,256}$")
# syslog priorities as the words `tools.logs.search.level` reads
_LEVEL = {0: "CRITICAL", 1: "CRITICAL", 2: "CRITICAL", 3: "ERROR", 4: "WARNING", 5: "NOTICE",
          6: "INFO", 7: "DEBUG"}  # fmt: skip


def is_journal(source: str) -> bool:
    return source.startswith(PREFIX)


def unit_of(source: str) -> str:
    return source[len(PREFIX) :].strip()


def line_of(entry: dict[str, object]) -> str | None:
    """One journal entry (journalctl's JSON) as a log line; None without a time."""
    try:
        micros = int(str(entry.get("__REALTIME_TIMESTAMP")))
        at = datetime.fromtimestamp(micros / 1_000_000, UTC)
    except (ValueError, OverflowError, OSError):  # no time, or one no clock can hold
        return None
    message = entry.get("MESSAGE")
    if isinstance(message, list):  # journalctl's form of a message that is not UTF-8
        message = bytes(int(b) for b in message if isinstance(b, int)).decode("utf-8", "replace")
    try:
        priority = int(str(entry.get("PRIORITY", 6)))
    except ValueError:
        priority = 6
    text = str(message or "").replace("\n", " ")
    stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{stamp} {_LEVEL.get(priority, 'INFO')} {text}"


def read_unit(
    source: str,
    max_bytes: int,
    since: datetime | None = None,
    journal_dir: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> SourceLines:
    """The unit's newest entries as lines, oldest first, within `max_bytes`."""
    result = SourceLines(source)
    unit = unit_of(source)
    if not _UNIT.match(unit):
        result.problem = "is not a unit name (journal:<unit>, e.g. journal:nginx.service)"
        return result
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        result.problem = "cannot be read: journalctl is not installed on this host"
        return result
    command = [journalctl, "--no-pager", "-o", "json", "-u", unit, "-n", str(MAX_ENTRIES),
               "--output-fields=MESSAGE,PRIORITY,__REALTIME_TIMESTAMP"]  # fmt: skip
    if journal_dir:
        command += ["-D", journal_dir]
    if since is not None:
        command.append(f"--since=@{int(since.timestamp())}")
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        result.problem = f"cannot be read: journalctl took longer than {timeout:g}s"
        return result
    except OSError as exc:
        result.problem = f"cannot be read: {exc.strerror or exc}"
        return result
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        result.problem = (
            f"cannot be read: {why[-1] if why else f'journalctl exit {done.returncode}'}"
        )
        return result
    lines: list[str] = []
    for raw in done.stdout.splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # journalctl writes one object per line; a torn line is skipped
        line = line_of(entry) if isinstance(entry, dict) else None
        if line is not None:
            lines.append(line)
    result.lines, cut = newest_within(lines, max_bytes)
    result.truncated = cut or len(lines) >= MAX_ENTRIES
    if not result.lines and done.stderr.strip():
        result.problem = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1]
    return result
