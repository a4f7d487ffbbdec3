"""`opsbot models ...` and the newcomer's path: demo, ask, roll back, approve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.bot_process import opsbot
from tests.registry.conftest import BIKE_CURRENT, BIKE_DRIFTED, BIKE_REFERENCE


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(data))
    return data


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_newcomer_path(workspace: Path, capsys: Any) -> None:
    """`opsbot demo`, then the question in a real `opsbot` process, then roll back + approve."""
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    assert "model bike-demand: created, 3 versions" in out

    env = {"OPSBOT_DATA_DIR": str(workspace), "LLM_PROVIDER": "offline"}
    asked = opsbot("ask", "is bike-demand drifting?", env=env, cwd=workspace.parent)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("Yes, bike-demand is drifting: 6 of 11 features drifted")
    assert "No drift: season, hr, holiday, weekday, workingday" in asked.stdout
    assert "written to " in asked.stdout and ".png" in asked.stdout

    code, out, err = run(capsys, "ask", "roll back bike-demand", "--json")
    assert code == 0, err
    pending = json.loads(out)["pending_approval"]
    assert pending["action"] == "set_model_alias"
    assert "from v3 to v2" in pending["preview"] and "rmse" in pending["preview"]
    assert "Drift of v2: DRIFT" in pending["preview"]

    code, out, err = run(capsys, "approve", pending["id"])
    assert code == 0, err
    assert "rolled back from v3 to v2" in out
    code, out, _ = run(capsys, "models", "show", "bike-demand", "--json")
    assert json.loads(out)["live_version"] == 2


def test_drift_json_has_exactly_the_promised_shape(demo_workspace: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, "models", "drift", "bike-demand", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"dataset_drift", "drift_share", "features"}
    assert data["dataset_drift"] is True
    assert {f["name"] for f in data["features"] if f["drifted"]} == BIKE_DRIFTED
    # each feature has these five keys, plus what the reference holds of a column with few
    # values (`tools.registry.render.reference_facts`), and nothing else
    always = {"name", "test", "statistic", "threshold", "drifted"}
    facts = {"reference_distinct", "reference_value", "new_share"}
    for feature in data["features"]:
        assert always <= set(feature) <= always | facts
    month = next(f for f in data["features"] if f["name"] == "mnth")
    assert month["reference_distinct"] == 1
    code, out, _ = run(capsys, "models", "drift", "fraud-detector", "--json")
    assert json.loads(out)["dataset_drift"] is False
    code, out, _ = run(capsys, "models", "drift", "bike-demand", "--history")
    assert "DRIFT: 6 of 11 features drifted" in out


def test_register_data_alias_and_history(workspace: Path, capsys: Any, tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "models", "register", "churn", "--source", "s3://m/churn/1", "--metric", "auc=0.8",
        "--param", "depth=4", "--reference", str(BIKE_REFERENCE), "--current", str(BIKE_CURRENT),
        "--features", "temp,hum", "--model-description", "churn risk",
    )  # fmt: skip
    assert code == 0, err
    assert "registered churn v1 (READY)" in out and "drift data set" in out
    code, out, _ = run(capsys, "models", "register", "churn", "--source", "s3://m/churn/2",
                       "--metric", "auc=0.85", "--json")  # fmt: skip
    assert json.loads(out)["version"] == 2
    code, out, err = run(capsys, "models", "data", "churn", "2", "--reference", str(BIKE_REFERENCE),
                         "--current", str(BIKE_CURRENT), "--features", "temp")  # fmt: skip
    assert code == 0, err
    code, out, _ = run(capsys, "models", "drift", "churn", "--version", "v1", "--json")
    assert [f["name"] for f in json.loads(out)["features"]] == ["temp", "hum"]

    code, out, _ = run(capsys, "models", "alias", "churn", "production", "2", "--reason", "launch")
    assert code == 0 and "APPROVAL NEEDED" in out and "run: opsbot approve" in out
    approval = out.split("APPROVAL NEEDED ")[1].split()[0]
    assert f"run: opsbot approve {approval}   or: opsbot reject {approval}" in out
    code, out, err = run(capsys, "approve", approval)
    assert code == 0, err
    assert "production of churn moved from (unset) to v2" in out
    code, out, _ = run(capsys, "models", "history", "churn", "--json")
    [change] = json.loads(out)
    assert (change["to_version"], change["reason"], change["kind"]) == (2, "launch", "set")
    code, out, _ = run(capsys, "models", "list", "--json")
    assert [m["name"] for m in json.loads(out)] == ["churn"]
    code, out, _ = run(capsys, "models", "show", "churn")
    assert "churn: 2 version(s); production → v2" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["models", "drift", "nope"], "unknown model 'nope'"),
        (["models", "show", "bike-demnd"], "did you mean 'bike-demand'"),
        (["models", "alias", "bike-demand", "latest", "2"], "reserved"),
        (["models", "alias", "bike-demand", "production", "v9"], "has no version 9"),
        (["models", "alias", "bike-demand", "production", "3"], "already points to v3"),
        (["models", "drift", "bike-demand", "--version", "0"], "must be 1 or more"),
        (["models", "register", "x", "--source", "s3://a/b", "--metric", "rmse"], "name=value"),
        (
            ["models", "register", "x", "--source", "s3://a/b", "--reference", "r.csv"],
            "exactly one current",
        ),
        (["models", "data", "bike-demand", "1"], "give the data"),
        (
            [
                "models",
                "data",
                "bike-demand",
                "1",
                "--reference",
                "/no/such.csv",
                "--current",
                "/no/c.csv",
            ],
            "data file not found",
        ),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(
    demo_workspace: Path, capsys: Any, argv: list[str], message: str
) -> None:
    before = run(capsys, "models", "list", "--json")[1]
    code, _, err = run(capsys, *argv)
    assert code != 0
    assert err.startswith("opsbot: ") and message in err
    assert "Traceback" not in err
    assert run(capsys, "approvals", "--json")[1].strip() == "[]"
    assert run(capsys, "models", "list", "--json")[1] == before
