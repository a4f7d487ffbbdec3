"""LangGraph checkpointers: SQLite beside the database by default, PostgreSQL for teams."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any


def open_checkpointer(
    database_url: str | None, sqlite_path: Path
) -> tuple[Any, Callable[[], None]]:
    """(checkpointer, close). `database_url` is a SQLAlchemy URL; Postgres URLs use Postgres."""
    if database_url and database_url.startswith("postgresql"):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        conninfo = "postgresql://" + database_url.split("://", 1)[1]
        pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=8,
            kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0},
            open=True,
        )
        saver = PostgresSaver(pool)  # type: ignore[arg-type]
        saver.setup()
        return saver, pool.close
    from langgraph.checkpoint.sqlite import SqliteSaver

    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(sqlite_path), check_same_thread=False, timeout=30)
    lite = SqliteSaver(conn)
    lite.setup()
    return lite, conn.close
