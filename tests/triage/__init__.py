"""Triage evidence for external alert families: the family table, the plan, the summary."""
