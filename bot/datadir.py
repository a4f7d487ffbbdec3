"""The data directory (OPSBOT_DATA_DIR): made ready once at start, or one clear error.

The default `./data` is relative to the working directory, like `.env`: run from the
project, it is the project's `data/`; run from anywhere else, it is a `data/` there. So that
an operator who started `.venv/bin/opsbot` from the wrong directory sees it at once instead
of wondering where their models went, creating the directory is announced on stderr with
its absolute path. An unusable directory (cannot be created, not a directory, not writable)
stops the command with one line naming it.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from core.errors import StartupError


class DataDirError(StartupError):
    """The data directory cannot be used; the message names it and says why."""


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def ensure_data_dir(configured: Path, explicit: bool, notice: TextIO | None = None) -> Path:
    """The absolute data directory, created (with a notice on `notice`, stderr by default)
    when missing, and checked to be a writable directory. `explicit` says whether
    OPSBOT_DATA_DIR was set (the notice then says the default was used)."""
    path = configured.expanduser().absolute()
    where = "OPSBOT_DATA_DIR" if explicit else "the default data directory ./data"
    if not path.exists():
        if not path.parent.is_dir():
            raise DataDirError(
                f"{where} {path} cannot be created: its parent {path.parent} is not a directory"
            )
        try:
            path.mkdir()
        except FileExistsError:
            pass  # another process made it first
        except OSError as exc:
            raise DataDirError(f"{where} {path} cannot be created: {_reason(exc)}") from None
        how = "" if explicit else " (OPSBOT_DATA_DIR is unset: ./data of the working directory)"
        print(f"opsbot: created data directory {path}{how}", file=notice or sys.stderr, flush=True)
    if not path.is_dir():
        raise DataDirError(f"{where} {path} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=path, prefix=".opsbot-write-check-"):
            pass
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DataDirError(f"{where} {path} is on a full disk: {_reason(exc)}") from None
        raise DataDirError(f"{where} {path} is not writable: {_reason(exc)}") from None
    return path


def data_dir_is_explicit() -> bool:
    """True when OPSBOT_DATA_DIR comes from the environment or `.env`."""
    if os.environ.get("OPSBOT_DATA_DIR"):
        return True
    env_file = Path(".env")
    if env_file.is_file():
        from dotenv import dotenv_values

        return bool(dotenv_values(env_file).get("OPSBOT_DATA_DIR"))
    return False
