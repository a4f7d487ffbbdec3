"""Follow-ups that point into the last result's items (graphs.offline.recall): "open the one
about memory" after an incident list, "make that the production one" after a model's status,
"what drifted most?" after a drift report, "so what do I do per the runbook?" after a disk
check or a runbook search. An ambiguous reference gets a question listing the candidates,
one to nothing gets a reply saying so; a change is only ever planned as the gated tool call
the planner would plan for the same words with the version spelled out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from graphs.offline.entities import Entities, Vocabulary, extract
from graphs.offline.intents import DRIFT, RUNBOOK
from graphs.offline.reads import Plan
from graphs.offline.recall import IncidentItem, LastResult, VersionItem
from graphs.offline.text import normalise, tokens

_SHORT = 10  # words; longer messages are new questions
_POINTS = re.compile(
    r"\b(?:that|this|it|those)\b|\bthe\s+(?:[\w-]+\s+)?ones?\b|\bones?\s+(?:about|for|with|on)\b"
)
# "the one about memory", "the memory one", "that one": clearly a pick from a list
_PICKS = re.compile(r"\bthe\s+(?:[\w-]+\s+)?ones?\b|\bones?\s+about\b|\b(?:that|this)\s+one\b")
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|last)\b")
# words that say how a reference is made, not what it is about
_FILLER = {
    "the", "one", "ones", "about", "for", "with", "on", "that", "this", "it", "those", "show",
    "me", "open", "see", "look", "at", "details", "detail", "of", "incident", "incidents",
    "alert", "alerts", "please", "pls", "can", "you", "i", "what", "is", "in", "a", "an", "and",
    "so", "what's", "whats", "which", "tell", "more", "give", "pull", "up", "display", "get",
    "now", "then", "again", "say", "says", "said", "do", "does", "we", "per", "to", "go",
}  # fmt: skip
_MOST = re.compile(r"\b(?:most|worst|biggest|largest|strongest|top|mostly)\b")
_CHANGE = re.compile(r"\b(?:make|promote|move|set|put|point|switch|pin|deploy|ship)\b")
_RUNBOOK_REF = re.compile(
    r"\b(?:the|that|this|its|a)\s+(?:run|play)books?\b(?!\s+(?:for|on|about)\s+(?!(?:it|that|this)\b))"
    r"|\bper\s+(?:the\s+)?runbook\b"
)


# what a runbook for the last result's tool is about, when it cited none
_TOOL_TOPICS = {
    "disk_usage": "disk full",
    "check_endpoint": "HTTP endpoint down",
    "top_processes": "process using too much cpu or memory",
    "host_health": "host health",
    "model_drift": "model input drift",
    "model_status": "model rollback",
}


@dataclass(frozen=True)
class Context:
    low: str
    words: set[str]
    ents: Entities
    last: LastResult
    vocab: Vocabulary
    available: set[str]
    acts: bool = True  # asks for an action, not advice about one ("should I promote it?")
    previous: str = ""  # the message before this one (normalised)


def resolve(ctx: Context) -> Plan | None:
    """The plan for a message that points into the last result, or None when it does not."""
    if not ctx.last.calls or len(ctx.low.split()) > _SHORT:
        return None
    rules: tuple[Callable[[Context], Plan | None], ...] = (
        _version_change,
        _incident,
        _most_drifted,
        _runbook,
    )
    for rule in rules:
        plan = rule(ctx)
        if plan is not None:
            return plan
    return None


def _topic(low: str) -> list[str]:
    """The words of a reference that say what it is about ("the one about memory": memory)."""
    return [
        w
        for w in re.findall(r"[a-z0-9][a-z0-9'_-]*", low)
        if w not in _FILLER and w not in _ORDINALS and len(w) >= 3
    ]


def _matches(word: str, item_words: set[str]) -> bool:
    if word in item_words:
        return True
    stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
    return len(stem) >= 4 and any(
        w.startswith(stem) or (len(w) >= 4 and stem.startswith(w)) for w in item_words
    )


def _listing(items: list[IncidentItem]) -> str:
    return "; ".join(i.line() for i in items[:10]) + (" …" if len(items) > 10 else "")


def _incident(ctx: Context) -> Plan | None:
    """ "open the one about memory", "show me that one", "the second one"."""
    items = list(ctx.last.incidents)
    if not items or "show_incident" not in ctx.available or ctx.ents.incidents:
        return None
    if ctx.ents.models or ctx.ents.prompts or ctx.ents.paths or ctx.words & (DRIFT | RUNBOOK):
        return None
    if _CHANGE.search(ctx.low):
        return None  # "promote that one to production": a change, planned as one or asked
    ordinal = _ORDINAL.search(ctx.low)
    if not (_POINTS.search(ctx.low) or ordinal):
        return None
    topic = _topic(ctx.low)
    picks = bool(_PICKS.search(ctx.low) or ordinal)
    plan = Plan()
    if ordinal and not topic:
        items = _asked_about(ctx, items)
        index = _ORDINALS[ordinal.group(1)]
        if index >= len(items):
            plan.reply = f"I listed only {len(items)} incident(s): {_listing(items)}."
            return plan
        plan.calls.append(("show_incident", {"id": items[index].id}))
        return plan
    found = _about(topic, items)
    if not picks and len(found) != 1:
        return None  # "is it fixed?": a bare "it" only points at a single match
    if len(found) == 1:
        plan.calls.append(("show_incident", {"id": found[0].id}))
    elif not found:
        about = " ".join(topic)
        plan.reply = (
            f"None of the {len(items)} incident(s) I listed is about {about}: {_listing(items)}. "
            "Which one do you mean? For example: show incident "
            f"{items[0].id}."
        )
    else:
        about = f' match "{" ".join(topic)}"' if topic else " were listed"
        plan.reply = (
            f"Which one? {len(found)} incidents{about}: {_listing(found)}. "
            f"Say for example: show incident {found[0].id}."
        )
    return plan


def _about(topic: list[str], items: list[IncidentItem]) -> list[IncidentItem]:
    return [i for i in items if all(_matches(w, i.words) for w in topic)] if topic else items


def _asked_about(ctx: Context, items: list[IncidentItem]) -> list[IncidentItem]:
    """After "which one?" (a message between the result and this one matched several),
    "the second" counts among those it matched."""
    if not ctx.previous or ctx.previous == normalise(ctx.last.question):
        return items
    among = _about(_topic(ctx.previous), items)
    return among if len(among) > 1 else items


def _focus(last: LastResult, vocab: Vocabulary, model: str | None) -> list[VersionItem]:
    """The versions the previous answer was about: the one holding the alias or carrying
    the number the previous question named, else its only version."""
    versions = [v for v in last.versions if model is None or v.model == model]
    question = last.versions_question or last.question
    asked = extract(question, tokens(question), vocab)
    if asked.versions:
        named = [v for v in versions if v.version in asked.versions]
        if named:
            return named
    for label in asked.labels:
        held = [v for v in versions if label in v.aliases]
        if held:
            return held
    return versions


def _version_change(ctx: Context) -> Plan | None:
    """ "make that the production one", "promote it to production": the version the last
    result was about, through the same gated set_model_alias as any alias move."""
    if not ctx.last.versions or "set_model_alias" not in ctx.available:
        return None
    if ctx.ents.versions or ctx.ents.prompts or not ctx.ents.labels:
        return None
    if not (ctx.acts and _CHANGE.search(ctx.low) and _POINTS.search(ctx.low)):
        return None
    models = list(dict.fromkeys(v.model for v in ctx.last.versions))
    model = ctx.ents.models[0] if ctx.ents.models else models[0] if len(models) == 1 else None
    plan = Plan()
    if model is None:
        plan.reply = f"Which model do you mean? The last result was about {', '.join(models)}."
        return plan
    focus = _focus(ctx.last, ctx.vocab, model)
    label = next((lb for lb in ctx.ents.labels if lb != "latest"), None)
    if not focus or label is None:
        return None
    if len(focus) > 1:
        listed = ", ".join(v.line() for v in focus)
        plan.reply = (
            f"Which version of {model} should {label} point to? {listed}. "
            f"For example: promote {model} v{focus[0].version} to {label}."
        )
        return plan
    target = focus[0]
    if label in target.aliases:
        plan.reply = f"{label} of {model} already points to v{target.version}."
        return plan
    plan.calls.append(
        ("set_model_alias", {"name": model, "alias": label, "version": target.version})
    )
    return plan


def _most_drifted(ctx: Context) -> Plan | None:
    """ "what drifted most?": the same drift reports again (stored, so cheap), answered
    most drifted feature first (graphs.offline.verdicts.drift)."""
    if not ctx.last.features or "model_drift" not in ctx.available:
        return None
    if not (_MOST.search(ctx.low) and (ctx.words & DRIFT or "feature" in ctx.low)):
        return None
    if ctx.ents.models or ctx.ents.versions:
        return None  # a new question about a named model
    plan = Plan()
    for tool, args in ctx.last.calls:
        if tool == "model_drift" and (tool, args) not in plan.calls:
            plan.calls.append((tool, args))
    return plan if plan.calls else None


def _runbook(ctx: Context) -> Plan | None:
    """ "so what do I do per the runbook?", "what does that runbook say?": the runbook the
    last result cited, else one for what the last question was about."""
    if "search_runbooks" not in ctx.available or not _RUNBOOK_REF.search(ctx.low):
        return None
    last = ctx.last
    if last.runbooks:
        query = f"{last.runbooks[0].title} {last.runbooks[0].section}"
    elif len(last.incidents) == 1 and "incidents" not in last.carried:
        query = f"{last.incidents[0].title} {last.incidents[0].alertname}"
    else:
        topics = [_TOOL_TOPICS[t] for t, _ in last.calls if t in _TOOL_TOPICS]
        query = " ".join([*dict.fromkeys(topics), last.question])
    query = query.strip()
    if not query:
        return None
    return Plan(calls=[("search_runbooks", {"query": query[:500], "k": 3})])
