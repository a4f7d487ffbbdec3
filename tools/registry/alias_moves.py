"""Checks of an alias move: the rollback target (one step back in opsbot's history of the
alias) and the values a dry run pinned, which the move itself must still find."""

from __future__ import annotations

from tools.registry.errors import RegistryError
from tools.registry.history import AliasHistory
from tools.registry.views import AliasPlan


def rollback_target(
    history: AliasHistory, name: str, alias: str, current: int | None
) -> tuple[int, list[int]]:
    """The alias's previous holder and its history, when opsbot made the last move."""
    stack = history.stack(name, alias)
    if current is None:
        raise RegistryError(
            f"{alias} of {name!r} is not set, so there is nothing to roll back; "
            "give the version to point it at"
        )
    if not stack or stack[-1] != current:
        known = f"opsbot last set it to v{stack[-1]}" if stack else "opsbot has no history of it"
        raise RegistryError(
            f"cannot roll back {alias} of {name!r} automatically: it points to v{current} "
            f"but {known} (it was moved outside opsbot); give the version to point it at"
        )
    if len(stack) < 2:
        raise RegistryError(
            f"{alias} of {name!r} has no earlier holder to roll back to (it has only "
            f"ever pointed to v{current}); give the version to point it at"
        )
    return stack[-2], stack


def check_pinned(
    plan: AliasPlan, expected_current: int | None, expected_target: int | None
) -> None:
    """Refuse the move if the alias or the rollback target changed since the dry run."""
    if expected_current is not None and plan.current != expected_current:
        now = f"v{plan.current}" if plan.current is not None else "nothing"
        raise RegistryError(
            f"{plan.alias} of {plan.model} changed since this was previewed: it pointed to "
            f"v{expected_current} and now points to {now}; nothing was changed, ask again"
        )
    if expected_target is not None and plan.target != expected_target:
        raise RegistryError(
            f"the rollback target of {plan.alias} of {plan.model} changed since this was "
            f"previewed (v{expected_target}, now v{plan.target}); nothing was changed, ask again"
        )
