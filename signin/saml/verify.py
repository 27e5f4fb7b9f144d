"""Verify a SAML response with the connection's own configuration, and say precisely what is wrong when it fails.

pysaml2 verifies; the assertion it returns is then held to the rules it does not check itself (signin/saml/profile:
version, audience, bearer confirmation, Recipient; here: a NameID; signin/saml/replay). Until pysaml2 has returned,
whatever its errors quote is the response's own text (signin/saml/pysaml2_errors).
"""

from dataclasses import dataclass

from saml2 import BINDING_HTTP_POST, SAMLError

from connections.sp import service_provider_get_or_create
from signin.errors import SignInError
from signin.saml import signer
from signin.saml.clients import client_for
from signin.saml.encryption import readable_peek, uses_cbc
from signin.saml.precheck import PERSON, precheck
from signin.saml.profile import check_in_response_to, check_profile
from signin.saml.pysaml2_errors import quote_error, refusal_of
from signin.saml.replay import refuse_replay
from signin.saml.subject import email_of, subject_of


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
    name_id_xml: str = ""  # the NameID element, for a LogoutRequest (signin/saml/logout)
    session_indexes: tuple[str, ...] = ()

    @property
    def received(self) -> dict:
        """What owners and Test connection see: the NameID, then the attributes; an attribute named NameID too is
        shown beside it, never in its place."""
        attributes = {(f"{name} (attribute)" if name == "NameID" else name): v for name, v in self.attributes.items()}
        return {"NameID": self.name_id, **attributes}


def verify_response(
    connection, saml_response: str, seen, *, request_id: str, allow_idp_initiated: bool | None = None
) -> Verified:
    """`allow_idp_initiated` overrides the connection's switch (see sp_config.inputs_of)."""
    sp = service_provider_get_or_create(org=connection.organization)
    on_file = signer.certificates_on_file(connection.saml)
    try:
        precheck(connection, readable_peek(connection, saml_response, seen, sp=sp), sp.entity_id)
        client = client_for(connection, sp=sp, certificates=on_file, allow_idp_initiated=allow_idp_initiated)
        signer.watch()
        response = _parse(client, saml_response, connection, request_id=request_id)
    except SignInError as exc:
        if seen.encrypted and uses_cbc(saml_response):
            raise exc.shown_as(SignInError("saml_decryption_failed")) from None
        raise
    assertion = response.assertion
    check_profile(assertion, entity_id=sp.entity_id)
    check_in_response_to(assertion, request_id=request_id, response_in_response_to=seen.in_response_to)
    name_id = _name_id(response)
    refuse_replay(connection, assertion)
    attributes = response.ava or {}
    email, source = email_of(name_id, attributes, email_attribute=connection.saml.email_attribute)
    signer.record(on_file)
    return Verified(
        connection=connection,
        subject=subject_of(name_id, attributes, email=email, idp_entity_id=connection.saml.idp_entity_id),
        email=email,
        email_source=source,
        attributes=attributes,
        name_id=name_id.text.strip(),
        session_info=_session_info(response, assertion),
        assertion_info={"assertion_id": assertion.id},
        name_id_xml=name_id.to_string().decode(),
        session_indexes=tuple(s.session_index for s in assertion.authn_statement if s.session_index),
    )


def _parse(client, saml_response: str, connection, *, request_id: str):
    outstanding = {request_id: "/"} if request_id else {}
    try:
        response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding)
    except Exception as exc:  # noqa: BLE001 -- pysaml2 raises bare Exception for unmet conditions
        raise refusal_of(exc, connection=connection, request_id=request_id, saml_response=saml_response) from None
    if response is None or response.assertion is None:
        # What pysaml2 refuses this way, precheck and the routing refuse first with a reason: this is a last resort.
        raise SignInError(
            "saml_invalid",
            PERSON,
            "pysaml2 refused the Response without giving a reason (it checks the Response's Destination, "
            "IssueInstant and InResponseTo).",
        )
    return response


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
    except SAMLError as exc:  # it refuses an assertion without an AuthnStatement (parsing already required one)
        raise SignInError("saml_invalid", PERSON, f"The assertion is not valid: {quote_error(exc)}") from None
    # pysaml2 gives the Response's Issuer, which is optional (SAML profiles 4.1.4.2); the signed assertion's is not.
    return {**info, "issuer": info["issuer"] or (assertion.issuer.text or "").strip()}
