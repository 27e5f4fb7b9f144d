"""SCIM errors (RFC 7644 §3.12) as the library names them, and the one response every refusal becomes."""

import json

from django.http import HttpResponse
from pydantic import ValidationError
from scim2_models import (
    Error,
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    SCIMException,
    UniquenessException,
)

from directory.models import SCIMDirectory
from directory.people import AccountTaken, EmailRefused, OwnerProtected, PersonRefused

CONTENT_TYPE = "application/scim+json"


def scim_json(payload: dict, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def directory_deleted(directory) -> NotFoundException | None:
    """The answer to a write whose commit failed its foreign keys because an owner deleted the directory meanwhile
    (PostgreSQL checks them at commit), or None when the directory is still there."""
    if SCIMDirectory.objects.filter(pk=directory.pk).exists():
        return None
    return NotFoundException(detail="This directory was deleted while this request ran: nothing was saved.")


def error_response(exc: SCIMException) -> HttpResponse:
    error = exc.to_error()
    return _error(error.status or exc.status, error.scim_type or None, error.detail or exc.detail)


# directory/people.py's refusals, as the SCIM errors they are (RFC 7644 §3.12).
PERSON_ERRORS = {
    EmailRefused: InvalidValueException,
    AccountTaken: UniquenessException,
    OwnerProtected: ForbiddenException,
}


def person_refused_response(exc: PersonRefused) -> HttpResponse:
    scim_error = next(error for kind, error in PERSON_ERRORS.items() if isinstance(exc, kind))
    return error_response(scim_error(detail=exc.detail))


def validation_error_response(exc: ValidationError) -> HttpResponse:
    """The first problem pydantic found, with the scimType scim2-models maps it to (invalidValue, invalidSyntax)."""
    errors = Error.from_validation_errors(exc)
    first = errors[0] if errors else Error(status=400, scim_type="invalidSyntax", detail="The request is not valid.")
    detail = "; ".join(e.detail for e in errors[:3] if e.detail) or first.detail
    return _error(first.status or 400, first.scim_type, detail)


def _error(status: int, scim_type: str | None, detail: str) -> HttpResponse:
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_json(body, status=status)
