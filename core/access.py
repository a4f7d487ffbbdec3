"""Who is calling a tool and what a tool may do: the types the gate decides on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Access(StrEnum):
    READ = "read"  # no side effect; any user
    WRITE = "write"  # changes opsbot's own state (never production); audited
    GATED = "gated"  # changes production; needs an authorised human approval first


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RISK_ORDER = {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}


@dataclass(frozen=True)
class Caller:
    """Who is asking, and where. Passed by the runtime, never chosen by the model."""

    user: str
    via: str = "console"  # console | slack | scheduler | http | cli
    channel: str | None = None
    thread: str | None = None

    @property
    def label(self) -> str:
        return f"{self.via}:{self.user}"
