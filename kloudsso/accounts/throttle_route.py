"""Who is asking to sign in with a password: the account (as the throttle counts it), the network and the browser."""

import secrets
from dataclasses import dataclass

from django.core.cache import cache

from kloudsso.accounts import known_device
from kloudsso.accounts.throttle_keys import account_key, digest, network
from kloudsso.client_ip import client_ip

LIFTED_SECONDS = 86_400  # longer than any count a lift must hide lives (a window and the longest lock)


@dataclass(frozen=True)
class Route:
    account: str  # account_key() of the typed email: it may match no account
    ip: str | None
    network: str
    generation: str  # changes when support lifts the account's locks, which starts every count of it afresh
    device: str | None  # this browser's known-device nonce for the account, or None

    def key(self, kind: str, *parts: str) -> str:
        """A cache key of the account's, in its current generation."""
        return f"password:{kind}:{self.generation}:{digest(self.account, *parts)}"


def route_for(request, email: str) -> Route:
    account = account_key(email)
    ip = client_ip(request) if request is not None else None
    generation = cache.get(_generation_key(account)) or "0"
    return Route(account, ip, network(ip), generation, known_device.device_for(request, account, email))


def lift_account(account: str) -> None:
    """Every count of the account (shared, waiting line, known devices, networks' marks) starts afresh."""
    cache.set(_generation_key(account), secrets.token_hex(8), timeout=LIFTED_SECONDS)


def _generation_key(account: str) -> str:
    return f"password:generation:{digest(account)}"
