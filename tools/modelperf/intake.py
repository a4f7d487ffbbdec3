"""Predictions and outcomes into the store: each row checked, the bad ones named, the rest kept.

Shared by `POST /models/{name}/predictions|outcomes` (bot/http/modelperf.py) and the CLI import
(`opsbot models import-predictions|import-outcomes`). The model must be in the registry
(NotFound otherwise, nothing stored); each row's version must be one of its versions. A row
that repeats a stored one (same id, same content) is a duplicate and changes nothing; the same
id with a different prediction, or a second different outcome, is rejected: stored rows are
never overwritten. An outcome whose id has no prediction is rejected (post predictions first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import Invalid, NotFound
from tools.modelperf.rows import (
    Outcome,
    Prediction,
    Rejected,
    RowProblem,
    parse_outcome,
    parse_prediction,
    row_id,
    version,
)
from tools.modelperf.store import PredictionStore

MAX_ROWS_PER_BATCH = 10_000


@dataclass
class IntakeReport:
    """What became of a batch: rows stored, repeats of stored rows, rejected rows."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": [r.to_dict() for r in self.rejected],
        }

    def text(self, what: str = "rows", where: str = "row") -> str:
        head = (
            f"{self.received} {what}: {self.stored} stored, {self.duplicates} already stored, "
            f"{len(self.rejected)} rejected"
        )
        lines = [
            f"  {where} {r.index}{f' (id {r.id})' if r.id else ''}: {r.reason}"
            for r in self.rejected[:50]
        ]
        more = len(self.rejected) - 50
        return "\n".join([head, *lines, *([f"  and {more} more"] if more > 0 else [])])


@dataclass(frozen=True)
class ModelVersions:
    """What the intake needs of the registry: a model's versions and its live version."""

    versions: Callable[[str], set[int]]  # NotFound for an unknown model
    live: Callable[[str], int | None]


def registry_versions(registry: Any) -> ModelVersions:
    """`ModelVersions` over the model registry (tools/registry/service.py:ModelRegistry)."""

    def versions(name: str) -> set[int]:
        if name not in set(registry.model_names()):
            raise NotFound(f"no model named {name!r} in the registry; register it first")
        return {v.version for v in registry.versions(name)}

    return ModelVersions(versions=versions, live=lambda name: registry.live_version(name)[1])


def _batch(rows: Sequence[Any]) -> None:
    if len(rows) > MAX_ROWS_PER_BATCH:
        raise Invalid(f"at most {MAX_ROWS_PER_BATCH} rows per batch, got {len(rows)}")


class Intake:
    def __init__(self, store: PredictionStore, models: ModelVersions) -> None:
        self.store = store
        self.models = models

    def predictions(
        self, name: str, raw_rows: Sequence[Any], batch_version: Any = None, first_index: int = 0
    ) -> IntakeReport:
        """Check and store `raw_rows` for model `name`; `first_index` numbers the first row
        (0 for a JSON batch, the first data line for a file)."""
        _batch(raw_rows)
        known = self.models.versions(name)
        try:
            default = version(batch_version)
        except RowProblem as exc:
            raise Invalid(str(exc)) from None
        if default is not None and default not in known:
            raise Invalid(self._unknown_version(name, default, known))
        if default is None:
            default = self.models.live(name)
        report = IntakeReport(received=len(raw_rows))
        parsed: list[tuple[int, Prediction, int]] = []
        for index, raw in enumerate(raw_rows, start=first_index):
            try:
                p = parse_prediction(raw)
                v = p.version if p.version is not None else default
                if v is None:
                    raise RowProblem(
                        f"no version given and {name} has no production or champion alias"
                    )
                if v not in known:
                    raise RowProblem(self._unknown_version(name, v, known))
                parsed.append((index, p, v))
            except RowProblem as exc:
                report.rejected.append(Rejected(index, str(exc), row_id(raw)))
        stored = self.store.find(name, (p.record_id for _, p, _ in parsed))
        fresh: dict[str, tuple[Prediction, int]] = {}
        for index, p, v in parsed:
            before = stored.get(p.record_id)
            earlier = fresh.get(p.record_id)
            if (before is not None and before.same_prediction(p, v)) or (
                earlier is not None and earlier == (p, v)
            ):
                report.duplicates += 1
            elif before is not None or earlier is not None:
                why = "stored" if before is not None else "earlier in this batch"
                report.rejected.append(
                    Rejected(
                        index,
                        f"id {p.record_id} is already {why} with another prediction",
                        p.record_id,
                    )
                )
            else:
                fresh[p.record_id] = (p, v)
        added = self.store.add_predictions(name, list(fresh.values()))
        report.stored = len(added)
        report.duplicates += len(fresh) - len(added)  # stored meanwhile by another request
        report.rejected.sort(key=lambda r: r.index)
        return report

    def outcomes(self, name: str, raw_rows: Sequence[Any], first_index: int = 0) -> IntakeReport:
        """Check and store outcomes for model `name`'s stored predictions."""
        _batch(raw_rows)
        self.models.versions(name)  # NotFound for an unknown model
        report = IntakeReport(received=len(raw_rows))
        parsed: list[tuple[int, Outcome]] = []
        for index, raw in enumerate(raw_rows, start=first_index):
            try:
                parsed.append((index, parse_outcome(raw)))
            except RowProblem as exc:
                report.rejected.append(Rejected(index, str(exc), row_id(raw)))
        stored = self.store.find(name, (o.record_id for _, o in parsed))
        fresh: dict[str, Outcome] = {}
        for index, o in parsed:
            before = stored.get(o.record_id)
            problem = None
            if before is None:
                problem = (
                    f"no prediction with id {o.record_id} for {name}: post the prediction first"
                )
            elif before.score is not None and o.actual not in (0.0, 1.0):
                problem = "the prediction is a classifier's: actual must be 0 or 1"
            elif before.actual == o.actual or fresh.get(o.record_id) == o:
                report.duplicates += 1
                continue
            elif before.actual is not None or o.record_id in fresh:
                had = before.actual if before.actual is not None else fresh[o.record_id].actual
                problem = f"id {o.record_id} already has the outcome {had:g}"
            if problem is not None:
                report.rejected.append(Rejected(index, problem, o.record_id))
            else:
                fresh[o.record_id] = o
        done = self.store.add_outcomes(name, list(fresh.values()))
        report.stored = len(done)
        for index, o in parsed:  # labelled meanwhile by another request
            if o.record_id in fresh and o.record_id not in done:
                report.rejected.append(
                    Rejected(index, f"id {o.record_id} got an outcome meanwhile", o.record_id)
                )
        report.rejected.sort(key=lambda r: r.index)
        return report

    @staticmethod
    def _unknown_version(name: str, v: int, known: set[int]) -> str:
        have = ", ".join(f"v{k}" for k in sorted(known)) or "none"
        return f"{name} has no version {v}; its versions: {have}"
