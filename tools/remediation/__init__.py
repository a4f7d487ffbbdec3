"""The remediation catalogue: the only changes opsbot can make to a host.

Each action is typed (a pydantic model for its parameters), validated against an operator's
allowlist (`REMEDIATION_CONFIG`), has a risk level, a dry run that says exactly what would
change, an `execute` that re-validates everything at run time, and a `verify`. There is no
free-form shell: commands are argv lists written by the operator, never by the model, and each
runs under a supervisor process that enforces its timeout (`runner.py`, `supervisor.py`).

The package imports nothing itself, so the supervisor starts fast: import from its modules
(`catalogue`, `config`).
"""
