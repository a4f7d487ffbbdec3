"""Findings that start together on a related entity are one incident with several signals
(bot/incidents/correlation.py), on a real database (SQLite and PostgreSQL): the card lists
them in the order they started, the incident holds while one fires, a signal clears like an
incident does, resolving releases them, and a finding elsewhere or later stands alone."""

from __future__ import annotations

from typing import Any

import pytest

from bot.approvals.queries import incident_approvals
from bot.console.incidents import render_card
from bot.incidents.correlation import entities, signal_views
from bot.incidents.engine import IncidentEngine
from bot.incidents.notify import IncidentOutbox
from bot.incidents.spec import EngineConfig, event_hash_for_cycle
from bot.incidents.views import build_card, card_json
from bot.slack.approvals import ButtonSigner
from bot.slack.cards import incident_blocks
from core.incidents import CRITICAL, WARNING, Finding
from tests.incidents.replicas import at_once, replicas


def disk(host: str = "web-1") -> Finding:
    return Finding(
        monitor="host",
        alertname="HostDiskFull",
        title=f"Disk /var is 95% full on {host}",
        severity=WARNING,
        kind="host",
        labels={"host": host, "mountpoint": "/var"},
    )


def cpu(host: str = "web-1", severity: str = CRITICAL) -> Finding:
    return Finding(
        monitor="host",
        alertname="HostHighCpu",
        title=f"CPU at 99% on {host}",
        severity=severity,
        kind="host",
        labels={"host": host},
    )


def anomaly(host: str = "web-1") -> Finding:
    return Finding(
        monitor="anomaly",
        alertname="MetricAnomaly",
        title="memory is anomalous",
        severity=WARNING,
        kind="host",
        labels={"series": "memory"},
        details={"entities": [f"host:{host}"]},
    )


class Stack:
    def __init__(self, db: Any, clock: Any, notifier: Any, **config: Any) -> None:
        self.db = db
        self.engine = IncidentEngine(db, EngineConfig(**config), clock=clock)
        self.outbox = IncidentOutbox(
            db,
            lambda row: build_card(row, incident_approvals(db, row.id), signal_views(db, row)),
        )
        self.outbox.add_notifier(notifier)
        self.slot = 0

    def cycle(self, *findings: Finding, monitors: set[str] | None = None) -> list[tuple[int, str]]:
        """One cycle of the monitors (`host` and `anomaly`) reporting exactly these findings."""
        self.slot += 1
        changes = [self.engine.observe(f, event_hash_for_cycle(f, self.slot)) for f in findings]
        firing = {f.fingerprint for f in findings}
        return changes + self.engine.clear_checked(monitors or {"host", "anomaly"}, firing)

    def card(self, incident_id: int) -> Any:
        row = self.engine.get(incident_id)
        return build_card(row, [], signal_views(self.db, row))


@pytest.fixture
def stack(db, clock, notifier) -> Stack:  # type: ignore[no-untyped-def]
    return Stack(db, clock, notifier, autoresolve_checks=3, reopen_minutes=30, correlate_minutes=10)


def test_findings_on_one_host_are_one_incident_and_the_card_says_which_came_first(  # type: ignore[no-untyped-def]
    stack, clock, notifier
) -> None:
    assert stack.cycle(disk()) == [(1, "opened")]
    stack.outbox.pump()
    clock.advance(seconds=100)
    assert stack.cycle(disk(), cpu())[:2] == [(1, "updated"), (1, "correlated")]
    clock.advance(seconds=20)
    assert stack.cycle(disk(), cpu(), anomaly())[:3] == [
        (1, "updated"),
        (1, "signal"),
        (1, "correlated"),
    ]
    stack.outbox.pump()
    assert len(notifier.posts) == 1  # one page, not three
    row = stack.engine.get(1)
    assert row.severity == CRITICAL  # the worse of its signals
    card = stack.card(1)
    assert [s.alertname for s in card.signals] == ["HostDiskFull", "HostHighCpu", "MetricAnomaly"]
    assert [s.entity for s in card.signals] == ["", "host:web-1", "host:web-1"]
    notes = notifier.notes_for(1)
    assert any(
        "Related signal on host:web-1: CPU at 99% on web-1" in n
        and "+1m40s after HostDiskFull, which came first" in n
        for n in notes
    ), notes
    assert any("Severity warning → critical" in n for n in notes)
    text = render_card(card)
    assert "Signals (3, in the order they started):" in text
    assert "1. [warning] HostDiskFull: Disk /var is 95% full on web-1 · first" in text
    assert "2. [critical] HostHighCpu: CPU at 99% on web-1 · +1m40s · host:web-1" in text
    assert "3. [warning] MetricAnomaly: memory is anomalous · +2m00s · host:web-1" in text
    blocks = incident_blocks(card, ButtonSigner("s" * 32))
    shown = "\n".join(str(b) for b in blocks)
    assert "*Signals* (3, on related entities; the first started the incident)" in shown
    listed = card_json(card)["signals"]
    assert [s["first"] for s in listed] == [True, False, False]
    assert listed[1]["entity"] == "host:web-1" and listed[1]["firing"] is True


