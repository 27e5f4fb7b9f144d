"""The one HTTP client for every URL a tenant gives us (OIDC discovery, JWKS, token and UserInfo, SAML metadata).

For each request and each redirect it enforces: a well-formed http(s) URL, https only, one time limit for the whole
fetch, a size limit, and no private, loopback or otherwise non-public address. The address rule is applied where the
connection is made: we resolve the name ourselves, refuse if any answer is not public, and connect to the vetted
address, so DNS rebinding cannot slip a private address in and nothing ever connects to an internal port (which
would otherwise let an owner map the internal network from our error messages). SSO_ALLOW_INSECURE_IDP lifts the
https and address rules, for development and tests.
"""

import contextlib
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from kloudsso import metrics

MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2000
USER_AGENT = "KloudSSO (+https://github.com/kloudsso)"
_url_validator = URLValidator(schemes=["http", "https"])
_fetch_state = threading.local()

# IPv6 ranges that embed an IPv4 address (checked through that address) or that are never public.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NEVER_PUBLIC_V6 = [ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10")]


class FetchError(Exception):
    """A fetch failed; `message` says what happened and what the owner can do about it, `code` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    content_type: str
    body: bytes


class _NonPublicAddress(OSError):
    pass


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour:
            return is_public_address(str(ip.sixtofour))
        if ip.teredo or any(ip in net for net in _NEVER_PUBLIC_V6):
            return False
        if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_global and not ip.is_multicast


class _GuardedMixin:
    def _new_conn(self):
        sock = super()._new_conn() if settings.SSO_ALLOW_INSECURE_IDP else self._connect_public()
        sockets = getattr(_fetch_state, "sockets", None)
        if sockets is not None:
            sockets.append(sock)  # so the fetch's deadline can cut it off
        return sock

    def _connect_public(self):
        try:
            answers = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        for *_, sockaddr in answers:
            if not is_public_address(sockaddr[0]):
                raise _NonPublicAddress(f"{self.host} resolves to {sockaddr[0]}, which is not a public address")
        last_error = None
        for family, kind, proto, _, sockaddr in answers:
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(self.timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last_error = exc
        if isinstance(last_error, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


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
    invalid = FetchError(
        "invalid_url", f"{url[:200]!r} is not a valid web address; it should look like https://idp.example.com/…."
    )
    if len(url) > MAX_URL_LENGTH or "\x00" in url or any(ch.isspace() for ch in url):
        raise invalid
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
        _url_validator(url)
    except (ValueError, ValidationError):
        raise invalid from None
    if parts.username or parts.password:
        raise FetchError("invalid_url", "The URL must not contain a user name or password.")
    if parts.scheme == "http" and not settings.SSO_ALLOW_INSECURE_IDP:
        raise FetchError(
            "insecure_scheme",
            f"{url} uses plain http. Identity provider URLs must use https; use the https:// address.",
        )
    return url


def fetch(url: str, *, accept: str = "*/*", endpoint: str = "other") -> FetchResult:
    """GET a tenant-supplied URL within SSO_HTTP_TIMEOUT_SECONDS in all, redirects included.

    `endpoint` says what is fetched (kloudsso/metrics.py's IDP_ENDPOINTS): the metrics count by it, never by URL."""
    return _within_deadline(url, lambda deadline: _fetch(url, accept=accept, deadline=deadline), endpoint)


@sensitive_variables("data", "authorization")
def post_form(
    url: str,
    data: dict,
    *,
    accept: str = "application/json",
    authorization: str | None = None,
    endpoint: str = "other",
) -> FetchResult:
    """POST a form (an OIDC token request) under the same rules; redirects are not followed, so a credential in
    the form or in `authorization` (an Authorization header) reaches this URL's host only."""

    def post(deadline: float) -> FetchResult:
        with _session() as session:
            response = _send(
                session,
                "POST",
                check_url(url),
                accept=accept,
                data=data,
                authorization=authorization,
                deadline=deadline,
            )
            with response:
                return _result(response, url)

    return _within_deadline(url, post, endpoint)


@sensitive_variables("authorization")
def get_authorized(
    url: str, *, authorization: str, accept: str = "application/json", endpoint: str = "other"
) -> FetchResult:
    """GET with an Authorization header (an OIDC UserInfo request) under the same rules; redirects are not
    followed, so the credential reaches this URL's host only."""

    def get(deadline: float) -> FetchResult:
        with _session() as session:
            response = _send(
                session, "GET", check_url(url), accept=accept, authorization=authorization, deadline=deadline
            )
            with response:
                return _result(response, url)

    return _within_deadline(url, get, endpoint)


def _within_deadline(url: str, call, endpoint: str):
    started = time.monotonic()
    try:
        result = _bounded(url, call)
    except FetchError as exc:
        metrics.idp_fetched(endpoint=endpoint, seconds=time.monotonic() - started, failure=exc.code)
        raise
    failure = f"http_{result.status // 100}xx" if result.status >= 400 else ""
    metrics.idp_fetched(endpoint=endpoint, seconds=time.monotonic() - started, failure=failure)
    return result


def _bounded(url: str, call):
    timeout = settings.SSO_HTTP_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout
    sockets: list[socket.socket] = []
    watchdog = threading.Timer(timeout, _cut_off, [sockets])
    _fetch_state.sockets = sockets
    watchdog.start()
    try:
        return call(deadline)
    except FetchError:
        if time.monotonic() >= deadline:
            raise _timeout(url, timeout) from None
        raise
    finally:
        watchdog.cancel()
        _fetch_state.sockets = None


def _cut_off(sockets: list[socket.socket]) -> None:
    # A server that drips bytes would otherwise hold the request for as long as each read stays under the timeout.
    for sock in list(sockets):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _fetch(url: str, *, accept: str, deadline: float) -> FetchResult:
    with _session() as session:
        for _ in range(MAX_REDIRECTS + 1):
            url = check_url(url)
            response = _send(session, "GET", url, accept=accept, deadline=deadline)
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                return _result(response, url)
    raise FetchError("redirects", f"{url} redirected more than {MAX_REDIRECTS} times; give the final address.")


def _result(response, url: str) -> FetchResult:
    body = _read_limited(response, url=url, max_bytes=settings.SSO_HTTP_MAX_BYTES)
    return FetchResult(
        url=url, status=response.status_code, content_type=response.headers.get("Content-Type", ""), body=body
    )


@sensitive_variables("data", "authorization", "headers")
def _send(
    session,
    method: str,
    url: str,
    *,
    accept: str,
    deadline: float,
    data: dict | None = None,
    authorization: str | None = None,
):
    host = urlsplit(url).hostname
    timeout = max(deadline - time.monotonic(), 0.01)
    headers = {"Accept": accept, **({"Authorization": authorization} if authorization else {})}
    try:
        return session.request(
            method, url, data=data, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        )
    except requests.exceptions.SSLError as exc:
        raise FetchError(
            "tls",
            f"The TLS connection to {host} failed ({_reason(exc)}). The server must present a valid certificate "
            "from a public certificate authority for this host name.",
        ) from None
    except requests.exceptions.Timeout:
        raise _timeout(url, settings.SSO_HTTP_TIMEOUT_SECONDS) from None
    except requests.exceptions.ConnectionError as exc:
        raise _connection_error(host, exc) from None
    except requests.exceptions.InvalidHeader:
        # Its message quotes the header's value: a credential must not reach an error.
        raise FetchError("invalid_header", "A request header holds characters HTTP does not allow.") from None
    except (requests.exceptions.RequestException, urllib3.exceptions.LocationValueError, ValueError) as exc:
        raise FetchError("invalid_url", f"Could not request {url}: {_reason(exc)}.") from None


def _timeout(url: str, timeout: float) -> FetchError:
    host = urlsplit(url).hostname or url
    message = f"{host} did not answer within {timeout:g} seconds. Check the URL, or try again later."
    return FetchError("timeout", message)


def _connection_error(host: str, exc: Exception) -> FetchError:
    for cause in _causes(exc):
        if isinstance(cause, _NonPublicAddress):
            return FetchError(
                "private_address", f"{cause}. Identity provider URLs must be reachable on the public internet."
            )
        if isinstance(cause, NameResolutionError | socket.gaierror):
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


def _read_limited(response, *, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(url, max_bytes)
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise FetchError("unreachable", f"Reading {url} failed ({_reason(exc)}).") from None
    return b"".join(chunks)


def _too_large(url: str, max_bytes: int) -> FetchError:
    return FetchError("too_large", f"{url} sent more than {max_bytes // 1000} kB; this is not a document we expect.")
