"""Remove secrets from text before it is stored, posted or shown to any language model.

Tool output (process command lines, script output, error messages, config dumps) and alert
annotations often carry tokens, passwords and connection strings. Every tool result, approval
preview, incident field and Slack post passes through `redact`. Rules are conservative: they
mask the secret part and keep enough context ("password=", the URL's host, the header name)
for the reader to follow.

Redaction runs on untrusted input inside the bot's process, so it must never be slow: every
rule is written so that Python's `re` cannot backtrack into quadratic time (a rule starts at a
literal and checks the character before it with a fixed-width look-behind, every repetition
that can fail afterwards is bounded or possessive), a rule is tried only where one of its
literal anchors occurs (found with `str.find`), and the text is cut to `MAX_REDACT_CHARS` first,
with a marker that says how much was cut. Which anchors occur, and how often, is found in one
Aho-Corasick pass over the input (`ahocorasick_rs`, a Rust automaton): counting each of the ~65
anchors with `str.count` took half the time of redacting a megabyte.
tests/core/test_redact.py proves the linear scaling for every rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from ahocorasick_rs import AhoCorasick

MASK = "[REDACTED]"
# What any tool, alert or script hands to redaction (and so to triage, storage and Slack) is
# cut to this many characters; tool messages and evidence are clipped further downstream.
MAX_REDACT_CHARS = 100_000

# a literal (no group references) or a function of the match
Replacement = str | Callable[[re.Match[str]], str]


# Below this many characters per anchor occurrence, matching at each occurrence beats one
# regex pass over the whole text; above it (text full of anchors), the regex pass is cheaper.
_CHARS_PER_ANCHOR = 128


@dataclass(frozen=True)
class Rule:
    """One secret format: a linear-time pattern, its replacement, and the lower-case literals
    (anchors) at one of which every match starts."""

    name: str
    pattern: re.Pattern[str]
    replacement: Replacement
    anchors: tuple[str, ...]
    lead: int = 0  # a match starts this many characters after its anchor ("-" of "--token")

    def apply(self, text: str, lowered: str, counts: dict[str, int] | None = None) -> str:
        """`text` with this rule's matches replaced; `lowered` is `text` in ASCII lower case,
        `counts` a cache of anchor counts in it (rules share anchors).

        Same result as `pattern.sub`, found faster: `str.find` for the anchors (case-
        insensitive through `lowered`), then an anchored match at each occurrence only."""
        counts = {} if counts is None else counts
        count = 0
        for anchor in self.anchors:
            if anchor not in counts:
                counts[anchor] = lowered.count(anchor)
            count += counts[anchor]
        if count == 0:
            return text
        if count * _CHARS_PER_ANCHOR > len(text):
            return self.pattern.sub(self.replacement, text)
        starts: set[int] = set()
        for anchor in self.anchors:
            at = lowered.find(anchor)
            while at >= 0:
                starts.add(at + self.lead)
                at = lowered.find(anchor, at + 1)
        pieces: list[str] = []
        done = 0
        for start in sorted(starts):
            if start < done:
                continue
            match = self.pattern.match(text, start)
            if match is None:
                continue
            pieces.append(text[done:start])
            replacement = self.replacement
            pieces.append(replacement(match) if callable(replacement) else replacement)
            done = match.end()
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(text: str) -> str:
    """ASCII lower case, always the same length as `text` (str.lower is not, for some
    non-ASCII letters), so positions found in it are positions in `text`."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _token(name: str, prefix: str, body: str, anchors: tuple[str, ...] = ()) -> Rule:
    """A token that starts with a literal `prefix` not glued to a longer word: the literal
    comes first (fast search), then a fixed-width look-behind checks the character before."""
    literal = re.escape(prefix)
    pattern = re.compile(f"{literal}(?<![A-Za-z0-9_-]{literal}){body}")
    return Rule(name, pattern, MASK, anchors or (prefix.lower(),))


def _keep(group: str) -> Callable[[re.Match[str]], str]:
    """Keep the named group (the context) and mask the rest of the match."""

    def replace(match: re.Match[str]) -> str:
        return (match.group(group) or "") + MASK

    return replace


