"""Engine creation and schema migration.

SQLite (the default, a file under OPSBOT_DATA_DIR) is tuned for a single process with a few
threads: WAL journal, a busy timeout, foreign keys on. PostgreSQL is used as is. The schema is
owned by Alembic; `migrate()` runs at start so a new or old database is always current.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from bot.storage.areas import version_locations
from core.errors import StartupError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

# The migration environment (env.py, the script template and the core's `versions/`); each
# area's revision files live in its own folder (see areas.py).
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_KEY = 7_301_640_221  # pg advisory lock id for "opsbot migrations"


class StorageError(StartupError):
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
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def ping(engine: Engine) -> None:
    """`SELECT 1`: raises when the database cannot answer (the health check's probe)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


def script_heads() -> set[str]:
    """Head revisions of the migration scripts, read from the files (no Alembic import).
    An empty set means "could not tell", and the caller lets Alembic decide."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (p for folder in version_locations() for p in folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        down = _DOWN_REVISION.search(source)
        if found is None or down is None:
            return set()
        revisions.add(found.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    return revisions - parents


def database_heads(engine: Engine) -> set[str] | None:
    """Revisions recorded in the database, or None when it has no schema yet."""
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:  # no table yet (a new database), or not reachable: Alembic will tell
        return None


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of opsbot's schema: the migration environment, with every
    area's folder of revision files as `version_locations`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    folders = os.pathsep.join(str(folder) for folder in version_locations())
    cfg.set_main_option("version_locations", folders.replace("%", "%%"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(engine: Engine) -> bool:
    """Apply every Alembic migration (all branch heads). Safe to call from several replicas.

    Returns False without importing Alembic when the database is already at every head
    (the common case at each start; Alembic costs a quarter of a second), True otherwise."""
    heads = script_heads()
    if heads and database_heads(engine) == heads:
        return False
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            if is_postgres(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except Exception as exc:  # surface as one clear error, with the cause chained for logs
        raise StorageError(f"could not migrate the database at {engine.url!r}: {exc}") from exc
    return True


def session(engine: Engine) -> Session:
    """A new ORM session; objects stay readable after commit."""
    return Session(engine, expire_on_commit=False)
