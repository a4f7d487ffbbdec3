"""Unified diffs between two prompt versions: the template (as text) and the config (as
pretty JSON), with headers that say which version and which label each side is."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from tools.prompts.templates import Kind, Template, as_text


@dataclass(frozen=True)
class Side:
    """One side of a diff: a version and the reference the user gave for it."""

    name: str
    version: int
    ref: str
    kind: Kind
    template: Template
    config: dict[str, Any]
    sha256: str

    @property
    def title(self) -> str:
        shown = f"v{self.version}"
        if self.ref.lower() not in (f"v{self.version}", str(self.version)):
            shown += f" ({self.ref})"
        return f"{self.name} {shown}"


@dataclass(frozen=True)
class PromptDiff:
    old: Side
    new: Side
    template_diff: str
    config_diff: str

    @property
    def identical(self) -> bool:
        return not self.template_diff and not self.config_diff

    @property
    def text(self) -> str:
        """Both diffs, ready for a code block; empty when the versions are identical."""
        parts = [p for p in (self.template_diff, self.config_diff) if p]
        return "\n".join(parts)

    def stats(self) -> tuple[int, int]:
        """(lines added, lines removed) over template and config."""
        added = removed = 0
        for line in self.text.splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
        return added, removed

    def to_dict(self) -> dict[str, Any]:
        added, removed = self.stats()
        return {
            "name": self.old.name,
            "old": {"ref": self.old.ref, "version": self.old.version, "sha256": self.old.sha256},
            "new": {"ref": self.new.ref, "version": self.new.version, "sha256": self.new.sha256},
            "identical": self.identical,
            "lines_added": added,
            "lines_removed": removed,
            "template_diff": self.template_diff,
            "config_diff": self.config_diff,
        }


def _lines(text: str, mark_end: bool) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
        if mark_end:  # only when the two sides differ in it, as git does
            lines.append("\\ No newline at end of text\n")
    return lines


def unified(old: str, new: str, old_title: str, new_title: str, context: int = 3) -> str:
    if old == new:
        return ""
    mark = old.endswith("\n") != new.endswith("\n")
    return "".join(
        difflib.unified_diff(_lines(old, mark), _lines(new, mark), old_title, new_title, n=context)
    )


def pretty_config(config: dict[str, Any]) -> str:
    if not config:
        return "{}\n"
    return json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def diff_versions(old: Side, new: Side, context: int = 3) -> PromptDiff:
    template = unified(
        as_text(old.kind, old.template),
        as_text(new.kind, new.template),
        f"{old.title} template",
        f"{new.title} template",
        context,
    )
    if old.kind != new.kind:
        template = f"(template type changed: {old.kind} -> {new.kind})\n" + template
    config = unified(
        pretty_config(old.config),
        pretty_config(new.config),
        f"{old.title} config",
        f"{new.title} config",
        context,
    )
    return PromptDiff(old, new, template, config)
