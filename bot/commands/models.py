"""`opsbot models ...`: the model registry from the command line.

list | show | register | data | alias | drift | check | history; the predictions, outcomes
and performance verbs are in bot/commands/modelperf.py.
`alias` never moves an alias by itself: like the chat tool it creates a pending approval
(preview: current holder, target, metric diff, drift status of the target) that an
on-call engineer grants with `opsbot approve ID`. `drift --json` prints exactly
`{"dataset_drift", "drift_share", "features": [{"name", "test", "statistic", "threshold",
"drifted"}]}`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import CliError
from bot.commands.common import approval_card, print_json, request_approval, run_tool
from bot.commands.deps import bind, model_commands
from bot.commands.modelperf import register_performance

if TYPE_CHECKING:
    from bot.commands.deps import ModelCommands


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="model registry: versions, aliases, drift")
    verbs = models.add_subparsers(dest="models_command", metavar="ACTION")
    verbs.required = True

    p = verbs.add_parser("list", help="list models with versions, aliases and live drift")
    p.add_argument("--filter", help="only models whose name contains this text")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_list, model_commands))

    p = verbs.add_parser("show", help="versions, aliases, metrics vs production, drift")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_show, model_commands))

    p = verbs.add_parser("register", help="register a new immutable version (creates the model)")
    p.add_argument("name")
    p.add_argument(
        "--source",
        required=True,
        help="artifact URI of the model (s3://b/m, runs:/<run>/model) or an MLflow 3 logged "
        "model, models:/m-<id>",
    )
    p.add_argument("--run-id", help="MLflow run id (lineage)")
    p.add_argument(
        "--model-id",
        metavar="m-ID",
        help="MLflow 3 logged model the version is promoted from (implied by models:/m-<id>)",
    )
    p.add_argument("--metric", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--tag", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--description", default="", help="what this version is")
    p.add_argument("--model-description", help="description of the model (sets/updates it)")
    p.add_argument(
        "--status",
        default="READY",
        choices=["READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION"],
        help="built-in registry only (MLflow sets the status itself)",
    )
    _data_arguments(p, required=False)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_register, model_commands))

    p = verbs.add_parser("data", help="set where a version's reference and current data live")
    p.add_argument("name")
    p.add_argument("version", help="3, v3 or an alias")
    _data_arguments(p, required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_data, model_commands))

    p = verbs.add_parser("alias", help="request an alias move (needs an on-call approval)")
    p.add_argument("name")
    p.add_argument("alias", help="e.g. production, staging, champion")
    p.add_argument("version", nargs="?", help="target version; omit to roll back one step")
    p.add_argument("--reason", help="why (kept in the alias history)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_alias, model_commands), console_mode=True)

    p = verbs.add_parser("drift", help="drift of a version's current data vs its reference")
    p.add_argument("name")
    p.add_argument("--version", help="3, v3 or an alias (default: the production version)")
    p.add_argument("--refresh", action="store_true", help="run again even if a report is current")
    p.add_argument("--plot", type=Path, help="also write the PNG of the drifted features here")
    p.add_argument("--history", action="store_true", help="list stored reports instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_drift, model_commands))

    p = verbs.add_parser(
        "check",
        help="run the scheduled drift check of every live model once, as the scheduler does",
    )
    p.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    p.set_defaults(handler=bind(cmd_check, model_commands))

    p = verbs.add_parser("history", help="alias changes of a model, oldest first")
    p.add_argument("name")
    p.add_argument("--alias", help="only this alias")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_history, model_commands))
    register_performance(verbs)


def _data_arguments(p: argparse.ArgumentParser, required: bool) -> None:
    group = p.add_argument_group("drift data" + ("" if required else " (optional)"))
    group.add_argument("--reference", help="reference data file (CSV, TSV, CSV.GZ, Parquet)")
    group.add_argument("--current", help="current data file")
    group.add_argument("--reference-sql", help="SELECT giving the reference data")
    group.add_argument("--current-sql", help="SELECT giving the current data")
    group.add_argument(
        "--sql-url", help="SQLAlchemy URL the queries run on (default: opsbot's database)"
    )
    group.add_argument("--features", help="comma-separated columns to test (default: all)")
    group.add_argument("--numerical", help="comma-separated columns to treat as numerical")
    group.add_argument("--categorical", help="comma-separated columns to treat as categorical")
    p.set_defaults(data_required=required)


# ---------------------------------------------------------------------- helpers
def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    return items


def _data_spec(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]] | None:
    """(reference, current, options) from the flags; None when no data flag was given."""
    from tools.registry.drift import DataSource

    ref_file, cur_file = args.reference, args.current
    ref_sql, cur_sql = args.reference_sql, args.current_sql
    given = [x is not None for x in (ref_file, cur_file, ref_sql, cur_sql)]
    if not any(given):
        if args.data_required:
            raise CliError(
                "give the data: --reference FILE --current FILE, or --reference-sql QUERY "
                "--current-sql QUERY",
                2,
            )
        return None
    if (ref_file is None) == (ref_sql is None) or (cur_file is None) == (cur_sql is None):
        raise CliError(
            "give exactly one reference (--reference FILE or --reference-sql QUERY) and exactly "
            "one current (--current FILE or --current-sql QUERY)",
            2,
        )
    reference: Any = (
        str(Path(ref_file).expanduser().resolve())
        if ref_file
        else DataSource.sql(ref_sql, url=args.sql_url)
    )
    current: Any = (
        str(Path(cur_file).expanduser().resolve())
        if cur_file
        else DataSource.sql(cur_sql, url=args.sql_url)
    )
    options: dict[str, Any] = {}
    for key in ("features", "numerical", "categorical"):
        value = _split(getattr(args, key))
        if value is not None:
            options["columns" if key == "features" else key] = value
    return reference, current, options


# ---------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace, deps: ModelCommands) -> int:
    raw = {"filter": args.filter}
    return run_tool(deps.terminal, "list_models", raw, user=deps.terminal.label, as_json=args.json)


def cmd_show(args: argparse.Namespace, deps: ModelCommands) -> int:
    raw = {"name": args.name}
    return run_tool(deps.terminal, "model_status", raw, user=deps.terminal.label, as_json=args.json)


def cmd_register(args: argparse.Namespace, deps: ModelCommands) -> int:
    from tools.base import ToolError
    from tools.registry.validation import parse_pairs

    registry = deps.registry()
    actor = deps.terminal.label
    try:
        metrics = parse_pairs("--metric", args.metric)
        params = parse_pairs("--param", args.param)
        tags = parse_pairs("--tag", args.tag)
        data = _data_spec(args)
        reference, current, options = data if data else (None, None, None)
        if args.model_description is not None:
            registry.register_model(args.name, args.model_description)
        info = registry.register_version(
            args.name,
            args.source,
            run_id=args.run_id,
            model_id=args.model_id,
            params=params,
            metrics=metrics,
            tags=tags,
            description=args.description,
            creator=actor,
            status=args.status,
            reference=reference,
            current=current,
            drift_options=options,
        )
    except ToolError as exc:
        raise CliError(str(exc)) from None
    message = f"registered {info.name} v{info.version} ({info.status}) in {registry.describe()}"
    if info.model_id:
        message += f", from logged model {info.model_id}"
    if data:
        message += "; drift data set"
    deps.audit().record(
        actor=actor,
        via="cli",
        action="register_model_version",
        args={
            "name": info.name,
            "version": info.version,
            "source": info.source,
            "model_id": info.model_id,
        },
        outcome="ok",
        result=message,
    )
    if args.json:
        print_json(info.to_dict())
    else:
        print(message)
    return 0


def cmd_data(args: argparse.Namespace, deps: ModelCommands) -> int:
    from tools.base import ToolError

    actor = deps.terminal.label
    try:
        data = _data_spec(args)
        assert data is not None
        reference, current, options = data
        spec = deps.registry().set_drift_data(
            args.name, args.version, reference, current, options, actor=actor
        )
    except ToolError as exc:
        raise CliError(str(exc)) from None
    message = (
        f"drift data of {spec.model} v{spec.version}: reference {spec.reference.describe()}, "
        f"current {spec.current.describe()}"
    )
    deps.audit().record(
        actor=actor,
        via="cli",
        action="set_model_drift_data",
        args=spec.to_dict(),
        outcome="ok",
        result=message,
    )
    if args.json:
        print_json(spec.to_dict())
    else:
        print(message)
    return 0


def cmd_alias(args: argparse.Namespace, deps: ModelCommands) -> int:
    raw = {"name": args.name, "alias": args.alias, "version": args.version, "reason": args.reason}
    view = request_approval(deps.terminal, "set_model_alias", raw, area="models")
    if args.json:
        print_json(view.to_json())
    else:
        print(approval_card(view))
    return 0


def cmd_drift(args: argparse.Namespace, deps: ModelCommands) -> int:
    from tools.base import ToolError
    from tools.registry import render

    registry = deps.registry()
    try:
        if args.history:
            reports = registry.drift_history(args.name, args.version)
            if args.json:
                print_json([r.to_dict() for r in reports])
            elif not reports:
                print(f"No drift reports stored for {args.name}.")
            else:
                for r in reports:
                    print(
                        f"#{r.id} {r.to_dict()['created_at']} v{r.version} ({r.trigger}): {r.headline()}"
                    )
            return 0
        outcome = registry.drift(
            args.name, args.version, refresh=args.refresh, actor=deps.terminal.label, trigger="cli"
        )
        plot = None
        if args.plot is not None:
            from tools.registry.drift import plot_drift

            if outcome.report.drifted_features:
                plot = plot_drift(outcome.report, args.plot)
    except ToolError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        data = render.drift_data(outcome)
        print_json({k: data[k] for k in ("dataset_drift", "drift_share", "features")})
        return 0
    live_alias, live = registry.live_version(outcome.stored.model)
    print(render.drift_text(outcome, live_alias if live == outcome.stored.version else None))
    if args.plot is not None:
        print(f"plot written to {plot}" if plot else "no feature drifted: no plot written")
    return 0


def cmd_check(args: argparse.Namespace, deps: ModelCommands) -> int:
    """The scheduler's drift checks (`opsbot run` runs this in a child process, so numpy,
    scipy and pandas stay out of the server); stores each report like the scheduler."""
    from tools.registry.checks import check_drift

    # the plots where the `model_drift` tool looks for them (tools/registry/tools.py)
    findings = check_drift(deps.registry(), plots=deps.plots)
    if args.json:
        print_json([f.to_dict() for f in findings])
    elif not findings:
        print("No drift finding: every live model with data is within its thresholds.")
    else:
        for finding in findings:
            print(f"[{finding.severity}] {finding.title}\n  {finding.summary}")
    return 0


def cmd_history(args: argparse.Namespace, deps: ModelCommands) -> int:
    from tools.base import ToolError
    from tools.registry import render

    try:
        changes = deps.registry().alias_history(
            args.name, args.alias, limit=max(1, min(args.limit, 1000))
        )
    except ToolError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json([c.to_dict() for c in changes])
    else:
        print(render.history_text(args.name, changes))
    return 0
