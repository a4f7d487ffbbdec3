"""Throwaway PostgreSQL databases on the test server (tests and benchmarks)."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

PG_ADMIN = os.environ.get("OPSBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _libpq(url: str) -> str:
    """psycopg takes `postgresql://`, SQLAlchemy URLs may say `postgresql+psycopg://`."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@functools.cache
def postgres_unavailable(admin_url: str = PG_ADMIN) -> str | None:
    """None when the server answers, else why not (for a skip message); asked once."""
    try:
        import psycopg

        with psycopg.connect(_libpq(admin_url), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # the reason is shown in the skip message
        return f"PostgreSQL not reachable at {admin_url}: {type(exc).__name__}: {exc}"


@contextmanager
def scratch_database(admin_url: str = PG_ADMIN, prefix: str = "opsbot_t") -> Iterator[str]:
    """A new, empty database on the server of `admin_url`, as a SQLAlchemy URL; dropped
    afterwards (even while something is still connected)."""
    import psycopg

    admin = _libpq(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    server = admin.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{server}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
