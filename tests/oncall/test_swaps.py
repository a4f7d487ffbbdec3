"""Swap requests in the database (SQLite and PostgreSQL): taking one is a compare-and-set
with its override, so two takers at once make one override."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.errors import Conflict, Invalid, Refused
from tools.oncall.model import on_call
from tools.oncall.store import OncallStore
from tools.oncall.swaps import TAKEN, SwapStore

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # sre: U2BB on call (U1AA 30 Nov, U3CC 2 Dec)


def stores(engine: Any) -> tuple[OncallStore, SwapStore]:
    oncall = OncallStore(engine)
    oncall.add_rotation("sre", people="U1AA,U2BB,U3CC,U4DD", every="daily", handoff="09:00",
                        tz="Europe/Berlin", start="2026-11-30")  # fmt: skip
    return oncall, SwapStore(engine, oncall)


def ask(swaps: SwapStore, **extra: Any) -> Any:
    values = {"requester": "U2BB", "start": NOW + timedelta(hours=2),
              "end": NOW + timedelta(hours=4), "reason": "dentist", "now": NOW} | extra  # fmt: skip
    return swaps.request("sre", **values)


def test_two_takers_at_once_make_one_override(engine: Any) -> None:
    oncall, swaps = stores(engine)
    swap = ask(swaps)
    barrier = threading.Barrier(3)
    results: dict[str, Any] = {}

    def take(user: str) -> None:
        barrier.wait()
        try:
            results[user] = swaps.take(swap.id, user, now=NOW)
        except Conflict as exc:
            results[user] = exc

    threads = [threading.Thread(target=take, args=(u,)) for u in ("U1AA", "U3CC", "U4DD")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [u for u, r in results.items() if not isinstance(r, Exception)]
    assert len(won) == 1 and len(results) == 3
    assert all("already taken by" in str(r) for r in results.values() if isinstance(r, Exception))
    (override,) = oncall.overrides("sre", swap.start, swap.end)
    assert override.user == won[0]
    final = swaps.get(swap.id)
    assert final.status == TAKEN and final.taken_by == won[0] and final.override_id == override.id
    assert on_call(oncall.schedule("sre"), [override], swap.start).primary == won[0]


def test_what_cannot_be_asked_or_taken(engine: Any) -> None:
    _, swaps = stores(engine)
    with pytest.raises(Invalid, match="at most 31 days"):
        ask(swaps, end=NOW + timedelta(days=40))
    with pytest.raises(Refused, match="you are not on call for sre"):
        ask(swaps, requester="U1AA")  # their shift was yesterday
    with pytest.raises(Invalid, match="not Slack user ids"):
        ask(swaps, requester="alice")
    swap = ask(swaps)
    with pytest.raises(Refused, match="someone else has to take it"):
        swaps.take(swap.id, "U2BB", now=NOW)
    with pytest.raises(Refused, match="its time has passed"):
        swaps.take(swap.id, "U1AA", now=NOW + timedelta(hours=5))
    with pytest.raises(
        Refused, match=r"only people of the sre rotation can take it \(U1AA, U3CC, U4DD\)"
    ):
        swaps.take(swap.id, "U9ZZ", now=NOW)
    assert swaps.get(swap.id).status == "open"
