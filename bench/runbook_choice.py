"""Which runbook triage cites for real external alerts: the previous lookup against the new
one (`tools/runbooks/choice.py`), in the same run, over the same indexes.

Alerts (tests/fixtures/alerts/):
- kube: the 99 kube-prometheus alerts that have a prometheus-operator runbook
  (kube-prometheus-alert-runbook-map.csv), with the summary, description and runbook_url of
  their first rule in kube-prometheus-alerts.yml;
- node: kube-prometheus's `node-exporter` group (its alert names, with their runbook_url);
- awesome: the node-exporter section of awesome-prometheus-alerts (no runbook_url; the
  names written as its published rules write them: `Host out of inodes` -> HostOutOfInodes);
- issue: the two alerts of issue 20 (HighErrorRate, NodeFilesystemAlmostOutOfSpace) as the
  issue quotes them, without a runbook_url.
Each alert is asked as triage asks: the alert name, "summary. description" (Go templates
removed: their values exist only in a firing alert) and its runbook_url; the kube and node
alerts are also asked without their runbook_url, to measure the choice by meaning alone.

Indexes: "shipped" (knowledge/runbooks) and "shipped+copies" (also the prometheus-operator
runbooks of tests/fixtures/runbooks, as a team's local copies in knowledge/).

Outcomes: own = the alert's runbook_url itself or its local copy; right = a shipped runbook
that `EXPECTED` lists for the alert (by front matter: alert, or by meaning: text); wrong =
any other runbook; none = no runbook. An alert `EXPECTED` does not list has no right
shipped runbook: citing one is wrong, none is the right answer. The old lookup is the one
`bot/incidents/wiring.py` had before: `f"{alertname} {text}"`, first among the runbooks
naming the alert, then any, and the URL only when nothing passed the floor.

Usage: .venv/bin/python -m bench.runbook_choice [--list-wrong]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import SHIPPED_RUNBOOKS  # noqa: E402
from tools.runbooks.choice import RunbookChooser, runbook_url  # noqa: E402
from tools.runbooks.index import RunbookIndex  # noqa: E402
from tools.runbooks.minilm import MiniLMInt8Embedder  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
COPIES = FIXTURES / "runbooks" / "prometheus-operator"
RULES = FIXTURES / "alerts" / "kube-prometheus-alerts.yml"
MAP = FIXTURES / "alerts" / "kube-prometheus-alert-runbook-map.csv"
AWESOME = FIXTURES / "alerts" / "awesome-prometheus-alerts-node-exporter.yml"
TEMPLATE = re.compile(r"\{\{.*?\}\}")

_DISK, _INODES = {"host-disk-full"}, {"host-inodes-exhausted"}
_CPU, _MEMORY = {"host-high-cpu"}, {"host-memory-pressure"}
_LOAD = {"host-high-cpu", "host-swap-thrash"}
_PAGING = {"host-memory-pressure", "host-swap-thrash"}
_CRASH, _TLS = {"process-crash-loop"}, {"tls-certificate-expiring"}
# The shipped runbooks that are right for an alert (file names without .md). The problem
# must be the same, not merely the words: a pod's persistent volume filling up is a disk
# filling up; a network interface's receive errors are not "LLM provider errors".
EXPECTED: dict[str, set[str]] = {
    # kube-prometheus node-exporter group
    "NodeFilesystemSpaceFillingUp": _DISK,
    "NodeFilesystemAlmostOutOfSpace": _DISK,
    "NodeFilesystemFilesFillingUp": _INODES,
    "NodeFilesystemAlmostOutOfFiles": _INODES,
    "NodeCPUHighUsage": _CPU,
    "NodeSystemSaturation": _LOAD,
    "NodeMemoryMajorPagesFaults": _PAGING,
    "NodeMemoryHighUtilization": _MEMORY,
    "NodeSystemdServiceFailed": _CRASH,
    "NodeSystemdServiceCrashlooping": _CRASH,
    # other kube-prometheus alerts with the same problem as a shipped runbook
    "KubePersistentVolumeFillingUp": _DISK,
    "KubePersistentVolumeInodesFillingUp": _INODES,
    "KubeClientCertificateExpiration": _TLS,
    "KubeletClientCertificateExpiration": _TLS,
    "KubeletServerCertificateExpiration": _TLS,
    # awesome-prometheus-alerts node-exporter section
    "HostHighCpuLoad": _CPU,
    "HostCpuStealNoisyNeighbor": _CPU,
    "HostCpuHighIowait": _LOAD,
    "HostCpuLoadSaturation": _LOAD,
    "HostOutOfMemory": _MEMORY,
    "HostMemoryUnderMemoryPressure": _PAGING,
    "HostOutOfDiskSpace": _DISK,
    "HostOutOfInodes": _INODES,
    "HostDiskMayFillIn24Hours": _DISK,
    "HostInodesMayFillIn24Hours": _INODES,
    "HostSwapIsFillingUp": _PAGING,
    "HostSystemdServiceCrashed": _CRASH,
    "HostSystemdServiceCrashLooping": _CRASH,
    "HostOomKillDetected": _MEMORY,
    # issue 20: an API's 5xx rate is an endpoint failing, not the LLM provider
    "HighErrorRate": {"endpoint-down"},
}
ISSUE = [
    ("HighErrorRate", "High HTTP 5xx error rate on api", ""),
    ("NodeFilesystemAlmostOutOfSpace", "Filesystem has less than 5% space left.", ""),
]


@dataclass(frozen=True)
class Alert:
    name: str
    text: str  # "summary. description", as triage passes it
    url: str | None
    copy: str = ""  # source of its local copy in the shipped+copies index


Lookup = Callable[[RunbookIndex, Alert, bool], tuple[str, str] | None]  # (source, match)


def kube_alerts() -> tuple[list[Alert], list[Alert]]:
    """The 99 mapped kube-prometheus alerts, and the node-exporter group's alerts."""
    first: dict[str, dict[str, str]] = {}
    node_group: list[str] = []
    for document in yaml.safe_load_all(RULES.read_text()):
        for group in (document or {}).get("spec", {}).get("groups", []):
            for rule in group["rules"]:
                if "alert" in rule and rule["alert"] not in first:
                    first[rule["alert"]] = rule.get("annotations", {})
                    if group["name"] == "node-exporter":
                        node_group.append(rule["alert"])
    mapped: dict[str, str] = {}
    with MAP.open() as handle:
        for row in csv.DictReader(handle):
            if row["local_runbook"] and row["alert"] not in mapped:
                mapped[row["alert"]] = row["local_runbook"].split("runbooks/", 1)[1]

    def alert(name: str) -> Alert:
        notes = first[name]
        text = f"{_clean(notes.get('summary', ''))}. {_clean(notes.get('description', ''))}"
        return Alert(name, text, notes.get("runbook_url"), mapped.get(name, ""))

    return [alert(n) for n in mapped], [alert(n) for n in node_group]


