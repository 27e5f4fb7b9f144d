"""Connections → Add connection → OIDC, against a real discovery server on 127.0.0.1."""

import json

import pytest
from django.urls import reverse

from connections.models import Connection, OIDCSettings
from tests.support.oidc import discovery_document, serve_idp

SECRET = "s3cr3t~Value.from-Entra_ABC123"


def add_url(org="acme"):
    return reverse("connections:add_oidc", kwargs={"org_slug": org})


def post(client, discovery_url, **overrides):
    data = {
        "display_name": "Entra ID",
        "discovery_url": discovery_url,
        "client_id": "00000000-1111-2222-3333-444444444444",
        "client_secret": SECRET,
        "scopes": "openid email profile",
    }
    data.update(overrides)
    return client.post(add_url(), data)


@pytest.fixture
def good_idp(http_server):
    serve_idp(http_server, "/tenant-1/v2.0")
    return http_server


def test_it_shows_the_fields_labelled_as_in_the_guide(as_alice):
    html = as_alice.get(add_url()).content.decode()
    for label in ["Display name", "Discovery URL", "Client ID", "Client secret", "Scopes"]:
        assert f">{label}" in html
    assert 'value="openid email profile"' in html


def test_it_adds_a_connection_with_the_discovered_endpoints(as_alice, acme, good_idp):
    response = post(as_alice, good_idp.url("/tenant-1/v2.0/.well-known/openid-configuration"))
    assert response.status_code == 302
    connection = Connection.objects.get(organization=acme)
    oidc = connection.oidc
    assert connection.kind == "oidc" and connection.enabled
    assert oidc.issuer == good_idp.url("/tenant-1/v2.0")
    assert oidc.token_endpoint == good_idp.url("/tenant-1/v2.0/oauth2/v2.0/token")
    assert oidc.jwks_uri.endswith("/discovery/v2.0/keys")
    assert oidc.get_client_secret() == SECRET
    assert oidc.scopes == "openid email profile"


def test_it_completes_an_issuer_url_with_the_well_known_path(as_alice, acme, good_idp):
    response = post(as_alice, good_idp.url("/tenant-1/v2.0/"))
    assert response.status_code == 302
    assert OIDCSettings.objects.get().discovery_url == good_idp.url("/tenant-1/v2.0/.well-known/openid-configuration")


@pytest.mark.parametrize("segment", ["common", "consumers"])
def test_it_rejects_entra_multi_tenant_discovery_urls_that_let_personal_accounts_in(as_alice, segment):
    url = f"https://login.microsoftonline.com/{segment}/v2.0/.well-known/openid-configuration"
    response = post(as_alice, url)
    assert response.status_code == 200
    errors = response.context["form"].errors["discovery_url"][0]
    assert f"/{segment}/" in errors and "personal" in errors
    assert "https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/.well-known/openid-configuration" in errors
    assert "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration" in errors
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0/.well-known/openid-configuration",
        "https://login.microsoftonline.com/9188040D-6C67-4C5B-B112-36A304B66DAD/v2.0",
    ],
)
def test_it_rejects_the_tenant_of_personal_microsoft_accounts(as_alice, url):
    response = post(as_alice, url)
    assert response.status_code == 200
    errors = response.context["form"].errors["discovery_url"][0]
    assert "tenant of personal Microsoft accounts" in errors and "/consumers/" in errors
    assert "https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/.well-known/openid-configuration" in errors
    assert "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration" in errors
    assert not Connection.objects.exists()


def test_it_rejects_a_discovery_document_issued_by_the_personal_accounts_tenant(http_server):
    """Loopback in tests stands for Entra's host: the check holds the validated issuer too, not only the URL."""
    from connections.oidc.discovery import DiscoveryError, _refuse_personal_accounts_tenant

    issuer = http_server.url("/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")
    with pytest.raises(DiscoveryError) as refused:
        _refuse_personal_accounts_tenant(issuer)
    assert refused.value.code == "entra_multi_tenant"
    _refuse_personal_accounts_tenant(http_server.url("/aaaaaaaa-0000-4000-8000-00000000000a/v2.0"))


