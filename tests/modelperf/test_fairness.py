"""Fairness by segment (tools/modelperf/fairness.py): the figures are fairlearn's own, on a real
dataset shipped inside a wheel (lifelines' Rossi recidivism data: 432 released prisoners, `race`
and whether they were re-arrested within a year), plus small hand-checked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from lifelines.datasets import load_rossi
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from core.errors import Invalid
from tools.modelperf.fairness import (
    FairnessThresholds,
    fairness_from_rows,
    fairness_report,
)
from tools.modelperf.fairness_check import feature_finding

TOL = 1e-12


@pytest.fixture(scope="module")
def rossi() -> dict[str, np.ndarray]:
    """A deterministic model trained here; its predictions on held-out rows."""
    data = load_rossi()
    assert len(data) == 432  # the shipped CSV, not a download
    x = data[["fin", "age", "wexp", "mar", "paro", "prio"]].to_numpy(dtype=float)
    y = data["arrest"].to_numpy()
    order = np.random.default_rng(7).permutation(len(data))
    train, test = order[:250], order[250:]
    model = LogisticRegression(max_iter=1000).fit(x[train], y[train])
    # a threshold under 0.5 so that the model flags people at all (a quarter are re-arrested)
    pred = (model.predict_proba(x[test])[:, 1] >= 0.3).astype(int)
    age = data["age"].to_numpy()[test]
    return {
        "y": y[test],
        "pred": pred,
        "race": data["race"].to_numpy()[test],
        "age_band": np.where(age < 21, "under 21", np.where(age < 26, "21-25", "26+")),
    }


def test_figures_equal_fairlearns_on_real_data(rossi: dict[str, np.ndarray]) -> None:
    y, pred = rossi["y"], rossi["pred"]
    assert 0 < pred.sum() < len(pred)  # the model does select some and not all
    report = fairness_report(
        list(y),
        list(pred),
        {"race": list(rossi["race"]), "age_band": list(rossi["age_band"])},
        min_group_size=10,
    )
    assert report.rows == len(y) == 182 and report.dropped == 0
    for name in ("race", "age_band"):
        sens = rossi[name]
        item = report.feature(name)
        assert not any(g.too_few for g in item.groups)
        dpd = demographic_parity_difference(y, pred, sensitive_features=sens)
        eod = equalized_odds_difference(y, pred, sensitive_features=sens)
        assert item.dpd is not None and abs(item.dpd - dpd) < TOL
        assert item.eod is not None and abs(item.eod - eod) < TOL
        frame = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "tpr": true_positive_rate,
                "fpr": false_positive_rate,
                "accuracy": accuracy_score,
            },
            y_true=y,
            y_pred=pred,
            sensitive_features=sens,
        )
        diff = frame.difference()
        assert item.tpr_difference is not None and abs(item.tpr_difference - diff["tpr"]) < TOL
        assert item.fpr_difference is not None and abs(item.fpr_difference - diff["fpr"]) < TOL
        assert item.accuracy_difference is not None
        assert abs(item.accuracy_difference - diff["accuracy"]) < TOL
        by_group = frame.by_group
        assert {g.group for g in item.groups} == {str(k) for k in by_group.index}
        for key in by_group.index:
            group = next(g for g in item.groups if g.group == str(key))
            assert group.rows == int((sens == key).sum())
            for metric in ("selection_rate", "tpr", "fpr", "accuracy"):
                assert abs(getattr(group, metric) - by_group.loc[key, metric]) < TOL
    assert report.feature("race").dpd > 0  # a real gap, not an empty comparison
    text = report.text()
    assert "race:" in text and "age_band:" in text and "DPD" in text and "EOD" in text


def test_hand_checked_gaps() -> None:
    # group a: 4 rows, actual 1 1 0 0, predicted 1 0 1 0 -> selected 2/4, TPR 1/2, FPR 1/2, acc 2/4
    # group b: 4 rows, actual 1 1 0 0, predicted 1 1 1 1 -> selected 4/4, TPR 1, FPR 1, acc 2/4
    y = [1, 1, 0, 0, 1, 1, 0, 0]
    p = [1, 0, 1, 0, 1, 1, 1, 1]
    s = ["a"] * 4 + ["b"] * 4
    item = fairness_report(y, p, {"s": s}, min_group_size=1).feature("s")
    a, b = item.groups
    assert (a.group, a.selection_rate, a.tpr, a.fpr, a.accuracy) == ("a", 0.5, 0.5, 0.5, 0.5)
    assert (b.group, b.selection_rate, b.tpr, b.fpr, b.accuracy) == ("b", 1.0, 1.0, 1.0, 0.5)
    assert item.dpd == 0.5 and item.tpr_difference == 0.5 and item.fpr_difference == 0.5
    assert item.eod == 0.5 and item.accuracy_difference == 0.0
    # same selection rates, different error rates: DPD 0 but EOD 1
    y2 = [1, 0, 1, 0]
    p2 = [1, 0, 0, 1]
    item2 = fairness_report(y2, p2, {"s": ["a", "a", "b", "b"]}, min_group_size=1).feature("s")
    assert item2.dpd == 0.0 and item2.tpr_difference == 1.0 and item2.fpr_difference == 1.0
    assert item2.eod == 1.0


def test_a_group_without_positives_has_no_tpr() -> None:
    # fairlearn says TPR 0 for group b (no actual positives); we say "none" and leave it out
    y = [0, 0, 1, 1, 0, 0]
    p = [0, 1, 1, 0, 1, 0]
    item = fairness_report(y, p, {"s": list("aaaabb")}, min_group_size=1).feature("s")
    b = item.groups[1]
    assert b.tpr is None and b.fpr == 0.5
    assert item.tpr_difference is None and item.fpr_difference == 0.0 and item.eod == 0.0
    assert any("no actual positives" in n for n in item.notes)


def test_min_group_size() -> None:
    y = [1, 0] * 10 + [1, 1, 0]
    p = [1, 1] * 10 + [0, 0, 0]
    s = ["big"] * 20 + ["tiny"] * 3
    report = fairness_report(y, p, {"s": s}, min_group_size=5)
    item = report.feature("s")
    tiny = next(g for g in item.groups if g.group == "tiny")
    assert tiny.too_few and tiny.rows == 3 and tiny.selection_rate is None
    assert item.dpd is None and item.eod is None  # one comparable group: no gap
    assert [g.group for g in item.compared] == ["big"]
    assert "too few rows" in report.text()
    assert report.breaches(FairnessThresholds(max_dpd=0.0, max_eod=0.0)) == []
    # the same rows with a smaller minimum: tiny is compared (selected 0 of 3 vs 20 of 20)
    item = fairness_report(y, p, {"s": s}, min_group_size=3).feature("s")
    assert item.dpd == 1.0


def test_constant_sensitive_feature() -> None:
    item = fairness_report([1, 0, 1, 0], [1, 1, 0, 0], {"s": ["x"] * 4}, min_group_size=1).feature(
        "s"
    )
    assert len(item.groups) == 1 and item.groups[0].accuracy == 0.5
    assert item.dpd is None and item.eod is None
    assert "only one group to compare: no gap" in item.notes


def test_missing_values_are_left_out_and_counted() -> None:
    rows = [
        {"actual": 1, "prediction": 1, "sex": "f"},
        {"actual": 0, "prediction": 1, "sex": "f"},
        {"actual": None, "prediction": 1, "sex": "f"},  # no label yet
        {"actual": 1, "prediction": float("nan"), "sex": "m"},  # no prediction
        {"actual": 1, "prediction": 0, "sex": None},  # no feature value
        {"actual": 0, "prediction": 0},  # no feature key
        {"actual": "yes", "prediction": "no", "sex": "m"},
        {"actual": False, "prediction": np.int64(0), "sex": "m"},
    ]
    report = fairness_from_rows(rows, ["sex"], min_group_size=1)
    assert report.rows == 8 and report.dropped == 2
    item = report.feature("sex")
    assert item.missing == 2
    f, m = item.groups
    assert (f.group, f.rows, f.selection_rate) == ("f", 2, 1.0)
    assert (m.group, m.rows, m.selection_rate, m.tpr, m.fpr) == ("m", 2, 0.0, 0.0, 0.0)
    assert item.dpd == 1.0
    assert "2 rows left out" in report.text() and "without a sex value" in report.text()


def test_bad_inputs_are_named() -> None:
    with pytest.raises(Invalid, match="row 1: prediction 2 is not binary"):
        fairness_report([1, 0], [1, 2], {"s": ["a", "b"]})
    with pytest.raises(Invalid, match="2 labels but 1 predictions"):
        fairness_report([1, 0], [1], {"s": ["a", "b"]})
    with pytest.raises(Invalid, match="values of feature 's'"):
        fairness_report([1, 0], [1, 0], {"s": ["a"]})
    with pytest.raises(Invalid, match="no sensitive feature"):
        fairness_report([1, 0], [1, 0], {})
    with pytest.raises(Invalid, match="min_group_size"):
        fairness_report([1, 0], [1, 0], {"s": ["a", "b"]}, min_group_size=0)
    with pytest.raises(Invalid, match="max_dpd must be between 0 and 1"):
        FairnessThresholds(max_dpd=1.5)
    with pytest.raises(Invalid, match="no sensitive feature 'age'"):
        fairness_report([1, 0], [1, 0], {"s": ["a", "b"]}).feature("age")


def test_thresholds_and_finding(rossi: dict[str, np.ndarray]) -> None:
    report = fairness_report(
        list(rossi["y"]), list(rossi["pred"]), {"race": list(rossi["race"])}, min_group_size=10
    )
    race = report.feature("race")
    assert race.dpd is not None and race.eod is not None
    assert report.breaches(FairnessThresholds(max_dpd=1.0, max_eod=1.0)) == []
    assert feature_finding("recid", 3, race, FairnessThresholds(max_dpd=1.0)) is None
    limit = race.dpd / 2
    breaches = report.breaches(FairnessThresholds(max_dpd=limit))
    assert [(b.feature, b.metric) for b in breaches] == [("race", "dpd")]
    assert math.isclose(breaches[0].value, race.dpd)
    finding = feature_finding("recid", 3, race, FairnessThresholds(max_dpd=limit, max_eod=0.0))
    assert finding is not None
    assert finding.alertname == "ModelFairnessGap" and finding.labels == {
        "model": "recid",
        "feature": "race",
    }
    assert "demographic parity difference" in finding.summary and "race:" in finding.summary
    assert ("eod", f"{race.eod:.3f} (max 0.000)") in finding.fields
    # figures and version in the fields, not the labels: another reading, or another
    # version of the model, keeps the fingerprint
    other = feature_finding("recid", 4, race, FairnessThresholds(max_dpd=0.0))
    assert other is not None and other.fingerprint == finding.fingerprint
