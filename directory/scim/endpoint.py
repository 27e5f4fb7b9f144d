"""What every SCIM request goes through: the directory's token, its rate limit, a bounded JSON body, the request
log, and SCIM error bodies for every refusal (never an HTML page, never a 500 for what a client sent)."""

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    InvalidSyntaxException,
    InvalidValueException,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
)

from directory.models import SCIMDirectory, SCIMRequest
from directory.people import PersonRefused
from directory.scim.errors import (
    directory_deleted,
    error_response,
    person_refused_response,
    validation_error_response,
)
from directory.scim.schema import POLICY
from directory.scim.text import storable, unstorable_in
from directory.tokens import token_matches
from kloudsso.client_ip import client_ip
from kloudsso.rate_limit import allow

WITH_BODY = {"POST", "PUT", "PATCH"}
# Requests refused before authentication (a wrong token, too many from one client) that the log keeps per directory
# and minute: enough to see a misconfigured IdP, while a flood of guesses writes no row per guess.
REFUSED_LOGGED_PER_MINUTE = 5


class RateLimited(SCIMException):
    # RFC 7644 §3.12 lists no scimType for it; its "tooMany" means too many results, a 400.
    status = 429


@dataclass
class Call:
    """One SCIM request: its directory, its body, and what the log line says it touched."""

    directory: SCIMDirectory
    base_url: str
    raw: bytes = b""
    resource_kind: str = ""
    resource_label: str = ""

    @cached_property
    def body(self):
        """The JSON body, parsed when the view reads it: an endpoint refusing the method answers 405 whatever was
        sent (Okta's SCIM 2.0 spec test POSTs the text "test" to /ServiceProviderConfig and expects 405)."""
        if not self.raw.strip():
            return None  # the view says what it needed (a resource, a PATCH message), or that it takes none
        try:
            body = json.loads(self.raw)
        except (ValueError, RecursionError):
            raise InvalidSyntaxException(detail="The request body is not JSON.") from None
        # Refused wherever it is, before anything reads it: an attribute the policy ignores is no exception.
        why = unstorable_in(body)
        if why is not None:
            raise InvalidValueException(detail=f"A string in the request body holds {why}.")
        return body


def scim_endpoint(view):
    @csrf_exempt  # a bearer token, not a cookie, authenticates these requests
    @wraps(view)
    def wrapper(request, directory_id, **kwargs):
        directory = _directory(directory_id)
        call = Call(directory=directory, base_url=_base_url(directory)) if directory else None
        authenticated = False
        try:
            # Counted before the token is checked, per client: guessing is slowed, and a guesser elsewhere does not
            # use up the IdP's own limit (the directory's, below).
            client = f"scim-client:{directory_id}:{client_ip(request)}"
            if not allow(client, limit=settings.SCIM_RATE_LIMIT_PER_MINUTE, window_seconds=60):
                raise RateLimited(detail="Too many requests from this client; retry in a minute.")
            _authenticate(request, directory)
            authenticated = True
            if not allow(f"scim:{directory.pk}", limit=settings.SCIM_RATE_LIMIT_PER_MINUTE, window_seconds=60):
                raise RateLimited(detail="Too many requests for this directory; retry in a minute.")
            call.raw = _body(request)
            with POLICY:
                response = view(request, call, **kwargs)
        except SCIMException as exc:
            response = error_response(exc)
        except PersonRefused as exc:
            response = person_refused_response(exc)
        except ValidationError as exc:
            response = validation_error_response(exc)
        except IntegrityError:
            gone = directory_deleted(call.directory)
            if gone is None:
                raise
            response = error_response(gone)
        note = "" if authenticated or call is None else _refused_note(call.directory)
        if call is not None and note is not None:
            _log(request, call, response, note=note)
        return response

    return wrapper


def _directory(directory_id) -> SCIMDirectory | None:
    return SCIMDirectory.objects.select_related("organization").filter(public_id=directory_id).first()


def _authenticate(request, directory) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if directory is None or scheme.lower() != "bearer" or not token_matches(directory, token.strip()):
        # The same answer for an unknown directory, a wrong token and a revoked one.
        raise UnauthorizedException(detail="A valid bearer token for this directory is required.")


def _body(request) -> bytes:
    """The body's bytes, within the size limit; Call.body parses them."""
    if request.method not in WITH_BODY:
        return b""
    limit = settings.SCIM_MAX_BODY_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLargeException(detail=f"A request body has at most {limit} bytes.")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise PayloadTooLargeException(detail=f"A request body has at most {limit} bytes.") from None
    if len(raw) > limit:
        raise PayloadTooLargeException(detail=f"A request body has at most {limit} bytes.")
    return raw


def _base_url(directory) -> str:
    return f"{settings.PUBLIC_BASE_URL}/scim/v2/{directory.public_id}"


def _minute() -> int:
    return int(time.time() // 60)


def _refused_note(directory) -> str | None:
    """None when this minute's refusals before authentication were logged enough: they are only counted. The first
    logged one of a minute says how many the minute before counted without logging."""
    minute = _minute()
    key = f"scim-refused:{directory.pk}:"
    cache.add(key + str(minute), 0, timeout=120)
    try:
        number = cache.incr(key + str(minute))
    except ValueError:  # expired between add and incr
        number = 1
    if number > REFUSED_LOGGED_PER_MINUTE:
        return None
    left_out = (cache.get(key + str(minute - 1)) or 0) - REFUSED_LOGGED_PER_MINUTE if number == 1 else 0
    if left_out > 0:
        return f" The minute before, {left_out} more requests refused like this one were not logged."
    return ""


def _log(request, call: Call, response, *, note: str = "") -> None:
    detail = ""
    if response.status_code >= 400:
        try:
            detail = json.loads(response.content).get("detail", "")
        except ValueError:
            detail = ""
    # Relative to the Tenant URL, as the IdP's own logs name it.
    path = storable(request.get_full_path().removeprefix(f"/scim/v2/{call.directory.public_id}"))[:500] or "/"
    try:
        with transaction.atomic():
            SCIMRequest.objects.create(
                directory=call.directory,
                method=request.method[:10],
                path=path,
                status=response.status_code,
                resource_kind=call.resource_kind,
                resource_label=storable(call.resource_label)[:300],
                error=(storable(detail)[: 2000 - len(note)] + note).strip(),
            )
    except IntegrityError:
        return  # an owner deleted the directory while this request ran: it has no log any more
    # To the minute: the directory page says when the IdP last called, without a write per request.
    now, last = timezone.now(), call.directory.last_request_at
    if last is None or not timedelta(0) <= now - last < timedelta(minutes=1):
        SCIMDirectory.objects.filter(pk=call.directory.pk).update(last_request_at=now)
