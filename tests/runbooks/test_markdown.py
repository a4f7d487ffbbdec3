"""Markdown parsing and heading chunking: front matter styles, titles, sections, passages."""

from __future__ import annotations

import pytest

from knowledge.markdown import MarkdownError, chunk_document, parse_markdown
from knowledge.plaintext import expand_identifiers, passages, plain_text, split_camel

HUGO_YAML = """---
title: Node Filesystem Space Filling Up
weight: 20
---

# NodeFilesystemSpaceFillingUp

## Meaning

This alert fires when a filesystem is predicted to run out of space.

<details>
<summary>Full context</summary>

Kubelet cleans up [old logs][2] and images.

</details>

## Mitigation

```shell
# not a heading: a comment in a code block
$ df -h
```

- [1](https://example.invalid/docs)
"""

HUGO_TOML = """+++
title = "Kube Pod Crash Looping"
tags = ["kubernetes", "pods"]
weight = 20
+++

# KubePodCrashLooping

## Meaning

Pod is in CrashLoopBackOff.
"""

PLAIN = """Intro line before any heading.

# Restart the worker

Some overview text.

## Diagnosis

Look at the logs.

### Check the queue

Queue depth should be below 1000.

#### Deep detail

Stays inside its parent section.

## Mitigation

Restart it.
"""


def test_hugo_yaml_front_matter_title_sections_and_alert_from_heading() -> None:
    doc = parse_markdown(HUGO_YAML, fallback_title="NodeFilesystemSpaceFillingUp")
    assert doc.title == "Node Filesystem Space Filling Up"
    assert doc.alerts == ["NodeFilesystemSpaceFillingUp"]
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == ["Meaning", "Mitigation"]
    mitigation = chunks[1]
    assert "# not a heading" in mitigation.text  # a comment in a code fence is not a heading
    assert chunks[0].context.startswith(
        "Node Filesystem Space Filling Up (NodeFilesystemSpaceFillingUp"
    )
    # the text matched is plain: no HTML tags, no link targets
    assert "<summary>" not in chunks[0].search_text
    assert "old logs" in chunks[0].search_text and "[2]" not in chunks[0].search_text


def test_hugo_toml_front_matter() -> None:
    doc = parse_markdown(HUGO_TOML, fallback_title="x")
    assert doc.title == "Kube Pod Crash Looping"
    assert doc.tags == ["kubernetes", "pods"]
    assert doc.alerts == ["KubePodCrashLooping"]
    assert [c.section for c in chunk_document(doc)] == ["Meaning"]


def test_json_front_matter() -> None:
    doc = parse_markdown(
        '{"title": "From JSON", "services": "a, b"}\n\n## Meaning\n\nText here.', "x"
    )
    assert doc.title == "From JSON"
    assert doc.services == ["a", "b"]


def test_no_front_matter_uses_heading_and_nested_section_paths() -> None:
    doc = parse_markdown(PLAIN, fallback_title="restart-worker")
    assert doc.title == "Restart the worker"
    assert doc.alerts == []  # a sentence heading is not an alert name
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == [
        "Overview",
        "Diagnosis",
        "Diagnosis > Check the queue",
        "Mitigation",
    ]
    assert "Intro line" in chunks[0].text and "Some overview text" in chunks[0].text
    assert "#### Deep detail" in chunks[2].text  # deeper headings stay in their parent


def test_title_falls_back_to_file_name_and_alert_to_identifier_stem() -> None:
    doc = parse_markdown("Just text, no headings at all.", fallback_title="HostDiskFull")
    assert doc.title == "HostDiskFull"
    assert doc.alerts == ["HostDiskFull"]
    assert [c.section for c in chunk_document(doc)] == ["Overview"]
    watchdog = parse_markdown(
        "# Watchdog\n\n## Meaning\n\nAlways firing.", fallback_title="Watchdog"
    )
    assert watchdog.alerts == ["Watchdog"]


def test_front_matter_alerts_win_and_accept_a_single_string() -> None:
    doc = parse_markdown("---\nalert: HostHighCpu\n---\n# HostSomethingElse\n\nbody", "f")
    assert doc.alerts == ["HostHighCpu"]


def test_long_sections_split_at_paragraphs_without_cutting_code() -> None:
    paragraph = "word " * 120
    code = "```\n" + "\n".join(f"line {i}" for i in range(40)) + "\n```"
    body = "## Mitigation\n\n" + "\n\n".join([paragraph, code, paragraph, paragraph])
    chunks = chunk_document(parse_markdown(body, "long"))
    assert len(chunks) >= 3
    assert all(c.section == "Mitigation" for c in chunks)
    assert sum(c.text.count("```") for c in chunks) == 2
    assert all(c.text.count("```") % 2 == 0 for c in chunks)  # the fence is never cut


def test_front_matter_only_gives_no_chunks() -> None:
    assert chunk_document(parse_markdown("---\ntitle: node\nweight: 10\n---\n", "_index")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "invalid YAML front matter"),
        ("---\ntitle: x\nbody without end", "never closed"),
        ("+++\ntitle = \n+++\nbody", "invalid TOML front matter"),
        ("---\n- a\n- b\n---\nbody", "must be a mapping"),
        ("---\ntags: {a: 1}\n---\nbody", "'tags' must be a name or a list"),
        ("---\nservices: [[a]]\n---\nbody", "'services' must be a list of names"),
    ],
)
def test_bad_front_matter_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(MarkdownError, match=message):
        parse_markdown(text, "bad")


def test_passages_split_sentences_items_and_commands_with_context() -> None:
    text = (
        "Check the disk first. Then the logs,\nwhich wrap onto a second line.\n\n"
        "- item one is here\n- item two is here\n\n```shell\n$ df -h /var /srv/data\n```"
    )
    units = passages("Disk full (HostDiskFull)", text)
    assert units == [
        "Disk full (HostDiskFull): Check the disk first.",
        "Disk full (HostDiskFull): Then the logs, which wrap onto a second line.",
        "Disk full (HostDiskFull): item one is here",
        "Disk full (HostDiskFull): item two is here",
        "Disk full (HostDiskFull): $ df -h /var /srv/data",
    ]
    assert passages("T", "ok") == ["T: ok"]  # too short for a unit: the whole text
    assert passages("T", "") == []


def test_identifier_expansion_and_plain_text() -> None:
    assert split_camel("CPUThrottlingHigh") == "CPU Throttling High"
    assert split_camel("etcdNoLeader") == "etcd No Leader"
    expanded = expand_identifiers("KubePodCrashLooping and restart_service")
    assert "Kube Pod Crash Looping" in expanded and "restart service" in expanded
    assert plain_text("See [the docs](https://x.invalid) and <b>this</b> {{< hint >}}") == (
        "See the docs and this"
    )
    assert plain_text("$ NODE=<instance label>") == "$ NODE=<instance label>"
