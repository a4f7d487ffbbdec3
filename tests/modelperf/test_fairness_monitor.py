"""The `model_fairness` monitor and the fairness section of the model card, on real rows:
lifelines' Rossi recidivism data (432 released prisoners, `race`, re-arrested within a year),
a logistic regression's predictions stored as v1 of `recid` with their outcomes. The monitor's
check runs in its child process (`opsbot models fairness --check --json`) against the same
SQLite database; the figures are fairlearn's on the same rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from lifelines.datasets import load_rossi
from sklearn.linear_model import LogisticRegression

from bot.monitors.model_fairness import ModelFairnessMonitor
from bot.settings import SettingsError, load_settings
from core.access import Caller
from core.clock import utcnow
from tests.modelperf.conftest import register
from tools.modelperf.fairness import FairnessThresholds
from tools.modelperf.fairness_check import FairnessConfig, check_fairness
from tools.modelperf.rows import Outcome, Prediction
from tools.modelperf.service import ModelPerf

CALLER = Caller("U1", "cli")
TOL = 1e-12


@pytest.fixture(scope="module")
def rossi() -> dict[str, np.ndarray]:
    data = load_rossi()
    assert len(data) == 432  # the CSV shipped in the wheel
    x = data[["fin", "age", "wexp", "mar", "paro", "prio"]].to_numpy(dtype=float)
    y = data["arrest"].to_numpy()
    model = LogisticRegression(max_iter=1000).fit(x[:200], y[:200])
    pred = (model.predict_proba(x)[:, 1] >= 0.3).astype(int)
    race = np.where(data["race"].to_numpy() == 1, "black", "other")  # 379 and 53
    return {"y": y, "pred": pred, "race": race}


def _store(perf: ModelPerf, rossi: dict[str, np.ndarray], version: int, oracle: bool) -> None:
    """Version `version`'s predictions of every prisoner, and the outcomes; the oracle
    predicts the outcome itself (no equalized odds gap)."""
    now = utcnow()
    predicted = rossi["y"] if oracle else rossi["pred"]
    rows = [
        (
            Prediction(
                f"v{version}-{i}",
                now - timedelta(minutes=i),
                float(predicted[i]),
                None,
                {"race": str(rossi["race"][i])},
            ),
            version,
        )
        for i in range(len(predicted))
    ]
    perf.store.add_predictions("recid", rows)
    outcomes = [Outcome(f"v{version}-{i}", float(rossi["y"][i])) for i in range(len(predicted))]
    perf.store.add_outcomes("recid", outcomes)


def _gaps(rossi: dict[str, np.ndarray]) -> tuple[float, float]:
    y, pred, race = rossi["y"], rossi["pred"], rossi["race"]
    return (
        float(demographic_parity_difference(y, pred, sensitive_features=race)),
        float(equalized_odds_difference(y, pred, sensitive_features=race)),
    )


def test_monitor_opens_and_resolves_the_gap_incident(
    make_runtime: Any, rossi: dict[str, np.ndarray]
) -> None:
    _, eod = _gaps(rossi)
    assert eod > 0.05  # the model's errors differ by race on these rows
    runtime = make_runtime(
        model_fairness_features="recid=race",
        model_fairness_max_dpd=1.0,
        model_fairness_max_eod=round(eod / 2, 4),
        incident_autoresolve_checks=1,
    )
    register(runtime.registry, "recid", versions=2, accuracy=0.7)
    runtime.registry.set_alias("recid", "production", 1, actor="test")
    _store(runtime.model_perf, rossi, 1, oracle=False)
    service = runtime.incidents
    service.disable_triage()
    monitor = service.monitors().get("model_fairness")
    assert isinstance(monitor, ModelFairnessMonitor)

    report = service.run_checks(only={"model_fairness"})
    [run] = report.runs
    assert run.ok, run.error
    [finding] = run.findings
    assert finding.alertname == "ModelFairnessGap"
    assert finding.labels == {"model": "recid", "feature": "race"}
    [breach] = finding.details["breaches"]
    assert breach["metric"] == "eod" and abs(breach["value"] - eod) < TOL
    fields = dict(finding.fields)
    assert fields["version"] == "v1" and fields["eod"].startswith(f"{eod:.3f} (max ")
    assert fields["race=other"].startswith("53 rows, selected ")  # per-group evidence
    [(incident_id, change)] = report.changes
    assert change == "opened"
    assert "fairness gap over threshold" in service.engine.get(incident_id).title

    monitor.min_interval = 0.0  # look again now; the same gap is the same incident
    again = service.run_checks(only={"model_fairness"})
    assert [c for _, c in again.changes] != ["opened"]
    assert {i for i, _ in again.changes} == {incident_id}

    # the new version predicts the outcome: no equalized odds gap, the incident resolves
    _store(runtime.model_perf, rossi, 2, oracle=True)
    runtime.registry.set_alias("recid", "production", 2, actor="test")
    cleared = service.run_checks(only={"model_fairness"})
    assert cleared.runs[0].ok and cleared.runs[0].findings == []
    assert cleared.changes == [(incident_id, "resolved")]
    assert monitor.unjudged == []


def test_too_few_rows_is_reported_not_alerted_and_keeps_the_incident(
    perf: ModelPerf, registry: Any, rossi: dict[str, np.ndarray]
) -> None:
    register(registry, "recid", versions=1)
    registry.set_alias("recid", "production", 1, actor="test")
    _store(perf, rossi, 1, oracle=False)
    config = FairnessConfig({"recid": ("race",)}, FairnessThresholds(1.0, 0.0), 30)
    current = [config]
    monitor = ModelFairnessMonitor(
        lambda: perf.store.count() > 0,
        lambda: check_fairness(perf, current[0], utcnow()),
        min_interval=0.0,
    )
    [opened] = monitor.run(utcnow())
    _, eod = _gaps(rossi)
    assert abs(opened.details["breaches"][0]["value"] - eod) < TOL
    # 379 black and 53 other prisoners: with groups of 100 at least, there is no gap
    current[0] = FairnessConfig({"recid": ("race",)}, FairnessThresholds(1.0, 0.0), 100)
    held = monitor.run(utcnow())
    assert held == [opened]  # not judged is not "all clear": the incident stays
    [unjudged] = monitor.unjudged
    assert (unjudged.model, unjudged.feature) == ("recid", "race")
    assert "under 100 rows not compared: other" in unjudged.reason
    # never judged before: reported, not alerted
    fresh = ModelFairnessMonitor(lambda: True, lambda: check_fairness(perf, current[0], utcnow()))
    assert fresh.run(utcnow()) == [] and fresh.unjudged[0].feature == "race"
    # a model without outcomes, or a feature its predictions lack: not judged, with why
    register(registry, "silent", versions=1)
    lacking = FairnessConfig({"recid": ("sex",), "silent": ("race",)})
    result = check_fairness(perf, lacking, utcnow())
    assert result.findings == []
    reasons = {u.model: u.reason for u in result.unjudged}
    assert "carry no feature sex" in reasons["recid"]
    assert "no predictions of silent are stored yet" in reasons["silent"]


def test_the_model_card_shows_the_fairness_gaps(
    make_runtime: Any, rossi: dict[str, np.ndarray]
) -> None:
    dpd, eod = _gaps(rossi)
    runtime = make_runtime(model_fairness_features={"recid": ["race"]}, model_fairness_max_dpd=0.0)
    register(runtime.registry, "recid", versions=1, accuracy=0.7)
    register(runtime.registry, "other", versions=1)
    runtime.registry.set_alias("recid", "production", 1, actor="test")
    status = runtime.toolbox.get("model_status")
    empty = status.invoke({"name": "recid"}, CALLER)
    assert empty.ok and "Fairness: not measured: no outcomes of recid v1 have arrived" in empty.text
    _store(runtime.model_perf, rossi, 1, oracle=False)
    card = status.invoke({"name": "recid"}, CALLER)
    assert card.ok and "Fairness of v1 (predictions of the last 30d):" in card.text
    assert f"gaps: DPD {dpd:.3f}, EOD {eod:.3f}" in card.text
    assert "Over threshold: race: demographic parity difference" in card.text
    [feature] = card.data["fairness"]["features"]
    assert abs(feature["dpd"] - dpd) < TOL and abs(feature["eod"] - eod) < TOL
    # a model without configured features has no fairness section
    plain = status.invoke({"name": "other"}, CALLER)
    assert plain.ok and "Fairness" not in plain.text and "fairness" not in plain.data


def test_the_card_says_when_groups_are_too_small(
    make_runtime: Any, rossi: dict[str, np.ndarray]
) -> None:
    runtime = make_runtime(model_fairness_features="recid=race", model_fairness_min_group_size=100)
    register(runtime.registry, "recid", versions=1)
    runtime.registry.set_alias("recid", "production", 1, actor="test")
    _store(runtime.model_perf, rossi, 1, oracle=False)
    card = runtime.toolbox.get("model_status").invoke({"name": "recid"}, CALLER)
    assert card.ok and "too few rows" in card.text  # "other": 53 prisoners
    assert "only one group to compare: no gap" in card.text  # "black": 379


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model_fairness_features": "fraud=;churn=age"}, "expected name=a,b pairs"),
        ({"model_fairness_features": "fraud"}, "expected name=a,b pairs"),
        ({"model_fairness_features": '{"fraud": "region"}'}, "must be model=feature"),
        ({"model_fairness_features": "{not json"}, "not JSON"),
        ({"model_fairness_max_dpd": 1.5}, "MODEL_FAIRNESS_MAX_DPD"),
        ({"model_fairness_max_eod": -0.1}, "MODEL_FAIRNESS_MAX_EOD"),
        ({"model_fairness_min_group_size": 0}, "MODEL_FAIRNESS_MIN_GROUP_SIZE"),
        ({"model_fairness_window": "soon"}, "MODEL_FAIRNESS_WINDOW"),
    ],
)
def test_bad_settings_are_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(**overrides)


def test_settings_parse_both_forms() -> None:
    text = load_settings(model_fairness_features="fraud-detector=region,sex; churn=age_band")
    assert text.fairness_config().features == {
        "fraud-detector": ("region", "sex"),
        "churn": ("age_band",),
    }
    data = load_settings(
        model_fairness_features='{"fraud": ["region"]}', model_fairness_window="7d"
    )
    config = data.fairness_config()
    assert config.features == {"fraud": ("region",)} and config.window == timedelta(days=7)
    assert config.thresholds == FairnessThresholds(0.1, 0.1)


def test_a_bad_child_output_is_a_clear_error() -> None:
    from tools.modelperf.fairness_check import FairnessCheck

    with pytest.raises(ValueError, match="must be an object"):
        FairnessCheck.from_json([])
    with pytest.raises(ValueError, match="not a finding"):
        FairnessCheck.from_json({"findings": [{"title": "x"}]})
    with pytest.raises(ValueError, match="not an unjudged feature"):
        FairnessCheck.from_json({"findings": [], "unjudged": [{"model": "m"}]})
    empty = FairnessCheck.from_json({"findings": [], "unjudged": []})
    assert empty.findings == [] and empty.unjudged == []


def test_the_cli_answers_and_names_what_is_missing(
    tmp_path: Any, make_runtime: Any, rossi: dict[str, np.ndarray]
) -> None:
    from tests.bot_process import opsbot

    data = tmp_path / "data"
    setup = make_runtime(data_dir=data)
    register(setup.registry, "recid", versions=1)
    register(setup.registry, "other", versions=1)
    setup.registry.set_alias("recid", "production", 1, actor="test")
    _store(setup.model_perf, rossi, 1, oracle=False)
    setup.close()
    env = {"OPSBOT_DATA_DIR": str(data), "MODEL_FAIRNESS_FEATURES": "recid=race"}

    def run(*args: str) -> Any:
        return opsbot("models", "fairness", *args, env=env, cwd=tmp_path, timeout=180)

    answer = run("recid")
    assert answer.returncode == 0, answer.stderr
    assert "Fairness over 432 rows" in answer.stdout and "race:" in answer.stdout
    missing = run("other")
    assert missing.returncode == 2 and "name a --feature" in missing.stderr
    nameless = run()
    assert nameless.returncode == 2 and "name the model" in nameless.stderr
    check = run("--check")
    assert check.returncode == 0, check.stderr
    assert "Model recid v1: fairness gap over threshold" in check.stdout
