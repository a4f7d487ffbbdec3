"""The drift run: choose the columns, test each, add quality checks, decide dataset drift.

`run_drift(reference, current, options)` reproduces Evidently 0.7's DataDriftPreset
decisions (legacy `DataDriftTable` + `DatasetDriftMetric`): per column the default test
by reference size, type and distinct values (see `stattests.default_test_name`),
Evidently's thresholds and directions, and dataset drift when the drifted share reaches
`drift_share` (0.5). On top it adds what Evidently does not have: ok/warn/drift severity,
an optional PSI figure, a Bonferroni view and data-quality findings.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.registry.drift.data import BOOL, DATETIME, NUMERIC, TEXT, Column, Table, as_table
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
from tools.registry.drift.stattests import (
    CAT,
    NUM,
    P_VALUE,
    CatSample,
    NumSample,
    Sample,
    default_test_name,
    get_test,
    psi_value,
    tests_for,
    type_word,
)

# Evidently's default ColumnMapping reserves a column named "datetime" as the timestamp.
RESERVED_DATETIME_NAME = "datetime"


@dataclass
class _Plan:
    name: str
    column_type: str


def _examples(column: Column) -> str:
    labels = [v for v in column.labels() if v is not None]
    seen: list[str] = []
    for value in labels:
        if value not in seen:
            seen.append(value)
        if len(seen) == 3:
            break
    return ", ".join(repr(v) for v in seen)


# ---------------------------------------------------------------------------------------
# which columns, of which type


def _infer_type(name: str, ref: Column, cur: Column, requested: bool) -> str | None:
    if DATETIME in (ref.dtype, cur.dtype):
        if requested:
            raise DriftInputError(
                f"column {name!r} holds dates/times, which have no drift test; "
                "leave it out of columns or convert it to a number"
            )
        return None
    if ref.dtype == NUMERIC and cur.dtype == NUMERIC:
        return NUM
    return CAT


def plan_columns(ref: Table, cur: Table, opts: DriftOptions) -> tuple[list[_Plan], set[str]]:
    """The columns to test with their types, and the reference columns that were candidates."""
    num_set = set(opts.numerical or ())
    cat_set = set(opts.categorical or ())
    common = [n for n in ref.names if n in cur]
    if not common:
        raise DriftInputError(
            "mismatched schemas: the reference and current data share no column; "
            f"reference has {', '.join(ref.names) or '(none)'}; "
            f"current has {', '.join(cur.names) or '(none)'}"
        )
    if opts.columns is not None:
        names = list(dict.fromkeys(opts.columns))
        requested = set(names)
        explicit = names
    else:
        if opts.numerical is not None:
            num_names = list(opts.numerical)
        else:
            num_names = [
                n
                for n in ref.names
                if ref[n].dtype == NUMERIC and n not in cat_set and n != RESERVED_DATETIME_NAME
            ]
        if opts.categorical is not None:
            cat_names = list(opts.categorical)
        else:
            cat_names = [
                n
                for n in ref.names
                if ref[n].dtype in (TEXT, BOOL) and n not in num_set and n != RESERVED_DATETIME_NAME
            ]
        explicit = list(opts.numerical or ()) + list(opts.categorical or ())
        requested = set(explicit)
        chosen = set(num_names) | set(cat_names)
        names = [n for n in ref.names if n in chosen] + [n for n in explicit if n not in ref]
    for role, table in (("reference", ref), ("current", cur)):
        absent = [n for n in explicit if n not in table]
        if absent:
            raise DriftInputError(
                f"mismatched schemas: column(s) {', '.join(map(repr, absent))} not in the {role} "
                f"data ({table.source}); it has: {', '.join(table.names)}"
            )
    candidates = {n for n in names if n in ref}
    plans: list[_Plan] = []
    for name in names:
        if name not in cur:
            continue  # an inferred column that disappeared: reported as column_removed
        if name in num_set:
            column_type = NUM
        elif name in cat_set:
            column_type = CAT
        else:
            inferred = _infer_type(name, ref[name], cur[name], name in requested)
            if inferred is None:
                continue
            column_type = inferred
        plans.append(_Plan(name, column_type))
    return plans, candidates


# ---------------------------------------------------------------------------------------
# samples


def _numeric_values(name: str, column: Column, role: str, source: str) -> np.ndarray:
    if column.dtype == NUMERIC:
        values = column.values
    elif column.dtype == BOOL:
        values = np.where(column.values < 0, np.nan, column.values.astype(np.float64))
    else:
        raise DriftInputError(
            f"column {name!r} is tested as numerical but the {role} data ({source}) holds "
            f"{column.dtype} values (e.g. {_examples(column)}); map it as categorical or fix the data"
        )
    return values[np.isfinite(values)]


def _cat_sample(ref: Column, cur: Column) -> CatSample:
    if ref.dtype == NUMERIC and cur.dtype == NUMERIC:
        a = ref.values[np.isfinite(ref.values)]
        b = cur.values[np.isfinite(cur.values)]
        values, inverse = np.unique(np.concatenate((a, b)), return_inverse=True)
        ref_counts = np.bincount(inverse[: len(a)], minlength=len(values))
        cur_counts = np.bincount(inverse[len(a) :], minlength=len(values))
        return CatSample(values.tolist(), ref_counts, cur_counts)
    if ref.is_categorical_storage and cur.is_categorical_storage:
        union = list(ref.categories)
        index = {c: i for i, c in enumerate(union)}
        cur_map = np.array(
            [index.setdefault(c, len(index)) for c in cur.categories], dtype=np.int64
        )
        union = list(index)
        ref_codes = ref.values[ref.values >= 0]
        cur_codes = cur.values[cur.values >= 0]
        ref_counts = np.bincount(ref_codes, minlength=len(union))
        cur_local = np.bincount(cur_codes, minlength=len(cur.categories))
        cur_counts = np.zeros(len(union), dtype=np.int64)
        if len(cur_map):
            cur_counts[cur_map] = cur_local
        return CatSample(union, ref_counts, cur_counts)
    # Mixed storage (numbers on one side, text on the other): compare as labels.
    labels_ref = [v for v in ref.labels() if v is not None]
    labels_cur = [v for v in cur.labels() if v is not None]
    codes: dict[str, int] = {}
    ref_codes = np.array([codes.setdefault(v, len(codes)) for v in labels_ref], dtype=np.int64)
    cur_codes = np.array([codes.setdefault(v, len(codes)) for v in labels_cur], dtype=np.int64)
    return CatSample(
        list(codes),
        np.bincount(ref_codes, minlength=len(codes)),
        np.bincount(cur_codes, minlength=len(codes)),
    )


def _sample(plan: _Plan, ref: Table, cur: Table) -> Sample:
    a, b = ref[plan.name], cur[plan.name]
    if DATETIME in (a.dtype, b.dtype):
        raise DriftInputError(
            f"column {plan.name!r} holds dates/times, which have no drift test; leave it out"
        )
    if plan.column_type == NUM:
        return NumSample(
            _numeric_values(plan.name, a, "reference", ref.source),
            _numeric_values(plan.name, b, "current", cur.source),
            integer=a.integer and b.integer,
            owned=True,  # _numeric_values returns fresh arrays
        )
    return _cat_sample(a, b)


def _sample_sizes(sample: Sample) -> tuple[int, int]:
    if isinstance(sample, NumSample):
        return len(sample.ref), len(sample.cur)
    return sample.n_ref, sample.n_cur


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
    n_ref, n_cur = _sample_sizes(sample)
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

    prepared: list[tuple[_Plan, Sample, ColumnFacts]] = []
    for plan in plans:
        sample = _sample(plan, ref, cur)
        n_ref, n_cur = _sample_sizes(sample)
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
