"""Triage names what changed before an incident began: a prompt label moved minutes before a
PromptRegression alert is the likely cause, listed as evidence, and its revert (the label back
to the version it held) is suggested as a pending approval. Nothing reverts by itself."""

from __future__ import annotations

from typing import Any

from core.access import Caller
from core.clock import utcnow
from tests.incidents.alerts import fire
from tools.prompts.demo import seed_demo

REQUESTER = Caller(user="U_REQ", via="slack", channel="C1")


def _regression(service: Any, prompt: str) -> int:
    labels = {"alertname": "PromptRegression", "prompt": prompt, "severity": "warning"}
    return fire(
        service, labels, f"{prompt}: quality score fell from 0.91 to 0.62", "c0ffee00000000aa"
    )


def test_a_label_move_before_a_regression_is_its_likely_cause(make_runtime, database_url) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(console_mode=False, oncall_users=["U_ONCALL"], database_url=database_url)
    seed_demo(runtime.prompts)
    turn = runtime.agent.ask(
        "promote support-triage v3 to production", thread_id="C1:1.0", caller=REQUESTER
    )
    runtime.approval_flow.decide_and_resume(
        turn.pending[0].id, user="U_ONCALL", approve=True, via="slack"
    )
    runtime.changes.record("deploy", "billing", summary="deployed billing 2.0", who="ci")
    service = runtime.incidents
    service.config.background = False
    incident_id = _regression(service, "support-triage")
    card = service.card(incident_id)
    assert "A change just before it began: production of support-triage moved from v2 to v3" in (
        card.summary
    )
    evidence = next(e.note for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    assert "*what_changed(since='2h before the onset')*" in evidence
    # the change to the prompt the alert names ranks above the later, unrelated deploy
    listed = evidence.split("*what_changed", 1)[1]
    assert listed.index("support-triage") < listed.index("billing")
    [revert] = [a for a in card.actions if a.tool == "run_remediation"]
    assert revert.args["action"] == "set_prompt_label"
    assert revert.args["params"] == {"name": "support-triage", "label": "production", "version": 2}
    assert revert.status == "pending"
    assert runtime.prompts.get("support-triage").version == 3  # nothing reverted by itself


def test_without_changes_triage_says_so(make_runtime, database_url) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(console_mode=False, database_url=database_url)
    seed_demo(runtime.prompts)
    service = runtime.incidents
    service.config.background = False
    incident_id = _regression(service, "support-triage")
    evidence = next(e.note for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    assert "No change recorded in the 2 hours before it began." in evidence
    assert "A change just before it began" not in service.card(incident_id).summary


def test_a_deploy_before_errors_suggests_its_configured_rollback(  # type: ignore[no-untyped-def]
    make_runtime, database_url, tmp_path
) -> None:
    import shutil
    from datetime import timedelta

    config = tmp_path / "remediation.yaml"
    config.write_text(
        "scripts:\n"
        "  rollback-checkout:\n"
        f"    argv: [{shutil.which('true')}, checkout]\n"
        "    reverts: [checkout]\n"
    )
    runtime = make_runtime(console_mode=False, database_url=database_url, remediation_config=config)
    runtime.changes.record(
        "deploy", "checkout", summary="deployed checkout 1.4.2", who="ci",
        at=utcnow() - timedelta(minutes=6),
    )  # fmt: skip
    service = runtime.incidents
    service.config.background = False
    labels = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}
    incident_id = fire(service, labels, "checkout: 12% of requests fail", "c0ffee00000000bb")
    card = service.card(incident_id)
    assert "A change just before it began: deployed checkout 1.4.2 (deploy, by ci; 6 min" in (
        card.summary
    )
    [rollback] = [a for a in card.actions if a.tool == "run_remediation"]
    assert rollback.args == {"action": "run_script", "params": {"script": "rollback-checkout"}}
    assert rollback.status == "pending"


def test_a_level_shift_after_a_label_move_names_the_move_and_suggests_its_revert(  # type: ignore[no-untyped-def]
    make_runtime, database_url
) -> None:
    """Issue 15's scenario on real stored samples: an injected level shift in a watched series
    becomes a MetricAnomaly incident whose triage lists the prompt label move made five
    minutes before as the likely cause and suggests putting the label back (here the move is
    seconds before the onset, which is when the monitor first sees the shift)."""
    import random
    from datetime import timedelta

    from bot.monitors.samples import SampleStore

    runtime = make_runtime(
        console_mode=False, oncall_users=["U_ONCALL"], database_url=database_url,
        anomaly_series=["latency"],
    )  # fmt: skip
    seed_demo(runtime.prompts)
    turn = runtime.agent.ask(
        "promote support-triage v3 to production", thread_id="C1:3.0", caller=REQUESTER
    )
    runtime.approval_flow.decide_and_resume(
        turn.pending[0].id, user="U_ONCALL", approve=True, via="slack"
    )
    samples = SampleStore(runtime.engine)
    rng = random.Random(3)
    now = utcnow()
    start = now - timedelta(seconds=10 * 660)
    for i in range(650):  # learning and normal: before the move
        samples.record(start + timedelta(seconds=10 * i), {"latency": 120 + rng.uniform(-5, 5)})
    for i in range(650, 660):  # shifted: the last 100 seconds
        samples.record(start + timedelta(seconds=10 * i), {"latency": 410 + rng.uniform(-5, 5)})
    service = runtime.incidents
    service.config.background = False
    report = service.run_checks(only={"anomaly"})
    [(incident_id, change)] = report.changes
    card = service.card(incident_id)
    assert change == "opened" and card.title.startswith("latency is anomalous")
    assert "A change just before it began: production of support-triage moved from v2 to v3" in (
        card.summary
    )
    [revert] = [a for a in card.actions if a.tool == "run_remediation"]
    assert revert.args["params"] == {"name": "support-triage", "label": "production", "version": 2}

    # and it reaches Slack: the card, then triage's evidence with the plot attached in its thread
    from bot.slack.approvals import ButtonSigner
    from bot.slack.client import make_web_client
    from bot.slack.incidents import SlackIncidentNotifier
    from bot.slack.outbox import ChannelPacer
    from tests.emulators.slack import SlackEmulator

    emulator = SlackEmulator().start()
    try:
        client = make_web_client("xoxb-test", emulator.url)
        service.add_notifier(
            SlackIncidentNotifier(client, "C0INC", ButtonSigner("s"), ChannelPacer(0.0))
        )
        while service.outbox.pump():
            pass
        [root] = [p for p in emulator.posts("C0INC") if not p.params.get("thread_ts")]
        assert "latency is anomalous" in root.params["text"]
        notes = emulator.posts("C0INC", thread_ts=root.response["ts"])
        assert any("Evidence gathered by triage" in n.params["text"] for n in notes)
        [upload] = [c for c in emulator.calls_to("files.completeUploadExternal") if c.ok]
        assert upload.params["thread_ts"] == root.response["ts"]
        assert any(body[:4] == b"\x89PNG" for body in emulator.uploads.values())
    finally:
        emulator.stop()
