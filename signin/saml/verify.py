"""Verify a SAML response with the connection's own configuration, and say precisely what is wrong when it fails.

pysaml2 verifies; what it returns is then held to the rules it does not check itself (a NameID, Recipient,
bearer NotOnOrAfter, replay). Until pysaml2 has returned, whatever its errors quote is the response's own text.
"""

from dataclasses import dataclass

from saml2 import BINDING_HTTP_POST, SAMLError
from saml2.client import Saml2Client
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.sigver import MissingKey, SignatureError, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from connections.sp import saml_acs_url, service_provider_get_or_create
from signin.errors import SignInError
from signin.saml.precheck import NOT_VERIFIED, PERSON, precheck
from signin.saml.replay import refuse_replay
from signin.saml.sp_config import sp_config
from signin.saml.subject import email_of, subject_of

MAX_QUOTED = 300  # of a pysaml2 error: some quote the whole document


@dataclass(frozen=True)
class Verified:
    connection: object
    subject: str
    email: str | None
    email_source: str
    attributes: dict
    name_id: str
    session_info: dict
    assertion_info: dict


def verify_response(connection, saml_response: str, seen, *, request_id: str) -> Verified:
    sp = service_provider_get_or_create(org=connection.organization)
    precheck(connection, seen, sp.entity_id)
    client = Saml2Client(sp_config(connection, sp=sp))
    outstanding = {request_id: "/"} if request_id else {}
    response = _parse(client, saml_response, outstanding, connection)
    assertion = response.assertion
    name_id = _name_id(response)
    _check_recipient(assertion)
    refuse_replay(connection, assertion)
    attributes = response.ava or {}
    email, source = email_of(name_id, attributes, email_attribute=connection.saml.email_attribute)
    return Verified(
        connection=connection,
        subject=subject_of(name_id, attributes, email=email, idp_entity_id=connection.saml.idp_entity_id),
        email=email,
        email_source=source,
        attributes=attributes,
        name_id=name_id.text.strip(),
        session_info=_session_info(response, assertion),
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
            PERSON,
            f"The response is unsigned or not signed by a certificate of this connection. On file: {on_file}.",
        ) from None
    except ResponseLifetimeExceed:
        raise SignInError("response_expired", PERSON, "The assertion has expired (check the clocks).") from None
    except ToEarly:
        raise SignInError(
            "response_not_yet_valid", PERSON, "The assertion is not valid yet (check the clocks)."
        ) from None
    except UnsolicitedResponse:  # the routing found our request: pysaml2 finds it missing or different somewhere
        raise SignInError(
            "saml_in_response_to_mismatch",
            PERSON,
            f"The Response and its assertion do not both answer {sorted(outstanding)} {NOT_VERIFIED}.",
        ) from None
    except StatusError as exc:
        raise SignInError(
            "saml_idp_status", PERSON, f"The IdP answered with an error {NOT_VERIFIED}: {_quote(exc)}"
        ) from None
    except (SAMLError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SignInError("saml_invalid", PERSON, f"The response is not valid {NOT_VERIFIED}: {_quote(exc)}") from None
    except Exception as exc:  # noqa: BLE001 -- pysaml2 raises bare Exception for unmet conditions (audience)
        raise SignInError(
            "saml_invalid", PERSON, f"The response's conditions are not met {NOT_VERIFIED}: {_quote(exc)}"
        ) from None
    if response is None or response.assertion is None:
        raise SignInError("saml_invalid", PERSON, "The response was refused (destination or InResponseTo).")
    return response


def _check_recipient(assertion) -> None:
    acs = saml_acs_url()
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is None or data.recipient != acs:
            raise SignInError("recipient_mismatch", PERSON, f"The assertion's Recipient is not {acs}.")


def _name_id(response):
    """The Web SSO profile's Subject names someone: a NameID with a value (pysaml2 accepts none, or an empty one)."""
    name_id = response.name_id
    if name_id is None or not (name_id.text or "").strip():
        said = "no NameID" if name_id is None else f"an empty NameID (Format {name_id.format or 'none'})"
        raise SignInError(
            "saml_no_name_id",
            PERSON,
            f"The assertion's Subject has {said}; KloudSSO needs a NameID that names the person.",
        )
    return name_id


def _session_info(response, assertion) -> dict:
    try:
        info = response.session_info()
    except SAMLError as exc:  # pysaml2 checks the AuthnStatement only here
        raise SignInError("saml_invalid", PERSON, f"The assertion is not valid: {_quote(exc)}") from None
    # pysaml2 gives the Response's Issuer, which is optional (SAML profiles 4.1.4.2); the signed assertion's is not.
    return {**info, "issuer": info["issuer"] or (assertion.issuer.text or "").strip()}


def _quote(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…"
