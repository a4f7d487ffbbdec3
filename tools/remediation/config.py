"""The operator's remediation allowlist, read from the YAML file named by REMEDIATION_CONFIG.

Without a file nothing is allowed except `kill_process` of non-protected processes owned by
the user opsbot runs as: there are no services to restart, no directories to clean and no
scripts to run. Commands are argv lists; a shell string, or a shell asked to run `-c` code,
is refused at load time, so the catalogue can never run free-form shell whatever the model
asks.

Example (every key is optional):

    services:
      web:
        restart: [systemctl, restart, web]
        timeout_seconds: 60
        check: [systemctl, is-active, --quiet, web]   # run after a restart to verify it
        risk: medium
        alerts: [EndpointDown, EndpointSlow]          # triage suggests a restart for these
        endpoints: [web]                              # ...when the alert is about these endpoints
    clean_directories:
      - path: /var/log/myapp
        patterns: ["*.log", "*.log.gz"]
        min_age_days: 7
    scripts:
      rotate-logs:
        argv: [/usr/sbin/logrotate, --force, /etc/logrotate.conf]
        timeout_seconds: 300
        risk: medium
        alerts: [HostDiskFull, HostDiskFillingUp]
      rollback-checkout:
        argv: [/opt/deploy/rollback, checkout]
        reverts: [checkout]    # suggested when a deploy of checkout is an incident's likely cause
    processes:
      protected: [postgres, nginx]   # never killed (added to the built-in list)
      protected_patterns: ["*gunicorn*billing*"]  # globs on the command line: never killed
      users: [www-data]              # whose processes may be killed (default: opsbot's user)
      root_allowed: [myapp-worker]   # root-owned processes that may be killed (default: none)
      grace_seconds: 10              # SIGTERM, then SIGKILL after this long

opsbot's own process tree (its ancestors, itself, its descendants) and every other running
opsbot process with its descendants are never killed, whatever the file says.
"""

from __future__ import annotations

import getpass
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.access import Risk
from core.errors import StartupError

# Never killed, whatever the configuration says: init, the service manager, remote access
# and the container runtime, whose loss takes the whole host (or our access to it) down.
BUILTIN_PROTECTED = (
    "systemd",
    "init",
    "sshd",
    "dockerd",
    "containerd",
    "kubelet",
    "journald",
    "systemd-journald",
    "dbus-daemon",
)
SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "busybox"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PATTERN = re.compile(r"^[^/\\\x00]{1,100}$")


class RemediationConfigError(StartupError, ValueError):
    """The remediation file is missing or invalid; the message names the file and the key."""


