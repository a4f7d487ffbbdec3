"""What an executed action changed, as a change-log entry: pure functions, no database.

Every change opsbot makes goes through an approval (bot/approvals/execute.py), which calls
`change_of` on the action that ran and succeeded. The kind and the before/after come from the
action's result where it says them (an alias or label move reports `from_version` and
`to_version`, also when `run_remediation` delegated to it), else from its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.changes.store import ChangeKind

# the tools whose successful run changes something outside opsbot
CHANGING_TOOLS = frozenset({"set_model_alias", "set_prompt_label", "run_remediation"})
# the remediation parameter that names what an action touched, in order of preference
_TARGET_PARAMS = ("service", "model", "name", "path", "script", "url")


@dataclass(frozen=True)
class ChangeDraft:
    """A change to record: everything but its id and time."""

    kind: ChangeKind
    target: str
    summary: str
    before: str = ""
    after: str = ""


def _version(value: Any) -> str:
    return f"v{value}" if value not in (None, "") else "(unset)"


def _move(data: dict[str, Any]) -> ChangeDraft | None:
    """An alias or label move, from the result data of the tool that moved it."""
    if "to_version" not in data:
        return None
    before, after = _version(data.get("from_version")), _version(data.get("to_version"))
    verb = "rolled back" if data.get("kind") == "rollback" else "moved"
    if data.get("model") and data.get("alias"):
        target, pointer = str(data["model"]), str(data["alias"])
        kind = ChangeKind.MODEL_ALIAS
    elif data.get("name") and data.get("label"):
        target, pointer = str(data["name"]), str(data["label"])
        kind = ChangeKind.PROMPT_LABEL
    else:
        return None
    summary = f"{pointer} of {target} {verb} from {before} to {after}"
    return ChangeDraft(kind, target, summary, f"{pointer}={before}", f"{pointer}={after}")


def _remediation(args: dict[str, Any], text: str) -> ChangeDraft:
    action = str(args.get("action") or "remediation")
    given = args.get("params")
    params: dict[str, Any] = given if isinstance(given, dict) else {}
    target = next((str(params[k]) for k in _TARGET_PARAMS if params.get(k)), action)
    shown = " ".join(f"{k}={v}" for k, v in sorted(params.items()))
    first = text.strip().splitlines()[0] if text.strip() else ""
    summary = f"{action} {shown}".strip() + (f": {first}" if first else "")
    return ChangeDraft(ChangeKind.REMEDIATION, target, summary[:500], after=action)


def change_of(
    tool: str, args: dict[str, Any], data: dict[str, Any] | None, text: str = ""
) -> ChangeDraft | None:
    """The change that the successful run of `tool` with `args` made, or None when the tool
    changes nothing outside opsbot. `data` and `text` are its result."""
    if tool not in CHANGING_TOOLS:
        return None
    moved = _move(data or {})
    if moved is not None:
        return moved
    if tool == "run_remediation":
        return _remediation(args, text)
    # an alias or label tool whose result did not say the move: name it from the arguments
    kind = ChangeKind.MODEL_ALIAS if tool == "set_model_alias" else ChangeKind.PROMPT_LABEL
    pointer = str(args.get("alias") or args.get("label") or "")
    target = str(args.get("name") or tool)
    return ChangeDraft(kind, target, f"{tool} {pointer} of {target}".strip(), after=pointer)
