"""An emulator of the Slack Web API (and of Socket Mode) on 127.0.0.1, for SLACK_API_URL.

The bot reaches it exactly as it would reach slack.com: `SLACK_API_URL=<emulator.url>` makes
slack_sdk's `WebClient` call `<url>chat.postMessage` and so on. Each method answers in Slack's
response shape (HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": "..."}`) and
checks what Slack checks that matters to us: tokens, the message it updates exists, Block
Kit limits (50 blocks, 3,000-character text blocks, 2,000-character button values).

Every call is recorded (`calls`, `calls_to(method)`), with the time it arrived, so tests can
check what was posted, in which thread, and when. Switches:

- `rate_limit(method, times=N, retry_after=S)`: the next N calls of `method` get HTTP 429 with
  `Retry-After: S` and `{"ok": false, "error": "ratelimited"}`.
- `fail_auth()`: every method answers `invalid_auth` (a revoked or wrong token).
- `fail(method, error, times=N)`: the next N calls of `method` answer that Slack error.
- `drop(method, times=N)`: the next N calls of `method` get their connection closed with no
  answer at all (what a network blip looks like to the client).

Other endpoints: `response_url(key)` gives a URL for slash-command / button `response_url`s
(posts land in `responses`; like Slack's, each takes 5 posts, then answers HTTP 404
`used_url`, and `expire_response(key)` makes it answer 404 `expired_url`, as after 30 minutes); `files.getUploadURLExternal` hands out `<base>/upload/<file_id>`
URLs whose uploads land in `uploads`. `views.open` checks the trigger (format, used once) and
the modal as Slack does (`view_problems`), and keeps what it opened in `views`; `views.publish`
checks a home view (`home_view_problems`) and keeps each user's last one in `home_views`. `SocketModeEmulator` is a WebSocket server that plays
Slack's side of Socket Mode; `apps.connections.open` returns its URL when `socket_url` is set.

Run it alone (manual tries, or benchmarks that keep it out of the measuring process):
`python -m tests.emulators.slack [--bot-user U0BOT]` prints its URL; `GET <base>/_emulator/calls`
returns the call log as JSON (`at` is time.monotonic(), comparable across processes).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TEAM = "T0G9PQBBK"
DEFAULT_BOT_USER = "U0BOT"
DEFAULT_BOT_ID = "B0BOT"

# Block Kit limits Slack enforces (https://docs.slack.dev/reference/block-kit/blocks)
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75
MAX_ID = 255
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_MESSAGE_TEXT = 40_000
RESPONSE_URL_USES = 5  # posts one response_url accepts (within 30 minutes)
# modals (https://docs.slack.dev/reference/views/modal-views, the input block and
# plain_text_input element pages)
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24  # also the submit and close buttons
MAX_PRIVATE_METADATA = 3000
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_VIEW_BYTES = 250_000
TRIGGER_ID = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")  # "132456.7890123.abcdef"


@dataclass
class Call:
    """One request the emulator received."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float  # time.monotonic() on arrival
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


