"""Verify a SAML response with the connection's own configuration, and say precisely what is wrong when it fails."""

import calendar
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, SAMLError
from saml2.client import Saml2Client
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.sigver import MissingKey, SignatureError, SigverError
from saml2.time_util import str_to_time
from saml2.validate import ResponseLifetimeExceed, ToEarly

from connections.saml.models import UsedAssertion
from connections.sp import saml_acs_url, service_provider_get_or_create
from signin.errors import SignInError
from signin.saml.precheck import PERSON as _PERSON
from signin.saml.precheck import precheck
from signin.saml.sp_config import sp_config
from signin.saml.subject import email_of, subject_of


@dataclass(frozen=True)
class Verified:
    connection: object
    subject: str
    email: str | None
    email_source: str
    attributes: dict
    session_info: dict
    assertion_info: dict


def verify_response(connection, saml_response: str, seen, *, request_id: str) -> Verified:
    sp = service_provider_get_or_create(org=connection.organization)
    precheck(connection, seen, sp.entity_id)
    client = Saml2Client(sp_config(connection, sp=sp))
    outstanding = {request_id: "/"} if request_id else {}
    response = _parse(client, saml_response, outstanding, connection)
    assertion = response.assertion
    _check_recipient(assertion)
    _refuse_replay(connection, assertion)
    attributes = response.ava or {}
    name_id = response.name_id
    email, source = email_of(name_id, attributes, email_attribute=connection.saml.email_attribute)
    return Verified(
        connection=connection,
        subject=subject_of(name_id, attributes, email=email),
        email=email,
        email_source=source,
        attributes=attributes,
        session_info=response.session_info(),
        assertion_info={"assertion_id": assertion.id},
    )


def _parse(client, saml_response: str, outstanding: dict, connection):
    try:
        response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding)
    except (SignatureError, SigverError, IncorrectlySigned, MissingKey):
        on_file = "; ".join(
            f"{c.subject} (SHA-256 {c.sha256_fingerprint[:23]}…, expires {c.not_after:%Y-%m-%d})"
            for c in connection.saml.certificates.all()
        )
        raise SignInError(
            "saml_bad_signature",
            _PERSON,
            f"The response is unsigned or not signed by a certificate of this connection. On file: {on_file}.",
        ) from None
    except ResponseLifetimeExceed:
        raise SignInError("response_expired", _PERSON, "The assertion has expired (check the clocks).") from None
    except ToEarly:
        raise SignInError(
            "response_not_yet_valid", _PERSON, "The assertion is not valid yet (check the clocks)."
        ) from None
    except UnsolicitedResponse:
        raise SignInError("unsolicited_response", _PERSON, "The response answers no request of this browser.") from None
    except StatusError as exc:
        raise SignInError("saml_idp_status", _PERSON, f"The IdP answered with an error: {exc}") from None
    except (SAMLError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SignInError("saml_invalid", _PERSON, f"The response is not valid: {exc}") from None
    except Exception as exc:  # noqa: BLE001 -- pysaml2 raises bare Exception for unmet conditions (audience)
        raise SignInError("saml_invalid", _PERSON, f"The response's conditions are not met: {exc}") from None
    if response is None or response.assertion is None:
        raise SignInError("saml_invalid", _PERSON, "The response was refused (destination or InResponseTo).")
    return response


def _check_recipient(assertion) -> None:
    acs = saml_acs_url()
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is None or data.recipient != acs:
            raise SignInError("recipient_mismatch", _PERSON, f"The assertion's Recipient is not {acs}.")


def _refuse_replay(connection, assertion) -> None:
    """Each assertion ID of an IdP is accepted once, on any app server, until it expires."""
    expiry = time.time() + 3600
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            expiry = calendar.timegm(str_to_time(data.not_on_or_after))
    now = timezone.now()
    key = hashlib.sha256(f"{connection.saml.idp_entity_id}\n{assertion.id}".encode()).hexdigest()
    try:
        with transaction.atomic():
            UsedAssertion.objects.filter(expires_at__lt=now).delete()
            UsedAssertion.objects.create(key=key, expires_at=datetime.fromtimestamp(expiry, UTC) + timedelta(minutes=5))
    except IntegrityError:
        raise SignInError("replayed_assertion", _PERSON, f"The assertion {assertion.id} was already used.") from None
