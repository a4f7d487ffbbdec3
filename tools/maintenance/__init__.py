"""Maintenance windows: matchers, windows, suppressed findings (tools/maintenance)."""
