"""The one HTTP client for every URL a tenant gives us (OIDC discovery, JWKS, SAML metadata).

It enforces, for each request and each redirect: https only, a total time limit, a size limit, and no connection to
a private, loopback or otherwise non-public address. The address check runs on the socket actually connected, so a
hostname that resolves to a public address at validation time and a private one later (DNS rebinding) is still
refused. SSO_ALLOW_INSECURE_IDP lifts the https and address rules, for development and tests.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connections.errors import ConfigurationError

MAX_REDIRECTS = 3
USER_AGENT = "KloudSSO (+https://github.com/kloudsso)"


class FetchError(ConfigurationError):
    """A fetch failed; `message` says what happened and what the owner can do about it."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code)


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    content_type: str
    body: bytes


class _NonPublicAddress(OSError):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _GuardedMixin:
    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not settings.SSO_ALLOW_INSECURE_IDP and not _is_public(peer):
            sock.close()
            raise _NonPublicAddress(f"{self.host} resolves to {peer}, which is not a public address")
        return sock


class _GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would bypass the address check
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def check_url(url: str) -> str:
    """Validate a tenant-supplied URL's form (not its reachability); return it stripped."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError("invalid_url", f"{url!r} is not a web address; it should start with https://.")
    if parts.scheme == "http" and not settings.SSO_ALLOW_INSECURE_IDP:
        raise FetchError(
            "insecure_scheme",
            f"{url} uses plain http. Identity provider URLs must use https; use the https:// address.",
        )
    if parts.username or parts.password:
        raise FetchError("invalid_url", "The URL must not contain a user name or password.")
    return url


def fetch(url: str, *, accept: str = "*/*") -> FetchResult:
    timeout = settings.SSO_HTTP_TIMEOUT_SECONDS
    max_bytes = settings.SSO_HTTP_MAX_BYTES
    deadline = time.monotonic() + timeout
    with _session() as session:
        for _ in range(MAX_REDIRECTS + 1):
            url = check_url(url)
            response = _get(session, url, accept=accept, timeout=timeout)
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                body = _read_limited(response, url=url, max_bytes=max_bytes, deadline=deadline)
                return FetchResult(
                    url=url,
                    status=response.status_code,
                    content_type=response.headers.get("Content-Type", ""),
                    body=body,
                )
    raise FetchError("redirects", f"{url} redirected more than {MAX_REDIRECTS} times; give the final address.")


def _get(session, url, *, accept, timeout):
    host = urlsplit(url).hostname
    try:
        return session.get(url, headers={"Accept": accept}, timeout=timeout, stream=True, allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise FetchError(
            "tls",
            f"The TLS connection to {host} failed ({_reason(exc)}). The server must present a valid certificate "
            "from a public certificate authority for this host name.",
        ) from None
    except requests.exceptions.Timeout:
        raise FetchError(
            "timeout", f"{host} did not answer within {timeout:g} seconds. Check the URL, or try again later."
        ) from None
    except requests.exceptions.ConnectionError as exc:
        raise _connection_error(host, exc) from None
    except requests.exceptions.RequestException as exc:
        raise FetchError("invalid_url", f"Could not request {url}: {_reason(exc)}.") from None


def _connection_error(host: str, exc: Exception) -> FetchError:
    for cause in _causes(exc):
        if isinstance(cause, _NonPublicAddress):
            return FetchError(
                "private_address",
                f"{cause}. Identity provider URLs must be reachable on the public internet.",
            )
        if isinstance(cause, urllib3.exceptions.NameResolutionError | socket.gaierror):
            return FetchError("dns", f"The host name {host} could not be found. Check the URL for typos.")
    refused = next((c.strerror for c in _causes(exc) if isinstance(c, OSError) and c.strerror), None)
    why = refused or "no connection could be made"
    return FetchError("unreachable", f"Could not connect to {host}: {why}. Check the URL, including any port.")


def _causes(exc: BaseException):
    """Every exception wrapped inside `exc`: requests and urllib3 nest them in args, reason and __cause__."""
    seen, todo = set(), [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        todo.extend(item for item in nested if isinstance(item, BaseException))


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


def _read_limited(response, *, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(url, max_bytes)
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"{url} was too slow to send its answer; try again later.")
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise FetchError("unreachable", f"Reading {url} failed ({_reason(exc)}).") from None
    return b"".join(chunks)


def _too_large(url: str, max_bytes: int) -> FetchError:
    return FetchError("too_large", f"{url} sent more than {max_bytes // 1000} kB; this is not a document we expect.")
