"""The `opsbot` command line. Heavy modules are imported inside the handlers, so every
command starts fast and a bad setting fails in milliseconds with one clear line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from core.errors import OpsbotError, Refused, Unavailable, UserError

# Each module adds its sub-commands with `register(subparsers)`.
COMMAND_MODULES = [
    "bot.commands.core",
    "bot.commands.demo",
    "bot.commands.knowledge",
    "bot.commands.prompts",
    "bot.commands.models",
    "bot.commands.incidents",
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


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "chromadb", "urllib3", "alembic", "apscheduler", "bm25s"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: Sequence[str] | None = None) -> int:
    from bot.settings import SettingsError, load_settings

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail(exc)
    level = (args.log_level or settings.log_level).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        print(
            f"opsbot: --log-level must be DEBUG, INFO, WARNING or ERROR, got {level}",
            file=sys.stderr,
        )
        return 2
    configure_logging(level)
    runtime = None
    try:
        from bot.runtime import Runtime

        runtime = Runtime(settings, console_mode=getattr(args, "console_mode", False))
        return int(args.handler(args, runtime) or 0)
    except OpsbotError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        return 130
    finally:
        if runtime is not None:
            runtime.close()


if __name__ == "__main__":
    raise SystemExit(main())
