"""The incident lifecycle on a real database (SQLite and PostgreSQL): fingerprints vs event
hashes, one open incident per fingerprint, severity changes, auto-resolve after N clear
checks, reopen instead of re-post, flap damping, snooze with expiry, and delivery."""

from __future__ import annotations

from typing import Any

import pytest

from bot.approvals.queries import incident_approvals
from bot.incidents.engine import IncidentEngine
from bot.incidents.notify import IncidentOutbox
from bot.incidents.spec import EngineConfig, IncidentError, event_hash_for_cycle
from bot.incidents.views import build_card
from core.incidents import CRITICAL, WARNING, Finding
from tests.incidents.replicas import at_once, replicas


def disk_finding(percent: float = 95.0, severity: str = WARNING) -> Finding:
    return Finding(
        monitor="host",
        alertname="HostDiskFull",
        title=f"Disk /var is {percent}% full",
        severity=severity,
        kind="host",
        labels={"host": "web-1", "mountpoint": "/var"},
        fields=[("used", f"{percent}%")],
    )


class Stack:
    def __init__(self, db: Any, clock: Any, notifier: Any, **config: Any) -> None:
        self.engine = IncidentEngine(db, EngineConfig(**config), clock=clock)
        self.outbox = IncidentOutbox(
            db, lambda row: build_card(row, incident_approvals(db, row.id))
        )
        self.outbox.add_notifier(notifier)
        self.slot = 0

    def see(self, finding: Finding) -> tuple[int, str]:
        self.slot += 1
        return self.engine.observe(finding, event_hash_for_cycle(finding, self.slot))

    def cycle(self, *findings: Finding) -> list[tuple[int, str]]:
        """One monitor cycle of the `host` monitor reporting exactly these findings."""
        self.slot += 1
        changes = [self.engine.observe(f, event_hash_for_cycle(f, self.slot)) for f in findings]
        firing = {f.fingerprint for f in findings}
        return changes + self.engine.clear_checked({"host"}, firing)


@pytest.fixture
def stack(db, clock, notifier) -> Stack:  # type: ignore[no-untyped-def]
    return Stack(db, clock, notifier, autoresolve_checks=3, reopen_minutes=30)


def test_condition_seen_many_times_is_one_incident_posted_once(stack, notifier) -> None:  # type: ignore[no-untyped-def]
    first = stack.cycle(disk_finding(95.0))
    assert first == [(1, "opened")]
    stack.outbox.pump()
    for i in range(10):
        assert stack.cycle(disk_finding(95.0 + i / 10)) == [(1, "updated")]
        stack.outbox.pump()
    row = stack.engine.get(1)
    assert row.count == 11 and row.status == "open"
    assert len(notifier.posts) == 1  # posted once, never re-posted
    assert notifier.posts[0].title == "Disk /var is 95.0% full"
    assert row.message_ts == "1700000000.000001"  # stored so later changes edit it in place
    assert [r.id for r in stack.engine.list("open")] == [1]


def test_exact_duplicate_event_only_moves_last_seen(stack, clock) -> None:  # type: ignore[no-untyped-def]
    finding = disk_finding()
    assert stack.engine.observe(finding, "event-a") == (1, "opened")
    clock.advance(seconds=30)
    assert stack.engine.observe(finding, "event-a") == (1, "duplicate")
    row = stack.engine.get(1)
    assert row.count == 1 and row.last_seen == clock.now
    assert stack.engine.observe(finding, "event-b") == (1, "updated")
    assert stack.engine.get(1).count == 2


def test_severity_change_updates_in_place_with_a_thread_note(stack, notifier) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk_finding(95.0, WARNING))
    stack.outbox.pump()
    stack.cycle(disk_finding(99.0, CRITICAL))
    stack.outbox.pump()
    assert len(notifier.posts) == 1
    assert notifier.updates[-1].severity == "critical"
    assert notifier.notes_for(1) == ["Severity warning → critical (up)"]
    kinds = [e.kind for e in stack.engine.timeline(1)]
    assert kinds == ["opened", "severity"]


def test_auto_resolve_after_n_clear_checks_and_message_updated(stack, notifier) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk_finding())
    stack.outbox.pump()
    assert stack.cycle() == [(1, "clearing")]
    assert stack.cycle(disk_finding()) == [(1, "updated")]  # seen again: the count restarts
    assert stack.engine.get(1).clear_checks == 0
    assert stack.cycle() == [(1, "clearing")]
    assert stack.cycle() == [(1, "clearing")]
    assert stack.cycle() == [(1, "resolved")]
    stack.outbox.pump()
    row = stack.engine.get(1)
    assert row.status == "resolved" and row.open_key is None and row.resolved_by == "opsbot"
    assert notifier.updates[-1].status == "resolved"
    assert "cleared for 3 consecutive checks" in notifier.notes_for(1)[-1]
    assert len(notifier.posts) == 1


def test_a_monitor_that_could_not_look_does_not_clear(stack) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk_finding())
    for _ in range(5):
        assert stack.engine.clear_checked(set(), set()) == []  # the host monitor failed
    assert stack.engine.get(1).status == "open"