# ---------------------------------------------------------------------- key = value
# Values that are references or already masked, not secrets, and stay readable.
_NOT_A_VALUE = r"(?!(?:true|false|null|none|yes|no)\b|[$*<{%\[])"
_SEPARATOR = r"(?P<sep>[\"']?[ \t]{0,8}(?:=>|:=|[:=])[ \t]{0,8})"
_VALUE = (
    r"(?:(?P<q>[\"'])" + _NOT_A_VALUE + r"(?P<qv>[^\"'\r\n]{1,300}+)(?P=q)"
    r"|(?P<bq>[\"']?)" + _NOT_A_VALUE + r"(?P<bv>[^\s\"',;&]{3,}+))"
)

# keyword (regex), its literal anchor. A keyword anywhere in the key counts (DB_PASSWORD,
# x-api-key, "client_secret"); what is left of it is kept as it is.
_KEYWORDS: list[tuple[str, str]] = [
    ("password", "password"),
    ("passwd", "passwd"),
    ("passphrase", "passphrase"),
    # PWD=/home/x is the working directory, not a password
    ("pwd(?![\\w.-]{0,40}[\"']?[ \\t]{0,8}[:=][ \\t]{0,8}[\"']?[/~])", "pwd"),
    ("pass(?<![a-z]pass)(?![a-z])", "pass"),  # DB_PASS=, pass: (not bypass=, passed=)
    ("secret", "secret"),
    ("token(?!s)", "token"),  # not max_tokens=1024
    ("api[_-]?key", "api"),  # anchored on apikey, api_key, api-key (not every /api/ path)
    ("access[_-]?key", "access"),
    ("private[_-]?key", "private"),
    ("auth[_-]?key", "auth"),
    ("credentials?", "credential"),
]


def _mask_value(match: re.Match[str]) -> str:
    """key, separator and quotes kept; the value masked."""
    quote = match.group("q") or match.group("bq") or ""
    closing = match.group("q") or ""
    return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{closing}"


def _key_value(keyword: str, hint: str) -> Rule:
    pattern = re.compile(f"(?i)(?P<key>{keyword}[\\w.-]{{0,40}}+){_SEPARATOR}{_VALUE}")
    if keyword == f"{hint}[_-]?key":  # the whole keyword is the anchor: three spellings
        anchors = tuple(f"{hint}{joint}key" for joint in ("", "_", "-"))
    else:
        anchors = (hint,)
    return Rule(f"key={hint}", pattern, _mask_value, anchors)


def _flag(keyword: str) -> Rule:
    """--password VALUE / -token VALUE (the "=" form is a key=value rule)."""
    literal = re.escape(keyword)
    pattern = re.compile(
        f"(?i)(?P<key>{literal}(?<=-{literal}))(?P<sep>[ \\t]{{1,8}})(?!-){_VALUE}"
    )
    return Rule(f"--{keyword}", pattern, _mask_value, ("-" + keyword,), lead=1)


def _client_password(client: str, suffix: str) -> Rule:
    """`client ... -p SECRET` / `-pSECRET` on one command line, up to 16 arguments apart."""
    pattern = re.compile(
        f"(?P<pre>{client}(?<![\\w-]{client}){suffix}(?![\\w-])"
        r"(?:[ \t]{1,8}+(?!-p)\S{1,256}+){0,16}?[ \t]{1,8}+-p[ \t]{0,8}+)(?!-)\S{1,}+"
    )
    return Rule(f"{client} -p", pattern, _keep("pre"), (client,))


