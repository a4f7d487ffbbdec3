"""REMEDIATION_CONFIG: what is allowed, and clear errors for everything that is not."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from tools.remediation.config import RemediationConfigError, load_config

GOOD = """
services:
  web:
    restart: [systemctl, restart, web]
    timeout_seconds: 30
    check: [systemctl, is-active, --quiet, web]
    alerts: [EndpointDown]
    endpoints: [web]
clean_directories:
  - path: /var/log/myapp
    patterns: ["*.log", "*.gz"]
    min_age_days: 3
scripts:
  rotate-logs:
    argv: [/usr/sbin/logrotate, --force, /etc/logrotate.conf]
    risk: low
processes:
  protected: [postgres]
  users: [www-data]
  grace_seconds: 5
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "remediation.yaml"
    path.write_text(text)
    return path


def test_a_full_configuration_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.services["web"].restart == ["systemctl", "restart", "web"]
    assert config.services["web"].timeout_seconds == 30
    assert config.clean_directories[0].patterns == ["*.log", "*.gz"]
    assert config.scripts["rotate-logs"].risk == "low"
    assert "postgres" in config.protected_names() and "sshd" in config.protected_names()
    assert config.kill_users() == {"www-data"}


def test_no_file_means_nothing_allowed_but_own_processes() -> None:
    config = load_config(None)
    assert config.services == {} and config.clean_directories == [] and config.scripts == {}
    assert config.kill_users() == {getpass.getuser()}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "services:\n  web:\n    restart: systemctl restart web\n",
            "services.web.restart: restart must be a list of arguments such as "
            "[systemctl, restart, web], not a shell string",
        ),
        (
            "scripts:\n  x:\n    argv: [bash, -c, 'rm -rf /tmp/x']\n",
            "runs a shell with inline code (bash -c rm -rf /tmp/x ...)",
        ),
        (
            "services:\n  web:\n    restart: [a]\n    retsart: [b]\n",
            "services.web.retsart: unknown key",
        ),
        ("servces: {}\n", "servces: unknown key"),
        (
            "clean_directories:\n  - path: var/log\n",
            "clean_directories.0.path: must be an absolute path, got 'var/log'",
        ),
        ("clean_directories:\n  - path: /\n", "cleaning the whole filesystem (/) is not allowed"),
        (
            "clean_directories:\n  - path: /var/log\n    patterns: ['*']\n",
            "pattern '*' is not allowed",
        ),
        (
            "clean_directories:\n  - path: /var/log\n    patterns: ['../*.log']\n",
            "pattern '../*.log' is not allowed",
        ),
        ("services:\n  'web server':\n    restart: [a]\n", "name 'web server' is not allowed"),
        ("services:\n  web:\n    restart: [a]\n    timeout_seconds: -1\n", "timeout_seconds"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("services: [\n", "is not valid YAML"),
    ],
)
def test_bad_configurations_are_refused_with_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(RemediationConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)
    assert str(tmp_path / "remediation.yaml") in str(caught.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RemediationConfigError, match="cannot be read"):
        load_config(tmp_path / "nope.yaml")


def test_runtime_refuses_to_start_with_a_bad_file(make_runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.runtime import StartupError

    runtime = make_runtime(remediation_config=write(tmp_path, "servces: {}\n"))
    with pytest.raises(StartupError, match="servces: unknown key"):
        _ = runtime.remediation
