"""An OpenAI-compatible `/v1/embeddings` API on 127.0.0.1, answering from the hashing
embedder (rows deliberately out of order, as the API allows). `EmbeddingsAPI.calls` records
each request; set `EmbeddingsAPI.status` to answer with an error instead."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.runbooks.embedding import HashingEmbedder


class EmbeddingsAPI(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), **body}
        )
        if type(self).status != 200:
            payload = json.dumps({"error": {"message": "rate limited"}}).encode()
            self.send_response(type(self).status)
        else:
            rows = HashingEmbedder().embed(body["input"])
            data = [{"index": i, "embedding": row.tolist()} for i, row in enumerate(rows)]
            payload = json.dumps({"data": list(reversed(data)), "model": body["model"]}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@contextlib.contextmanager
def serve_embeddings_api() -> Iterator[str]:
    """The API's base URL (…/v1) while the block runs; calls and status start afresh."""
    EmbeddingsAPI.calls = []
    EmbeddingsAPI.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingsAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
