"""Request body caps on every endpoint of the real `python -m bot run` process: 100 MB bodies
(declared, or chunked without a length) are refused with 413 (or 401 before reading, for an
unsigned Slack request) without the server reading them, and its RSS, measured with psutil,
stays where it was."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest

from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import sign
from tests.slack.process import Bot, bot_env
from tests.slack.rawhttp import push

BOT = "U0BOT"
AM_TOKEN = "am-token-0123456789"
PROMPTS_TOKEN = "prompts-token-0123456789"
HUNDRED_MB = 100 * 1024 * 1024
AM_CAP = 2 * 1024 * 1024  # ALERTMANAGER_MAX_BODY_BYTES of this process
GROWTH = 16 * 1024 * 1024  # "a few MiB": the old code grew by 360 MiB per 100 MB body


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    workdir = tmp_path_factory.mktemp("body-limits")
    data = workdir / "data"
    emulator = SlackEmulator(bot_user_id=BOT).start()
    env = bot_env(
        emulator,
        data,
        ALERTMANAGER_TOKEN=AM_TOKEN,
        PROMPTS_API_TOKEN=PROMPTS_TOKEN,
        ALERTMANAGER_MAX_BODY_BYTES=str(AM_CAP),
    )
    running = Bot(emulator, data, workdir, env)
    running.start()
    yield running
    running.stop()
    emulator.stop()


def _port(bot: Bot) -> int:
    return int(bot.env["PORT"])


def _rss(bot: Bot) -> int:
    assert bot.proc is not None
    return int(psutil.Process(bot.proc.pid).memory_info().rss)


def _settled_rss(bot: Bot) -> int:
    time.sleep(0.3)
    return _rss(bot)


def test_a_100_mb_unsigned_slack_body_is_refused_unread(bot: Bot) -> None:
    port = _port(bot)
    # warm up the route (lazy imports, first-request allocations) before the baseline
    assert push(port, "/slack/events", {"Content-Type": "application/json"}, 10).status == 401
    before = _settled_rss(bot)
    declared = push(port, "/slack/events", {"Content-Type": "application/json"}, HUNDRED_MB)
    assert declared.status == 413, declared.head
    assert b"larger than 1048576 bytes" in declared.body
    assert declared.sent < HUNDRED_MB // 2  # answered before the body, not after it
    # chunked, no signature headers: refused at once, before reading anything
    unsigned = push(
        port, "/slack/events", {"Content-Type": "application/json"}, HUNDRED_MB, chunked=True
    )
    assert unsigned.status == 401, unsigned.head
    assert unsigned.sent < HUNDRED_MB // 2
    # chunked with a fresh timestamp and some signature: read (and hashed) up to the cap only
    signed_looking = {"Content-Type": "application/json", **sign("whatever")}
    chunked = push(port, "/slack/events", signed_looking, HUNDRED_MB, chunked=True)
    assert chunked.status == 413, chunked.head
    assert chunked.sent < HUNDRED_MB // 2
    # a stale timestamp is refused before reading, whatever the body
    stale = {"Content-Type": "application/json", **sign("x", timestamp=int(time.time()) - 400)}
    assert push(port, "/slack/events", stale, HUNDRED_MB, chunked=True).status == 401
    grown = _settled_rss(bot) - before
    assert grown < GROWTH, f"RSS grew by {grown / 2**20:.1f} MiB"
    assert bot.alive()


def test_alertmanager_and_prompts_bodies_are_capped(bot: Bot) -> None:
    port = _port(bot)
    auth = {"Authorization": f"Bearer {AM_TOKEN}", "Content-Type": "application/json"}
    assert push(port, "/alerts/alertmanager", auth, 10).status == 400  # warm up
    before = _settled_rss(bot)
    declared = push(port, "/alerts/alertmanager", auth, HUNDRED_MB)
    assert declared.status == 413, declared.head
    assert f"larger than {AM_CAP} bytes".encode() in declared.body
    assert b"ALERTMANAGER_MAX_BODY_BYTES" in declared.body
    chunked = push(port, "/alerts/alertmanager", auth, HUNDRED_MB, chunked=True)
    assert chunked.status == 413, chunked.head
    assert chunked.sent < HUNDRED_MB // 2
    # no token: 401 before reading anything
    anonymous = push(
        port, "/alerts/alertmanager", {"Content-Type": "application/json"}, HUNDRED_MB, chunked=True
    )
    assert anonymous.status == 401
    # the prompts API and every other path have the default cap
    prompts = {"Authorization": f"Bearer {PROMPTS_TOKEN}"}
    got = push(port, "/prompts/support-triage", prompts, HUNDRED_MB, method="GET")
    assert got.status == 413, got.head
    assert push(port, "/nowhere", {}, HUNDRED_MB).status == 413
    grown = _settled_rss(bot) - before
    assert grown < GROWTH, f"RSS grew by {grown / 2**20:.1f} MiB"
    assert bot.alive()
