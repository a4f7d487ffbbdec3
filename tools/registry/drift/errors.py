"""Errors the drift engine raises.

They subclass `ToolError` so the agent's tool layer shows the message as it is, and
`ValueError` so plain-Python callers can catch them the usual way.
"""

from __future__ import annotations

from core.errors import Invalid
from tools.base import ToolError


class DriftError(ToolError, ValueError):
    """A drift run cannot go on: the message names the bad thing and what is allowed."""


class DriftInputError(DriftError, Invalid):
    """Bad input data: missing file, unreadable format, empty column, mismatched schema."""
