"""trigger_pipeline: named pipelines only, started after an approval, their run's link in the
outcome; GitHub Actions and GitLab through emulators of their APIs on 127.0.0.1, a script as a
real subprocess; every refusal and failure a clear outcome."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import SettingsError, load_settings
from core.access import Caller
from core.errors import Invalid
from tests.emulators.github import GitHubEmulator, github_emulator
from tests.emulators.gitlab import GitLabEmulator, gitlab_emulator
from tools.base import ToolError
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.pipelines import PipelineTargets, parse_pipelines
from tools.remediation.suggest import candidates, suggest

GL_TOKEN = "glptt-0123456789abcdef0123"


@pytest.fixture
def github() -> Iterator[GitHubEmulator]:
    emulator = GitHubEmulator()
    emulator.add("acme/churn", "retrain.yml", inputs=("reason",), branches=("main", "v2"))
    with github_emulator(emulator) as running:
        yield running


@pytest.fixture
def gitlab() -> Iterator[GitLabEmulator]:
    emulator = GitLabEmulator()
    emulator.add("ml/fraud", GL_TOKEN)
    with gitlab_emulator(emulator) as running:
        yield running


def targets(
    github: GitHubEmulator | None = None, gitlab: GitLabEmulator | None = None, **pipelines: Any
) -> PipelineTargets:
    secrets = {"GITHUB_TOKEN": github.token if github else None, "GITLAB_TRIGGER_TOKEN": GL_TOKEN}
    return PipelineTargets(
        pipelines=parse_pipelines(pipelines),
        github_api_url=github.url if github else "http://127.0.0.1:9",
        gitlab_url=gitlab.url if gitlab else "http://127.0.0.1:9",
        timeout_seconds=2.0,
        token=secrets.get,
        run_lookup_seconds=3.0,
    )


def run(cat: RemediationCatalogue, name: str) -> Any:
    action, params = cat.parse("trigger_pipeline", {"pipeline": name})
    return action.execute(params)


GH = {
    "kind": "github",
    "repo": "acme/churn",
    "workflow": "retrain.yml",
    "inputs": {"reason": "drift"},
}
GL = {"kind": "gitlab", "project": "ml/fraud", "variables": {"REASON": "drift"}}


def test_github_dispatch_returns_the_runs_link(github: GitHubEmulator) -> None:
    cat = RemediationCatalogue(pipelines=targets(github, train=GH))
    action, params = cat.parse("trigger_pipeline", {"pipeline": "train"})
    preview = action.dry_run(params)
    assert preview == (
        "Would start pipeline train: GitHub Actions workflow retrain.yml of acme/churn on main "
        "with inputs reason=drift."
    )
    assert github.requests == []  # a dry run calls nobody
    result = action.execute(params)
    (made,) = github.runs
    assert result.ok and made["html_url"] in result.text
    assert (
        result.data["url"]
        == made["html_url"]
        == f"https://github.com/acme/churn/actions/runs/{made['id']}"
    )
    (sent,) = github.requests
    assert sent.method == "POST"
    assert sent.path == "/repos/acme/churn/actions/workflows/retrain.yml/dispatches"
    assert sent.json() == {"ref": "main", "return_run_details": True, "inputs": {"reason": "drift"}}
    assert sent.headers["accept"] == "application/vnd.github+json"
    assert sent.headers["x-github-api-version"] == "2022-11-28"
    assert action.verify(params, result) == f"the pipeline's run is at {made['html_url']}"


def test_an_older_github_answers_204_and_the_run_is_found_by_listing(
    github: GitHubEmulator,
) -> None:
    github.legacy = True
    github.runs_hidden_for = 1  # the first listing does not show it yet
    cat = RemediationCatalogue(pipelines=targets(github, train={**GH, "ref": "v2"}))
    result = run(cat, "train")
    (made,) = github.runs
    assert result.ok and result.data["url"] == made["html_url"]
    lists = [r for r in github.requests if r.method == "GET"]
    assert len(lists) == 2
    assert lists[0].params == {"event": "workflow_dispatch", "branch": "v2", "per_page": "10"}


def test_a_run_that_never_shows_up_is_said_so(github: GitHubEmulator) -> None:
    github.legacy = True
    github.runs_hidden_for = 100
    cat = RemediationCatalogue(pipelines=targets(github, train=GH))
    result = run(cat, "train")
    assert result.ok and result.data["url"] is None
    assert "did not show up within 3s, so there is no link" in result.text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"token_env": "OTHER_TOKEN"}, "no token: set OTHER_TOKEN in opsbot's environment"),
        (
            {"workflow": "nope.yml"},
            "GitHub found no workflow nope.yml in acme/churn (404 Not Found)",
        ),
        (
            {"repo": "acme/gone"},
            "GitHub found no workflow retrain.yml in acme/gone (404 Not Found)",
        ),
        (
            {"ref": "nope"},
            "GitHub refused ref 'nope' or the inputs of retrain.yml (422 No ref found for: nope)",
        ),
        ({"inputs": {"epochs": "3"}}, 'Unexpected inputs provided: ["epochs"]'),
    ],
)
def test_github_refusals_are_clear_outcomes(
    github: GitHubEmulator, change: dict[str, Any], expected: str
) -> None:
    cat = RemediationCatalogue(pipelines=targets(github, train={**GH, **change}))
    result = run(cat, "train")
    assert not result.ok and result.text.startswith("Pipeline train was not started: ")
    assert expected in result.text
    assert github.runs == []


def test_a_wrong_github_token_and_a_slow_or_absent_server(github: GitHubEmulator) -> None:
    good = targets(github, train=GH)
    wrong = PipelineTargets(good.pipelines, github.url, token=lambda _n: "ghp_wrong")
    result = run(RemediationCatalogue(pipelines=wrong), "train")
    assert (
        not result.ok
        and "GitHub rejected the token in GITHUB_TOKEN (401 Bad credentials)" in result.text
    )
    github.delay = 1.5
    slow = PipelineTargets(good.pipelines, github.url, timeout_seconds=0.3, token=good.token)
    result = run(RemediationCatalogue(pipelines=slow), "train")
    assert not result.ok and "GitHub (acme/churn) did not answer within 0.3s" in result.text
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gone = PipelineTargets(good.pipelines, f"http://127.0.0.1:{port}", token=good.token)
    result = run(RemediationCatalogue(pipelines=gone), "train")
    assert not result.ok and "GitHub (acme/churn) cannot be reached: ConnectError" in result.text


def test_gitlab_trigger_returns_the_pipelines_web_url(gitlab: GitLabEmulator) -> None:
    cat = RemediationCatalogue(pipelines=targets(gitlab=gitlab, fraud=GL))
    result = run(cat, "fraud")
    (made,) = gitlab.pipelines
    assert result.ok and result.data["url"] == made["web_url"]
    assert made["web_url"] == f"https://gitlab.example.com/ml/fraud/-/pipelines/{made['id']}"
    assert made["variables"] == {"REASON": "drift"} and made["ref"] == "main"
    (sent,) = gitlab.requests
    assert sent.path == "/api/v4/projects/ml%2Ffraud/trigger/pipeline"  # the path, URL-encoded
    by_id = RemediationCatalogue(
        pipelines=targets(gitlab=gitlab, fraud={**GL, "project": str(gitlab.projects[0].id)})
    )
    assert run(by_id, "fraud").ok and len(gitlab.pipelines) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ref": "nope"}, "GitLab refused ref 'nope' of ml/fraud: Reference not found"),
        (
            {"project": "ml/gone"},
            "GitLab refused the trigger for project ml/gone (404 404 Not Found)",
        ),
        ({"token_env": "FRAUD_TRIGGER"}, "no token: set FRAUD_TRIGGER"),
    ],
)
def test_gitlab_refusals_are_clear_outcomes(
    gitlab: GitLabEmulator, change: dict[str, Any], expected: str
) -> None:
    cat = RemediationCatalogue(pipelines=targets(gitlab=gitlab, fraud={**GL, **change}))
    result = run(cat, "fraud")
    assert not result.ok and expected in result.text and gitlab.pipelines == []


def test_gitlab_wrong_token_and_timeout(gitlab: GitLabEmulator) -> None:
    good = targets(gitlab=gitlab, fraud=GL)
    wrong = PipelineTargets(good.pipelines, gitlab_url=gitlab.url, token=lambda _n: "glptt-x")
    result = run(RemediationCatalogue(pipelines=wrong), "fraud")
    assert (
        not result.ok
        and "check the project and the trigger token in GITLAB_TRIGGER_TOKEN" in result.text
    )
    gitlab.delay = 1.5
    slow = PipelineTargets(
        good.pipelines, gitlab_url=gitlab.url, timeout_seconds=0.3, token=good.token
    )
    result = run(RemediationCatalogue(pipelines=slow), "fraud")
    assert not result.ok and "GitLab (ml/fraud) did not answer within 0.3s" in result.text
    assert gitlab.pipelines == []


def test_a_script_pipeline_runs_and_its_printed_link_is_kept(tmp_path: Path) -> None:
    script = tmp_path / "retrain.py"
    script.write_text("print('queued'); print('see https://ci.example.com/runs/42 for it')\n")
    ok = {"kind": "script", "command": [sys.executable, str(script)], "timeout_seconds": 30}
    bad = {"kind": "script", "command": [sys.executable, "-c", "raise SystemExit(3)"]}
    cat = RemediationCatalogue(pipelines=targets(local=ok, broken=bad))
    result = run(cat, "local")
    assert result.ok and result.data["url"] == "https://ci.example.com/runs/42"
    assert result.text.startswith("Pipeline local: run https://ci.example.com/runs/42\n")
    failed = run(cat, "broken")
    assert not failed.ok and "exited with status 3" in failed.text and failed.data["url"] is None


def test_unknown_pipelines_and_bad_configuration() -> None:
    cat = RemediationCatalogue(pipelines=targets(train=GH))
    with pytest.raises(ToolError, match=r"unknown pipeline 'deploy'; configured pipelines: train"):
        cat.parse("trigger_pipeline", {"pipeline": "deploy"})[0].dry_run(
            cat.parse("trigger_pipeline", {"pipeline": "deploy"})[1]
        )
    assert not RemediationCatalogue().get("trigger_pipeline").available()
    assert "trigger_pipeline(pipeline)" in cat.describe() and "Pipelines: train" in cat.describe()
    assert "trigger_pipeline" not in RemediationCatalogue().describe()
    for bad, message in [
        ({"x": {"kind": "script", "command": "retrain --all"}}, "not a shell string"),
        (
            {"x": {"kind": "script", "command": ["bash", "-c", "retrain"]}},
            "runs a shell with inline code",
        ),
        (
            {"x": {"kind": "github", "repo": "acme", "workflow": "a.yml"}},
            "x.github.repo: 'acme' is not owner/name",
        ),
        ({"x": {"kind": "jenkins"}}, "x: Input tag 'jenkins' found using 'kind' does not match"),
        (
            {"x": {"kind": "gitlab", "project": "a/b", "branch": "main"}},
            "x.gitlab.branch: unknown key",
        ),
        (
            {"x": {"kind": "gitlab", "project": "a/b", "token_env": "my token"}},
            "not an environment variable name",
        ),
        ({"bad name": GH}, "pipeline name 'bad name' is not allowed"),
    ]:
        with pytest.raises(
            Invalid, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
        ):
            parse_pipelines(bad)
    with pytest.raises(Invalid, match="neither JSON nor YAML"):
        parse_pipelines("{train: [")
    with pytest.raises(Invalid, match="must map pipeline names to settings, not list"):
        parse_pipelines("[1, 2]")


def test_settings_read_pipelines_as_json_or_yaml(github: GitHubEmulator) -> None:
    settings = load_settings(pipelines=json.dumps({"train": GH}), github_api_url=github.url + "/")
    got = settings.pipeline_targets()
    assert got.github_api_url == github.url and list(got.pipelines) == ["train"]
    assert got.token("GITHUB_TOKEN") is None
    yaml_text = "fraud:\n  kind: gitlab\n  project: ml/fraud\n"
    assert list(load_settings(pipelines=yaml_text).pipelines) == ["fraud"]
    with pytest.raises(SettingsError, match="PIPELINES"):
        load_settings(pipelines='{"train": {"kind": "github"}}')
    with pytest.raises(SettingsError, match="GITLAB_URL"):
        load_settings(gitlab_url="gitlab.com")


def test_a_performance_drop_suggests_the_rollback_and_the_retraining() -> None:
    cat = RemediationCatalogue(
        pipelines=targets(
            train={**GH, "models": ["churn"]},
            other={**GL, "models": ["fraud"]},
            nightly={**GL, "alerts": ["HostDiskFull"]},
        )
    )
    labels = {"model": "churn", "alias": "production"}
    found = candidates(cat, "ModelPerformanceDrop", labels)
    assert [(s.action, s.params) for s in found] == [
        ("set_model_alias", {"name": "churn", "alias": "production", "version": None}),
        ("trigger_pipeline", {"pipeline": "train"}),
    ]
    assert found[1].reason == "retrain churn"
    kept, dropped = suggest(cat, "ModelPerformanceDrop", labels)
    # the rollback is delegated to the registry tool, which this bare catalogue lacks
    assert [s.action for s in kept] == ["trigger_pipeline"] and len(dropped) == 1
    assert kept[0].preview.startswith("Would start pipeline train: GitHub Actions workflow")
    assert [s.params for s in candidates(cat, "HostDiskFull", {})] == [{"pipeline": "nightly"}]
    assert candidates(cat, "EndpointDown", {"model": "churn"}) == []


def test_approval_end_to_end_starts_the_pipeline_once(make_runtime, github: GitHubEmulator) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(
        pipelines=json.dumps({"train": GH}),
        github_api_url=github.url,
        github_token=github.token,
        oncall_users=["U_ONCALL"],
    )
    tool = runtime.toolbox.get("run_remediation")
    assert tool is not None and "Pipelines: train" in tool.description
    args = {"action": "trigger_pipeline", "params": {"pipeline": "train"}}
    parsed = tool.parse(args)
    view = runtime.approvals.request(
        thread_id="console:retrain",
        tool_call_id="call-retrain",
        tool=tool,
        args=parsed.model_dump(mode="json"),
        caller=Caller(user="U_REQ", via="console"),
        preview=tool.preview(parsed),
        risk=tool.risk_of(parsed),
    )
    assert view.status == "pending" and "Would start pipeline train" in view.preview
    assert github.requests == []  # nothing before the approval
    decision, _ = runtime.approval_flow.decide_and_resume(
        view.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert decision.ready
    done = runtime.approvals.view(view.id)
    (made,) = github.runs
    assert done.status == "executed" and made["html_url"] in (done.result or "")
    assert done.verification == f"the pipeline's run is at {made['html_url']}"
    # deciding again runs nothing more
    runtime.approval_flow.decide_and_resume(view.id, user="U_ONCALL", approve=True, via="slack")
    assert len(github.runs) == 1


def test_the_runs_link_is_posted_in_the_slack_thread(
    tmp_path: Path, github: GitHubEmulator
) -> None:
    from bot.approvals import ApprovalEvents
    from bot.runtime import Runtime
    from bot.slack.approval_feed import ApprovalFeed
    from tests.emulators.slack import SlackEmulator
    from tests.slack.helpers import BOT_TOKEN, SECRET

    channel, thread = "C0RETRAIN", f"{int(time.time())}.000100"
    slack = SlackEmulator().start()
    runtime = Runtime(
        load_settings(
            data_dir=tmp_path,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            oncall_users="U0ONCALL",
            pipelines=json.dumps({"train": GH}),
            github_api_url=github.url,
            github_token=github.token,
        )
    )
    try:
        tool = runtime.toolbox.get("run_remediation")
        assert tool is not None
        parsed = tool.parse({"action": "trigger_pipeline", "params": {"pipeline": "train"}})
        view = runtime.approvals.request(
            thread_id=f"slack:T0G9PQBBK:{channel}:{thread}",
            tool_call_id="call-slack-retrain",
            tool=tool,
            args=parsed.model_dump(mode="json"),
            caller=Caller(user="U222", via="slack", channel=channel),
            preview=tool.preview(parsed),
            risk=tool.risk_of(parsed),
        )
        runtime.slack.outbox.post_approval(view, channel, thread)
        assert github.runs == []
        runtime.approval_flow.decide_and_resume(view.id, user="U0ONCALL", approve=True, via="slack")
        feed = ApprovalFeed(
            runtime.approvals,
            runtime.approval_flow,
            runtime.slack.outbox,
            runtime.slack.locks,
            ApprovalEvents(runtime.engine),
        )
        for _ in range(20):
            if feed.pump() == 0:
                break
        (made,) = github.runs
        replies = [c.params["text"] for c in slack.posts(channel, thread_ts=thread)[1:]]
        assert len(replies) == 1
        assert "Approved by <@U0ONCALL>" in replies[0] and "Started pipeline train" in replies[0]
        assert made["html_url"] in replies[0]
    finally:
        runtime.close()
        slack.stop()
