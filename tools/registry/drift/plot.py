"""One PNG with a small panel per drifted feature: reference vs current.

Drawn from the histograms stored in the report, so a past run can be pictured without
its data. matplotlib is imported here only, lazily, and used through `Figure` + the Agg
canvas (no pyplot, no global backend switch), which is safe in a headless server and
in threads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.registry.drift.errors import DriftError
from tools.registry.drift.explain import TEST_NAMES, _stat
from tools.registry.drift.report import DriftReport, FeatureDrift

REF_COLOR = "#4C72B0"
CUR_COLOR = "#DD8452"
MAX_LABEL = 12


def _shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _panel(ax: Any, feature: FeatureDrift) -> None:
    hist = feature.histogram or {}
    ref, cur = _shares(hist.get("ref", [])), _shares(hist.get("cur", []))
    if hist.get("type") == "hist":
        edges = hist["edges"]
        ax.stairs(ref, edges, fill=True, alpha=0.45, color=REF_COLOR, label="reference")
        ax.stairs(cur, edges, fill=True, alpha=0.45, color=CUR_COLOR, label="current")
        ax.stairs(cur, edges, color=CUR_COLOR, linewidth=1.2)
    else:
        labels = [_short(str(v)) for v in hist.get("labels", [])]
        xs = range(len(labels))
        width = 0.4
        ax.bar([x - width / 2 for x in xs], ref, width, color=REF_COLOR, label="reference")
        ax.bar([x + width / 2 for x in xs], cur, width, color=CUR_COLOR, label="current")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, rotation=45 if len(labels) > 6 else 0, ha="right", fontsize=7)
    verdict = "DRIFT" if feature.drifted else feature.severity
    ax.set_title(
        f"{feature.name}: {verdict}\n{TEST_NAMES.get(feature.test, feature.test)} "
        f"{_stat(feature)} (threshold {feature.threshold:g})",
        fontsize=9,
    )
    ax.set_ylabel("share of rows", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)


def plot_drift(
    report: DriftReport,
    path: str | Path,
    features: Sequence[str] | None = None,
    max_panels: int = 12,
    title: str | None = None,
) -> Path:
    """Write the PNG and return its path.

    features: names to draw (default: the drifted ones, most severe first as in the
    report). Raises DriftError when there is nothing to draw or histograms were not kept.
    """
    if features is None:
        chosen = report.drifted_features
        if not chosen:
            raise DriftError("no feature drifted, so there is nothing to plot; pass features=[...]")
    else:
        chosen = [report.feature(name) for name in features]
    chosen = chosen[:max_panels]
    missing = [f.name for f in chosen if not f.histogram]
    if missing:
        raise DriftError(
            f"the report has no histograms for {', '.join(missing)}; run drift with histograms=True"
        )
    from matplotlib.figure import Figure

    cols = min(3, len(chosen))
    rows = math.ceil(len(chosen) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows + 0.6), dpi=100)
    axes = fig.subplots(rows, cols, squeeze=False)
    for index, feature in enumerate(chosen):
        _panel(axes[index // cols][index % cols], feature)
    for index in range(len(chosen), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    heading = title or (
        f"Drift: {report.n_drifted} of {report.n_features} features drifted"
        + (" (dataset drift)" if report.dataset_drift else "")
    )
    fig.suptitle(heading, fontsize=11)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out
