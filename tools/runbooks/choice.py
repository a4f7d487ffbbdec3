"""Which runbook incident triage cites for an alert, and why.

In this order (`RunbookChooser.choose`):

1. the alert's own `runbook_url` annotation: the indexed runbook whose file is named like
   the URL's last path segment (`.../alertmanager/alertmanagerfailedreload` ↔
   `AlertmanagerFailedReload.md`: a team's local copy), else the URL itself;
2. a runbook whose front matter lists the alert (opsbot's own alerts, and the common
   node-exporter / kube-prometheus / awesome-prometheus-alerts names of the same problem);
3. a runbook found by the alert's meaning: its summary and description, without the alert
   name pasted in. A candidate is a strong hit of the hybrid search whose best passage
   reaches the embedding's similarity floor and whose title, what the runbook is about, is
   close to the alert's text (`TITLE_FLOOR`; or, for names and codes the embedding does not
   know, whose section holds most of the alert's own words). The best by the mean of the
   two similarities wins, unless another runbook comes within `MARGIN` of it (a guess).
   So "High HTTP 5xx error rate on api" does not get "LLM provider errors" because that
   runbook's Diagnosis mentions 500s, and an alert nothing covers gets none.

The URL is kept on the choice (`url`) whenever the alert carried one, so the card and
`incidents show --json` show it even when a local runbook is cited. A `runbook_url` that is
not an http(s) URL is ignored, with the reason logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from knowledge.plaintext import expand_identifiers
from tools.runbooks.hits import Hit
from tools.runbooks.index import LEXICAL_STRONG, RunbookIndex

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Cosine similarity between the alert's text and a runbook's title below which the runbook
# is not about this alert, however well one of its passages matches. Chosen on
# `bench/runbook_choice.py` with the default embedding (no held-out set: the margin is
# thin): the right runbooks' titles score 0.46-0.67 against their alerts' texts; 0.40-0.44
# were only wrong ones (a pod crash loop -> the systemd crash-loop runbook, network errors ->
# LLM provider errors, Watchdog -> the no-runbook runbook).
TITLE_FLOOR = 0.45
CANDIDATES = 3  # strong text hits considered by meaning
# A runner-up this close to the best candidate makes the choice a guess: none is cited.
MARGIN = 0.07
EXCERPT_CHARS = 1200
MITIGATION_WORDS = ("mitigation", "remediation", "resolution", "fix", "what to do", "action")
# Last URL segments that name no runbook in particular (a wiki's README, a folder index):
# never matched to a local file of that name.
GENERIC_NAMES = frozenset({"readme", "index", "home", "main", "runbook", "runbooks", "wiki"})
URL = "url"  # chosen by the alert's runbook_url (its local copy, or the link itself)
ALERT = "alert"  # a runbook's front matter lists the alert
TEXT = "text"  # found by the alert's meaning


@dataclass
class RunbookChoice:
    """The runbook triage cites: what to show and how it was chosen (`match`)."""

    title: str
    section: str | None
    source: str  # "runbooks/host-disk-full.md", or the URL when no local copy is indexed
    match: str  # URL, ALERT or TEXT
    excerpt: str = ""
    warning: str | None = None  # the excerpt was flagged at ingest as instruction-like
    url: str | None = None  # the alert's runbook_url, whenever it carried one

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "section": self.section,
            "source": self.source,
            "excerpt": self.excerpt,
            "match": self.match,
            "warning": self.warning,
            "url": self.url,
        }


def runbook_url(value: object) -> str | None:
    """The alert's `runbook_url` when it is an http(s) URL with a host, else None (logged)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        log.info("runbook_url ignored: %r is not an http(s) URL", text[:200])
        return None
    return text


def url_name(url: str) -> str:
    """The runbook name a URL ends with: its last path segment, decoded, without `.md` or
    `.html` (`https://x/runbooks/node/NodeDiskFull.md` -> `NodeDiskFull`)."""
    segment = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    for ending in (".md", ".markdown", ".html", ".htm"):
        if segment.lower().endswith(ending):
            return segment[: -len(ending)]
    return segment


def url_choice(alertname: str, url: str) -> RunbookChoice:
    """The URL itself as the runbook: titled after the alert when the URL is named after it,
    else after the URL's last segment (or the alert when it has none)."""
    name = url_name(url)
    if not name or _key(name) in GENERIC_NAMES or _key(name) == _key(alertname):
        title = f"{alertname or 'Alert'} runbook"
    else:
        title = name.replace("-", " ").replace("_", " ")
    return RunbookChoice(title=title, section=None, source=url, match=URL, url=url)


