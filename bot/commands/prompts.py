"""`opsbot prompts ...`: the prompt registry from the command line.

list | show | history | diff | create | render | label | delete | export | import.
`label` never moves a label by itself: like the chat tool it creates a pending approval
(with the diff as preview) that an on-call engineer grants with `opsbot approve ID`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import CliError
from bot.commands.common import approval_card, print_json, request_approval
from bot.commands.deps import bind, prompt_commands
from core.clock import iso

if TYPE_CHECKING:
    from bot.commands.deps import PromptCommands


def register(sub: argparse._SubParsersAction) -> None:
    prompts = sub.add_parser("prompts", help="prompt registry: versions, labels, diffs, files")
    verbs = prompts.add_subparsers(dest="prompts_command", metavar="ACTION")
    verbs.required = True

    p = verbs.add_parser("list", help="list prompts with their latest and production versions")
    p.add_argument("--tag", help="only prompts with this tag")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_list, prompt_commands))

    p = verbs.add_parser("show", help="show a version (default: production, else latest)")
    p.add_argument("name")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--version", type=int, help="version number")
    ref.add_argument("--label", help="label, e.g. production, staging, latest")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_show, prompt_commands))

    p = verbs.add_parser("history", help="label moves of a prompt, newest first")
    p.add_argument("name")
    p.add_argument("--label", help="only this label")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_history, prompt_commands))

    p = verbs.add_parser("diff", help="unified diff of template and config between two refs")
    p.add_argument("name")
    p.add_argument("old", help='"v3", "3" or a label such as production')
    p.add_argument("new", help='"v4", "4" or a label such as latest')
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_diff, prompt_commands))

    p = verbs.add_parser("create", help="add a new immutable version (moves no label)")
    p.add_argument("name")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", help="the template text")
    source.add_argument("--file", type=Path, help="file with the template text ('-': stdin)")
    source.add_argument(
        "--chat-file", type=Path, help='JSON file with chat messages [{"role", "content"}, ...]'
    )
    p.add_argument("-m", "--message", required=True, help="commit message: what and why")
    p.add_argument("--config", help="JSON object, e.g. '{\"temperature\": 0.2}'")
    p.add_argument("--description", help="prompt description")
    p.add_argument("--tag", action="append", dest="tags", help="prompt tag (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_create, prompt_commands))

    p = verbs.add_parser("render", help="fill a version's variables and print the result")
    p.add_argument("name")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--version", type=int)
    ref.add_argument("--label")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_render, prompt_commands))

    p = verbs.add_parser(
        "label", help="ask to move a label (or roll it back); needs an on-call approval"
    )
    p.add_argument("name")
    p.add_argument("label", nargs="?", default="production")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--version", type=int, help="point the label at this version")
    target.add_argument(
        "--rollback", action="store_true", help="move it back to its previous holder"
    )
    p.add_argument("--reason", help="why (kept in the label history)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_label, prompt_commands))

    p = verbs.add_parser("delete", help="soft-delete a version, or a whole prompt")
    p.add_argument("name")
    p.add_argument("--version", type=int, help="the version to delete (default: the prompt)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_delete, prompt_commands))

    p = verbs.add_parser("export", help="write prompts to YAML (stdout, a file or a directory)")
    p.add_argument("names", nargs="*", help="prompts to export (default: all)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, help="one YAML file")
    where.add_argument("--dir", type=Path, help="one <name>.yaml per prompt in this directory")
    p.set_defaults(handler=bind(cmd_export, prompt_commands))

    p = verbs.add_parser("import", help="read prompts from YAML files or directories")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bind(cmd_import, prompt_commands))


def _print_json(value: Any) -> None:
    print_json(value, ensure_ascii=False)


def cmd_list(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.format import text_table

    items = deps.store.list_prompts(args.tag)
    if args.json:
        _print_json([p.to_dict() for p in items])
        return 0
    if not items:
        print("No prompts yet. Try: opsbot demo")
        return 0
    rows = [
        [
            p.name,
            f"v{p.latest}" if p.latest else "-",
            ", ".join(f"{k}=v{v}" for k, v in p.labels.items()) or "-",
            p.versions,
            iso(p.updated_at),
        ]
        for p in items
    ]
    print(text_table(["prompt", "latest", "labels", "versions", "updated"], rows))
    return 0


def cmd_show(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError
    from tools.prompts.presenting import template_warning
    from tools.prompts.templates import as_text
    from tools.prompts.tools import describe_version

    try:
        view = deps.store.get(args.name, args.version, args.label)
    except PromptError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        _print_json(view.to_dict())
        return 0
    body = as_text(view.kind, view.template)
    print(describe_version(view).replace("*", ""))
    flagged = template_warning(body)
    if flagged:
        print(flagged)
    print("-" * 60)
    print(body)
    return 0


def cmd_history(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError

    try:
        changes = deps.store.history(args.name, args.label, max(1, min(args.limit, 1000)))
    except PromptError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        _print_json([c.to_dict() for c in changes])
        return 0
    if not changes:
        print(f"No label moves recorded for {args.name}.")
    for c in changes:
        was = f"v{c.from_version}" if c.from_version else "-"
        to = f"v{c.to_version}" if c.to_version else "removed"
        why = f"  ({c.reason})" if c.reason else ""
        print(f"{iso(c.at)}  {c.label}: {was} -> {to}  {c.kind} by {c.actor}{why}")
    return 0


def cmd_diff(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError
    from tools.prompts.presenting import template_warning
    from tools.prompts.tools import diff_summary

    try:
        diff = deps.store.diff(args.name, args.old, args.new)
    except PromptError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        _print_json(diff.to_dict())
        return 0
    print(diff_summary(diff))
    flagged = template_warning(diff.text, "the diff") if diff.text else None
    if flagged:
        print(flagged)
    if diff.text:
        print(diff.text, end="" if diff.text.endswith("\n") else "\n")
    return 0


def _read(path: Path) -> str:

    try:
        return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None


def _json_arg(text: str, what: str) -> Any:

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{what} is not valid JSON: {exc}") from None


def cmd_create(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError

    if args.template is not None:
        template: Any = args.template
    elif args.file is not None:
        template = _read(args.file)
    else:
        template = _json_arg(_read(args.chat_file), f"--chat-file {args.chat_file}")
    config = _json_arg(args.config, "--config") if args.config else None
    actor = deps.terminal.label
    try:
        view, created = deps.store.create_version(
            args.name,
            template,
            args.message,
            author=actor,
            config=config,
            description=args.description,
            tags=args.tags,
        )
    except PromptError as exc:
        raise CliError(str(exc)) from None
    deps.audit.record(
        actor=actor,
        via="cli",
        action="create_prompt_version",
        args={"name": args.name, "version": view.version, "message": view.message},
        outcome="ok",
        result=f"created {view.name} v{view.version} ({view.sha256[:12]})",
    )
    if args.json:
        _print_json(view.to_dict() | {"created_prompt": created})
        return 0
    what = "new prompt, " if created else ""
    print(
        f"Created {view.name} v{view.version} ({what}variables: "
        f"{', '.join(view.variables) or 'none'}). No label moved; to promote:\n"
        f"  opsbot prompts label {view.name} production --version {view.version}"
    )
    return 0


def cmd_render(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError
    from tools.prompts.templates import as_text

    values: dict[str, str] = {}
    for item in args.var:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--var must be NAME=VALUE, got {item!r}")
        values[key] = value
    try:
        view = deps.store.get(args.name, args.version, args.label)
        result = view.render(values)
    except PromptError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        _print_json({"name": view.name, "version": view.version, "rendered": result})
        return 0
    print(as_text(view.kind, result))
    return 0


def cmd_label(args: argparse.Namespace, deps: PromptCommands) -> int:
    raw = {
        "name": args.name,
        "label": args.label,
        "version": None if args.rollback else args.version,
        "reason": args.reason,
    }
    view = request_approval(deps.terminal, "set_prompt_label", raw, area="prompts")
    if args.json:
        _print_json(view.to_json())
    else:
        print(approval_card(view))
    return 0


def cmd_delete(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError

    actor = deps.terminal.label
    try:
        if args.version is not None:
            removed = deps.store.delete_version(args.name, args.version, actor=actor)
            message = f"deleted {args.name} v{args.version}" + (
                f"; removed labels: {', '.join(removed)}" if removed else ""
            )
        else:
            deps.store.delete_prompt(args.name, actor=actor)
            removed = []
            message = f"deleted prompt {args.name}"
    except PromptError as exc:
        raise CliError(str(exc)) from None
    deps.audit.record(
        actor=actor,
        via="cli",
        action="delete_prompt" if args.version is None else "delete_prompt_version",
        args={"name": args.name, "version": args.version},
        outcome="ok",
        result=message,
    )
    if args.json:
        _print_json({"name": args.name, "version": args.version, "labels_removed": removed})
        return 0
    print(message[0].upper() + message[1:] + " (soft delete: kept in the database).")
    return 0


def cmd_export(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError
    from tools.prompts.yamlio import export_yaml

    store = deps.store
    names = args.names or list(store.names())
    try:
        if args.dir is not None:
            if args.dir.exists() and not args.dir.is_dir():
                raise CliError(f"--dir {args.dir} is not a directory")
            texts = {name: export_yaml(store, [name]) for name in names}
            args.dir.mkdir(parents=True, exist_ok=True)
            for name, text in texts.items():
                (args.dir / f"{name}.yaml").write_text(text, encoding="utf-8")
            print(f"Exported {len(texts)} prompts to {args.dir}/", file=sys.stderr)
            return 0
        text = export_yaml(store, names)
    except PromptError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write the export: {exc}") from None
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc}") from None
        print(f"Exported {len(names)} prompts to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(args: argparse.Namespace, deps: PromptCommands) -> int:
    from tools.prompts.errors import PromptError
    from tools.prompts.yamlio import import_paths

    actor = deps.terminal.label
    try:
        report = import_paths(deps.store, args.paths, actor=actor)
    except PromptError as exc:
        raise CliError(str(exc)) from None
    deps.audit.record(
        actor=actor,
        via="cli",
        action="import_prompts",
        args={"paths": [str(p) for p in args.paths]},
        outcome="ok",
        result="; ".join(report.lines()),
    )
    if args.json:
        _print_json(report.to_dict())
        return 0
    for line in report.lines() or ["nothing to import"]:
        print(line)
    return 0
