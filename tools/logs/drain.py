"""Drain: streaming log template mining with a fixed-depth prefix tree.

The method of He, Zhu, Zheng and Lyu, "Drain: An Online Log Parsing Approach with Fixed Depth
Tree" (ICWS 2017), written after the reference implementation in logpai/logparser
(`logparser/Drain/Drain.py`). One line at a time:

1. masking: each rule's regular expression, in order, is replaced by its replacement (the
   wildcard `<*>` unless said otherwise): the variables a rule can recognise (IPs, numbers,
   hex, paths ...) never reach the tree;
2. the masked line is split on whitespace into tokens (then, opsbot's addition, each token
   goes through the `token_masks`);
3. the tree: the first layer is the number of tokens, then one layer per leading token (a
   token holding a digit goes under `<*>`; a node holds at most `max_children` children, then
   new tokens go under `<*>`), `depth - 3` token layers in all (logparser's `depth` counts the
   root, the length layer and the leaf); the leaf holds a list of clusters;
4. in that leaf the cluster whose template is most similar (share of positions with an equal
   token, the template's `<*>` counting as unequal; ties go to the template with more `<*>`)
   takes the line if that share is at least `similarity`; its template then gets `<*>` where
   the line differs. Otherwise the line starts a new cluster.

opsbot adds two things, both off unless configured (`DrainConfig.token_masks`, `exact_first`;
`DrainConfig.opsbot()`, the parser's default, turns them on): per-token masking, which is what
makes masking cheap (each distinct token is masked once), and an exact-template shortcut,
without which a line of many masked variables (say 3 tokens, 1 masked: similarity 2/3) can
never reach a high `similarity` and starts a new cluster each time. Token masks are joined
into one expression, so their patterns must not use numbered back-references.

One difference from logparser, on purpose: a line with fewer tokens than the token layers is
put in the node its last token reaches. logparser never files such a cluster in the tree, so
each of those lines starts a cluster of its own (identical ones then share an EventId only
because logparser names a cluster by the MD5 of its template).

Why written here and not the `drain3` package: drain3 pins `cachetools` to a range that
conflicts with the version opsbot pins, and the method is small enough (one file) to own,
test, and serialise in a plain-JSON form of our choosing (`to_state` / `from_state`, so a
restart resumes with the same cluster ids).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import Invalid

__all__ = ["OPSBOT_MASKS", "OPSBOT_TOKEN_MASKS", "WILDCARD", "Drain", "DrainConfig", "Mask"]

WILDCARD = "<*>"
STATE_VERSION = 1


@dataclass(frozen=True)
class Mask:
    """One masking rule: every match of `pattern` becomes `replacement`."""

    pattern: str
    replacement: str = WILDCARD


# opsbot's single configuration (docs/log_templates.md: chosen on 8 Loghub systems, 4 held
# out). Each rule is a kind of variable; none names a system.
OPSBOT_MASKS: tuple[Mask, ...] = (
    Mask(r"\s*\(\d+(\.\d+)? ?[KMGT]?B\)", ""),  # a size in brackets after a count: "(1.2 KB)"
    Mask(r"<\d+ sec", WILDCARD),  # a duration under a second: "<1 sec"
    # a date and time written out in the message (ctime's "Sun Jul  3 23:16:09 2005")
    # (no leading \b: without it `re` scans for the weekday's first letter, 2.5x faster)
    Mask(
        r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov"
        r"|Dec)\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2}(?:\s+\d{4})?\b",
        WILDCARD,
    ),
    Mask(r"\(\)", f"({WILDCARD})"),  # an empty field in brackets is that field, empty: "()"
)
OPSBOT_TOKEN_MASKS: tuple[Mask, ...] = (
    # UUID
    Mask(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    # absolute path
    Mask(r"(?<![\w/.-])(/[^\s/]+)+/?"),
    # IPv4 address with an optional port, or a comma-separated list of them; not the front of
    # a host name ("62.99.164.82.sh.example.at" is a name: the dotted-name rule takes it whole)
    Mask(r"(?<![\w.-])(\d+\.){3}\d+(:\d+)?(,(\d+\.){3}\d+(:\d+)?)*(?![\w.-]*\.[A-Za-z])"),
    # host name with a port
    Mask(r"(?<![\w.-])([\w-]+\.)+[A-Za-z][\w-]*:\d+\b"),
    # dotted name of three parts or more (host, Java class)
    Mask(r"(?<![\w.-])([\w-]+\.){2,}[A-Za-z][\w-]*\b"),
    # hexadecimal: 0x..., or a run of hex digits holding a digit and a letter
    Mask(r"(?<![A-Za-z0-9])0[xX][0-9a-fA-F]+"),
    Mask(r"(?<![A-Za-z0-9])[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*(?![\w])"),
    # a number and whatever is glued to it (sign, decimals, units, times, ids: "-12", "3.5s")
    Mask(r"(?<![A-Za-z0-9])[-+]?\d[\w.:-]*"),
)


@dataclass(frozen=True)
class DrainConfig:
    """Drain's parameters, named as in logparser (`depth` includes root, length layer, leaf).

    The defaults are logparser's Drain (no masks); `DrainConfig.opsbot()` is opsbot's."""

    depth: int = 4
    similarity: float = 0.5
    max_children: int = 100
    masks: tuple[Mask, ...] = ()
    # opsbot's additions (none in logparser's Drain): rules applied to each whitespace token
    # after `masks`, as one regular expression (the first listed rule wins where several
    # match at a place), a token's result remembered (`token_cache` distinct tokens at most);
    # and `exact_first`: a line whose masked tokens equal a cluster's template joins that
    # cluster before any tree search
    token_masks: tuple[Mask, ...] = ()
    exact_first: bool = False
    token_cache: int = 100_000

    @classmethod
    def opsbot(cls) -> DrainConfig:
        """opsbot's one configuration for every log source."""
        return cls(
            depth=7,
            similarity=0.7,
            masks=OPSBOT_MASKS,
            token_masks=OPSBOT_TOKEN_MASKS,
            exact_first=True,
        )

    def __post_init__(self) -> None:
        if self.depth < 3:
            raise Invalid("depth must be at least 3 (root, length layer, leaf)")
        if not 0.0 <= self.similarity <= 1.0:
            raise Invalid("similarity must be in [0, 1]")
        if self.max_children < 2:
            raise Invalid("max_children must be at least 2")

    def to_json(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "similarity": self.similarity,
            "max_children": self.max_children,
            "masks": [[m.pattern, m.replacement] for m in self.masks],
            "token_masks": [[m.pattern, m.replacement] for m in self.token_masks],
            "exact_first": self.exact_first,
            "token_cache": self.token_cache,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DrainConfig:
        return cls(
            depth=int(data["depth"]),
            similarity=float(data["similarity"]),
            max_children=int(data["max_children"]),
            masks=tuple(Mask(str(p), str(r)) for p, r in data["masks"]),
            token_masks=tuple(Mask(str(p), str(r)) for p, r in data["token_masks"]),
            exact_first=bool(data["exact_first"]),
            token_cache=int(data["token_cache"]),
        )


class _Node:
    """A tree node: children by token, and (at a leaf) the ids of its clusters."""

    __slots__ = ("children", "clusters")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.clusters: list[int] = []

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.children:
            out["c"] = {token: child.to_json() for token, child in self.children.items()}
        if self.clusters:
            out["l"] = list(self.clusters)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Node:
        node = cls()
        node.children = {token: cls.from_json(child) for token, child in data.get("c", {}).items()}
        node.clusters = [int(i) for i in data.get("l", [])]
        return node


class _Cluster:
    """A cluster: its id, current template (as tokens and as text) and how many lines joined."""

    __slots__ = ("id", "size", "template", "tokens")

    def __init__(self, cluster_id: int, tokens: list[str], size: int = 1) -> None:
        self.id = cluster_id
        self.tokens = tokens
        self.template = " ".join(tokens)
        self.size = size


def _has_digit(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


class Drain:
    """A streaming Drain parser: `add(line)` files one line and returns its cluster.

    Cluster ids are 1, 2, 3 ... in order of creation and never change; a cluster's template
    does (it only gains wildcards)."""

    def __init__(self, config: DrainConfig | None = None) -> None:
        self.config = config or DrainConfig.opsbot()
        self._masks = [(re.compile(m.pattern), m.replacement) for m in self.config.masks]
        token_masks = self.config.token_masks
        self._replacements = {f"m{i}": m.replacement for i, m in enumerate(token_masks)}
        self._token_rule: re.Pattern[str] | None = None
        if token_masks:
            self._token_rule = re.compile(
                "|".join(f"(?P<m{i}>{m.pattern})" for i, m in enumerate(token_masks))
            )
        self._token_memo: dict[str, list[str]] = {}
        self._by_template: dict[str, int] = {}
        self._prefix = self.config.depth - 3
        self._root: dict[int, _Node] = {}
        self._clusters: list[_Cluster] = []

    # -- the method ------------------------------------------------------------------------

    def tokens(self, line: str) -> list[str]:
        """The line masked and split on whitespace (steps 1 and 2)."""
        for pattern, replacement in self._masks:
            line = pattern.sub(replacement, line)
        rule = self._token_rule
        if rule is None:
            return line.split()
        memo = self._token_memo
        out: list[str] = []
        for token in line.split():
            masked = memo.get(token)
            if masked is None:
                if len(memo) >= self.config.token_cache:
                    memo.clear()
                masked = memo[token] = rule.sub(self._replace, token).split()
            out.extend(masked)
        return out

    def _replace(self, found: re.Match[str]) -> str:
        return self._replacements[found.lastgroup or ""]

    def add(self, line: str) -> tuple[int, str]:
        """File one line; returns (its cluster's id, that cluster's template after it)."""
        tokens = self.tokens(line)
        if self.config.exact_first:
            known = self._by_template.get(" ".join(tokens))
            if known is not None:
                same = self._clusters[known - 1]
                same.size += 1
                return same.id, same.template
        cluster = self._search(tokens)
        if cluster is None:
            cluster = _Cluster(len(self._clusters) + 1, tokens)
            self._clusters.append(cluster)
            self._file(cluster)
        else:
            cluster.size += 1
            merged = [
                t if t == c else WILDCARD for t, c in zip(tokens, cluster.tokens, strict=True)
            ]
            if merged != cluster.tokens:
                cluster.tokens = merged
                cluster.template = " ".join(merged)
        self._by_template.setdefault(cluster.template, cluster.id)
        return cluster.id, cluster.template

    def match(self, line: str) -> int | None:
        """The id of the cluster `line` would join, without changing anything."""
        tokens = self.tokens(line)
        if self.config.exact_first:
            known = self._by_template.get(" ".join(tokens))
            if known is not None:
                return known
        found = self._search(tokens)
        return found.id if found else None

    def _search(self, tokens: list[str]) -> _Cluster | None:
        node = self._root.get(len(tokens))
        if node is None:
            return None
        for token in tokens[: self._prefix]:
            child = node.children.get(token) or node.children.get(WILDCARD)
            if child is None:
                return None
            node = child
        return self._best(node.clusters, tokens)

    def _best(self, ids: list[int], tokens: list[str]) -> _Cluster | None:
        best: _Cluster | None = None
        best_sim, best_params = -1.0, -1
        length = len(tokens) or 1
        for cluster_id in ids:
            cluster = self._clusters[cluster_id - 1]
            same = params = 0
            for t, c in zip(tokens, cluster.tokens, strict=True):
                if c == WILDCARD:
                    params += 1
                elif c == t:
                    same += 1
            sim = same / length if tokens else 1.0
            if sim > best_sim or (sim == best_sim and params > best_params):
                best, best_sim, best_params = cluster, sim, params
        if best is not None and best_sim >= self.config.similarity:
            return best
        return None

    def _file(self, cluster: _Cluster) -> None:
        tokens = cluster.tokens
        node = self._root.get(len(tokens))
        if node is None:
            node = self._root[len(tokens)] = _Node()
        limit = self.config.max_children
        for token in tokens[: self._prefix]:
            children = node.children
            if token in children:
                node = children[token]
            elif _has_digit(token):
                node = children.get(WILDCARD) or children.setdefault(WILDCARD, _Node())
            elif WILDCARD in children:
                if len(children) < limit:
                    node = children[token] = _Node()
                else:
                    node = children[WILDCARD]
            elif len(children) + 1 < limit:
                node = children[token] = _Node()
            else:
                # the last free place goes to the wildcard, which takes every later token
                node = children[WILDCARD] = _Node()
        node.clusters.append(cluster.id)

    # -- reading and state -----------------------------------------------------------------

    def templates(self) -> dict[int, str]:
        """Every cluster's current template by id."""
        return {c.id: c.template for c in self._clusters}

    def sizes(self) -> dict[int, int]:
        """How many lines each cluster holds, by id."""
        return {c.id: c.size for c in self._clusters}

    def __len__(self) -> int:
        return len(self._clusters)

    def to_state(self) -> dict[str, Any]:
        """Everything needed to resume, as plain JSON-able data."""
        return {
            "version": STATE_VERSION,
            "config": self.config.to_json(),
            "clusters": [[c.id, c.tokens, c.size] for c in self._clusters],
            "exact": [[cluster_id, t] for t, cluster_id in self._by_template.items()],
            "tree": {str(length): node.to_json() for length, node in self._root.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Drain:
        """The parser `to_state` described, ready to take the next line."""
        if state.get("version") != STATE_VERSION:
            raise Invalid(f"unknown Drain state version {state.get('version')!r}")
        drain = cls(DrainConfig.from_json(state["config"]))
        for expected, (cluster_id, tokens, size) in enumerate(state["clusters"], start=1):
            if cluster_id != expected:
                raise Invalid(f"cluster ids must be 1..n in order, got {cluster_id}")
            cluster = _Cluster(expected, [str(t) for t in tokens], int(size))
            drain._clusters.append(cluster)
        for cluster_id, template in state.get("exact", []):
            drain._by_template[str(template)] = int(cluster_id)
        drain._root = {int(k): _Node.from_json(v) for k, v in state["tree"].items()}
        return drain