def awesome_alerts() -> list[Alert]:
    section = yaml.safe_load(AWESOME.read_text())
    found: list[Alert] = []
    for rule in section["rules"]:
        name = "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", rule["name"]) if w)
        found.append(Alert(name, f"{rule['name']}. {_clean(rule['description'])}", None))
    return found


def _clean(text: str) -> str:
    return " ".join(TEMPLATE.sub(" ", text or "").split())


def old_lookup(index: RunbookIndex, alert: Alert, with_url: bool) -> tuple[str, str] | None:
    """The lookup triage used before: the alert name pasted into the query, the URL last."""
    query = f"{alert.name} {alert.text}"[:500]
    hits = index.search(query, k=1, alert=alert.name) or index.search(query, k=1)
    if hits:
        return hits[0].source, hits[0].match
    url = runbook_url(alert.url) if with_url else None
    return (url, "url") if url else None


def new_lookup(index: RunbookIndex, alert: Alert, with_url: bool) -> tuple[str, str] | None:
    choice = _chooser(index).choose(alert.name, alert.text, alert.url if with_url else None)
    return (choice.source, choice.match) if choice is not None else None


_CHOOSERS: dict[int, RunbookChooser] = {}


def _chooser(index: RunbookIndex) -> RunbookChooser:
    return _CHOOSERS.setdefault(id(index), RunbookChooser(index))


def outcome(alert: Alert, found: tuple[str, str] | None, with_url: bool) -> str:
    if found is None:
        return "none"
    source, match = found
    if (
        with_url
        and alert.url
        and (source == alert.url or (alert.copy and source.endswith(alert.copy)))
    ):
        return "own"
    stem = source.rsplit("/", 1)[-1].removesuffix(".md")
    if source.startswith("runbooks/") and stem in EXPECTED.get(alert.name, set()):
        return f"right:{match}"
    return "wrong"


def run(
    label: str, index: RunbookIndex, alerts: list[Alert], with_url: bool, list_wrong: bool
) -> None:
    for name, lookup in (("old", old_lookup), ("new", new_lookup)):
        counts: Counter[str] = Counter()
        wrong: list[str] = []
        for alert in alerts:
            found = lookup(index, alert, with_url)
            result = outcome(alert, found, with_url)
            counts[result.split(":")[0]] += 1
            if ":" in result:
                counts[result] += 1
            if result == "wrong" and found is not None:
                wrong.append(f"{alert.name} -> {found[0].rsplit('/', 1)[-1]}")
        right = f"{counts['right']:3} ({counts['right:alert']} alert, {counts['right:text']} text)"
        print(
            f"{label:44} {name:4} {counts['own']:4} {right:>22} {counts['wrong']:6} "
            f"{counts['none']:5}   of {len(alerts)}"
        )
        if list_wrong and wrong:
            print("      wrong: " + "; ".join(wrong))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--list-wrong", action="store_true", help="name each wrong choice")
    args = parser.parse_args()
    kube, node = kube_alerts()
    awesome = awesome_alerts()
    issue = [Alert(n, f"{s}. {d}", None) for n, s, d in ISSUE]
    embedder = MiniLMInt8Embedder()
    with tempfile.TemporaryDirectory() as tmp:
        shipped = RunbookIndex(Path(tmp) / "shipped", embedder=embedder)
        shipped.ingest([SHIPPED_RUNBOOKS], progress=False)
        copies = RunbookIndex(Path(tmp) / "copies", embedder=embedder)
        copies.ingest([SHIPPED_RUNBOOKS, COPIES], progress=False)
        print(f"{'alerts / index':44} {'':4} {'own':>4} {'right':>22} {'wrong':>6} {'none':>5}")
        cases = (
            (f"kube {len(kube)}, with runbook_url, shipped", shipped, kube, True),
            (f"kube {len(kube)}, with runbook_url, shipped+copies", copies, kube, True),
            (f"kube {len(kube)}, without runbook_url, shipped", shipped, kube, False),
            (f"node-exporter {len(node)}, with runbook_url, shipped", shipped, node, True),
            (f"node-exporter {len(node)}, without url, shipped", shipped, node, False),
            (f"awesome node-exporter {len(awesome)}, shipped", shipped, awesome, False),
            ("issue 20's two alerts, shipped", shipped, issue, False),
        )
        for label, index, alerts, with_url in cases:
            run(label, index, alerts, with_url, args.list_wrong)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
