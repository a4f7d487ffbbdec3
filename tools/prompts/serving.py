"""Serving the live version of a prompt fast, and never stale.

A tiny in-process cache maps (name, label or version) to the resolved version and its
ready-made JSON body. Each request first reads the prompt's `revision` (one indexed row; every
change to a prompt bumps it, in any process), and the cached entry is used only if it was built
at that revision. Changes made through this process's store also evict the entries at once.
So a label move or a rollback is visible on the very next request, and a deleted prompt is
evicted on its first 404 (the stale-cache lesson of langfuse#10138).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from tools.prompts.errors import PromptError, PromptNotFound
from tools.prompts.store import PromptStore
from tools.prompts.templates import check_name, parse_ref
from tools.prompts.views import PRODUCTION, VersionView

log = logging.getLogger(__name__)
_REVISION = "SELECT revision FROM prompt WHERE name = {p} AND deleted_at IS NULL"


@dataclass(frozen=True)
class Served:
    view: VersionView
    body: bytes  # the JSON document the endpoint returns
    etag: str  # the version's SHA-256, quoted as an HTTP entity tag

    @property
    def etag_bytes(self) -> bytes:
        return self.etag.encode("ascii")


def body_for(view: VersionView, label: str | None) -> bytes:
    """The served document. It depends only on the version (and the label asked for), never
    on other labels, so the ETag (the content hash) stays truthful."""
    document = {
        "name": view.name,
        "version": view.version,
        "label": label,
        "type": view.kind,
        "template": view.template,
        "variables": list(view.variables),
        "config": view.config,
        "sha256": view.sha256,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PromptServer:
    def __init__(self, store: PromptStore, max_entries: int = 4096) -> None:
        self.store = store
        self.max_entries = max_entries
        self._cache: dict[tuple[str, str], tuple[int, Served]] = {}
        store.on_change(self.invalidate)
        style = store.engine.dialect.paramstyle
        self._sql = _REVISION.format(p="?" if style == "qmark" else "%s")
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def invalidate(self, name: str) -> None:
        # list() copies the keys in one step: request threads may add entries meanwhile
        for key in [k for k in list(self._cache) if k[0] == name]:
            self._cache.pop(key, None)

    def _connection(self) -> Any:
        """A DB-API connection of this thread's own, outside the pool, in autocommit mode.

        Measured: a pooled SQLAlchemy `Connection` costs ~60 µs per checkout and execute; a
        kept DB-API cursor ~4 µs on SQLite. Autocommit means every read sees the latest
        committed revision and never holds a transaction open.
        """
        conn: Any = getattr(self._local, "conn", None)
        if conn is None:
            proxy = self.store.engine.raw_connection()
            conn = proxy.driver_connection
            proxy.detach()  # ours alone: the pool neither resets nor shares it
            if self.store.engine.dialect.name == "postgresql":
                conn.rollback()  # end the checkout's ping transaction, if any
                conn.autocommit = True
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _drop_connection(self) -> None:
        conn: Any = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)
            try:
                conn.close()
            except Exception as exc:  # already broken; closing is best effort
                log.debug("closing a broken connection failed: %s", exc)

    def revision(self, name: str) -> int | None:
        """The prompt's change counter, or None when it does not exist (or was deleted).
        A broken connection (database restarted) is replaced once, then the error shows."""
        for attempt in (1, 2):
            try:
                cursor = self._connection().cursor()
                try:
                    cursor.execute(self._sql, (name,))
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                return None if row is None else int(row[0])
            except Exception:
                self._drop_connection()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except Exception as exc:
                log.debug("closing a connection failed: %s", exc)

    def fetch(
        self, name: str, label: str | None = None, version: int | str | None = None
    ) -> Served:
        """The version a label (default `production`) or a version number points to now."""
        check_name(name)
        if version is not None and label is not None:
            raise PromptError("give a version or a label, not both")
        if version is not None:
            ref = parse_ref(version)
            if not isinstance(ref, int):
                raise PromptError(f"invalid version {version!r}: use a number such as 3")
            key = (name, f"v{ref}")
        else:
            ref = parse_ref(label) if label is not None else PRODUCTION
            key = (name, ref if isinstance(ref, str) else f"v{ref}")
        revision = self.revision(name)
        if revision is None:
            self.invalidate(name)
            self.store.resolve(name, ref)  # raises the helpful not-found error
            raise PromptNotFound(f"unknown prompt {name!r}")
        hit = self._cache.get(key)
        if hit is not None and hit[0] == revision:
            return hit[1]
        try:
            view = self.store.resolve(name, ref)
        except PromptNotFound:
            self._cache.pop(key, None)
            raise
        served_label = ref if isinstance(ref, str) else None  # a label, not a version number
        served = Served(view, body_for(view, served_label), f'"{view.sha256}"')
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (revision, served)
        return served
