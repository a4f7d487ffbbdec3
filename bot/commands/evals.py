"""`opsbot eval`: run the evaluation suite (evals/*.yml) on the demo workspace, through the
same agent as `opsbot ask`, on Claude when a key is set and the offline planner otherwise."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bot.cli import CliError
from bot.commands.deps import bind, no_deps

EVALS_DIR = Path(__file__).resolve().parent.parent.parent / "evals"


def register(sub: argparse._SubParsersAction) -> None:
    evals = sub.add_parser("eval", help="run the evaluation suite on a fresh demo workspace")
    evals.add_argument("--category", action="append", help="only this category (repeatable)")
    evals.add_argument("--case", action="append", help="only this case id (repeatable)")
    evals.add_argument("--json", action="store_true", help="print one JSON object")
    evals.add_argument(
        "--min-pass", type=Path, metavar="FILE", help="floors (e.g. evals/floors.yml): exit 1 below"
    )
    evals.add_argument("--dir", type=Path, default=EVALS_DIR, help="the case folder")
    evals.set_defaults(handler=bind(cmd_eval, no_deps))


def cmd_eval(args: argparse.Namespace, deps: None) -> int:
    """Builds its own workspaces: the user's data directory is never touched."""
    from bot.evals.cases import load_cases
    from bot.evals.report import Report, below_floors, load_floors
    from bot.evals.runner import CaseOutcome, run_cases
    from bot.evals.workspace import build_template

    cases = load_cases(args.dir)
    if args.category:
        cases = [c for c in cases if c.category in set(args.category)]
    if args.case:
        cases = [c for c in cases if c.id in set(args.case)]
    if not cases:
        raise CliError("no case matches --category/--case")
    floors = load_floors(args.min_pass) if args.min_pass else {}

    def progress(outcome: CaseOutcome) -> None:
        if not args.json:
            print("." if outcome.passed else "F", end="", file=sys.stderr, flush=True)

    # the suite's workspace is its own: the user's data dir is never touched
    overrides = {"knowledge_dir": None, "database_url": None}
    with tempfile.TemporaryDirectory(prefix="opsbot-eval-") as work:
        template = build_template(Path(work) / "template", overrides)
        outcomes = run_cases(
            cases, template=template, work=Path(work), overrides=overrides, progress=progress
        )
    if not args.json:
        print(file=sys.stderr)
    report = Report(outcomes)
    low = below_floors(report, floors)
    if args.json:
        print(json.dumps(report.to_json() | {"below_floors": low}, default=str))
    else:
        print(report.text())
        for line in low:
            print(f"opsbot: {line}", file=sys.stderr)
    return 1 if low else 0
