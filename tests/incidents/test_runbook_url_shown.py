"""An alert's runbook_url on what people see: `incidents show --json` (a `runbook_url` field,
also when a local runbook is cited), the console card and the Slack card. Alerts go through
the real intake and triage (the wiring's runbook lookup, the shipped runbooks in Chroma)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.incidents.alertmanager import parse_payload
from bot.incidents.contract import IncidentCard, RunbookRef
from bot.slack.approvals import ButtonSigner
from bot.slack.cards import incident_blocks
from tests.incidents.alerts import alert, payload
from tests.incidents.proc import opsbot_cli
from tests.incidents.test_cli import env_for

OWN_URL = "https://runbooks.example.com/host-disk-full"  # tests.incidents.alerts.ALERT's
KUBE_URL = "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"


def test_incidents_show_json_has_the_alerts_runbook_url(tmp_path: Path, make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(data_dir=tmp_path / "data")
    runtime.ingest_runbooks()
    disk, _ = runtime.incidents.ingest_alertmanager(parse_payload(payload()))
    crash = alert(
        labels={"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "api-7f9"},
        annotations={
            "summary": "Pod is crash looping.",
            "description": "Pod shop/api-7f9 (api) is in waiting state (reason: CrashLoopBackOff).",
            "runbook_url": KUBE_URL,
        },
        fingerprint="c0ffee0000000002",
    )
    kube, _ = runtime.incidents.ingest_alertmanager(
        parse_payload(payload(crash, group="KubePodCrashLooping"))
    )
    assert disk is not None and kube is not None
    assert runtime.incidents.drain(120)  # triage runs in the background
    runtime.close()

    env = env_for(tmp_path)
    shown = opsbot_cli(tmp_path, env, "incidents", "show", str(disk), "--json")
    assert shown.returncode == 0, shown.stderr
    local = json.loads(shown.stdout)["runbook"]
    assert local["source"] == "runbooks/host-disk-full.md" and local["runbook_url"] == OWN_URL
    shown = opsbot_cli(tmp_path, env, "incidents", "show", str(kube), "--json")
    assert shown.returncode == 0, shown.stderr
    linked = json.loads(shown.stdout)["runbook"]
    assert linked == {
        "title": "KubePodCrashLooping runbook",
        "section": None,
        "source": KUBE_URL,
        "warning": None,
        "runbook_url": KUBE_URL,
    }
    text = opsbot_cli(tmp_path, env, "incidents", "show", str(disk))
    assert f"Alert's runbook: {OWN_URL}" in text.stdout


def test_the_slack_card_links_the_alerts_runbook_beside_the_local_one() -> None:
    ref = RunbookRef(
        "Disk full", "Mitigation", "runbooks/host-disk-full.md", "Free space", url=OWN_URL
    )
    card = IncidentCard(7, "Disk /var full", "open", "critical", "alertmanager", "", runbook=ref)
    text = str(incident_blocks(card, ButtonSigner("secret")))
    assert "*Disk full* (`runbooks/host-disk-full.md`) § Mitigation" in text
    assert f"<{OWN_URL}|the alert's runbook>" in text
    # the URL alone is the runbook: linked once, as its title
    alone = RunbookRef("KubePodCrashLooping runbook", None, KUBE_URL, url=KUBE_URL)
    text = str(
        incident_blocks(
            IncidentCard(8, "Pod", "open", "warning", "x", "", runbook=alone), ButtonSigner("s")
        )
    )
    assert f"<{KUBE_URL}|KubePodCrashLooping runbook>" in text and "the alert's runbook" not in text