def test_problem_back_soon_reopens_the_same_incident(stack, clock, notifier) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk_finding())
    for _ in range(3):
        stack.cycle()
    stack.outbox.pump()
    clock.advance(minutes=10)
    assert stack.cycle(disk_finding()) == [(1, "reopened")]
    stack.outbox.pump()
    row = stack.engine.get(1)
    assert row.status == "open" and row.reopen_count == 1
    assert len(notifier.posts) == 1  # the old message is updated, not a new post
    assert notifier.updates[-1].status == "open"
    assert "Reopened" in notifier.notes_for(1)[-1]
    # after the reopen window a recurrence is a new incident
    for _ in range(3):
        stack.cycle()
    clock.advance(minutes=31)
    assert stack.cycle(disk_finding()) == [(2, "opened")]
    stack.outbox.pump()
    assert len(notifier.posts) == 2


def test_flapping_goes_quiet_in_the_thread(stack, clock, notifier) -> None:  # type: ignore[no-untyped-def]
    quick = Stack(stack.engine.db, clock, notifier, autoresolve_checks=1, flap_quiet_after=3)
    quick.cycle(disk_finding())
    for _ in range(8):  # resolve, come back, resolve, come back...
        quick.cycle()
        quick.cycle(disk_finding())
        quick.outbox.pump()
    notes = notifier.notes_for(1)
    assert sum("Reopened" in n for n in notes) == 3  # then quiet
    assert "flapping" in notes[-1]
    assert len(notifier.posts) == 1
    assert quick.engine.get(1).reopen_count == 8


def test_snooze_mutes_notes_until_it_ends(stack, clock, notifier) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk_finding(95.0))
    stack.outbox.pump()
    until = stack.engine.snooze(1, "U_ONCALL", 30)
    stack.cycle(disk_finding(99.0, CRITICAL))  # severity change while snoozed: no note
    stack.outbox.pump()
    assert [n for n in notifier.notes_for(1) if "Severity" in n] == []
    assert "Snoozed by U_ONCALL for 30 min" in notifier.notes_for(1)[0]
    assert stack.engine.end_snoozes() == []  # not yet
    clock.now = until
    assert stack.engine.end_snoozes() == [1]
    stack.outbox.pump()
    assert "Snooze ended; still open" in notifier.notes_for(1)[-1]
    assert stack.engine.get(1).snoozed_until is None


def test_a_problem_back_while_snoozed_is_not_posted_until_the_snooze_ends(  # type: ignore[no-untyped-def]
    db, clock, notifier
) -> None:
    stack = Stack(db, clock, notifier, autoresolve_checks=1, reopen_minutes=0)
    stack.cycle(disk_finding())
    stack.outbox.pump()
    until = stack.engine.snooze(1, "U_ONCALL", 60)
    stack.cycle()  # resolved
    clock.advance(minutes=1)
    assert stack.cycle(disk_finding()) == [(2, "opened")]
    stack.outbox.pump()
    assert len(notifier.posts) == 1  # #2 is muted by the snooze of #1
    assert stack.engine.get(2).snoozed_until == until
    clock.now = until
    stack.engine.end_snoozes()
    stack.outbox.pump()
    assert [c.id for c in notifier.posts] == [1, 2]


def test_people_actions_and_their_errors(stack, notifier) -> None:  # type: ignore[no-untyped-def]
    stack.cycle(disk_finding())
    stack.engine.acknowledge(1, "U_A")
    with pytest.raises(IncidentError, match="already acknowledged by U_A"):
        stack.engine.acknowledge(1, "U_B")
    with pytest.raises(IncidentError, match="snooze minutes must be 1 to 10080"):
        stack.engine.snooze(1, "U_A", 0)
    stack.engine.resolve(1, "U_B")
    with pytest.raises(IncidentError, match="already resolved"):
        stack.engine.resolve(1, "U_B")
    with pytest.raises(IncidentError, match="already resolved"):
        stack.engine.acknowledge(1, "U_B")
    with pytest.raises(IncidentError, match="resolved; nothing to snooze"):
        stack.engine.snooze(1, "U_B", 5)
    with pytest.raises(IncidentError, match="no incident #99"):
        stack.engine.acknowledge(99, "U_B")
    with pytest.raises(IncidentError, match="status must be one of"):
        stack.engine.list("bogus")
    stack.outbox.pump()
    notes = notifier.notes_for(1)
    assert notes == ["Acknowledged by U_A", "Resolved by U_B"]
    assert notifier.posts[-1].resolved_by == "U_B"  # first delivery shows the final state
    events = [(e.kind, e.actor) for e in stack.engine.timeline(1)]
    assert events == [("opened", "opsbot"), ("acknowledged", "U_A"), ("resolved", "U_B")]


def test_failed_delivery_is_retried(stack, notifier, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bot.incidents.notify as notify

    monkeypatch.setattr(notify, "RETRY_AFTER", 0.0)
    stack.cycle(disk_finding())
    notifier.fail = True
    assert stack.outbox.pump() == 0
    assert stack.engine.get(1).notify_pending
    notifier.fail = False
    assert stack.outbox.pump() == 1
    assert len(notifier.posts) == 1 and not stack.engine.get(1).notify_pending


def test_one_open_incident_per_fingerprint_across_replicas(  # type: ignore[no-untyped-def]
    database_url, tmp_path, clock
) -> None:
    """Four 'replicas' (own engines and connections) see the same problem at once."""
    with replicas(database_url, tmp_path) as engines:
        results = at_once(engines, clock, lambda e, i: e.observe(disk_finding(), f"event-{i}"))
        assert {incident_id for incident_id, _ in results} == {1}
        changes = sorted(change for _, change in results)
        assert changes == ["opened", "updated", "updated", "updated"]
        assert IncidentEngine(engines[0]).get(1).count == 4
