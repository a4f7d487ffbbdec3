"""The PNG of an anomaly: the recent window of the series and the range it was expected in.
matplotlib is imported here only, when an anomaly opens (Figure + Agg canvas, no pyplot)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def plot_anomaly(
    series: str,
    points: list[tuple[datetime, float]],
    band: tuple[float, float] | None,
    since: datetime | None,
    path: Path,
) -> Path:
    """Draw `points` (any order) with the expected band shaded and the onset marked."""
    from matplotlib.dates import AutoDateFormatter, AutoDateLocator, date2num
    from matplotlib.figure import Figure

    ordered = sorted(points)
    fig = Figure(figsize=(7.5, 3.2), dpi=100)
    ax = fig.subplots()
    times = date2num([t for t, _ in ordered])
    ax.plot(times, [v for _, v in ordered], color="#1f6feb", linewidth=1.4)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(AutoDateFormatter(locator))
    if band is not None:
        ax.axhspan(band[0], band[1], color="#2da44e", alpha=0.15, label="expected range")
    if since is not None:
        ax.axvline(
            float(date2num(since)),
            color="#cf222e",
            linestyle="--",
            linewidth=1,
            label="anomalous since",
        )
    ax.set_title(f"{series}: recent values and expected range", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
