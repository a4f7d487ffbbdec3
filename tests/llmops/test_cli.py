"""`opsbot llm usage` and `opsbot llm prompt NAME` in a real subprocess, over stored calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.bot_process import OpsbotRun, free_port, opsbot
from tests.llmops.conftest import TOKEN
from tests.llmops.otlp_data import export, span
from tools.llmops.spans import read_request


def test_the_cli_shows_usage_and_prompt_metrics(make_runtime: Any, data_dir: Path) -> None:
    runtime = make_runtime()
    prompt = {"opsbot.prompt.name": "triage", "opsbot.prompt.version": 2}
    intake = read_request(export(span(prompt), span(prompt, error=True), span(), service="ops"))
    runtime.llm_spans.add(intake.calls)
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    usage = opsbot("llm", "usage", "--since", "2h", env=env)
    assert usage.returncode == 0, usage.stderr
    assert "by model:\n- model claude-sonnet-5-5: 3 call(s), 33.3% errors" in usage.stdout
    assert "By service:\n- service ops: 3 call(s)" in usage.stdout
    metrics = opsbot("llm", "prompt", "triage", "--json", env=env)
    assert metrics.returncode == 0, metrics.stderr
    [group] = json.loads(metrics.stdout)["groups"]
    assert (group["version"], group["calls"], group["errors"]) == (2, 2, 1)
    bad = opsbot("llm", "prompt", "triage", "--since", "soon", env=env)
    assert bad.returncode == 1 and "use e.g. 30m, 2h or 7d" in bad.stderr
    missing = opsbot("llm", env=env)
    assert missing.returncode == 2 and "usage" in missing.stderr


def test_opsbot_run_serves_v1_traces(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "OPSBOT_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(port),
        "OTLP_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
        "KNOWLEDGE_DIR": str(tmp_path / "no-runbooks"),  # no first-start ingest: not tested here
    }
    (tmp_path / "data").mkdir()
    (tmp_path / "no-runbooks").mkdir()
    run = OpsbotRun(tmp_path, env)
    try:
        run.wait_healthy(port, 90)
        body = export(span({"opsbot.prompt.name": "support", "opsbot.prompt.version": 4}))
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-protobuf"}
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/traces",
            content=body.SerializeToString(),
            headers=headers,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert run.stop() == 0
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    shown = opsbot("llm", "prompt", "support", "--json", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert [(g["version"], g["calls"]) for g in json.loads(shown.stdout)["groups"]] == [(4, 1)]
