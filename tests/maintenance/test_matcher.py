"""Matchers with Alertmanager's silence semantics: the four operators, anchored regexes,
missing labels as the empty value, quoting, and the bad inputs."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from tools.maintenance.matcher import is_catch_all, matches, parse_matcher, parse_matchers

DISK = {"alertname": "HostDiskFull", "service": "api", "host": "web-1", "severity": "warning"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("service=api", DISK, True),
        ("service=web", DISK, False),
        ("service!=web", DISK, True),
        ("service!=api", DISK, False),
        ("alertname=~Host.*", DISK, True),
        ('alertname=~"Disk.*"', DISK, False),  # anchored: Disk.* is not HostDiskFull
        ('alertname=~".*Disk.*"', DISK, True),
        ("alertname!~Host.*", DISK, False),
        ("host=~web-[0-9]+", DISK, True),
        ("host=~web", DISK, False),  # a substring is not a match
        ('team=""', DISK, True),  # a missing label is the empty value
        ('team!=""', DISK, False),
        ("team=~.*", DISK, True),
        ("severity=~warning|critical", DISK, True),  # the alternation is anchored as a whole
        ("severity=~warn|critical", DISK, False),
        ('summary="a \\"quoted\\" word"', {"summary": 'a "quoted" word'}, True),
    ],
)
def test_matcher_semantics_follow_alertmanager(
    text: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_a_window_matches_when_every_matcher_does() -> None:
    both = parse_matchers(["service=api", "alertname=~Host.*"])
    assert matches(both, DISK)
    assert not matches(both, {**DISK, "service": "db"})
    assert str(both[1]) == 'alertname=~"Host.*"'


def test_catch_all_is_every_matcher_matching_the_empty_label_set() -> None:
    assert is_catch_all([])
    assert is_catch_all(parse_matchers(["alertname=~.*", "env!=staging"]))
    assert not is_catch_all(parse_matchers(["alertname=~.*", "service=api"]))
    assert not is_catch_all(parse_matchers(['team!=""']))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("alertname=~Disk(", "invalid regex for alertname=~: 'Disk(': missing ), unterminated"),
        ("service", "cannot read 'service' as a matcher"),
        ("9lives=x", "cannot read '9lives=x' as a matcher"),
        ("service==api", "use =, !=, =~ or !~ once"),
        ('service="api', "unbalanced quote"),
        ('service="a\\qb"', "bad quoted value"),
    ],
)
def test_bad_matchers_are_invalid_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_matcher(text)
    assert problem in str(error.value)


def test_too_many_matchers_and_too_long_values_are_refused() -> None:
    with pytest.raises(Invalid, match="at most 20"):
        parse_matchers([f"l{i}=x" for i in range(21)])
    with pytest.raises(Invalid, match="longer than 1000"):
        parse_matcher("service=" + "a" * 1001)


def test_an_alertmanager_selector_is_read_as_its_matchers() -> None:
    found = parse_matchers(['{service="api", alertname=~"Disk.*"}', "host=web-1"])
    assert [str(m) for m in found] == ['service="api"', 'alertname=~"Disk.*"', 'host="web-1"']
    quoted = parse_matchers(['{summary="a, \\"b\\", c", env!=prod}'])
    assert [(m.name, m.value) for m in quoted] == [("summary", 'a, "b", c'), ("env", "prod")]
    with pytest.raises(Invalid, match="unbalanced quote"):
        parse_matchers(['{service="api}'])
    assert parse_matchers(["{}"]) == []
