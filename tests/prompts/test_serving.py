"""PromptServer: the served document names the label it was asked for."""

from __future__ import annotations

import json

from tests.prompts.conftest import make_versions
from tools.prompts.serving import PromptServer
from tools.prompts.store import PromptStore


def test_the_body_names_any_label_even_one_starting_with_v(store: PromptStore) -> None:
    make_versions(store)
    store.set_label("triage", "verified", 2, actor="U1")
    server = PromptServer(store)
    try:
        served = json.loads(server.fetch("triage", label="verified").body)
        assert served["version"] == 2 and served["label"] == "verified"
        by_number = json.loads(server.fetch("triage", version="v2").body)
        assert by_number["version"] == 2 and by_number["label"] is None
    finally:
        server.close()
