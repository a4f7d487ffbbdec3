"""Decisions typed in words: "approve", "approve it", "yes, go ahead with the rollback",
"lgtm, ship it", "reject", "no", "reject, wrong version", "approve 2", "reject ap-1a2b3c4d5e6f".

A small, strict parser of the human's own message (never the model's output, never a tool
result: the front ends pass only the text a person typed). Anything that is not clearly a
decision is not one (`parse` returns None) and goes to the agent as any other message: a
question mark anywhere, a hedge ("but", "wait", "first", "what", "if"…), a sentence that
does not start with the decision, or a bare "yes"/"no" followed by something other than a
confirmation or a short reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 300
# a short reason after a bare "no" ("no, wrong version"); longer text is a message, not a "no"
WEAK_REASON_WORDS = 8

# (phrase, approve?) that decide on their own and may be followed by a reason
STRONG: tuple[tuple[str, bool], ...] = (
    ("approve", True),
    ("approved", True),
    ("lgtm", True),
    ("confirm", True),
    ("confirmed", True),
    ("go ahead", True),
    ("go for it", True),
    ("ship it", True),
    ("do it", True),
    ("proceed", True),
    ("reject", False),
    ("rejected", False),
    ("deny", False),
    ("denied", False),
    ("decline", False),
    ("declined", False),
)
# words that decide only alone, or followed by a decision of the same sense ("yes, go
# ahead"), or (a "no") by a separator and a short reason
WEAK: tuple[tuple[str, bool], ...] = (
    ("yes", True),
    ("yep", True),
    ("yeah", True),
    ("yup", True),
    ("no", False),
    ("nope", False),
    ("nah", False),
    ("cancel", False),
    ("abort", False),
    ("don't", False),
    ("do not", False),
    ("don't do it", False),
    ("do not do it", False),
)
# what may come before a decision ("please approve", "ok, approve it"); alone, none of
# these is a decision ("ok" acknowledges what the bot said, it does not approve a change)
LEADING = ("please", "pls", "ok", "okay", "alright", "sure")
# what may come after it without changing anything
POLITE = {"please", "pls", "thanks", "thank you", "thx", "ty"}
# words that make a message a question or a condition, not a decision
HEDGES = {
    "but", "what", "why", "how", "which", "when", "where", "who", "wait", "hold", "first",
    "before", "unless", "if", "instead", "later", "maybe", "should", "would", "could",
    "explain", "tell", "show", "does", "whether", "hmm", "hm", "unsure",
}  # fmt: skip
# in an approval's words, a negation also makes it no clear approval
NEGATIONS = {"not", "don't", "dont", "never", "no"}

_SEPARATOR = re.compile(r"^[\s,:;.\-–—!]+")
_PUNCTUATION = re.compile(r"^\s*[,:;.\-–—!]")
# a number, or an id (in full, or its 12 hex digits); "ap-" and anything is taken as an id
# (and refused when there is none), so a mistyped id never falls back to "the one pending"
_TARGET = re.compile(r"^(?:#?(?P<number>\d{1,3})|(?P<id>ap-[0-9a-z]+|[0-9a-f]{12}))(?![\w-])")
_OBJECT = re.compile(r"^(?:it|this|that|this one|that one|the one|the [a-z-]+)(?![\w-])")
_WORD = re.compile(r"[a-z0-9'’]+")


@dataclass(frozen=True)
class WordDecision:
    """A decision typed in words. `target`: None for "the one pending in this conversation",
    a number ("2": the approval listed as 2 in this conversation) or an approval id."""

    approve: bool
    target: str | None = None
    reason: str | None = None


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").strip().lower()
    return re.sub(r"\s+", " ", text)


def _head(text: str, table: tuple[tuple[str, bool], ...]) -> tuple[str, bool] | None:
    """The longest phrase of `table` that `text` starts with, as a whole word."""
    found = None
    for phrase, approve in table:
        whole = text.startswith(phrase) and not re.match(r"[\w'-]", text[len(phrase) :][:1])
        if whole and (found is None or len(phrase) > len(found[0])):
            found = (phrase, approve)
    return found


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _strip_polite(text: str) -> str:
    """`text` without trailing/leading politeness ("please", "thanks")."""
    text = text.strip(" ,.!;:-")
    changed = True
    while changed and text:
        changed = False
        for word in sorted(POLITE, key=len, reverse=True):
            for pattern in (rf"^{word}(?![\w'])", rf"(?<![\w']){word}$"):
                stripped = re.sub(pattern, "", text).strip(" ,.!;:-")
                if stripped != text:
                    text, changed = stripped, True
    return text


def _target(rest: str) -> tuple[str | None, str]:
    """An explicit target (a number or an approval id) or an object ("it", "the rollback")
    at the start of `rest`; returns (target, what follows)."""
    match = _TARGET.match(rest)
    if match:
        target = match.group("number") or match.group("id")
        return target, rest[match.end() :]
    match = _OBJECT.match(rest)
    if match:
        return None, rest[match.end() :]
    return None, rest


def _hedged(tail: str, approve: bool) -> bool:
    words = set(_words(tail))
    if words & HEDGES:
        return True
    return approve and bool(words & NEGATIONS)


def parse(text: str) -> WordDecision | None:
    """The decision `text` states, or None when it is not clearly a decision."""
    text = _normalise(text)
    if not text or len(text) > MAX_CHARS or "?" in text:
        return None
    return _decision(text, allow_weak=True)


def _decision(text: str, *, allow_weak: bool) -> WordDecision | None:
    strong = _head(text, STRONG)
    weak = _head(text, WEAK) if allow_weak else None
    if weak is not None and (strong is None or len(weak[0]) > len(strong[0])):
        return _after_weak(text, weak)
    if strong is None:
        for lead in LEADING:  # "please approve", "ok, reject it"
            if _head(text, ((lead, True),)):
                rest = _SEPARATOR.sub("", text[len(lead) :])
                if rest != text and _head(rest, STRONG):
                    return _decision(rest, allow_weak=False)
        return None
    phrase, approve = strong
    target, rest = _target(_SEPARATOR.sub("", text[len(phrase) :]).strip())
    tail = _strip_polite(_SEPARATOR.sub("", rest))
    if tail.startswith("with "):  # "go ahead with the rollback"
        tail = _strip_polite(_target(tail[len("with ") :])[1])
    if tail and _hedged(tail, approve):
        return None
    if tail and (follow := _decision(tail, allow_weak=False)) is not None:
        if follow.approve != approve:
            return None  # "approve, reject": not clear
        return WordDecision(approve, target or follow.target, follow.reason)
    return WordDecision(approve, target, tail or None)


def _after_weak(text: str, weak: tuple[str, bool]) -> WordDecision | None:
    phrase, approve = weak
    after = text[len(phrase) :]
    target, rest = _target(_SEPARATOR.sub("", after).strip())
    separated = bool(_PUNCTUATION.match(rest) or _PUNCTUATION.match(after))
    tail = _strip_polite(rest)
    if not tail:
        return WordDecision(approve, target)
    follow = _decision(tail, allow_weak=False)
    if follow is not None:  # "yes, go ahead with the rollback", "no, reject it"
        if follow.approve != approve:
            return None
        return WordDecision(approve, target or follow.target, follow.reason)
    if approve or not separated or _hedged(tail, approve):
        return None  # "yes do the other one", "no idea": not a decision
    if len(_words(tail)) > WEAK_REASON_WORDS:
        return None
    return WordDecision(approve, target, tail)  # "no, wrong version"
