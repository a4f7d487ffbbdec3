"""`run_remediation` as the agent sees it: gated, previewed, executed once after approval,
verified; suggestions for incidents; the planner's phrasings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core.access import Access, Caller
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config
from tools.remediation.suggest import candidates, suggest
from tools.remediation.tools import build_remediation_tools

DAY = 86400


def old_file(path: Path, days: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("log line\n" * 100)
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))


def config_file(tmp_path: Path, logs: Path) -> Path:
    path = tmp_path / "remediation.yaml"
    path.write_text(
        f"clean_directories:\n  - path: {logs}\n    patterns: ['*.log']\n    min_age_days: 7\n"
        "services:\n  web:\n    restart: [/bin/true]\n    alerts: [EndpointDown]\n"
        "scripts:\n  rotate:\n    argv: [/bin/true]\n    alerts: [HostDiskFull]\n"
    )
    return path


def test_tool_contract_and_errors(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    old_file(logs / "a.log", 10)
    cat = RemediationCatalogue(parse_config({"clean_directories": [{"path": str(logs)}]}))
    (tool,) = build_remediation_tools(cat)
    assert tool.name == "run_remediation" and tool.access == Access.GATED
    assert f"Allowed directories: {logs}" in tool.description
    args = tool.parse({"action": "clean_directory", "params": f'{{"path": "{logs}"}}'})
    assert "Would delete 1 files" in tool.preview(args)  # type: ignore[misc]
    assert tool.risk_of(args) == "medium"
    bad = tool.invoke({"action": "rm", "params": {}}, Caller("U"))
    assert not bad.ok and "unknown remediation action 'rm'" in bad.text
    worse = tool.invoke({"action": "clean_directory", "params": "{not json"}, Caller("U"))
    assert not worse.ok and "params must be an object" in worse.text
    assert tool.risk_of(tool.parse({"action": "rm"})) == "high"  # unknown: treat as high


def test_agent_gate_runs_clean_directory_once_after_approval(  # type: ignore[no-untyped-def]
    make_runtime, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    for i in range(3):
        old_file(logs / f"app-{i}.log", 10 + i)
    old_file(logs / "today.log", 0)
    runtime = make_runtime(
        remediation_config=config_file(tmp_path, logs), oncall_users=["U_ONCALL"]
    )
    caller = Caller(user="U_REQ", via="slack", channel="C1")
    turn = runtime.agent.ask(f"clean {logs} older than 7 days", thread_id="t-clean", caller=caller)
    assert [c.name for c in turn.tool_calls] == ["run_remediation"]
    assert turn.tool_calls[0].args == {
        "action": "clean_directory",
        "params": {"path": str(logs), "older_than_days": 7},
    }
    (pending,) = turn.pending
    assert "Would delete 3 files matching *.log" in pending.preview
    assert len(list(logs.iterdir())) == 4  # nothing deleted before approval
    decision, resumed = runtime.approval_flow.decide_and_resume(
        pending.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert decision.ready and resumed is not None
    assert "Deleted 3 files" in resumed.answer
    assert "Verification: it worked" in resumed.answer
    assert [p.name for p in logs.iterdir()] == ["today.log"]
    again, _ = runtime.approval_flow.decide_and_resume(
        pending.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert not again.changed and "already executed" in again.message


def test_the_planner_knows_configured_services_and_scripts(  # type: ignore[no-untyped-def]
    make_runtime, tmp_path: Path
) -> None:
    runtime = make_runtime(remediation_config=config_file(tmp_path, tmp_path / "logs"))
    vocab = runtime.vocabulary()
    assert vocab.services == ("web",) and vocab.scripts == ("rotate",)
    turn = runtime.agent.ask("please restart web", thread_id="t-r", caller=Caller("U"))
    assert turn.tool_calls[0].args == {
        "action": "restart_service",
        "params": {"service": "web"},
    }
    assert turn.pending and "Would restart web by running `/bin/true`" in turn.pending[0].preview


def test_suggestions_fit_the_alert(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    old_file(logs / "a.log", 30)
    cat = RemediationCatalogue(
        parse_config(
            {
                "clean_directories": [{"path": str(logs)}, {"path": "/nonexistent-dir"}],
                "scripts": {"rotate": {"argv": ["/bin/true"], "alerts": ["HostDiskFull"]}},
                "services": {"web": {"restart": ["/bin/true"], "alerts": ["EndpointDown"]}},
            }
        )
    )
    mount = {"mountpoint": str(logs.parent), "host": "h"}
    found = [(s.action, s.params) for s in candidates(cat, "HostDiskFull", mount)]
    assert found == [
        ("clean_directory", {"path": str(logs), "older_than_days": 7}),
        ("run_script", {"script": "rotate"}),
    ]
    assert [s.action for s in candidates(cat, "EndpointDown", {"endpoint": "web"})] == [
        "restart_service"
    ]
    procs = [{"pid": os.getpid(), "name": "python", "cpu_percent": 93.0}]
    kept, dropped = suggest(cat, "HostHighCpu", {"host": "h"}, procs)
    assert kept == [] and "that is opsbot itself" in dropped[0]  # dry run refused it
    kept, _ = suggest(cat, "HostDiskFull", mount)
    assert [k.action for k in kept] == ["clean_directory", "run_script"]
    assert kept[0].preview.startswith("Would delete 1 files") and kept[0].risk == "medium"
    assert candidates(cat, "HostHighCpu", {"host": "h"}, [{"pid": 5, "cpu_percent": 10}]) == []


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("restart web", ("restart_service", {"service": "web"})),
        ("kill pid 4242", ("kill_process", {"pid": 4242})),
        ("run the rotate script", ("run_script", {"script": "rotate"})),
    ],
)
def test_everyday_phrasings(make_runtime, tmp_path: Path, text: str, call: tuple) -> None:  # type: ignore[no-untyped-def]
    from graphs.offline.planner import Planner

    runtime = make_runtime(remediation_config=config_file(tmp_path, tmp_path / "logs"))
    plan = Planner(runtime.vocabulary(), {"run_remediation"}).plan(text)
    assert plan.calls == [("run_remediation", {"action": call[0], "params": call[1]})]
