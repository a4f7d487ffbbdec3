"""model_drift: is the model's input drifting, which drifted features are real shifts, and
what to do. A calendar feature (month, season, year...) that drifts because the reference
window never saw the current period's values (a reference of one month against a current of
the next) is an artefact of the reference window, not a shift in the world; and a rollback
never fixes input drift: the older version is fed the same inputs."""

from __future__ import annotations

import re
from typing import Any

from graphs.offline.verdicts.base import BAD, OK, WARN, Outcome, Verdict, as_dict
from graphs.offline.verdicts.runbooks import runbook_ref

# Columns that name a calendar period longer than a day: a short reference window holds few
# of their values, so a current window that follows it "drifts" on them by construction.
CALENDAR = re.compile(
    r"(?i)^(mnth|month|months|month_of_year|season|yr|year|quarter|qtr|week|week_of_year|"
    r"weekofyear|isoweek|day_of_year|dayofyear|doy)$"
)
# the share of current rows with values the reference never holds, above which a calendar
# column's drift is the window's doing
NEW_VALUES_SHARE = 0.5
NO_ROLLBACK = "a rollback will not fix input drift: the older version sees the same inputs."
SHOWN = 6


def calendar_artefact(feature: dict[str, Any]) -> str | None:
    """Why a drifted calendar feature is an artefact of the reference window, or None
    when it is a real shift (or not a calendar feature)."""
    name = str(feature.get("name", ""))
    if not feature.get("drifted") or not CALENDAR.match(name):
        return None
    distinct = feature.get("reference_distinct")
    new_share = float(feature.get("new_share") or 0.0)
    if distinct == 1:
        value = feature.get("reference_value")
        where = f" ({name} = {value} in every reference row)" if value is not None else ""
        return (
            f"{name} drifted because the reference window holds a single {_period(name)}"
            f"{where}: an artefact of the reference window, not a real shift."
        )
    if new_share >= NEW_VALUES_SHARE:
        return (
            f"{name} drifted because {new_share:.0%} of current rows fall in a {_period(name)} "
            "the reference window never saw: an artefact of the reference window, not a real "
            "shift."
        )
    return None


def _period(name: str) -> str:
    lowered = name.lower()
    for word, period in (("mnth", "month"), ("month", "month"), ("season", "season")):
        if word in lowered:
            return period
    if lowered.startswith(("yr", "year")):
        return "year"
    if lowered.startswith(("quarter", "qtr")):
        return "quarter"
    if "week" in lowered:
        return "week"
    return "calendar period"


def _bullet(text: str, name: str) -> str | None:
    """The tool's own explanation of one feature ("temp: mean rose from 0.197 to 0.276 …")."""
    prefix = f"• {name}:"
    for line in text.splitlines():
        if line.strip().startswith(prefix):
            return line.strip()[2:]
    return None


_ASKS_MOST = re.compile(r"(?i)\b(?:most|worst|biggest|largest|strongest|top)\b")


def most_drifted(data: dict[str, Any], name: str) -> str | None:
    """ "What drifted most?": the report's features are ranked most drifted first."""
    features = [f for f in data.get("features", []) if isinstance(f, dict) and f.get("name")]
    if not features:
        return None
    top = features[0]
    test = f"{top['test']} test p-value {top['statistic']:.3g}" if _stat(top) else ""
    why = f" ({test})" if test else ""
    if not top.get("drifted"):
        return f"Nothing drifted in {name}; the closest is {top['name']}{why}."
    then = [f["name"] for f in features[1:4] if f.get("drifted")]
    tail = f", then {', '.join(then)}" if then else ""
    note = " — an artefact of the reference window" if calendar_artefact(top) else ""
    return f"Most drifted in {name}: {top['name']}{why}{note}{tail}."


def _stat(feature: dict[str, Any]) -> bool:
    return isinstance(feature.get("statistic"), int | float) and bool(feature.get("test"))


def drift(outcome: Outcome, question: str) -> Verdict:
    verdict = _drift(outcome)
    if _ASKS_MOST.search(question or ""):
        data = as_dict(outcome.data)
        most = most_drifted(data, str(outcome.args.get("name") or data.get("model", "the model")))
        if most is not None:
            verdict.headline = f"{most} {verdict.headline}"
    return verdict


def _drift(outcome: Outcome) -> Verdict:
    data = as_dict(outcome.data)
    name = outcome.args.get("name") or data.get("model", "the model")
    version = f" v{data['version']}" if data.get("version") is not None else ""
    features = [f for f in data.get("features", []) if isinstance(f, dict)]
    drifted = [f for f in features if f.get("drifted")]
    artefacts = {f["name"]: why for f in drifted if (why := calendar_artefact(f))}
    real = [f["name"] for f in drifted if f["name"] not in artefacts]
    total = int(data.get("n_features") or len(features))
    threshold = float(data.get("drift_share_threshold") or 0.5)
    tested = total - len(artefacts)
    real_dataset = bool(real) and tested > 0 and len(real) / tested >= threshold
    evidence = list(artefacts.values())
    evidence += [line for f in real[:3] if (line := _bullet(outcome.text, f))]
    listed = ", ".join(f["name"] for f in drifted[:SHOWN])
    if data.get("dataset_drift") and (real_dataset or not artefacts):
        head = f"Yes, {name} is drifting: {len(drifted)} of {total} features drifted ({listed})"
        if artefacts:
            head += (
                f"; without {', '.join(artefacts)} (an artefact of the reference window), "
                f"{len(real)} of {tested} are real shifts"
            )
        step = (
            f"retrain {name} on recent data or re-baseline its reference window; "
            f"{NO_ROLLBACK} See the {runbook_ref('drift')}."
        )
        return Verdict(BAD, head + ".", evidence, step)
    if data.get("dataset_drift"):  # only because of calendar artefacts
        head = (
            f"{name}{version} is flagged as drifting ({len(drifted)} of {total} features), but "
            f"{', '.join(artefacts)} only reflect the reference window: {len(real)} of "
            f"{tested} other features drifted, below the {threshold:.0%} rule."
        )
        step = (
            f"widen the reference window to cover the periods {name} serves (or leave "
            f"{', '.join(artefacts)} out of the check); {NO_ROLLBACK}"
        )
        return Verdict(WARN, head, evidence, step)
    if real:
        head = f"{name} is not drifting overall, but {', '.join(real[:SHOWN])} drifted."
        note = (
            f" ({', '.join(artefacts)}: an artefact of the reference window)" if artefacts else ""
        )
        step = f"watch {', '.join(real[:3])} on the next check{note}; {NO_ROLLBACK}"
        return Verdict(WARN, head, evidence, step)
    if artefacts:
        head = (
            f"No real drift for {name}: only {', '.join(artefacts)} drifted, an artefact of "
            "the reference window."
        )
        return Verdict(OK, head, evidence)
    return Verdict(OK, f"No drift for {name}: none of its {total} features drifted.")
