"""Pushing a large request body over a raw socket, the way an attacker would: the body is
generated chunk by chunk (the client never holds it), and the server's answer is read as soon
as it comes, even while the body is still being sent."""

from __future__ import annotations

import contextlib
import select
import socket
from dataclasses import dataclass

CHUNK = b"x" * 65536


@dataclass
class Pushed:
    status: int | None  # None: the server closed without an answer
    head: str  # the status line and headers
    body: bytes
    sent: int  # body bytes the server let us send before it answered or closed


def _read_answer(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            part = sock.recv(65536)
            if not part:
                break
            data += part
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(rest) >= length:
                    break
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def push(
    port: int,
    path: str,
    headers: dict[str, str],
    total: int,
    *,
    chunked: bool = False,
    method: str = "POST",
    timeout: float = 60.0,
) -> Pushed:
    """Send `method path` with a `total`-byte body (Content-Length, or chunked) and return the
    server's answer; stops sending as soon as the server answers or closes."""
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total)}
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in {**headers, **framing}.items()]
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sent = 0
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            piece = CHUNK[: total - sent]
            frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        else:
            if chunked:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    sock.sendall(b"0\r\n\r\n")
        data = _read_answer(sock, timeout)
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) >= 2 else None
    return Pushed(status, head.decode("latin-1"), body, sent)
