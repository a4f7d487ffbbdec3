"""The read-only half of the offline planner: which reads a message asks for (incidents,
models, prompts, infrastructure, runbooks) and their arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.clock import utcnow
from graphs.offline.change_reads import change_reads
from graphs.offline.entities import Entities, Vocabulary
from graphs.offline.intents import (
    DIFF,
    DISK,
    DRIFT,
    ENDPOINT,
    HOST,
    INCIDENT,
    MEMORY_WORDS,
    METRICS,
    MODEL,
    PROCESS,
    PROMPT,
    RUNBOOK,
    UPDOWN,
    VERSION_WORDS,
)
from graphs.offline.maintenance_reads import maintenance_reads
from graphs.offline.oncall_reads import oncall_reads
from graphs.offline.promql import promql_in, range_in, similar_metrics
from graphs.offline.text import tokens

_MAX_TARGETS = 5  # calls of one tool for the names of one message


@dataclass
class Plan:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reply: str | None = None


def bare_numbers(text: str, ents: Entities) -> list[int]:
    """Plain numbers standing alone: the versions in "diff support-triage 2 3" or "promote
    support-triage 3 to production". (Fuzzy name matching may have counted such a number as
    part of the name, "support-triage 3"; names are single tokens, so a lone number is not.)"""
    return [
        int(word)
        for word in tokens(text)
        if word.isdigit() and len(word) <= 6 and int(word) > 0 and int(word) not in ents.pids
    ]


def _diff_refs(text: str, ents: Entities) -> tuple[str, str]:
    """The two sides of a prompt diff: two versions or labels named, one named against the
    version before it (or latest), else production against latest."""
    versions = ents.versions or bare_numbers(text, ents)
    refs = [f"v{v}" for v in versions] + [lb for lb in ents.labels if lb not in ("latest",)]
    if len(refs) >= 2:
        return refs[0], refs[1]
    if len(refs) == 1:
        if ents.versions and ents.versions[0] > 1 and not ents.labels:
            return f"v{ents.versions[0] - 1}", f"v{ents.versions[0]}"
        return refs[0], "latest"
    return "production", "latest"


def _incident_status(low: str, words: set[str]) -> str:
    """Which incidents a list question is about (open = not yet resolved)."""
    if re.search(r"\bun-?ack(?:nowledged|ed)?\b", low):
        return "unacknowledged"
    if re.search(r"\back(?:nowledged|ed)\b", low):
        return "acknowledged"
    if re.search(r"\b(?:resolved|closed|fixed)\b", low):
        return "all" if words & {"all"} else "resolved"
    return "all" if words & {"all"} else "open"


_ASKS_OPEN = re.compile(
    r"\b(?:what|anything|something)(?: is)? (?:still )?open\b|\bwhat is (?:going on|on fire)\b"
)


class Reads:
    """Plans the read-only calls of a message, given the model and prompt it is about."""

    def __init__(self, vocabulary: Vocabulary, available: set[str]) -> None:
        self.vocab = vocabulary
        self.available = available

    def _has(self, name: str) -> bool:
        return name in self.available

    def plan(
        self,
        text: str,
        low: str,
        words: set[str],
        ents: Entities,
        model: str | None,
        prompt: str | None,
        plan: Plan,
    ) -> None:
        """Read-only calls, in a fixed order: incidents, models, prompts, infrastructure,
        runbooks (each rule may look at what the earlier ones planned)."""
        self._incident_reads(low, words, ents, plan)
        changes = change_reads(low, ents, model, prompt, self._has)
        plan.calls.extend(changes)
        plan.calls.extend(oncall_reads(low, utcnow(), self._has))
        plan.calls.extend(maintenance_reads(low, self._has))
        # "what changed for bike-demand?" is the change log, not the model's status
        if not any(name == "what_changed" for name, _ in changes):
            self._model_reads(model, prompt, words, ents, plan)
            self._prompt_reads(prompt, text, words, ents, plan)
        self._infra_reads(text, low, words, ents, plan)
        self._runbook_reads(text, low, words, plan)

    def _incident_reads(self, low: str, words: set[str], ents: Entities, plan: Plan) -> None:
        if ents.incidents and self._has("show_incident"):
            plan.calls.append(("show_incident", {"id": ents.incidents[0]}))
        elif (words & INCIDENT or _ASKS_OPEN.search(low)) and self._has("list_incidents"):
            plan.calls.append(("list_incidents", {"status": _incident_status(low, words)}))

    def _model_reads(
        self, model: str | None, prompt: str | None, words: set[str], ents: Entities, plan: Plan
    ) -> None:
        calls = plan.calls
        # every model the message names ("drift for bike-demand and fraud-detector"), else
        # the one resolved from context
        models = ents.models[:_MAX_TARGETS] if len(ents.models) > 1 else [model] if model else []
        if words & DRIFT and self._has("model_drift"):
            if models:
                for name in models:
                    args: dict[str, Any] = {"name": name}
                    if ents.versions:
                        args["version"] = ents.versions[0]
                    calls.append(("model_drift", args))
            elif self.vocab.models:
                calls.extend(("model_drift", {"name": m}) for m in self.vocab.models[:5])
            else:
                plan.reply = "No models are registered yet, so there is no drift to report."
        if models and self._has("model_status"):
            drift_only = words & DRIFT and not (words & (VERSION_WORDS - {"status"}))
            if not drift_only:
                calls.extend(("model_status", {"name": name}) for name in models)
        elif (
            words & MODEL
            and not prompt
            and not model
            and self._has("list_models")
            and not any(name == "model_drift" for name, _ in calls)
        ):
            calls.append(("list_models", {}))

    def _prompt_reads(
        self, prompt: str | None, text: str, words: set[str], ents: Entities, plan: Plan
    ) -> None:
        if not prompt:
            if words & PROMPT and self._has("list_prompts"):
                plan.calls.append(("list_prompts", {}))
            return
        if (words & DIFF or len(ents.versions) >= 2) and self._has("diff_prompts"):
            old, new = _diff_refs(text, ents)
            plan.calls.append(("diff_prompts", {"name": prompt, "old": old, "new": new}))
        elif self._has("show_prompt"):
            args: dict[str, Any] = {"name": prompt}
            if ents.versions:
                args["version"] = ents.versions[0]
            elif ents.labels:
                args["label"] = ents.labels[0]
            plan.calls.append(("show_prompt", args))

    def _infra_reads(
        self, text: str, low: str, words: set[str], ents: Entities, plan: Plan
    ) -> None:
        calls = plan.calls
        if words & DISK and self._has("disk_usage"):
            paths = ents.paths[:_MAX_TARGETS] or ["/"]  # "disk usage of /var and /home": both
            calls.extend(("disk_usage", {"path": path}) for path in paths)
        if words & PROCESS and self._has("top_processes"):
            by = "memory" if words & MEMORY_WORDS else "cpu"
            calls.append(("top_processes", {"by": by, "limit": ents.count or 10}))
        metrics = self.vocab.metrics
        query = promql_in(text, metrics) if self._has("query_metrics") else None
        endpoint_words = words & ENDPOINT or (
            words & UPDOWN and (ents.endpoints or ents.urls or not calls) and not query
        )
        if (ents.endpoints or endpoint_words) and self._has("check_endpoint"):
            targets = ents.endpoints or ents.urls or [""]
            calls.extend(("check_endpoint", {"target": t}) for t in targets[:5])
        if query:
            window = range_in(text)
            calls.append(
                ("query_metrics", {"query": query, **({"range": window} if window else {})})
            )
        elif words & METRICS and self._has("query_metrics"):
            plan.reply = _ask_for_promql(text, metrics)
            return  # about Prometheus: "memory" here is a metric to name, not this host
        host_words = words & HOST
        if host_words and self._has("host_health"):
            process_only = words & PROCESS and host_words <= (MEMORY_WORDS | {"cpu"})
            already = any(name == "host_health" for name, _ in calls)
            specific = host_words - {"status", "doing", "health", "healthy", "load"}
            if not process_only and not already and (not calls or specific):
                calls.append(("host_health", {}))
        vague = "how is" in low and re.search(r"\b(it|things|everything|we)\b", low)
        if not calls and vague and self._has("host_health"):
            calls.append(("host_health", {}))

    def _runbook_reads(self, text: str, low: str, words: set[str], plan: Plan) -> None:
        """Runbooks, when asked for or when the question is about fixing something."""
        asks_howto = bool(
            re.search(
                r"\bhow (?:do|can|should) (?:i|we)\b|\bhow to\b|\bwhat (?:should|do) (?:i|we) do\b",
                low,
            )
        )
        if (words & RUNBOOK or asks_howto) and self._has("search_runbooks"):
            plan.calls.append(("search_runbooks", {"query": text.strip()[:500], "k": 3}))


def _ask_for_promql(text: str, metrics: frozenset[str]) -> str:
    """The reply when the message is about Prometheus but names no query: the known metric
    names that look like what it asks about, when there are any."""
    close = similar_metrics(text, metrics)
    if close:
        names = ", ".join(f"`{name}`" for name in close)
        return f"Which metric? Prometheus has {names}. Or give me the PromQL."
    return "Give me the PromQL, e.g. promql: `rate(http_requests_total[5m])`."
