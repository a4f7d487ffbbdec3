"""The prompt registry's read tools, one class each: `list_prompts`, `show_prompt` and
`diff_prompts` (any user; no side effect but writing long texts to an attachment)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from core.access import Caller
from core.clock import iso
from tools.base import OpsTool, ToolResult
from tools.format import text_table
from tools.prompts.presenting import (
    HISTORY_SHOWN,
    Attachments,
    describe_version,
    diff_summary,
    fence,
    history_line,
    is_long,
    safe_filename,
    template_warning,
)
from tools.prompts.store import PromptStore
from tools.prompts.templates import as_text
from tools.prompts.views import PRODUCTION


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


@dataclass(frozen=True)
class ListPrompts:
    """Each prompt with its latest version, production holder and other labels."""

    store: PromptStore

    def run(self, args: ListArgs, _: Caller) -> ToolResult:
        items = self.store.list_prompts(args.tag)
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

    def tool(self) -> OpsTool:
        return OpsTool(
            name="list_prompts",
            description=(
                "List the prompt registry: each prompt's latest version, which version is in "
                "production, other labels, number of versions, last change."
            ),
            args=ListArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class ShowPrompt:
    """One version in full (a long template attached), with its recent label moves."""

    store: PromptStore
    attachments: Attachments

    def run(self, args: ShowArgs, _: Caller) -> ToolResult:
        view = self.store.get(args.name, args.version, args.label)
        body = as_text(view.kind, view.template)
        files: list[Path] = []
        text = describe_version(view)
        flagged = template_warning(body)
        if flagged:  # before the template, so nobody reads it as instructions first
            text += "\n" + flagged
        if is_long(body):
            path = self.attachments.write(f"{safe_filename(view.name)}-v{view.version}.txt", body)
            files.append(path)
            preview = "\n".join(body.splitlines()[:20])
            text += (
                f"\n{fence(preview + chr(10) + '…')}\n(full template, {len(body):,} characters, "
                f"attached as {path.name})"
            )
        else:
            text += "\n" + fence(body)
        moves = self.store.history(view.name, limit=HISTORY_SHOWN)
        if moves:
            text += "\nRecent label moves:\n" + "\n".join(f"- {history_line(c)}" for c in moves)
        data = view.to_dict() | {
            "label_history": [c.to_dict() for c in moves],
            "warning": flagged,
        }
        return ToolResult(text=text, data=data, files=files)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="show_prompt",
            description=(
                "Show one prompt version: template, variables, config, author, commit message. "
                "By version number or label; default production (else latest)."
            ),
            args=ShowArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class DiffPrompts:
    """The unified diff of two versions or labels (a long one attached)."""

    store: PromptStore
    attachments: Attachments

    def run(self, args: DiffArgs, _: Caller) -> ToolResult:
        diff = self.store.diff(args.name, args.old, args.new)
        text = diff_summary(diff)
        files: list[Path] = []
        flagged = template_warning(diff.text, "the diff") if not diff.identical else None
        if flagged:
            text += "\n" + flagged
        if not diff.identical:
            if is_long(diff.text):
                path = self.attachments.write(
                    f"{safe_filename(args.name)}-v{diff.old.version}-v{diff.new.version}.diff",
                    diff.text,
                )
                files.append(path)
                head = "\n".join(diff.text.splitlines()[:30])
                text += (
                    f"\n{fence(head + chr(10) + '…', 'diff')}\n(full diff, "
                    f"{diff.text.count(chr(10))} lines, attached as {path.name})"
                )
            else:
                text += "\n" + fence(diff.text, "diff")
        return ToolResult(text=text, data=diff.to_dict() | {"warning": flagged}, files=files)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="diff_prompts",
            description=(
                "Unified diff of template and config between two versions or labels of a prompt "
                '(refs: "v3", "3", "production", "staging", "latest").'
            ),
            args=DiffArgs,
            run=self.run,
        )
