"""Each SAML refusal's explanation compares the connection's configuration with what arrived and names the values
and the likely mistake (issue 12, item 4): the owner's event detail holds them."""

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from connections.events import SignInEvent
from connections.models import SAMLCertificate
from connections.sp import saml_acs_url, service_provider_get_or_create, sp_metadata_xml
from signin.catalogue import CATALOGUE
from tests.support.saml_craft import CraftingIdP, substitute
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401 -- fixtures and helpers

ENTRA_A = "https://sts.windows.net/aaaaaaaa-1111-2222-3333-444444444444/"
ENTRA_B = "https://sts.windows.net/bbbbbbbb-1111-2222-3333-444444444444/"


def answer(sp, request_id, **kwargs):  # noqa: F811
    return {"in_response_to": request_id, "destination": saml_acs_url(), "audience": sp.entity_id, **kwargs}


def detail(client, landed, code) -> str:
    refused(client, landed, code)
    return SignInEvent.objects.get(code=code, outcome="failure").detail


def unb64(response: str) -> str:
    return base64.b64decode(response).decode()


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def fingerprint(connection) -> str:  # noqa: F811
    return connection.saml.certificates.get().sha256_fingerprint


# -- signatures ----------------------------------------------------------------------------------------------------


def test_an_unsigned_response_is_its_own_code_with_the_signing_option_as_fix(client, connection, idp, sp):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)), sign_assertion=False)
    said = detail(client, post(client, response), "saml_unsigned")
    assert "Neither the Response nor its Assertion carries a Signature" in said
    assert "Signing Option: Sign SAML response and assertion" in CATALOGUE["saml_unsigned"].fix


def test_a_certificate_not_on_file_is_shown_next_to_the_ones_on_file(client, connection, sp, tmp_path):  # noqa: F811
    impostor = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), stem="other-app")
    response = impostor.response(**answer(sp, start(client, connection)))
    said = detail(client, post(client, response), "saml_bad_signature")
    theirs = SAMLCertificate.objects.get().sha256_fingerprint
    assert "not on file (not verified): 'CN=other-app' (SHA-256 " in said
    assert f"On file: 'CN=idp' (SHA-256 {theirs}, valid " in said
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert f"valid {today} to {(datetime.now(UTC) + timedelta(days=30)):%Y-%m-%d}" in said
    assert "another application's or tenant's certificate" in said
    assert "next signing key" not in said


def test_the_idps_next_key_is_named_as_such(client, connection, sp, tmp_path):  # noqa: F811
    SAMLCertificate.objects.update(not_before=datetime(2025, 1, 1, tzinfo=UTC))  # the one on file is older
    (tmp_path / "next").mkdir()
    rolled = CraftingIdP(tmp_path / "next", sp_metadata=sp_metadata_xml(sp), stem="idp")  # same subject, new key
    said = detail(client, post(client, rolled.response(**answer(sp, start(client, connection)))), "saml_bad_signature")
    assert "'CN=idp'" in said and "valid 2025-01-01 to" in said
    assert "most likely the IdP's next signing key" in said and "add it as the next certificate" in said
    assert (
        "compare its SHA-256 fingerprint" in said
    )  # a certificate in a response that did not verify is not trusted on its word


def test_a_response_changed_after_signing_is_told_from_an_unknown_certificate(client, connection, idp, sp):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection)), name_id="ada@acme.test"))
    changed = xml.replace(">ada@acme.test<", ">eve@acme.test<", 1)
    said = detail(client, post(client, b64(changed)), "saml_bad_signature")
    assert f"names the certificate on file 'CN=idp' (SHA-256 {fingerprint(connection)}" in said
    assert "changed after the IdP signed it" in said


# -- addressing ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "cause"),
    [
        (lambda p: p.entity_id.replace("http://testserver", "https://old.example.test"), "older (or a staging)"),
        (lambda _: "api://6f1c2a3b-0000-4000-8000-000000000001", "Entra ID's default Identifier"),
        (lambda _: "6f1c2a3b-0000-4000-8000-000000000001", "Entra ID's default Identifier"),
        (lambda _: "https://typo.example.test/sp", "typed or copied wrong"),
    ],
    ids=["old-public-base-url", "entra-app-id-uri", "entra-app-id", "typo"],
)
def test_an_audience_names_what_arrived_ours_and_the_likely_cause(client, connection, idp, sp, audience, cause):  # noqa: F811
    sent = audience(sp)
    response = idp.response(**{**answer(sp, start(client, connection)), "audience": sent})
    said = detail(client, post(client, response), "audience_mismatch")
    assert f"Audience {sent!r}" in said and f"not our SP Entity ID {sp.entity_id!r}" in said
    assert cause in said


def test_an_audience_of_another_organization_here_is_named_so(client, connection, idp, sp, globex):  # noqa: F811
    theirs = service_provider_get_or_create(org=globex).entity_id
    response = idp.response(**{**answer(sp, start(client, connection)), "audience": theirs})
    said = detail(client, post(client, response), "audience_mismatch")
    assert "another organization's SP Entity ID on this site" in said
    assert "Globex" not in said and "globex" not in said  # which one is not said


