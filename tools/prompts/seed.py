"""opsbot's own prompts live in the registry, so a bad edit to them is rolled back like any
other prompt. On first start each is created as v1 with `production` on it; afterwards the
registry is the source of truth and seeding changes nothing.

A newer built-in default (a release that changes the system prompt) reaches an existing
registry through `upgrade_own_prompts`: when `production` still holds a previous built-in
default, as seeded and never edited, the new default becomes a version and `production` moves
to it (kind `seed`, in the label history like any move, so it can be rolled back). When the
team has edited its production version, that version stays in production: the new default is
only added as an unlabelled version to diff and promote if wanted, and a warning says so."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from core.clock import utcnow
from tools.prompts.errors import PromptConflict, PromptError
from tools.prompts.store import PromptStore
from tools.prompts.templates import normalise_template
from tools.prompts.views import PRODUCTION, PromptDoc, VersionDoc, VersionView

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


UPGRADE_MESSAGE = "built-in default updated by an opsbot release"


def upgrade_own_prompt(
    store: PromptStore, name: str, template: str, previous: Sequence[str]
) -> str:
    """Bring the built-in default `template` to prompt `name` when an earlier default
    (`previous`) is what it holds; never over a version the team wrote. Returns one line."""
    if name not in store.names():
        return f"prompt {name}: not present (it is seeded on first use)"
    versions = store.versions(name)
    current = next((v for v in versions if v.template == template), None)
    try:
        production: VersionView | None = store.get(name, label=PRODUCTION)
    except PromptError:
        production = None
    if production is not None and production.template == template:
        return f"prompt {name}: production v{production.version} is the built-in default"
    seeded = (
        production is not None
        and production.author == SEED_ACTOR
        and production.template in previous
    )
    try:
        created = current is None
        if current is None:
            current, _ = store.create_version(
                name, template, UPGRADE_MESSAGE, author=SEED_ACTOR, config=None
            )
        if not seeded:
            held = f"v{production.version}" if production is not None else "nothing"
            (log.warning if created else log.info)(
                "prompt %s: production holds %s, not a built-in default, so it is kept; the "
                "new built-in default is v%s (diff it and move production if wanted)",
                name,
                held,
                current.version,
            )
            return f"prompt {name}: production {held} kept; new default is v{current.version}"
        assert production is not None
        store.set_label(
            name,
            PRODUCTION,
            current.version,
            actor=SEED_ACTOR,
            expected_version=production.version,
            reason=UPGRADE_MESSAGE,
            kind="seed",
        )
    except PromptConflict as exc:  # another process upgraded it, or the team moved it now
        log.info("prompt %s not upgraded: %s", name, exc)
        return f"prompt {name}: not upgraded ({exc})"
    return f"prompt {name}: production v{production.version} -> v{current.version} (new default)"


def upgrade_own_prompts(
    store: PromptStore, prompts: Mapping[str, tuple[str, Sequence[str]]]
) -> list[str]:
    """`prompts` maps a name to (the built-in default, the earlier defaults it replaces)."""
    return [
        upgrade_own_prompt(store, name, template, previous)
        for name, (template, previous) in prompts.items()
    ]