def block_problems(blocks: Any) -> list[str]:
    """Why Slack would answer `invalid_blocks` for these blocks (empty list: valid)."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MAX_BLOCKS}")
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict) or "type" not in block:
            problems.append(f"{where}: not a block object")
            continue
        kind = block["type"]
        if len(str(block.get("block_id", ""))) > MAX_ID:
            problems.append(f"{where}: block_id longer than {MAX_ID}")
        if kind == "section":
            text = (block.get("text") or {}).get("text", "")
            fields = block.get("fields") or []
            if not text and not fields:
                problems.append(f"{where}: section without text or fields")
            if len(text) > MAX_SECTION_TEXT:
                problems.append(f"{where}: text of {len(text)} chars, more than {MAX_SECTION_TEXT}")
            if len(fields) > MAX_FIELDS:
                problems.append(f"{where}: {len(fields)} fields, more than {MAX_FIELDS}")
            for f_index, item in enumerate(fields):
                if len(item.get("text", "")) > MAX_FIELD_TEXT:
                    problems.append(f"{where}.fields[{f_index}]: more than {MAX_FIELD_TEXT} chars")
            accessory = block.get("accessory")
            if accessory:
                problems.extend(_element_problems(accessory, f"{where}.accessory"))
        elif kind == "header":
            text = (block.get("text") or {}).get("text", "")
            if (block.get("text") or {}).get("type") != "plain_text":
                problems.append(f"{where}: header text must be plain_text")
            if len(text) > MAX_HEADER_TEXT:
                problems.append(
                    f"{where}: header of {len(text)} chars, more than {MAX_HEADER_TEXT}"
                )
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"{where}: context needs 1..{MAX_CONTEXT_ELEMENTS} elements")
            for item in elements:
                if len(item.get("text", "")) > MAX_SECTION_TEXT:
                    problems.append(f"{where}: context text longer than {MAX_SECTION_TEXT}")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > MAX_ACTION_ELEMENTS:
                problems.append(f"{where}: actions needs 1..{MAX_ACTION_ELEMENTS} elements")
            for e_index, element in enumerate(elements):
                problems.extend(_element_problems(element, f"{where}.elements[{e_index}]"))
        elif kind not in ("divider", "image", "rich_text", "file", "input", "video", "table"):
            problems.append(f"{where}: unknown block type {kind!r}")
    return problems


def _plain_text_problems(value: Any, where: str, limit: int) -> list[str]:
    if not isinstance(value, dict) or value.get("type") != "plain_text":
        return [f"{where} must be a plain_text object"]
    text = str(value.get("text") or "")
    if not text.strip():
        return [f"{where} is empty"]
    if len(text) > limit:
        return [f"{where} is {len(text)} chars, more than {limit}"]
    return []


def view_problems(view: Any, kind: str = "modal") -> list[str]:
    """Why `views.open` would answer `invalid_arguments` for this modal, or `views.publish`
    for this home view (kind "home": no title, buttons or inputs); empty: valid."""
    if not isinstance(view, dict):
        return ["view must be a JSON object"]
    problems: list[str] = []
    if view.get("type") != kind:
        problems.append(f"type must be {kind!r}, got {view.get('type')!r}")
    if kind == "modal":
        problems.extend(_plain_text_problems(view.get("title"), "title", MAX_VIEW_TITLE))
    for button in ("submit", "close"):
        if button in view:
            problems.extend(_plain_text_problems(view[button], button, MAX_VIEW_TITLE))
    if len(str(view.get("callback_id", ""))) > MAX_ID:
        problems.append(f"callback_id longer than {MAX_ID}")
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        problems.append(f"private_metadata longer than {MAX_PRIVATE_METADATA}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "blocks must be a non-empty list"]
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MAX_VIEW_BLOCKS}")
    # a modal takes MAX_VIEW_BLOCKS, a message MAX_BLOCKS: the rest is checked as for a message
    problems.extend(p for p in block_problems(blocks) if not p.endswith(f"than {MAX_BLOCKS}"))
    inputs = [b for b in blocks if isinstance(b, dict) and b.get("type") == "input"]
    if inputs and kind == "modal" and "submit" not in view:
        problems.append("a modal with input blocks needs a submit button")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("block_ids must be unique")
    for index, block in enumerate(blocks):
        if isinstance(block, dict) and block.get("type") == "input":
            problems.extend(_input_problems(block, f"blocks[{index}]"))
    return problems


def home_view_problems(view: Any) -> list[str]:
    """Why `views.publish` would answer `invalid_arguments` for this home view (empty: valid)."""
    return view_problems(view, "home")


def _input_problems(block: dict[str, Any], where: str) -> list[str]:
    problems = _plain_text_problems(block.get("label"), f"{where}.label", MAX_LABEL)
    if "hint" in block:
        problems.extend(_plain_text_problems(block["hint"], f"{where}.hint", MAX_LABEL))
    element = block.get("element")
    if not isinstance(element, dict) or not element.get("type"):
        return [*problems, f"{where}: an input block needs an element"]
    if not element.get("action_id"):
        problems.append(f"{where}.element: action_id is missing")
    if "placeholder" in element:
        problems.extend(
            _plain_text_problems(element["placeholder"], f"{where}.placeholder", MAX_PLACEHOLDER)
        )
    if element["type"] == "checkboxes":
        options = element.get("options") or []
        if not 1 <= len(options) <= 10:
            problems.append(f"{where}.element: checkboxes take 1..10 options")
    elif element["type"] not in (
        "plain_text_input", "static_select", "multi_static_select", "users_select",
        "multi_users_select", "conversations_select", "datepicker", "timepicker",
        "datetimepicker", "radio_buttons", "number_input", "rich_text_input",
    ):  # fmt: skip
        problems.append(f"{where}.element: {element['type']!r} is not an input element")
    problems.extend(_element_problems(element, f"{where}.element"))
    return problems


def _element_problems(element: dict[str, Any], where: str) -> list[str]:
    problems = []
    if element.get("type") == "button":
        if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
            problems.append(f"{where}: button value longer than {MAX_BUTTON_VALUE}")
        if len((element.get("text") or {}).get("text", "")) > MAX_BUTTON_TEXT:
            problems.append(f"{where}: button text longer than {MAX_BUTTON_TEXT}")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}: style must be primary or danger")
    if len(str(element.get("action_id", ""))) > MAX_ID:
        problems.append(f"{where}: action_id longer than {MAX_ID}")
    return problems


class SlackApiFailure(Exception):
    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}


class SlackEmulator:
    """The Slack Web API on 127.0.0.1. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        team_id: str = DEFAULT_TEAM,
        bot_user_id: str = DEFAULT_BOT_USER,
        bot_id: str = DEFAULT_BOT_ID,
        usergroups: dict[str, list[str]] | None = None,
        users: dict[str, str] | None = None,
        unknown_channels: tuple[str, ...] = (),
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.usergroups: dict[str, list[str]] = dict(usergroups or {})
        self.users: dict[str, str] = dict(users or {})  # id -> display name
        self.unknown_channels = set(unknown_channels)
        self.socket_url: str | None = None
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # posts to response_url(s)
        self._response_uses: dict[str, int] = {}  # response_url key -> posts accepted
        self._expired_responses: set[str] = set()
        self.uploads: dict[str, bytes] = {}
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the modal as opened
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> last published home
        self._triggers: set[str] = set()  # trigger_ids already exchanged
        self._views = itertools.count(1)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._rate_limits: dict[str, list[int]] = {}  # method -> [remaining, retry_after]
        self._failures: dict[str, list[Any]] = {}  # method -> [remaining, error]
        self._drops: dict[str, int] = {}  # method -> remaining
        self._auth_broken = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ lifecycle
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The value for SLACK_API_URL."""
        return self.base + "/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    def start(self) -> SlackEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ switches
    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and Retry-After."""
        with self._lock:
            self._rate_limits[method] = [times, retry_after]

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        with self._lock:
            self._failures[method] = [times, error]

    def drop(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next `times` calls of `method`."""
        with self._lock:
            self._drops[method] = times

    def expire_response(self, key: str) -> None:
        """`response_url(key)` answers 404 `expired_url` from now on (its 30 minutes are up)."""
        with self._lock:
            self._expired_responses.add(key)

    def fail_auth(self, broken: bool = True) -> None:
        """Every method answers invalid_auth while set."""
        with self._lock:
            self._auth_broken = broken

    # ------------------------------------------------------------------ queries
    def calls_to(self, method: str, **match: Any) -> list[Call]:
        """Recorded calls of `method` whose params include every `match` item."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method and all(c.params.get(k) == v for k, v in match.items())
            ]

    def posts(self, channel: str | None = None, thread_ts: str | None = None) -> list[Call]:
        """Successful chat.postMessage calls, optionally in one channel / thread."""
        found = [c for c in self.calls_to("chat.postMessage") if c.ok]
        if channel is not None:
            found = [c for c in found if c.params.get("channel") == channel]
        if thread_ts is not None:
            found = [c for c in found if c.params.get("thread_ts") == thread_ts]
        return found

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self.messages.get((channel, ts))
            return json.loads(json.dumps(stored)) if stored else None

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Messages currently in a thread (root first), as updated."""
        with self._lock:
            found = [
                m
                for (ch, _), m in self.messages.items()
                if ch == channel and (m.get("thread_ts") == thread_ts or m["ts"] == thread_ts)
            ]
            return json.loads(json.dumps(sorted(found, key=lambda m: _ts_key(m["ts"]))))

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition"
    ) -> Any:
        """Wait until predicate() is truthy; return its value or raise AssertionError."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; calls: "
                        + ", ".join(
                            f"{c.method}:{c.response.get('error', 'ok')}" for c in self.calls[-30:]
                        )
                    )
                self._changed.wait(min(remaining, 0.2))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.ephemerals.clear()
            self.responses.clear()
            self._response_uses.clear()
            self._expired_responses.clear()
            self._rate_limits.clear()
            self._failures.clear()
            self._drops.clear()
            self._auth_broken = False

    # ------------------------------------------------------------------ methods
    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if not token or not token.startswith("xapp-"):
                raise SlackApiFailure("not_allowed_token_type")
        elif not token:
            raise SlackApiFailure("not_authed")
        elif not token.startswith(("xoxb-", "xoxp-")):
            raise SlackApiFailure("invalid_auth")
        if self._auth_broken:
            raise SlackApiFailure("invalid_auth")
        failure = self._failures.get(method)
        if failure and failure[0] > 0:
            failure[0] -= 1
            raise SlackApiFailure(failure[1])
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            raise SlackApiFailure("unknown_method")
        return {"ok": True, **handler(params)}

    def _check_channel(self, channel: Any) -> str:
        if not channel:
            raise SlackApiFailure("channel_not_found")
        if channel in self.unknown_channels:
            raise SlackApiFailure("channel_not_found")
        return str(channel)

    def _check_content(self, params: dict[str, Any]) -> Any:
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not params.get("text") and not blocks:
            raise SlackApiFailure("no_text")
        if len(str(params.get("text") or "")) > MAX_MESSAGE_TEXT:
            raise SlackApiFailure("msg_too_long")
        if block_problems(blocks):
            raise SlackApiFailure("invalid_blocks")
        return blocks

    def _m_auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://emulated.slack.com/",
            "team": "Emulated Workspace",
            "user": "opsbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._check_channel(params.get("channel"))
        blocks = self._check_content(params)
        ts = self._new_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": "A111",
            "text": params.get("text") or "",
            "ts": ts,
            "team": self.team_id,
        }
        if blocks:
            message["blocks"] = blocks
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        self.messages[(channel, ts)] = dict(message, channel=channel)
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._check_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        stored = self.messages.get((channel, ts))
        if stored is None:
            raise SlackApiFailure("message_not_found")
        if stored.get("user") != self.bot_user_id:
            raise SlackApiFailure("cant_update_message")
        blocks = self._check_content(params)
        stored["text"] = params.get("text") or ""
        stored["blocks"] = blocks or []
        stored["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        return {"channel": channel, "ts": ts, "text": stored["text"], "message": stored}

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._check_channel(params.get("channel"))
        if not params.get("user"):
            raise SlackApiFailure("user_not_found")
        self._check_content(params)
        ts = self._new_ts()
        self.ephemerals.append(dict(params, channel=channel, message_ts=ts))
        return {"message_ts": ts}

    def _m_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._check_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        if self.messages.pop((channel, ts), None) is None:
            raise SlackApiFailure("message_not_found")
        return {"channel": channel, "ts": ts}

    def _m_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.messages.get((str(params.get("channel")), str(params.get("timestamp"))))
        if stored is None:
            raise SlackApiFailure("message_not_found")
        reactions = stored.setdefault("reactions", [])
        if params.get("name") in reactions:
            raise SlackApiFailure("already_reacted")
        reactions.append(params.get("name"))
        return {}

    def _m_reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.messages.get((str(params.get("channel")), str(params.get("timestamp"))))
        if stored is None:
            raise SlackApiFailure("message_not_found")
        reactions = stored.setdefault("reactions", [])
        if params.get("name") not in reactions:
            raise SlackApiFailure("no_reaction")
        reactions.remove(params.get("name"))
        return {}

    def _m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._check_channel(params.get("channel"))
        messages = [
            {k: v for k, v in m.items() if k != "channel"}
            for m in self.thread(channel, str(params.get("ts")))
        ]
        if not messages:
            raise SlackApiFailure("thread_not_found")
        return {"messages": messages, "has_more": False}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user") or "")
        if user not in self.users:
            raise SlackApiFailure("user_not_found")
        name = self.users[user]
        return {
            "user": {
                "id": user,
                "team_id": self.team_id,
                "name": name.lower().replace(" ", "."),
                "real_name": name,
                "is_bot": False,
                "profile": {"display_name": name, "real_name": name},
            }
        }

    def _m_usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = str(params.get("usergroup") or "")
        if group not in self.usergroups:
            raise SlackApiFailure("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            raise SlackApiFailure("invalid_arguments")
        file_id = f"F{next(self._files):08d}"
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not files:
            raise SlackApiFailure("invalid_arguments")
        out = []
        for item in files:
            if item["id"] not in self.uploads:
                raise SlackApiFailure("file_not_found")
            out.append(
                {
                    "id": item["id"],
                    "title": item.get("title") or "",
                    "size": len(self.uploads[item["id"]]),
                }
            )
        return {"files": out}

    @staticmethod
    def _view_param(params: dict[str, Any]) -> Any:
        view = params.get("view")
        if isinstance(view, str):
            if len(view.encode()) > MAX_VIEW_BYTES:
                raise SlackApiFailure("view_too_large")
            try:
                return json.loads(view)
            except ValueError:
                raise SlackApiFailure("invalid_arguments") from None
        return view

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = str(params.get("trigger_id") or "")
        if not trigger:
            raise SlackApiFailure("invalid_arguments")
        if not TRIGGER_ID.match(trigger):
            raise SlackApiFailure("invalid_trigger_id")
        if trigger in self._triggers:
            raise SlackApiFailure("exchanged_trigger_id")
        view = self._view_param(params)
        if view_problems(view):
            raise SlackApiFailure("invalid_arguments")
        self._triggers.add(trigger)
        view_id = f"V{next(self._views):08d}"
        opened = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._ts):08x}",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": "A111",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self.views[view_id] = opened
        return {"view": opened}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("user_id") or "")
        if not user:
            raise SlackApiFailure("invalid_arguments")
        if not user.startswith(("U", "W")):
            raise SlackApiFailure("user_not_found")
        view = self._view_param(params)
        if home_view_problems(view):
            raise SlackApiFailure("invalid_arguments")
        view_id = f"V{next(self._views):08d}"
        published = {"id": view_id, "team_id": self.team_id, **view, "app_id": "A111"}
        self.home_views[user] = published
        return {"view": published}

    def _m_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._check_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if (channel, ts) not in self.messages:
            raise SlackApiFailure("message_not_found")
        return {
            "channel": channel,
            "permalink": f"{self.base}/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _m_apps_connections_open(self, _: dict[str, Any]) -> dict[str, Any]:
        if not self.socket_url:
            raise SlackApiFailure("internal_error")
        return {"url": self.socket_url}

    # ------------------------------------------------------------------ HTTP plumbing
    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(body, bytes) else "application/json"
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:
                if self.path == "/_emulator/calls":
                    with emulator._lock:
                        log = [
                            {
                                "method": c.method,
                                "params": c.params,
                                "status": c.status,
                                "response": c.response,
                                "at": c.at,
                            }
                            for c in emulator.calls
                        ]
                    self._send(200, json.dumps(log, default=str).encode())
                    return
                self._serve(b"")

            def do_POST(self) -> None:
                self._serve(self._body())

            def _serve(self, raw: bytes) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                path = parsed.path
                if path.startswith("/upload/"):
                    file_id = path.rsplit("/", 1)[1]
                    with emulator._lock:
                        emulator.uploads[file_id] = raw
                    emulator._record(
                        Call(
                            "upload",
                            {"file_id": file_id, "bytes": len(raw)},
                            None,
                            time.monotonic(),
                        )
                    )
                    self._send(200, f"OK - {len(raw)}".encode())
                    return
                if path.startswith("/response/"):
                    key = path.split("/", 2)[2]
                    try:
                        payload = json.loads(raw or b"{}")
                    except json.JSONDecodeError:
                        self._send(400, b"invalid_payload")
                        return
                    call = Call("response_url", {"key": key, **payload}, None, time.monotonic())
                    with emulator._changed:
                        uses = emulator._response_uses.get(key, 0)
                        if key in emulator._expired_responses:
                            call.status, call.response = 404, {"ok": False, "error": "expired_url"}
                        elif uses >= RESPONSE_URL_USES:
                            call.status, call.response = 404, {"ok": False, "error": "used_url"}
                        else:
                            emulator._response_uses[key] = uses + 1
                            emulator.responses.append({"key": key, **payload})
                            call.response = {"ok": True}
                    emulator._record(call)
                    if call.status != 200:
                        self._send(call.status, str(call.response["error"]).encode())
                        return
                    self._send(200, b"ok")
                    return
                if not path.startswith("/api/"):
                    self._send(404, b"not found")
                    return
                method = path[len("/api/") :]
                params = self._params(parsed.query, raw)
                token = self._token(params)
                call = Call(method, params, token, time.monotonic())
                with emulator._lock:
                    if emulator._drops.get(method, 0) > 0:
                        emulator._drops[method] -= 1
                        call.status = 0
                        call.response = {"ok": False, "error": "connection_dropped"}
                        emulator._record(call)
                        self.close_connection = True
                        return
                    limit = emulator._rate_limits.get(method)
                    if limit and limit[0] > 0:
                        limit[0] -= 1
                        call.status = 429
                        call.response = {"ok": False, "error": "ratelimited"}
                        emulator._record(call)
                        self._send(429, call.response, {"Retry-After": str(limit[1])})
                        return
                    try:
                        call.response = emulator._dispatch(method, params, token)
                    except SlackApiFailure as exc:
                        call.status = exc.status
                        call.response = {"ok": False, "error": exc.error}
                    except Exception as exc:  # a bug in the emulator: show it to the client
                        call.status = 500
                        call.response = {"ok": False, "error": f"emulator_error: {exc!r}"}
                emulator._record(call)
                self._send(call.status, call.response)

            def _params(self, query: str, raw: bytes) -> dict[str, Any]:
                params: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
                ctype = (self.headers.get("Content-Type") or "").lower()
                if raw and "json" in ctype:
                    params.update(json.loads(raw))
                elif raw:
                    params.update(dict(urllib.parse.parse_qsl(raw.decode())))
                return params

            def _token(self, params: dict[str, Any]) -> str | None:
                header = self.headers.get("Authorization") or ""
                if header.lower().startswith("bearer "):
                    return header[7:].strip()
                token = params.pop("token", None)
                return str(token) if token else None

        return Handler


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction or 0)


