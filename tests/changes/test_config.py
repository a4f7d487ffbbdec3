"""opsbot's own configuration in the change log: recorded when it moves, secrets never stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.config_log import record_start, shown_settings
from bot.settings import load_settings
from tools.changes.store import ChangeKind, ChangeStore

SECRET = "am-secret-value-0123456789"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_starts_record_only_what_moved_and_never_a_secret(engine: Any, tmp_path: Any) -> None:
    store = ChangeStore(engine)
    first = record_start(store, load_settings(data_dir=tmp_path), "cli:ann")
    assert first is not None and first.kind == ChangeKind.CONFIG and first.target == "opsbot"
    assert first.summary.startswith("first start with this change log")
    assert record_start(store, load_settings(data_dir=tmp_path), "cli:ann") is None
    moved = record_start(
        store,
        load_settings(data_dir=tmp_path, host_cpu_pct=85, alertmanager_token=SECRET),
        "cli:bob",
    )
    assert moved is not None
    assert "HOST_CPU_PCT 90.0 → 85.0" in moved.summary
    assert "ALERTMANAGER_TOKEN (unset) → (set)" in moved.summary
    for change in store.list(EPOCH):
        assert SECRET not in " ".join([change.summary, change.before, change.after])
    assert [c.who for c in store.list(EPOCH)] == ["cli:bob", "cli:ann"]


def test_values_pass_through_redaction(tmp_path: Any) -> None:
    settings = load_settings(
        data_dir=tmp_path, database_url="postgresql://opsbot:hunter22@db:5432/opsbot"
    )
    shown = shown_settings(settings)
    assert "hunter22" not in shown["DATABASE_URL"] and "db:5432" in shown["DATABASE_URL"]
    assert shown["SLACK_BOT_TOKEN"] == "(unset)"
