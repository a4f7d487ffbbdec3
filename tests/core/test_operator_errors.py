"""What an operator trips over, each answered with one clear line (issue 11, item 17 and
wording of item 19): typos in `.env` and in the environment, where the default data
directory is, an unusable OPSBOT_DATA_DIR, and a full disk during `ask` and `demo` (a real
file size limit, `RLIMIT_FSIZE`, in the subprocess: SQLite and the log file hit real
errors)."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.bot_process import clean_env, opsbot


def test_unknown_dotenv_key_warns_with_the_closest_name(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HOST_DISK_PERCENT=1\nPORT=4242\nFROBNICATE=yes\n")
    result = opsbot("approvals", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "unknown setting" in line]
    assert lines == [
        "opsbot: warning: .env: unknown setting HOST_DISK_PERCENT (did you mean HOST_DISK_PCT?);"
        " it is ignored",
        "opsbot: warning: .env: unknown setting FROBNICATE; it is ignored",
    ]


def test_unknown_environment_variable_that_looks_like_ours_warns(tmp_path: Path) -> None:
    env = {"HOST_MEM_PERCENT": "5", "LLM_MODLE": "x", "EDITOR": "vi"}
    result = opsbot("approvals", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "opsbot: warning: environment: unknown setting HOST_MEM_PERCENT (did you mean "
        "HOST_MEM_PCT?); it is ignored" in result.stderr
    )
    assert "unknown setting LLM_MODLE (did you mean LLM_MODEL?)" in result.stderr
    assert "EDITOR" not in result.stderr  # not one of ours: not our business
    assert result.stderr.count("unknown setting") == 2


def test_creating_the_default_data_dir_is_announced_once(tmp_path: Path) -> None:
    first = opsbot("approvals", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stderr.splitlines()[0] == (
        f"opsbot: created data directory {tmp_path / 'data'} "
        "(OPSBOT_DATA_DIR is unset: ./data of the working directory)"
    )
    again = opsbot("approvals", cwd=tmp_path)
    assert again.returncode == 0 and "created data directory" not in again.stderr


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/sys/kernel/opsbot-data", "cannot be created"),  # read-only for everyone, root too
        ("/sys/kernel", "is not writable"),
    ],
)
def test_unusable_data_dir_is_one_line_and_exit_2(tmp_path: Path, path: str, why: str) -> None:
    result = opsbot("ask", "hi", env={"OPSBOT_DATA_DIR": path}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]], (
        result.stderr
    )
    assert result.stderr.startswith(f"opsbot: OPSBOT_DATA_DIR {path} {why}")


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a directory\n")
    result = opsbot("approvals", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"opsbot: the default data directory ./data {tmp_path / 'data'} is not a directory"
    )


def _with_file_size_limit(limit: int, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` where no file may grow beyond `limit` bytes (SIGXFSZ ignored, so
    writes fail with EFBIG the way a full disk fails them with ENOSPC)."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean_env(LLM_PROVIDER="offline"),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        preexec_fn=limit_files,
    )


def _one_clear_line(result: subprocess.CompletedProcess[str], database: Path) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot write" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"opsbot: cannot write to the database {database}: ")
    assert "(is the disk full?)" in errors[0]


def test_full_disk_during_demo_is_one_line_exit_1(tmp_path: Path) -> None:
    result = _with_file_size_limit(300_000, tmp_path, "demo")
    _one_clear_line(result, tmp_path / "data" / "opsbot.sqlite3")


def test_full_disk_during_ask_is_one_line_exit_1(tmp_path: Path) -> None:
    ready = opsbot("approvals", cwd=tmp_path)  # creates and migrates the database
    assert ready.returncode == 0, ready.stderr
    result = _with_file_size_limit(0, tmp_path, "ask", "how's the box doing?")
    _one_clear_line(result, tmp_path / "data" / "opsbot.sqlite3")


def test_a_value_quoted_by_the_message_is_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENDPOINTS", "garbage")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).count("'garbage'") == 1


def test_unknown_model_message_is_sentences() -> None:
    from tools.registry.store import unknown_model_message

    assert unknown_model_message("nope", ["a", "b"]) == "unknown model 'nope'. Known models: a, b."
    assert unknown_model_message("bike-demnd", ["bike-demand"]) == (
        "unknown model 'bike-demnd'; did you mean 'bike-demand'? Known models: bike-demand."
    )


def test_audit_rows_show_valid_json_args(tmp_path: Path) -> None:
    created = opsbot(
        "prompts", "create", "long-one", "--template",
        "Summarise {{ text }} for the on-call engineer in three short sentences",
        "-m", "a first version with a long commit message that says what and why in detail",
        cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    audit = opsbot("audit", cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    rows = [line for line in audit.stdout.splitlines() if "create_prompt_version" in line]
    assert rows, audit.stdout
    for row in rows:
        shown = row[row.index("{") :]
        assert len(shown) <= 80
        args = json.loads(shown)  # whole JSON, not cut in the middle
        assert args["name"] == "long-one"


def test_a_closed_stdout_ends_the_command_quietly(tmp_path: Path) -> None:
    """`opsbot approvals | head -0`: the reader is gone before the first line is written.
    The command exits as a Unix tool killed by SIGPIPE does (141), without a traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "approvals"],
            env=clean_env(),
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_a_busy_port_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    """A second `opsbot run` on a port already in use stops at once, in one line naming the
    port and what to do; nothing was migrated or started before it."""
    (tmp_path / "d").mkdir()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        env = {"PORT": str(port), "HOST": "127.0.0.1", "OPSBOT_DATA_DIR": str(tmp_path / "d")}
        result = opsbot("run", env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("opsbot: ")]
    assert lines == [
        f"opsbot: cannot listen on 127.0.0.1:{port}: Address already in use (another "
        "process (another opsbot?) holds it: stop it or set PORT)"
    ], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d" / "opsbot.db").exists()  # stopped before migrating
