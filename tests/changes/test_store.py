"""The change log store on a migrated SQLite file and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.clock import utcnow
from core.errors import Invalid
from tools.changes.store import ChangeKind, ChangeStore


def test_record_and_list_filters_by_window_target_and_kind(engine: Any) -> None:
    store = ChangeStore(engine)
    now = utcnow()
    store.record(ChangeKind.DEPLOY, "checkout", after="1.2", who="ci", at=now - timedelta(hours=3))
    alias = store.record(ChangeKind.MODEL_ALIAS, "churn", before="3", after="4", who="ana")
    store.record(ChangeKind.DEPLOY, "checkout", after="1.3", who="ci", via="http")

    recent = store.list(since=now - timedelta(hours=1))
    assert [c.after for c in recent] == ["1.3", "4"]
    assert recent[1] == alias and alias.at.tzinfo is not None
    assert [c.after for c in store.list(since=now - timedelta(days=1), target="checkout")] == [
        "1.3",
        "1.2",
    ]
    assert store.list(since=now - timedelta(days=1), kind=ChangeKind.MODEL_ALIAS) == [alias]
    assert len(store.list(since=now - timedelta(days=1), limit=1)) == 1
    assert (
        store.list(since=now - timedelta(days=1), until=now - timedelta(hours=1))[0].after == "1.2"
    )


def test_bad_kind_and_empty_target_are_clear_errors(engine: Any) -> None:
    with pytest.raises(Invalid, match="use one of: model_alias"):
        ChangeKind.parse("deploys")
    with pytest.raises(Invalid, match="needs a target"):
        ChangeStore(engine).record(ChangeKind.CONFIG, "  ")
