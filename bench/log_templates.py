"""Log template mining on the Loghub 2k samples: opsbot's Drain beside Drain's published figures.

For each system of a Loghub-layout folder (`tools/logs/loghub.py`), each line's content goes
through `tools.logs.drain.Drain` and the grouping accuracy (logparser's `get_accuracy`) is
printed for:

* reproduced: logparser's own per-system Drain settings (its regex list, `st`, `depth`), to
  check this Drain against the published figures (logpai/logparser `logparser/Drain/README.md`);
* opsbot: `DrainConfig.opsbot()`, one configuration for all twelve. Held out from its tuning,
  fixed before it: the 4 systems whose names' SHA-256 hex digests sort first (BGL, HPC, Linux,
  Zookeeper); the means on the 8 tuned and on the 4 held out are printed apart.

A line's parsed group is its cluster's final template, as in logparser (which names a cluster
by the MD5 of its template, so clusters that end with the same template are one group); the
`by id` column groups by cluster id instead (what a streaming caller sees). Lines per second:
CPU time of `Drain.add` only, all systems, a fresh parser for each.

Run:  .venv/bin/python -m bench.log_templates [--data DIR] [--json]
--json prints {"systems": {name: {...}}, "mean": opsbot's mean over all, "lines_per_second": …}.
DIR defaults to $OPSBOT_LOGHUB_DIR or /work/shared/data/loghub.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Hashable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.logs.drain import Drain, DrainConfig, Mask
from tools.logs.loghub import DRAIN_PUBLISHED, LOGPARSER_SETTINGS, System, get_accuracy, load_folder

DEFAULT_DIR = Path(os.environ.get("OPSBOT_LOGHUB_DIR", "/work/shared/data/loghub"))
HELD_OUT_COUNT = 4


def held_out(names: list[str]) -> set[str]:
    """The systems kept out of tuning: the first 4 by SHA-256 of the name."""
    ranked = sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    return set(ranked[:HELD_OUT_COUNT])


def logparser_config(name: str) -> DrainConfig:
    setting = LOGPARSER_SETTINGS[name]
    return DrainConfig(
        depth=setting.depth, similarity=setting.st, masks=tuple(Mask(r) for r in setting.regex)
    )


def parse(system: System, config: DrainConfig) -> tuple[list[Hashable], list[Hashable], float]:
    """Each line's group (final template), its cluster id, and the CPU seconds of parsing."""
    drain = Drain(config)
    start = time.process_time()
    ids = [drain.add(line)[0] for line in system.contents]
    spent = time.process_time() - start
    templates = drain.templates()
    return [templates[i] for i in ids], list(ids), spent


def run(folder: Path) -> dict[str, object]:
    systems = load_folder(folder)
    if not systems:
        raise SystemExit(f"no Loghub system found under {folder}")
    held = held_out([s.name for s in systems])
    rows: dict[str, dict[str, object]] = {}
    lines, spent, spent_reproduced = 0, 0.0, 0.0
    for system in systems:
        groups, _, cpu = parse(system, logparser_config(system.name))
        spent_reproduced += cpu
        reproduced = get_accuracy(system.event_ids, groups).accuracy
        groups, ids, cpu = parse(system, DrainConfig.opsbot())
        spent += cpu
        lines += len(system.contents)
        rows[system.name] = {
            "published": DRAIN_PUBLISHED.get(system.name),
            "reproduced": round(reproduced, 4),
            "opsbot": round(get_accuracy(system.event_ids, groups).accuracy, 4),
            "opsbot_by_id": round(get_accuracy(system.event_ids, ids).accuracy, 4),
            "held_out": system.name in held,
            "unmatched_lines": system.unmatched,
        }

    def mean(key: str, which: set[str] | None = None) -> float:
        values = [
            float(r[key])  # type: ignore[arg-type]
            for name, r in rows.items()
            if r[key] is not None and (which is None or name in which)
        ]
        return round(statistics.fmean(values), 4) if values else float("nan")

    tuned = set(rows) - held
    return {
        "systems": rows,
        "mean": mean("opsbot"),
        "mean_tuned": mean("opsbot", tuned),
        "mean_held_out": mean("opsbot", held),
        "mean_by_id": mean("opsbot_by_id"),
        "reproduced_mean": mean("reproduced"),
        "published_mean": mean("published"),
        "lines_per_second": round(lines / spent) if spent else None,
        "reproduced_lines_per_second": round(lines / spent_reproduced)
        if spent_reproduced
        else None,
        "held_out_systems": sorted(held),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.data)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    rows: dict[str, dict[str, object]] = result["systems"]  # type: ignore[assignment]
    print(f"{'system':<11} {'published':>9} {'reproduced':>10} {'opsbot':>7} {'by id':>6}")
    for name, r in rows.items():
        mark = "  (held out)" if r["held_out"] else ""
        published = "" if r["published"] is None else f"{r['published']:.4f}"
        print(
            f"{name:<11} {published:>9} {r['reproduced']:>10.4f} {r['opsbot']:>7.4f} "
            f"{r['opsbot_by_id']:>6.4f}{mark}"
        )
    print(
        f"{'mean':<11} {result['published_mean']:>9.4f} {result['reproduced_mean']:>10.4f} "
        f"{result['mean']:>7.4f} {result['mean_by_id']:>6.4f}"
    )
    print(
        f"opsbot: mean on the {len(rows) - HELD_OUT_COUNT} tuned {result['mean_tuned']:.4f}, "
        f"on the {HELD_OUT_COUNT} held out ({', '.join(result['held_out_systems'])}) "  # type: ignore[arg-type]
        f"{result['mean_held_out']:.4f}"
    )
    print(
        f"lines/s (CPU, parsing only): opsbot {result['lines_per_second']}, "
        f"logparser settings {result['reproduced_lines_per_second']}"
    )


if __name__ == "__main__":
    main()
