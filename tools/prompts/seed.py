"""opsbot's own prompts live in the registry, so a bad edit to them is rolled back like any
other prompt. On first start each is created as v1 with `production` on it; afterwards the
registry is the source of truth and seeding changes nothing (a newer built-in default is not
pushed over what the team has: create a version from it if wanted)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from core.clock import utcnow
from tools.prompts.errors import PromptConflict
from tools.prompts.store import PromptStore
from tools.prompts.templates import normalise_template
from tools.prompts.views import PRODUCTION, PromptDoc, VersionDoc

log = logging.getLogger(__name__)

SEED_ACTOR = "opsbot"


def new_prompt_doc(
    name: str,
    versions: list[tuple[str | list[dict[str, str]], str, dict | None]],
    *,
    description: str = "",
    tags: list[str] | None = None,
    labels: Mapping[str, int] | None = None,
    author: str = SEED_ACTOR,
) -> PromptDoc:
    """A prompt document for `PromptStore.import_docs`: versions are (template, message,
    config), numbered from 1; hashes and variables are filled in by the store's checks."""
    now = utcnow()
    docs = []
    for number, (template, message, config) in enumerate(versions, start=1):
        kind, content = normalise_template(template)
        docs.append(
            VersionDoc(
                version=number,
                kind=kind,
                template=content,
                config=dict(config or {}),
                message=message,
                author=author,
                created_at=now,
                sha256="",
            )
        )
    return PromptDoc(
        name=name,
        description=description,
        tags=list(tags or []),
        created_by=author,
        created_at=now,
        labels=dict(labels or {}),
        versions=docs,
    )


def ensure_prompts(store: PromptStore, docs: list[PromptDoc], source: str) -> list[str]:
    """Create each prompt that does not exist yet, with its labels; leave existing ones
    alone. Safe to run from several processes at once. Returns one line per prompt."""
    existing = set(store.names())
    lines = []
    for doc in docs:
        if doc.name in existing:
            labels = store.summary(doc.name).labels
            shown = ", ".join(f"{k}=v{v}" for k, v in labels.items()) or "no labels"
            lines.append(f"prompt {doc.name}: already present ({shown})")
            continue
        try:
            store.import_docs([doc], actor=SEED_ACTOR, source=source, kind="seed")
        except PromptConflict as exc:
            # another process seeded it at the same moment, or the name was deleted
            log.info("prompt %s not seeded: %s", doc.name, exc)
            lines.append(f"prompt {doc.name}: not seeded ({exc})")
            continue
        shown = ", ".join(f"{k}=v{v}" for k, v in sorted(doc.labels.items())) or "no labels"
        lines.append(f"prompt {doc.name}: created {len(doc.versions)} versions ({shown})")
    return lines


def seed_own_prompts(store: PromptStore, prompts: Mapping[str, tuple[str, str]]) -> list[str]:
    """`prompts` maps a name to (template, description): opsbot's built-in defaults."""
    docs = [
        new_prompt_doc(
            name,
            [(template, "built-in default shipped with opsbot", None)],
            description=description,
            tags=["opsbot"],
            labels={PRODUCTION: 1},
        )
        for name, (template, description) in prompts.items()
    ]
    return ensure_prompts(store, docs, "opsbot defaults")
