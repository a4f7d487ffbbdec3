"""`POST /models/{name}/predictions|outcomes` on real HTTP (off, token, bad bodies, rejected
rows by index, 207), the CLI import from CSV and Parquet with bad lines named, and
`opsbot models performance`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.http.app import create_app
from bot.http.modelperf import modelperf_routes
from bot.http.server import HttpServer
from tests.bot_process import opsbot
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.suggest import candidates

TOKEN = "modelperf-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def serve(runtime: Any) -> Iterator[str]:
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, modelperf_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    yield f"http://127.0.0.1:{port}/models"
    server.stop()


@pytest.fixture
def url(make_runtime: Any) -> Iterator[str]:
    runtime = make_runtime(console_mode=False, modelperf_token=TOKEN)
    runtime.registry.register_version("churn", "s3://m/churn/1", metrics={"accuracy": 0.9})
    yield from serve(runtime)


def test_off_without_a_token(make_runtime: Any) -> None:
    for base in serve(make_runtime(console_mode=False)):
        answer = httpx.post(f"{base}/churn/predictions", json={"predictions": []}, headers=AUTH)
        assert answer.status_code == 404
        assert answer.json() == {
            "error": "Model prediction intake is off: set MODELPERF_TOKEN to enable it"
        }


def test_bodies_and_rows(url: str) -> None:
    def post(path: str, body: Any, **kw: Any) -> httpx.Response:
        return httpx.post(f"{url}/{path}", headers=AUTH, **({"json": body} | kw))

    assert httpx.post(f"{url}/churn/predictions", json={}).status_code == 401
    assert post("churn/predictions", None, content=b"{nope").status_code == 400
    wrong = post("churn/predictions", {"rows": []})
    assert wrong.status_code == 400 and '{"predictions": [...]}' in wrong.json()["error"]
    bad_version = post("churn/predictions", {"version": 9, "predictions": []})
    assert (
        bad_version.status_code == 400 and "churn has no version 9" in bad_version.json()["error"]
    )
    missing = post("ghost/outcomes", {"outcomes": [{"id": "a", "actual": 1}]})
    assert missing.status_code == 404
    rows = [
        {"id": "a", "timestamp": "2026-11-01T00:00:00Z", "prediction": 1, "score": 0.7},
        {"id": "b", "timestamp": "2026-11-01T00:00:00Z", "prediction": "high"},
    ]
    answer = post("churn/predictions", {"version": 1, "predictions": rows})
    assert answer.status_code == 207
    assert answer.json() == {
        "received": 2, "stored": 1, "duplicates": 0,
        "rejected": [{"index": 1, "id": "b", "reason": "prediction must be a number, got 'high'"}],
    }  # fmt: skip
    again = post("churn/predictions", {"version": 1, "predictions": rows[:1]})
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    outcome = post(
        "churn/outcomes", {"outcomes": [{"id": "a", "actual": 1}, {"id": "x", "actual": 0}]}
    )
    assert outcome.status_code == 207 and outcome.json()["rejected"][0]["index"] == 1


def test_cli_import_names_bad_lines_and_reports_performance(tmp_path: Path) -> None:
    env = {"OPSBOT_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> Any:
        return opsbot(*args, env=env, cwd=tmp_path, timeout=180)

    assert (
        run(
            "models", "register", "churn", "--source", "s3://m/1", "--metric", "accuracy=0.9"
        ).returncode
        == 0
    )
    csv = tmp_path / "p.csv"
    csv.write_text(
        "id,timestamp,prediction,score,plan\n"
        "a,2026-11-01T00:00:00Z,1,0.9,pro\n"
        "b,2026-11-01T00:00:00Z,NaN,,pro\n"
        "c,2026-11-01T00:00:00Z,0,0.2,free,extra\n"
        "d,2026-11-01T01:00:00Z,0,0.1,\n"
    )
    result = run("models", "import-predictions", "churn", str(csv), "--version", "1")
    assert result.returncode == 1, result.stderr
    assert "4 rows: 2 stored, 0 already stored, 2 rejected" in result.stdout
    assert "line 3 (id b): prediction is not a finite number ('NaN')" in result.stdout
    assert "line 4 (id c): more cells than the header has" in result.stdout
    outcomes = tmp_path / "o.csv"
    outcomes.write_text("id,actual\na,1\nzz,0\n")
    result = run("models", "import-outcomes", "churn", str(outcomes))
    assert "line 3 (id zz): no prediction with id zz for churn" in result.stdout
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    table = pa.table(
        {"id": ["e"], "timestamp": ["2026-11-01T02:00:00Z"], "prediction": [1], "score": [0.6]}
    )
    pq.write_table(table, tmp_path / "p.parquet")
    result = run(
        "models", "import-predictions", "churn", str(tmp_path / "p.parquet"), "--version", "1"
    )
    assert result.returncode == 0 and "1 rows: 1 stored" in result.stdout
    report = run("models", "performance", "churn", "--window", "1d")
    assert report.returncode == 0, report.stderr
    assert "churn v1 (classification)" in report.stdout
    assert run("models", "performance", "nope").returncode != 0
    check = run("models", "performance", "--check", "--json")
    assert check.returncode == 0 and check.stdout.strip() == "[]"


def test_the_rollback_is_suggested_and_retraining_only_when_in_the_catalogue() -> None:
    catalogue = RemediationCatalogue()
    labels = {"model": "bike", "alias": "production", "pipeline": "retrain-bike"}
    found = candidates(catalogue, "ModelPerformanceDrop", labels)
    assert [s.action for s in found] == ["set_model_alias"]  # no trigger_pipeline in this build
    assert found[0].params == {"name": "bike", "alias": "production", "version": None}
