"""Password guessing, slowed per account and per IP address, for the site's and the admin's sign-in alike.

The counts live in the shared cache (kloudsso.rate_limit.Backoff), so every app server sees the same ones and an
attempt costs no database write. An email counts whether or not it has an account, so the lock reveals nothing
about which emails do. Locks back off up to a short cap instead of locking for good: an attacker can slow an
owner's sign-in, not take it away for long.
"""

import hashlib
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from kloudsso.accounts.models import PasswordThrottleEvent
from kloudsso.client_ip import client_ip
from kloudsso.rate_limit import Backoff

logger = logging.getLogger(__name__)
Scope = PasswordThrottleEvent.Scope
MESSAGES = {
    Scope.ACCOUNT: "Too many attempts for this account; try again in {wait}.",
    Scope.IP: "Too many sign-in attempts from your network; try again in {wait}.",
}


def refusal(request, *, email: str) -> str | None:
    """The message when the account or the address is locked (then no password may be checked), else None."""
    for scope, policy, key in _limits(request, email):
        seconds = policy.locked_for(key)
        if seconds:
            logger.warning(
                "Password sign-in refused, %ss of lock left (%s lock): email=%s ip=%s",
                seconds,
                scope,
                _normalize(email),
                _ip(request),
            )
            return MESSAGES[scope].format(wait=_minutes(seconds))
    return None


def record_failure(request, *, email: str, page: str) -> None:
    """Count a wrong password for the account and the address; a lock that starts is logged and recorded."""
    email, ip = _normalize(email), _ip(request)
    for scope, policy, key in _limits(request, email):
        seconds = policy.fail(key)
        if seconds:
            logger.warning(
                "Password sign-in locked for %s seconds (%s lock): email=%s ip=%s", seconds, scope, email, ip
            )
            PasswordThrottleEvent.objects.create(
                scope=scope,
                email=email[:254],
                ip=ip or "",
                page=page,
                locked_until=timezone.now() + timedelta(seconds=seconds),
            )


def record_success(request, *, email: str) -> None:
    """The account's failures are forgotten (not the address's: signing in to one's own account between guesses
    must not reset a guesser)."""
    _, policy, key = _account_limit(email)
    policy.reset(key)


def _limits(request, email: str) -> list[tuple[str, Backoff, str]]:
    ip_policy = Backoff(settings.PASSWORD_THROTTLE_IP_FAILURES, *_lock_settings())
    ip_key = f"password:ip:{_digest(_network(_ip(request)))}"
    return [_account_limit(email), (Scope.IP, ip_policy, ip_key)]


def _account_limit(email: str) -> tuple[str, Backoff, str]:
    policy = Backoff(settings.PASSWORD_THROTTLE_ACCOUNT_FAILURES, *_lock_settings())
    return Scope.ACCOUNT, policy, f"password:account:{_digest(_normalize(email))}"


def _lock_settings() -> tuple[int, int, int]:
    return (
        settings.PASSWORD_THROTTLE_WINDOW_SECONDS,
        settings.PASSWORD_THROTTLE_FIRST_LOCK_SECONDS,
        settings.PASSWORD_THROTTLE_MAX_LOCK_SECONDS,
    )


def _ip(request) -> str | None:
    return client_ip(request) if request is not None else None


def _normalize(email: str) -> str:
    return email.strip().lower()


def _network(ip: str | None) -> str:
    """The address, or for IPv6 its /64: one subscriber commonly holds a whole /64 and could rotate through it."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip or "unknown"
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


def _digest(value: str) -> str:
    # Cache keys of a fixed length and alphabet, whatever was typed (Memcached refuses spaces and long keys).
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
