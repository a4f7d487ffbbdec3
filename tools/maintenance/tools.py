"""The agent tool `maintenance_windows`: the active and upcoming maintenance windows (or the
ended ones), what they match, who made them and why, and how many findings each kept
quiet. Read-only: windows are made and ended by people (`opsbot maintenance`, `/ops
maintenance`), never by the agent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from core.access import Caller
from tools.base import OpsTool, ToolResult
from tools.maintenance.store import MaintenanceStore


class MaintenanceWindowsArgs(BaseModel):
    state: Literal["current", "active", "upcoming", "ended", "all"] = Field(
        "current", description="current = active and upcoming (the default)"
    )


@dataclass(frozen=True)
class MaintenanceWindows:
    store: MaintenanceStore

    def run(self, args: MaintenanceWindowsArgs, caller: Caller) -> ToolResult:
        now = self.store.clock()
        windows = self.store.windows(args.state)
        counts = self.store.counts([w.id for w in windows])
        if not windows:
            return ToolResult(text=f"No {args.state} maintenance windows.", data={"windows": []})
        lines = [f"Maintenance windows ({args.state}):"]
        data = []
        for window in windows:
            findings, seen = counts.get(window.id, (0, 0))
            quiet = f"; held back {findings} finding(s), seen {seen}×" if findings else ""
            lines.append(f"• {window.summary(now)}{quiet}")
            data.append(window.to_dict(now) | {"suppressed": findings, "seen": seen})
        return ToolResult(text="\n".join(lines), data={"windows": data})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="maintenance_windows",
            description="Planned maintenance windows: active and upcoming ones by default "
            "(or ended), what alerts each matches, who created it and why, and how many "
            "findings it kept from paging. Read-only.",
            args=MaintenanceWindowsArgs,
            run=self.run,
        )


def build_maintenance_tools(store: MaintenanceStore) -> list[OpsTool]:
    return [MaintenanceWindows(store).tool()]
