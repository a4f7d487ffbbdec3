"""The console front end: `opsbot ask`, `opsbot chat`, and `opsbot run` without Slack."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from bot.console import Console
from tests.bot_process import OpsbotRun, free_port, opsbot


def test_ask_json_shape_with_real_figures(tmp_path: Path) -> None:
    result = opsbot("ask", "how's the box doing?", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) >= {"answer", "tool_calls", "pending_approval"}
    assert payload["tool_calls"] == [{"name": "host_health", "args": {}}]
    assert payload["pending_approval"] is None
    total_gib = psutil.virtual_memory().total / 1024**3
    assert f"{total_gib:.1f} GiB" in payload["answer"]
    assert "CPU" in payload["answer"] and "Disk /" in payload["answer"]
    assert (tmp_path / "data" / "opsbot.sqlite3").exists()  # created on first use


def test_ask_plain_text(tmp_path: Path) -> None:
    result = opsbot("ask", "what can you do?", cwd=tmp_path)
    assert result.returncode == 0
    assert "Here is what I can do" in result.stdout


def test_ask_refuses_an_empty_or_pasted_question(tmp_path: Path) -> None:
    for text in ("", "   \n "):
        result = opsbot("ask", text, cwd=tmp_path)
        assert result.returncode == 2 and result.stdout == ""
        assert "The question is empty" in result.stderr and "Traceback" not in result.stderr
    pasted = "ERROR disk full on /var " * 420  # 10,080 characters, a pasted log
    result = opsbot("ask", pasted, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "The question is 10,079 characters" in result.stderr
    assert "up to 4,000" in result.stderr and "Here is what I can do" not in result.stderr


def test_a_pasted_question_in_chat_is_answered_without_a_plan(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    caller = runtime.console_caller()
    turn = runtime.agent.ask("restart web " * 500, thread_id="paste", caller=caller)
    assert "characters; I read questions of up to 4,000" in turn.answer
    assert turn.tool_calls == [] and turn.pending == []
    state = runtime.agent.graph.get_state({"configurable": {"thread_id": "paste"}})
    assert not state.values  # nothing stored in the conversation
    help_turn = runtime.agent.ask("", thread_id="bare-mention", caller=caller)
    assert "Here is what I can do" in help_turn.answer  # a bare @mention asks for help


def test_follow_up_context_survives_a_process_restart(make_runtime) -> None:  # type: ignore[no-untyped-def]
    first = make_runtime()
    caller = first.console_caller()
    first.agent.ask("how's the box?", thread_id="conv", caller=caller)
    first.close()
    second = make_runtime()
    second.agent.ask("and the disk?", thread_id="conv", caller=caller)
    state = second.agent.graph.get_state({"configurable": {"thread_id": "conv"}})
    humans = [m.content for m in state.values["messages"] if m.type == "human"]
    assert humans == ["how's the box?", "and the disk?"]


def test_chat_session_handles_commands(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    script = "help\nhow's the box?\npending\napprove ap-nope\nnew\nquit\n"
    out = io.StringIO()
    Console(runtime.console_deps(), stdin=io.StringIO(script), stdout=out).loop()
    text = out.getvalue()
    assert "approve [ID]" in text  # help
    assert "→ host_health()" in text and "Memory" in text
    assert "No pending approvals." in text
    assert "Refused: no approval with id ap-nope" in text
    assert "(new conversation)" in text


def test_run_headless_serves_healthz_and_metrics(tmp_path: Path) -> None:
    port = free_port()
    run = OpsbotRun(tmp_path, {"PORT": str(port), "OPSBOT_DATA_DIR": str(tmp_path / "data")})
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                if health.status_code == 200:
                    break
                assert health.json()["status"] == "starting"  # 503 until fully started
                time.sleep(0.1)
            except httpx.HTTPError:
                assert run.proc.poll() is None, run.log()
                time.sleep(0.2)
        assert health is not None and health.status_code == 200
        body = health.json()
        assert body["status"] == "ok" and body["mode"] == "console" and body["llm"] == "offline"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "opsbot_up 1.0" in metrics.text
        families = {f.name for f in text_string_to_metric_families(metrics.text)}
        # the standard collectors a Prometheus user expects beside opsbot's own
        assert {
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_start_time_seconds",
            "python_info",
            "python_gc_collections",
        } <= families
        assert run.stop(timeout=20) == 0
    finally:
        run.kill()


def test_demo_then_the_readme_questions(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The README's five-minute tour, in process: demo, then answers from every area."""
    from bot.cli import main

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "runbooks: 15 added" in out and "bike-demand" in out and "support-triage" in out

    def ask(text: str) -> str:
        assert main(["ask", text, "--json"]) == 0
        return json.loads(capsys.readouterr().out)["answer"]

    assert "Disk full or filling up" in ask("how do I fix a full disk?")
    drift = ask("is bike-demand drifting?")
    assert "6 of 11 features drifted" in drift and "temp" in drift
    assert "production → v3" in ask("which bike-demand version is in production?")
    assert "+++ support-triage v2" in ask("what changed between v1 and v2 of support-triage")
