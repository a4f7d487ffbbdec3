"""What a question to the agent may be: not empty, and not longer than a person types.

A pasted log or a whole file is not a question: the offline planner would match words in it
at random and Claude would spend its context on it. Every front end (Slack, the console,
`opsbot ask`, the evaluation suite) goes through `Agent.ask`, which answers a message too
long with `problem()`'s sentence instead of a plan; `opsbot ask` exits 2 with it, and on an
empty question too."""

from __future__ import annotations

MAX_QUESTION_CHARS = 4000


def problem(text: str, *, empty_ok: bool = False) -> str | None:
    """Why `text` cannot be asked, in one sentence, or None when it can. In chat an empty
    message (a bare @mention) is a request for help (`empty_ok`); at a command line it is
    a mistake."""
    stripped = text.strip()
    if not stripped and not empty_ok:
        return 'The question is empty. Ask about something, e.g. "how\'s the box?".'
    if len(stripped) > MAX_QUESTION_CHARS:
        return (
            f"The question is {len(stripped):,} characters; I read questions of up to "
            f"{MAX_QUESTION_CHARS:,}. Ask about one thing, and quote only the lines of a log "
            "that matter."
        )
    return None
