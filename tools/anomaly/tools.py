"""The agent tool `series_anomalies`: where each watched series' detector stands (learning,
normal, or anomalous since when and against which expected range)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from core.access import Caller
from core.clock import iso
from tools.anomaly.states import DetectorStates, SeriesState
from tools.base import OpsTool, ToolResult


class NoArgs(BaseModel):
    pass


def _line(state: SeriesState) -> tuple[str, dict[str, object]]:
    detector = state.detector
    needed = detector.config.learning_points
    data: dict[str, object] = {
        "series": state.series,
        "seen": detector.seen,
        "learning": detector.learning,
        "learning_points": needed,
        "anomalous_since": iso(state.anomalous_since) if state.anomalous_since else None,
        "expected": list(state.band) if state.band else None,
        "last_sample": iso(state.last_at) if state.last_at else None,
    }
    if detector.seen == 0 and state.last_at is None:
        text = (
            f"{state.series}: no samples yet (the host series are cpu, memory, swap, "
            "disk:<mount>, inodes:<mount>; a query's series appear once it returns data)"
        )
    elif detector.learning:
        text = f"{state.series}: learning ({detector.seen} of {needed} samples); no alert yet"
    elif state.anomalous_since is not None:
        band = f", expected {state.band[0]:.1f}–{state.band[1]:.1f}" if state.band else ""
        text = f"{state.series}: ANOMALOUS since {iso(state.anomalous_since)}{band}"
    else:
        text = f"{state.series}: normal ({detector.seen} samples learned)"
    return text, data


@dataclass(frozen=True)
class SeriesAnomalies:
    states: DetectorStates
    watched: tuple[str, ...]

    def run(self, args: NoArgs, caller: Caller) -> ToolResult:
        stored = {s.series: s for s in self.states.all()}
        lines, rows = [], []
        for name in self.watched:
            state = stored.get(name) or self.states.load(name)
            text, data = _line(state)
            lines.append(f"- {text}")
            rows.append(data)
        head = "Anomaly detection on the host series (ANOMALY_SERIES):"
        return ToolResult(text="\n".join([head, *lines]), data={"series": rows})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="series_anomalies",
            description="Which watched host series (cpu, memory, swap, disk…) are anomalous "
            "now against what their detector learned, since when, and which are still learning.",
            args=NoArgs,
            run=self.run,
        )


def build_anomaly_tools(states: DetectorStates, watched: tuple[str, ...]) -> list[OpsTool]:
    return [SeriesAnomalies(states, watched).tool()] if watched else []