def test_it_rejects_an_issuer_holding_a_placeholder(as_alice, http_server):
    http_server.serve(
        "/common/v2.0/.well-known/openid-configuration",
        discovery_document(http_server.url("/{tenantid}/v2.0")),
    )
    response = post(as_alice, http_server.url("/common/v2.0/.well-known/openid-configuration"))
    error = response.context["form"].errors["discovery_url"][0]
    assert "placeholder" in error and "{tenantid}" in error
    assert not Connection.objects.exists()


def test_it_rejects_an_issuer_that_does_not_match_the_discovery_url(as_alice, http_server):
    http_server.serve("/a/.well-known/openid-configuration", discovery_document("https://elsewhere.example/b"))
    response = post(as_alice, http_server.url("/a/.well-known/openid-configuration"))
    error = response.context["form"].errors["discovery_url"][0]
    assert "https://elsewhere.example/b" in error
    assert "§4.3" in error
    assert "Use https://elsewhere.example/b/.well-known/openid-configuration" in error
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("<html><body>Sign in</body></html>", "text/html", "did not return JSON"),
        ("[1, 2]", "application/json", "not an object"),
    ],
)
def test_it_rejects_documents_that_are_not_discovery_json(as_alice, http_server, body, content_type, expected):
    url = http_server.serve("/x/.well-known/openid-configuration", body, content_type=content_type)
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert expected in error


@pytest.mark.parametrize("missing", ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"])
def test_it_names_the_missing_keys(as_alice, http_server, missing):
    issuer = http_server.url("/m")
    document = json.loads(discovery_document(issuer))
    del document[missing]
    url = http_server.serve("/m/.well-known/openid-configuration", json.dumps(document))
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert f"lacks {missing}" in error


def test_it_reports_an_http_error_status(as_alice, http_server):
    error = post(as_alice, http_server.url("/nothing-here")).context["form"].errors["discovery_url"][0]
    assert "answered HTTP 404" in error


def test_it_reports_an_unreachable_host(as_alice, http_server):
    port = http_server.httpd.server_address[1]
    http_server.close()
    error = post(as_alice, f"http://127.0.0.1:{port}/x").context["form"].errors["discovery_url"][0]
    assert "Could not connect to 127.0.0.1: Connection refused" in error


def test_it_reports_an_unknown_host_name(as_alice):
    error = post(as_alice, "https://idp.nonexistent.invalid/x").context["form"].errors["discovery_url"][0]
    assert "idp.nonexistent.invalid could not be found" in error


def test_it_reports_a_timeout(as_alice, http_server, settings):
    settings.SSO_HTTP_TIMEOUT_SECONDS = 0.3
    url = http_server.serve("/slow/.well-known/openid-configuration", "{}", delay=1.0)
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert "did not answer within 0.3 seconds" in error


def test_it_refuses_a_document_over_the_size_limit(as_alice, http_server, settings):
    settings.SSO_HTTP_MAX_BYTES = 10_000
    url = http_server.serve("/big/.well-known/openid-configuration", "{" + " " * 20_000 + "}")
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert "sent more than 10 kB" in error


def test_it_reports_a_tls_failure(as_alice, https_server):
    url = https_server.serve("/t/.well-known/openid-configuration", discovery_document(https_server.url("/t")))
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert "TLS connection to 127.0.0.1 failed" in error
    assert "valid certificate" in error


def test_it_refuses_plain_http_when_insecure_idps_are_not_allowed(as_alice, good_idp, secure_idp_mode):
    error = post(as_alice, good_idp.url("/tenant-1/v2.0")).context["form"].errors["discovery_url"][0]
    assert "uses plain http" in error and "https" in error
    assert good_idp.requests == []


def test_it_refuses_loopback_addresses_when_insecure_idps_are_not_allowed(as_alice, https_server, secure_idp_mode):
    url = https_server.serve("/t/.well-known/openid-configuration", "{}")
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert "127.0.0.1, which is not a public address" in error
    assert https_server.requests == []


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ("email profile", "must include openid"),
        ("openid, email", "with spaces, not commas"),
        ('openid em"ail', "Not a valid scope"),
    ],
)
def test_it_validates_scopes(as_alice, good_idp, scopes, expected):
    response = post(as_alice, good_idp.url("/tenant-1/v2.0"), scopes=scopes)
    assert expected in response.context["form"].errors["scopes"][0]
    assert not Connection.objects.exists()


