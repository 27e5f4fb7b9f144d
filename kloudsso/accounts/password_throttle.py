"""Password guessing, slowed for the site's and the admin's sign-in alike.

Every attempt is counted before its password is checked (kloudsso.rate_limit.Backoff, in the shared cache, so
every app server sees the same counts and an attempt costs no database write), in the counts that apply to it:
- from a known device of the account (known_device): that device's own count, and nothing else;
- from any other browser: the account's shared count (or, while that is locked, its waiting line for networks
  that have not guessed wrong: waiting_line) and the network's count.
An email counts whether or not it has an account, so a lock reveals nothing about which emails do. Locks back off up
to a short cap instead of locking for good, and support can lift them (lift): an attacker can slow an owner's
sign-in from a new browser, not take it away, and cannot touch it from the owner's known browsers at all.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from kloudsso.accounts import known_device, waiting_line
from kloudsso.accounts.models import PasswordThrottleEvent
from kloudsso.accounts.throttle_keys import digest, loggable, network
from kloudsso.accounts.throttle_route import Route, lift_account, route_for
from kloudsso.rate_limit import Backoff, Turn

logger = logging.getLogger(__name__)
Scope = PasswordThrottleEvent.Scope
ACCOUNT_MESSAGE = "Too many attempts for this account; try again in {wait}."
MESSAGES = {
    Scope.ACCOUNT: ACCOUNT_MESSAGE,
    Scope.DEVICE: ACCOUNT_MESSAGE,
    Scope.IP: "Too many sign-in attempts from your network; try again in {wait}.",
}


@dataclass(frozen=True)
class Bucket:
    name: str  # in log lines
    scope: str
    policy: Backoff
    key: str
    forget_on_success: bool  # a success resets this count (it is the owner's own), or only takes itself back


@dataclass
class Attempt:
    """An attempt counted before its password is checked: report how it ended, exactly once."""

    request: object
    route: Route
    page: str
    turns: list[tuple[Bucket, Turn]] = field(default_factory=list)
    refusal: str | None = None  # the message when it may not be made (then nothing is counted)

    def failed(self) -> None:
        """A wrong password: it counts; a lock it starts is logged and recorded."""
        for bucket, turn in self.turns:
            seconds = turn.failed()
            if seconds:
                _record_lock(self, bucket, seconds)
        if self.route.device is None:
            waiting_line.mark_failed(self.route)

    def succeeded(self, user) -> None:
        """The right password, and the person signs in: the browser becomes a known device of the account.
        The network's failures are not forgotten: signing in to one's own account between guesses must not reset
        a guesser."""
        for bucket, turn in self.turns:
            if bucket.forget_on_success:
                bucket.policy.reset(bucket.key)
            else:
                turn.undo()
        known_device.remember(self.request, self.route.account, user.pk)

    def abandoned(self) -> None:
        """Not a wrong password (a right one refused for SSO or staff status, or an error): it does not count."""
        for _bucket, turn in self.turns:
            turn.undo()


def begin(request, *, email: str, page: str) -> Attempt:
    """Count an attempt to sign in as `email`; its `refusal` is set when no password may be checked now."""
    route = route_for(request, email)
    attempt = Attempt(request, route, page)
    bucket, turn = _first_turn(route)
    if turn is None:
        return _refuse(attempt, bucket)
    attempt.turns.append((bucket, turn))
    if route.device is None:  # a known device is spared the network's count: a shared NAT cannot lock it out
        ip_bucket = _ip_bucket(route)
        ip_turn = ip_bucket.policy.begin(ip_bucket.key)
        if ip_turn is None:
            turn.undo()
            return _refuse(attempt, ip_bucket)
        attempt.turns.append((ip_bucket, ip_turn))
    return attempt


def refusal(request, *, email: str) -> str | None:
    """The message an attempt from this request would be refused with now, else None. Counts nothing."""
    route = route_for(request, email)
    buckets = [_device(route)] if route.device else [_shared(route), _ip_bucket(route)]
    for bucket in buckets:
        wait = _wait(route, bucket)
        if wait:
            return MESSAGES[bucket.scope].format(wait=_minutes(wait))
    return None


def lift(event: PasswordThrottleEvent, *, by: str) -> None:
    """Support lifts a lock: an account's (or device's) lock forgets every count of the account; an address's
    lock forgets that network's count."""
    if event.scope == Scope.IP:
        bucket_key = _network_key(network(event.ip or None))
        Backoff(settings.PASSWORD_THROTTLE_IP_FAILURES, *_lock_settings()).reset(bucket_key)
    else:
        lift_account(event.email)
    logger.warning(
        "Password sign-in lock lifted by %s (%s lock): email=%s ip=%s",
        loggable(by),
        event.scope,
        loggable(event.email),
        loggable(event.ip),
    )