RULES: list[Rule] = [
    # PEM private keys, also when cut off before the END line or with escaped newlines
    Rule(
        "pem private key",
        re.compile(
            r"-----BEGIN (?P<kind>[A-Z0-9 ]{0,40})PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[^-]|-(?!----))*+(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?"
        ),
        "-----BEGIN PRIVATE KEY-----" + MASK + "-----END PRIVATE KEY-----",
        ("-----begin",),
    ),
    # credentials inside URLs: scheme://user:password@host, scheme://:password@host
    Rule(
        "url credentials",
        re.compile(r"(?P<pre>://[^\s:/@]{0,256}+:)[^\s@/]{1,256}+(?=@)"),
        _keep("pre"),
        ("://",),
    ),
    # Slack incoming webhooks and Discord webhooks: the path is the secret
    Rule(
        "slack webhook",
        re.compile(r"(?P<pre>hooks\.slack\.com/(?:services|workflows|triggers)/)[\w/-]{8,}+"),
        _keep("pre"),
        ("hooks.slack.com",),
    ),
    Rule(
        "discord webhook",
        re.compile(r"(?P<pre>discord(?:app)?\.com/api/webhooks/)[\w/-]{8,}+"),
        _keep("pre"),
        ("discord",),
    ),
    # vendor tokens with a recognisable prefix
    _token("slack token", "xox", r"[abeposr]-[A-Za-z0-9-]{10,}+"),
    _token("slack app token", "xapp-", r"[A-Za-z0-9-]{10,}+"),
    _token("anthropic key", "sk-ant-", r"[A-Za-z0-9_-]{10,}+"),
    _token("openai key", "sk-", r"[A-Za-z0-9_-]{20,}+"),
    _token("stripe secret key", "sk_", r"(?:live|test)_[A-Za-z0-9]{10,}+"),
    _token("stripe restricted key", "rk_", r"(?:live|test)_[A-Za-z0-9]{10,}+"),
    _token("stripe webhook secret", "whsec_", r"[A-Za-z0-9]{16,}+"),
    _token("github token", "gh", r"[pousr]_[A-Za-z0-9]{20,}+", ("gh",)),
    _token("github fine-grained token", "github_pat_", r"[A-Za-z0-9_]{20,}+"),
    _token(
        "gitlab token",
        "gl",
        r"(?:pat|dt|rt|ptt|oas|cbt)-[A-Za-z0-9_-]{20,}+",
        ("gl",),
    ),
    _token("npm token", "npm_", r"[A-Za-z0-9]{36}+"),
    _token("hugging face token", "hf_", r"[A-Za-z0-9]{30,}+"),
    _token("pypi token", "pypi-", r"AgE[A-Za-z0-9_-]{50,}+"),
    _token("google oauth token", "ya29.", r"[A-Za-z0-9_-]{20,}+"),
    _token("google api key", "AIza", r"[0-9A-Za-z_-]{35}+"),
    _token("sendgrid key", "SG.", r"[A-Za-z0-9_-]{16,}+\.[A-Za-z0-9_-]{16,}+"),
    _token("digitalocean token", "do", r"[opr]_v1_[a-f0-9]{64}+", ("do",)),
    _token(
        "shopify token",
        "shp",
        r"(?:at|ss|ca|pa)_[a-fA-F0-9]{32}+",
        ("shp",),
    ),
    _token("square token", "sq0", r"(?:atp|csp)-[A-Za-z0-9_-]{22,}+"),
    _token("twilio api key", "SK", r"[0-9a-f]{32}+(?![A-Za-z0-9])", ("sk",)),
    _token("aws access key", "AKIA", r"[A-Z0-9]{16}+(?![A-Za-z0-9])"),
    _token("aws session key", "ASIA", r"[A-Z0-9]{16}+(?![A-Za-z0-9])"),
    # JSON web tokens
    _token("jwt", "eyJ", r"[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+"),
    # Azure storage / service bus connection strings and SAS signatures
    Rule(
        "azure key",
        re.compile(r"(?P<pre>(?:Account|SharedAccess)Key=)[^;\s\"']{8,}+"),
        _keep("pre"),
        ("accountkey=", "sharedaccesskey="),
    ),
    Rule(
        "azure sas signature",
        re.compile(r"(?P<pre>sig=(?<=[?&]sig=))[A-Za-z0-9%+/=]{10,}+"),
        _keep("pre"),
        ("sig=",),
    ),
    # Authorization headers (any scheme) and bare bearer tokens
    Rule(
        "authorization header",
        re.compile(
            r"(?i)(?P<pre>authorization[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
            r"(?:(?:bearer|basic|token|digest|apikey|negotiate|aws4-hmac-sha256)[ \t]{1,8})?)"
            r"[^\s'\"]{1,}+"
        ),
        _keep("pre"),
        ("authorization",),
    ),
    Rule(
        "bearer token",
        re.compile(r"(?i)(?P<pre>bearer[ \t]{1,8})[A-Za-z0-9._~+/=-]{16,}+"),
        _keep("pre"),
        ("bearer",),
    ),
    # Cookie and Set-Cookie headers: the whole value, to the end of the line
    Rule(
        "cookie header",
        re.compile(r"(?i)(?P<pre>cookie[\"']?[ \t]{0,8}:[ \t]{0,8}[\"']?)[^\r\n\"']{1,}+"),
        _keep("pre"),
        ("cookie",),
    ),
    # curl -u user:password, --user user:password (not docker's -u 1000:1000)
    Rule(
        "user:password flag",
        re.compile(
            r"(?P<pre>-(?<![\w-]-)(?:-user|u)(?:[ \t]{1,8}|=)[\"']?[^\s:\"']{1,128}+:)"
            r"(?!\d+(?![^\s\"']))[^\s\"']{1,}+"
        ),
        _keep("pre"),
        ("-u", "--user"),
    ),
    # mysql-family clients: -p hunter2 and -phunter2 (psql's -p is a port: not matched)
    *(
        _client_password(client, suffix)
        for client, suffix in (
            ("mysql", "(?:dump|admin)?"),
            ("mariadb", "(?:-dump)?"),
            ("sshpass", ""),
        )
    ),
    *(_key_value(keyword, hint) for keyword, hint in _KEYWORDS),
    *(_flag(k) for k in ("password", "passwd", "token", "secret", "api-key", "apikey", "pass")),
]


