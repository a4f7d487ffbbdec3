"""The drift run: choose the columns, test each, add quality checks, decide dataset drift.

`run_drift(reference, current, options)` reproduces Evidently 0.7's DataDriftPreset
decisions (legacy `DataDriftTable` + `DatasetDriftMetric`): per column the default test
by reference size, type and distinct values (see `stattests.default_test_name`),
Evidently's thresholds and directions, and dataset drift when the drifted share reaches
`drift_share` (0.5). On top it adds what Evidently does not have: ok/warn/drift severity,
an optional PSI figure, a Bonferroni view and data-quality findings.

Choosing the columns and building their samples is in `selection.py`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from tools.registry.drift.data import as_table
from tools.registry.drift.errors import DriftError, DriftInputError
from tools.registry.drift.options import DriftOptions
from tools.registry.drift.profile import histogram, summarize
from tools.registry.drift.quality import (
    ColumnFacts,
    column_findings,
    empty_finding,
    schema_findings,
    sort_findings,
)
from tools.registry.drift.report import (
    DRIFT,
    OK,
    WARN,
    DriftReport,
    FeatureDrift,
    QualityFinding,
    worst,
)
from tools.registry.drift.selection import ColumnPlan, plan_columns, sample_of, sample_sizes
from tools.registry.drift.stattests import (
    CAT,
    NUM,
    P_VALUE,
    Sample,
    default_test_name,
    get_test,
    psi_value,
    tests_for,
    type_word,
)

# ---------------------------------------------------------------------------------------
# one feature


def _severity(
    kind: str, statistic: float, threshold: float, drifted: bool, opts: DriftOptions
) -> str:
    if drifted:
        return DRIFT
    if np.isnan(statistic):
        return WARN
    if kind == P_VALUE:
        return WARN if statistic < threshold * opts.p_warn_factor else OK
    return WARN if statistic >= threshold * opts.distance_warn_fraction else OK


def _psi_severity(value: float, opts: DriftOptions) -> str:
    if value >= opts.psi_drift:
        return DRIFT
    return WARN if value >= opts.psi_warn else OK


def check_feature(
    name: str, column_type: str, sample: Sample, opts: DriftOptions, n_features: int
) -> FeatureDrift:
    """Run the chosen (or default) test on one prepared column."""
    n_ref, n_cur = sample_sizes(sample)
    method = opts.resolve_method(name, column_type)
    source = "override" if method is not None else "default"
    if method is None:
        method = default_test_name(column_type, n_ref, sample.n_unique)
    test = get_test(method)
    if source == "override" and column_type not in test.column_types:
        raise DriftError(
            f"test {method!r} cannot be used on {type_word(column_type)} column {name!r}; "
            f"allowed for {type_word(column_type)} columns: {tests_for(column_type)}"
        )
    threshold = opts.resolve_threshold(name, column_type)
    if threshold is None:
        threshold = test.default_threshold
    statistic = test.compute(sample)
    drifted = test.is_drift(statistic, threshold)
    severity = _severity(test.kind, statistic, threshold, drifted, opts)
    psi = psi_sev = None
    if opts.psi:
        psi = psi_value(sample)
        psi_sev = _psi_severity(psi, opts)
        if severity == OK and psi_sev != OK:
            severity = WARN  # PSI can raise attention, never the drift decision itself
    bonferroni = (
        bool(statistic < threshold / n_features) if test.kind == P_VALUE and n_features else None
    )
    return FeatureDrift(
        name=name,
        column_type=column_type,
        test=test.name,
        test_display=test.display_name,
        kind=test.kind,
        statistic=float(statistic),
        threshold=float(threshold),
        drifted=drifted,
        severity=severity,
        n_ref=n_ref,
        n_cur=n_cur,
        n_unique=sample.n_unique,
        method_source=source,
        psi=psi,
        psi_severity=psi_sev,
        bonferroni_drifted=bonferroni,
        summary=summarize(sample),
        histogram=histogram(sample) if opts.histograms else None,
    )


# ---------------------------------------------------------------------------------------
# the run


def _check_strict(findings: list[QualityFinding]) -> None:
    schema = [f for f in findings if f.check in ("column_removed", "column_added", "dtype_change")]
    if schema:
        raise DriftInputError(
            "mismatched schemas (strict_schema is on): " + "; ".join(f.message for f in schema)
        )


def run_drift(
    reference: Any,
    current: Any,
    options: DriftOptions | Mapping[str, Any] | None = None,
    *,
    engine: Any = None,
    **changes: Any,
) -> DriftReport:
    """Compare current data with reference data, column by column.

    reference / current: a file path (CSV, TSV, CSV.GZ, Parquet), a `DataSource`, a
    `Table`, a {column: values} mapping or a pandas-like frame. options: `DriftOptions`
    (or a dict of its fields); keyword arguments override single fields, e.g.
    `run_drift(ref, cur, method="psi")`. engine: SQLAlchemy engine for SQL sources
    without a URL. Raises `DriftInputError`/`DriftError` with a clear message on bad
    input or options.
    """
    started = time.perf_counter()
    if options is None:
        opts = DriftOptions()
    elif isinstance(options, Mapping):
        opts = DriftOptions.from_dict(options)
    else:
        opts = options
    if changes:
        opts = opts.with_changes(**changes)
    ref = as_table(reference, "reference", engine)
    cur = as_table(current, "current", engine)
    for role, table in (("reference", ref), ("current", cur)):
        if table.n_rows == 0:
            raise DriftInputError(f"the {role} data has no rows ({table.source})")
    plans, candidates = plan_columns(ref, cur, opts)
    findings = schema_findings(ref, cur, candidates)
    if opts.strict_schema:
        _check_strict(findings)

    prepared: list[tuple[ColumnPlan, Sample, ColumnFacts]] = []
    for plan in plans:
        sample = sample_of(plan, ref, cur)
        n_ref, n_cur = sample_sizes(sample)
        empty_role = "reference" if n_ref == 0 else "current" if n_cur == 0 else None
        if empty_role is not None:
            rows = ref.n_rows if empty_role == "reference" else cur.n_rows
            if not opts.skip_empty:
                raise DriftInputError(
                    f"column {plan.name!r} has no usable values in the {empty_role} data "
                    f"({rows} rows, all missing or infinite); leave it out with columns=[...] "
                    "or set skip_empty=True to report it as a quality finding"
                )
            findings.append(empty_finding(plan.name, empty_role, rows))
            continue
        facts = ColumnFacts(
            name=plan.name,
            sample=sample,
            ref_rows=ref.n_rows,
            cur_rows=cur.n_rows,
            ref_missing=ref.n_rows - n_ref,
            cur_missing=cur.n_rows - n_cur,
        )
        prepared.append((plan, sample, facts))
    if not prepared:
        raise DriftInputError(
            "no column left to test: none of the common columns is numeric, boolean or text "
            f"with usable values (common columns: {', '.join(n for n in ref.names if n in cur)})"
        )

    features: list[FeatureDrift] = []
    for plan, sample, facts in prepared:
        feature = check_feature(plan.name, plan.column_type, sample, opts, len(prepared))
        feature.summary["ref_missing_share"] = facts.ref_missing / facts.ref_rows
        feature.summary["cur_missing_share"] = facts.cur_missing / facts.cur_rows
        features.append(feature)
        findings.extend(column_findings(facts, opts.quality))

    n_drifted = sum(1 for f in features if f.drifted)
    share = n_drifted / len(features)
    dataset_drift = bool(share >= opts.drift_share)
    levels = [f.severity for f in features] + [q.severity for q in findings]
    severity = DRIFT if dataset_drift else (WARN if worst(levels) != OK else OK)
    return DriftReport(
        dataset_drift=dataset_drift,
        drift_share=share,
        drift_share_threshold=opts.drift_share,
        n_features=len(features),
        n_drifted=n_drifted,
        severity=severity,
        features=features,
        quality=sort_findings(findings),
        reference=ref.describe(),
        current=cur.describe(),
        n_ref_rows=ref.n_rows,
        n_cur_rows=cur.n_rows,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - started, 6),
        options=opts.to_dict(),
    )


__all__ = ["CAT", "NUM", "check_feature", "plan_columns", "run_drift"]
