"""Plain refusals for requests the bot must never carry out: shell commands, destructive SQL,
reading secrets. Without this the planner would search the runbooks for "rm -rf /data", as
if it were a question; a refusal that says what can be done instead is the useful answer."""

from __future__ import annotations

import re

_DANGEROUS = re.compile(
    r"""
    \brm\s+-[a-z]*[rf]                      # rm -rf, rm -r, rm -f
    | \b(?:curl|wget)\b[^|]*\|\s*(?:ba|z)?sh\b   # piping a download into a shell
    | \bsudo\s+\S
    | \bsystemctl\s+(?:stop|disable|mask|kill)\b
    | \bchmod\s+(?:-[a-z]+\s+)?[0-7]{3,4}\b
    | \bchown\s+-R\b
    | \b(?:drop|truncate)\s+(?:table|database|schema)\b
    | \bdelete\s+from\s+\w
    | /etc/(?:shadow|passwd|sudoers)\b
    | \bmkfs\b | \bdd\s+if=
    """,
    re.IGNORECASE | re.VERBOSE,
)

REFUSAL = (
    "I won't do that: I don't run shell commands, SQL or anything that reads secrets, and "
    "nothing outside the remediation allowlist runs at all. What I can do: restart an "
    "allowlisted service, clean an allowlisted directory, kill a process by PID or roll back "
    "a model or prompt, each only after an on-call approver approves it; and read host "
    "health, disks, processes, endpoints, models, prompts, incidents and runbooks."
)


def refusal(text: str) -> str | None:
    """The refusal for a dangerous request, or None when the request is not one."""
    return REFUSAL if _DANGEROUS.search(text) else None
