"""An Alertmanager group's card stays true (issue 20 item 5): the title and the firing /
resolved fields follow the group as it grows, shrinks and resolves, on the card, in the
console and in `incidents show --json`; with `truncatedAlerts` the title counts the alerts
left out. Over the real webhook route with its bearer token, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.incidents.alerts import alert, payload, post
from tests.incidents.proc import opsbot_cli
from tests.incidents.test_cli import env_for


def disk(n: int, status: str = "firing") -> dict[str, Any]:
    return alert(labels={"mountpoint": f"/d{n}"}, fingerprint=f"disk{n:04d}", status=status,
                 annotations={"summary": "Disks are filling up on web-1"})  # fmt: skip


def test_group_grows_to_four_then_resolves(served) -> None:  # type: ignore[no-untyped-def]
    from bot.console.incidents import render_card
    from bot.incidents.views import card_json

    runtime, url = served
    service = runtime.incidents
    opened = post(url, payload(disk(1), disk(2), disk(3))).json()
    assert opened["change"] == "opened"
    incident_id = opened["incident"]
    card = service.card(incident_id)
    assert (
        card.title == "Disks are filling up on web-1 (3 alerts)" and ("firing", "3") in card.fields
    )

    assert post(url, payload(disk(1), disk(2), disk(3), disk(4))).json()["change"] == "updated"
    card = service.card(incident_id)
    assert card.title == "Disks are filling up on web-1 (4 alerts)"
    assert ("firing", "4") in card.fields

    done = payload(*(disk(n, "resolved") for n in (1, 2, 3, 4)))
    assert post(url, done).json() == {"status": "ok", "incident": incident_id, "change": "resolved"}
    card = service.card(incident_id)
    assert card.status == "resolved" and card.title == "Disks are filling up on web-1 (4 alerts)"
    assert card.fields[:2] == (("firing", "0"), ("resolved", "4"))
    assert card_json(card)["fields"][:2] == [["firing", "0"], ["resolved", "4"]]
    assert "firing: 0 · resolved: 4" in render_card(card)
    assert runtime.incidents.engine.get(incident_id).details["alert_counts"] == {
        "firing": 0,
        "alerts": 4,
    }


def test_an_alert_missing_from_a_complete_webhook_has_left_the_group(served) -> None:  # type: ignore[no-untyped-def]
    """Alertmanager without send_resolved stops listing a resolved alert: it counts as
    resolved, with a note naming it; when it comes back it is new firing again."""
    runtime, url = served
    incident_id = post(url, payload(disk(1), disk(2), disk(3))).json()["incident"]
    assert post(url, payload(disk(1), disk(2))).json()["change"] == "updated"
    card = runtime.incidents.card(incident_id)
    assert ("firing", "2") in card.fields and ("resolved", "1") in card.fields
    notes = [e.note for e in runtime.incidents.engine.timeline(incident_id) if e.note]
    assert "1 resolved; 2 firing in total. Resolved: mountpoint=/d3" in notes
    assert post(url, payload(disk(1), disk(2), disk(3))).json()["change"] == "updated"
    assert ("firing", "3") in runtime.incidents.card(incident_id).fields
    notes = [e.note for e in runtime.incidents.engine.timeline(incident_id) if e.note]
    assert "1 new firing; 3 firing in total. Firing: mountpoint=/d3" in notes


def test_truncated_group_counts_what_was_left_out(served) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    body = payload(*(disk(n) for n in range(200)))
    body["truncatedAlerts"] = 1000
    answer = post(url, body, timeout=60).json()
    assert answer["change"] == "opened"
    card = runtime.incidents.card(answer["incident"])
    assert card.title == "Disks are filling up on web-1 (1,200 alerts, 200 shown)"
    assert ("firing", "200") in card.fields
    assert ("truncated", "1,000 more alerts not sent") in card.fields
    # a truncated webhook does not list the whole group: nothing missing counts as resolved
    smaller = payload(*(disk(n) for n in range(150)))
    smaller["truncatedAlerts"] = 1050
    assert post(url, smaller, timeout=60).json()["change"] == "updated"
    card = runtime.incidents.card(answer["incident"])
    assert card.title == "Disks are filling up on web-1 (1,200 alerts, 150 shown)"
    assert ("firing", "200") in card.fields and not any(k == "resolved" for k, _ in card.fields)


def test_show_json_has_the_final_counts(tmp_path: Path, make_runtime) -> None:  # type: ignore[no-untyped-def]
    """`opsbot incidents show --json`, as a person types it, after the group resolved."""
    from bot.incidents.alertmanager import parse_payload

    runtime = make_runtime(data_dir=tmp_path / "data")
    runtime.incidents.disable_triage()
    incident_id, change = runtime.incidents.ingest_alertmanager(
        parse_payload(payload(disk(1), disk(2), disk(3)))
    )
    assert change == "opened"
    runtime.incidents.ingest_alertmanager(parse_payload(payload(*(disk(n) for n in (1, 2, 3, 4)))))
    done = payload(*(disk(n, "resolved") for n in (1, 2, 3, 4)))
    assert runtime.incidents.ingest_alertmanager(parse_payload(done)) == (incident_id, "resolved")
    runtime.close()

    shown = opsbot_cli(tmp_path, env_for(tmp_path), "incidents", "show", str(incident_id), "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (
        data["title"] == "Disks are filling up on web-1 (4 alerts)" and data["status"] == "resolved"
    )
    assert data["fields"][:2] == [["firing", "0"], ["resolved", "4"]]
