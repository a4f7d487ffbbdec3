"""Corpus scoring as NAB's runner does it: one threshold per detector and profile, tuned on the
corpus (`nab/optimizer.py`), every file scored at it (`nab/scorer.py`), the summed raw score
normalised as `nab/runner.py:normalize` does:

    normalised = 100 · (raw − raw_null) / (raw_perfect − raw_null)

raw_null is the score of a detector that never fires (−fnWeight per scorable window: NAB takes
it from the `null` detector's results), raw_perfect is tpWeight per labelled window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.errors import Invalid
from tools.anomaly.nab.corpus import LabelledFile
from tools.anomaly.nab.sweep import (
    CostMatrix,
    FileSweep,
    ThresholdScore,
    best_threshold,
    score_at_threshold,
    sweep_file,
)


def normalise(raw: float, null: float, perfect: float) -> float:
    if perfect == null:
        raise Invalid("the files have no anomaly windows: a NAB score is undefined")
    return 100.0 * (raw - null) / (perfect - null)


def sweeps(
    files: Sequence[LabelledFile],
    scores: Mapping[str, npt.NDArray[np.float64]],
    cost: CostMatrix,
) -> list[FileSweep]:
    out = []
    for f in files:
        if f.name not in scores:
            raise Invalid(f"no anomaly scores for {f.name}")
        out.append(sweep_file(f.name, scores[f.name], f.windows, cost))
    return out


def null_raw(files: Sequence[LabelledFile], cost: CostMatrix) -> float:
    """The raw score of a detector that never fires."""
    empty = {f.name: np.zeros(len(f.timestamps)) for f in files}
    return -cost.fn_weight * sum(s.windows for s in sweeps(files, empty, cost))


def perfect_raw(files: Sequence[LabelledFile], cost: CostMatrix) -> float:
    return cost.tp_weight * sum(len(f.windows) for f in files)


@dataclass(frozen=True)
class ProfileScore:
    """One detector on a set of files under one profile."""

    profile: str
    threshold: float
    per_file: dict[str, ThresholdScore]
    raw: float
    null: float
    perfect: float

    @property
    def normalised(self) -> float:
        return normalise(self.raw, self.null, self.perfect)


def tune_threshold(
    files: Sequence[LabelledFile],
    scores: Mapping[str, npt.NDArray[np.float64]],
    cost: CostMatrix,
) -> float:
    """The one threshold NAB's optimiser picks for these files."""
    return best_threshold(sweeps(files, scores, cost))[0]


def score_files(
    files: Sequence[LabelledFile],
    scores: Mapping[str, npt.NDArray[np.float64]],
    cost: CostMatrix,
    threshold: float,
) -> ProfileScore:
    per_file = {s.name: score_at_threshold(s, threshold) for s in sweeps(files, scores, cost)}
    return ProfileScore(
        profile=cost.name,
        threshold=threshold,
        per_file=per_file,
        raw=sum(r.score for r in per_file.values()),
        null=null_raw(files, cost),
        perfect=perfect_raw(files, cost),
    )
