"""The scorer reproduces NAB's published per-file scores from the published per-point results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import Invalid
from tools.anomaly.nab.corpus import (
    PROFILES,
    LabelledFile,
    load_label_windows,
    load_profiles,
    published_rows,
    read_anomaly_scores,
    result_path,
)
from tools.anomaly.nab.score import normalise, null_raw, score_files, sweeps
from tools.anomaly.nab.sweep import (
    CostMatrix,
    scaled_sigmoid,
    score_at_threshold,
    score_by_threshold,
    sweep_file,
)

STANDARD = CostMatrix("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0)


def detector_scores(
    nab_dir: Path, detector: str, files: list[LabelledFile]
) -> dict[str, np.ndarray]:
    return {
        f.name: read_anomaly_scores(
            result_path(nab_dir / "results", detector, f.name), len(f.timestamps)
        )
        for f in files
    }


@pytest.mark.parametrize("detector", ["numenta", "windowedGaussian"])
@pytest.mark.parametrize("profile", PROFILES)
def test_per_file_scores_match_the_published_ones(
    nab_dir: Path, nab_files: list[LabelledFile], detector: str, profile: str
) -> None:
    cost = load_profiles(nab_dir / "config" / "profiles.json")[profile]
    threshold = json.loads((nab_dir / "config" / "thresholds.json").read_text())[detector][profile][
        "threshold"
    ]
    ours = score_files(nab_files, detector_scores(nab_dir, detector, nab_files), cost, threshold)
    published = published_rows(nab_dir / "results", detector, profile)
    assert len(ours.per_file) == 35
    for name, row in ours.per_file.items():
        expected = published[name]
        assert row.score == pytest.approx(expected.score, abs=1e-3), name
        counts = (row.tp, row.tn, row.fp, row.fn, row.total)
        assert counts == (expected.tp, expected.tn, expected.fp, expected.fn, expected.total), name


@pytest.mark.parametrize("profile", PROFILES)
def test_null_baseline_matches_the_null_detector(
    nab_dir: Path, nab_files: list[LabelledFile], profile: str
) -> None:
    cost = load_profiles(nab_dir / "config" / "profiles.json")[profile]
    rows = published_rows(nab_dir / "results", "null", profile)
    assert null_raw(nab_files, cost) == pytest.approx(sum(rows[f.name].score for f in nab_files))


@pytest.mark.parametrize("detector", ["numenta", "windowedGaussian", "ARTime", "knncad"])
def test_normalisation_of_the_published_rows_gives_final_results(
    nab_dir: Path, detector: str
) -> None:
    """Over all 58 files (the rows NAB wrote), our normalisation gives NAB's final_results.json."""
    finals = json.loads((nab_dir / "results" / "final_results.json").read_text())
    profiles = load_profiles(nab_dir / "config" / "profiles.json")
    windows = load_label_windows(nab_dir / "labels" / "combined_windows.json")
    for profile in PROFILES:
        rows = published_rows(nab_dir / "results", detector, profile)
        null = published_rows(nab_dir / "results", "null", profile)
        assert len(rows) == 58
        perfect = profiles[profile].tp_weight * sum(len(w) for w in windows.values())
        raw = sum(r.score for r in rows.values())
        score = normalise(raw, sum(null[name].score for name in rows), perfect)
        assert score == pytest.approx(finals[detector][profile], abs=1e-6)


def test_threshold_sweep_agrees_with_scoring_at_each_threshold(
    nab_dir: Path, nab_files: list[LabelledFile]
) -> None:
    """The corpus sweep the optimiser uses equals the per-file scores summed, at every
    threshold tried (sampled), and its best beats the published threshold on these files."""
    scores = detector_scores(nab_dir, "numenta", nab_files)
    file_sweeps = sweeps(nab_files, scores, STANDARD)
    thresholds, totals = score_by_threshold(file_sweeps)
    assert thresholds[0] == 1.1 and totals[0] == -55.0
    assert np.all(np.diff(thresholds) < 0)
    for i in np.linspace(0, len(thresholds) - 1, 40).astype(int):
        summed = sum(score_at_threshold(s, float(thresholds[i])).score for s in file_sweeps)
        assert totals[i] == pytest.approx(summed, abs=1e-6)
    published = score_files(nab_files, scores, STANDARD, 0.5421876907348634).raw
    assert totals.max() >= published


def test_scaled_sigmoid_values() -> None:
    values = scaled_sigmoid(np.array([-1.0, -0.5, 0.0, 1.0, 3.5]))
    assert values == pytest.approx([0.98661, 0.84828, 0.0, -0.98661, -1.0], abs=1e-5)


def test_window_scores_follow_nab() -> None:
    """A 10-row window at rows 20..29 of a 100-row file: the first detection in it scores
    tpWeight, one at its last row (2σ(5/10)−1)/(2σ(5)−1); a false alarm before it −fpWeight."""
    anomaly = np.zeros(100)
    sweep = sweep_file("f", anomaly, [(20, 29)], STANDARD, probation_percent=0.1)
    assert sweep.windows == 1 and len(sweep.anomaly) == 90
    by_row = dict(zip(range(10, 100), sweep.sweep.tolist(), strict=True))
    assert by_row[20] == pytest.approx(1.0)
    last = (2 / (1 + np.exp(-0.5)) - 1) / scaled_sigmoid(np.array([-1.0]))[0]
    assert by_row[29] == pytest.approx(last)
    assert by_row[15] == pytest.approx(-0.11)
    early, late = anomaly.copy(), anomaly.copy()
    early[[20, 25]] = 1.0
    late[[25, 95]] = 1.0
    s_early = score_at_threshold(sweep_file("f", early, [(20, 29)], STANDARD, 0.1), 0.5)
    s_late = score_at_threshold(sweep_file("f", late, [(20, 29)], STANDARD, 0.1), 0.5)
    assert s_early.score == pytest.approx(1.0) and s_early.tp == 2
    assert s_late.score < by_row[25] and s_late.fp == 1


def test_bad_windows_are_refused() -> None:
    with pytest.raises(Invalid, match="out of order"):
        sweep_file("f", np.zeros(50), [(30, 40), (10, 20)], STANDARD)
    with pytest.raises(Invalid, match="out of order"):
        sweep_file("f", np.zeros(50), [(30, 60)], STANDARD)
