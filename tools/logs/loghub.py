"""The Loghub 2k samples: their per-system line layout, loading, and logparser's metrics.

A Loghub-layout folder holds `<System>/<System>_2k.log` (raw lines) and
`<System>/<System>_2k.log_structured.csv` (per line its `EventId`, the ground truth). A parser
sees only a line's *content*, the part after the header (date, level, component ...); the
header layout of each system is logparser's (`logparser/Drain/benchmark.py`,
`benchmark_settings[...]["log_format"]`), turned into a regular expression the way logparser's
`generate_logformat_regex` does. `LOGPARSER_SETTINGS` also keeps logparser's per-system Drain
parameters (its regex list, `st`, `depth`) for reproducing the published figures.

Data: https://github.com/logpai/loghub (Zhu et al., "Loghub: A Large Collection of System Log
Datasets for AI-driven Log Analytics", ISSRE 2023).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from math import comb
from pathlib import Path

from core.errors import Invalid

__all__ = [
    "DRAIN_PUBLISHED",
    "LOGPARSER_SETTINGS",
    "Accuracy",
    "LogparserSetting",
    "System",
    "format_regex",
    "get_accuracy",
    "load_folder",
    "load_system",
]


@dataclass(frozen=True)
class LogparserSetting:
    """One system's entry of logparser's Drain benchmark."""

    log_format: str
    regex: tuple[str, ...]
    st: float
    depth: int


LOGPARSER_SETTINGS: dict[str, LogparserSetting] = {
    "HDFS": LogparserSetting(
        "<Date> <Time> <Pid> <Level> <Component>: <Content>",
        (r"blk_-?\d+", r"(\d+\.){3}\d+(:\d+)?"),
        0.5,
        4,
    ),
    "Hadoop": LogparserSetting(
        r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
        (r"(\d+\.){3}\d+",),
        0.5,
        4,
    ),
    "Zookeeper": LogparserSetting(
        r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
        (r"(/|)(\d+\.){3}\d+(:\d+)?",),
        0.5,
        4,
    ),
    "BGL": LogparserSetting(
        "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
        (r"core\.\d+",),
        0.5,
        4,
    ),
    "HPC": LogparserSetting(
        "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>", (r"=\d+",), 0.5, 4
    ),
    "Windows": LogparserSetting(
        "<Date> <Time>, <Level>                  <Component>    <Content>",
        (r"0x.*?\s",),
        0.7,
        5,
    ),
    "Linux": LogparserSetting(
        r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        (r"(\d+\.){3}\d+", r"\d{2}:\d{2}:\d{2}"),
        0.39,
        6,
    ),
    "Android": LogparserSetting(
        "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
        (
            r"(/[\w-]+)+",
            r"([\w-]+\.){2,}[\w-]+",
            r"\b(\-?\+?\d+)\b|\b0[Xx][a-fA-F\d]+\b|\b[a-fA-F\d]{4,}\b",
        ),
        0.2,
        6,
    ),
    "Apache": LogparserSetting(r"\[<Time>\] \[<Level>\] <Content>", (r"(\d+\.){3}\d+",), 0.5, 4),
    "Proxifier": LogparserSetting(
        r"\[<Time>\] <Program> - <Content>",
        (r"<\d+\ssec", r"([\w-]+\.)+[\w-]+(:\d+)?", r"\d{2}:\d{2}(:\d{2})*", r"[KGTM]B"),
        0.6,
        3,
    ),
    "OpenStack": LogparserSetting(
        r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
        (r"((\d+\.){3}\d+,?)+", r"/.+?\s", r"\d+"),
        0.5,
        5,
    ),
    "Mac": LogparserSetting(
        r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
        (r"([\w-]+\.){2,}[\w-]+",),
        0.7,
        6,
    ),
}

# Drain's grouping accuracy on these samples, logpai/logparser `logparser/Drain/README.md`
DRAIN_PUBLISHED: dict[str, float] = {
    "HDFS": 0.9975,
    "Hadoop": 0.9475,
    "Zookeeper": 0.9665,
    "BGL": 0.9625,
    "HPC": 0.887,
    "Windows": 0.997,
    "Linux": 0.69,
    "Android": 0.911,
    "Apache": 1.0,
    "Proxifier": 0.5265,
    "OpenStack": 0.7325,
    "Mac": 0.7865,
}


def format_regex(log_format: str) -> re.Pattern[str]:
    """logparser's `generate_logformat_regex`: each `<Name>` becomes a lazy named group, runs
    of spaces between them match any whitespace, the rest is taken as regular expression."""
    parts = re.split(r"(<[^<>]+>)", log_format)
    pattern = ""
    for k, part in enumerate(parts):
        if k % 2 == 0:
            pattern += re.sub(" +", r"\\s+", part)
        else:
            pattern += f"(?P<{part.strip('<').strip('>')}>.*?)"
    return re.compile("^" + pattern + "$")


@dataclass(frozen=True)
class System:
    """One system's sample: each line's content and its ground-truth EventId ("" if none)."""

    name: str
    contents: list[str]
    event_ids: list[str]
    unmatched: int  # lines the format did not match (their whole text is taken as content)


def load_system(folder: Path, name: str, log_format: str | None = None) -> System:
    """Read `<folder>/<name>/<name>_2k.log` and its structured ground truth."""
    layout = format_regex(log_format or LOGPARSER_SETTINGS[name].log_format)
    base = folder / name / f"{name}_2k.log"
    contents: list[str] = []
    unmatched = 0
    with base.open(encoding="utf-8", errors="replace") as lines:
        for raw in lines:
            line = raw.strip()
            found = layout.search(line)
            if found is None:
                unmatched += 1
                contents.append(line)
            else:
                contents.append(found.group("Content"))
    with Path(f"{base}_structured.csv").open(encoding="utf-8", newline="") as f:
        event_ids = [row["EventId"] or "" for row in csv.DictReader(f)]
    if len(event_ids) != len(contents):
        raise Invalid(f"{name}: {len(contents)} log lines but {len(event_ids)} truth rows")
    return System(name, contents, event_ids, unmatched)


def load_folder(folder: Path, names: Sequence[str] | None = None) -> list[System]:
    """Every system of `names` (default: those logparser has a layout for) found in `folder`."""
    wanted = list(names) if names is not None else list(LOGPARSER_SETTINGS)
    return [load_system(folder, n) for n in wanted if (folder / n / f"{n}_2k.log").is_file()]


@dataclass(frozen=True)
class Accuracy:
    precision: float
    recall: float
    f_measure: float
    accuracy: float  # grouping accuracy


def get_accuracy(truth: Sequence[str], parsed: Sequence[Hashable]) -> Accuracy:
    """logparser's `evaluator.evaluate` + `get_accuracy`: lines without a ground-truth id are
    dropped; a line is accurate when its parsed group holds exactly the lines of one
    ground-truth event. Pair precision/recall count line pairs grouped together (0 when there
    are no pairs, where logparser would divide by zero)."""
    if len(truth) != len(parsed):
        raise Invalid("truth and parsed must have one entry per line")
    kept = [(t, p) for t, p in zip(truth, parsed, strict=True) if t != ""]
    if not kept:
        raise Invalid("no line has a ground-truth event id")
    truth_sizes = Counter(t for t, _ in kept)
    groups: dict[Hashable, Counter[str]] = defaultdict(Counter)
    for t, p in kept:
        groups[p][t] += 1
    real_pairs = sum(comb(n, 2) for n in truth_sizes.values())
    parsed_pairs = sum(comb(sum(g.values()), 2) for g in groups.values())
    accurate_pairs = accurate_lines = 0
    for group in groups.values():
        if len(group) == 1:
            ((event, size),) = group.items()
            if size == truth_sizes[event]:
                accurate_lines += size
        accurate_pairs += sum(comb(n, 2) for n in group.values())
    precision = accurate_pairs / parsed_pairs if parsed_pairs else 0.0
    recall = accurate_pairs / real_pairs if real_pairs else 0.0
    f_measure = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Accuracy(precision, recall, f_measure, accurate_lines / len(kept))
