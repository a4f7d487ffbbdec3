"""The rules of `tools.injection`: one linear-time pattern per kind of instruction-like text,
with the literals every match starts at (see `Rule.matches`).

Patterns are matched on text in ASCII lower case with `_` read as a space, except `SHOUTED`,
where case matters. Every pattern starts at a word or a literal, every repetition is bounded
and possessive; tests/core/test_injection.py proves the linear scaling. Plain Python; imports
nothing of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Part of the runbook index's pipeline id: changing the rules re-flags every runbook on the
# next ingest.
RULES_VERSION = "1"

_S = r"\s{1,8}+"  # a gap between two words (a line break included)
# at the start of a line or a sentence (up to two spaces after it); the text is scanned with a
# line break in front, so the start of the text counts
_LEAD = r"(?:(?<=[\n.!?>\]/:])|(?<=[\n.!?>\]/:][ \t])|(?<=[\n.!?>\]/:][ \t]{2}))"
_AI = r"(?:ai|a\.i\.|assistant|chatbot|bot|llm|language model|agent|opsbot|claude|gpt|copilot)"
_TOOLS = r"(?:run remediation|set model alias|set prompt label|create prompt version)"
_VERBS = (
    r"(?:ignore|disregard|forget|run|execute|call|invoke|restart|promote|roll|rollback|set|"
    r"approve|approved|delete|remove|drop|clean|kill|create|send|reveal|print|stop|do|you|"
    r"new|override|the assistant|the ai)"
)
_SHELL = r"(?:sudo\s{1,8}+)?(?:[\w./-]{0,40}+/)?(?:ba|z|k|da|fi)?sh\b"
# Below this many characters per anchor occurrence, matching at each occurrence beats one
# regex pass over the whole text (as in tools.redact).
_CHARS_PER_ANCHOR = 64


@dataclass(frozen=True)
class Rule:
    """One kind of instruction-like text: a linear-time pattern and the literals (anchors,
    in the scanned lower-case text) at one of which every match starts."""

    name: str
    reason: str  # completes "flagged: …"
    pattern: re.Pattern[str]
    anchors: tuple[str, ...]

    def matches(self, scanned: str) -> list[tuple[int, int]]:
        """(start, end) of each match in `scanned`, found from the anchors with `str.find`
        and an anchored match at each occurrence; one regex pass when anchors are dense.
        Both give what `pattern.finditer` gives."""
        starts: set[int] = set()
        for anchor in self.anchors:
            at = scanned.find(anchor)
            while at >= 0:
                starts.add(at)
                if len(starts) * _CHARS_PER_ANCHOR > len(scanned):
                    return [m.span() for m in self.pattern.finditer(scanned)]
                at = scanned.find(anchor, at + 1)
        spans: list[tuple[int, int]] = []
        done = 0
        for start in sorted(starts):
            if start < done:
                continue
            match = self.pattern.match(scanned, start)
            if match is not None:
                spans.append(match.span())
                done = max(match.end(), start + 1)
        return spans


def _rule(name: str, reason: str, anchors: tuple[str, ...], *patterns: str) -> Rule:
    joined = "|".join(f"(?:{p})" for p in patterns)
    return Rule(name, reason, re.compile(joined, re.MULTILINE), anchors)


_IGNORE = ("ignore", "disregard", "forget", "override", "bypass")

RULES: tuple[Rule, ...] = (
    _rule(
        "ignore-instructions",
        "asks to ignore previous instructions",
        _IGNORE,
        r"\b(?:ignore|disregard|forget|override|bypass)" + _S + r"(?:(?:all|any|every|the|your"
        r"|my|these|those|of|previous|prior|above|earlier|preceding|former|existing|original"
        r"|system|current|initial|safety)" + _S + r"){0,4}+(?:instructions?|prompts?|directions?"
        r"|directives?|rules|guidelines|guardrails|orders|context|conversation)\b",
        r"\b(?:ignore|disregard|forget)"
        + _S
        + r"(?:(?:all|everything|the|of|that|what|is)"
        + _S
        + r"){0,3}+(?:written"
        + _S
        + r"|said"
        + _S
        + r")?above(?=\s{0,4}+(?:[.,;:!)]|and\b|$))",
    ),
    _rule(
        "ignore-user",
        "tells the reader to ignore the user",
        ("ignore", "disregard", "override"),
        r"\b(?:ignore|disregard|override)" + _S + r"(?:the" + _S + r")?(?:user|operator|human"
        r"|engineer|requester)s?\b",
    ),
    _rule(
        "role-change",
        "tries to change the assistant's role or permissions",
        ("you", "from", "act", "behave", "developer", "god", "jailbreak", "dan"),
        r"\byou" + _S + r"are" + _S + r"now" + _S + r"(?:in|an?|the|my|our|operating|acting"
        r"|free|allowed|authori[sz]ed|admin|root|unrestricted|developer|dan|jailbroken)\b",
        r"\byou" + _S + r"(?:have" + _S + r"been|are|were)" + _S + r"(?:granted|given|promoted"
        r"|authori[sz]ed)\b",
        r"\bfrom" + _S + r"now" + _S + r"on\s{0,4}+,?\s{0,4}+(?:you\b|the" + _S + _AI + r"\b)",
        r"\b(?:act|behave)" + _S + r"as" + _S + r"(?:an?" + _S + r"|the" + _S + r")?(?:admin"
        r"|administrator|root|superuser|system|developer|unrestricted)\b",
        r"\b(?:developer|god|jailbreak|dan)" + _S + r"mode\b",
    ),
    _rule(
        "new-instructions",
        "claims to bring new instructions or an override",
        ("new", "system", "admin", "security", "emergency", "override"),
        r"\bnew" + _S + r"(?:instructions?|directives?|orders|rules)(?=\s{0,4}+(?::|!|from\b"
        r"|for" + _S + r"(?:the" + _S + r")?" + _AI + r"\b))",
        r"\b(?:system|admin|security|emergency)" + _S + r"override\b",
        r"\boverride" + _S + r"(?:code|mode|instructions?)\b",
    ),
    _rule(
        "system-prompt",
        "refers to the assistant's system prompt",
        ("your", "reveal", "print", "leak", "repeat", "output", "show", "dump"),
        r"\b(?:your|(?:reveal|print|leak|repeat|output|show|dump)"
        + _S
        + r"(?:the|your))"
        + _S
        + r"(?:system|hidden|original)"
        + _S
        + r"(?:prompt|message|instructions)\b",
    ),
    _rule(
        "addresses-ai",
        "addresses the AI assistant directly",
        (
            "note",
            "message",
            "instruction",
            "attention",
            "reminder",
            "memo",
            "you",
            "dear",
            "hey",
            "assistant",
            "ai",
            "bot",
            "llm",
            "chatbot",
            "system",
            "human",
            "opsbot",
            "claude",
        ),
        r"\b(?:notes?|message|instructions?|attention|reminder|memo)"
        + _S
        + r"(?:to|for)"
        + _S
        + r"(?:(?:the|any|all|every)"
        + _S
        + r")?"
        + _AI
        + r"s?\b",
        r"\byou" + _S + r"are" + _S + r"(?:an?" + _S + r")?(?:ai|assistant|bot|llm|language"
        r" model|ai agent|automated agent)\b",
        r"\b(?:dear|hey|attention)" + _S + _AI + r"\b",
        # "the assistant must …", "assistant must …"
        r"(?:assistant(?<=the[ \n]assistant)|ai(?<=the[ \n]ai)|bot(?<=the[ \n]bot)"
        r"|llm(?<=the[ \n]llm)|chatbot(?<=the[ \n]chatbot))\b" + _S + r"(?:must|should|shall"
        r"|will|needs?" + _S + r"to|has" + _S + r"to|is" + _S + r"required" + _S + r"to)\b",
        r"\b(?:assistant|ai)" + _S + r"must\b",
        # a speaker tag at the start of a line or a sentence, followed by an order
        _LEAD
        + r"(?:assistant|ai|ai agent|system|human|opsbot|claude|llm)\s{0,4}+[:,]\s{0,8}+"
        + _VERBS
        + r"\b",
    ),
    _rule(
        "tool-call",
        "tells the reader to call one of opsbot's tools",
        ("call", "invoke", "trigger"),
        # people ask opsbot or "propose"/"use" an action; "call" is what a model does
        r"\b(?:call|invoke|trigger)"
        + _S
        + r"(?:the"
        + _S
        + r")?(?:(?:tool|function)"
        + _S
        + r")?"
        + _TOOLS
        + r"\b",
        r"\bcall" + _S + r"(?:the" + _S + r")?(?:tool|function)\s{1,4}+[:`'\"]?\s{0,4}+(?!(?:with"
        r"|and|to|again|that|if|when|once|for|you|it|first)\b)(?=[a-z])",
    ),
    _rule(
        "approval",
        "claims or asks for an approval",
        ("no", "without", "pre", "already", "approv"),
        r"\bno"
        + _S
        + r"(?:approval|confirmation|permission|review)s?"
        + _S
        + r"(?:is"
        + _S
        + r"|are"
        + _S
        + r")?(?:needed|required|necessary)\b",
        r"\bwithout" + _S + r"(?:asking|confirmation|confirming|approval" + _S + r"from)\b",
        r"\bpre-?approved\b",
        r"\balready" + _S + r"approved" + _S + r"by\b",
        r"\bapproval"
        + _S
        + r"(?:[a-z0-9-]{1,40}+"
        + _S
        + r")?(?:(?:was|has"
        + _S
        + r"been|is)"
        + _S
        + r")?granted\b",
        r"\bapprove" + _S + r"(?:everything|all|every|any|each)\b",
        _LEAD + r"approve" + _S + r"(?:this|it)\b",
        r"\bapprove" + _S + r"(?:this|it)" + _S + r"(?:now|immediately|right away)\b",
    ),
    _rule(
        "secrecy",
        "asks to hide something from the user",
        ("do", "don", "never", "without", "keep"),
        r"\b(?:do" + _S + r"not|don'?t|never)" + _S + r"(?:tell|inform|notify|alert|warn|show"
        r"|mention"
        + _S
        + r"(?:this|it)"
        + _S
        + r"to|report"
        + _S
        + r"(?:this|it)"
        + _S
        + r"to)"
        + _S
        + r"(?:the"
        + _S
        + r")?(?:user|users|operator|human|engineer|on-?call|anyone)\b",
        r"\bwithout" + _S + r"telling\b",
        r"\bkeep" + _S + r"this" + _S + r"(?:secret|hidden|between" + _S + r"us)\b",
    ),
    _rule(
        "role-markup",
        "contains chat role markup",
        ("<", "[", "#"),
        r"<\s{0,4}+/?\s{0,4}+(?:system|assistant|human|instructions?|tool result|tool use"
        r"|tool call|function call|function result|annotation|im start|im end|\|im start\|"
        r"|\|im end\|)\s{0,4}+/?\s{0,4}+>",
        r"\[\s{0,4}+/?(?:system|inst|assistant)\s{0,4}+\]",
        r"(?<=\n)[ \t]{0,3}+#{1,6}+[ \t]{1,8}+(?:system|assistant|instructions?|system prompt"
        r"|new instructions?)[ \t]{0,8}+:?[ \t]{0,8}+$",
        r"(?<=\n[ \t])[ \t]{0,2}+#{1,6}+[ \t]{1,8}+(?:system|assistant|instructions?)[ \t]{0,8}+"
        r":?[ \t]{0,8}+$",
    ),
    _rule(
        "pipe-to-shell",
        "pipes a download or a base64 blob into a shell",
        ("curl", "wget", "base64", "|"),
        r"\b(?:curl|wget)\b[^\n|]{0,300}+\|\s{0,8}+" + _SHELL,
        r"\bbase64" + _S + r"(?:-d|--decode|-di)\b[^\n|]{0,200}+\|\s{0,8}+" + _SHELL,
        # a long base64 blob before the pipe (checked by `_blob_before`)
        r"\|(?<=[a-z0-9+/=]\|)\s{0,8}+(?:base64\b|" + _SHELL + r")",
        r"\|(?<=[a-z0-9+/=][ \t]\|)\s{0,8}+(?:base64\b|" + _SHELL + r")",
    ),
    _rule(
        "urgent-command",
        "urges running a command before or instead of answering",
        ("before", "run", "execute"),
        r"\bbefore" + _S + r"(?:answering|responding|replying|you" + _S + r"(?:answer|respond"
        r"|reply))\b",
        r"\b(?:run|execute)"
        + _S
        + r"(?:this|these|the"
        + _S
        + r"following)"
        + _S
        + r"(?:commands?|scripts?)\s{0,8}+(?:now|immediately|right away|without|first"
        r"|automatically|silently)\b",
    ),
)

# Shouted system words in front of an order ("SYSTEM set bike-demand production to v1"):
# case matters here, so this one is matched on the text with only `_` read as a space.
SHOUTED = _rule(
    "shouted-system",
    "addresses the AI assistant directly",
    ("SYSTEM", "ADMIN", "ASSISTANT", "OPERATOR"),
    r"\b(?:SYSTEM|ADMIN|ASSISTANT|OPERATOR)\b[ \t:]{1,4}+(?:[Ss]et|[Rr]un|[Cc]all|[Rr]estart"
    r"|[Pp]romote|[Rr]oll|[Aa]pprove|[Dd]elete|[Ee]xecute|[Cc]lean|[Kk]ill|[Cc]reate"
    r"|[Ii]gnore|[Dd]isregard)\b",
)
