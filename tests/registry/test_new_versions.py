"""A new model version: its metric diff against production, posted in Slack (the emulator), and
the promotion offered as a set_model_alias approval that an on-call click carries out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.monitors.new_versions import NewVersionAnnouncer
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.slack.render import SlackMessage
from tests.emulators.slack import SlackEmulator
from tests.slack.helpers import BOT_TOKEN, SECRET
from tools.registry.new_versions import NewVersions
from tools.registry.service import ModelRegistry

CHANNEL = "C0MODELS"


def register(registry: ModelRegistry, rmse: float, r2: float) -> int:
    made = registry.register_version(
        "churn", f"s3://models/churn/{rmse}", metrics={"rmse": rmse, "r2": r2}, creator="ana"
    )
    return made.version


def test_poll_learns_first_then_reports_new_versions_with_their_diff(
    registry: ModelRegistry,
) -> None:
    register(registry, 50.0, 0.80)
    register(registry, 48.0, 0.81)
    registry.set_alias("churn", "production", 2, actor="test")
    watch = NewVersions(registry)
    assert watch.poll() == []  # existing versions are not announced after a restart
    assert watch.seen == {"churn": 2}
    register(registry, 45.0, 0.79)
    (notice,) = watch.poll()
    assert notice.version.version == 3 and notice.alias == "production"
    assert notice.live is not None and notice.live.version == 2
    verdicts = {d.name: d.verdict for d in notice.deltas}
    assert verdicts == {"rmse": "better", "r2": "worse"}
    text = notice.text()
    assert text.startswith(
        "New version v3 of model churn (registered by ana), against production v2:"
    )
    assert "rmse: 45 vs 48 (-3, -6.2%, better)" in text
    assert "In short: better on rmse; worse on r2." in text
    assert watch.poll() == []  # announced once
    # a model created after the first poll is new with all its versions; nothing live: no diff
    registry.register_version("fraud", "s3://models/fraud/1", metrics={"auc": 0.9})
    (fresh,) = watch.poll()
    assert fresh.name == "fraud" and fresh.live is None and fresh.deltas == ()
    assert "Nothing is live under production yet; no diff." in fresh.text()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator().start()
    yield emulator
    emulator.stop()


def test_announced_in_slack_and_promoted_by_an_approval(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    runtime = Runtime(
        load_settings(
            data_dir=tmp_path,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            oncall_users="U0ONCALL",
        )
    )
    try:
        registry = runtime.registry
        register(registry, 50.0, 0.80)
        registry.set_alias("churn", "production", 1, actor="test")
        outbox = runtime.slack.outbox

        def post(text: str) -> tuple[str, str]:
            return CHANNEL, outbox.post(CHANNEL, SlackMessage(text=text))

        announcer = NewVersionAnnouncer(
            NewVersions(registry),
            runtime.approvals,
            lambda: runtime.toolbox.get("set_model_alias"),
            post,
            outbox.post_approval,
        )
        assert announcer.run() == []
        register(registry, 44.0, 0.83)
        (done,) = announcer.run()
        first, card = slack.posts(CHANNEL)[0], slack.posts(CHANNEL, thread_ts=done.ts)
        text: Any = first.params["text"]
        assert "New version v2 of model churn" in text and "rmse: 44 vs 50" in text
        assert "Promote it to production?" in text
        assert len(card) == 1  # the approval card, in the announcement's thread
        view = done.approval
        assert view is not None and view.status == "pending" and view.tool == "set_model_alias"
        assert view.args["version"] == 2 and view.args["expected_current"] == 1
        assert registry.live_version("churn") == ("production", 1)  # nothing before approval
        runtime.approval_flow.decide_and_resume(view.id, user="U0ONCALL", approve=True, via="slack")
        assert runtime.approvals.view(view.id).status == "executed"
        assert registry.live_version("churn") == ("production", 2)
        # asking again (a second poll after a restart) offers nothing new
        assert announcer.run() == []
    finally:
        runtime.close()


def test_opsbot_run_schedules_the_announcement_in_models_channel(
    tmp_path: Path, slack: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """`MODELS_CHANNEL` makes it a scheduler job (bot/model_jobs.py); without the channel, or
    without Slack, there is none (and a warning says why in the second case)."""
    assert Runtime(load_settings(data_dir=tmp_path / "a")).model_jobs == ()
    with caplog.at_level("WARNING"):
        bare = Runtime(load_settings(data_dir=tmp_path / "b", models_channel=CHANNEL))
        assert bare.model_jobs == ()
    assert "MODELS_CHANNEL is set but Slack is not" in caplog.text
    runtime = Runtime(
        load_settings(
            data_dir=tmp_path / "c",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            models_channel=CHANNEL,
            new_version_check_seconds=60,
        )
    )
    try:
        (job,) = runtime.model_jobs
        assert job.id == "new_versions" and job.seconds == 60
        assert job in runtime.scheduler_deps().jobs
        register(runtime.registry, 50.0, 0.80)
        runtime.registry.set_alias("churn", "production", 1, actor="test")
        job()  # the first look learns where each model is
        register(runtime.registry, 44.0, 0.83)
        job()
        [post] = [p for p in slack.posts(CHANNEL) if "New version v2" in str(p.params["text"])]
        assert len(slack.posts(CHANNEL, thread_ts=post.response["ts"])) == 1  # the offer
    finally:
        runtime.close()
        bare.close()
