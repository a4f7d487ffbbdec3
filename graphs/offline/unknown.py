"""Names the user typed that no registry holds: "is churn-model drifting?" must say that
churn-model is unknown and list the known models, not answer about every model there is."""

from __future__ import annotations

import re

from graphs.offline.entities import Entities, Vocabulary
from graphs.offline.intents import (
    ALL_WORDS,
    DRIFT,
    ENDPOINT,
    MODEL,
    PROMPT,
    ROLLBACK,
    UPDOWN,
)

# a hyphenated or underscored name: letters on both sides ("churn-model", "payments_api")
_NAME = re.compile(r"^[a-z][a-z0-9]+(?:[-_][a-z0-9]+)+$")


def _listing(kind: str, names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else f"no {kind}s are registered"


def name_like(words: list[str], ents: Entities, vocab: Vocabulary) -> list[str]:
    """Tokens shaped like registry names that matched no registry (nor a keyword)."""
    known = {n.lower() for n in (*vocab.models, *vocab.prompts, *vocab.endpoints)}
    known |= {n.lower() for n in (*vocab.services, *vocab.scripts)}
    return [
        w
        for i, w in enumerate(words)
        if i not in ents.used
        and _NAME.match(w)
        and w not in known
        and w not in ALL_WORDS
        and re.search(r"[a-z]{2}", w.split("-")[0])
    ]


def unknown_reply(
    words: list[str], canonical: set[str], ents: Entities, vocab: Vocabulary
) -> str | None:
    """A reply naming the unknown model, prompt or endpoint, when the question is about
    one of those and names none the registries hold."""
    candidates = name_like(words, ents, vocab)
    if not candidates:
        return None
    name = candidates[0]
    if canonical & PROMPT and not ents.prompts:
        return f"unknown prompt '{name}'; known: {_listing('prompt', vocab.prompts)}."
    if canonical & (MODEL | DRIFT | ROLLBACK | {"roll"}) and not ents.models and not ents.prompts:
        return f"unknown model '{name}'; known: {_listing('model', vocab.models)}."
    if canonical & (ENDPOINT | UPDOWN) and not ents.endpoints:
        return f"unknown endpoint '{name}'; known: {_listing('endpoint', vocab.endpoints)}."
    return None
