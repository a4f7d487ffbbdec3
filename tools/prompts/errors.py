"""Errors of the prompt registry. Each message names the bad thing and what is allowed, so
the CLI, the HTTP endpoint and the agent can show it as is."""

from __future__ import annotations


class PromptError(ValueError):
    """Bad input: an invalid name, label, template, variable or config."""


class PromptNotFound(PromptError):
    """An unknown prompt, version or label (HTTP 404)."""


class PromptConflict(PromptError):
    """The request clashes with the registry's state: identical content, a label that moved
    since the preview, a concurrent change, a protected version. Nothing was changed."""