class RunbookChooser:
    """Chooses the runbook for an alert from one index (see the module docstring)."""

    def __init__(self, index: RunbookIndex, title_floor: float = TITLE_FLOOR) -> None:
        self.index = index
        self.title_floor = title_floor
        self._title_vectors: dict[str, np.ndarray] = {}

    def choose(self, alertname: str, text: str, url: object = None) -> RunbookChoice | None:
        """The runbook for an alert named `alertname` whose summary and description are
        `text` and whose `runbook_url` annotation is `url`; None when nothing fits."""
        alertname = (alertname or "").strip()
        text = " ".join((text or "").split())[:1000]
        link = runbook_url(url)
        if link is not None:
            name = url_name(link)
            named = [] if _key(name) in GENERIC_NAMES else self.index.named(name)
            sections = self.index.sections(named[0]) if named else []
            if sections:  # the local copy: cited from its first section or its mitigation
                return self._cited(sections[0], URL, link)
            return url_choice(alertname, link)
        if alertname and self.index.for_alert(alertname):
            hits = self.index.search(text or alertname, k=1, alert=alertname, include_weak=True)
            if hits:
                return self._cited(hits[0], ALERT, None)
        found = self.by_meaning(text)
        return self._cited(found, TEXT, None) if found is not None else None

    def by_meaning(self, text: str) -> Hit | None:
        """The runbook `text` means, or None when none fits clearly (see `candidates`): the
        best candidate, unless another runbook comes within `MARGIN` of it (then both fit
        about as well, and citing either would be a guess)."""
        ranked = self.candidates(text)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < MARGIN:
            return None
        return ranked[0][1]

    def candidates(self, text: str) -> list[tuple[float, Hit]]:
        """(score, hit) for the strong text hits of `text` that are about it, best first.

        A hit is about the alert when its title (what the runbook is for) reaches
        `title_floor` against the alert's text; else when its section holds most of the
        alert's own words (`LEXICAL_STRONG`: "Anthropic 529", names and codes the embedding
        does not know), and then that share stands in for the title's similarity. Its best
        passage must reach the embedding's floor in any case. The score is the mean of the
        best passage's similarity and the title's."""
        if not text.strip():
            return []
        hits = [
            h
            for h in self.index.search(text, k=CANDIDATES)
            if h.match == TEXT and h.score >= self.index.min_score
        ]
        if not hits:
            return []
        vector = self.index.embedder.embed([expand_identifiers(text)])[0]
        titles = self._titles([h.title for h in hits])
        ranked: list[tuple[float, Hit]] = []
        for hit in hits:
            about = float(titles[hit.title] @ vector)
            if about < self.title_floor:
                if hit.coverage < LEXICAL_STRONG:
                    continue
                about = hit.coverage  # the alert's own words stand in for its meaning
            ranked.append(((hit.score + about) / 2, hit))
        return sorted(ranked, key=lambda pair: -pair[0])

    def _titles(self, titles: list[str]) -> dict[str, np.ndarray]:
        missing = sorted({t for t in titles if t not in self._title_vectors})
        if missing:
            vectors = self.index.embedder.embed([expand_identifiers(t) for t in missing])
            self._title_vectors.update(zip(missing, vectors, strict=True))
        return {t: self._title_vectors[t] for t in titles}

    def _cited(self, hit: Hit, match: str, url: str | None) -> RunbookChoice:
        """The choice for `hit`: a runbook chosen by name quotes its mitigation steps, one
        chosen by meaning the section that matched."""
        shown = hit
        if match != TEXT and hit.doc_id:
            shown = _mitigation(self.index.sections(hit.doc_id)) or hit
        return RunbookChoice(
            title=hit.title,
            section=shown.section or None,
            source=hit.source,
            match=match,
            excerpt=(shown.text or "")[:EXCERPT_CHARS],
            warning=shown.warning,
            url=url,
        )


def _mitigation(sections: list[Hit]) -> Hit | None:
    """The first section named like mitigation that has more than a line of text."""
    for part in sections:
        name = (part.section or "").lower()
        if any(w in name for w in MITIGATION_WORDS) and len(part.text.strip()) > 80:
            return part
    return None


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


__all__ = [
    "ALERT",
    "TEXT",
    "TITLE_FLOOR",
    "URL",
    "RunbookChoice",
    "RunbookChooser",
    "runbook_url",
    "url_choice",
    "url_name",
]
