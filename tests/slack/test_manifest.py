"""The app manifest asks for exactly the scopes and events opsbot uses, and is valid YAML in
both of its modes."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "manifest.yml"

# Web API methods opsbot calls (bot/slack) and the scope each needs
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
}
NO_SCOPE_EVENTS = {"app_home_opened"}  # the App Home (bot/slack/home_tab.py)
OTHER_SCOPES = {"commands", "chat:write.public"}  # /ops; posting where opsbot has not joined


def test_scopes_and_events_are_exactly_those_used() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == set(EVENT_SCOPES) | NO_SCOPE_EVENTS
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert scopes == set(METHOD_SCOPES.values()) | set(EVENT_SCOPES.values()) | OTHER_SCOPES
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ops"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_http_mode_variant_is_valid() -> None:
    """Uncommenting the request URLs as the header explains gives a valid HTTP-mode manifest."""
    text = MANIFEST.read_text().replace("# request_url:", "request_url:").replace("# url:", "url:")
    text = text.replace("socket_mode_enabled: true", "socket_mode_enabled: false")
    manifest = yaml.safe_load(text)
    url = "https://opsbot.example.com/slack/events"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url
    assert manifest["features"]["slash_commands"][0]["url"] == url


def test_the_bot_calls_only_methods_with_a_scope() -> None:
    """Every Web API method named in bot/slack is covered by a scope above (auth.test,
    apps.connections.open, views.open, views.publish and chat.getPermalink need none)."""
    import re

    source = "\n".join(p.read_text() for p in (MANIFEST.parent / "slack").glob("*.py"))
    called = set(re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", source))
    methods = {name.replace("_", ".") for name in called}
    methods.discard("files.upload.v2")  # files_upload_v2 = getUploadURLExternal + complete
    assert methods - set(METHOD_SCOPES) <= {
        "auth.test",
        "views.open",
        "views.publish",
        "chat.getPermalink",
    }
