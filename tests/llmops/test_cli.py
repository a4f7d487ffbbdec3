"""`opsbot llm usage` and `opsbot llm prompt NAME` in a real subprocess, over stored calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bot_process import opsbot
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
