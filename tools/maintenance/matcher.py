"""Label matchers with Alertmanager's silence semantics.

`name=value`, `name!=value`, `name=~regex`, `name!~regex`. As in Alertmanager: a regex is
anchored at both ends (`Disk.*` matches `DiskFull`, not `HostDiskFull`), a label the alert
lacks has the empty value (so `team=""` matches alerts without a `team` label and `team!=""`
those with one), and a window matches an alert when every one of its matchers does. A value
may be double-quoted (`alertname=~"Disk.*"`, with backslash escapes) or bare; a whole selector
`{service="api", alertname=~"Disk.*"}` (Alertmanager's and amtool's form) is read too. Regexes are
Python's `re` (Alertmanager uses Go's RE2: the everyday syntax is the same; a Python-only
construct such as a back-reference is accepted here).

Like Alertmanager's rule for silences ("at least one matcher must not match the empty
string"), a set of matchers that all match the empty string is taken to match everything:
`is_catch_all` tells, and the store asks for an explicit flag before keeping such a window.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from core.errors import Invalid

Op = Literal["=", "!=", "=~", "!~"]
OPS: tuple[Op, ...] = ("=", "!=", "=~", "!~")
MAX_MATCHERS = 20
MAX_VALUE = 1000

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.S)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Op
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: str, value: str) -> Matcher:
        """A checked matcher, or Invalid saying what is wrong (an invalid regex: why)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise Invalid(f"bad label name {name!r}: letters, digits and _, not first a digit")
        if op not in OPS:
            raise Invalid(f"bad matcher operator {op!r}; use one of {', '.join(OPS)}")
        if len(value) > MAX_VALUE:
            raise Invalid(f"the value of {name} is longer than {MAX_VALUE} characters")
        regex = None
        if op in ("=~", "!~"):
            try:
                regex = re.compile(value)
            except re.error as exc:
                raise Invalid(f"invalid regex for {name}{op}: {value!r}: {exc}") from None
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self._regex is not None
        hit = self._regex.fullmatch(value) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"

    def to_list(self) -> list[str]:
        return [self.name, self.op, self.value]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            raise Invalid(f"bad quoted value {text}: check its backslash escapes") from None
        return str(value)
    if text.startswith('"') or text.endswith('"'):
        raise Invalid(f"unbalanced quote in the value {text}")
    if text.startswith(("=", "~")):
        raise Invalid(f"the value {text!r} starts with {text[0]!r}: use =, !=, =~ or !~ once")
    return text


def parse_matcher(text: str) -> Matcher:
    """`service=api`, `alertname=~"Disk.*"`, `env!=staging`..., or Invalid."""
    found = _MATCHER.match(text or "")
    if found is None:
        raise Invalid(
            f"cannot read {text!r} as a matcher; use name=value, name!=value, name=~regex "
            'or name!~regex (e.g. service=api, alertname=~"Disk.*")'
        )
    name, op, value = found.groups()
    return Matcher.make(name, op, _unquote(value))


def _selector(text: str) -> list[str]:
    """The matchers of an Alertmanager selector `{a="b", c=~"d"}`: split at the commas outside
    double quotes (a bare value cannot hold a comma there)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text.strip()[1:-1]:
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
    if quoted:
        raise Invalid(f"unbalanced quote in {text.strip()}")
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_matchers(texts: Iterable[str]) -> list[Matcher]:
    """Each non-empty text as a matcher, or as an Alertmanager selector `{a="b", c=~"d"}` of
    several (at most MAX_MATCHERS in all); Invalid for the first bad one."""
    items: list[str] = []
    for text in texts:
        stripped = text.strip()
        if stripped.startswith("{") and stripped.endswith("}"):
            items.extend(_selector(stripped))
        elif stripped:
            items.append(stripped)
    matchers = [parse_matcher(t) for t in items]
    if len(matchers) > MAX_MATCHERS:
        raise Invalid(f"{len(matchers)} matchers; a window takes at most {MAX_MATCHERS}")
    return matchers


def from_lists(items: Iterable[Iterable[str]]) -> list[Matcher]:
    """Matchers as stored (`Matcher.to_list`)."""
    return [Matcher.make(*item) for item in items]


def matches(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher matches `labels` (no matchers: everything matches)."""
    return all(m.matches(labels) for m in matchers)


def is_catch_all(matchers: Iterable[Matcher]) -> bool:
    """True when every matcher matches the empty label set, so the window would hold back
    (nearly) every alert: Alertmanager refuses such a silence; we want a flag."""
    return matches(matchers, {})


def describe(matchers: Iterable[Matcher]) -> str:
    return ", ".join(str(m) for m in matchers) or "everything"
