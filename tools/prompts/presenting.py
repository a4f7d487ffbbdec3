"""How the prompt tools word their answers: a version, a label move, a diff, a label plan;
and where long templates and diffs go instead (a file, which Slack shows as a snippet)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.clock import iso
from tools.injection import flag, warning
from tools.prompts.diffing import PromptDiff
from tools.prompts.views import PRODUCTION, LabelChange, LabelPlan, VersionView

INLINE_CHARS = 2_500  # longer diffs and templates are attached as a file (Slack: a snippet)
INLINE_LINES = 60
CONFIG_SHOWN = 6
HISTORY_SHOWN = 3


@dataclass(frozen=True)
class Attachments:
    """The folder long texts are written to, to be attached to an answer."""

    folder: Path

    def write(self, filename: str, text: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / filename
        path.write_text(text, encoding="utf-8")
        return path


def fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text.rstrip(chr(10))}\n```"


def is_long(text: str) -> bool:
    return len(text) > INLINE_CHARS or text.count("\n") > INLINE_LINES


def safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def template_warning(text: str, what: str = "this prompt template") -> str | None:
    """The warning to show with a template or a diff holding instruction-like text (None
    when it holds none): templates are content that apps send to their own models, never
    instructions to opsbot."""
    reason = flag(text)
    return warning(reason, what) if reason else None


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
        flagged = template_warning(text, "the diff")
        if flagged:
            lines.append(flagged)
        if is_long(text):
            kept = "\n".join(text.splitlines()[:INLINE_LINES])
            lines.append(fence(kept + "\n… (diff truncated)", "diff"))
        else:
            lines.append(fence(text, "diff"))
    return "\n".join(lines)
