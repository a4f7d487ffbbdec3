"""Scheduled drift checks run in a short-lived child (issue 11 item 18): numpy, scipy,
pandas and matplotlib never enter the server through the scheduler, the findings come back
as data and the incident flow is the same (tests/incidents/test_triage.py covers it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.children import ChildFailed, run_child
from tests.bot_process import REPO, clean_env
from tools.registry.checks import Finding

NUMERIC = ("numpy", "scipy", "pandas", "matplotlib")

PROBE = """
import json, sys
from datetime import datetime, timezone
from bot.settings import load_settings
from bot.runtime import Runtime
from bot.incidents.wiring import build_monitors

quiet = {f"host_{r}_pct": 100 for r in ("cpu", "mem", "disk", "swap", "inodes")}
runtime = Runtime(load_settings(**quiet))
drift = build_monitors(runtime).get("drift")
found = drift.run(datetime.now(timezone.utc))
after_check = sorted(m for m in %(numeric)r if m in sys.modules)
service = runtime.incidents
service.config.background = False
report = service.run_checks(only={"drift"})  # opens the incident and triages it here
after_triage = sorted(m for m in %(numeric)r if m in sys.modules)
runtime.close()
print(json.dumps({
    "alerts": [f.alertname for f in found],
    "after_check": after_check,
    "after_triage": after_triage,
    "changes": [c[1] for c in report.changes],
}))
"""


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace of `opsbot demo` (bike-demand v3 drifts), made once."""
    data = tmp_path_factory.mktemp("drift-child") / "data"
    subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=REPO, env=clean_env(OPSBOT_DATA_DIR=str(data)), capture_output=True, check=True,
        timeout=300,
    )  # fmt: skip
    return data


def test_scheduled_drift_checks_leave_numeric_code_out_of_the_server(demo_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % {"numeric": NUMERIC}],
        cwd=REPO,
        env=clean_env(OPSBOT_DATA_DIR=str(demo_dir), OPSBOT_EMBEDDING="minilm-int8"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["alerts"] == ["ModelDataDrift"]
    assert result["after_check"] == []  # the check ran in its child
    assert result["changes"] == ["opened"]
    # triage reads the stored report and the plot the child drew; only the runbook search
    # brings numpy (our own BM25: no scipy), never pandas or matplotlib
    assert "scipy" not in result["after_triage"]
    assert "pandas" not in result["after_triage"]
    assert "matplotlib" not in result["after_triage"]
    plots = list((demo_dir / "plots").glob("bike-demand-v3-drift-*.png"))
    assert plots, "the child draws the drifted features' plot for the incident"


def test_models_check_prints_the_findings_as_data(make_runtime, demo_dir: Path) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(data_dir=demo_dir)
    out = run_child(runtime.child_settings(), "models", "check", "--json", timeout=300)
    [finding] = [Finding.from_dict(row) for row in json.loads(out)]
    assert finding.kind == "model_drift" and finding.key == "bike-demand:v3"
    assert finding.labels["alertname"] == "ModelDataDrift"
    assert "6 of 11 features" in finding.title


def test_a_failing_child_is_an_error_naming_it(make_runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    with pytest.raises(ChildFailed, match=r"`opsbot models check` failed \(exit 2\): .*--bogus"):
        run_child(runtime.child_settings(), "models", "check", "--bogus", timeout=120)


def test_a_child_past_its_timeout_is_killed(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    with pytest.raises(ChildFailed, match="did not finish in 0 s"):
        run_child(runtime.child_settings(), "models", "check", "--json", timeout=0.2)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([], "must be an object"),
        ({"kind": "x"}, "has the keys"),
        (
            {"kind": "k", "key": "k", "severity": "warning", "title": "t", "summary": "s",
             "labels": {"a": 1}, "evidence": ""},
            "labels must map text to text",
        ),
        (
            {"kind": "k", "key": "k", "severity": None, "title": "t", "summary": "s",
             "labels": {}, "evidence": ""},
            "severity must be text",
        ),
    ],
)  # fmt: skip
def test_bad_finding_data_is_refused(row: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Finding.from_dict(row)
