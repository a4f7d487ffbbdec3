"""Reading a corpus in NAB's layout: data files, label windows, profiles, detector results.

<root>/data/<category>/<file>.csv                       timestamp,value
<root>/labels/combined_windows.json                     {"<category>/<file>.csv": [[start, end], ...]}
<root>/config/profiles.json                             {"standard": {"CostMatrix": {...}}, ...}
<root>/results/<detector>/<category>/<detector>_<file>.csv   ...,anomaly_score,...
<root>/results/<detector>/<detector>_<profile>_scores.csv    per-file rows NAB wrote
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.errors import Invalid, NotFound
from tools.anomaly.nab.sweep import CostMatrix, ThresholdScore

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


@dataclass(frozen=True)
class LabelledFile:
    """One data file with its anomaly windows as (first, last) row indices."""

    name: str  # "<category>/<file>.csv", the key in NAB's label file
    timestamps: npt.NDArray[np.datetime64]
    values: npt.NDArray[np.float64]
    windows: list[tuple[int, int]]


def data_root(directory: Path) -> Path:
    """The folder holding `<category>/<file>.csv`: `directory/data` when there is one."""
    if not directory.is_dir():
        raise NotFound(f"no such data folder: {directory}")
    nested = directory / "data"
    return nested if nested.is_dir() else directory


def load_profiles(path: Path) -> dict[str, CostMatrix]:
    try:
        raw = json.loads(path.read_text())
        return {
            name: CostMatrix(
                name=name,
                tp_weight=float(body["CostMatrix"]["tpWeight"]),
                fp_weight=float(body["CostMatrix"]["fpWeight"]),
                fn_weight=float(body["CostMatrix"]["fnWeight"]),
            )
            for name, body in raw.items()
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Invalid(f"cannot read NAB profiles from {path}: {exc}") from exc


def load_label_windows(path: Path) -> dict[str, list[tuple[str, str]]]:
    try:
        raw = json.loads(path.read_text())
        return {name: [(str(a), str(b)) for a, b in windows] for name, windows in raw.items()}
    except (OSError, ValueError, TypeError) as exc:
        raise Invalid(f"cannot read NAB label windows from {path}: {exc}") from exc


def read_columns(path: Path, columns: tuple[str, ...]) -> dict[str, list[str]]:
    """Named columns of a CSV file with a header row, as text."""
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc}") from exc
    missing = [c for c in columns if rows and c not in rows[0]]
    if missing or not rows:
        raise Invalid(f"{path}: no rows or no column {', '.join(missing)}")
    return {c: [row[c] for row in rows] for c in columns}


def _floats(path: Path, column: str, texts: list[str]) -> npt.NDArray[np.float64]:
    try:
        return np.array([float(t) if t.strip() else np.nan for t in texts], dtype=np.float64)
    except ValueError as exc:
        raise Invalid(f"{path}: column {column} is not numeric: {exc}") from exc


def read_series(path: Path) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.float64]]:
    """A NAB data file's timestamps and values (an empty value is NaN)."""
    columns = read_columns(path, ("timestamp", "value"))
    try:
        stamps = np.array(columns["timestamp"], dtype="datetime64[ns]")
    except ValueError as exc:
        raise Invalid(f"{path}: a timestamp is not a date and time: {exc}") from exc
    return stamps, _floats(path, "value", columns["value"])


def window_rows(
    name: str, timestamps: npt.NDArray[np.datetime64], windows: list[tuple[str, str]]
) -> list[tuple[int, int]]:
    """Label windows as row indices; every edge must be a timestamp of the file (as NAB checks)."""
    rows: list[tuple[int, int]] = []
    for start, end in windows:
        edges = []
        for edge in (start, end):
            hits = np.flatnonzero(timestamps == np.datetime64(edge, "ns"))
            if hits.size == 0:
                raise Invalid(f"{name}: window edge {edge} is not a timestamp of the file")
            edges.append(int(hits[0]))
        rows.append((edges[0], edges[1]))
    return sorted(rows)


def load_corpus(data_dir: Path, labels_path: Path) -> list[LabelledFile]:
    """Every labelled data file under `data_dir` (files the label file does not name are left
    out, as NAB's runner leaves them out), sorted by name."""
    root = data_root(data_dir)
    labels = load_label_windows(labels_path)
    files = []
    for path in sorted(root.glob("*/*.csv")):
        name = path.relative_to(root).as_posix()
        if name not in labels:
            continue
        stamps, values = read_series(path)
        files.append(LabelledFile(name, stamps, values, window_rows(name, stamps, labels[name])))
    if not files:
        raise NotFound(f"no labelled NAB data files under {root} (labels: {labels_path})")
    return files


def result_path(results_dir: Path, detector: str, name: str) -> Path:
    category, file_name = name.split("/", 1)
    return results_dir / detector / category / f"{detector}_{file_name}"


def read_anomaly_scores(path: Path, rows: int) -> npt.NDArray[np.float64]:
    scores = _floats(path, "anomaly_score", read_columns(path, ("anomaly_score",))["anomaly_score"])
    if len(scores) != rows:
        raise Invalid(f"{path}: {len(scores)} anomaly scores for a {rows}-row data file")
    return scores


def published_rows(results_dir: Path, detector: str, profile: str) -> dict[str, ThresholdScore]:
    """The per-file rows NAB wrote for a detector and profile, by file (no Totals row)."""
    path = results_dir / detector / f"{detector}_{profile}_scores.csv"
    if not path.exists():
        raise NotFound(f"no published scores for {detector} / {profile}: {path}")
    names = ("File", "Threshold", "Score", "TP", "TN", "FP", "FN", "Total_Count")
    columns = read_columns(path, names)
    out = {}
    for i, name in enumerate(columns["File"]):
        if not name or columns["Threshold"][i] == "":
            continue
        try:
            counts = [int(float(columns[c][i])) for c in names[3:]]
            out[name] = ThresholdScore(
                float(columns["Threshold"][i]), float(columns["Score"][i]), *counts
            )
        except ValueError as exc:
            raise Invalid(f"{path}: row for {name} is not numeric: {exc}") from exc
    return out


def published_detectors(results_dir: Path) -> list[str]:
    return sorted(
        p.name for p in results_dir.iterdir() if (p / f"{p.name}_standard_scores.csv").exists()
    )