def clip(text: str, limit: int = MAX_REDACT_CHARS) -> str:
    """`text` cut to about `limit` characters, saying how many more were cut. The cut falls on
    whitespace when there is some near the limit, so a secret is not split in two halves."""
    if len(text) <= limit:
        return text
    cut = limit
    space = max(text.rfind(" ", limit - 200, limit), text.rfind("\n", limit - 200, limit))
    if space > 0:
        cut = space
    return text[:cut] + f"\n[… {len(text) - cut} more characters cut]"


def redact(text: str, limit: int = MAX_REDACT_CHARS) -> str:
    """`text` cut to `limit` characters (see `clip`) with every recognised secret masked."""
    if not text:
        return text
    text = clip(text, limit)
    lowered = _lower(text)
    # Anchor counts are taken once, on the input: a replacement never creates an anchor that
    # was not there (MASK holds none and no anchor has a bracket, so none forms across its
    # edges; what a rule keeps was in its match), so after a change they are upper bounds,
    # and a rule whose anchors were absent still has nothing to match.
    counts = _anchor_counts(lowered)
    for rule in RULES:
        masked = rule.apply(text, lowered, counts)
        if masked is not text and masked != text:
            text, lowered = masked, _lower(masked)
    return text


@cache
def _anchors() -> tuple[tuple[str, ...], AhoCorasick]:
    """Every rule's anchors and the automaton that finds them all in one pass."""
    anchors = tuple(sorted({anchor for rule in RULES for anchor in rule.anchors}))
    return anchors, AhoCorasick(anchors)


def _anchor_counts(lowered: str) -> dict[str, int]:
    """How often each anchor occurs in `lowered` (overlapping occurrences count: an upper
    bound of what `str.count` says, which is all `Rule.apply` needs), 0 for the absent ones."""
    anchors, automaton = _anchors()
    found = Counter(
        index for index, _, _ in automaton.find_matches_as_indexes(lowered, overlapping=True)
    )
    return {anchor: found.get(i, 0) for i, anchor in enumerate(anchors)}


def redact_data(value: object) -> object:
    """Redact strings inside nested dicts and lists (structured tool data)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
