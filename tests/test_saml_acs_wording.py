"""What owners and the person are told of a refused SAML response: the response's own words bounded and labelled
until a signature vouched for them, and each story told as it is (signin/saml/quoting, signin/saml/unmatched)."""

import html

import pytest
from django.core.cache import cache

from connections.events import SignInEvent
from connections.sp import saml_acs_url
from signin import event_log
from signin.errors import SignInError
from signin.saml import issued
from tests.support.saml_craft import PREFIX, substitute
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401
from tests.test_saml_acs_refusals import answer, b64, event, unb64

LONG = "x" * 5000


# -- every value quoted from an unverified response is bounded and labelled ------------------------------------------


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (substitute(rf"(<{PREFIX}Issuer[^>]*>)[^<]*", rf"\1https://stranger.test/{LONG}"), "unknown_issuer"),
        (substitute(r'Destination="[^"]*"', f'Destination="https://evil.test/{LONG}"'), "destination_mismatch"),
        (substitute(r'Recipient="[^"]*"', f'Recipient="https://evil.test/{LONG}"'), "recipient_mismatch"),
        (substitute(rf"(<{PREFIX}Audience>)[^<]*", rf"\1https://other.test/{LONG}"), "audience_mismatch"),
        (substitute(r'NotOnOrAfter="[^"]*"', f'NotOnOrAfter="{LONG}"'), "saml_invalid"),
        (
            substitute(r'(SubjectConfirmationData[^>]*InResponseTo=")[^"]*', rf"\g<1>id-{LONG}"),
            "saml_in_response_to_mismatch",
        ),
    ],
    ids=["issuer", "destination", "recipient", "audience", "time", "in-response-to"],
)
def test_a_long_unverified_value_is_bounded_and_labelled_in_the_owners_events(client, connection, idp, sp, edit, code):  # noqa: F811
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    refused(client, post(client, b64(edit(xml))), code)
    detail = event(code).detail
    assert "(not verified)" in detail and "…" in detail
    assert len(detail) < 1000


def test_the_whole_detail_of_an_event_is_bounded(client, connection, rf):  # noqa: F811
    request = rf.get("/")
    recorded = event_log.record_failure(
        request, SignInError("saml_invalid", detail="y" * 100_000), connection=connection
    )
    assert len(recorded.detail) <= event_log.MAX_DETAIL_LENGTH + 1


# -- algorithms: too weak, or not one we accept ----------------------------------------------------------------------


def test_an_algorithm_outside_the_list_is_not_accepted_rather_than_too_weak(client, connection, idp, sp):  # noqa: F811
    pss = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
    xml = unb64(idp.response(**answer(sp, start(client, connection))))
    page = post(client, b64(substitute(r'(SignatureMethod Algorithm=")[^"]*', rf"\g<1>{pss}")(xml)))
    refused(client, page, "saml_unsupported_algorithm")
    assert "too weak" not in page.content.decode()
    detail = event("saml_unsupported_algorithm").detail
    assert pss in detail and "(not verified)" in detail and "not an algorithm KloudSSO accepts" in detail


# -- precise reasons -----------------------------------------------------------------------------------------------


def test_xml_the_schema_refuses_is_not_blamed_on_the_certificates(client, connection, idp, sp):  # noqa: F811
    markup = substitute(rf">ada@acme.test(</{PREFIX}NameID>)", r">ada@acme.test<x:y xmlns:x='urn:x'/>\1")
    refused(client, post(client, idp.edited(markup, **answer(sp, start(client, connection)))), "saml_invalid")
    detail = event("saml_invalid").detail
    assert "SAML schema" in detail and "NameID" in detail and "On file" not in detail


def test_another_saml_version_is_named(client, connection, idp, sp):  # noqa: F811
    version = substitute(rf'(<{PREFIX}Response [^>]*?)Version="2.0"', r'\1Version="3.0"')
    refused(client, post(client, idp.edited(version, **answer(sp, start(client, connection)))), "saml_invalid")
    assert "Version is '3.0' (not verified), not 2.0" in event("saml_invalid").detail


def test_a_past_session_end_is_not_called_an_expired_assertion(client, connection, idp, sp):  # noqa: F811
    ended = substitute(rf"(<{PREFIX}AuthnStatement) ", r'\1 SessionNotOnOrAfter="2020-01-01T00:00:00Z" ')
    refused(client, post(client, idp.edited(ended, **answer(sp, start(client, connection)))), "saml_invalid")
    assert "SessionNotOnOrAfter '2020-01-01T00:00:00Z' (not verified) is past" in event("saml_invalid").detail


def test_an_idp_error_of_any_size_is_bounded_and_labelled(client, connection, idp):  # noqa: F811
    response = idp.error_response(
        in_response_to=start(client, connection),
        destination=saml_acs_url(),
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        message="AADSTS50105: user not assigned\nSupport note: " + LONG,
    )
    refused(client, post(client, response), "saml_idp_status")
    detail = event("saml_idp_status").detail
    assert "'AADSTS50105: user not assigned\\nSupport note: " in detail  # repr: the newline cannot start a line
    assert "(not verified)" in detail and len(detail) < 1000


# -- which browser's request -----------------------------------------------------------------------------------------


def test_a_sign_in_dropped_for_newer_ones_in_this_browser_is_said_so(client, connection, idp, sp):  # noqa: F811
    first = start(client, connection)
    for _ in range(10):
        start(client, connection)
    page = post(client, idp.response(**answer(sp, first)))
    refused(client, page, "saml_request_unknown")
    assert "newer sign-ins" in html.unescape(page.content.decode())
    assert "names a request this browser started" in event("saml_request_unknown").detail


def test_a_sign_in_started_before_signing_out_is_not_blamed_on_another_browser_alone(client, connection, idp, sp):  # noqa: F811
    first = start(client, connection)
    client.logout()  # a new session: nothing ties this browser to the request any more
    page = post(client, idp.response(**answer(sp, first)))
    refused(client, page, "saml_request_unknown")
    assert "signed out" in html.unescape(page.content.decode())
    assert "signed out" in event("saml_request_unknown").detail


def test_the_requests_an_ip_address_notes_in_the_shared_cache_are_capped(client, connection, idp, sp, monkeypatch):  # noqa: F811
    monkeypatch.setattr(issued, "NOTES_PER_IP", 1)
    cache.clear()
    start(client, connection)
    beyond = start(client, connection)
    assert issued.note_of(beyond) is None  # nothing more in the shared cache for this address
    assert post(client, idp.response(**answer(sp, beyond)))["Location"] == "/orgs/acme/"  # the session decides
    assert SignInEvent.objects.get().outcome == "success"
