"""The `opsbot` command line. Heavy modules are imported inside the handlers, so every
command starts fast and a bad setting fails in milliseconds with one clear line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from core.errors import UserError

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
        print(f"opsbot: {exc}", file=sys.stderr)
        return 2
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
    except CliError as exc:
        print(f"opsbot: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from bot.runtime import StartupError
        from bot.storage.db import StorageError

        if isinstance(exc, StorageError | StartupError):
            print(f"opsbot: {exc}", file=sys.stderr)
            return 1
        raise
    finally:
        if runtime is not None:
            runtime.close()


if __name__ == "__main__":
    raise SystemExit(main())
