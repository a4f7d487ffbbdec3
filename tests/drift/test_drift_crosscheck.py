"""Cross-check against the real `evidently` package (dev extra): same tests, statistics
(to 1e-6) and decisions, on the bike data and on synthetic data of both size regimes.

evidently is slow to import, so it is imported once for this module.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="the evidently cross-check needs the dev extra (pandas)")
pytest.importorskip("evidently", reason="the cross-check needs the dev extra 'evidently'")

from evidently.legacy.metric_preset import DataDriftPreset  # noqa: E402
from evidently.legacy.pipeline.column_mapping import ColumnMapping  # noqa: E402
from evidently.legacy.report import Report  # noqa: E402

from tests.drift.conftest import (  # noqa: E402
    BIKE_CURRENT,
    BIKE_FEATURES,
    BIKE_REFERENCE,
    synthetic_columns,
)
from tools.registry.drift import DriftOptions, DriftReport, run_drift  # noqa: E402

TOLERANCE = 1e-6


def evidently_drift(
    reference: Any, current: Any, mapping: ColumnMapping | None = None, **preset: Any
) -> dict[str, Any]:
    """Run Evidently's legacy DataDriftPreset and return its table per column."""
    report = Report(metrics=[DataDriftPreset(**preset)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.run(
            reference_data=reference,
            current_data=current,
            column_mapping=mapping or ColumnMapping(),
        )
        metrics = report.as_dict()["metrics"]
    table = next(m["result"] for m in metrics if m["metric"] == "DataDriftTable")
    return table


def assert_same(ours: DriftReport, theirs: dict[str, Any]) -> None:
    columns = theirs["drift_by_columns"]
    assert sorted(f.name for f in ours.features) == sorted(columns)
    for feature in ours.features:
        expected = columns[feature.name]
        where = f"column {feature.name}"
        assert feature.column_type == expected["column_type"], where
        assert feature.test_display == expected["stattest_name"], where
        assert feature.threshold == pytest.approx(expected["stattest_threshold"], abs=1e-12), where
        assert abs(feature.statistic - expected["drift_score"]) <= TOLERANCE, (
            where,
            feature.statistic,
            expected["drift_score"],
        )
        assert feature.drifted == expected["drift_detected"], where
    assert ours.n_drifted == theirs["number_of_drifted_columns"]
    assert ours.drift_share == pytest.approx(theirs["share_of_drifted_columns"], abs=1e-12)
    assert ours.dataset_drift == theirs["dataset_drift"]


def frames(n_ref: int, n_cur: int, seed: int) -> tuple[Any, Any]:
    ref = pd.DataFrame(synthetic_columns(n_ref, seed, current=False))
    cur = pd.DataFrame(synthetic_columns(n_cur, seed, current=True))
    return ref, cur


# ---------------------------------------------------------------------------------------
# bike sharing


def test_bike_numeric_mapping_matches_evidently_and_the_published_result() -> None:
    ref_df = pd.read_csv(BIKE_REFERENCE)
    cur_df = pd.read_csv(BIKE_CURRENT)
    theirs = evidently_drift(
        ref_df[BIKE_FEATURES],
        cur_df[BIKE_FEATURES],
        ColumnMapping(numerical_features=BIKE_FEATURES, categorical_features=[]),
    )
    # Our own CSV reader, not pandas, feeds our engine.
    ours = run_drift(BIKE_REFERENCE, BIKE_CURRENT, numerical=BIKE_FEATURES, categorical=[])
    assert_same(ours, theirs)
    assert ours.dataset_drift is True
    assert {f.name for f in ours.drifted_features} == {
        "temp",
        "atemp",
        "hum",
        "windspeed",
        "mnth",
        "weathersit",
    }


def test_bike_without_mapping_infers_types_like_evidently() -> None:
    ref_df = pd.read_csv(BIKE_REFERENCE)
    cur_df = pd.read_csv(BIKE_CURRENT)
    theirs = evidently_drift(ref_df, cur_df)
    ours_csv = run_drift(BIKE_REFERENCE, BIKE_CURRENT)
    ours_frame = run_drift(ref_df, cur_df)
    assert_same(ours_csv, theirs)
    assert_same(ours_frame, theirs)
    assert ours_csv.feature("dteday").column_type == "cat"  # text dates are categories


def test_column_named_datetime_is_left_out_like_evidently() -> None:
    """Evidently's default ColumnMapping reserves "datetime" as the timestamp column."""
    ref_text = pd.read_csv(BIKE_REFERENCE).rename(columns={"dteday": "datetime"})
    cur_text = pd.read_csv(BIKE_CURRENT).rename(columns={"dteday": "datetime"})
    ref_dates, cur_dates = ref_text.copy(), cur_text.copy()
    for frame in (ref_dates, cur_dates):  # evidently needs a real datetime dtype there
        frame["datetime"] = pd.to_datetime(frame["datetime"])
    theirs = evidently_drift(ref_dates, cur_dates)
    for ours in (run_drift(ref_text, cur_text), run_drift(ref_dates, cur_dates)):
        assert_same(ours, theirs)
        assert "datetime" not in {f.name for f in ours.features}


def test_bike_large_regime_by_stacking_reference() -> None:
    """Reference > 1000 rows switches to Wasserstein / Jensen-Shannon."""
    ref_df = pd.read_csv(BIKE_REFERENCE)
    cur_df = pd.read_csv(BIKE_CURRENT)
    big_ref = pd.concat([ref_df, ref_df], ignore_index=True)[BIKE_FEATURES]
    mapping = ColumnMapping(numerical_features=BIKE_FEATURES, categorical_features=[])
    theirs = evidently_drift(big_ref, cur_df[BIKE_FEATURES], mapping)
    ours = run_drift(big_ref, cur_df[BIKE_FEATURES], numerical=BIKE_FEATURES, categorical=[])
    assert_same(ours, theirs)
    assert {f.test for f in ours.features} == {"wasserstein", "jensenshannon"}


# ---------------------------------------------------------------------------------------
# synthetic, both regimes


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "seed"),
    [
        (300, 400, 1),
        (800, 650, 2),
        (1000, 900, 3),  # the last size of the small regime
        (1001, 1200, 4),  # the first size of the large regime (NaN columns stay small)
        (3000, 2500, 5),
        (5000, 5000, 6),
    ],
)
def test_synthetic_default_rule(n_ref: int, n_cur: int, seed: int) -> None:
    ref, cur = frames(n_ref, n_cur, seed)
    theirs = evidently_drift(ref, cur)
    ours = run_drift(ref, cur)
    assert_same(ours, theirs)
    tests = {f.name: f.test for f in ours.features}
    if n_ref <= 1000:
        assert tests["num_many"] == "ks"
        assert tests["num_few"] == "chisquare"
        assert tests["num_binary"] == "z"
        assert tests["cat_text"] == "chisquare"
        assert tests["cat_yes_no"] == "z"
    else:
        assert tests["num_many"] == "wasserstein"
        assert tests["num_few"] == "jensenshannon"
        assert tests["cat_text"] == "jensenshannon"


