"""Whether an alert is about this host: its `instance`, `nodename` or `host` label against this
host's names (hostname, fully qualified name, `localhost`) and addresses (every interface's,
loopback included), with or without a port or a URL around it (`10.0.0.5:9100`,
`http://web-1.example.com:8080/metrics`, `[::1]:9100`).

Only then are the host tools (disk usage, processes) evidence: on another host they would
describe the wrong machine."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import urlsplit

import psutil

log = logging.getLogger(__name__)

HOST_LABELS = ("instance", "nodename", "host", "hostname", "node")
LOOPBACK = frozenset({"localhost", "localhost.localdomain", "127.0.0.1", "::1"})


def host_part(value: str) -> str:
    """The host in a label value, lower-cased: no scheme, user, port, path or IPv6 brackets."""
    text = value.strip()
    if not text:
        return ""
    if "//" not in text:
        text = "//" + text  # urlsplit reads host:port only after a netloc marker
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:  # e.g. "[::1" — not a host we could be
        return ""
    return host.rstrip(".").lower()


@lru_cache(maxsize=1)
def _own_names() -> frozenset[str]:
    names: set[str] = set(LOOPBACK)
    hostname = socket.gethostname()
    names.add(hostname)
    names.add(hostname.split(".")[0])
    try:
        names.add(socket.getfqdn())
    except OSError as exc:  # a host without name resolution still has its hostname
        log.info("could not resolve this host's fully qualified name: %s", exc)
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                names.add(address.address.split("%")[0])  # fe80::1%eth0 -> fe80::1
    return frozenset(n.lower() for n in names if n)


def own_names(extra: Iterable[str] = ()) -> frozenset[str]:
    """This host's names and addresses (read once), plus `extra` (e.g. a configured name)."""
    return _own_names() | {n.lower() for n in extra if n}


def is_this_host(labels: Mapping[str, str], extra: Iterable[str] = ()) -> bool:
    """Whether any host-naming label of the alert names this host."""
    names = own_names(extra)
    return any(host_part(str(labels[k])) in names for k in HOST_LABELS if labels.get(k))


__all__ = ["HOST_LABELS", "host_part", "is_this_host", "own_names"]
