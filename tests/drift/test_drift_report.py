"""The report: storage round trip, severity tiers, PSI option, quality checks, explanation
and the PNG."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.drift.conftest import BIKE_CURRENT, BIKE_FEATURES, BIKE_REFERENCE
from tools.registry.drift import (
    DriftError,
    DriftOptions,
    DriftReport,
    explain,
    plot_drift,
    run_drift,
)
from tools.registry.drift.stattests import STAT_TESTS, CatSample, NumSample, default_test_name


@pytest.fixture(scope="module")
def bike() -> DriftReport:
    return run_drift(
        BIKE_REFERENCE, BIKE_CURRENT, numerical=BIKE_FEATURES, categorical=[], psi=True
    )


def test_json_shape_of_drift_json(bike: DriftReport) -> None:
    summary = bike.summary_dict()
    assert set(summary) == {"dataset_drift", "drift_share", "features"}
    assert summary["dataset_drift"] is True
    assert summary["drift_share"] == pytest.approx(6 / 11)
    for item in summary["features"]:
        assert set(item) == {"name", "test", "statistic", "threshold", "drifted"}
    full = bike.to_dict()
    assert {"dataset_drift", "drift_share", "features"} <= set(full)
    assert {"name", "test", "statistic", "threshold", "drifted", "severity"} <= set(
        full["features"][0]
    )
    json.loads(bike.to_json())  # strict JSON: no NaN


def test_round_trip_through_json(bike: DriftReport) -> None:
    again = DriftReport.from_json(bike.to_json())
    assert again == bike
    assert again.to_dict() == bike.to_dict()
    slim = bike.to_dict(include_histograms=False)
    assert "histogram" not in slim["features"][0]
    assert DriftReport.from_dict(slim).features[0].histogram is None


def test_non_finite_values_survive_storage(bike: DriftReport) -> None:
    data = bike.to_dict()
    data["features"][0]["statistic"] = None  # as a NaN statistic is stored
    restored = DriftReport.from_dict(data)
    assert math.isnan(restored.features[0].statistic)
    newer = dict(data, schema_version=99)
    with pytest.raises(ValueError, match="schema_version 99 is newer"):
        DriftReport.from_dict(newer)


def test_options_round_trip() -> None:
    options = DriftOptions(
        columns=["a"], per_column_method={"a": "psi"}, num_threshold=0.2, psi=True
    )
    assert DriftOptions.from_dict(options.to_dict()) == options
    report = run_drift({"a": list(range(50))}, {"a": list(range(3, 53))}, options)
    assert DriftOptions.from_dict(report.options) == options


def test_severity_tiers() -> None:
    opts = DriftOptions()
    rng = np.random.default_rng(3)
    # A p-value between 0.05 and 0.15 is "warn"; below 0.05 is "drift".
    found = {"ok": False, "warn": False, "drift": False}
    for shift in np.linspace(0, 0.5, 26):
        ref = rng.normal(0, 1, 300)
        cur = rng.normal(shift, 1, 300)
        feature = run_drift({"x": ref}, {"x": cur}, opts).features[0]
        p = feature.statistic
        expected = "drift" if p <= 0.05 else "warn" if p < 0.15 else "ok"
        assert feature.severity == expected, (p, feature.severity)
        found[expected] = True
    assert all(found.values())
    # Distances: warn from half the threshold.
    ref = rng.normal(0, 1, 5000)
    warn = run_drift({"x": ref}, {"x": rng.normal(0.07, 1, 5000)}).features[0]
    assert warn.test == "wasserstein" and 0.05 <= warn.statistic < 0.1 and warn.severity == "warn"


def test_psi_option_tiers(bike: DriftReport) -> None:
    for feature in bike.features:
        assert feature.psi is not None
        expected = "drift" if feature.psi >= 0.25 else "warn" if feature.psi >= 0.1 else "ok"
        assert feature.psi_severity == expected
        if not feature.drifted and feature.psi_severity != "ok":
            assert feature.severity == "warn"
    assert bike.feature("mnth").psi_severity == "drift"


def test_bonferroni_view(bike: DriftReport) -> None:
    windspeed = bike.feature("windspeed")  # p = 0.04: drifts at 0.05, not at 0.05 / 11
    assert windspeed.drifted and windspeed.bonferroni_drifted is False
    assert bike.feature("temp").bonferroni_drifted is True


def test_report_severity_levels() -> None:
    same = {"x": list(range(100)), "c": ["a", "b"] * 50}
    assert run_drift(same, same).severity == "ok"
    shifted = {"x": list(range(30, 130)), "c": ["a", "b"] * 50}
    report = run_drift(same, shifted)
    assert report.n_drifted == 1 and report.dataset_drift and report.severity == "drift"
    report = run_drift(same, shifted, drift_share=0.75)
    assert not report.dataset_drift and report.severity == "warn"


def test_quality_findings() -> None:
    n = 400
    rng = np.random.default_rng(5)
    ref = {
        "gappy": rng.normal(0, 1, n),
        "wide": rng.uniform(0, 1, n),
        "kind": rng.choice(["a", "b", "c"], n).astype(object),
        "still": rng.integers(0, 3, n),
    }
    cur_gappy = rng.normal(0, 1, n)
    cur_gappy[: n // 4] = np.nan
    cur_kind = rng.choice(["a", "b", "c"], n).astype(object)
    cur_kind[:60] = "brand-new"
    cur = {
        "gappy": cur_gappy,
        "wide": rng.uniform(0.5, 1.5, n),
        "kind": cur_kind,
        "still": np.ones(n, dtype=int),
    }
    report = run_drift(ref, cur)
    found = {(q.check, q.column): q for q in report.quality}
    missing = found[("missing_share", "gappy")]
    assert missing.severity == "drift" and missing.details["cur_share"] == pytest.approx(0.25)
    out = found[("out_of_range", "wide")]
    assert out.severity == "drift" and 0.4 < out.details["share"] < 0.6
    new = found[("new_category", "kind")]
    assert new.severity == "drift" and new.details["examples"] == ["brand-new"]
    assert found[("constant", "still")].severity == "warn"
    severities = [q.severity for q in report.quality]
    assert severities == sorted(severities, key=lambda s: {"drift": 0, "warn": 1, "ok": 2}[s])


def test_explain_puts_drifted_features_first(bike: DriftReport) -> None:
    text = explain(bike)
    lines = text.splitlines()
    assert lines[0] == "Dataset drift: 6 of 11 features drifted (54.5% ≥ 50%)."
    drifted_lines = [line for line in lines[1:7]]
    assert all(line.startswith("• ") for line in drifted_lines)
    named = {line[2:].split(":")[0] for line in drifted_lines}
    assert named == {"temp", "atemp", "hum", "windspeed", "mnth", "weathersit"}
    temp = next(line for line in lines if line.startswith("• temp:"))
    assert "mean rose from 0.197 to 0.276" in temp and "K-S p-value 6.0e-32 ≤ 0.05" in temp
    assert "No drift: season, hr, holiday, weekday, workingday" in text
    assert "Data quality:" in text
    calm = run_drift({"x": list(range(50))}, {"x": list(range(50))})
    assert explain(calm).startswith("No drift: none of the 1 features drifted.")


def test_plot_writes_a_real_png(bike: DriftReport, tmp_path: Path) -> None:
    from matplotlib.image import imread

    out = plot_drift(bike, tmp_path / "sub" / "drift.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 600  # 2 rows x 3 panels
    assert image.std() > 0.05  # not a blank canvas
    restored = DriftReport.from_json(bike.to_json())
    assert plot_drift(restored, tmp_path / "again.png", features=["hr"]).exists()


def test_plot_refuses_when_nothing_to_draw(tmp_path: Path) -> None:
    calm = run_drift({"x": list(range(50))}, {"x": list(range(50))})
    with pytest.raises(DriftError, match="no feature drifted"):
        plot_drift(calm, tmp_path / "x.png")
    bare = run_drift({"x": list(range(50))}, {"x": list(range(100, 150))}, histograms=False)
    with pytest.raises(DriftError, match="no histograms for x"):
        plot_drift(bare, tmp_path / "x.png")


def test_default_rule_table() -> None:
    assert default_test_name("num", 1000, 6) == "ks"
    assert default_test_name("num", 1000, 5) == "chisquare"
    assert default_test_name("num", 1000, 2) == "z"
    assert default_test_name("cat", 10, 50) == "chisquare"
    assert default_test_name("num", 1001, 6) == "wasserstein"
    assert default_test_name("num", 1001, 5) == "jensenshannon"
    assert default_test_name("cat", 1001, 2) == "jensenshannon"
    assert {t.name for t in STAT_TESTS.values()} == {
        "ks",
        "chisquare",
        "z",
        "wasserstein",
        "jensenshannon",
        "psi",
        "kl_div",
        "hellinger",
    }


def test_wasserstein_equals_scipy() -> None:
    from scipy import stats

    rng = np.random.default_rng(1)
    for n_a, n_b in ((7, 11), (500, 300), (2000, 2000)):
        a = np.round(rng.normal(0, 1, n_a), 1)  # ties on purpose
        b = np.round(rng.normal(0.2, 1.3, n_b), 1)
        ours = STAT_TESTS["wasserstein"].compute(NumSample(a, b))
        expected = stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001)
        assert ours == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_z_test_identical_single_value_is_one() -> None:
    sample = CatSample(["a"], np.array([10]), np.array([20]))
    assert STAT_TESTS["z"].compute(sample) == 1.0


def test_sorted_histogram_equals_numpy() -> None:
    from tools.registry.drift.stattests import sorted_histogram

    rng = np.random.default_rng(2)
    for values in (rng.normal(size=1000), np.round(rng.normal(size=500), 1), np.arange(50.0)):
        values = np.sort(values)
        for edges in (
            np.histogram_bin_edges(values, bins="sturges"),
            np.array([-1.0, 0.0, 0.5, 1.0]),  # values outside and on edges
        ):
            assert (
                sorted_histogram(values, edges).tolist() == np.histogram(values, edges)[0].tolist()
            )
