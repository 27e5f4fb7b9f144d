"""The OIDC form's ID token signing choice: saved, audited, checked against the client secret's length (RFC 7518
§3.2) and against what the discovery document offers, on the owners' form and a setup link's alike."""

import pytest
from django.urls import reverse

from connections.models import Connection, OIDCSettings
from connections.oidc.preflight import id_token_signing_check
from kloudsso.audit.models import AuditEvent
from tests.support.oidc import discovery_document, serve_idp

SHORT = "s" * 31
LONG = "L" * 48


def add_url(org="acme"):
    return reverse("connections:add_oidc", kwargs={"org_slug": org})


def edit_url(connection, org="acme"):
    return reverse("connections:edit", kwargs={"org_slug": org, "public_id": connection.public_id})


@pytest.fixture
def discovery(http_server):
    issuer = serve_idp(http_server, "/lemon")
    http_server.serve(
        "/lemon/.well-known/openid-configuration",
        discovery_document(issuer, id_token_signing_alg_values_supported=["HS256", "HS384", "HS512", "RS256"]),
    )
    return f"{issuer}/.well-known/openid-configuration"


def form(discovery_url, **overrides):
    data = {
        "display_name": "LemonLDAP::NG",
        "discovery_url": discovery_url,
        "client_id": "kloudsso",
        "client_secret": LONG,
        "scopes": "openid email profile",
        "id_token_signing_alg": "HS256",
    }
    return {**data, **overrides}


def errors(response) -> str:
    assert response.status_code == 200, "the form was accepted"
    return " ".join(str(e) for errs in response.context["form"].errors.values() for e in errs)


def test_it_offers_the_choice_with_the_idps_public_keys_first(as_alice):
    html = as_alice.get(add_url()).content.decode()
    assert ">ID token signing<" in html
    assert html.index('value="jwks"') < html.index('value="HS256"')
    assert 'value="jwks" selected' in html


def test_an_hs_choice_with_a_long_enough_secret_is_saved_and_audited(as_alice, acme, discovery):
    response = as_alice.post(add_url(), form(discovery))
    assert response.status_code == 302, errors(response)
    assert OIDCSettings.objects.get().id_token_signing_alg == "HS256"
    entry = AuditEvent.objects.get(action="connection.added")
    assert "HS256" in str(entry.changes) and LONG not in str(entry.changes)


def test_a_form_sent_without_the_choice_means_the_idps_public_keys(as_alice, acme, discovery):
    data = form(discovery)
    del data["id_token_signing_alg"]
    assert as_alice.post(add_url(), data).status_code == 302
    assert OIDCSettings.objects.get().id_token_signing_alg == "jwks"


@pytest.mark.parametrize(("alg", "length", "needed"), [("HS256", 31, 32), ("HS384", 47, 48), ("HS512", 63, 64)])
def test_an_hs_choice_with_a_secret_too_short_is_refused_with_the_lengths(
    as_alice, acme, discovery, alg, length, needed
):
    response = as_alice.post(add_url(), form(discovery, id_token_signing_alg=alg, client_secret="x" * length))
    said = errors(response)
    assert f"{length} bytes long; {alg} needs one of at least {needed} bytes (RFC 7518 §3.2)" in said
    assert response.context["form"].errors.keys() == {"client_secret"}
    assert not Connection.objects.exists()


def test_a_secret_is_measured_in_bytes_not_characters(as_alice, acme, discovery):
    response = as_alice.post(add_url(), form(discovery, client_secret="é" * 16))  # 16 characters, 32 bytes
    assert response.status_code == 302, errors(response)


def test_a_short_secret_is_fine_with_the_idps_public_keys(as_alice, acme, discovery):
    response = as_alice.post(add_url(), form(discovery, id_token_signing_alg="jwks", client_secret=SHORT))
    assert response.status_code == 302


def test_on_edit_the_stored_secret_counts_when_none_is_typed(as_alice, acme, discovery):
    assert (
        as_alice.post(add_url(), form(discovery, id_token_signing_alg="jwks", client_secret=SHORT)).status_code == 302
    )
    connection = Connection.objects.get()
    response = as_alice.post(edit_url(connection), form(discovery, client_secret=""))
    said = errors(response)
    assert "The stored client secret is 31 bytes long; HS256 needs one of at least 32 bytes" in said
    assert response.context["form"].errors.keys() == {"id_token_signing_alg"}
    assert SHORT not in response.content.decode()
    assert OIDCSettings.objects.get().id_token_signing_alg == "jwks"  # nothing half-saved
    response = as_alice.post(edit_url(connection), form(discovery, client_secret=LONG))
    assert response.status_code == 302, errors(response)
    assert OIDCSettings.objects.get().id_token_signing_alg == "HS256"
    edited = AuditEvent.objects.get(action="connection.edited")
    assert "jwks" in str(edited.changes) and "HS256" in str(edited.changes)
    assert LONG not in str(edited.changes) and SHORT not in str(edited.changes)


def test_the_edit_form_shows_the_saved_choice(as_alice, acme, discovery):
    as_alice.post(add_url(), form(discovery, id_token_signing_alg="HS384"))
    html = as_alice.get(edit_url(Connection.objects.get())).content.decode()
    assert 'value="HS384" selected' in html


def test_another_organizations_connection_is_not_found(as_alice, globex, discovery):
    from tests.support.factories import oidc_connection

    theirs = oidc_connection(globex)
    assert as_alice.post(edit_url(theirs, org="acme"), form(discovery)).status_code == 404
    assert OIDCSettings.objects.get().id_token_signing_alg == "jwks"


@pytest.mark.parametrize(
    ("chosen", "offered", "status", "fix"),
    [
        ("jwks", ["RS256"], "pass", ""),
        ("HS256", ["HS256", "RS256"], "pass", ""),
        ("HS256", ["RS256", "ES256"], "fail", "an algorithm the provider offers"),
        ("jwks", ["HS512"], "fail", "Choose HS512 under ID token signing"),
        ("HS384", ["HS256"], "fail", "an algorithm the provider offers"),
        ("jwks", None, "warn", "Run Test connection"),
    ],
)
def test_the_preflight_compares_the_choice_with_the_discovery_document(chosen, offered, status, fix):
    oidc = OIDCSettings(
        id_token_signing_alg=chosen, discovery_document={"id_token_signing_alg_values_supported": offered}
    )
    check = id_token_signing_check(oidc)
    assert check.status == status
    assert fix in (check.fix or "")


def test_a_setup_link_saves_the_choice_and_checks_the_kept_secret_too(client, alice, acme, discovery):
    from tests.test_setup_links import make_link, open_link

    _, token = make_link(acme, alice)
    open_link(client, token)
    connect = reverse("setup_links:connect", kwargs={"slug": "generic-oidc"})
    page = client.get(connect).content.decode()
    assert ">ID token signing<" in page and "The IdP&#x27;s public keys for RS, PS or ES" in page  # the guide's hint
    response = client.post(connect, form(discovery, client_secret=SHORT))
    assert "31 bytes long; HS256 needs one of at least 32 bytes" in errors(response)
    assert not Connection.objects.exists()
    assert (
        client.post(connect, form(discovery, id_token_signing_alg="HS512", client_secret="x" * 64)).status_code == 302
    )
    assert OIDCSettings.objects.get().id_token_signing_alg == "HS512"
    # Saved again with the secret kept: the kept one (64 bytes) is measured, and is enough.
    assert client.post(connect, form(discovery, id_token_signing_alg="HS512", client_secret="")).status_code == 302
    assert OIDCSettings.objects.get().get_client_secret() == "x" * 64
