"""Warnings for names that look like settings but are not: keys of `.env` that opsbot does not
read, and environment variables with one of opsbot's prefixes that match no setting (most
likely a typo: HOST_DISK_PERCENT for HOST_DISK_PCT), each with the closest known name.
pydantic-settings ignores both silently; `opsbot` prints these lines at start."""

from __future__ import annotations

import os
from pathlib import Path

from bot.settings import known_env_names

# Names opsbot does not define but the libraries it uses read (or its tests set): never
# reported as unknown.
LIBRARY_ENV = frozenset(
    {
        "ANTHROPIC_API_URL",
        "ANTHROPIC_AUTH_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "ANONYMIZED_TELEMETRY",
        "OPSBOT_TEST_PG",
    }
)
# Environment variables with these prefixes look like opsbot's: an unknown one is most likely
# a typo of a setting (HOST_DISK_PERCENT for HOST_DISK_PCT), so it is reported.
OUR_PREFIXES = (
    "OPSBOT_",
    "HOST_",
    "SLACK_",
    "LLM_",
    "ONCALL_",
    "APPROVAL_",
    "INCIDENT_",
    "MONITOR_",
    "DRIFT_",
    "DISK_",
    "ENDPOINT_",
    "REMEDIATION_",
    "PROMPT_",
    "PROMPTS_",
    "CHECK_",
)


def _unknown_line(source: str, name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{source}: unknown setting {name}{hint}; it is ignored"


def unknown_settings(
    env_file: Path | str | None = ".env", environ: dict[str, str] | None = None
) -> list[str]:
    """One warning line per key of `env_file` that is not a setting, and per environment
    variable that looks like ours (see OUR_PREFIXES) but is not one, with the closest known
    name. pydantic-settings ignores both silently."""
    known = known_env_names()
    allowed = known | LIBRARY_ENV
    lines: list[str] = []
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        for name in dotenv_values(env_file):
            if name.upper() not in allowed:
                lines.append(_unknown_line(str(env_file), name, known))
    env = os.environ if environ is None else environ
    for name in sorted(env):
        upper = name.upper()
        if upper.startswith(OUR_PREFIXES) and upper not in allowed:
            lines.append(_unknown_line("environment", name, known))
    return lines
