"""GET /prompts/{name} over real HTTP on 127.0.0.1: token, ETag/304, 404s, and freshness
after label moves made by this process or by another one."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.http.app import create_app
from bot.http.prompts import etag_matches, prompts_routes
from bot.http.server import HttpServer
from bot.storage.db import make_engine
from tools.prompts.demo import seed_demo
from tools.prompts.store import PromptStore

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def served(make_runtime, database_url) -> Iterator[tuple[httpx.Client, object]]:  # type: ignore[no-untyped-def]
    runtime = make_runtime(prompts_api_token=TOKEN, database_url=database_url)
    seed_demo(runtime.prompts)
    server = HttpServer(
        create_app(runtime.http_deps(), prompts_routes(runtime.http_deps())), "127.0.0.1", 0
    )
    port = server.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client, runtime
    server.stop()


def test_serves_the_production_version_with_an_etag_and_304(served) -> None:  # type: ignore[no-untyped-def]
    client, _ = served
    response = client.get("/prompts/support-triage", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "support-triage" and body["version"] == 2
    assert body["label"] == "production" and body["type"] == "text"
    assert body["variables"] == ["product", "tier", "ticket"]
    assert body["config"]["model"] == "claude-haiku-4-5"
    assert "{{ ticket }}" in body["template"]
    etag = response.headers["etag"]
    assert etag == f'"{body["sha256"]}"' and len(body["sha256"]) == 64
    assert response.headers["cache-control"] == "no-cache"
    again = client.get("/prompts/support-triage", headers=AUTH | {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    weak = client.get("/prompts/support-triage", headers=AUTH | {"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = client.get("/prompts/support-triage", headers=AUTH | {"If-None-Match": '"stale"'})
    assert other.status_code == 200


def test_by_label_and_by_version_and_chat_prompts(served) -> None:  # type: ignore[no-untyped-def]
    client, _ = served
    v3 = client.get("/prompts/support-triage", params={"version": "3"}, headers=AUTH).json()
    assert v3["version"] == 3 and v3["label"] is None
    latest = client.get("/prompts/support-triage", params={"label": "latest"}, headers=AUTH).json()
    assert latest["version"] == 3
    chat = client.get("/prompts/incident-summary", params={"label": "staging"}, headers=AUTH).json()
    assert chat["type"] == "chat" and chat["version"] == 2
    assert [m["role"] for m in chat["template"]] == ["system", "user"]


def test_auth_is_required(served) -> None:  # type: ignore[no-untyped-def]
    client, _ = served
    missing = client.get("/prompts/support-triage")
    assert missing.status_code == 401
    assert missing.json() == {"error": "missing or invalid bearer token"}
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for header in (f"Bearer {TOKEN}x", "Bearer", f"Basic {TOKEN}", TOKEN, "Bearer wrong"):
        assert (
            client.get("/prompts/support-triage", headers={"Authorization": header}).status_code
            == 401
        )
    # unauthorised callers learn nothing about which prompts exist
    assert client.get("/prompts/nope").status_code == 401
    assert (
        client.get(
            "/prompts/support-triage", headers={"authorization": f"bearer {TOKEN}"}
        ).status_code
        == 200
    )


def test_unknown_names_labels_and_versions_are_404_json(served) -> None:  # type: ignore[no-untyped-def]
    client, _ = served
    unknown = client.get("/prompts/support-triag", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json()["error"].startswith(
        "unknown prompt 'support-triag'; did you mean support-triage"
    )
    label = client.get("/prompts/support-triage", params={"label": "canary"}, headers=AUTH)
    assert label.status_code == 404 and "has no label 'canary'" in label.json()["error"]
    version = client.get("/prompts/support-triage", params={"version": "9"}, headers=AUTH)
    assert version.status_code == 404 and "has no version 9" in version.json()["error"]
    bad = client.get("/prompts/support-triage", params={"version": "abc"}, headers=AUTH)
    assert bad.status_code == 400 and "invalid version 'abc'" in bad.json()["error"]
    both = client.get(
        "/prompts/support-triage", params={"version": "1", "label": "x"}, headers=AUTH
    )
    assert both.status_code == 400 and "not both" in both.json()["error"]
    name = client.get("/prompts/bad%20name", headers=AUTH)
    assert name.status_code == 400 and "invalid prompt name" in name.json()["error"]


def test_a_label_move_is_served_on_the_next_request(served, database_url, data_dir) -> None:  # type: ignore[no-untyped-def]
    client, runtime = served
    first = client.get("/prompts/support-triage", headers=AUTH)
    assert first.json()["version"] == 2
    etag = first.headers["etag"]
    # in this process: the store evicts the cache at once
    runtime.prompts.set_label("support-triage", "production", 3, actor="U1")
    moved = client.get("/prompts/support-triage", headers=AUTH | {"If-None-Match": etag})
    assert moved.status_code == 200 and moved.json()["version"] == 3
    # from another process (its own engine and store, no shared memory): revalidated by revision
    url = database_url or f"sqlite:///{data_dir / 'opsbot.sqlite3'}"
    engine = make_engine(url)
    try:
        PromptStore(engine).set_label("support-triage", "production", actor="U2")  # rollback
    finally:
        engine.dispose()
    back = client.get(
        "/prompts/support-triage", headers=AUTH | {"If-None-Match": moved.headers["etag"]}
    )
    assert back.status_code == 200 and back.json()["version"] == 2
    assert back.headers["etag"] == etag


def test_deleted_prompts_and_versions_disappear_at_once(served) -> None:  # type: ignore[no-untyped-def]
    client, runtime = served
    store = runtime.prompts
    store.create_version("short-lived", "hi {{ x }}", "m", author="U")
    assert (
        client.get("/prompts/short-lived", params={"label": "latest"}, headers=AUTH).status_code
        == 200
    )
    assert (
        client.get("/prompts/support-triage", params={"version": "3"}, headers=AUTH).status_code
        == 200
    )
    store.delete_version("support-triage", 3, actor="U")
    gone = client.get("/prompts/support-triage", params={"version": "3"}, headers=AUTH)
    assert gone.status_code == 404 and "was deleted" in gone.json()["error"]
    store.delete_prompt("short-lived", actor="U")
    dead = client.get("/prompts/short-lived", params={"label": "latest"}, headers=AUTH)
    assert dead.status_code == 404 and "it was deleted" in dead.json()["error"]


def test_serving_is_off_without_a_token(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    server = HttpServer(
        create_app(runtime.http_deps(), prompts_routes(runtime.http_deps())), "127.0.0.1", 0
    )
    port = server.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/prompts/opsbot-system", timeout=10)
    finally:
        server.stop()
    assert response.status_code == 404
    assert response.json() == {"error": "prompt serving is off: set PROMPTS_API_TOKEN to enable it"}


def test_etag_matching_rules() -> None:
    assert etag_matches('"a"', '"a"')
    assert etag_matches('W/"a"', '"a"')
    assert etag_matches('"b" , "a"', '"a"')
    assert etag_matches("*", '"a"')
    assert not etag_matches('"ab"', '"a"')


@pytest.mark.parametrize(
    "target",
    [
        "/prompts/support%00triage",
        "/prompts/support-triage?label=prod%00uction",
        "/prompts/support-triage?version=%003",
        "/prompts/support-triage?label=%ED%A0%80",  # the UTF-8 bytes of a lone surrogate
        "/prompts/support-triage?label=%FF",
        "/prompts/%FF",
    ],
)
def test_nul_and_non_utf8_in_names_and_labels_get_400(served, target) -> None:  # type: ignore[no-untyped-def]
    client, _ = served
    response = client.get(target, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert client.get("/prompts/support-triage", headers=AUTH).status_code == 200