def _check_argv(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        raise ValueError(
            f"{where} must be a list of arguments such as [systemctl, restart, web], "
            f"not a shell string ({value!r}); opsbot never runs commands through a shell"
        )
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where} must be a non-empty list of arguments")
    if not all(isinstance(part, str) and part for part in value):
        raise ValueError(f"{where} must contain only non-empty strings")
    program = os.path.basename(value[0])
    if program in SHELLS and any(part.startswith("-") and "c" in part for part in value[1:]):
        raise ValueError(
            f"{where} runs a shell with inline code ({' '.join(value[:3])} ...); put the "
            "commands in a script file and list that script's path instead"
        )
    return list(value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceConfig(_Strict):
    restart: list[str]
    timeout_seconds: float = Field(60.0, gt=0, le=3600)
    check: list[str] | None = None
    risk: Risk = Risk.MEDIUM
    alerts: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(default_factory=list)

    @field_validator("restart", mode="before")
    @classmethod
    def _restart(cls, value: Any) -> list[str]:
        return _check_argv(value, "restart")

    @field_validator("check", mode="before")
    @classmethod
    def _check(cls, value: Any) -> list[str] | None:
        return None if value is None else _check_argv(value, "check")


class CleanDirectory(_Strict):
    path: str
    patterns: list[str] = Field(default_factory=lambda: ["*.log", "*.log.*", "*.gz"])
    min_age_days: int = Field(7, ge=0, le=3650)
    risk: Risk = Risk.MEDIUM

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not os.path.isabs(value):
            raise ValueError(f"must be an absolute path, got {value!r}")
        if os.path.normpath(value) == "/":
            raise ValueError("cleaning the whole filesystem (/) is not allowed; name a directory")
        return os.path.normpath(value)

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one file name pattern such as '*.log'")
        for pattern in value:
            if not _PATTERN.match(pattern) or pattern in ("*", "*.*", "..", "."):
                raise ValueError(
                    f"pattern {pattern!r} is not allowed: use a file name glob such as "
                    "'*.log' (no '/', and not a catch-all like '*')"
                )
        return value


class ScriptConfig(_Strict):
    argv: list[str]
    timeout_seconds: float = Field(300.0, gt=0, le=86400)
    risk: Risk = Risk.MEDIUM
    description: str = ""
    alerts: list[str] = Field(default_factory=list)
    # services whose deploy this script rolls back: triage suggests it when a deploy of one
    # of them is an incident's likely cause (graphs/triage_changes.py)
    reverts: list[str] = Field(default_factory=list)

    @field_validator("argv", mode="before")
    @classmethod
    def _argv(cls, value: Any) -> list[str]:
        return _check_argv(value, "argv")


class ProcessPolicy(_Strict):
    protected: list[str] = Field(default_factory=list)
    protected_patterns: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    root_allowed: list[str] = Field(default_factory=list)
    grace_seconds: float = Field(10.0, ge=0, le=600)

    @field_validator("protected", "users", "root_allowed")
    @classmethod
    def _plain_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.strip() or len(name) > 200:
                raise ValueError(f"{name!r} is not a name: give a non-empty name (at most 200)")
        return value

    @field_validator("protected_patterns")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.strip("*? ") or len(pattern) > 500:
                raise ValueError(
                    f"pattern {pattern!r} is not allowed: give a command-line glob such as "
                    "'*gunicorn*billing*' (not a catch-all, at most 500 characters)"
                )
        return value


class RemediationConfig(_Strict):
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    clean_directories: list[CleanDirectory] = Field(default_factory=list)
    scripts: dict[str, ScriptConfig] = Field(default_factory=dict)
    processes: ProcessPolicy = Field(default_factory=ProcessPolicy)
    source: str | None = None  # the file it was read from (for messages)

    @field_validator("services", "scripts")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(
                    f"name {name!r} is not allowed: use letters, digits, '-', '_' or '.' "
                    "(at most 64 characters)"
                )
        return value

    def protected_names(self) -> set[str]:
        return set(BUILTIN_PROTECTED) | set(self.processes.protected)

    def kill_users(self) -> set[str]:
        return set(self.processes.users) or {getpass.getuser()}


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{where}: {message}")
    allowed = "services, clean_directories, scripts, processes"
    return (
        f"REMEDIATION_CONFIG {source} is invalid:\n  "
        + "\n  ".join(lines)
        + f"\n(top-level keys allowed: {allowed})"
    )


def parse_config(data: Any, source: str = "<config>") -> RemediationConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RemediationConfigError(
            f"REMEDIATION_CONFIG {source} must be a YAML mapping with keys such as services, "
            f"clean_directories, scripts, processes; got {type(data).__name__}"
        )
    try:
        return RemediationConfig.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise RemediationConfigError(_describe(exc, source)) from None


def load_config(path: Path | str | None) -> RemediationConfig:
    """The configuration in `path`; an empty (nothing allowed) one when `path` is None."""
    if path is None or str(path).strip() == "":
        return RemediationConfig()
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RemediationConfigError(
            f"REMEDIATION_CONFIG {file} cannot be read: {exc.strerror or exc}"
        ) from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RemediationConfigError(
            f"REMEDIATION_CONFIG {file} is not valid YAML: {_yaml_problem(exc)}"
        ) from None
    return parse_config(data, str(file))


def _yaml_problem(exc: Exception) -> str:
    """PyYAML's error in one line: what is wrong and where (its str() spans several lines,
    with a caret drawing)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"
