"""The `opsbot` command line. Heavy modules are imported inside the handlers, so every
command starts fast and a bad setting fails in milliseconds with one clear line."""

from __future__ import annotations

import argparse
import importlib
import logging
import logging.handlers
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import OpsbotError, Refused, Unavailable, UserError

# Each module adds its sub-commands with `register(subparsers)`.
COMMAND_MODULES = [
    "bot.commands.core",
    "bot.commands.demo",
    "bot.commands.knowledge",
    "bot.commands.prompts",
    "bot.commands.models",
    "bot.commands.incidents",
    "bot.commands.changes",
    "bot.commands.llm",
    "bot.commands.oncall",
    "bot.commands.maintenance",
    "bot.commands.logs",
    "bot.commands.evals",
]


class CliError(UserError):
    """A user-facing failure with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# Exit codes. 2 is also argparse's for a bad command line; 3 is what `approve`/`reject` and
# the incident commands already used for a decision or change that was refused.
EXIT_USER, EXIT_SETTINGS, EXIT_REFUSED, EXIT_UNAVAILABLE = 1, 2, 3, 4


def exit_code(exc: OpsbotError) -> int:
    """The one place an opsbot error becomes an exit code. A command's own `CliError` keeps
    the code it chose; a bad setting is 2, like a bad flag; other start-up failures (data
    directory, database, Slack credentials) stay 1, as they always were."""
    from bot.settings import SettingsError

    if isinstance(exc, CliError):
        return exc.code
    if isinstance(exc, SettingsError):
        return EXIT_SETTINGS
    if isinstance(exc, Unavailable):
        return EXIT_UNAVAILABLE
    if isinstance(exc, Refused):
        return EXIT_REFUSED
    return EXIT_USER  # any other UserError, StartupError or OpsbotError


def fail(exc: OpsbotError) -> int:
    """One line on stderr (the message, and its hint if any), never a traceback."""
    print(f"opsbot: {exc.for_person()}", file=sys.stderr)
    return exit_code(exc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opsbot",
        description="opsbot: an on-call ChatOps agent for infrastructure, ML models and prompts.",
    )
    parser.add_argument("--log-level", help="override LOG_LEVEL (DEBUG, INFO, WARNING, ERROR)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


# Commands that keep logging to stderr at LOG_LEVEL (a service's output is its log); every
# other command is interactive or prints results, so its log goes to the data directory's
# LOG_FILE and only warnings and errors reach stderr.
SERVICE_COMMANDS = {"run"}
LOG_FILE = "opsbot.log"
NOISY_LOGGERS = ("httpx", "httpcore", "chromadb", "urllib3", "alembic", "apscheduler")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The log file; when it cannot be written (a full disk), one line on stderr and the
    file is given up, instead of a traceback per log record."""

    def handleError(self, record: logging.LogRecord) -> None:
        if self.level > logging.CRITICAL:
            return
        self.setLevel(logging.CRITICAL + 1)
        error = sys.exc_info()[1]
        print(
            f"opsbot: cannot write the log file {self.baseFilename} ({error}); "
            "logging only warnings to stderr from now on",
            file=sys.stderr,
            flush=True,
        )


def console_on_terminal(args: argparse.Namespace) -> bool:
    """`opsbot run` reads commands from a terminal (not `--no-console`, stdin a tty)."""
    return not getattr(args, "no_console", True) and sys.stdin.isatty()


def configure_logging(level: str, log_file: Path | None = None) -> None:
    """Log at `level` to stderr, or, with `log_file`, to that file (rotated at 5 MB, three
    kept) with only warnings and errors on stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    numeric = getattr(logging, level, logging.INFO)
    root.setLevel(numeric)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter(_FORMAT))
    if log_file is not None:
        stderr.setLevel(max(numeric, logging.WARNING))
        to_file = _LogFileHandler(log_file, maxBytes=5_000_000, backupCount=3, delay=True)
        to_file.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(to_file)
    root.addHandler(stderr)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, numeric))


def disk_full(exc: BaseException) -> str | None:
    """The error text when `exc` (or what caused it) is a full disk or a file size limit
    (SQLite's "database or disk is full", ENOSPC, EDQUOT, EFBIG), else None."""
    import errno
    import sqlite3

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (
            errno.ENOSPC,
            errno.EDQUOT,
            errno.EFBIG,
        ):
            return f"{current.strerror or current}" + (
                f": {current.filename}" if current.filename else ""
            )
        if isinstance(current, sqlite3.OperationalError | sqlite3.DatabaseError):
            text = str(current)
            if "disk is full" in text or "disk I/O error" in text:
                return text
        todo.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])
    return None


def _storage_place(settings: Any) -> str:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        return f"the database {url.split('///', 1)[-1]}"
    return f"the data directory {settings.data_dir.absolute()} or the database"


def _stdout_closed() -> int:
    """Whoever read our output stopped (`opsbot incidents show | head`): exit quietly as a
    Unix tool killed by SIGPIPE does (128 + 13), with stdout pointed at /dev/null so that
    flushing it at exit raises nothing either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    from bot.settings import SettingsError, load_settings
    from bot.settings_check import unknown_settings

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail(exc)
    for line in unknown_settings():
        print(f"opsbot: warning: {line}", file=sys.stderr)
    level = (args.log_level or settings.log_level).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        print(
            f"opsbot: --log-level must be DEBUG, INFO, WARNING or ERROR, got {level}",
            file=sys.stderr,
        )
        return 2
    from bot.datadir import DataDirError, data_dir_is_explicit, ensure_data_dir

    try:
        data_dir = ensure_data_dir(settings.data_dir, explicit=data_dir_is_explicit())
    except DataDirError as exc:
        print(f"opsbot: {exc}", file=sys.stderr)
        return 2
    # `run` with its console on a terminal is interactive too: logs would overwrite `you> `
    interactive = args.command not in SERVICE_COMMANDS or console_on_terminal(args)
    configure_logging(level, data_dir / LOG_FILE if interactive else None)
    runtime = None
    try:
        from bot.runtime import Runtime

        runtime = Runtime(settings, console_mode=getattr(args, "console_mode", False))
        return int(args.handler(args, runtime) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except Exception as exc:
        full = disk_full(exc)  # a full disk is named as such, whichever error carried it
        if full is not None:
            print(
                f"opsbot: cannot write to {_storage_place(settings)}: {full} (is the disk "
                "full?). Free space on that disk (or raise the file size limit) and run it again.",
                file=sys.stderr,
            )
            return 1
        if isinstance(exc, OpsbotError):
            return fail(exc)
        raise
    finally:
        if runtime is not None:
            try:
                runtime.close()
            except Exception as exc:  # closing after a full disk fails the same way
                if disk_full(exc) is None:
                    raise


if __name__ == "__main__":
    raise SystemExit(main())
