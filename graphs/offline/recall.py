"""The items of a conversation's last result: what the previous turn's tools returned, kept
small and typed (incident ids and titles, model versions and their aliases, per-feature drift
results, the runbook sections cited), so a follow-up can point into it: "open the one about
memory", "make that the production one", "what drifted most?", "what does the runbook say?".

Plain functions over the tools' structured results (the ToolMessage artifacts' `data`, which
the thread's checkpoint keeps); nothing here runs a tool or changes anything."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from graphs.offline.verdicts.base import Outcome, as_dict, as_list

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class IncidentItem:
    id: int
    title: str
    alertname: str = ""
    status: str = ""

    @property
    def words(self) -> set[str]:
        """The words of its title and alert name ("MemoryPressureHigh": memory, pressure, high)."""
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", self.alertname)
        text = f"{self.title} {spaced}".lower()
        return set(re.findall(r"[a-z0-9]+", text)) | set(
            re.findall(r"[a-z0-9][\w.-]*[a-z0-9]", text)
        )

    def line(self) -> str:
        state = f" ({self.status})" if self.status else ""
        return f"#{self.id} {self.title}{state}"


@dataclass(frozen=True)
class VersionItem:
    model: str
    version: int
    aliases: tuple[str, ...] = ()

    def line(self) -> str:
        held = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return f"v{self.version}{held}"


@dataclass(frozen=True)
class FeatureItem:
    """One feature of a drift report, in the report's order (drifted first, most drifted on
    top)."""

    model: str
    version: int | None
    name: str
    drifted: bool
    test: str = ""
    statistic: float | None = None


@dataclass(frozen=True)
class RunbookItem:
    title: str
    section: str
    source: str

    def cite(self) -> str:
        section = f" › {self.section}" if self.section else ""
        return f"*{self.title}*{section} ({self.source})"


@dataclass(frozen=True)
class LastResult:
    """The previous turn with tool results: its question, its calls and their items."""

    question: str = ""
    calls: tuple[Call, ...] = ()
    incidents: tuple[IncidentItem, ...] = ()
    versions: tuple[VersionItem, ...] = ()
    features: tuple[FeatureItem, ...] = ()
    runbooks: tuple[RunbookItem, ...] = ()
    # the kinds of items (incidents, versions, features) kept from a turn before the last
    # one with tool results, and the question the versions answered
    carried: frozenset[str] = frozenset()
    versions_question: str = ""

    @property
    def empty(self) -> bool:
        return not (self.incidents or self.versions or self.features or self.runbooks)


_CARRIED = ("incidents", "versions", "features")


def merged(results: list[LastResult]) -> LastResult:
    """The newest result (first), with the incidents, versions and drift features it lacks
    taken from the earlier ones: "open incidents?", "runbook for disk?", "open the memory
    one" still finds the incident. Runbook hits and the question stay the newest turn's."""
    if not results:
        return LastResult()
    newest = results[0]
    fill: dict[str, Any] = {}
    carried = set()
    for kind in _CARRIED:
        if getattr(newest, kind):
            continue
        source = next((r for r in results[1:] if getattr(r, kind)), None)
        if source is not None:
            fill[kind] = getattr(source, kind)
            carried.add(kind)
            if kind == "versions":
                fill["versions_question"] = source.versions_question
    return replace(newest, **fill, carried=frozenset(carried)) if fill else newest


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _incident(item: Any) -> IncidentItem | None:
    row = as_dict(item)
    number = _int(row.get("id"))
    if number is None:
        return None
    return IncidentItem(
        number,
        str(row.get("title") or ""),
        str(row.get("alertname") or as_dict(row.get("labels")).get("alertname") or ""),
        str(row.get("status") or ""),
    )


def incidents_of(outcome: Outcome) -> list[IncidentItem]:
    """list_incidents returns a list of rows; show_incident one card."""
    rows = as_list(outcome.data) if outcome.name == "list_incidents" else [outcome.data]
    return [item for row in rows if (item := _incident(row)) is not None]


def versions_of(outcome: Outcome) -> list[VersionItem]:
    """model_status: every version with the aliases it holds; model_drift: the version
    whose report it is."""
    data = as_dict(outcome.data)
    if outcome.name == "model_drift":
        model, version = data.get("model"), _int(data.get("version"))
        return [VersionItem(str(model), version)] if model and version is not None else []
    model = as_dict(data.get("model")).get("name")
    if not model:
        return []
    found = []
    for row in as_list(data.get("versions")):
        version = _int(as_dict(row).get("version"))
        if version is not None:
            aliases = tuple(str(a) for a in as_list(as_dict(row).get("aliases")))
            found.append(VersionItem(str(model), version, aliases))
    return found


def features_of(outcome: Outcome) -> list[FeatureItem]:
    data = as_dict(outcome.data)
    model, version = str(data.get("model") or outcome.args.get("name") or ""), data.get("version")
    found = []
    for row in as_list(data.get("features")):
        feature = as_dict(row)
        if not feature.get("name"):
            continue
        statistic = feature.get("statistic")
        found.append(
            FeatureItem(
                model,
                _int(version),
                str(feature["name"]),
                bool(feature.get("drifted")),
                str(feature.get("test") or ""),
                float(statistic) if isinstance(statistic, int | float) else None,
            )
        )
    return found


def runbooks_of(outcome: Outcome) -> list[RunbookItem]:
    data = as_dict(outcome.data)
    hits = as_list(data.get("hits")) if outcome.name == "search_runbooks" else []
    if outcome.name == "show_incident" and data.get("runbook"):
        hits = [data["runbook"]]
    return [
        RunbookItem(str(h["title"]), str(h.get("section") or ""), str(h.get("source") or ""))
        for h in map(as_dict, hits)
        if h.get("title")
    ]


_EXTRACTORS: dict[str, tuple[Callable[[Outcome], list[Any]], ...]] = {
    "list_incidents": (incidents_of,),
    "show_incident": (incidents_of, runbooks_of),
    "model_status": (versions_of,),
    "model_drift": (versions_of, features_of),
    "search_runbooks": (runbooks_of,),
}


def _unique(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def recall(question: str, outcomes: list[Outcome]) -> LastResult:
    """The items of one turn's successful tool results, in call order."""
    found: dict[type, list[Any]] = {}
    for outcome in outcomes:
        if not outcome.ok:
            continue
        for extract in _EXTRACTORS.get(outcome.name, ()):
            for item in extract(outcome):
                found.setdefault(type(item), []).append(item)
    return LastResult(
        question=question,
        calls=tuple((o.name, dict(o.args)) for o in outcomes),
        incidents=_unique(found.get(IncidentItem, [])),
        versions=_unique(found.get(VersionItem, [])),
        features=_unique(found.get(FeatureItem, [])),
        runbooks=_unique(found.get(RunbookItem, [])),
        versions_question=question,
    )
