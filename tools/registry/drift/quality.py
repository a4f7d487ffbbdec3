"""Data-quality checks that run beside the drift tests.

Drift tests compare distributions; these catch the plain breakages that usually come
first: a column gone or new, a number column that now holds text, more missing values,
values outside anything seen in the reference, categories never seen, a column that
stopped varying. Each finding says ok/warn/drift with the figures behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from tools.registry.drift.columns import number_label
from tools.registry.drift.data import Table
from tools.registry.drift.options import QualityThresholds
from tools.registry.drift.profile import value_counts
from tools.registry.drift.report import DRIFT, WARN, QualityFinding, severity_rank
from tools.registry.drift.stattests import CatSample, NumSample, Sample


@dataclass
class ColumnFacts:
    """What the engine learned about one tested column, for the per-column checks."""

    name: str
    sample: Sample
    ref_rows: int
    cur_rows: int
    ref_missing: int
    cur_missing: int


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(share: float) -> str:
    if 0 < share < 0.001:
        return "<0.1%"
    return f"{share * 100:.1f}%"


def _names(items: Iterable[str]) -> str:
    return ", ".join(items)


def schema_findings(ref: Table, cur: Table, feature_candidates: set[str]) -> list[QualityFinding]:
    """Columns removed or added, and columns whose stored type changed."""
    found: list[QualityFinding] = []
    removed = [n for n in ref.names if n not in cur]
    added = [n for n in cur.names if n not in ref]
    for name in removed:
        is_feature = name in feature_candidates
        found.append(
            QualityFinding(
                check="column_removed",
                column=name,
                severity=DRIFT if is_feature else WARN,
                message=f"{name}: column is missing from the current data"
                + (" (it is a tested feature in the reference)" if is_feature else ""),
            )
        )
    for name in added:
        found.append(
            QualityFinding(
                check="column_added",
                column=name,
                severity=WARN,
                message=f"{name}: new column in the current data, not in the reference",
            )
        )
    for name in ref.names:
        if name not in cur:
            continue
        a, b = ref[name], cur[name]
        if a.dtype == b.dtype:
            continue
        if a.missing_mask().all() or b.missing_mask().all():
            continue  # an all-missing column has no real type; the empty check covers it
        found.append(
            QualityFinding(
                check="dtype_change",
                column=name,
                severity=DRIFT,
                message=f"{name}: values changed type from {a.dtype} (reference) to {b.dtype} (current)",
                details={"reference": a.dtype, "current": b.dtype},
            )
        )
    return found


def _missing(facts: ColumnFacts, limits: QualityThresholds) -> QualityFinding | None:
    ref_share = _share(facts.ref_missing, facts.ref_rows)
    cur_share = _share(facts.cur_missing, facts.cur_rows)
    delta = cur_share - ref_share
    if abs(delta) >= limits.missing_drift:
        level = DRIFT
    elif abs(delta) >= limits.missing_warn:
        level = WARN
    else:
        return None
    verb = "rose" if delta > 0 else "fell"
    return QualityFinding(
        check="missing_share",
        column=facts.name,
        severity=level,
        message=f"{facts.name}: missing values {verb} from {_pct(ref_share)} to {_pct(cur_share)}",
        details={"ref_share": ref_share, "cur_share": cur_share, "delta": delta},
    )


def _out_of_range(name: str, sample: NumSample, limits: QualityThresholds) -> QualityFinding | None:
    low, high = float(sample.ref[0]), float(sample.ref[-1])
    below = int(np.searchsorted(sample.cur, low, "left"))
    above = len(sample.cur) - int(np.searchsorted(sample.cur, high, "right"))
    share = _share(below + above, len(sample.cur))
    if share >= limits.out_of_range_drift:
        level = DRIFT
    elif share >= limits.out_of_range_warn and share > 0:
        level = WARN
    else:
        return None
    return QualityFinding(
        check="out_of_range",
        column=name,
        severity=level,
        message=(
            f"{name}: {_pct(share)} of current values are outside the reference range "
            f"[{number_label(low) if low.is_integer() else f'{low:.4g}'}, "
            f"{number_label(high) if high.is_integer() else f'{high:.4g}'}]"
        ),
        details={
            "share": share,
            "below": below,
            "above": above,
            "ref_min": low,
            "ref_max": high,
            "cur_min": float(sample.cur[0]),
            "cur_max": float(sample.cur[-1]),
        },
    )


def _new_categories(
    name: str, sample: CatSample, limits: QualityThresholds
) -> QualityFinding | None:
    labels, ref_counts, cur_counts = value_counts(sample)
    new = np.flatnonzero(ref_counts == 0)
    if not len(new):
        return None
    share = _share(int(cur_counts[new].sum()), int(cur_counts.sum()))
    level = DRIFT if share >= limits.new_category_drift else WARN
    order = new[np.argsort(-cur_counts[new], kind="stable")]
    examples = [labels[i] for i in order[:5].tolist()]
    more = f" and {len(new) - 5} more" if len(new) > 5 else ""
    return QualityFinding(
        check="new_category",
        column=name,
        severity=level,
        message=(
            f"{name}: {len(new)} value(s) never seen in the reference "
            f"({_names(repr(e) for e in examples)}{more}) in {_pct(share)} of current rows"
        ),
        details={"n_new": len(new), "share": share, "examples": examples},
    )


def _constant(name: str, sample: Sample) -> QualityFinding | None:
    if isinstance(sample, NumSample):
        became_constant = sample.cur[0] == sample.cur[-1] and sample.ref[0] != sample.ref[-1]
    else:
        became_constant = (
            np.count_nonzero(sample.cur_counts) == 1 and np.count_nonzero(sample.ref_counts) > 1
        )
    if became_constant:
        return QualityFinding(
            check="constant",
            column=name,
            severity=WARN,
            message=f"{name}: every current value is the same, the reference varied",
        )
    return None


def column_findings(facts: ColumnFacts, limits: QualityThresholds) -> list[QualityFinding]:
    """Missing share change, out-of-range numbers, unseen categories, constant columns."""
    found = [_missing(facts, limits)]
    sample = facts.sample
    if isinstance(sample, NumSample):
        found.append(_out_of_range(facts.name, sample, limits))
    else:
        found.append(_new_categories(facts.name, sample, limits))
    found.append(_constant(facts.name, sample))
    return [f for f in found if f is not None]


def empty_finding(name: str, role: str, rows: int) -> QualityFinding:
    return QualityFinding(
        check="empty",
        column=name,
        severity=DRIFT,
        message=f"{name}: no usable values in the {role} data ({rows} rows, all missing); not tested",
        details={"role": role, "rows": rows},
    )


def sort_findings(findings: list[QualityFinding]) -> list[QualityFinding]:
    """Most severe first; stable otherwise."""
    return sorted(findings, key=lambda f: -severity_rank(f.severity))
