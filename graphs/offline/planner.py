"""Turn one chat message into tool calls, without a language model.

Rules, not magic: the message is normalised, words are matched to a lexicon with typo
tolerance, names are matched against what the registries really hold, and a short list of
intent rules picks the tools and fills their arguments. When a name is missing the planner
asks for it (listing the names it knows); when nothing matches it says what it can do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from graphs.offline.context import Call, follow_up
from graphs.offline.entities import Entities, Vocabulary, extract
from graphs.offline.intents import (
    ALL_WORDS,
    CAPABILITIES,
    CLEAN,
    DIFF,
    DRIFT,
    HELP,
    KILL,
    LEXICON,
    LIST,
    MODEL,
    PROMOTE,
    PROMPT,
    QUESTION,
    RESTART,
    ROLLBACK,
    SCRIPT,
    VERSION_WORDS,
)
from graphs.offline.reads import Plan, Reads, bare_numbers
from graphs.offline.recall import LastResult
from graphs.offline.referents import Context, resolve
from graphs.offline.refusals import refusal
from graphs.offline.semantic_calls import propose
from graphs.offline.text import normalise, tokens
from graphs.offline.unknown import unknown_reply
from graphs.prompts import SYSTEM_PROMPT_NAME

if TYPE_CHECKING:
    from graphs.offline.semantic import SemanticRouter


def capabilities_text(available: set[str]) -> str:
    lines = [f"- {text}" for name, text in CAPABILITIES if name in available]
    return "Here is what I can do:\n" + "\n".join(lines)


def _names_list(kind: str, names: tuple[str, ...]) -> str:
    if not names:
        return f"No {kind}s are registered yet."
    shown = ", ".join(names[:15]) + (" …" if len(names) > 15 else "")
    return f"Known {kind}s: {shown}."


_TOPIC_WORDS = ALL_WORDS - HELP - LIST - QUESTION
_INCIDENT_REF = re.compile(r"^(?:inc|incident)?[-#]?\d+$")


_RESTART_TARGET = re.compile(
    r"\b(?:restart|reboot|bounce|reload)\s+(?:the\s+)?([a-z][\w.-]*)", re.IGNORECASE
)


_QUOTED = re.compile(r"(?:^|(?<=\s))'[^']+'(?=$|[\s.,;:!?-])|\"[^\"]+\"|“[^”]+”|‘[^’]+’")
_ACTION_WORDS = ROLLBACK | PROMOTE | RESTART | KILL | CLEAN | SCRIPT | {"roll", "run", "stop"}


def _acts(text: str, words: set[str]) -> bool:
    """Whether the message asks for an action outside quotation marks: "a runbook told me
    to 'restart demo-web' - is that legit?" quotes an instruction, it does not give one."""
    if re.match(r"\s*(?:should|shall|would|could) (?:i|we)\b", text, re.IGNORECASE):
        return False  # asking for advice about an action is not asking for it
    if not words & _ACTION_WORDS:
        return True  # the change rules check their own words; nothing quoted to discount
    bare = _QUOTED.sub(" ", text)
    if bare == text:
        return True
    return bool({LEXICON.canonical(w) for w in tokens(bare)} & _ACTION_WORDS)


def _restart_target(text: str) -> str | None:
    """The word after the restart verb, when it names something: "restart nginx"."""
    match = _RESTART_TARGET.search(text)
    if not match or match.group(1).lower() in ALL_WORDS | {"it", "that", "this", "now"}:
        return None
    return match.group(1)


