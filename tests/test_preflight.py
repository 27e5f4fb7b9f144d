"""The pre-flight checklist: each line's pass, warning or failure with what was expected and what was received,
computed from what the save stored; shown on the connection's page, where a save now lands."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from connections.models import OIDCSettings
from connections.oidc import preflight as oidc_preflight
from connections.preflight import AT_IDP, FAIL, PASS, WARN, connection_preflight
from connections.saml import preflight as saml_preflight
from connections.saml.models import SAMLCertificate, Source
from connections.sp import service_provider_get_or_create
from tests.support.factories import oidc_connection, saml_connection
from tests.support.oidc import serve_idp

pytestmark = pytest.mark.django_db
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
RSA_KEY = {"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig"}


def line(preflight, label_start):
    (found,) = [c for c in preflight.checks if c.label.startswith(label_start)]
    return found


def oidc(acme, **changes) -> OIDCSettings:
    settings_row = oidc_connection(acme).oidc
    for name, value in changes.items():
        setattr(settings_row, name, value)
    settings_row.save()
    return settings_row


# OIDC


def test_the_discovery_line_names_the_url_and_when_it_was_fetched(acme):
    row = oidc(acme)
    check = oidc_preflight.discovery_check(row)
    assert check.status == PASS
    assert check.expected == f"HTTP 200 and a JSON discovery document at {row.discovery_url}"
    assert f"{row.discovered_at:%Y-%m-%d %H:%M} UTC" in check.received


def test_an_issuer_that_does_not_match_the_discovery_url_fails_with_the_url_to_use(acme):
    row = oidc(acme, issuer="https://login.microsoftonline.com/tid-2/v2.0")
    check = oidc_preflight.issuer_check(row)
    assert check.status == FAIL
    assert check.expected == "https://login.microsoftonline.com/tid-1/v2.0/.well-known/openid-configuration"
    assert "https://login.microsoftonline.com/tid-2/v2.0" in check.received
    assert "https://login.microsoftonline.com/tid-2/v2.0/.well-known/openid-configuration" in check.fix


def test_a_matching_issuer_passes(acme):
    assert oidc_preflight.issuer_check(oidc(acme)).status == PASS


def test_signing_keys_are_counted_with_their_type_and_algorithm(acme):
    row = oidc(acme, signing_keys=[RSA_KEY, {"kty": "EC", "alg": "ES256"}, {"kty": "RSA", "use": "enc"}])
    check = oidc_preflight.signing_keys_check(row)
    assert check.status == PASS
    assert check.expected == f"At least one signing key at {row.jwks_uri}"
    assert check.received == "2 signing keys: RSA RS256 (kid k1), EC ES256"


def test_only_encryption_keys_fail(acme):
    check = oidc_preflight.signing_keys_check(oidc(acme, signing_keys=[{"kty": "RSA", "use": "enc"}]))
    assert (check.status, check.received) == (FAIL, "1 key(s), none for signatures")


def test_keys_not_recorded_at_save_warn_and_say_to_save_again(acme):
    check = oidc_preflight.signing_keys_check(oidc(acme, signing_keys=None))
    assert check.status == WARN and "save the connection again" in check.fix


def test_the_save_keeps_the_keys_discovery_fetched(as_alice, acme, http_server):
    serve_idp(http_server, "/tenant-1/v2.0")
    response = as_alice.post(
        reverse("connections:add_oidc", kwargs={"org_slug": "acme"}),
        {
            "display_name": "Entra ID",
            "discovery_url": http_server.url("/tenant-1/v2.0/.well-known/openid-configuration"),
            "client_id": "client-1",
            "client_secret": "a-secret-value",
            "scopes": "openid email profile",
        },
    )
    row = OIDCSettings.objects.get(connection__organization=acme)
    assert row.signing_keys == [{"kid": "k1", "kty": "RSA", "use": "sig"}]  # the identifiers only, never n or e
    edit = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": row.connection.public_id})
    assert response.status_code == 302 and response["Location"] == edit + "#preflight"
    page = as_alice.get(edit).content.decode()
    assert "Connection &#x27;Entra ID&#x27; added" in page
    assert "1 signing key: RSA (kid k1)" in page


@pytest.mark.parametrize(
    ("methods", "chosen", "status", "expected"),
    [
        (
            None,
            "client_secret_basic",
            PASS,
            "client_secret_basic (the document lists no methods: the standard's default)",
        ),
        (["client_secret_post"], "client_secret_post", PASS, "One the provider allows: client_secret_post"),
        (["client_secret_post"], "client_secret_basic", FAIL, "One the provider allows: client_secret_post"),
    ],
)
def test_the_client_authentication_chosen_against_the_ones_allowed(acme, methods, chosen, status, expected):
    document = {"token_endpoint_auth_methods_supported": methods} if methods else {}
    check = oidc_preflight.auth_method_check(oidc(acme, discovery_document=document, token_endpoint_auth_method=chosen))
    assert (check.status, check.expected, check.received) == (status, expected, chosen)
    assert ("Automatic" in check.fix) == (status == FAIL)


@pytest.mark.parametrize(
    ("scopes", "entra", "status"),
    [
        ("openid email profile", False, PASS),
        ("openid email", False, PASS),
        ("openid profile", False, FAIL),
        ("openid profile", True, PASS),
        ("openid", True, FAIL),
        ("email profile", False, FAIL),
    ],
)
def test_the_scopes_must_carry_an_email(acme, scopes, entra, status):
    row = oidc(acme, scopes=scopes, entra_tenant_id="00000000-0000-0000-0000-000000000001" if entra else "")
    check = oidc_preflight.email_scope_check(row)
    assert (check.status, check.received) == (status, scopes)
    assert check.expected == ("openid, and email or profile (Entra ID)" if entra else "openid and email")


def test_email_asked_for_but_not_offered_warns(acme):
    row = oidc(acme, discovery_document={"scopes_supported": ["openid", "profile"]})
    check = oidc_preflight.email_scope_check(row)
    assert check.status == WARN and "scopes_supported does not list email" in check.received


def test_the_redirect_uri_is_what_the_idp_must_hold(acme):
    check = line(connection_preflight(connection=oidc(acme).connection), "Redirect URI")
    assert (check.status, check.expected) == (AT_IDP, settings.PUBLIC_BASE_URL + "/sso/oidc")


# SAML


def saml(acme, **changes):
    row = saml_connection(acme).saml
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def certificate(*, starts, ends, subject="CN=idp"):
    now = timezone.now()
    return SAMLCertificate(
        subject=subject, sha256_fingerprint="AB:" * 31 + "AB", not_before=now + starts, not_after=now + ends
    )


def test_the_saml_checklist_of_a_good_connection(acme):
    row = saml(acme)
    sp = service_provider_get_or_create(org=acme)
    preflight = connection_preflight(connection=row.connection, sp_entity_id=sp.entity_id)
    assert line(preflight, "IdP entity ID").received == row.idp_entity_id
    assert line(preflight, "IdP entity ID").status == PASS
    binding = line(preflight, "SSO binding")
    assert binding.status == PASS and f"HTTP-Redirect {row.sso_redirect_url}" in binding.received
    certificates = [c for c in preflight.checks if c.label.startswith("Signing certificate")]
    assert len(certificates) == row.certificates.count()
    assert line(preflight, "SP Entity ID").expected == sp.entity_id
    assert line(preflight, "ACS URL").expected == settings.PUBLIC_BASE_URL + "/sso/saml"
    assert {c.status for c in preflight.checks if "at the IdP" in c.label or "IdP sends" in c.label} == {AT_IDP}


def test_the_page_names_the_sp_entity_id_without_creating_the_sp(as_alice, acme):
    from connections.models import ServiceProvider

    connection = saml(acme).connection
    ServiceProvider.objects.filter(organization=acme).delete()
    url = reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    page = as_alice.get(url).content.decode()
    assert f"{settings.PUBLIC_BASE_URL}/sso/saml/metadata/{acme.public_id}" in page
    assert not ServiceProvider.objects.filter(organization=acme).exists()  # a page view creates no key pair


def test_a_placeholder_entity_id_fails(acme):
    check = saml_preflight.entity_id_check(saml(acme, idp_entity_id="https://sts.windows.net/{tenantid}/"))
    assert (check.status, check.received) == (FAIL, "https://sts.windows.net/{tenantid}/")
    assert "{tenantid}" in check.fix


def test_both_bindings_are_listed_and_none_fails(acme):
    row = saml(acme, sso_redirect_url="https://idp.test/redirect", sso_post_url="https://idp.test/post")
    check = saml_preflight.binding_check(row)
    assert check.received == "HTTP-Redirect https://idp.test/redirect; HTTP-POST https://idp.test/post"
    row.sso_redirect_url = row.sso_post_url = ""
    assert saml_preflight.binding_check(row).status == FAIL


@pytest.mark.parametrize(
    ("starts", "ends", "status", "says"),
    [
        (timedelta(days=-400), timedelta(days=-1), FAIL, "expired"),
        (timedelta(days=-400), timedelta(days=10, hours=1), WARN, "expires in 10 days"),
        (timedelta(days=2), timedelta(days=400), WARN, "not valid yet"),
        (timedelta(days=-400), timedelta(days=31), PASS, "UTC"),
    ],
)
def test_each_certificate_with_its_validity(starts, ends, status, says):
    cert = certificate(starts=starts, ends=ends)
    check = saml_preflight.certificate_check(cert, now=timezone.now())
    assert check.label == "Signing certificate CN=idp"
    assert check.expected == "Valid now and for 30 more days"
    assert check.status == status and check.received.endswith(says)
    assert f"{cert.not_before:%Y-%m-%d %H:%M} → {cert.not_after:%Y-%m-%d %H:%M} UTC" in check.received


def test_no_certificate_on_file_fails():
    (check,) = saml_preflight.certificate_checks([], now=timezone.now())
    assert (check.status, check.received) == (FAIL, "None on file")


@pytest.mark.parametrize(
    ("until", "status", "says"),
    [
        (None, PASS, "The metadata sets no validUntil"),
        (timedelta(days=-1), FAIL, ": passed"),
        (timedelta(days=10), WARN, " UTC"),
        (timedelta(days=60), PASS, " UTC"),
    ],
)
def test_metadata_valid_until(acme, until, status, says):
    now = timezone.now()
    row = saml(acme, metadata_valid_until=now + until if until else None)
    check = saml_preflight.valid_until_check(row, now=now)
    assert (check.status, check.expected) == (status, "None, or more than 30 days away")
    assert check.received.endswith(says)
    if until is not None:
        assert check.received.startswith(f"{row.metadata_valid_until:%Y-%m-%d %H:%M} UTC")
    assert ("fresh metadata" in check.fix) == (status != PASS)


def test_a_manual_connection_has_no_metadata(acme):
    check = saml_preflight.valid_until_check(saml(acme, source=Source.MANUAL), now=timezone.now())
    assert (check.status, check.received) == (PASS, "Entered by hand: no metadata")


@pytest.mark.parametrize(("configured", "expected"), [("", EMAIL), (PERSISTENT, PERSISTENT)])
def test_the_nameid_format_the_idp_must_send(acme, configured, expected):
    checks = saml_preflight.idp_side_checks(saml(acme, nameid_format=configured), sp_entity_id="https://sp.test")
    assert line(type("P", (), {"checks": checks}), "NameID format").expected == expected


# The connection's page


def test_the_connection_page_shows_the_checklist_and_the_test_button(as_alice, acme):
    for connection in (oidc(acme).connection, saml(acme).connection):
        page = as_alice.get(
            reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
        ).content.decode()
        assert 'id="preflight"' in page and "Pre-flight checklist" in page
        test_url = reverse("connections:test", kwargs={"org_slug": "acme", "public_id": connection.public_id})
        assert f'action="{test_url}"' in page and 'id="preflight-test"' in page
        assert 'data-status="idp"' in page and 'data-status="pass"' in page


def test_the_connection_page_lets_the_test_button_reach_the_idp(as_alice, acme):
    connection = oidc(acme).connection
    response = as_alice.get(reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id}))
    assert "form-action" not in response["Content-Security-Policy"]
    listing = as_alice.get(reverse("connections:sp_key", kwargs={"org_slug": "acme"}))
    assert "form-action 'self'" in listing["Content-Security-Policy"]  # what the page would have had otherwise


def test_a_failed_line_is_counted_at_the_top(as_alice, acme):
    connection = oidc(acme, scopes="openid profile").connection
    page = as_alice.get(
        reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})
    ).content.decode()
    assert "1 failed</strong>" in page and "fix the failed lines, then test" in page
    assert "Add email to Scopes" in page


def test_an_outsider_sees_no_checklist(client, charlie, acme):
    connection = oidc(acme).connection
    client.force_login(charlie)
    url = reverse("connections:edit", kwargs={"org_slug": "globex", "public_id": connection.public_id})
    assert client.get(url).status_code == 404
