"""End to end: the real `opsbot run`, predictions and outcomes posted over HTTP, the monitor's
check in its child process, a `ModelPerformanceDrop` incident in the Slack emulator's channel
with the alias rollback suggested as an approval.

The model: a random forest trained on January 2011 of the bike-sharing hours, registered as
v2 of `bike-demand` (production 1 -> 2); its February predictions are the reference period,
March and April are worse. `trigger_pipeline` (the retraining action) is not in this branch's
remediation catalogue, so only the rollback is suggested here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor

from tests.emulators.slack import SlackEmulator
from tests.incidents.proc import OpsbotRun, free_port
from tests.modelperf.conftest import Bike
from tests.slack.helpers import BOT_TOKEN, SECRET

pytestmark = pytest.mark.slow

CHANNEL = "C0INCIDENTS"
TOKEN = "modelperf-token-0123456789"


def _predictions(bike: Bike) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    start = bike.ts[0]
    train = np.array([t < start + timedelta(days=28) for t in bike.ts])
    model = RandomForestRegressor(n_estimators=30, min_samples_leaf=3, random_state=0)
    pred = model.fit(bike.x[train], bike.y[train]).predict(bike.x)
    later = [
        i
        for i, t in enumerate(bike.ts)
        if start + timedelta(days=28) <= t < start + timedelta(days=112)
    ]
    rows = [
        {"id": f"h{i}", "timestamp": bike.ts[i].isoformat(), "prediction": float(pred[i]),
         "features": bike.features(i)}
        for i in later
    ]  # fmt: skip
    return rows, [{"id": f"h{i}", "actual": float(bike.y[i])} for i in later]


def test_posted_predictions_and_outcomes_open_a_drop_incident_with_the_rollback(
    tmp_path: Path, make_runtime: Any, bike: Bike
) -> None:
    data = tmp_path / "data"  # made by the data_dir fixture behind make_runtime
    setup = make_runtime(data_dir=data)
    for number in (1, 2):
        setup.registry.register_version(
            "bike-demand", f"s3://models/bike/{number}", metrics={"mae": 17.0, "rmse": 27.0}
        )
        setup.registry.set_alias("bike-demand", "production", number, actor="ann")
    setup.close()
    emulator = SlackEmulator(bot_user_id="U0BOT").start()
    port = free_port()
    env = {
        "OPSBOT_DATA_DIR": str(data),
        "PORT": str(port),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": emulator.url,
        "INCIDENT_CHANNEL": CHANNEL,
        "ONCALL_USERS": "U0ONCALL",
        "CHECK_INTERVAL_SECONDS": "1",
        "MONITOR_SUSTAIN_SAMPLES": "1",
        "HOST_DISK_PCT": "100",
        "HOST_CPU_PCT": "100",
        "HOST_MEM_PCT": "100",
        "HOST_SWAP_PCT": "100",
        "DISK_FORECAST_HOURS": "0",
        "MODELPERF_TOKEN": TOKEN,
        "MODELPERF_WINDOW": "7d",
        "MODELPERF_REFERENCE": "28d",
        "MODELPERF_MIN_OUTCOMES": "50",
        "MODELPERF_CHECK_INTERVAL_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    rows, outcomes = _predictions(bike)
    bot = OpsbotRun(tmp_path, env)
    try:
        bot.wait_healthy(port)
        base = f"http://127.0.0.1:{port}/models/bike-demand"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(timeout=60) as http:
            assert (
                http.post(f"{base}/predictions", json={"predictions": rows[:1]}).status_code == 401
            )
            unknown = http.post(
                f"http://127.0.0.1:{port}/models/nope/predictions",
                json={"predictions": rows},
                headers=auth,
            )
            assert unknown.status_code == 404 and "no model named 'nope'" in unknown.json()["error"]
            for start in range(0, len(rows), 500):
                answer = http.post(
                    f"{base}/predictions",
                    json={"predictions": rows[start : start + 500]},
                    headers=auth,
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["stored"] == len(rows[start : start + 500])
            for start in range(0, len(outcomes), 500):
                answer = http.post(
                    f"{base}/outcomes",
                    json={"outcomes": outcomes[start : start + 500]},
                    headers=auth,
                )
                assert answer.status_code == 200, answer.text

        def drop_posts() -> list[Any]:
            return [
                c for c in emulator.posts(CHANNEL)
                if not c.params.get("thread_ts") and "worse than its reference" in str(c.params)
            ]  # fmt: skip

        root = emulator.wait_for(drop_posts, 120, what="the ModelPerformanceDrop incident")[0]
        ts = root.response["ts"]
        assert "bike-demand v2" in json.dumps(root.params)

        def rollback_offered() -> bool:
            message = emulator.message(CHANNEL, ts)
            return message is not None and "set_model_alias" in json.dumps(
                message.get("blocks", [])
            )

        emulator.wait_for(rollback_offered, 120, what="the rollback suggested by triage")
        blocks = json.dumps(emulator.message(CHANNEL, ts))
        assert "approval_approve" in blocks and "trigger_pipeline" not in blocks
        assert bot.stop() == 0
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()
        emulator.stop()
