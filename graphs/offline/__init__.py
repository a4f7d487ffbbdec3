"""The offline planner: opsbot's built-in brain when no language model is configured."""
