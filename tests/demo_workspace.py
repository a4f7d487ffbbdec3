"""`opsbot demo` loaded once per session into a template data dir, and a copy of it for each
test that wants a demo workspace (a pytest plugin, tests/conftest.py): the demo takes about
5 s, a copy a few milliseconds, and every test still has its own data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.bot_process import OPSBOT_ENV


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with `opsbot demo` loaded, built once per session (about 5 s). Tests never
    use it directly: `demo_workspace` copies it."""
    from bot.cli import main

    data = tmp_path_factory.mktemp("demo-template") / "data"
    data.mkdir()
    with pytest.MonkeyPatch.context() as patch:  # as tests/conftest.py's clean_env does
        for name in OPSBOT_ENV:
            patch.delenv(name, raising=False)
        patch.setenv("ANONYMIZED_TELEMETRY", "False")
        patch.chdir(data.parent)
        patch.setenv("OPSBOT_DATA_DIR", str(data))
        assert main(["--log-level", "WARNING", "demo"]) == 0
    return data


@pytest.fixture
def demo_workspace(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of the demo data dir, as OPSBOT_DATA_DIR (as if it had run
    `opsbot demo` itself). The demo's remediation allowlist names its data dir: it is
    rewritten to the copy's."""
    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    for path in data.rglob("*.yaml"):
        path.write_text(path.read_text().replace(str(demo_template), str(data)))
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(data))
    return data
