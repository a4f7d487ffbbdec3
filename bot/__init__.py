"""The running opsbot application: settings, CLI, Slack app, console, HTTP, scheduler, storage."""

__version__ = "0.1.0"