def test_it_requires_a_client_secret_on_add(as_alice, good_idp):
    response = post(as_alice, good_idp.url("/tenant-1/v2.0"), client_secret="")
    assert "client_secret" in response.context["form"].errors


def test_the_secret_is_never_rendered_back(as_alice, http_server):
    response = post(as_alice, http_server.url("/nothing-here"))
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_it_checks_that_the_signing_keys_can_be_fetched(as_alice, http_server):
    issuer = http_server.url("/nokeys")
    http_server.serve("/nokeys/.well-known/openid-configuration", discovery_document(issuer))
    error = post(as_alice, issuer).context["form"].errors["discovery_url"][0]
    assert "signing keys (jwks_uri)" in error and "HTTP 404" in error


def test_it_refuses_an_empty_key_set(as_alice, http_server):
    issuer = http_server.url("/empty")
    http_server.serve("/empty/.well-known/openid-configuration", discovery_document(issuer))
    http_server.serve("/empty/discovery/v2.0/keys", '{"keys": []}')
    error = post(as_alice, issuer).context["form"].errors["discovery_url"][0]
    assert "hold no key" in error


@pytest.mark.parametrize(
    "body",
    [
        '{"issuer": NaN}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_it_survives_hostile_json(as_alice, http_server, body):
    url = http_server.serve("/h/.well-known/openid-configuration", body)
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert "did not return JSON" in error


def test_it_stores_only_what_sign_ins_need_from_the_document(as_alice, http_server):
    issuer = serve_idp(http_server, "/kept")
    document = json.loads(
        discovery_document(issuer, x_vendor={"nested": "\u0000"}, claims_supported=["sub", "a\u0000"])
    )
    http_server.serve("/kept/.well-known/openid-configuration", json.dumps(document))
    assert post(as_alice, issuer).status_code == 302
    stored = OIDCSettings.objects.get().discovery_document
    assert "x_vendor" not in stored
    assert stored["claims_supported"] == ["sub"]
    assert stored["id_token_signing_alg_values_supported"] == ["RS256"]


@pytest.mark.parametrize("url", ["https://[::1", "login.microsoftonline.com/tid/v2.0", "https://idp.example:99999/x"])
def test_it_explains_a_malformed_discovery_url(as_alice, url):
    error = post(as_alice, url).context["form"].errors["discovery_url"][0]
    assert "is not a valid web address" in error


def test_a_long_issuer_url_is_stored_whole(as_alice, http_server):
    prefix = "/" + "p" * 440
    issuer = serve_idp(http_server, prefix)
    assert post(as_alice, issuer).status_code == 302
    assert OIDCSettings.objects.get().discovery_url == issuer + "/.well-known/openid-configuration"


def serve_with_methods(http_server, prefix: str, methods) -> str:
    issuer = serve_idp(http_server, prefix)
    document = discovery_document(issuer, token_endpoint_auth_methods_supported=methods)
    http_server.serve(f"{prefix}/.well-known/openid-configuration", document)
    return issuer


@pytest.mark.parametrize(
    ("methods", "chosen"),
    [
        (["client_secret_basic"], "client_secret_basic"),
        (["client_secret_post", "private_key_jwt", "client_secret_basic"], "client_secret_basic"),  # Entra's list
        (["client_secret_post"], "client_secret_post"),
        (None, "client_secret_basic"),  # OpenID Connect Core §9: the default when the document says nothing
    ],
)
def test_it_chooses_the_client_authentication_the_provider_allows(as_alice, http_server, methods, chosen):
    issuer = serve_with_methods(http_server, "/auth", methods)
    response = post(as_alice, issuer)
    assert response.status_code == 302
    assert OIDCSettings.objects.get().token_endpoint_auth_method == chosen
    listed = as_alice.get(response["Location"]).content.decode()
    assert f"Client authentication: {chosen}" in listed  # the owner is told what was chosen


def test_it_says_so_when_the_provider_allows_no_client_secret(as_alice, http_server):
    issuer = serve_with_methods(http_server, "/jwt-only", ["private_key_jwt", "tls_client_auth"])
    response = post(as_alice, issuer)
    error = response.context["form"].errors["token_endpoint_auth_method"][0]
    assert "private_key_jwt, tls_client_auth" in error
    assert "client_secret_basic or client_secret_post" in error
    assert not Connection.objects.exists()


def test_the_owner_may_choose_another_method_the_provider_allows(as_alice, http_server):
    issuer = serve_with_methods(http_server, "/both", ["client_secret_basic", "client_secret_post"])
    assert post(as_alice, issuer, token_endpoint_auth_method="client_secret_post").status_code == 302
    assert OIDCSettings.objects.get().token_endpoint_auth_method == "client_secret_post"


def test_a_method_the_provider_does_not_allow_is_refused(as_alice, http_server):
    issuer = serve_with_methods(http_server, "/basic", ["client_secret_basic"])
    response = post(as_alice, issuer, token_endpoint_auth_method="client_secret_post")
    error = response.context["form"].errors["token_endpoint_auth_method"][0]
    assert "allows only client_secret_basic" in error
    assert not Connection.objects.exists()


def test_a_method_list_that_is_not_a_list_is_refused(as_alice, http_server):
    issuer = serve_with_methods(http_server, "/odd", "client_secret_basic")
    error = post(as_alice, issuer).context["form"].errors["discovery_url"][0]
    assert "token_endpoint_auth_methods_supported" in error and "list" in error


GUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@pytest.mark.parametrize(
    ("issuer", "insecure", "tenant"),
    [
        (f"https://login.microsoftonline.com/{GUID.upper()}/v2.0", False, GUID),
        (f"https://login.microsoftonline.us/{GUID}/v2.0", False, GUID),
        (f"https://login.microsoftonline.com/{GUID}/v2.0/", False, GUID),
        ("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", False, ""),
        (f"https://login.microsoftonline.com/{GUID}/v2.0/x", False, ""),
        (f"https://login.microsoftonline.com:8443/{GUID}/v2.0", False, ""),
        (f"http://login.microsoftonline.com/{GUID}/v2.0", True, ""),
        (f"https://idp.example/{GUID}/v2.0", False, ""),
        (f"https://idp.example/{GUID}/v2.0", True, ""),  # insecure mode makes only the local test IdP Entra
        (f"http://127.0.0.1:5000/{GUID}/v2.0", True, GUID),
        (f"http://127.0.0.1:5000/{GUID}/v2.0", False, ""),
    ],
)
def test_an_entra_tenant_comes_only_from_an_entra_tenant_specific_issuer(settings, issuer, insecure, tenant):
    from connections.oidc import entra

    settings.SSO_ALLOW_INSECURE_IDP = insecure
    assert entra.tenant_of_issuer(issuer) == tenant


def test_the_entra_tenant_is_stored_at_save_time(as_alice, http_server):
    issuer = serve_idp(http_server, f"/{GUID}/v2.0")
    assert post(as_alice, issuer).status_code == 302
    assert OIDCSettings.objects.get().entra_tenant_id == GUID
