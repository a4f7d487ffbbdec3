"""HTTP probes of configured endpoints: status, latency and TLS certificate expiry.

Only targets listed in ENDPOINTS can be probed (by name or by their exact URL): a chat user
must not be able to make the bot fetch arbitrary addresses (SSRF). Redirects are reported,
not followed, for the same reason; a redirect within the endpoint's own origin (same scheme,
host and port) is fine, a redirect anywhere else is a failure ("redirect to … not allowed"):
nobody allowed that address, and a healthy endpoint does not send its callers elsewhere.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from core.errors import Refused
from tools.redact import redact


class EndpointNotAllowed(Refused, ValueError):
    """The target is not one of the configured endpoints."""


@dataclass
class ProbeResult:
    name: str
    url: str
    ok: bool
    status: int | None
    latency_ms: float | None
    error: str | None = None
    tls_days_left: float | None = None
    tls_expires: str | None = None
    tls_error: str | None = None
    location: str | None = None
    level: str = "ok"

    def to_dict(self) -> dict:
        return asdict(self)


def _normalise(url: str) -> str:
    return url.strip().rstrip("/").lower()


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: an origin nothing matches
        return scheme, "", -1
    default = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port if port is not None else default


def redirect_problem(url: str, location: str | None) -> str | None:
    """Why a redirect from `url` to `location` is not acceptable, or None when it stays
    within `url`'s origin."""
    if not location:
        return "redirect without a Location header"
    target = urljoin(url, location)
    if origin(target) == origin(url):
        return None
    return f"redirect to {redact(target)} not allowed (only within {redact(_origin_text(url))})"


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def resolve_target(target: str, endpoints: dict[str, str]) -> tuple[str, str]:
    """(name, url) for a configured endpoint name or URL; EndpointNotAllowed otherwise."""
    wanted = target.strip()
    for name, url in endpoints.items():
        if wanted.lower() == name.lower():
            return name, url
    for name, url in endpoints.items():
        if _normalise(wanted) == _normalise(url):
            return name, url
    configured = ", ".join(sorted(endpoints)) or "none"
    raise EndpointNotAllowed(
        f"{target!r} is not a configured endpoint (configured: {configured}). "
        "To probe it, add it to ENDPOINTS, e.g. ENDPOINTS='api=https://api.example.com/healthz'"
    )


def tls_expiry(host: str, port: int, timeout: float) -> tuple[datetime, str | None]:
    """The certificate's notAfter, and an error string when it does not verify."""
    from cryptography import x509

    verify_error: str | None = None
    der: bytes | None = None
    context = ssl.create_default_context()
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            context.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        verify_error = exc.verify_message or str(exc)
        loose = ssl.create_default_context()
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            loose.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("server sent no certificate")
    cert = x509.load_der_x509_certificate(der)
    return cert.not_valid_after_utc, verify_error


def probe(
    name: str, url: str, timeout: float = 5.0, tls_warn_days: int = 14, slow_ms: float = 2000.0
) -> ProbeResult:
    parts = urlsplit(url)
    result = ProbeResult(name=name, url=url, ok=False, status=None, latency_ms=None)
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, verify=True) as client:
            response = client.get(url, headers={"User-Agent": "opsbot-probe/1"})
        result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        result.status = response.status_code
        result.ok = response.status_code < 400
        if not result.ok:
            result.error = f"HTTP {response.status_code} {response.reason_phrase}"
        elif response.is_redirect:
            location = response.headers.get("location")
            result.location = redact(location) if location else None
            result.error = redirect_problem(url, location)
            result.ok = result.error is None
    except httpx.TimeoutException:
        result.error = f"timed out after {timeout:g}s"
    except httpx.ConnectError as exc:
        result.error = f"connection failed: {exc}"
    except httpx.HTTPError as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    if parts.scheme == "https" and parts.hostname:
        try:
            expires, verify_error = tls_expiry(parts.hostname, parts.port or 443, timeout)
            left = (expires - datetime.now(UTC)).total_seconds() / 86400
            result.tls_days_left = round(left, 1)
            result.tls_expires = expires.isoformat(timespec="seconds")
            result.tls_error = verify_error
        except (OSError, ssl.SSLError, ValueError) as exc:
            result.tls_error = f"could not read certificate: {exc}"
    if not result.ok or (result.tls_days_left is not None and result.tls_days_left <= 0):
        result.level = "crit"
    elif (
        result.tls_error
        or (result.tls_days_left is not None and result.tls_days_left <= tls_warn_days)
        or (result.latency_ms is not None and result.latency_ms >= slow_ms)
    ):
        result.level = "warn"
    return result
