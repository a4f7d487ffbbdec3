"""`opsbot models import-predictions|import-outcomes|performance`: predictions and their
outcomes from a file, and a model's performance over windows (tools/modelperf).

`import-predictions NAME FILE [--version V]` and `import-outcomes NAME FILE` read CSV, or
Parquet when pyarrow is installed (tools/modelperf/files.py), in batches; every bad row is
reported with its line number and reason, the rest is kept; the exit status is 1 when a row
was rejected. `performance NAME [--version V] [--window 1d]` runs the `model_performance`
tool; `performance --check --json` prints the monitor's findings (bot/monitors/
model_performance.py runs it in a child process). `fairness NAME --feature F` runs the
`model_fairness` tool (default: the features of MODEL_FAIRNESS_FEATURES); `fairness --check
--json` prints the fairness monitor's check (bot/monitors/model_fairness.py).
"""

from __future__ import annotations

import argparse
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import CliError
from bot.commands.common import print_json, run_tool
from bot.commands.deps import bind, perf_commands

if TYPE_CHECKING:
    from bot.commands.deps import PerfCommands
    from tools.modelperf.intake import IntakeReport

BATCH = 5000  # rows per transaction of an import


def register_performance(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("import-predictions", help="store a model's predictions from CSV/Parquet")
    p.add_argument("name")
    p.add_argument(
        "file", type=Path, help="CSV (header: id,timestamp,prediction[,score,version,...features])"
    )
    p.add_argument("--version", help="version of rows without one (default: the live version)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_import_predictions, perf_commands))

    p = verbs.add_parser("import-outcomes", help="store the outcomes of stored predictions")
    p.add_argument("name")
    p.add_argument("file", type=Path, help="CSV (header: id,actual) or Parquet")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_import_outcomes, perf_commands))

    p = verbs.add_parser("performance", help="realised and estimated performance over windows")
    p.add_argument("name", nargs="?")
    p.add_argument("--version", help="3, v3 or an alias (default: the live version)")
    p.add_argument("--window", help="length of each window: 1h, 1d, 7d (default MODELPERF_WINDOW)")
    p.add_argument("--check", action="store_true", help="every model, as the monitor checks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_performance, perf_commands))

    p = verbs.add_parser("fairness", help="fairness gaps by sensitive feature (MODEL_FAIRNESS_*)")
    p.add_argument("name", nargs="?")
    p.add_argument("--feature", action="append", help="a sensitive feature (repeatable)")
    p.add_argument("--check", action="store_true", help="every configured model, as the monitor")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_fairness, perf_commands))


def _import(deps: PerfCommands, path: Path, as_json: bool, take: Any) -> int:
    from tools.modelperf.files import read_rows
    from tools.modelperf.intake import IntakeReport

    total = IntakeReport()
    rows = read_rows(path)
    while chunk := list(islice(rows, BATCH)):
        lines = [line for line, _ in chunk]
        part: IntakeReport = take([row for _, row in chunk])
        total.received += part.received
        total.stored += part.stored
        total.duplicates += part.duplicates
        total.rejected += [type(r)(lines[r.index], r.reason, r.id) for r in part.rejected]
    if as_json:
        print_json(total.to_dict())
    else:
        print(total.text("rows", "line"))
    return 1 if total.rejected else 0


def cmd_import_predictions(args: argparse.Namespace, deps: PerfCommands) -> int:
    intake = deps.perf().intake
    return _import(
        deps, args.file, args.json, lambda rows: intake.predictions(args.name, rows, args.version)
    )


def cmd_import_outcomes(args: argparse.Namespace, deps: PerfCommands) -> int:
    intake = deps.perf().intake
    return _import(deps, args.file, args.json, lambda rows: intake.outcomes(args.name, rows))


def cmd_performance(args: argparse.Namespace, deps: PerfCommands) -> int:
    if args.check:
        from tools.modelperf.findings import drop_findings, to_json

        checked, problems = deps.perf().check()
        findings = drop_findings(checked, deps.pipelines)
        if args.json:
            print_json([to_json(f) for f in findings])
        else:
            for f in findings:
                print(f"{f.title}\n  {f.summary}")
            for problem in problems:
                print(f"not checked: {problem}")
            if not findings:
                print("no model performance drop")
        return 0
    if not args.name:
        raise CliError("name the model (or --check for every model)", code=2)
    raw = {"model": args.name, "version": args.version, "window": args.window}
    return run_tool(
        deps.terminal, "model_performance", raw, user=deps.terminal.user, as_json=args.json
    )


def cmd_fairness(args: argparse.Namespace, deps: PerfCommands) -> int:
    if args.check:
        from core.clock import utcnow
        from tools.modelperf.fairness_check import check_fairness

        result = check_fairness(deps.perf(), deps.fairness, utcnow())
        if args.json:
            print_json(result.to_json())
            return 0
        for f in result.findings:
            print(f"{f.title}\n  {f.summary}")
        for item in result.unjudged:
            print(f"not judged: {item.text()}")
        if not result.findings:
            print("no fairness gap over threshold")
        return 0
    if not args.name:
        raise CliError("name the model (or --check for every configured model)", code=2)
    features = args.feature or list(deps.fairness.features.get(args.name, ()))
    if not features:
        raise CliError(
            f"name a --feature: no sensitive feature of {args.name} is configured "
            "(MODEL_FAIRNESS_FEATURES)",
            code=2,
        )
    raw = {
        "model": args.name,
        "features": features,
        "min_group_size": deps.fairness.min_group_size,
    }
    return run_tool(
        deps.terminal, "model_fairness", raw, user=deps.terminal.user, as_json=args.json
    )
