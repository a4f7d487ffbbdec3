"""Engine creation and schema migration.

SQLite (the default, a file under OPSBOT_DATA_DIR) is tuned for a single process with a few
threads: WAL journal, a busy timeout, foreign keys on. PostgreSQL is used as is. The schema is
owned by Alembic; `migrate()` runs at start so a new or old database is always current.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_KEY = 7_301_640_221  # pg advisory lock id for "opsbot migrations"


class StorageError(Exception):
    """The database cannot be opened or migrated; the message says why and what to do."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite the parent directory must exist (no silent mkdir)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StorageError(
                    f"database directory {parent} does not exist: create it or set "
                    "OPSBOT_DATA_DIR / DATABASE_URL to a writable location"
                )
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=False
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (all branch heads). Safe to call from several replicas."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            if is_postgres(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except Exception as exc:  # surface as one clear error, with the cause chained for logs
        raise StorageError(f"could not migrate the database at {engine.url!r}: {exc}") from exc


def session(engine: Engine) -> Session:
    """A new ORM session; objects stay readable after commit."""
    return Session(engine, expire_on_commit=False)
