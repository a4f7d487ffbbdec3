"""The prompt registry's changing tools, one class each: `create_prompt_version` (WRITE: a
new immutable version, no label moves) and `set_prompt_label` (GATED: what LLM applications
are served changes only after an approval of its dry run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from core.access import Access, Caller, Risk
from tools.base import OpsTool, ToolResult
from tools.prompts.presenting import plan_text
from tools.prompts.store import PromptStore
from tools.prompts.views import PRODUCTION


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


@dataclass(frozen=True)
class CreatePromptVersion:
    """A new version by the caller; says where production stays and how to promote it."""

    store: PromptStore

    def run(self, args: CreateArgs, caller: Caller) -> ToolResult:
        view, created = self.store.create_version(
            args.name,
            args.template,
            args.message,
            author=caller.user,
            config=args.config,
            description=args.description,
            tags=args.tags,
        )
        summary = self.store.summary(view.name)
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

    def tool(self) -> OpsTool:
        return OpsTool(
            name="create_prompt_version",
            description=(
                "Add a new immutable version of a prompt (creating the prompt if new). Validates "
                "{{ variable }} placeholders. Never moves production: promote with set_prompt_label."
            ),
            args=CreateArgs,
            run=self.run,
            access=Access.WRITE,
        )


@dataclass(frozen=True)
class SetPromptLabel:
    """A label move: previewed as the diff against the current holder, pinned to what the
    approver saw, run after approval, then verified."""

    store: PromptStore

    def preview(self, args: LabelArgs) -> str:
        plan = self.store.plan_label(args.name, args.label, args.version)
        # Pin what the approver sees: the holder now, and the rollback target. `run` refuses
        # if the label has moved by the time the approval is granted.
        if args.expected_version is None:
            args.expected_version = plan.current or 0
        if args.version is None:
            args.version = plan.target
            args.rollback = plan.rollback
        return plan_text(plan)

    def run(self, args: LabelArgs, caller: Caller) -> ToolResult:
        change = self.store.set_label(
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

    @staticmethod
    def risk_for(args: LabelArgs) -> Risk:
        return Risk.MEDIUM if args.label.strip().lower() == PRODUCTION else Risk.LOW

    def verify(self, args: LabelArgs, result: ToolResult) -> str:
        view = self.store.resolve(args.name, args.label)
        expected = (result.data or {}).get("to_version")
        if view.version == expected:
            return f"{args.label} of {args.name} now resolves to v{view.version}."
        return f"{args.label} of {args.name} resolves to v{view.version}, not v{expected}!"

    def tool(self) -> OpsTool:
        return OpsTool(
            name="set_prompt_label",
            description=(
                "Point a prompt label (production, staging, ...) at a version, or roll it back to "
                "its previous holder when no version is given. Needs an on-call approval; the "
                "approver sees the diff against the current holder."
            ),
            args=LabelArgs,
            run=self.run,
            access=Access.GATED,
            preview=self.preview,
            verify=self.verify,
            risk_for=self.risk_for,
        )
