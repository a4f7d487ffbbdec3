"""`opsbot oncall` as a subprocess: add, override, import, show, and bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from core.clock import utcnow
from tests.bot_process import opsbot
from tests.oncall.test_ical import CALENDAR


def test_the_cli_adds_a_rotation_an_override_and_shows_who_is_on_call(data_dir: Path) -> None:
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    today = utcnow().date()
    added = opsbot("oncall", "rotation", "add", "sre", "--people", "U1AA,U2BB", "--every",
                   "weekly", "--handoff", "09:00", "--tz", "Europe/Paris", "--start",
                   str(today - timedelta(days=7)), "--secondary", "next", "--json", env=env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["people"] == ["U1AA", "U2BB"]
    now = opsbot("oncall", "--json", env=env)
    assert now.returncode == 0, now.stderr
    assert json.loads(now.stdout)["schedules"][0]["now"]["primary"] in ("U1AA", "U2BB")

    over = opsbot("oncall", "override", "sre", "--user", "U9ZZ", "--from", "2026-10-21T10:00Z",
                  "--to", "2026-10-21T20:00Z", "--reason", "swap", env=env)  # fmt: skip
    assert over.returncode == 0 and "U9ZZ covers" in over.stdout, over.stderr
    again = opsbot("oncall", "override", "sre", "--user", "U1AA", "--from", "2026-10-21T12:00Z",
                   "--to", "2026-10-21T13:00Z", "--reason", "cover", env=env)  # fmt: skip
    assert "overlaps override #1 (U9ZZ); the new one wins" in again.stdout, again.stderr
    shown = opsbot("oncall", "show", "sre", "--at", "2026-10-21T12:30Z", env=env)
    assert shown.returncode == 0, shown.stderr
    # before the rotation starts only the overrides cover it; 13:00 UTC is 15:00 CEST
    assert "*sre*: U1AA is on call (override: cover) since" in shown.stdout
    assert "next: U9ZZ from Wed 21 Oct 15:00 Europe/Paris (2026-10-21 13:00 UTC)" in shown.stdout

    ics = data_dir / "rota.ics"
    ics.write_text(CALENDAR, encoding="utf-8")
    imported = opsbot("oncall", "import", "cal", str(ics), "--tz", "Europe/Paris", env=env)
    assert imported.returncode == 0 and "schedule cal imported" in imported.stdout, imported.stderr
    cal = opsbot("oncall", "show", "cal", "--at", "2026-10-27T12:00Z", "--json", env=env)
    assert json.loads(cal.stdout)["schedules"][0]["now"]["primary"] == "Bob Martin"


def test_bad_input_is_a_clear_error_and_changes_nothing(data_dir: Path) -> None:
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    base = ["oncall", "rotation", "add", "sre", "--every", "daily", "--start", "2026-10-20"]
    empty = opsbot(*base, "--people", "", env=env)
    assert empty.returncode == 1 and "at least one person" in empty.stderr
    zone = opsbot(*base, "--people", "U1AA", "--tz", "Mars/Olympus", env=env)
    assert "unknown time zone 'Mars/Olympus'" in zone.stderr
    unknown = opsbot("oncall", "show", "nope", env=env)
    assert unknown.returncode == 1 and "no on-call schedule named 'nope'" in unknown.stderr
    bad_at = opsbot("oncall", "show", "--at", "tomorrow", env=env)
    assert bad_at.returncode != 0 and "bad time 'tomorrow'" in bad_at.stderr
    ics = data_dir / "bad.ics"
    ics.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n")
    bad = opsbot("oncall", "import", "cal", str(ics), env=env)
    assert bad.returncode == 1 and "event 1 (x) has no DTSTART" in bad.stderr
    missing = opsbot("oncall", "import", "cal", str(data_dir / "none.ics"), env=env)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert json.loads(opsbot("oncall", "--json", env=env).stdout) == {"schedules": []}
