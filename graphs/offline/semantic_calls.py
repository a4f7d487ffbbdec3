"""The tool calls for a label the semantic layer chose, with arguments from the planner's
entity extraction (names and paths found in the message, names from the conversation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphs.offline.entities import Entities, Vocabulary
from graphs.offline.intents import MEMORY_WORDS

if TYPE_CHECKING:
    from graphs.offline.semantic import SemanticRouter

Call = tuple[str, dict[str, Any]]


def propose(
    router: SemanticRouter,
    text: str,
    ents: Entities,
    words: set[str],
    context: Entities,
    vocab: Vocabulary,
    available: set[str],
) -> list[Call]:
    """The read calls for `text` when the router is confident, else []."""
    label = router.label(text)
    if label is None:
        return []
    return [
        call for call in calls_for(label, text, ents, words, context, vocab) if call[0] in available
    ]


def calls_for(
    label: str, text: str, ents: Entities, words: set[str], context: Entities, vocab: Vocabulary
) -> list[Call]:
    """A tool that needs a name it was not given falls back to the list it would pick from."""
    model = next(iter(ents.models or context.models), None)
    prompt = next(iter(ents.prompts or context.prompts), None)
    if label == "disk_usage":
        return [("disk_usage", {"path": ents.paths[0] if ents.paths else "/"})]
    if label == "top_processes":
        return [
            (
                "top_processes",
                {"by": "memory" if words & MEMORY_WORDS else "cpu", "limit": ents.count or 10},
            )
        ]
    if label == "check_endpoint":
        targets = ents.endpoints or ents.urls or [""]
        return [("check_endpoint", {"target": target}) for target in targets[:5]]
    if label == "model_status":
        # no known name: the message may name a model that does not exist ("what version of
        # recommender is in production?"), which the rules answer as unknown; listing the
        # registered models instead would answer about something else
        return [("model_status", {"name": model})] if model else []
    if label == "model_drift":
        names = [model] if model else list(vocab.models[:5])
        return [("model_drift", {"name": name}) for name in names] or [("list_models", {})]
    if label == "show_prompt":
        return [("show_prompt", {"name": prompt})] if prompt else [("list_prompts", {})]
    if label == "list_incidents":
        return [("list_incidents", {"status": "open"})]
    if label == "search_runbooks":
        return [("search_runbooks", {"query": text.strip()[:500], "k": 3})]
    return [(label, {})]  # host_health, list_models, list_prompts
