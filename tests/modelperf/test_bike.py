"""Performance over time with real ground truth: the bike-sharing hourly counts (hour.csv).

A random half of the hours (seed 0) trains a scikit-learn model inside the test; the other half
is posted as the model's predictions, then their outcomes. 2011 is the reference period and
2012 is reported week by week.

Measured on this data (docs/modelperf.md): the DLE band holds the realised MAE or RMSE in 85
of the 104 week-metrics of 2012's 52 full weeks (the 53rd, partial, has too few outcomes); the
CBPE band holds the realised accuracy, precision, recall or AUC in 191 of 208. The tests
require at least 75% and 80%. A model trained on January 2011 only and asked about the spring shows a realised drop
that is a `ModelPerformanceDrop` for the monitor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from tests.modelperf.conftest import Bike, register
from tools.modelperf.findings import drop_findings
from tools.modelperf.options import Options
from tools.modelperf.service import ModelPerf
from tools.registry.service import ModelRegistry

WEEKLY = Options(
    window=timedelta(days=7), reference=timedelta(days=365), min_labelled=50, max_windows=60
)
YEAR_2012 = datetime(2012, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def split(bike: Bike) -> np.ndarray:
    return np.random.default_rng(0).random(len(bike.y)) < 0.5


def post(
    perf: ModelPerf,
    name: str,
    rows: list[dict[str, Any]],
    outcomes: dict[Any, float],
    cut: datetime,
) -> None:
    """The reference period's predictions and outcomes; then the later predictions, estimated
    only (no outcome yet); then their outcomes, as they would arrive."""

    def send(batch: list[dict[str, Any]]) -> None:
        for start in range(0, len(batch), 5000):
            chunk = batch[start : start + 5000]
            assert perf.intake.predictions(name, chunk, batch_version=1).rejected == []
            labels = [{"id": r["id"], "actual": outcomes[r["id"]]} for r in chunk]
            if batch is early:
                assert perf.intake.outcomes(name, labels).rejected == []

    early = [r for r in rows if datetime.fromisoformat(r["timestamp"]) < cut]
    late = [r for r in rows if datetime.fromisoformat(r["timestamp"]) >= cut]
    send(early)
    send(late)
    before, _ = perf.report(name)
    assert before.windows and all(w.labelled == 0 and not w.realised for w in before.windows)
    assert all(w.estimated for w in before.windows)
    assert before.windows[0].note == f"not enough outcomes yet: 0 of {perf.options.min_labelled}"
    labels = [{"id": r["id"], "actual": outcomes[r["id"]]} for r in late]
    for start in range(0, len(labels), 5000):
        assert perf.intake.outcomes(name, labels[start : start + 5000]).rejected == []


def inside(report: Any) -> tuple[int, int]:
    hits = total = 0
    for w in report.windows:
        real = {e.metric: e.value for e in w.realised}
        for e in w.estimated:
            if e.metric in real:
                total += 1
                hits += e.low <= real[e.metric] <= e.high
    return hits, total


def test_dle_tracks_the_realised_mae_and_rmse_week_by_week(
    perf: ModelPerf, registry: ModelRegistry, bike: Bike
) -> None:
    train = split(bike)
    model = RandomForestRegressor(n_estimators=50, min_samples_leaf=3, random_state=0)
    model.fit(bike.x[train], bike.y[train])
    pred = model.predict(bike.x)
    held = np.flatnonzero(~train)
    register(registry, "bike-demand")
    perf.options = WEEKLY
    rows = [
        {"id": int(i), "timestamp": bike.ts[i].isoformat(), "prediction": float(pred[i]),
         "features": bike.features(i)}
        for i in held
    ]  # fmt: skip
    post(perf, "bike-demand", rows, {int(i): bike.y[i] for i in held}, YEAR_2012)
    report, _ = perf.report("bike-demand")
    assert (report.task, report.estimator, len(report.windows)) == ("regression", "DLE", 53)
    assert report.reference_source == {"mae": "reference period", "rmse": "reference period"}
    assert report.windows[0].start == YEAR_2012
    for w in report.windows[:52]:  # every full week has its realised figures with intervals
        mae = next(e for e in w.realised if e.metric == "mae")
        assert mae.low <= mae.value <= mae.high and 10 < mae.value < 120
        labelled = [i for i in held if w.start <= bike.ts[i] < w.end]
        truth = np.mean(np.abs(bike.y[labelled] - pred[labelled]))
        assert mae.value == pytest.approx(truth)
    hits, total = inside(report)
    assert total == 104 and hits >= 0.75 * total, f"{hits} of {total} inside"


def test_cbpe_tracks_the_realised_classification_metrics(
    perf: ModelPerf, registry: ModelRegistry, bike: Bike
) -> None:
    train = split(bike)
    busy = (bike.y > np.median(bike.y[train])).astype(float)  # cnt above the training median
    model = LogisticRegression(max_iter=2000).fit(bike.x[train], busy[train])
    score = model.predict_proba(bike.x)[:, 1]
    held = np.flatnonzero(~train)
    register(registry, "bike-busy")
    perf.options = WEEKLY
    rows = [
        {"id": int(i), "timestamp": bike.ts[i].isoformat(), "prediction": int(score[i] >= 0.5),
         "score": float(score[i])}
        for i in held
    ]  # fmt: skip
    post(perf, "bike-busy", rows, {int(i): busy[i] for i in held}, YEAR_2012)
    report, _ = perf.report("bike-busy")
    assert (report.task, report.estimator) == ("classification", "CBPE")
    names = {e.metric for e in report.windows[0].realised}
    assert names == {"accuracy", "precision", "recall", "auc", "calibration_error"}
    hits, total = inside(report)
    assert total >= 200 and hits >= 0.8 * total, f"{hits} of {total} inside"


def test_a_model_of_january_drops_in_spring(
    perf: ModelPerf, registry: ModelRegistry, bike: Bike
) -> None:
    start = bike.ts[0]
    train = np.array([t < start + timedelta(days=28) for t in bike.ts])
    model = RandomForestRegressor(n_estimators=30, min_samples_leaf=3, random_state=0)
    pred = model.fit(bike.x[train], bike.y[train]).predict(bike.x)
    later_start = start + timedelta(days=56)  # 4 weeks of reference after the 4 of training
    period = (start + timedelta(days=28), start + timedelta(days=112))
    later = [i for i, t in enumerate(bike.ts) if period[0] <= t < period[1]]
    register(registry, "bike-demand", versions=2, mae=17.0, rmse=27.0)
    registry.set_alias("bike-demand", "production", 1, actor="ann")
    perf.options = Options(window=timedelta(days=7), reference=timedelta(days=28), min_labelled=50)
    rows = [
        {"id": i, "timestamp": bike.ts[i].isoformat(), "prediction": float(pred[i]),
         "features": bike.features(i)}
        for i in later
    ]  # fmt: skip
    post(perf, "bike-demand", rows, {i: bike.y[i] for i in later}, later_start)
    report, alias = perf.report("bike-demand")
    assert alias == "production" and report.reference_source["mae"] == "registry"
    latest = report.latest
    assert latest is not None and {d.metric for d in latest.drops} == {"mae", "rmse"}
    assert all(not d.estimated and d.low > 17.0 * 1.05 for d in latest.drops if d.metric == "mae")
    checked, problems = perf.check()
    assert problems == []
    [finding] = drop_findings(checked, {"bike-demand": "retrain-bike"})
    assert finding.alertname == "ModelPerformanceDrop"
    assert finding.labels == {
        "model": "bike-demand",
        "alias": "production",
        "pipeline": "retrain-bike",
    }
    assert "mae" in finding.title and "worse than its reference" in finding.title