def test_other_hosts_and_later_findings_stand_alone(stack, clock) -> None:  # type: ignore[no-untyped-def]
    assert stack.cycle(disk("web-1")) == [(1, "opened")]
    assert stack.cycle(disk("web-1"), cpu("web-2"))[1] == (2, "opened")  # another host
    clock.advance(minutes=11)  # past the window of #1 and #2
    changes = stack.cycle(disk("web-1"), cpu("web-2"), anomaly("web-1"))
    assert changes[2] == (3, "opened")
    assert stack.card(1).signals == () and stack.card(3).signals == ()


def test_the_incident_holds_while_a_signal_fires_and_resolves_after(stack, clock, notifier) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk())
    stack.cycle(disk(), cpu())
    # the disk recovers; CPU still burns: the incident must not resolve
    for _ in range(2):
        assert (1, "clearing") in stack.cycle(cpu())
    assert (1, "held") in stack.cycle(cpu())
    assert (1, "held") in stack.cycle(cpu())
    assert stack.engine.get(1).status == "open"
    stack.outbox.pump()
    # CPU recovers too: the signal clears after 3 checks, then the incident resolves with it
    assert (1, "held") in stack.cycle()
    assert (1, "held") in stack.cycle()
    assert (1, "resolved") in stack.cycle()
    stack.outbox.pump()
    row = stack.engine.get(1)
    assert row.status == "resolved"
    notes = notifier.notes_for(1)
    assert any(n == "Signal cleared: CPU at 99% on web-1" for n in notes)
    assert [s.firing for s in stack.card(1).signals] == [False, False]


def test_a_cleared_signal_that_comes_back_joins_again_or_opens_its_own(stack, clock) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk())
    stack.cycle(disk(), cpu())
    for _ in range(3):
        stack.cycle(disk())  # CPU clears as a signal; the disk still fires
    assert [s.firing for s in stack.card(1).signals] == [True, False]
    assert stack.cycle(disk(), cpu())[1] == (1, "correlated")  # still within the window
    clock.advance(minutes=30)
    for _ in range(3):
        stack.cycle(disk())
    assert stack.cycle(disk(), cpu())[1] == (2, "opened")  # #1 is too old to join


def test_resolving_the_incident_releases_its_signals(stack, clock) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk())
    stack.cycle(disk(), cpu())
    stack.engine.resolve(1, "alice")
    assert [s.firing for s in stack.card(1).signals] == [False, False]
    clock.advance(minutes=1)
    # the CPU finding was never resolved as an incident: it opens its own now
    assert stack.cycle(cpu())[0] == (2, "opened")


def test_correlation_off(db, clock, notifier) -> None:  # type: ignore[no-untyped-def]
    stack = Stack(db, clock, notifier, correlate_minutes=0)
    assert stack.cycle(disk(), cpu())[:2] == [(1, "opened"), (2, "opened")]


def test_entities_from_labels_and_details() -> None:
    assert entities({"instance": "Web-1:9100", "job": "node"}) == {"host:web-1", "service:node"}
    assert entities({"instance": "[2001:db8::1]:9100"}) == {"host:2001:db8::1"}
    assert entities({"instance": "10.0.0.7:9100"}) == {"host:10.0.0.7"}
    assert entities({"host": "a", "instance": "b:1"}) == {"host:a"}  # the first label wins
    assert entities({"model": "churn", "version": "3"}) == {"model:churn"}
    assert entities({"prompt": "support-reply", "label": "production"}) == {"prompt:support-reply"}
    assert entities({"endpoint": "api"}) == {"service:api"}
    assert entities({"series": "memory"}) == frozenset()
    assert entities({}, {"entities": ["host:x", "nonsense", 3]}) == {"host:x"}


def test_model_findings_join_by_model(stack) -> None:  # type: ignore[no-untyped-def]
    drift = Finding("drift", "ModelDataDrift", "churn drifted", WARNING, "model_drift",
                    labels={"model": "churn", "version": "3"})  # fmt: skip
    drop = Finding("model_performance", "ModelPerformanceDrop", "churn accuracy fell",
                   CRITICAL, "model", labels={"model": "churn"})  # fmt: skip
    assert stack.cycle(drift, drop, monitors={"drift", "model_performance"})[:2] == [
        (1, "opened"),
        (1, "correlated"),
    ]


def test_replicas_folding_the_same_finding_make_one_signal(database_url, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    """Four 'replicas' (own engines and connections) see the CPU finding at once, after the
    disk incident opened: one signal, counted four times, no second incident."""
    with replicas(database_url, tmp_path) as engines:
        IncidentEngine(engines[0], clock=clock).observe(disk(), "disk-0")
        results = at_once(engines, clock, lambda e, i: e.observe(cpu(), f"cpu-{i}"))
        assert sorted(results) == [(1, "correlated"), (1, "signal"), (1, "signal"), (1, "signal")]
        views = signal_views(engines[0], IncidentEngine(engines[0]).get(1))
        assert [s.alertname for s in views] == ["HostDiskFull", "HostHighCpu"]
