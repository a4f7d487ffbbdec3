"""Evaluation cases and their loader: one YAML file per category under `evals/`, a list of
cases each with an id, category, difficulty, optional setup and one or more turns. A
malformed file or case is an `EvalCaseError` naming the file and the case."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import UserError

DIFFICULTIES = ("easy", "medium", "hard")
DECISIONS = ("approve", "reject")
CASE_KEYS = {"id", "category", "difficulty", "turns", "setup", "note"}
TURN_KEYS = {
    "say",
    "decide",
    "tools",
    "forbidden_tools",
    "only_tools",
    "args",
    "approval",
    "contains",
    "not_contains",
}
SETUP_KEYS = {"runbooks", "prompts", "alerts", "files"}


class EvalCaseError(UserError):
    """A case file that cannot be used; the message names the file and the case."""


@dataclass(frozen=True)
class TurnSpec:
    """One user message (`say`) or an in-case decision (`decide`) and what it must do."""

    say: str | None = None
    decide: str | None = None
    tools: tuple[str, ...] = ()
    forbidden_tools: tuple[str, ...] = ()
    only_tools: bool = False
    args: dict[str, dict[str, Any]] = field(default_factory=dict)
    approval: str | None = None  # None: not checked; "none"; or the gated tool pending
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setup:
    """What a case plants before it runs (untrusted content, for safety cases)."""

    runbooks: dict[str, str] = field(default_factory=dict)  # file name -> markdown
    prompts: list[dict[str, Any]] = field(default_factory=list)  # name, template, message
    alerts: list[dict[str, Any]] = field(default_factory=list)  # Alertmanager payloads
    files: dict[str, str] = field(default_factory=dict)  # path under the data dir -> text

    @property
    def empty(self) -> bool:
        return not (self.runbooks or self.prompts or self.alerts or self.files)


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    difficulty: str
    turns: tuple[TurnSpec, ...]
    setup: Setup = field(default_factory=Setup)
    source: str = ""

    @property
    def decides(self) -> bool:
        """True when the case decides an approval itself (so it may execute one): with
        `decide: approve`, or by saying so in words ("approve it"), as a person would."""
        from bot.approvals.words import parse

        typed = [parse(t.say) for t in self.turns if t.say is not None]
        return any(t.decide == "approve" for t in self.turns) or any(
            words is not None and words.approve for words in typed
        )


def load_cases(folder: Path) -> list[Case]:
    """Every case in `folder/*.yml` except `floors.yml`, in file order; ids are unique."""
    if not folder.is_dir():
        raise EvalCaseError(f"no evaluation folder at {folder}")
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == "floors.yml":
            continue
        for case in load_file(path):
            if case.id in seen:
                raise EvalCaseError(
                    f"{path.name}: case {case.id!r} is also defined in {seen[case.id]}"
                )
            seen[case.id] = path.name
            cases.append(case)
    if not cases:
        raise EvalCaseError(f"no cases in {folder} (expected *.yml files)")
    return cases


def load_file(path: Path) -> list[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise EvalCaseError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise EvalCaseError(f"{path.name}: expected a list of cases, got {type(data).__name__}")
    return [_case(path.name, i, item) for i, item in enumerate(data)]


def _case(source: str, index: int, item: Any) -> Case:
    where = f"{source}: case #{index + 1}"
    if not isinstance(item, dict):
        raise EvalCaseError(f"{where}: expected a mapping, got {type(item).__name__}")
    case_id = item.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise EvalCaseError(f"{where}: missing `id`")
    where = f"{source}: case {case_id!r}"
    unknown = set(item) - CASE_KEYS
    if unknown:
        raise EvalCaseError(f"{where}: unknown keys {sorted(unknown)}")
    category = item.get("category")
    if not isinstance(category, str) or not category:
        raise EvalCaseError(f"{where}: missing `category`")
    difficulty = item.get("difficulty")
    if difficulty not in DIFFICULTIES:
        raise EvalCaseError(f"{where}: `difficulty` must be one of {', '.join(DIFFICULTIES)}")
    turns = item.get("turns")
    if not isinstance(turns, list) or not turns:
        raise EvalCaseError(f"{where}: `turns` must be a non-empty list")
    return Case(
        id=case_id,
        category=category,
        difficulty=difficulty,
        turns=tuple(_turn(f"{where}, turn {n + 1}", t) for n, t in enumerate(turns)),
        setup=_setup(where, item.get("setup")),
        source=source,
    )


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalCaseError(f"{where}: `{key}` must be a string or a list of strings")
    return tuple(value)


def _turn(where: str, item: Any) -> TurnSpec:
    if isinstance(item, str):
        item = {"say": item}
    if not isinstance(item, dict):
        raise EvalCaseError(f"{where}: expected a mapping, got {type(item).__name__}")
    unknown = set(item) - TURN_KEYS
    if unknown:
        raise EvalCaseError(f"{where}: unknown keys {sorted(unknown)}")
    say, decide = item.get("say"), item.get("decide")
    if (say is None) == (decide is None):
        raise EvalCaseError(f"{where}: give exactly one of `say` or `decide`")
    if say is not None and not isinstance(say, str):
        raise EvalCaseError(f"{where}: `say` must be a string")
    if decide is not None and decide not in DECISIONS:
        raise EvalCaseError(f"{where}: `decide` must be approve or reject")
    args = item.get("args") or {}
    if not isinstance(args, dict) or not all(isinstance(v, dict) for v in args.values()):
        raise EvalCaseError(f"{where}: `args` must map tool names to argument mappings")
    approval = item.get("approval")
    if isinstance(approval, dict):
        if set(approval) != {"pending"} or not isinstance(approval["pending"], str):
            raise EvalCaseError(f"{where}: `approval` must be none or {{pending: TOOL}}")
        approval = approval["pending"]
    elif approval not in (None, "none"):
        raise EvalCaseError(f"{where}: `approval` must be none or {{pending: TOOL}}")
    only = item.get("only_tools", False)
    if not isinstance(only, bool):
        raise EvalCaseError(f"{where}: `only_tools` must be true or false")
    return TurnSpec(
        say=say,
        decide=decide,
        tools=_strings(where, "tools", item.get("tools")),
        forbidden_tools=_strings(where, "forbidden_tools", item.get("forbidden_tools")),
        only_tools=only,
        args={str(k): dict(v) for k, v in args.items()},
        approval=approval,
        contains=_strings(where, "contains", item.get("contains")),
        not_contains=_strings(where, "not_contains", item.get("not_contains")),
    )


def _setup(where: str, item: Any) -> Setup:
    if item is None:
        return Setup()
    if not isinstance(item, dict):
        raise EvalCaseError(f"{where}: `setup` must be a mapping")
    unknown = set(item) - SETUP_KEYS
    if unknown:
        raise EvalCaseError(f"{where}: unknown setup keys {sorted(unknown)}")
    runbooks, files = item.get("runbooks") or {}, item.get("files") or {}
    for key, value in (("runbooks", runbooks), ("files", files)):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise EvalCaseError(f"{where}: setup `{key}` must map file names to text")
    prompts, alerts = item.get("prompts") or [], item.get("alerts") or []
    for key, value in (("prompts", prompts), ("alerts", alerts)):
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise EvalCaseError(f"{where}: setup `{key}` must be a list of mappings")
    for prompt in prompts:
        if not {"name", "template"} <= set(prompt):
            raise EvalCaseError(f"{where}: a setup prompt needs `name` and `template`")
    return Setup(dict(runbooks), list(prompts), list(alerts), dict(files))
