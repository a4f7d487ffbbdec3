"""Errors of the prompt registry. Each message names the bad thing and what is allowed, so
the CLI, the HTTP endpoint and the agent can show it as is.

`PromptError` subclasses `ToolError`, so the agent's tool layer shows the message as it is
(like the model registry's `RegistryError`), and `ValueError`, so plain-Python callers (CLI,
HTTP endpoint) can catch it the usual way.
"""

from __future__ import annotations

from core.errors import Conflict, NotFound
from tools.base import ToolError


class PromptError(ToolError, ValueError):
    """Bad input: an invalid name, label, template, variable or config."""


class PromptNotFound(PromptError, NotFound):
    """An unknown prompt, version or label (HTTP 404)."""


class PromptConflict(PromptError, Conflict):
    """The request clashes with the registry's state: identical content, a label that moved
    since the preview, a concurrent change, a protected version. Nothing was changed."""
