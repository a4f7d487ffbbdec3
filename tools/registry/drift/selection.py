"""Which columns a drift run tests, as which type, and the samples it tests them on.

`plan_columns` follows Evidently's column mapping (explicit columns, numerical and
categorical lists, else inference by storage type; a column named "datetime" is the
timestamp); `sample_of` turns a planned column of both tables into a `NumSample` or a
`CatSample` (counts per category over the union of both sides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tools.registry.drift.columns import BOOL, DATETIME, NUMERIC, TEXT, Column
from tools.registry.drift.data import Table
from tools.registry.drift.errors import DriftInputError
from tools.registry.drift.options import DriftOptions
from tools.registry.drift.stattests import CAT, NUM, CatSample, NumSample, Sample

# Evidently's default ColumnMapping reserves a column named "datetime" as the timestamp.
RESERVED_DATETIME_NAME = "datetime"


@dataclass
class ColumnPlan:
    """A column to test and the type it is tested as (NUM or CAT)."""

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


def plan_columns(ref: Table, cur: Table, opts: DriftOptions) -> tuple[list[ColumnPlan], set[str]]:
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
    plans: list[ColumnPlan] = []
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
        plans.append(ColumnPlan(name, column_type))
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


def sample_of(plan: ColumnPlan, ref: Table, cur: Table) -> Sample:
    """The values of one planned column on both sides, in the form its test takes."""
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


def sample_sizes(sample: Sample) -> tuple[int, int]:
    if isinstance(sample, NumSample):
        return len(sample.ref), len(sample.cur)
    return sample.n_ref, sample.n_cur
