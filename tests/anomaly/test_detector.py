"""The streaming detector on real NAB series and on the inputs a live series brings."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import Invalid
from tools.anomaly.detector import DetectorConfig, StreamingDetector
from tools.anomaly.nab.corpus import LabelledFile

REPO = Path(__file__).resolve().parents[2]
STEP = 300.0


def series(files: list[LabelledFile], name: str) -> tuple[list[float], list[float]]:
    f = next(f for f in files if f.name == name)
    stamps = f.timestamps.astype("datetime64[s]").astype(np.int64).astype(float)
    return stamps.tolist(), f.values.tolist()


def test_state_round_trip_resumes_exactly(nab_files: list[LabelledFile]) -> None:
    stamps, values = series(nab_files, "realKnownCause/nyc_taxi.csv")
    whole = StreamingDetector(DetectorConfig(learning_points=750))
    expected = [whole.update(t, v).score for t, v in zip(stamps, values, strict=True)]
    first = StreamingDetector(DetectorConfig(learning_points=750))
    got = [first.update(t, v).score for t, v in zip(stamps[:3000], values[:3000], strict=True)]
    resumed = StreamingDetector.from_state(json.loads(json.dumps(first.to_state())))
    got += [resumed.update(t, v).score for t, v in zip(stamps[3000:], values[3000:], strict=True)]
    assert got == expected
    assert resumed.period == 336  # nyc_taxi: 30-minute points, a weekly pattern


def test_daily_season_found_and_jump_detected(nab_files: list[LabelledFile]) -> None:
    """art_daily_jumpsup: a daily pattern (288 five-minute points) whose peak jumps; the
    detector's highest score is inside the labelled window."""
    f = next(f for f in nab_files if f.name == "artificialWithAnomaly/art_daily_jumpsup.csv")
    stamps, values = series(nab_files, f.name)
    detector = StreamingDetector(DetectorConfig(learning_points=604))
    scores = np.array([detector.update(t, v).score for t, v in zip(stamps, values, strict=True)])
    assert detector.period == 288
    first, last = f.windows[0]
    assert scores[first : last + 1].max() > 0.5
    assert scores[first : last + 1].max() > 2 * scores[:first].max()


def test_no_alert_while_learning() -> None:
    detector = StreamingDetector(DetectorConfig(learning_points=50))
    results = [detector.update(i * STEP, 1000.0 if i == 30 else float(i % 3)) for i in range(60)]
    assert all(r.learning and r.score == 0.0 for r in results[:50])
    assert not results[50].learning


def test_gaps_and_nans_are_skipped() -> None:
    detector = StreamingDetector(DetectorConfig(learning_points=20))
    for i in range(30):
        detector.update(i * STEP, math.sin(i))
    before = detector.to_state()
    for bad in (math.nan, math.inf, -math.inf):
        result = detector.update(31 * STEP, bad)
        assert result.gap and result.score == 0.0
    assert detector.to_state() == before
    # a gap in time (an hour without points) is not an anomaly by itself
    assert detector.update(50 * STEP, math.sin(50)).score == 0.0


def test_constant_series_alerts_only_when_it_moves() -> None:
    detector = StreamingDetector(DetectorConfig(learning_points=20, refractory=0))
    quiet = [detector.update(i * STEP, 5.0).score for i in range(200)]
    assert max(quiet) == 0.0
    assert detector.update(200 * STEP, 5.5).score > 0.5


def test_counter_reset_is_not_an_anomaly() -> None:
    """A counter growing 5..15 per point (seeded), reset at point 300 and restarting from 0
    (its first reading after the reset is the increase since then): no alert for the reset."""
    rng = np.random.default_rng(7)
    detector = StreamingDetector(DetectorConfig(learning_points=100, counter=True))
    total, scores = 0.0, []
    for i in range(400):
        step = float(rng.uniform(5.0, 15.0))
        total = step if i == 300 else total + step
        scores.append(detector.update(i * STEP, total).score)
    assert max(scores[300:303]) == 0.0  # the reset and the points after it
    # a real burst in the rate is one
    assert detector.update(400 * STEP, total + 500.0).score > 0.5


def test_clock_skew_is_scored_in_arrival_order() -> None:
    detector = StreamingDetector(DetectorConfig(learning_points=20))
    for i in range(30):
        detector.update(i * STEP, float(i % 4))
    assert detector.update(10 * STEP, 2.0).score == 0.0  # a step back in time, an ordinary value


def test_bad_config_and_state_are_refused() -> None:
    with pytest.raises(Invalid, match="learning_points"):
        DetectorConfig(learning_points=3)
    with pytest.raises(Invalid, match="version"):
        StreamingDetector.from_state({"version": 99})
    state = StreamingDetector().to_state()
    state["state"]["short"] = {"nope": 1}
    with pytest.raises(Invalid, match="malformed"):
        StreamingDetector.from_state(state)


def test_bench_json_scores_a_folder_in_nab_layout(nab_dir: Path, tmp_path: Path) -> None:
    """`python -m bench.anomaly --json` on a two-file folder in NAB's layout."""
    names = ["artificialWithAnomaly/art_daily_jumpsup.csv", "artificialNoAnomaly/art_noisy.csv"]
    for name in names:
        (tmp_path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nab_dir / "data" / name, tmp_path / "data" / name)
    labels = json.loads((nab_dir / "labels" / "combined_windows.json").read_text())
    (tmp_path / "labels.json").write_text(json.dumps({n: labels[n] for n in names}))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.anomaly",
            "--data",
            str(tmp_path),
            "--labels",
            str(tmp_path / "labels.json"),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["files"] == 2
    assert set(out) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate", "files"}
    assert 50.0 < out["standard"] <= 100.0