class Planner:
    def __init__(
        self,
        vocabulary: Vocabulary,
        available: set[str],
        semantic: SemanticRouter | None = None,
        depth: int = 0,
    ) -> None:
        self._depth = depth  # how many earlier turns are being re-planned for context
        self.vocab = vocabulary
        self.available = available
        self.semantic = semantic  # nearest labelled examples, when no rule matched

    def _has(self, name: str) -> bool:
        return name in self.available

    def plan(
        self, text: str, history: list[str] | None = None, last: LastResult | None = None
    ) -> Plan:
        """The calls (or the reply) for `text`, after the earlier messages `history`; `last`
        holds the items of the conversation's last result, for "open the one about memory"."""
        raw_words = tokens(text)
        ents = extract(text, raw_words, self.vocab)
        words = {
            LEXICON.canonical(w)
            for i, w in enumerate(raw_words)
            if i not in ents.used and not _INCIDENT_REF.match(w)  # "inc-12" is not "inode"
        }
        low = normalise(text)
        context = self._context(history or [])
        plan = Plan()

        help_words = words & HELP
        if help_words and ((words - HELP) & _TOPIC_WORDS or ents.paths or ents.used):
            # "disk usage /var", "disk usage for /srv please help": a question about
            # something, with a help word in it, is that question, not a help request
            help_words = set()
        if help_words or "what can you do" in low or low.strip() in {"?", "hi", "hello", "hey"}:
            plan.reply = capabilities_text(self.available)
            return plan
        plan.reply = refusal(text)
        if plan.reply is not None:
            return plan
        if last is not None:
            acts = _acts(text, words)
            before = normalise(history[-1]) if history else ""
            ctx = Context(low, words, ents, last, self.vocab, self.available, acts, before)
            pointed = resolve(ctx)
            if pointed is not None:
                return pointed
        plan.reply = unknown_reply(raw_words, words, ents, self.vocab)
        if plan.reply is not None:
            return plan

        if history and self._depth < 3:
            previous = Planner(self.vocab, self.available, self.semantic, self._depth + 1)
            earlier: list[Call] = previous.plan(history[-1], history[:-1]).calls
            plan.calls = follow_up(low, words, ents, earlier, self.vocab)
            if plan.calls:
                return plan
        if _acts(text, words) and self._plan_changes(text, low, words, ents, context, plan):
            return plan
        model, prompt = self._model(ents, context, words), self._prompt(ents, context, words)
        Reads(self.vocab, self.available).plan(text, low, words, ents, model, prompt, plan)
        if not plan.calls and plan.reply is None and self.semantic is not None:
            plan.calls.extend(
                propose(self.semantic, text, ents, words, context, self.vocab, self.available)
            )
        if not plan.calls and plan.reply is None:
            question = bool(words & QUESTION) or text.strip().endswith("?")
            if self._has("search_runbooks") and (question or len(raw_words) >= 3):
                plan.calls.append(("search_runbooks", {"query": text.strip()[:500], "k": 3}))
            else:
                plan.reply = (
                    "I'm not sure what you need. I run without a language model here, so I "
                    "understand the everyday questions below.\n" + capabilities_text(self.available)
                )
        return plan

    # ------------------------------------------------------------------ helpers
    def _context(self, history: list[str]) -> Entities:
        """Names from earlier messages of the conversation, most recent first."""
        merged = Entities()
        for earlier in reversed(history[-6:]):
            ents = extract(earlier, tokens(earlier), self.vocab)
            for attr in ("models", "prompts", "endpoints", "services"):
                current = getattr(merged, attr)
                for name in getattr(ents, attr):
                    if name not in current:
                        current.append(name)
        return merged

    def _model(self, ents: Entities, context: Entities, words: set[str]) -> str | None:
        if ents.models:
            return ents.models[0]
        if words & (MODEL | DRIFT | VERSION_WORDS | ROLLBACK | {"it", "its"}) and context.models:
            return context.models[0]
        if len(self.vocab.models) == 1 and words & (MODEL | DRIFT):
            return self.vocab.models[0]
        partial = self._partial_model(words)
        if partial and words & (MODEL | DRIFT | VERSION_WORDS | ROLLBACK | PROMOTE):
            return partial
        return None

    def _partial_model(self, words: set[str]) -> str | None:
        """A word that is a distinctive part (4+ letters, not a keyword) of exactly one
        registered model name: "the bike model" -> bike-demand."""
        found = {
            name
            for name in self.vocab.models
            for part in re.split(r"[-_.]", name.lower())
            if len(part) >= 4 and part not in ALL_WORDS and part in words
        }
        return found.pop() if len(found) == 1 else None

    def _prompt(self, ents: Entities, context: Entities, words: set[str]) -> str | None:
        if ents.prompts:
            return ents.prompts[0]
        if {"system"} <= words and words & PROMPT and SYSTEM_PROMPT_NAME in self.vocab.prompts:
            return SYSTEM_PROMPT_NAME  # "roll back the system prompt": opsbot's own
        if (
            context.prompts
            and not ents.models
            and (words & (PROMPT | DIFF | ROLLBACK | PROMOTE) or ents.versions)
        ):
            return context.prompts[0]
        return None

    # ------------------------------------------------------------------ changes
    def _plan_changes(
        self, text: str, low: str, words: set[str], ents: Entities, ctx: Entities, plan: Plan
    ) -> bool:
        rollback = bool(words & ROLLBACK) or bool(
            re.search(r"\broll\s*-?\s*(?:(?:it|that|this|them)\s+)?back\b", low)
        )
        promote = bool(words & PROMOTE) and bool(ents.versions or ents.labels)
        if rollback or promote:
            prompt = self._prompt(ents, ctx, words)
            model = self._model(ents, ctx, words)
            wants_prompt = prompt is not None and (words & PROMPT or not model)
            label = next((lb for lb in ents.labels if lb != "latest"), "production")
            version = ents.versions[-1] if ents.versions and promote and not rollback else None
            if promote and not rollback and version is None:
                # "promote X to production" names no version: a bare number, or ask; never
                # fall through to a rollback, which is what version=None means
                bare = bare_numbers(text, ents)
                target = prompt if wants_prompt else model
                if len(bare) == 1:
                    version = bare[0]
                elif target is not None:
                    plan.reply = (
                        f"Which version should {label} of {target} point to? For example: "
                        f"promote {target} v2 to {label}."
                    )
                    return True
            if rollback and version is None and ents.versions:
                version = ents.versions[-1]  # "roll back bike-demand to v1": that version
            if wants_prompt and self._has("set_prompt_label"):
                plan.calls.append(
                    ("set_prompt_label", {"name": prompt, "label": label, "version": version})
                )
                return True
            if model and self._has("set_model_alias"):
                plan.calls.append(
                    ("set_model_alias", {"name": model, "alias": label, "version": version})
                )
                return True
            if words & PROMPT:
                plan.reply = "Which prompt? " + _names_list("prompt", self.vocab.prompts)
                return True
            if words & MODEL or rollback:
                plan.reply = (
                    "Which model or prompt should I roll back? "
                    + _names_list("model", self.vocab.models)
                    + " "
                    + _names_list("prompt", self.vocab.prompts)
                )
                return True
        if not self._has("run_remediation"):
            return False
        if words & RESTART:
            # a service and an endpoint may share a name ("demo-web"); the verb says which
            named = ents.services or [e for e in ents.endpoints if e in self.vocab.services]
            service = next(iter(named or ctx.services), None)
            asked = _restart_target(text)
            if service is None and asked:
                plan.reply = f"unknown service '{asked}'; " + _names_list(
                    "restartable service", self.vocab.services
                )
            elif service is None:
                plan.reply = "Which service should I restart? " + _names_list(
                    "restartable service", self.vocab.services
                )
            else:
                plan.calls.append(
                    (
                        "run_remediation",
                        {"action": "restart_service", "params": {"service": service}},
                    )
                )
            return True
        if words & KILL or (words & {"stop"} and ents.pids):
            if not ents.pids:
                plan.reply = "Which process? Give me its PID, e.g. `kill pid 4242`."
            else:
                plan.calls.append(
                    ("run_remediation", {"action": "kill_process", "params": {"pid": ents.pids[0]}})
                )
            return True
        if words & CLEAN and (ents.paths or words & {"logs", "log", "files", "directory"}):
            if not ents.paths:
                plan.reply = (
                    "Which directory should I clean? e.g. `clean /var/log/myapp older than 7 days`."
                )
            else:
                params: dict[str, Any] = {"path": ents.paths[0]}
                if ents.days is not None:
                    params["older_than_days"] = ents.days
                plan.calls.append(
                    ("run_remediation", {"action": "clean_directory", "params": params})
                )
            return True
        if ents.scripts and (words & SCRIPT or "run" in low.split()):
            plan.calls.append(
                ("run_remediation", {"action": "run_script", "params": {"script": ents.scripts[0]}})
            )
            return True
        return False
