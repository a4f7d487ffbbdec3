"""The registry's user-facing error.

It subclasses `ToolError`, so the agent shows the message as it is, and `ValueError`, so
plain-Python callers (CLI, scheduler) can catch it the usual way. Every message names the
bad thing and what is allowed, and is raised before anything is changed.
"""

from __future__ import annotations

from tools.base import ToolError


class RegistryError(ToolError, ValueError):
    """A registry operation cannot be done: unknown name, invalid alias, version not ready..."""
