"""The agent tools of the prompt registry.

Reads (`list_prompts`, `show_prompt`, `diff_prompts`) run for anyone. `create_prompt_version`
changes only opsbot's own state (a new immutable version; no label moves) and is audited.
`set_prompt_label` changes what LLM applications are served, so it is GATED: its preview is
the diff of the target against the label's current holder, and it runs only after approval.
Registry errors are `PromptError`s, which are `ToolError`s: the agent shows them as they are.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tools.base import Access, Caller, OpsTool, Risk, ToolResult
from tools.clock import iso
from tools.format import text_table
from tools.prompts.diffing import PromptDiff
from tools.prompts.store import PRODUCTION, LabelChange, LabelPlan, PromptStore, VersionView
from tools.prompts.templates import as_text

INLINE_CHARS = 2_500  # longer diffs and templates are attached as a file (Slack: a snippet)
INLINE_LINES = 60
CONFIG_SHOWN = 6
HISTORY_SHOWN = 3


class ListArgs(BaseModel):
    tag: str | None = Field(None, description="Only prompts with this tag")


class ShowArgs(BaseModel):
    name: str = Field(..., description="Prompt name, e.g. support-triage")
    version: int | None = Field(None, ge=1, description="A version number")
    label: str | None = Field(
        None, description="A label such as production, staging or latest (default: production)"
    )


class DiffArgs(BaseModel):
    name: str = Field(..., description="Prompt name")
    old: str = Field(..., description='Older side: "v3", "3", or a label such as "production"')
    new: str = Field(..., description='Newer side: "v4", "4", or a label such as "latest"')


class CreateArgs(BaseModel):
    name: str = Field(..., description="Prompt name (created on its first version)")
    template: str | list[dict[str, str]] = Field(
        ...,
        description=(
            "Text with {{ variable }} placeholders, or chat messages: a list of "
            '{"role": "system"|"user"|"assistant", "content": "..."}'
        ),
    )
    message: str = Field(..., description="Commit message: what changed and why (required)")
    config: dict[str, Any] | None = Field(
        None, description='Model settings stored with the version, e.g. {"temperature": 0.2}'
    )
    description: str | None = Field(None, description="Prompt description (optional)")
    tags: list[str] | None = Field(None, description="Prompt tags (optional)")


class LabelArgs(BaseModel):
    name: str = Field(..., description="Prompt name")
    label: str = Field(PRODUCTION, description="The label to move, e.g. production or staging")
    version: int | None = Field(
        None,
        ge=1,
        description="Version to point the label at; omit to roll back to the previous holder",
    )
    reason: str | None = Field(None, max_length=2000, description="Why (kept in the history)")
    expected_version: int | None = Field(
        None,
        ge=0,
        description=(
            "Set by the dry run: the version the label held when the approval was asked for "
            "(0: no such label yet). The move is refused if the label has moved since."
        ),
    )
    rollback: bool = Field(False, description="Set by the dry run when this is a rollback")


def _fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text.rstrip(chr(10))}\n```"


def _long(text: str) -> bool:
    return len(text) > INLINE_CHARS or text.count("\n") > INLINE_LINES


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _config_line(config: dict[str, Any]) -> str:
    if not config:
        return "config: none"
    items = [f"{k}={v}" for k, v in list(config.items())[:CONFIG_SHOWN]]
    more = f" (+{len(config) - CONFIG_SHOWN} more)" if len(config) > CONFIG_SHOWN else ""
    return "config: " + ", ".join(items) + more


def describe_version(view: VersionView) -> str:
    labels = ", ".join(view.labels) or "no labels"
    kind = "text" if view.kind == "text" else f"chat ({len(view.template)} messages)"
    variables = ", ".join(view.variables) or "none"
    return (
        f"*{view.name} v{view.version}* [{labels}] — {kind}, variables: {variables}\n"
        f"{_config_line(view.config)}\n"
        f"by {view.author} on {iso(view.created_at)}: “{view.message}”"
    )


def history_line(change: LabelChange) -> str:
    was = f"v{change.from_version}" if change.from_version else "new"
    to = f"v{change.to_version}" if change.to_version else "removed"
    why = f": {change.reason}" if change.reason else ""
    return f"{change.label} {was} → {to} ({change.kind}) by {change.actor} on {iso(change.at)}{why}"


def diff_summary(diff: PromptDiff) -> str:
    if diff.identical:
        return f"{diff.old.title} and {diff.new.title} are identical (template and config)."
    added, removed = diff.stats()
    parts = []
    if diff.template_diff:
        parts.append("template")
    if diff.config_diff:
        parts.append("config")
    return (
        f"{diff.old.title} → {diff.new.title}: {' and '.join(parts)} changed, "
        f"+{added} −{removed} lines."
    )


def plan_text(plan: LabelPlan) -> str:
    head = plan.summary()
    if plan.rollback:
        head += " (rollback to the previous holder)"
    lines = [head + "."]
    if plan.label == PRODUCTION:
        lines.append(
            f"Apps fetching {plan.name}@{plan.label} get v{plan.target} on their next request."
        )
    if plan.diff is None:
        lines.append(
            "(The label does not exist yet, so there is no diff against a current holder.)"
        )
    elif plan.diff.identical:
        lines.append("Template and config are identical; only the version number changes.")
    else:
        lines.append(diff_summary(plan.diff))
        text = plan.diff.text
        if _long(text):
            kept = "\n".join(text.splitlines()[:INLINE_LINES])
            lines.append(_fence(kept + "\n… (diff truncated)", "diff"))
        else:
            lines.append(_fence(text, "diff"))
    return "\n".join(lines)


def build_prompt_tools(store: PromptStore, files_dir: Path | None = None) -> list[OpsTool]:
    """The five prompt tools. Long diffs and templates are written to `files_dir` and
    attached (Slack shows them as a file)."""
    out_dir = files_dir or Path(tempfile.gettempdir()) / "opsbot-files"

    def attach(filename: str, text: str) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / filename
        path.write_text(text, encoding="utf-8")
        return path

    def list_prompts(args: ListArgs, _: Caller) -> ToolResult:
        items = store.list_prompts(args.tag)
        if not items:
            where = f" with tag {args.tag!r}" if args.tag else ""
            return ToolResult(text=f"No prompts{where} are registered yet.", data=[])
        rows = [
            [
                p.name,
                f"v{p.latest}" if p.latest else "-",
                f"v{p.labels[PRODUCTION]}" if PRODUCTION in p.labels else "-",
                ", ".join(f"{k}=v{v}" for k, v in p.labels.items() if k != PRODUCTION) or "-",
                p.versions,
                iso(p.updated_at) or "",
            ]
            for p in items
        ]
        table = text_table(
            ["prompt", "latest", "production", "other labels", "versions", "updated"], rows
        )
        return ToolResult(text=f"{len(items)} prompts:\n{table}", data=[p.to_dict() for p in items])

    def show_prompt(args: ShowArgs, _: Caller) -> ToolResult:
        view = store.get(args.name, args.version, args.label)
        body = as_text(view.kind, view.template)
        files: list[Path] = []
        text = describe_version(view)
        if _long(body):
            path = attach(f"{_safe(view.name)}-v{view.version}.txt", body)
            files.append(path)
            preview = "\n".join(body.splitlines()[:20])
            text += (
                f"\n{_fence(preview + chr(10) + '…')}\n(full template, {len(body):,} characters, "
                f"attached as {path.name})"
            )
        else:
            text += "\n" + _fence(body)
        moves = store.history(view.name, limit=HISTORY_SHOWN)
        if moves:
            text += "\nRecent label moves:\n" + "\n".join(f"- {history_line(c)}" for c in moves)
        data = view.to_dict() | {"label_history": [c.to_dict() for c in moves]}
        return ToolResult(text=text, data=data, files=files)

    def diff_prompts(args: DiffArgs, _: Caller) -> ToolResult:
        diff = store.diff(args.name, args.old, args.new)
        text = diff_summary(diff)
        files: list[Path] = []
        if not diff.identical:
            if _long(diff.text):
                path = attach(
                    f"{_safe(args.name)}-v{diff.old.version}-v{diff.new.version}.diff", diff.text
                )
                files.append(path)
                head = "\n".join(diff.text.splitlines()[:30])
                text += (
                    f"\n{_fence(head + chr(10) + '…', 'diff')}\n(full diff, "
                    f"{diff.text.count(chr(10))} lines, attached as {path.name})"
                )
            else:
                text += "\n" + _fence(diff.text, "diff")
        return ToolResult(text=text, data=diff.to_dict(), files=files)

    def create_version(args: CreateArgs, caller: Caller) -> ToolResult:
        view, created = store.create_version(
            args.name,
            args.template,
            args.message,
            author=caller.user,
            config=args.config,
            description=args.description,
            tags=args.tags,
        )
        summary = store.summary(view.name)
        production = summary.labels.get(PRODUCTION)
        where = (
            f"production stays on v{production}" if production else "no version is in production"
        )
        verb = "Created prompt" if created else "Created"
        text = (
            f"{verb} {view.name} v{view.version} ({len(view.variables)} variables: "
            f"{', '.join(view.variables) or 'none'}). No label was moved: {where}. "
            f"To promote it: set_prompt_label(name={view.name!r}, label='production', "
            f"version={view.version}), which needs an on-call approval."
        )
        return ToolResult(text=text, data=view.to_dict() | {"created_prompt": created})

    def preview_label(args: LabelArgs) -> str:
        plan = store.plan_label(args.name, args.label, args.version)
        # Pin what the approver sees: the holder now, and the rollback target. `run` refuses
        # if the label has moved by the time the approval is granted.
        if args.expected_version is None:
            args.expected_version = plan.current or 0
        if args.version is None:
            args.version = plan.target
            args.rollback = plan.rollback
        return plan_text(plan)

    def set_label(args: LabelArgs, caller: Caller) -> ToolResult:
        change = store.set_label(
            args.name,
            args.label,
            args.version,
            actor=caller.user,
            expected_version=args.expected_version,
            reason=args.reason or "",
            kind="rollback" if args.rollback else None,
        )
        was = f"v{change.from_version}" if change.from_version else "unset"
        verb = "Rolled back" if change.kind == "rollback" else "Moved"
        return ToolResult(
            text=(
                f"{verb} {change.label} of {change.name}: {was} → v{change.to_version}. "
                "Served at once to apps fetching it; the move is in the label history."
            ),
            data=change.to_dict(),
        )

    def risk_for(args: LabelArgs) -> Risk:
        return Risk.MEDIUM if args.label.strip().lower() == PRODUCTION else Risk.LOW

    def verify(args: LabelArgs, result: ToolResult) -> str:
        view = store.resolve(args.name, args.label)
        expected = (result.data or {}).get("to_version")
        if view.version == expected:
            return f"{args.label} of {args.name} now resolves to v{view.version}."
        return f"{args.label} of {args.name} resolves to v{view.version}, not v{expected}!"

    return [
        OpsTool(
            name="list_prompts",
            description=(
                "List the prompt registry: each prompt's latest version, which version is in "
                "production, other labels, number of versions, last change."
            ),
            args=ListArgs,
            run=list_prompts,
        ),
        OpsTool(
            name="show_prompt",
            description=(
                "Show one prompt version: template, variables, config, author, commit message. "
                "By version number or label; default production (else latest)."
            ),
            args=ShowArgs,
            run=show_prompt,
        ),
        OpsTool(
            name="diff_prompts",
            description=(
                "Unified diff of template and config between two versions or labels of a prompt "
                '(refs: "v3", "3", "production", "staging", "latest").'
            ),
            args=DiffArgs,
            run=diff_prompts,
        ),
        OpsTool(
            name="create_prompt_version",
            description=(
                "Add a new immutable version of a prompt (creating the prompt if new). Validates "
                "{{ variable }} placeholders. Never moves production: promote with set_prompt_label."
            ),
            args=CreateArgs,
            run=create_version,
            access=Access.WRITE,
        ),
        OpsTool(
            name="set_prompt_label",
            description=(
                "Point a prompt label (production, staging, ...) at a version, or roll it back to "
                "its previous holder when no version is given. Needs an on-call approval; the "
                "approver sees the diff against the current holder."
            ),
            args=LabelArgs,
            run=set_label,
            access=Access.GATED,
            preview=preview_label,
            verify=verify,
            risk_for=risk_for,
        ),
    ]


__all__ = ["build_prompt_tools", "describe_version", "diff_summary", "plan_text"]
