"""Bad settings, unknown commands and a missing database directory fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import LLMProvider, SettingsError, load_settings
from tests.bot_process import opsbot


def test_defaults() -> None:
    settings = load_settings()
    assert settings.port == 3000
    assert settings.llm_provider == LLMProvider.AUTO
    assert not settings.use_anthropic
    assert settings.slack_mode == "console"
    assert settings.sqlalchemy_url.startswith("sqlite:///")
    assert settings.thresholds() == {
        "cpu": 90.0,
        "memory": 90.0,
        "disk": 90.0,
        "swap": 80.0,
        "inodes": 90.0,
    }


def test_env_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALL_USERS", "U1, U2 U3")
    monkeypatch.setenv("ENDPOINTS", "api=http://127.0.0.1:9/healthz, web=https://example.org")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    settings = load_settings()
    assert settings.oncall_users == ["U1", "U2", "U3"]
    assert settings.endpoints == {"api": "http://127.0.0.1:9/healthz", "web": "https://example.org"}
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.slack_mode == "socket"
    assert settings.use_anthropic


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=4242\nLLM_PROVIDER=offline\n")
    settings = load_settings()
    assert settings.port == 4242
    assert settings.llm_provider == LLMProvider.OFFLINE


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORT", "abc", "PORT"),
        ("PORT", "70000", "PORT"),
        ("LLM_PROVIDER", "gpt", "LLM_PROVIDER"),
        ("HOST_DISK_PCT", "120", "HOST_DISK_PCT"),
        ("HOST_INODES_PCT", "0", "HOST_INODES_PCT"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("ENDPOINTS", "api", "ENDPOINTS"),
        ("ENDPOINTS", "api=ftp://x", "ENDPOINTS"),
        ("APPROVAL_TWO_PERSON_RISK", "sometimes", "APPROVAL_TWO_PERSON_RISK"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert expected in str(info.value)


def test_anthropic_provider_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "anthropic")
    with pytest.raises(SettingsError, match="ANTHROPIC_API_KEY"):
        load_settings()


def test_cli_bad_setting_exits_2_without_traceback(tmp_path: Path) -> None:
    result = opsbot("ask", "hi", env={"PORT": "not-a-port"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_unknown_command(tmp_path: Path) -> None:
    result = opsbot("frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_missing_database_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "deeper" / "opsbot.db"
    result = opsbot("ask", "hi", env={"DATABASE_URL": f"sqlite:///{missing}"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_data_dir_with_missing_parent(tmp_path: Path) -> None:
    result = opsbot("ask", "hi", env={"OPSBOT_DATA_DIR": str(tmp_path / "a" / "b")}, cwd=tmp_path)
    assert result.returncode == 2  # a data-dir problem is a configuration problem
    assert "OPSBOT_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_env_example_documents_every_setting_with_its_default(tmp_path: Path) -> None:
    from bot.settings import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {
        line.lstrip("# ").split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    names = {
        field.validation_alias for field in Settings.model_fields.values()
        if isinstance(field.validation_alias, str)
    }  # fmt: skip
    assert names - documented == set()
    # the uncommented values are the defaults
    (tmp_path / ".env").write_text(example)
    assert load_settings().model_dump() == Settings(_env_file=None).model_dump()


def test_list_settings_keep_braces_and_quotes_whole() -> None:
    from bot.settings import load_settings

    settings = load_settings(
        log_sources='/var/log/a.log, loki:{app="api", env="prod"} journal:x.service,{a="b,c"}',
        oncall_users="U1, U2 U3",
    )
    assert settings.log_sources == [
        "/var/log/a.log", 'loki:{app="api", env="prod"}', "journal:x.service", '{a="b,c"}'
    ]  # fmt: skip
    assert settings.oncall_users == ["U1", "U2", "U3"]
