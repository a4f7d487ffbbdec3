"""The anomaly monitor on real stored samples: quiet while learning, an incident-ready finding
with value, expected range, onset and a PNG at a level shift, the same after a restart (state
in the database), gone once the value is back in its range."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.monitors.anomaly import AnomalyMonitor
from bot.monitors.samples import SampleStore
from core.access import Caller
from tools.anomaly.detector import DetectorConfig
from tools.anomaly.states import DetectorStates
from tools.anomaly.watch import feed

START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=100)
CONFIG = DetectorConfig(learning_points=300)


def _series(n: int, level: float, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [level + rng.uniform(-3, 3) for _ in range(n)]


def _record(store: SampleStore, values: list[float], first: int) -> datetime:
    at = START
    for i, value in enumerate(values, start=first):
        at = START + timedelta(seconds=10 * i)
        store.record(at, {"cpu": value})
    return at


def test_learning_then_a_level_shift_then_back(engine: Any, tmp_path: Path) -> None:
    samples = SampleStore(engine)
    plots = tmp_path / "plots"
    monitor = AnomalyMonitor(samples, DetectorStates(engine, CONFIG), ("cpu",), plots)
    last = _record(samples, _series(300, 20.0), 0)
    assert monitor.run(last) == []  # all of it was the learning period
    [state] = DetectorStates(engine, CONFIG).all()
    assert state.detector.seen == 300 and not state.detector.learning

    last = _record(samples, [*_series(40, 20.0, seed=8), 85.0, 86.0, 84.0], 300)
    [finding] = monitor.run(last)
    assert finding.alertname == "MetricAnomaly" and finding.labels == {"series": "cpu"}
    assert finding.title.startswith("cpu is anomalous: 84.0, expected 17.")
    fields = dict(finding.fields)
    low, high = (float(x) for x in fields["expected"].split("–"))
    assert 16.9 < low < 17.1 and 22.9 < high < 23.1
    assert Path(fields["plot"]).stat().st_size > 1000  # a real PNG
    assert Path(fields["plot"]).read_bytes()[:4] == b"\x89PNG"

    # a restart: a new monitor reads the stored state; still anomalous, nothing re-learned
    again = AnomalyMonitor(samples, DetectorStates(engine, CONFIG), ("cpu",), plots)
    [still] = again.run(last)
    assert still.title == finding.title
    assert DetectorStates(engine, CONFIG).all()[0].detector.seen == 343

    last = _record(samples, [21.0], 343)
    assert again.run(last) == []  # back in its range
    assert DetectorStates(engine, CONFIG).all()[0].anomalous_since is None


def test_gaps_and_old_samples_are_skipped(engine: Any) -> None:
    states = DetectorStates(engine, CONFIG)
    state = states.load("memory")
    points = [
        (START + timedelta(seconds=i), float("nan") if i % 7 == 0 else 50.0) for i in range(400)
    ]
    verdict = feed(state, points)
    assert verdict.seen == 400 - len(range(0, 400, 7)) and not verdict.anomalous
    again = feed(state, points[:10])  # already seen: not fed twice
    assert again.seen == verdict.seen and again.value == 50.0


def test_an_unreadable_state_learns_again(engine: Any) -> None:
    from sqlmodel import Session

    from tools.anomaly.tables import AnomalyStateRow

    with Session(engine) as session:
        session.add(AnomalyStateRow(series="swap", state="{not json"))
        session.commit()
    state = DetectorStates(engine, CONFIG).load("swap")
    assert state.detector.seen == 0 and state.detector.learning


def test_the_configured_monitor_opens_an_incident(make_runtime, database_url) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(database_url=database_url, anomaly_series=["cpu"])
    samples = SampleStore(runtime.engine)
    start = datetime.now(UTC) - timedelta(minutes=110)
    values = [*_series(640, 20.0), 90.0, 91.0]  # the default learning period is 600 points
    for i, value in enumerate(values):
        samples.record(start + timedelta(seconds=10 * i), {"cpu": value})
    service = runtime.incidents
    service.disable_triage()
    report = service.run_checks(only={"anomaly"})
    [run] = report.runs
    assert run.ok, run.error
    [(incident_id, change)] = report.changes
    row = service.engine.get(incident_id)
    assert change == "opened" and row.alertname == "MetricAnomaly"
    assert row.title.startswith("cpu is anomalous: 91.0")
    # the agent's view: which series are anomalous, which still learn
    tool = runtime.toolbox.get("series_anomalies")
    result = tool.invoke({}, Caller("U1", "cli"))
    assert result.ok and "cpu: ANOMALOUS since" in result.text
    assert result.data["series"][0]["seen"] == 642


def test_a_series_in_its_learning_period_is_reported_as_such(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(anomaly_series=["cpu", "memory"])
    result = runtime.toolbox.get("series_anomalies").invoke({}, Caller("U1", "cli"))
    assert "cpu: no samples yet (the host series are cpu, memory, swap" in result.text
    samples = SampleStore(runtime.engine)
    start = datetime.now(UTC) - timedelta(minutes=5)
    for i in range(12):
        samples.record(start + timedelta(seconds=10 * i), {"memory": 40.0})
    runtime.incidents.run_checks(only={"anomaly"})
    result = runtime.toolbox.get("series_anomalies").invoke({}, Caller("U1", "cli"))
    assert "memory: learning (12 of 600 samples); no alert yet" in result.text
    assert make_runtime(anomaly_series=[]).toolbox.get("series_anomalies") is None


def test_triage_attaches_the_anomaly_plot_to_its_note(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(anomaly_series=["cpu"])
    samples = SampleStore(runtime.engine)
    start = datetime.now(UTC) - timedelta(minutes=110)
    for i, value in enumerate([*_series(640, 20.0), 90.0, 91.0]):
        samples.record(start + timedelta(seconds=10 * i), {"cpu": value})
    service = runtime.incidents
    service.config.background = False  # triage inline, as `opsbot check` runs it
    report = service.run_checks(only={"anomaly"})
    [(incident_id, change)] = report.changes
    assert change == "opened"
    triaged = next(e for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    [plot] = triaged.data["files"]
    assert plot["filename"] == "anomaly-cpu.png" and "band" in plot["title"]
    assert Path(plot["path"]).read_bytes()[:4] == b"\x89PNG"
