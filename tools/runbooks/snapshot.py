"""The in-memory view of one collection generation: chunk records, the BM25 indexes over
them, the alert names they list; and the lookups a search makes on it (filters, alert names
written in the query, a `Hit` for a row)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from knowledge.plaintext import doc_context, search_text
from tools.runbooks.hits import Hit, RunbookError
from tools.runbooks.indexing import INJECTION
from tools.runbooks.lexical import LexicalIndex
from tools.runbooks.store import RunbookStore

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")


@dataclass
class Snapshot:
    """The chunk records of one collection generation, with the BM25 index over them."""

    generation: int
    ids: list[str]
    metas: list[dict[str, Any]]
    docs: list[str]
    lexical: LexicalIndex  # sections, stemmed
    exact: LexicalIndex  # sections, exact word forms
    runbooks: LexicalIndex  # whole runbooks (their sections' texts joined), stemmed
    runbook_ids: list[str]  # doc id of each row of `runbooks`
    doc_of: np.ndarray  # row in `runbooks` of each chunk
    position: dict[str, int]
    alert_docs: dict[str, list[str]]  # lower-case alert name -> doc ids
    passages: int


def load_snapshot(store: RunbookStore, generation: int) -> Snapshot:
    """Every chunk of `store` in source order, indexed for BM25 and by alert name."""
    import numpy as np

    ids, docs, metas = store.all_chunks()
    order = sorted(
        range(len(ids)),
        key=lambda i: (str(metas[i].get("source", "")), int(metas[i].get("ordinal", 0))),
    )
    ids = [ids[i] for i in order]
    docs = [docs[i] for i in order]
    metas = [metas[i] for i in order]
    texts = [
        search_text(
            doc_context(str(m.get("title", "")), [str(a) for a in m.get("alerts") or []]),
            str(m.get("section", "")),
            d,
        )
        for m, d in zip(metas, docs, strict=True)
    ]
    alert_docs: dict[str, list[str]] = {}
    for meta in metas:
        for name in meta.get("alerts") or []:
            bucket = alert_docs.setdefault(str(name).lower(), [])
            if meta["doc_id"] not in bucket:
                bucket.append(str(meta["doc_id"]))
    runbook_texts: dict[str, list[str]] = {}
    for meta, text in zip(metas, texts, strict=True):
        runbook_texts.setdefault(str(meta["doc_id"]), []).append(text)
    runbook_ids = list(runbook_texts)
    row = {doc_id: i for i, doc_id in enumerate(runbook_ids)}
    return Snapshot(
        generation=generation,
        ids=ids,
        metas=metas,
        docs=docs,
        lexical=LexicalIndex(texts),
        exact=LexicalIndex(texts, stem=False),
        runbooks=LexicalIndex(["\n".join(runbook_texts[d]) for d in runbook_ids]),
        runbook_ids=runbook_ids,
        doc_of=np.asarray([row[str(m["doc_id"])] for m in metas], dtype=np.int64),
        position={cid: i for i, cid in enumerate(ids)},
        alert_docs=alert_docs,
        passages=sum(int(m.get("passages", 0)) for m in metas),
    )


def _lower_set(values: Any) -> set[str]:
    return {str(v).lower() for v in values or []}


def allowed_docs(
    snapshot: Snapshot, service: str | None, tag: str | None, alert: str | None
) -> set[str] | None:
    """Doc ids passing the filters (None when there is no filter)."""
    filters = {"services": service, "tags": tag, "alerts": alert}
    active: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise RunbookError(f"the {key[:-1]} filter must be non-empty text when given")
        active[key] = value.strip().lower()
    if not active:
        return None
    return {
        str(m["doc_id"])
        for m in snapshot.metas
        if all(value in _lower_set(m.get(key)) for key, value in active.items())
    }


def named_alerts(snapshot: Snapshot, query: str, allowed: set[str] | None) -> list[str]:
    """Runbooks of alert names written in the query, in the order they appear."""
    pinned: list[str] = []
    for word in _WORD.findall(query):
        for doc_id in snapshot.alert_docs.get(word.lower(), []):
            if doc_id not in pinned and (allowed is None or doc_id in allowed):
                pinned.append(doc_id)
    return pinned


def hit_at(snapshot: Snapshot, position: int, similarity: float | None) -> Hit:
    meta = snapshot.metas[position]
    return Hit(
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        score=float(similarity) if similarity is not None else 0.0,
        text=snapshot.docs[position],
        path=str(meta.get("path", "")),
        doc_id=str(meta.get("doc_id", "")),
        chunk_id=str(meta.get("chunk_id", "")),
        alerts=[str(a) for a in meta.get("alerts") or []],
        services=[str(s) for s in meta.get("services") or []],
        tags=[str(t) for t in meta.get("tags") or []],
        severity=str(meta.get("severity", "")),
        flagged=str(meta.get(INJECTION) or ""),
    )
