"""Drift engine benchmark: speed against Evidently in the same run, and a power table.

1. Timing: reference and current of ROWS rows x 20 columns (15 numeric of several kinds,
   5 categorical), some shifted. Our engine (`run_drift`, from the same pandas frames
   Evidently gets, conversion included) vs Evidently 0.7's legacy `DataDriftPreset`
   (`Report.run` only). Both warmed up first; best of --repeat runs for Evidently and of
   3 x --repeat for ours (cheap; the machine may be shared). Prints wall and CPU time
   (CPU time is what other processes on a shared machine cannot inflate),
   the ratio and whether every per-column decision (and statistic to 1e-6) matches.
   Goal: ours <= 0.5 s and >= 5x faster, decisions identical.

2. Power table: reference N(0,1) vs current N(mu,1), n rows each,
   n in {100, 1000, 10000, 100000}, mu in {0, 0.05, 0.1, 0.25, 0.5}. For each rule
   (its default threshold) the share of seeded trials that flag drift: at mu = 0 that is
   the false-alarm rate, above it the detection rate; 200 seeded trials per n and mu. "default" is Evidently's rule
   (K-S up to 1000 reference rows, normed Wasserstein above).

Run:  .venv/bin/python bench/drift.py            (full: a few minutes)
      .venv/bin/python bench/drift.py --quick    (smaller data, fewer trials: ~30 s)
Flags: --rows N, --repeat N, --trials N, --big-trials N (cap for n = 100000),
       --no-evidently, --no-power, --no-timing.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.registry.drift import STAT_TESTS, run_drift
from tools.registry.drift.stattests import NumSample, default_test_name

POWER_SIZES = (100, 1000, 10_000, 100_000)
POWER_SHIFTS = (0.0, 0.05, 0.1, 0.25, 0.5)
POWER_RULES = ("default", "ks", "wasserstein", "jensenshannon", "psi", "kl_div", "hellinger")


# ---------------------------------------------------------------------------------------
# timing


def make_data(rows: int, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """20 columns: 10 continuous, 2 many-valued integers, 2 few-valued numbers,
    3 text categories, 1 binary text, 1 boolean, 1 continuous with missing values."""
    rng = np.random.default_rng(seed)
    cats = np.array([f"cat_{i}" for i in range(12)], dtype=object)

    def side(shift: float) -> dict[str, Any]:
        cols: dict[str, Any] = {}
        for i in range(10):
            mu = shift * (0.3 if i % 3 == 0 else 0.0)
            cols[f"num_{i}"] = rng.normal(mu, 1 + i / 10, rows)
        cols["int_wide_0"] = rng.integers(0, 500 + int(200 * shift), rows)
        cols["int_wide_1"] = rng.poisson(30, rows)
        cols["few_0"] = rng.choice([1, 2, 3, 4], rows, p=[0.4, 0.3, 0.2, 0.1])
        cols["few_1"] = rng.integers(0, 2, rows)
        p = np.linspace(1, 1 + shift, 12)
        for i in range(3):
            cols[f"cat_{i}"] = cats[rng.choice(12, rows, p=p / p.sum())]
        cols["cat_yes_no"] = np.where(rng.random(rows) < 0.5 + shift / 20, "yes", "no").astype(
            object
        )
        cols["flag"] = rng.random(rows) < 0.1
        gappy = rng.lognormal(shift / 5, 1.0, rows)
        gappy[rng.random(rows) < 0.05] = np.nan
        cols["gappy"] = gappy
        return cols

    return side(0.0), side(1.0)


def _evidently_table(ref: Any, cur: Any) -> tuple[float, float, dict[str, Any]]:
    from evidently.legacy.metric_preset import DataDriftPreset
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    report = Report(metrics=[DataDriftPreset()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started, cpu_started = time.perf_counter(), time.process_time()
        report.run(reference_data=ref, current_data=cur, column_mapping=ColumnMapping())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        metrics = report.as_dict()["metrics"]
    table = next(m["result"] for m in metrics if m["metric"] == "DataDriftTable")
    return elapsed, cpu, table


def _compare(ours: Any, table: dict[str, Any]) -> tuple[bool, float, list[str]]:
    columns = table["drift_by_columns"]
    problems: list[str] = []
    worst_diff = 0.0
    if sorted(f.name for f in ours.features) != sorted(columns):
        problems.append("different column sets")
    for feature in ours.features:
        theirs = columns.get(feature.name)
        if theirs is None:
            continue
        diff = abs(feature.statistic - theirs["drift_score"])
        worst_diff = max(worst_diff, diff)
        if feature.drifted != theirs["drift_detected"]:
            problems.append(f"{feature.name}: decision differs")
        if feature.test_display != theirs["stattest_name"]:
            problems.append(f"{feature.name}: test differs")
        if diff > 1e-6:
            problems.append(f"{feature.name}: statistic differs by {diff:.2e}")
    if ours.dataset_drift != table["dataset_drift"]:
        problems.append("dataset drift differs")
    return not problems, worst_diff, problems


def run_timing(rows: int, repeat: int, with_evidently: bool) -> None:
    import pandas as pd

    ref_cols, cur_cols = make_data(rows)
    ref, cur = pd.DataFrame(ref_cols), pd.DataFrame(cur_cols)
    print(f"== timing: {rows:,} rows x {ref.shape[1]} columns (reference and current each)")
    small_ref, small_cur = ref.head(2000), cur.head(2000)
    run_drift(small_ref, small_cur)  # warm-up: lazy scipy imports, caches
    ours_times, ours_cpu = [], []
    report = None
    for _ in range(3 * repeat):  # ours is cheap: more runs make "best" robust to load
        started, cpu_started = time.perf_counter(), time.process_time()
        report = run_drift(ref, cur)
        ours_times.append(time.perf_counter() - started)
        ours_cpu.append(time.process_time() - cpu_started)
    assert report is not None
    ours_best = min(ours_times)
    print(
        f"ours:      {ours_best:.3f} s wall (best of {len(ours_times)}; median "
        f"{sorted(ours_times)[len(ours_times) // 2]:.3f} s); CPU {min(ours_cpu):.3f} s"
    )
    tests = {}
    for f in report.features:
        tests[f.test] = tests.get(f.test, 0) + 1
    print(
        f"           tests used: {', '.join(f'{k} x{v}' for k, v in sorted(tests.items()))}; "
        f"{report.n_drifted}/{report.n_features} drifted, dataset drift {report.dataset_drift}"
    )
    if not with_evidently:
        return
    started = time.perf_counter()
    import evidently  # noqa: F401  (import time is reported apart)

    print(f"evidently import: {time.perf_counter() - started:.1f} s (not counted)")
    _evidently_table(small_ref, small_cur)  # warm-up
    ev_times, ev_cpu = [], []
    table: dict[str, Any] = {}
    for _ in range(repeat):
        elapsed, cpu, table = _evidently_table(ref, cur)
        ev_times.append(elapsed)
        ev_cpu.append(cpu)
    ev_best = min(ev_times)
    print(
        f"evidently: {ev_best:.3f} s wall (best of {repeat}; runs: "
        f"{', '.join(f'{t:.3f}' for t in ev_times)}); CPU {min(ev_cpu):.3f} s"
    )
    same, worst_diff, problems = _compare(report, table)
    print(
        f"ratio:     {ev_best / ours_best:.1f}x faster by wall time, "
        f"{min(ev_cpu) / min(ours_cpu):.1f}x by CPU time (evidently / ours)"
    )
    print(
        f"decisions: {'all identical' if same else 'DIFFERENT'} "
        f"({len(report.features)} columns; largest statistic difference {worst_diff:.1e})"
    )
    for problem in problems:
        print(f"  - {problem}")
    goal_time = ours_best <= 0.5
    goal_ratio = ev_best / ours_best >= 5
    print(
        f"goal:      ours <= 0.5 s: {'met' if goal_time else 'NOT met'}; "
        f">= 5x faster: {'met' if goal_ratio else 'NOT met'}; identical decisions: "
        f"{'met' if same else 'NOT met'}"
    )


# ---------------------------------------------------------------------------------------
# power table


def run_power(sizes: tuple[int, ...], trials: int, big_trials: int) -> None:
    print(
        "\n== power: reference N(0,1) vs current N(mu,1), n rows each; share of trials flagged "
        "(mu = 0: false-alarm rate)"
    )
    print(
        "   thresholds: "
        + ", ".join(
            f"{name} {STAT_TESTS[name].drift_if} {STAT_TESTS[name].default_threshold:g}"
            for name in POWER_RULES
            if name != "default"
        )
    )
    header = f"{'n':>7} {'trials':>6} {'mu':>5} " + " ".join(f"{r:>13}" for r in POWER_RULES)
    print(header)
    print("-" * len(header))
    started_all = time.perf_counter()
    for n in sizes:
        n_trials = big_trials if n >= 100_000 else trials
        hits = {(mu, rule): 0 for mu in POWER_SHIFTS for rule in POWER_RULES}
        started = time.perf_counter()
        for trial in range(n_trials):
            rng = np.random.default_rng([n, trial])
            ref = rng.standard_normal(n)
            noise = rng.standard_normal(n)
            for mu in POWER_SHIFTS:
                sample = NumSample(ref, noise + mu)
                for rule in POWER_RULES:
                    name = default_test_name("num", n, n) if rule == "default" else rule
                    test = STAT_TESTS[name]
                    if test.is_drift(test.compute(sample), test.default_threshold):
                        hits[(mu, rule)] += 1
        for mu in POWER_SHIFTS:
            cells = " ".join(f"{hits[(mu, rule)] / n_trials:>13.3f}" for rule in POWER_RULES)
            print(f"{n:>7} {n_trials:>6} {mu:>5} {cells}")
        print(f"{'':>7} ({time.perf_counter() - started:.1f} s)")
    print(f"power table: {time.perf_counter() - started_all:.1f} s in total")
    print(
        "default = K-S for n <= 1000, normed Wasserstein above. The current sample reuses one "
        "noise draw per trial across mu (common random numbers), seeds = (n, trial)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="20,000 rows, power n <= 10,000, 50 trials"
    )
    parser.add_argument(
        "--rows", type=int, default=None, help="rows per side for the timing (100000)"
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per engine (3)")
    parser.add_argument("--trials", type=int, default=None, help="power trials per n (200)")
    parser.add_argument(
        "--big-trials", type=int, default=None, help="power trials for n = 100000 (200)"
    )
    parser.add_argument("--no-evidently", action="store_true", help="time only our engine")
    parser.add_argument("--no-power", action="store_true", help="skip the power table")
    parser.add_argument("--no-timing", action="store_true", help="skip the timing comparison")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 100_000)
    repeat = args.repeat or (2 if args.quick else 3)
    trials = args.trials or (50 if args.quick else 200)
    big_trials = args.big_trials or (20 if args.quick else 200)
    sizes = POWER_SIZES[:3] if args.quick else POWER_SIZES
    for name, value in (
        ("rows", rows),
        ("repeat", repeat),
        ("trials", trials),
        ("big-trials", big_trials),
    ):
        if value < 1:
            parser.error(f"--{name} must be >= 1")
    if not args.no_timing:
        run_timing(rows, repeat, not args.no_evidently)
    if not args.no_power:
        run_power(sizes, trials, big_trials)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
