"""The local console front end: `opsbot chat` and `opsbot ask` (chat.py), incidents printed as
cards above the prompt (incidents.py: the console's `IncidentNotifier`), and the one input
prompt they share (prompt_line.py)."""

from bot.console.chat import (
    HELP,
    Console,
    ConsoleDeps,
    answer,
    expired_notice,
    render_text,
    render_turn,
    typed_turn,
)

__all__ = [
    "HELP",
    "Console",
    "ConsoleDeps",
    "answer",
    "expired_notice",
    "render_text",
    "render_turn",
    "typed_turn",
]
