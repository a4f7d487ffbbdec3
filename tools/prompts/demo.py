"""Demo prompts for `opsbot demo`: `support-triage` (3 versions, production on v2, v3 a risky
change worth diffing) and `incident-summary` (2 chat versions, production on v1, staging on
v2). Idempotent: prompts that exist are left as they are (including moved labels)."""

from __future__ import annotations

from tools.prompts.seed import ensure_prompts, new_prompt_doc
from tools.prompts.store import PromptStore
from tools.prompts.views import PromptDoc

_TRIAGE_V1 = """\
You are a support triage assistant. Classify the ticket below into one of: billing, bug,
how-to, other.

Ticket:
{{ ticket }}

Answer with the category only.
"""

_TRIAGE_V2 = """\
You are a support triage assistant for {{ product }}. Classify the ticket below into one of:
billing, bug, how-to, account, other, and give it a priority from P1 (outage) to P4 (question).
The customer is on the {{ tier }} plan: enterprise tickets are never below P3.

Ticket:
{{ ticket }}

Answer as JSON: {"category": "...", "priority": "P3"}
"""

_TRIAGE_V3 = """\
You are a friendly support triage assistant for {{ product }}. Classify the ticket below into
one of: billing, bug, how-to, account, other, and give it a priority from P1 (outage) to P4
(question). The customer is on the {{ tier }} plan: enterprise tickets are never below P3.
Also rate the customer's sentiment from 1 (angry) to 5 (happy) and suggest a first reply.

Ticket:
{{ ticket }}

Answer as JSON: {"category": "...", "priority": "P3", "sentiment": 3, "reply": "..."}
"""

_SUMMARY_SYSTEM = "You summarise incidents for on-call engineers. Be brief and factual."

_SUMMARY_V1_USER = """\
Incident: {{ title }} (severity {{ severity }})
Evidence:
{{ evidence }}

Summarise it in at most 5 lines."""

_SUMMARY_V2_USER = """\
Incident: {{ title }} (severity {{ severity }})
Evidence:
{{ evidence }}
Runbook: {{ runbook }}

Summarise it in at most 5 lines: what is wrong, the likely cause, the figure that shows it,
and the next step from the runbook. Do not invent facts beyond the evidence."""


def demo_docs() -> list[PromptDoc]:
    triage = new_prompt_doc(
        "support-triage",
        [
            (_TRIAGE_V1, "first version: category only",
             {"model": "claude-haiku-4-5", "temperature": 0.0, "max_tokens": 20}),
            (_TRIAGE_V2, "add priority and plan tier; answer as JSON",
             {"model": "claude-haiku-4-5", "temperature": 0.0, "max_tokens": 80}),
            (_TRIAGE_V3, "add sentiment and a suggested reply",
             {"model": "claude-haiku-4-5", "temperature": 0.7, "max_tokens": 400}),
        ],
        description="Classifies support tickets by category and priority",
        tags=["support", "demo"],
        labels={"production": 1},  # then promoted to v2 below, so there is a history
        author="demo",
    )  # fmt: skip
    summary = new_prompt_doc(
        "incident-summary",
        [
            (
                [{"role": "system", "content": _SUMMARY_SYSTEM},
                 {"role": "user", "content": _SUMMARY_V1_USER}],
                "first version",
                {"model": "claude-sonnet-4-5", "temperature": 0.2},
            ),
            (
                [{"role": "system", "content": _SUMMARY_SYSTEM},
                 {"role": "user", "content": _SUMMARY_V2_USER}],
                "cite the runbook and the next step",
                {"model": "claude-sonnet-4-5", "temperature": 0.2, "max_tokens": 300},
            ),
        ],
        description="Summarises an incident for the on-call engineer (chat messages)",
        tags=["incidents", "demo"],
        labels={"production": 1, "staging": 2},
        author="demo",
    )  # fmt: skip
    return [triage, summary]


def seed_demo(store: PromptStore) -> list[str]:
    """The `opsbot demo` seeder of the prompt registry (bot/commands/demo.py SEEDERS)."""
    before = set(store.names())
    lines = ensure_prompts(store, demo_docs(), "opsbot demo")
    if "support-triage" not in before and "support-triage" in store.names():
        # a realistic history: v1 served first, v2 promoted later, v3 not yet promoted
        store.set_label(
            "support-triage",
            "production",
            2,
            actor="demo",
            expected_version=1,
            reason="demo history: v2 reviewed and promoted",
            kind="seed",
        )
        lines = [
            line.replace("(production=v1)", "(production=v1, then promoted to v2)")
            for line in lines
        ]
    return lines
