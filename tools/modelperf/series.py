"""The models' figures as metric series for the anomaly detector (bot/monitors/anomaly.py).

At each check, every model with stored predictions gives up to two points over the trailing
window (by prediction time):
- `model.prediction_mean{model="…"}`, the mean prediction of the window, which needs no
  outcome, so a shift in what the model says shows before any label arrives;
- `model.error{model="…"}`, the mean error of the predictions of the window whose outcomes
  have arrived: the share wrong for a classifier (predictions all 0/1 or carrying a score),
  the mean absolute error for a regressor. Outcomes arrive late, so only a window with at
  least `min_outcomes` of them gives a point (a gap, never a zero).

Plain Python means over the window's rows: the monitor reads them in its own process at every
check. The full report, with intervals and estimates, is `model_performance` and the
`ModelPerformanceDrop` monitor (bot/monitors/model_performance.py). Each series is about its
model, so an anomaly joins the model's other incidents (bot/incidents/correlation.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.modelperf.store import PredictionStore, Stored

MAX_NAME = 200  # the sample table's series column; a longer name is left out, never cut
_NAME = re.compile(r'^model\.[a-z_]+\{model="(?P<model>[^"]*)"\}$')


def series_name(figure: str, model: str) -> str:
    return f'model.{figure}{{model="{model.replace(chr(92), "").replace(chr(34), "")}"}}'


def model_of(series: str) -> str | None:
    """The model a model series is about; None for any other series."""
    match = _NAME.match(series)
    return match.group("model") if match else None


def mean_error(rows: list[Stored]) -> float:
    """The share wrong (a classifier's rows) or the mean absolute error (a regressor's) of
    rows that all have their outcome."""
    classifier = all(r.score is not None for r in rows) or all(
        r.prediction in (0.0, 1.0) for r in rows
    )
    if classifier:
        return sum(r.prediction != r.actual for r in rows) / len(rows)
    return sum(abs(r.prediction - (r.actual or 0.0)) for r in rows) / len(rows)


@dataclass(frozen=True)
class ModelSeries:
    store: PredictionStore
    window: timedelta = timedelta(minutes=60)
    min_outcomes: int = 30
    min_predictions: int = 10

    def read(self, now: datetime) -> dict[str, float]:
        """This check's value of every model series that has enough rows."""
        values: dict[str, float] = {}
        for model in self.store.models():
            rows = self.store.rows(model, since=now - self.window, until=now)
            if len(rows) >= self.min_predictions:
                values[series_name("prediction_mean", model)] = sum(
                    r.prediction for r in rows
                ) / len(rows)
            labelled = [r for r in rows if r.actual is not None]
            if len(labelled) >= self.min_outcomes:
                values[series_name("error", model)] = mean_error(labelled)
        return {k: v for k, v in values.items() if len(k) <= MAX_NAME}
