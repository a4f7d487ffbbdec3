"""Follow-ups that only make sense after the previous turn: "and /home?" after a disk
question, "by memory instead" after top processes, "do the same to fraud-detector" after a
rollback. The previous turn's plan (its tools and arguments) is the conversation state; a
short follow-up reuses that tool with the one argument it changes."""

from __future__ import annotations

import re
from typing import Any

from graphs.offline.entities import Entities, Vocabulary
from graphs.offline.intents import INCIDENT, MEMORY_WORDS, RUNBOOK

Call = tuple[str, dict[str, Any]]

_FOLLOW_UP_WORDS = 8  # longer messages are new questions, planned on their own
_LIMIT = re.compile(r"\b(?:top|just|only|first)\s+(?:the\s+)?(?:top\s+)?(\d{1,2})\b")


def _first(calls: list[Call], name: str) -> dict[str, Any] | None:
    return next((dict(args) for tool, args in calls if tool == name), None)


def follow_up(
    low: str, words: set[str], ents: Entities, previous: list[Call], vocab: Vocabulary
) -> list[Call]:
    """The calls a short follow-up asks for, given the previous turn's calls; [] when the
    message is not a follow-up of them."""
    if not previous or len(low.split()) > _FOLLOW_UP_WORDS or words & (RUNBOOK | INCIDENT):
        return []  # a runbook or incident question is a new question
    for rule in (_disk, _processes, _endpoint, _drift, _same_action, _prompt_ref):
        calls = rule(low, words, ents, previous, vocab)
        if calls:
            return calls
    return []


def _disk(low: str, words: set[str], ents: Entities, prev: list[Call], _: Vocabulary) -> list[Call]:
    if _first(prev, "disk_usage") is not None and ents.paths:
        return [("disk_usage", {"path": path}) for path in ents.paths[:3]]
    return []


def _processes(
    low: str, words: set[str], ents: Entities, prev: list[Call], _: Vocabulary
) -> list[Call]:
    args = _first(prev, "top_processes")
    if args is None:
        asks_who = re.search(r"\bwho\b|\busing\b|\beating\b", low)
        if _first(prev, "host_health") is None or not asks_who:
            return []
        args = {"by": "cpu", "limit": 10}
    changed = False
    if words & MEMORY_WORDS:
        args["by"], changed = "memory", True
    elif "cpu" in words:
        args["by"], changed = "cpu", True
    limit = _LIMIT.search(low)
    if limit:
        args["limit"], changed = int(limit.group(1)), True
    return [("top_processes", args)] if changed else []


def _endpoint(
    low: str, words: set[str], ents: Entities, prev: list[Call], _: Vocabulary
) -> list[Call]:
    if re.search(r"\bagain\b|\bre-?check\b", low):
        return [(tool, args) for tool, args in prev if tool == "check_endpoint"]
    return []


def _drift(
    low: str, words: set[str], ents: Entities, prev: list[Call], vocab: Vocabulary
) -> list[Call]:
    args = _first(prev, "model_drift")
    if args is None or len(prev) != 1:
        return []
    if ents.models:
        version = {"version": ents.versions[0]} if ents.versions else {}
        return [("model_drift", {"name": m, **version}) for m in ents.models[:3]]
    if re.search(r"\bother\b", low):
        others = [m for m in vocab.models if m != args.get("name")]
        return [("model_drift", {"name": m}) for m in others[:3]]
    if ents.versions:
        return [("model_drift", {"name": args["name"], "version": ents.versions[0]})]
    return []


def _same_action(
    low: str, words: set[str], ents: Entities, prev: list[Call], _: Vocabulary
) -> list[Call]:
    """ "do the same to fraud-detector": the previous change, on another name."""
    if not re.search(r"\bsame\b", low):
        return []
    for tool, kind in (("set_model_alias", ents.models), ("set_prompt_label", ents.prompts)):
        args = _first(prev, tool)
        if args is not None and kind:
            return [(tool, {**args, "name": kind[0]})]
    return []


def _prompt_ref(
    low: str, words: set[str], ents: Entities, prev: list[Call], vocab: Vocabulary
) -> list[Call]:
    """ "show the newer one" after a diff; "promote that to production" after a show;
    "show the triage one" after the prompt list."""
    diff = _first(prev, "diff_prompts")
    if diff is not None and re.search(r"\b(?:newer|new|later|second)\b", low):
        return [("show_prompt", _ref(diff["name"], diff["new"]))]
    if diff is not None and re.search(r"\b(?:older|old|earlier|first)\b", low):
        return [("show_prompt", _ref(diff["name"], diff["old"]))]
    shown = _first(prev, "show_prompt")
    if shown is not None and "promote" in words and ents.labels and "version" in shown:
        label = ents.labels[0]
        return [("set_prompt_label", {"name": shown["name"], "label": label, **_version(shown)})]
    if shown is not None and ents.labels and not ents.prompts and "show" in words:
        return [("show_prompt", {"name": shown["name"], "label": ents.labels[0]})]
    if _first(prev, "list_prompts") is not None and not ents.prompts:
        parts = {w.strip("?.,!") for w in low.split()}
        found = [
            p
            for p in vocab.prompts
            if any(len(x) >= 4 and x in parts for x in re.split(r"[-_]", p))
        ]
        if len(found) == 1:
            return [("show_prompt", {"name": found[0]})]
    return []


def _version(args: dict[str, Any]) -> dict[str, Any]:
    return {"version": args["version"]}


def _ref(name: str, ref: str) -> dict[str, Any]:
    if re.fullmatch(r"v\d+", ref):
        return {"name": name, "version": int(ref[1:])}
    return {"name": name, "label": ref}
