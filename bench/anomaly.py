"""NAB benchmark of opsbot's streaming anomaly detector beside the published detectors.

Runs `tools.anomaly.detector.StreamingDetector` (one configuration; its learning period set to
each file's NAB probationary period) over every labelled file of a folder in NAB's layout,
tunes one threshold per profile as NAB's optimiser does and prints normalised NAB scores:

* opsbot on the tuned files, on the held-out files (threshold from the tuned files only) and
  on all files (threshold tuned on all, as NAB does). Held out: files whose name's SHA-256 is
  0 mod 4 (fixed; 10 of the 35 shipped files).
* each published detector on the same files, from its per-file rows in
  `results/<detector>/<detector>_<profile>_scores.csv` (NAB's thresholds, tuned on all 58).
* cost per point (µs of CPU time, detector only).

Run:  .venv/bin/python -m bench.anomaly [--data DIR] [--labels FILE] [--json]
--json prints {"standard": …, "reward_low_FP_rate": …, "reward_low_FN_rate": …, "files": N}
for all files (threshold tuned on them). DIR defaults to $OPSBOT_NAB_DIR or
/work/shared/data/nab; FILE to DIR/labels/combined_windows.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.errors import NotFound
from tools.anomaly.detector import DetectorConfig, StreamingDetector
from tools.anomaly.nab.corpus import (
    PROFILES,
    LabelledFile,
    load_corpus,
    load_profiles,
    published_detectors,
    published_rows,
)
from tools.anomaly.nab.score import normalise, null_raw, perfect_raw, score_files, tune_threshold
from tools.anomaly.nab.sweep import CostMatrix, probation_length

DEFAULT_DIR = Path(os.environ.get("OPSBOT_NAB_DIR", "/work/shared/data/nab"))
DEFAULT_PROFILES = {
    "standard": CostMatrix("standard", 1.0, 0.11, 1.0),
    "reward_low_FP_rate": CostMatrix("reward_low_FP_rate", 1.0, 0.22, 1.0),
    "reward_low_FN_rate": CostMatrix("reward_low_FN_rate", 1.0, 0.11, 2.0),
}


def held_out(name: str) -> bool:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 4 == 0


def run_detector(files: list[LabelledFile]) -> tuple[dict[str, np.ndarray], float]:
    """Anomaly scores per file, and CPU µs per point."""
    scores: dict[str, np.ndarray] = {}
    points, spent = 0, 0.0
    for f in files:
        config = DetectorConfig(learning_points=max(10, int(probation_length(len(f.values)))))
        detector = StreamingDetector(config)
        stamps = f.timestamps.astype("datetime64[s]").astype(np.int64).astype(float).tolist()
        values = f.values.tolist()
        start = time.process_time()
        out = [detector.update(t, v).score for t, v in zip(stamps, values, strict=True)]
        spent += time.process_time() - start
        scores[f.name] = np.array(out)
        points += len(out)
    return scores, spent / max(points, 1) * 1e6


def published_score(
    results: Path, detector: str, files: list[LabelledFile], cost: CostMatrix
) -> float | None:
    try:
        rows = published_rows(results, detector, cost.name)
    except NotFound:  # a detector without rows for this profile is left out of the table
        return None
    if not all(f.name in rows for f in files):
        return None
    raw = sum(rows[f.name].score for f in files)
    return normalise(raw, null_raw(files, cost), perfect_raw(files, cost))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    labels = args.labels or args.data / "labels" / "combined_windows.json"
    files = load_corpus(args.data, labels)
    profile_file = args.data / "config" / "profiles.json"
    profiles = load_profiles(profile_file) if profile_file.exists() else DEFAULT_PROFILES
    scores, cost_us = run_detector(files)

    everything = {
        p: score_files(files, scores, profiles[p], tune_threshold(files, scores, profiles[p]))
        for p in PROFILES
    }
    if args.json:
        out: dict[str, float | int] = {p: round(everything[p].normalised, 3) for p in PROFILES}
        out["files"] = len(files)
        print(json.dumps(out))
        return 0

    tuned = [f for f in files if not held_out(f.name)]
    held = [f for f in files if held_out(f.name)]
    print(f"NAB scores on {len(files)} files of {args.data} (normalised on these files only)")
    print(f"held out of tuning: {len(held)} files ({', '.join(f.name for f in held)})\n")
    print(f"{'detector':<22}" + "".join(f"{p:>20}" for p in PROFILES))
    rows: list[tuple[str, list[str]]] = []
    for label, subset in (("tuned", tuned), ("held-out", held)):
        if not subset or not tuned:
            continue
        cells = []
        for p in PROFILES:
            threshold = tune_threshold(tuned, scores, profiles[p])
            cells.append(f"{score_files(subset, scores, profiles[p], threshold).normalised:.1f}")
        rows.append((f"opsbot ({label})", cells))
    rows.append(("opsbot (all)", [f"{everything[p].normalised:.1f}" for p in PROFILES]))
    results = args.data / "results"
    if results.is_dir():
        for detector in published_detectors(results):
            values = [published_score(results, detector, files, profiles[p]) for p in PROFILES]
            if all(v is not None for v in values):
                rows.append((detector, [f"{v:.1f}" for v in values if v is not None]))
    for name, cells in rows:
        print(f"{name:<22}" + "".join(f"{c:>20}" for c in cells))
    print(f"\ncost per point: {cost_us:.1f} µs CPU (opsbot detector, pure Python)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