def test_synthetic_decisions_vary() -> None:
    """Guard that the synthetic cases exercise both decisions, not only one."""
    decisions = set()
    for n_ref, n_cur, seed in [(300, 400, 1), (800, 650, 2), (3000, 2500, 5), (5000, 5000, 6)]:
        ref, cur = frames(n_ref, n_cur, seed)
        decisions |= {f.drifted for f in run_drift(ref, cur).features}
    assert decisions == {True, False}


@pytest.mark.parametrize(("n_ref", "n_cur", "seed"), [(600, 700, 7), (2500, 3000, 8)])
def test_synthetic_explicit_mapping(n_ref: int, n_cur: int, seed: int) -> None:
    """Numbers mapped as categories and vice versa, as a user would with ColumnMapping."""
    ref, cur = frames(n_ref, n_cur, seed)
    numerical = ["num_many", "num_gappy", "num_int31"]
    categorical = ["num_int10", "num_few", "cat_text", "cat_flag"]
    theirs = evidently_drift(
        ref, cur, ColumnMapping(numerical_features=numerical, categorical_features=categorical)
    )
    ours = run_drift(ref, cur, numerical=numerical, categorical=categorical)
    assert_same(ours, theirs)
    assert ours.feature("num_int10").column_type == "cat"


@pytest.mark.parametrize(("n_ref", "n_cur", "seed"), [(700, 500, 9), (4000, 3000, 10)])
def test_synthetic_overrides(n_ref: int, n_cur: int, seed: int) -> None:
    """Per-column, per-type and global method/threshold overrides resolve like Evidently."""
    ref, cur = frames(n_ref, n_cur, seed)
    per_column = {
        "num_many": "jensenshannon",
        "num_gappy": "hellinger",
        "num_int10": "kl_div",
        "num_int31": "psi",
        "num_few": "hellinger",
        "cat_text": "psi",
        "cat_sparse": "hellinger",
        "cat_yes_no": "kl_div",
    }
    per_threshold = {"num_many": 0.07, "cat_text": 0.2, "num_binary": 0.01}
    theirs = evidently_drift(
        ref,
        cur,
        per_column_stattest=per_column,
        num_stattest="wasserstein",
        cat_stattest="jensenshannon",
        num_stattest_threshold=0.05,
        per_column_stattest_threshold=per_threshold,
    )
    options = DriftOptions(
        per_column_method=per_column,
        num_method="wasserstein",
        cat_method="jensenshannon",
        num_threshold=0.05,
        per_column_threshold=per_threshold,
    )
    ours = run_drift(ref, cur, options)
    assert_same(ours, theirs)
    assert ours.feature("num_int31").test == "psi"
    assert ours.feature("num_binary").test == "wasserstein"
    assert ours.feature("cat_flag").test == "jensenshannon"


@pytest.mark.parametrize("method", ["ks", "psi", "kl_div", "hellinger", "jensenshannon"])
def test_synthetic_global_method_on_numbers(method: str) -> None:
    ref, cur = frames(900, 1100, 11)
    numeric = ["num_many", "num_gappy", "num_int10", "num_int31", "num_few", "num_binary"]
    theirs = evidently_drift(
        ref[numeric],
        cur[numeric],
        ColumnMapping(numerical_features=numeric, categorical_features=[]),
        stattest=method,
        drift_share=0.3,
    )
    ours = run_drift(
        ref[numeric],
        cur[numeric],
        numerical=numeric,
        categorical=[],
        method=method,
        drift_share=0.3,
    )
    assert_same(ours, theirs)


def test_drift_share_threshold_matches() -> None:
    ref, cur = frames(2000, 2000, 12)
    for share in (0.1, 0.25, 0.5, 0.9):
        theirs = evidently_drift(ref, cur, drift_share=share)
        ours = run_drift(ref, cur, drift_share=share)
        assert_same(ours, theirs)


def test_statistics_are_not_trivially_equal() -> None:
    """The comparison has teeth: a shifted copy gives different statistics."""
    ref, cur = frames(500, 500, 13)
    theirs = evidently_drift(ref, cur)
    shifted = cur.copy()
    shifted["num_many"] = shifted["num_many"] + 0.5
    ours = run_drift(ref, shifted)
    with pytest.raises(AssertionError):
        assert_same(ours, theirs)
    assert np.isfinite(ours.feature("num_many").statistic)
