"""search_runbooks: the closest runbook is the highest-scored hit, cited by title and section;
and the shipped runbook each kind of problem points to, for next steps."""

from __future__ import annotations

from typing import Any

from graphs.offline.verdicts.base import INFO, WARN, Outcome, Verdict, as_dict

# Next steps name the shipped runbook (knowledge/runbooks/) that covers the problem, by title
# and section; tests/core/test_verdicts.py checks that each title and section exists.
SHIPPED = {
    "disk": ("Disk full or filling up", "Mitigation"),
    "inodes": ("Inodes exhausted", "Mitigation"),
    "cpu": ("Host CPU saturated", "Diagnosis"),
    "memory": ("Memory pressure and OOM kills", "Mitigation"),
    "swap": ("Swap thrashing and high load average", "Mitigation"),
    "endpoint_down": ("HTTP endpoint down", "Diagnosis"),
    "endpoint_slow": ("HTTP endpoint slow", "Diagnosis"),
    "tls": ("TLS certificate expiring", "Mitigation"),
    "drift": ("Model input data drift", "Mitigation"),
}


def runbook_ref(kind: str) -> str:
    title, section = SHIPPED[kind]
    return f"runbook *{title}* › {section}"


def hits_of(data: Any) -> list[dict[str, Any]]:
    hits = as_dict(data).get("hits") if isinstance(data, dict) else data
    return [h for h in (hits or []) if isinstance(h, dict)]


def best_hit(hits: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest-scored hit: by fused relevance (what the search ranks by), then by the
    best passage's similarity; the search's own order breaks ties."""
    if not hits:
        return None
    return max(
        hits,
        key=lambda h: (float(h.get("relevance") or 0.0), float(h.get("score") or 0.0)),
    )


def citation(hit: dict[str, Any]) -> str:
    section = f" › {hit['section']}" if hit.get("section") else ""
    return f"*{hit.get('title', '?')}*{section} ({hit.get('source', '?')})"


def runbooks(outcome: Outcome, _question: str) -> Verdict:
    hits = hits_of(outcome.data)
    top = best_hit(hits)
    if top is None:
        nearest = hits_of(as_dict(outcome.data).get("nearest"))
        near = f" The nearest, not a match: {citation(nearest[0])}." if nearest else ""
        return Verdict(
            WARN,
            "No runbook matches this well, so I won't guess one." + near,
            next_step="try other words, or add a runbook for it to knowledge/runbooks/.",
            detail_lines=0,
        )
    others = [h for h in hits if h is not top][:2]
    evidence = [f"also: {citation(h)}" for h in others]
    return Verdict(
        INFO,
        f"The closest runbook is {citation(top)}.",
        evidence=evidence,
        next_step=f"follow {citation(top)}.",
    )
