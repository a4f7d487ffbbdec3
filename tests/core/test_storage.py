"""Migrations create the schema on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.audit import AuditLogger
from bot.storage.db import StorageError, database_heads, make_engine, migrate, script_heads
from bot.storage.metadata import target_metadata


def _engine(database_url: str | None, tmp_path):  # type: ignore[no-untyped-def]
    return make_engine(database_url or f"sqlite:///{tmp_path / 'db.sqlite3'}")


def test_migrations_create_every_table_and_match_models(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(database_url, tmp_path)
    heads = script_heads()
    assert any(h.startswith("core_") for h in heads)  # the core branch's latest revision
    assert len(heads) == 4  # one branch per area: core, incidents, prompts, registry
    assert migrate(engine) is True
    assert database_heads(engine) == script_heads()
    assert migrate(engine) is False  # a second start sees the schema current and skips Alembic
    tables = set(inspect(engine).get_table_names())
    assert {"audit_log", "approval", "processed_event"} <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), target_metadata)
    # type/nullable noise aside, no table or column may be missing on either side
    structural = [
        d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")
    ]
    assert structural == []
    engine.dispose()


def test_audit_log_records_and_reads_back(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(database_url, tmp_path)
    migrate(engine)
    audit = AuditLogger(engine)
    audit.record(
        actor="U1",
        via="slack",
        action="set_prompt_label",
        args={"name": "p", "v": 2},
        outcome="ok",
        result="moved",
        approval_id="ap-1",
        thread_id="t",
    )
    audit.record(
        actor="U2", via="console", action="create_prompt_version", args={}, outcome="error"
    )
    rows = audit.recent()
    assert [r.actor for r in rows] == ["U2", "U1"]
    assert rows[1].args == {"name": "p", "v": 2}
    assert audit.for_approval("ap-1")[0].result == "moved"
    engine.dispose()


def test_migrate_reports_an_unreachable_database() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="could not migrate"):
        migrate(engine)


def test_core_0003_adds_the_executor_to_existing_approvals(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database at core_0002 with an approval in flight keeps it, and gains the columns
    that record who executes an approval (all empty for old rows)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from bot.storage.db import MIGRATIONS_DIR

    engine = _engine(database_url, tmp_path)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "core_0002")
    assert database_heads(engine) == {"core_0002"}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO approval (id, thread_id, tool_call_id, tool, args, risk, preview, "
                "requested_by, requested_via, status, created_at, expires_at, approvals_needed, "
                "approvers, revision) VALUES ('ap-old', 't', 'c', 'run_remediation', '{}', "
                "'medium', '', 'U1', 'slack', 'executing', :now, :now, 1, '[]', 2)"
            ),
            {"now": "2026-01-01 00:00:00"},
        )
    assert migrate(engine) is True
    assert "core_0003" in database_heads(engine)  # type: ignore[operator]
    columns = {c["name"] for c in inspect(engine).get_columns("approval")}
    assert {"executor_host", "executor_pid", "executor_started", "execution_started_at"} <= (
        columns
    )
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, executor_pid, execution_started_at FROM approval")
        ).one()
    assert tuple(row) == ("executing", None, None)
    engine.dispose()
