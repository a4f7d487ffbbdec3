"""A streaming anomaly detector for one metric series: constant cost per point, state that
serialises to JSON (`to_state` / `from_state`), a learning period during which it never alerts.

The method is *novelty against the range seen so far*, over a few views of the series:

* the value itself, and its mean over the last `long_mean` points (a level that creeps out),
* the seasonal difference: the mean of the last `short_mean` points minus that same mean one
  season ago. The season is chosen once, at the end of the learning period: one day or one
  week of points (from the median sampling step), whichever autocorrelates best over the
  learning values; when neither reaches `min_season_corr` the daily lag is used anyway (a
  day-ago difference still removes slow drifts).

For each view the detector keeps the lowest and highest value seen; a point's novelty in a
view is how far it lies outside that range, in units of the range (0 inside it). The anomaly
score is the largest novelty, squashed to [0, 1) by m / (m + 4) with m = 10 · novelty. A
series that was constant and moves scores novelty 1 (moving off a constant is news).
After a score, scores no higher than it are muted for `refractory` points: one alert per event.

Why written here and not taken from a library: river's HalfSpaceTrees, pyod's streaming
models and the like score points in feature space and leave seasonality, learning periods and
alert muting to the caller; the one thing this needs is a few running minima and maxima (see
docs/anomaly.md for the figures).

Inputs: NaN / ±inf values are skipped (`gap`; state untouched). With `counter=True` the series
is a monotonic counter and its increase per point is scored; a drop (a counter reset) counts
the new value as the increase, as Prometheus' `rate()` does. A timestamp earlier than the
previous one (clock skew) is scored in arrival order and not used to estimate the step.
Cost per point: a handful of float operations plus ring-buffer writes; the one-off season
choice at the end of learning is linear in the learning period.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import Invalid

DAY = 86_400.0
WEEK = 7 * DAY
STATE_VERSION = 1
SCALE = 10.0  # novelty multiplier before squashing
SQUASH = 4.0


@dataclass(frozen=True)
class DetectorConfig:
    """One configuration for every series (the NAB figures use the defaults, with the
    learning period set to NAB's probationary period of each file)."""

    learning_points: int = 600  # no alert before this many values
    short_mean: int = 5  # points averaged before the seasonal difference
    long_mean: int = 20  # points averaged for the level view
    refractory: int = 400  # points during which lower scores are muted
    min_season_corr: float = 0.5  # autocorrelation for preferring one season over the other
    max_season_points: int = 2016  # longest season kept (a week of 5-minute points)
    counter: bool = False

    def __post_init__(self) -> None:
        if self.learning_points < 10:
            raise Invalid(f"learning_points must be at least 10, not {self.learning_points}")
        if self.short_mean < 1 or self.long_mean < 1:
            raise Invalid("short_mean and long_mean must be at least 1 point")
        if self.refractory < 0 or self.max_season_points < 2:
            raise Invalid("refractory must be >= 0 and max_season_points >= 2")


@dataclass(frozen=True)
class PointScore:
    """The detector's verdict on one point."""

    score: float  # 0..1 after muting, compared with the tuned threshold
    novelty: float  # the largest novelty (range units) before squashing and muting
    learning: bool  # still in the learning period: never an alert
    gap: bool  # the value was missing / not finite and was skipped
    expected_low: float  # the range of values seen so far (NaN before any)
    expected_high: float


@dataclass
class _Range:
    """Lowest and highest value of one view so far."""

    lo: float = math.nan
    hi: float = math.nan

    def novelty(self, x: float) -> float:
        if math.isnan(self.lo):
            return 0.0
        width = self.hi - self.lo
        tolerance = 1e-9 * max(abs(self.lo), abs(self.hi))  # running sums drift in the last bits
        if width <= tolerance:
            return 0.0 if abs(x - self.lo) <= tolerance else 1.0
        return max(x - self.hi, self.lo - x, 0.0) / width

    def add(self, x: float) -> None:
        if math.isnan(self.lo):
            self.lo = self.hi = x
        else:
            self.lo, self.hi = min(self.lo, x), max(self.hi, x)


@dataclass
class _Mean:
    """Mean of the last `size` values: a ring buffer and a running sum."""

    size: int
    values: list[float] = field(default_factory=list)
    head: int = 0
    total: float = 0.0

    def push(self, x: float) -> float | None:
        if len(self.values) < self.size:
            self.values.append(x)
        else:
            self.total -= self.values[self.head]
            self.values[self.head] = x
            self.head = (self.head + 1) % self.size
        self.total += x
        return self.total / self.size if len(self.values) == self.size else None


@dataclass
class _State:
    count: int = 0  # finite values seen
    last_time: float | None = None
    prev_raw: float | None = None  # last raw counter value
    learned: list[float] = field(default_factory=list)  # values, during learning only
    steps: list[float] = field(default_factory=list)  # sampling steps, during learning only
    period: int = 0  # points per season, 0 = none
    short: _Mean = field(default_factory=lambda: _Mean(5))
    long: _Mean = field(default_factory=lambda: _Mean(20))
    history: _Mean = field(default_factory=lambda: _Mean(1))  # short means, one season back
    value_range: _Range = field(default_factory=_Range)
    level_range: _Range = field(default_factory=_Range)
    season_range: _Range = field(default_factory=_Range)
    peak: float = 0.0
    since_peak: int = 1 << 30


class StreamingDetector:
    """Scores one series point by point; see the module docstring for the method."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self._s = _State(short=_Mean(self.config.short_mean), long=_Mean(self.config.long_mean))

    # -- persistence ---------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot: `from_state` resumes exactly where this left off."""
        return {"version": STATE_VERSION, "config": asdict(self.config), "state": asdict(self._s)}

    @classmethod
    def from_state(cls, snapshot: dict[str, Any]) -> StreamingDetector:
        if not isinstance(snapshot, dict) or snapshot.get("version") != STATE_VERSION:
            raise Invalid(f"detector state is not version {STATE_VERSION}")
        try:
            detector = cls(DetectorConfig(**snapshot["config"]))
            raw = dict(snapshot["state"])
            for name in ("short", "long", "history"):
                raw[name] = _Mean(**raw[name])
            for name in ("value_range", "level_range", "season_range"):
                raw[name] = _Range(**raw[name])
            detector._s = _State(**raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"detector state is malformed: {exc}") from exc
        return detector

    @property
    def learning(self) -> bool:
        return self._s.count < self.config.learning_points

    @property
    def seen(self) -> int:
        """Finite values fed so far."""
        return self._s.count

    @property
    def period(self) -> int:
        """Points per season used by the seasonal view (0: none)."""
        return self._s.period

    # -- scoring -------------------------------------------------------------------------

    def update(self, timestamp: float, value: float) -> PointScore:
        """Score the value observed at `timestamp` (seconds), then learn from it."""
        cfg, s = self.config, self._s
        if not math.isfinite(value) or not math.isfinite(timestamp):
            return PointScore(0.0, 0.0, self.learning, True, s.value_range.lo, s.value_range.hi)
        if cfg.counter:
            previous, s.prev_raw = s.prev_raw, value
            if previous is None:  # the first reading only sets the base
                return PointScore(0.0, 0.0, True, False, math.nan, math.nan)
            value = value - previous if value >= previous else value
        learning = s.count < cfg.learning_points
        if learning and s.last_time is not None and timestamp > s.last_time:
            s.steps.append(timestamp - s.last_time)
        s.last_time = timestamp if s.last_time is None else max(s.last_time, timestamp)

        novelty = self._observe(value)
        low, high = s.value_range.lo, s.value_range.hi
        s.value_range.add(value)
        s.count += 1
        if learning:
            s.learned.append(value)
            if s.count == cfg.learning_points:
                self._end_learning()
            return PointScore(0.0, novelty, True, False, low, high)
        m = SCALE * novelty
        return PointScore(self._mute(m / (m + SQUASH)), novelty, False, False, low, high)

    def _observe(self, x: float) -> float:
        """Novelty of x in every view, and the views' ranges updated (not the value range)."""
        s = self._s
        novelty = s.value_range.novelty(x)
        level = s.long.push(x)
        if level is not None:
            novelty = max(novelty, s.level_range.novelty(level))
            s.level_range.add(level)
        short = s.short.push(x)
        if short is not None and s.period:
            novelty = max(novelty, self._seasonal(short))
        return novelty

    def _seasonal(self, short: float) -> float:
        s = self._s
        history = s.history
        ago = history.values[history.head] if len(history.values) == history.size else None
        history.push(short)
        if ago is None:
            return 0.0
        diff = short - ago
        novelty = s.season_range.novelty(diff)
        s.season_range.add(diff)
        return novelty

    def _mute(self, score: float) -> float:
        s = self._s
        s.since_peak += 1
        if s.since_peak > self.config.refractory or score > s.peak:
            s.peak, s.since_peak = score, 0
            return score
        return 0.0

    # -- seasonality ---------------------------------------------------------------------

    def _end_learning(self) -> None:
        """Choose the season, then replay the learning values through the seasonal view so
        its range is learnt too (once; linear in the learning period)."""
        s, cfg = self._s, self.config
        s.period = choose_period(s.learned, s.steps, cfg.min_season_corr, cfg.max_season_points)
        if s.period:
            s.history = _Mean(s.period)
            replay = _Mean(cfg.short_mean)
            for x in s.learned:
                short = replay.push(x)
                if short is not None:
                    self._seasonal(short)
        s.learned, s.steps = [], []


def choose_period(values: list[float], steps: list[float], min_corr: float, max_points: int) -> int:
    """Points per season: the day or week lag that autocorrelates best over `values` when it
    reaches `min_corr`, else the daily lag; 0 when the step is unknown or a day is too long."""
    if not steps:
        return 0
    step = sorted(steps)[len(steps) // 2]
    day = round(DAY / step)
    if day < 2 or day > max_points:
        return 0
    best, best_corr = day, min_corr
    for lag in (day, round(WEEK / step)):
        if lag <= max_points and 2 * lag <= len(values):
            corr = _autocorrelation(values, lag)
            if corr >= best_corr:
                best, best_corr = lag, corr
    return best


def _autocorrelation(values: list[float], lag: int) -> float:
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values)
    if var <= 0:
        return 0.0
    cov = sum((values[i] - mean) * (values[i + lag] - mean) for i in range(n - lag))
    return cov / var * n / (n - lag)
