"""opsbot's capabilities: one sub-package each, plain Python plus thin agent tools."""
