"""The agent tools of the prompt registry.

Reads (`list_prompts`, `show_prompt`, `diff_prompts`) run for anyone. `create_prompt_version`
changes only opsbot's own state (a new immutable version; no label moves) and is audited.
`set_prompt_label` changes what LLM applications are served, so it is GATED: its preview is
the diff of the target against the label's current holder, and it runs only after approval.
Registry errors are `PromptError`s, which are `ToolError`s: the agent shows them as they are.

Each tool is one small class (read_tools.py, change_tools.py); their wording is in
presenting.py. This module only assembles them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tools.base import OpsTool
from tools.prompts.change_tools import CreatePromptVersion, SetPromptLabel
from tools.prompts.presenting import Attachments, describe_version, diff_summary, plan_text
from tools.prompts.read_tools import DiffPrompts, ListPrompts, ShowPrompt
from tools.prompts.store import PromptStore


def build_prompt_tools(store: PromptStore, files_dir: Path | None = None) -> list[OpsTool]:
    """The five prompt tools. Long diffs and templates are written to `files_dir` and
    attached (Slack shows them as a file)."""
    attachments = Attachments(files_dir or Path(tempfile.gettempdir()) / "opsbot-files")
    return [
        ListPrompts(store).tool(),
        ShowPrompt(store, attachments).tool(),
        DiffPrompts(store, attachments).tool(),
        CreatePromptVersion(store).tool(),
        SetPromptLabel(store).tool(),
    ]


__all__ = ["build_prompt_tools", "describe_version", "diff_summary", "plan_text"]
