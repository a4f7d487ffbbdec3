"""Shared fixtures: an isolated environment, databases (SQLite and, when present,
PostgreSQL), and a ready Runtime."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("OPSBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


# Environment variables opsbot reads (every setting, plus what its libraries read); every
# test starts without them.
def _opsbot_env() -> list[str]:
    from bot.settings import Settings

    names = [
        field.validation_alias
        for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, str)
    ]
    return [*names, "ANTHROPIC_API_URL", "ANTHROPIC_AUTH_TOKEN", "SLACK_CLIENT_ID",
            "SLACK_CLIENT_SECRET", "OPENAI_BASE_URL", "OPENAI_API_KEY"]  # fmt: skip


_OPSBOT_ENV = _opsbot_env()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No opsbot setting leaks in from the machine, and no `.env` file is read."""
    for name in _OPSBOT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.chdir(tmp_path)
    yield


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # the reason is shown in the skip message
        return f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}: {exc}"


_PG_REASON = _postgres_available()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    import psycopg

    name = f"opsbot_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Run a test on SQLite (None = the default file) and on PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_runtime(data_dir: Path) -> Iterator:
    """Build Runtimes with settings overrides; all are closed at the end."""
    from bot.runtime import Runtime
    from bot.settings import load_settings

    made: list = []

    def _make(console_mode: bool = True, **overrides: object) -> Runtime:
        overrides.setdefault("data_dir", data_dir)
        runtime = Runtime(load_settings(**overrides), console_mode=console_mode)
        made.append(runtime)
        return runtime

    yield _make
    for runtime in made:
        runtime.close()