@pytest.mark.parametrize(
    ("destination", "cause"),
    [
        ("http://testserver/sso/saml/", "only by a trailing slash"),
        ("https://testserver/sso/saml", "https:// instead of http://"),
        ("https://old.example.test/sso/saml", "under another address (old.example.test)"),
        ("https://app.example.test/saml/acs", "another application's Reply URL"),
    ],
    ids=["trailing-slash", "scheme", "old-public-base-url", "other-app"],
)
def test_a_destination_names_both_urls_and_the_likely_cause(client, connection, idp, sp, destination, cause):  # noqa: F811
    response = idp.response(**{**answer(sp, start(client, connection)), "destination": destination})
    said = detail(client, post(client, response), "destination_mismatch")
    assert f"Destination {destination!r}" in said and f"not our ACS URL {saml_acs_url()}" in said
    assert cause in said


def test_a_recipient_names_both_urls_and_the_likely_cause(client, connection, idp, sp):  # noqa: F811
    response = idp.edited(
        substitute(r'Recipient="[^"]*"', 'Recipient="http://testserver/sso/saml/"'),
        **answer(sp, start(client, connection)),
    )
    said = detail(client, post(client, response), "recipient_mismatch")
    assert "Recipient 'http://testserver/sso/saml/'" in said and f"not our ACS URL {saml_acs_url()}" in said
    assert "only by a trailing slash" in said


@pytest.mark.parametrize(
    ("on_file", "sent", "cause"),
    [
        (ENTRA_A, ENTRA_B, "another one answered (tenant bbbbbbbb-1111-2222-3333-444444444444, not aaaaaaaa-"),
        ("https://idp.crafted.test/metadata/", "https://idp.crafted.test/metadata", "only by a trailing slash"),
        ("http://idp.crafted.test/metadata", "https://idp.crafted.test/metadata", "http versus https"),
        ("https://other.idp.test/", "https://idp.crafted.test/metadata", "Another IdP"),
    ],
    ids=["entra-tenant", "trailing-slash", "scheme", "another-idp"],
)
def test_an_issuer_names_the_entity_id_on_file_and_what_arrived(client, connection, sp, tmp_path, on_file, sent, cause):  # noqa: F811
    connection.saml.idp_entity_id = on_file
    connection.saml.save()
    other = CraftingIdP(tmp_path, sp_metadata=sp_metadata_xml(sp), entity_id=sent, stem="issuer")
    said = detail(client, post(client, other.response(**answer(sp, start(client, connection)))), "unknown_issuer")
    assert repr(sent) in said and f"IdP Entity ID on file is {on_file!r}" in said
    assert cause in said


# -- times ---------------------------------------------------------------------------------------------------------


def issue_instant(response: str) -> datetime:
    value = re.search(r'IssueInstant="([^"]+)"', unb64(response)).group(1)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_an_expired_response_gives_the_seconds_both_clocks_and_the_issue_instant(client, connection, idp, sp):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)))  # valid for five minutes
    issued = issue_instant(response)
    later = issued + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        said = detail(client, post(client, response), "response_expired")
    assert "is 3300 s in the past by this server's clock" in said
    assert f"({later:%Y-%m-%dT%H:%M:%SZ})" in said and "the allowed skew is 120 s" in said
    assert f"IssueInstant '{issued:%Y-%m-%dT%H:%M:%SZ}' is -3600 s from this server's clock" in said
    assert "an old answer" in said


def test_a_response_from_an_idp_clock_ahead_gives_the_seconds_and_both_clocks(client, connection, idp, sp):  # noqa: F811
    request_id = start(client, connection)
    response = idp.response(**answer(sp, request_id))
    issued = issue_instant(response)
    earlier = issued - timedelta(seconds=600)
    with time_machine.travel(earlier, tick=False):
        said = detail(client, post(client, response), "response_not_yet_valid")
    assert "is 600 s ahead of this server's clock" in said and f"({earlier:%Y-%m-%dT%H:%M:%SZ})" in said
    assert "is +600 s from this server's clock: the IdP's clock is ahead" in said


# -- who may come in -----------------------------------------------------------------------------------------------


def test_an_unverified_domain_names_it_the_verified_ones_and_entras_initial_domain(client, connection, idp, sp):  # noqa: F811
    response = idp.response(**answer(sp, start(client, connection)), name_id="ada@acme.onmicrosoft.com")
    said = detail(client, post(client, response), "email_domain_not_verified")
    assert "has not verified acme.onmicrosoft.com (the domain of ada@acme.onmicrosoft.com)" in said
    assert "its verified domains: acme.test" in said and "Entra ID's initial domain" in said


def test_an_unusable_identity_names_the_lengths(client, connection, idp, sp):  # noqa: F811
    from saml2.saml import NAMEID_FORMAT_PERSISTENT

    response = idp.response(
        **answer(sp, start(client, connection)),
        name_id="x" * 600,
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={"mail": ["ada@acme.test"]},
    )
    said = detail(client, post(client, response), "bad_identity")
    assert "The subject has 611 characters (at most 512)" in said and "the email 13 (at most 254)" in said
