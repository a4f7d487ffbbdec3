"""Time helpers: they live in `core.clock` now."""

from __future__ import annotations

from core.clock import as_utc, iso, utcnow  # noqa: F401  re-exported until the imports move
