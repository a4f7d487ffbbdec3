"""Alembic environment: runs against the connection `bot.storage.db.migrate` hands over,
or against `sqlalchemy.url` when invoked from the alembic CLI.

The revision files are spread over the areas that own the tables (`bot.storage.areas`):
a configuration must list them all as `version_locations`, as `bot.storage.db.alembic_config`
does; the target metadata holds every area's tables."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.storage.metadata import target_metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic: no sqlalchemy.url and no connection to migrate")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run()
