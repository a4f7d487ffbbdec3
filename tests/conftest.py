"""Shared fixtures: an isolated environment, databases (SQLite and, when present,
PostgreSQL), a migrated engine, a ready Runtime and the Anthropic API emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot_process import OPSBOT_ENV
from tests.databases import postgres_unavailable, scratch_database

# fixtures shared across directories
pytest_plugins = ["tests.demo_workspace", "tests.mlflow_stores"]

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No opsbot setting leaks in from the machine, and no `.env` file is read."""
    for name in OPSBOT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    if reason := postgres_unavailable():
        pytest.skip(reason)
    with scratch_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Run a test on SQLite (None = the default file) and on PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str | None, tmp_path: Path) -> Iterator:
    """A migrated database: a SQLite file in tmp_path, and PostgreSQL (see database_url)."""
    from bot.storage.db import make_engine, migrate

    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'opsbot-test.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()


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


@pytest.fixture
def claude() -> Iterator:
    """The Anthropic Messages API emulator; `claude.settings()` points a Runtime at it."""
    from tests.emulators.anthropic import AnthropicEmulator

    emulator = AnthropicEmulator().start()
    yield emulator
    emulator.stop()
