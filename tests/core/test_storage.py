"""Migrations create the schema on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.approvals import AuditLogger
from bot.storage.areas import AREAS, version_locations
from bot.storage.db import (
    MIGRATIONS_DIR,
    StorageError,
    alembic_config,
    database_heads,
    make_engine,
    migrate,
    script_heads,
)
from bot.storage.metadata import target_metadata

ROOT = Path(__file__).resolve().parents[2]

# The revisions as they were when every revision file sat in bot/storage/migrations/versions:
# ids, parents and branch labels must never change, or existing databases stop upgrading.
# (Areas may add revisions; these must stay as they are.)
FIRST_REVISIONS = {
    "core_0001": (None, {"core"}),
    "core_0002": ("core_0001", {"core"}),
    "incidents_0001": (None, {"incidents"}),
    "prompts_0001": (None, {"prompts"}),
    "registry_0001": (None, {"registry"}),
}


def _engine(database_url: str | None, tmp_path):  # type: ignore[no-untyped-def]
    return make_engine(database_url or f"sqlite:///{tmp_path / 'db.sqlite3'}")


def test_migrations_create_every_table_and_match_models(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(database_url, tmp_path)
    heads = script_heads()
    assert any(h.startswith("core_") for h in heads)  # the core branch's latest revision
    # one per area: core, incidents, prompts, registry, changes, anomaly, logs, llmops, oncall,
    # modelperf, maintenance
    assert len(heads) == 11
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


def test_each_area_owns_its_branch_and_keeps_its_revisions() -> None:
    """Every area's revision files sit in its own folder and carry its branch label; the ids,
    parents and labels are those of the old single-folder layout."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert [a.BRANCH for a in AREAS] == [
        "core", "incidents", "prompts", "registry", "changes", "anomaly", "logs", "llmops", "oncall",
        "modelperf",
        "maintenance",
    ]  # fmt: skip
    assert set(scripts.get_heads()) == script_heads()  # the file reader agrees with Alembic
    for area in AREAS:
        files = sorted(area.MIGRATIONS_DIR.glob("*.py"))
        assert files, f"{area.BRANCH} has no revision files in {area.MIGRATIONS_DIR}"
        for path in files:
            revision = next(r for r in scripts.walk_revisions() if Path(r.path) == path)
            assert revision.branch_labels == {area.BRANCH}
            assert revision.revision.startswith(f"{area.BRANCH}_")
    for rev_id, (down, labels) in FIRST_REVISIONS.items():
        revision = scripts.get_revision(rev_id)
        assert revision is not None
        assert (revision.down_revision, set(revision.branch_labels)) == (down, labels)
    assert MIGRATIONS_DIR / "versions" in version_locations()
    assert (ROOT / "tools" / "prompts" / "migrations") in version_locations()
    assert (ROOT / "tools" / "registry" / "migrations") in version_locations()
    assert (ROOT / "bot" / "incidents" / "migrations") in version_locations()
    assert (ROOT / "tools" / "anomaly" / "migrations") in version_locations()
    assert (ROOT / "tools" / "logs" / "migrations") in version_locations()
    assert not list((MIGRATIONS_DIR / "versions").glob("[!c]*.py"))  # only core's stay there


def _old_layout(root: Path) -> Config:
    """The migration environment as it was before each area owned its branch: every
    revision file (unchanged) in the one `versions/` folder of bot/storage/migrations."""
    shutil.copytree(MIGRATIONS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in version_locations():
        for path in folder.glob("*.py"):
            shutil.copy(path, root / "versions" / path.name)
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    return cfg


def test_a_database_made_with_the_old_layout_is_current_with_the_new(
    database_url: str | None, tmp_path: Path
) -> None:
    engine = _engine(database_url, tmp_path)
    old = _old_layout(tmp_path / "old-migrations")
    with engine.begin() as conn:
        old.attributes["connection"] = conn
        command.upgrade(old, "heads")
    assert database_heads(engine) == script_heads()
    assert migrate(engine) is False  # nothing to do: the same revisions, found where they are
    with engine.begin() as conn:  # and Alembic itself, with the new layout, sees it current
        new = alembic_config()
        new.attributes["connection"] = conn
        command.check(new)
    engine.dispose()


def test_a_database_part_way_up_the_old_layout_upgrades_with_the_new(
    database_url: str | None, tmp_path: Path
) -> None:
    engine = _engine(database_url, tmp_path)
    old = _old_layout(tmp_path / "old-migrations")
    with engine.begin() as conn:
        old.attributes["connection"] = conn
        command.upgrade(old, "core_0001")
        command.upgrade(old, "prompts_0001")
    assert database_heads(engine) == {"core_0001", "prompts_0001"}
    assert migrate(engine) is True
    assert database_heads(engine) == script_heads()
    assert {"approval_event", "incident", "registered_model"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_every_revision_file_is_package_data() -> None:
    """A non-editable install carries every area's migrations (pyproject package-data)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    for folder in [MIGRATIONS_DIR, *version_locations()]:
        for path in folder.glob("*.py"):
            covered = any(
                path in ROOT.joinpath(*package.split(".")).glob(pattern)
                for package, patterns in package_data.items()
                if package != "*"
                for pattern in patterns
            )
            assert covered, f"{path.relative_to(ROOT)} is not in [tool.setuptools.package-data]"


def test_core_0003_adds_the_executor_to_existing_approvals(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database at core_0002 with an approval in flight keeps it, and gains the columns
    that record who executes an approval (all empty for old rows)."""
    from alembic import command
    from sqlalchemy import text

    engine = _engine(database_url, tmp_path)
    cfg = alembic_config()
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
    assert database_heads(engine) == script_heads()
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
