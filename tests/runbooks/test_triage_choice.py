"""Triage's runbook step (graphs/triage.py `TriageNodes.runbook`) with the real chooser on the
shipped runbooks: the alert's runbook_url reaches the lookup and comes first, and it is kept
when the lookup is missing or fails."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from graphs.triage import TriageNodes
from graphs.triage_types import IncidentInput, TriageDeps
from tools.base import Toolbox
from tools.runbooks.choice import RunbookChooser
from tools.runbooks.index import RunbookIndex

KUBE_URL = "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"


def _incident(alertname: str, title: str, summary: str = "", **details: Any) -> IncidentInput:
    return IncidentInput(
        id=1,
        title=title,
        alertname=alertname,
        kind="alertmanager",
        severity="warning",
        summary=summary,
        details=details,
        local=False,
    )


def _runbook(deps: TriageDeps, incident: IncidentInput) -> dict[str, Any] | None:
    found: dict[str, Any] | None = TriageNodes(deps).runbook({"incident": incident})["runbook"]
    return found


@pytest.fixture(scope="module")
def deps(shipped_index: RunbookIndex) -> TriageDeps:
    chooser = RunbookChooser(shipped_index)

    def lookup(alertname: str, text: str, url: str | None) -> dict[str, Any] | None:
        found = chooser.choose(alertname, text, url)
        return found.to_dict() if found is not None else None

    return TriageDeps(toolbox=Toolbox(), runbook_lookup=lookup)


def test_an_external_alert_gets_its_own_runbook_url_first(deps: TriageDeps) -> None:
    incident = _incident(
        "KubePodCrashLooping",
        "Pod is crash looping.",
        "Pod default/api-7f9 (api) is in waiting state (reason: CrashLoopBackOff).",
        runbook_url=KUBE_URL,
    )
    found = _runbook(deps, incident)
    assert found is not None
    assert (found["source"], found["match"], found["url"]) == (KUBE_URL, "url", KUBE_URL)
    assert found["title"] == "KubePodCrashLooping runbook"


def test_the_two_misses_of_issue_20(deps: TriageDeps) -> None:
    errors = _runbook(deps, _incident("HighErrorRate", "High HTTP 5xx error rate on api"))
    assert errors is None or errors["source"] != "runbooks/llm-provider-errors.md"
    disk = _runbook(
        deps,
        _incident(
            "NodeFilesystemAlmostOutOfSpace",
            "Filesystem has less than 5% space left.",
            "Filesystem on /dev/sda1 at 10.0.0.7:9100 has only 4.20% available space left.",
        ),
    )
    assert disk is not None and disk["source"] == "runbooks/host-disk-full.md"
    assert disk["url"] is None  # the alert carried none


def test_opsbots_own_alert_keeps_its_runbook_by_front_matter(deps: TriageDeps) -> None:
    found = _runbook(deps, _incident("ModelPerformanceDrop", "accuracy of churn-model fell"))
    assert found is not None and found["match"] == "alert"
    assert found["source"] == "runbooks/model-performance-drop.md"


def test_the_url_is_kept_when_the_lookup_fails_or_is_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(alertname: str, text: str, url: str | None) -> dict[str, Any] | None:
        raise RuntimeError("chroma is down")

    incident = _incident("KubePodCrashLooping", "Pod is crash looping.", runbook_url=KUBE_URL)
    caplog.set_level(logging.WARNING, logger="graphs.triage")
    found = _runbook(TriageDeps(toolbox=Toolbox(), runbook_lookup=broken), incident)
    assert found is not None and (found["source"], found["url"]) == (KUBE_URL, KUBE_URL)
    assert "runbook lookup failed: chroma is down" in caplog.text
    missing = _runbook(TriageDeps(toolbox=Toolbox()), incident)
    assert missing is not None and missing["source"] == KUBE_URL
    # an annotation that is not an http(s) URL is not offered as a link
    bad = _incident("KubePodCrashLooping", "Pod is crash looping.", runbook_url="javascript:x")
    assert _runbook(TriageDeps(toolbox=Toolbox()), bad) is None
