"""The runbook triage cites for an alert (tools/runbooks/choice.py), on real Chroma indexes on
disk with the default embedding: the alert's runbook_url first, then front matter, then by
meaning; the two misses of issue 20; none rather than a weak guess."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from knowledge import SHIPPED_RUNBOOKS
from tests.runbooks.conftest import CORPUS
from tools.runbooks.choice import (
    ALERT,
    TEXT,
    URL,
    RunbookChooser,
    runbook_url,
    url_choice,
    url_name,
)
from tools.runbooks.index import RunbookIndex
from tools.runbooks.minilm import MiniLMInt8Embedder

LLM = "runbooks/llm-provider-errors.md"
DISK = "runbooks/host-disk-full.md"
RELOAD_URL = (
    "https://runbooks.prometheus-operator.dev/runbooks/alertmanager/alertmanagerfailedreload"
)


@pytest.fixture(scope="module")
def chooser(shipped_index: RunbookIndex) -> RunbookChooser:
    return RunbookChooser(shipped_index)


@pytest.fixture(scope="module")
def with_copy(
    tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMInt8Embedder
) -> RunbookChooser:
    """The shipped runbooks plus a team's local copy of one prometheus-operator runbook, filed
    under another folder and with no front matter naming the alert."""
    root = tmp_path_factory.mktemp("team") / "runbooks"
    shutil.copytree(SHIPPED_RUNBOOKS, root / "shipped")
    (root / "copies").mkdir()
    shutil.copy(CORPUS / "alertmanager" / "AlertmanagerFailedReload.md", root / "copies")
    index = RunbookIndex(tmp_path_factory.mktemp("team-data"), embedder=minilm)
    report = index.ingest([root], progress=False)
    assert not report.skipped, report.summary()
    return RunbookChooser(index)


def test_an_api_5xx_rate_does_not_get_the_llm_provider_runbook(chooser: RunbookChooser) -> None:
    text = "High HTTP 5xx error rate on api. "
    # the old lookup's answer: its Diagnosis mentions 500s, and it ranks first on the text
    assert chooser.index.search(text, k=1)[0].source == LLM
    choice = chooser.choose("HighErrorRate", text)
    assert choice is None or choice.source != LLM
    # its title is not about the alert: it is not even a candidate
    assert LLM not in [hit.source for _, hit in chooser.candidates(text)]


def test_node_exporter_disk_space_gets_disk_full_not_inodes(chooser: RunbookChooser) -> None:
    text = "Filesystem has less than 5% space left. "
    named = chooser.choose("NodeFilesystemAlmostOutOfSpace", text)
    assert named is not None and (named.source, named.match) == (DISK, ALERT)
    assert named.section == "Mitigation" and "clean_directory" in named.excerpt
    # the same text under a name no runbook lists: found by its meaning alone
    meant = chooser.choose("DiskAlmostFull", text)
    assert meant is not None and (meant.source, meant.match) == (DISK, TEXT)
    assert meant.url is None


def test_the_alert_runbook_url_comes_first_without_a_local_copy(chooser: RunbookChooser) -> None:
    url = "https://wiki.example.com/ops/runbooks/disk-pressure?team=infra"
    choice = chooser.choose("HostDiskFull", "Disk /var on web-1 is 93% full.", url)
    assert choice is not None
    assert (choice.source, choice.match, choice.url) == (url, URL, url)
    assert choice.title == "disk pressure" and choice.section is None and choice.excerpt == ""
    named = chooser.choose("KubePodCrashLooping", "Pod is crash looping.", RELOAD_URL)
    assert named is not None and named.source == RELOAD_URL
    assert named.to_dict()["url"] == RELOAD_URL


def test_the_alert_runbook_url_cites_the_local_copy_named_like_it(
    with_copy: RunbookChooser,
) -> None:
    text = "Reloading an Alertmanager configuration has failed."
    choice = with_copy.choose("AlertmanagerFailedReload", text, RELOAD_URL)
    assert choice is not None and choice.match == URL and choice.url == RELOAD_URL
    assert choice.source == "runbooks/copies/AlertmanagerFailedReload.md"
    assert choice.title and choice.section and choice.excerpt
    # the copy is found by the URL's name even when the alert is called something else
    renamed = with_copy.choose("AmReloadFailed", text, RELOAD_URL + "/")
    assert renamed is not None and renamed.source == choice.source
    # a URL ending in a generic name (README, index) names no local file: the URL itself
    readme = "https://github.com/acme/ops/blob/main/alertmanager/README.md"
    generic = with_copy.choose("AlertmanagerFailedReload", text, readme)
    assert generic is not None and (generic.source, generic.url) == (readme, readme)
    assert generic.title == "AlertmanagerFailedReload runbook"
    # an opsbot alert whose URL names a shipped runbook: that runbook, and the URL with it
    disk = with_copy.choose("HostDiskFull", "", "https://runbooks.example.com/host-disk-full")
    assert disk is not None and disk.source == "runbooks/shipped/host-disk-full.md"
    assert disk.url == "https://runbooks.example.com/host-disk-full"


def test_no_url_and_no_good_local_match_gets_none(chooser: RunbookChooser) -> None:
    # the old lookup cited host-high-cpu and llm-provider-errors for these
    assert (
        chooser.choose("NodeClockSkewDetected", "Clock skew detected. Clock is out of sync.")
        is None
    )
    assert (
        chooser.choose(
            "NodeNetworkReceiveErrs", "Network interface is reporting many receive errors."
        )
        is None
    )
    assert chooser.choose("SomethingUnknown", "how do I bake sourdough bread") is None
    assert chooser.choose("SomethingUnknown", "") is None
    assert chooser.choose("", "   ") is None


def test_front_matter_wins_for_opsbots_own_alerts(chooser: RunbookChooser) -> None:
    # the text alone points elsewhere; the runbook naming the alert is still the one cited
    choice = chooser.choose("HostInodesExhausted", "Disk /var on web-1 is 93% full.")
    assert choice is not None
    assert (choice.source, choice.match) == ("runbooks/host-inodes-exhausted.md", ALERT)
    index = chooser.index
    for doc_id, title in index.titles().items():
        source = index.sections(doc_id)[0].source
        for alert in index.sections(doc_id)[0].alerts:
            found = chooser.choose(alert, f"{alert} fired")
            assert found is not None and (found.source, found.match) == (source, ALERT), alert
            assert found.title == title and found.url is None


def test_an_exact_term_the_embedding_does_not_know_still_finds_its_runbook(
    chooser: RunbookChooser,
) -> None:
    choice = chooser.choose("AnthropicErrors", "Anthropic API requests failing with 529 overloaded")
    assert choice is not None and (choice.source, choice.match) == (LLM, TEXT)


def test_a_runbook_url_that_is_not_an_http_url_is_ignored_with_the_reason(
    chooser: RunbookChooser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tools.runbooks.choice")
    for bad in ("javascript:alert(1)", "runbooks/disk.md", "https://", 42):
        choice = chooser.choose("HostDiskFull", "Disk /var is 93% full.", bad)
        assert choice is not None and (choice.source, choice.match, choice.url) == (
            DISK,
            ALERT,
            None,
        )
    assert "runbook_url ignored: 'javascript:alert(1)' is not an http(s) URL" in caplog.text
    assert runbook_url(None) is None and runbook_url("  ") is None
    assert runbook_url(" https://x.example/rb ") == "https://x.example/rb"


def test_url_names_and_titles() -> None:
    assert url_name("https://x/runbooks/node/NodeDiskFull.md") == "NodeDiskFull"
    assert url_name("https://x/runbooks/node/nodediskfull/") == "nodediskfull"
    assert url_name("https://x/a%20b.html?x=1#top") == "a b"
    assert url_name("https://x") == ""
    assert url_choice("NodeDiskFull", "https://x/node/nodediskfull").title == "NodeDiskFull runbook"
    assert url_choice("NodeDiskFull", "https://x").title == "NodeDiskFull runbook"
    assert url_choice("X", "https://x/rb/disk_pressure-guide").title == "disk pressure guide"


def test_index_finds_runbooks_by_file_name(with_copy: RunbookChooser) -> None:
    index = with_copy.index
    (doc,) = index.named("alertmanagerfailedreload")
    assert index.named("AlertmanagerFailedReload.md") == [doc]
    assert index.named("alertmanager-failed_reload") == [doc]
    assert index.named("") == [] and index.named("nothing-called-this") == []
    assert Path(index.sections(doc)[0].source).name == "AlertmanagerFailedReload.md"