def _first_turn(route: Route) -> tuple[Bucket, Turn | None]:
    if route.device is None:
        return _account_turn(route)
    device = _device(route)
    return device, device.policy.begin(device.key)


def _account_turn(route: Route) -> tuple[Bucket, Turn | None]:
    """A turn in the shared count; while that is locked, in the waiting line for a network that may use it."""
    shared = _shared(route)
    turn = shared.policy.begin(shared.key)
    if turn is not None or not waiting_line.may_join(route):
        return shared, turn
    if waiting_line.wait_left(route) == 0:
        line = _line(route)
        turn = line.policy.begin(line.key)
        if turn is not None:
            return line, turn
    waiting_line.join(route)
    return shared, None


def _wait(route: Route, bucket: Bucket) -> int:
    wait = bucket.policy.locked_for(bucket.key)
    if bucket.name == "account" and wait and waiting_line.may_join(route):
        line = _line(route)
        wait = min(wait, max(waiting_line.wait_left(route), line.policy.locked_for(line.key)))
    return wait


def _refuse(attempt: Attempt, bucket: Bucket) -> Attempt:
    # At least a second: the lock may have ended between the count and this look at it.
    seconds = max(_wait(attempt.route, bucket), 1)
    logger.warning(
        "Password sign-in refused, %ss of lock left (%s lock): email=%s ip=%s",
        seconds,
        bucket.name,
        loggable(attempt.route.account),
        loggable(attempt.route.ip),
    )
    attempt.refusal = MESSAGES[bucket.scope].format(wait=_minutes(seconds))
    return attempt


def _record_lock(attempt: Attempt, bucket: Bucket, seconds: int) -> None:
    route = attempt.route
    logger.warning(
        "Password sign-in locked for %s seconds (%s lock): email=%s ip=%s",
        seconds,
        bucket.name,
        loggable(route.account),
        loggable(route.ip),
    )
    PasswordThrottleEvent.objects.create(
        scope=bucket.scope,
        email=route.account[:254],
        ip=route.ip or "",
        page=attempt.page,
        locked_until=timezone.now() + timedelta(seconds=seconds),
    )


def _device(route: Route) -> Bucket:
    return Bucket("device", Scope.DEVICE, _account_policy(), route.key("device", route.device), True)


def _shared(route: Route) -> Bucket:
    return Bucket("account", Scope.ACCOUNT, _account_policy(), route.key("account"), True)


def _line(route: Route) -> Bucket:
    return Bucket("waiting line", Scope.ACCOUNT, _account_policy(), route.key("waiting-line"), False)


def _ip_bucket(route: Route) -> Bucket:
    policy = Backoff(settings.PASSWORD_THROTTLE_IP_FAILURES, *_lock_settings())
    return Bucket("ip", Scope.IP, policy, _network_key(route.network), False)


def _network_key(network_name: str) -> str:
    return f"password:ip:{digest(network_name)}"


def _account_policy() -> Backoff:
    return Backoff(settings.PASSWORD_THROTTLE_ACCOUNT_FAILURES, *_lock_settings())


def _lock_settings() -> tuple[int, int, int]:
    return (
        settings.PASSWORD_THROTTLE_WINDOW_SECONDS,
        settings.PASSWORD_THROTTLE_FIRST_LOCK_SECONDS,
        settings.PASSWORD_THROTTLE_MAX_LOCK_SECONDS,
    )


def _minutes(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
