"""Small descriptions of a column's two distributions, kept in the report.

They let the explanation say what moved ("mean rose from 0.20 to 0.28", "share of '2'
went from 18% to 31%") and let a plot be drawn later from the stored report alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.registry.drift.columns import number_label
from tools.registry.drift.stattests import CatSample, NumSample, Sample, sorted_histogram

MAX_BARS = 20
MAX_HIST_BINS = 40
TOP_CHANGES = 5


def _label(value: object) -> str:
    return number_label(float(value)) if isinstance(value, int | float | np.number) else str(value)


def _num_stats(values: np.ndarray) -> dict[str, float]:
    n = len(values)
    mid = n // 2
    median = float(values[mid]) if n % 2 else float((values[mid - 1] + values[mid]) / 2)
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values[0]),
        "median": median,
        "max": float(values[-1]),
    }


def value_counts(sample: Sample) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels with reference and current counts, for category-like views of any sample."""
    if isinstance(sample, CatSample):
        return [_label(c) for c in sample.categories], sample.ref_counts, sample.cur_counts
    values, ref_counts, cur_counts = sample.value_counts
    return [number_label(float(v)) for v in values.tolist()], ref_counts, cur_counts


def _share_changes(sample: Sample) -> dict[str, Any]:
    labels, ref_counts, cur_counts = value_counts(sample)
    ref_share = ref_counts / max(int(ref_counts.sum()), 1)
    cur_share = cur_counts / max(int(cur_counts.sum()), 1)
    order = np.argsort(-np.abs(cur_share - ref_share), kind="stable")[:TOP_CHANGES]
    new = np.flatnonzero(ref_counts == 0)
    new = new[np.argsort(-cur_share[new], kind="stable")]
    return {
        "n_categories": len(labels),
        "top_changes": [
            {"value": labels[i], "ref_share": float(ref_share[i]), "cur_share": float(cur_share[i])}
            for i in order.tolist()
        ],
        "new_values": [
            {"value": labels[i], "cur_share": float(cur_share[i])}
            for i in new[:TOP_CHANGES].tolist()
        ],
        "n_new_values": len(new),
        "new_share": float(cur_share[new].sum()) if len(new) else 0.0,
    }


def summarize(sample: Sample) -> dict[str, Any]:
    """Means/spreads for numerical samples; share changes where values are few."""
    out: dict[str, Any] = {}
    if isinstance(sample, NumSample):
        out["ref"] = _num_stats(sample.ref)
        out["cur"] = _num_stats(sample.cur)
        if sample.n_unique <= MAX_BARS:
            out.update(_share_changes(sample))
    else:
        out.update(_share_changes(sample))
    return out


def histogram(sample: Sample) -> dict[str, Any]:
    """Compact counts to plot: shared bins for many-valued numbers, else bars per value."""
    if isinstance(sample, NumSample) and sample.n_unique > MAX_BARS:
        edges = np.histogram_bin_edges(sample.merged, bins="sturges")
        if len(edges) - 1 > MAX_HIST_BINS:
            edges = np.histogram_bin_edges(sample.merged, bins=MAX_HIST_BINS)
        return {
            "type": "hist",
            "edges": edges.tolist(),
            "ref": sorted_histogram(sample.ref, edges).tolist(),
            "cur": sorted_histogram(sample.cur, edges).tolist(),
        }
    labels, ref_counts, cur_counts = value_counts(sample)
    if len(labels) > MAX_BARS:
        weight = ref_counts / max(int(ref_counts.sum()), 1) + cur_counts / max(
            int(cur_counts.sum()), 1
        )
        keep = np.sort(np.argsort(-weight, kind="stable")[: MAX_BARS - 1])
        rest = np.setdiff1d(np.arange(len(labels)), keep)
        labels = [labels[i] for i in keep.tolist()] + [f"(other {len(rest)})"]
        ref_counts = np.append(ref_counts[keep], ref_counts[rest].sum())
        cur_counts = np.append(cur_counts[keep], cur_counts[rest].sum())
    return {
        "type": "bars",
        "labels": labels,
        "ref": [int(v) for v in ref_counts.tolist()],
        "cur": [int(v) for v in cur_counts.tolist()],
    }