class SocketModeEmulator:
    """Slack's side of Socket Mode: a WebSocket server that greets each connection with
    `hello`, sends envelopes, and records the acknowledgements the app sends back."""

    def __init__(self) -> None:
        from websockets.sync.server import serve

        self.received: list[dict[str, Any]] = []
        self._connections: list[Any] = []
        self._lock = threading.Condition()
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=emulated"

    def start(self) -> SocketModeEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _handle(self, connection: Any) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "emulated", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A111"},
                }
            )
        )
        with self._lock:
            self._connections.append(connection)
            self._lock.notify_all()
        try:
            for message in connection:
                if isinstance(message, bytes):
                    message = message.decode()
                try:
                    data = json.loads(message)
                except json.JSONDecodeError:
                    data = {"raw": message}
                with self._lock:
                    self.received.append(data)
                    self._lock.notify_all()
        except Exception:  # the client went away: just forget the connection
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)

    def wait_connected(self, timeout: float = 20.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: self._connections, timeout):
                raise AssertionError(f"no Socket Mode connection within {timeout}s")

    def send(self, envelope: dict[str, Any]) -> None:
        with self._lock:
            connections = list(self._connections)
        if not connections:
            raise AssertionError("no Socket Mode client is connected")
        connections[0].send(json.dumps(envelope))

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._lock:
            if not self._lock.wait_for(found, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s")
            return found()  # type: ignore[return-value]


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[SlackEmulator]:
    emulator = SlackEmulator(**kwargs).start()
    try:
        yield emulator
    finally:
        emulator.stop()


if __name__ == "__main__":  # manual use: point SLACK_API_URL at the printed URL
    import argparse

    parser = argparse.ArgumentParser(description="Slack Web API emulator")
    parser.add_argument("--bot-user", default=DEFAULT_BOT_USER)
    options = parser.parse_args()
    with running(bot_user_id=options.bot_user) as emu:
        print(f"Slack Web API emulator at {emu.url} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
