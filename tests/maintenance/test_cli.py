"""`opsbot maintenance` as a subprocess: add (a zone on input, --for), list, show, end, the
agent tool's view, who may, and bad input (a clear message, exit 1, nothing stored)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bot_process import opsbot


def test_add_list_show_end(data_dir: Path) -> None:
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    added = opsbot("maintenance", "add", "--match", "service=api", "--match",
                   'alertname=~"Disk.*"', "--start", "2099-01-01 22:00", "--tz",
                   "Europe/Paris", "--for", "2h", "--reason", "db upgrade", "--json", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    window = json.loads(added.stdout)
    assert (
        window["starts_at"] == "2099-01-01T21:00:00Z"
        and window["ends_at"] == "2099-01-01T23:00:00Z"
    )
    assert window["state"] == "upcoming" and window["matchers"] == [
        'service="api"',
        'alertname=~"Disk.*"',
    ]
    now = opsbot("maintenance", "add", "--match", "host=web-1", "--end", "2099-01-01T00:00Z",
                 "--start", "2098-12-31T23:00Z", "--reason", "reboot", env=env)  # fmt: skip
    assert now.returncode == 0 and '#2 [upcoming] host="web-1"' in now.stdout, now.stderr

    listed = opsbot("maintenance", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    ids = [w["id"] for w in json.loads(listed.stdout)["windows"]]
    assert ids == [2, 1]  # by start
    shown = opsbot("maintenance", "show", "1", env=env)
    assert shown.returncode == 0 and "no findings held back" in shown.stdout, shown.stderr

    ended = opsbot("maintenance", "end", "1", "--json", env=env)
    assert ended.returncode == 0 and json.loads(ended.stdout)["state"] == "ended", ended.stderr
    again = opsbot("maintenance", "end", "1", env=env)
    assert again.returncode == 1 and "maintenance window #1 has already ended" in again.stderr
    gone = opsbot("maintenance", "list", "--state", "ended", env=env)
    assert "#1 [ended]" in gone.stdout and "ended early by" in gone.stdout


def test_bad_input_is_a_clear_error_and_stores_nothing(data_dir: Path) -> None:
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    base = ["maintenance", "add", "--reason", "x"]
    cases = [
        (["--match", "alertname=~Disk(", "--for", "1h"], "invalid regex for alertname=~"),
        (["--match", "service", "--for", "1h"], "cannot read 'service' as a matcher"),
        (["--for", "1h"], "match every alert"),
        (["--match", "service=api", "--for", "100h"], "at most 72 h (MAINTENANCE_MAX_HOURS)"),
        (["--match", "service=api", "--start", "2099-01-02T00:00Z", "--end", "2099-01-01T00:00Z"],
         "must end after it starts"),
        (["--match", "service=api", "--end", "yesterday"], "bad time 'yesterday'"),
        (["--match", "service=api", "--for", "1h", "--tz", "Mars/Olympus", "--start", "2099-01-01 10:00"],
         "unknown time zone"),
    ]  # fmt: skip
    for extra, problem in cases:
        result = opsbot(*base, *extra, env=env)
        assert result.returncode == 1 and problem in result.stderr, (extra, result.stderr)
    assert "No current maintenance windows." in opsbot("maintenance", env=env).stdout
    missing = opsbot("maintenance", "show", "7", env=env)
    assert missing.returncode == 1 and "no maintenance window #7" in missing.stderr


def test_with_an_on_call_list_an_unmapped_terminal_user_is_refused(data_dir: Path) -> None:
    env = {"OPSBOT_DATA_DIR": str(data_dir), "ONCALL_USERS": "U0ONCALL"}
    refused = opsbot("maintenance", "add", "--match", "service=api", "--for", "1h",
                     "--reason", "x", env=env)  # fmt: skip
    assert refused.returncode == 3, refused.stderr
    assert "create or end maintenance windows" in refused.stderr
    assert "No current maintenance windows." in opsbot("maintenance", env=env).stdout
