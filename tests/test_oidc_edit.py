"""Editing an OIDC connection: the client secret is write-only and encrypted at rest."""

import uuid

import pytest
from django.db import connection as db
from django.urls import reverse

from connections.models import OIDCSettings
from tests.support.factories import CLIENT_SECRET, oidc_connection
from tests.support.oidc import serve_idp


@pytest.fixture
def idp(http_server):
    serve_idp(http_server, "/t2/v2.0")
    return http_server


@pytest.fixture
def connection(acme):
    return oidc_connection(acme)


def edit_url(connection):
    return reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})


def form_data(idp, **overrides):
    data = {
        "display_name": "Entra ID",
        "discovery_url": idp.url("/t2/v2.0/.well-known/openid-configuration"),
        "client_id": "client-2",
        "client_secret": "",
        "scopes": "openid email profile",
    }
    data.update(overrides)
    return data


def test_the_edit_form_never_shows_the_secret(as_alice, connection):
    html = as_alice.get(edit_url(connection)).content.decode()
    assert CLIENT_SECRET not in html
    assert 'name="client_secret"' in html
    assert "Leave blank to keep it" in html
    assert 'value="client-1"' in html


def test_a_blank_secret_keeps_the_stored_one(as_alice, connection, idp):
    response = as_alice.post(edit_url(connection), form_data(idp))
    assert response.status_code == 302
    oidc = OIDCSettings.objects.get()
    assert oidc.get_client_secret() == CLIENT_SECRET
    assert oidc.client_id == "client-2"
    assert oidc.issuer == idp.url("/t2/v2.0")


def test_a_new_secret_replaces_the_stored_one(as_alice, connection, idp):
    as_alice.post(edit_url(connection), form_data(idp, client_secret="rotated-secret-456"))
    assert OIDCSettings.objects.get().get_client_secret() == "rotated-secret-456"


def test_a_failed_edit_changes_nothing(as_alice, connection):
    response = as_alice.post(edit_url(connection), {**form_data_stub(), "client_secret": "new"})
    assert response.status_code == 200
    oidc = OIDCSettings.objects.get()
    assert (oidc.client_id, oidc.get_client_secret()) == ("client-1", CLIENT_SECRET)


def form_data_stub():
    return {
        "display_name": "X",
        "discovery_url": "https://login.microsoftonline.com/common/v2.0",
        "client_id": "c",
        "scopes": "openid",
    }


def test_the_secret_is_not_in_the_raw_database_row(connection):
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM connections_oidcsettings")
        row = cursor.fetchone()
    assert not any(CLIENT_SECRET in str(value) for value in row)
    assert OIDCSettings.objects.get().get_client_secret() == CLIENT_SECRET


def test_a_secret_survives_key_rotation(connection, settings):
    from cryptography.fernet import Fernet

    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.SECRETS_ENCRYPTION_KEYS]
    assert OIDCSettings.objects.get().get_client_secret() == CLIENT_SECRET


def test_a_removed_key_gives_a_clear_error(connection, settings):
    from cryptography.fernet import Fernet

    from kloudsso.crypto import SecretUnreadable

    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretUnreadable, match="SECRETS_ENCRYPTION_KEYS"):
        OIDCSettings.objects.get().get_client_secret()


def test_error_reports_mask_the_client_secret(as_alice, connection):
    from django.views.debug import SafeExceptionReporterFilter

    for url in [reverse("connections:add_oidc", kwargs={"org_slug": "acme"}), edit_url(connection)]:
        response = as_alice.post(url, {"client_secret": "leak-me", "client_id": "c"})
        params = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
        assert params["client_secret"] != "leak-me"
        assert params["client_id"] == "c"


def test_the_debug_error_page_does_not_show_the_secret(client, alice, idp, settings, monkeypatch):
    # `make run` turns DEBUG on; a crash while saving must not print the typed secret on Django's debug page.
    settings.DEBUG = True
    client.raise_request_exception = False
    client.force_login(alice)

    def crash(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(OIDCSettings, "save", crash)
    secret = uuid.uuid4().hex  # made at run time: the debug page quotes this file's source lines
    response = client.post(
        reverse("connections:add_oidc", kwargs={"org_slug": "acme"}), form_data(idp, client_secret=secret)
    )
    assert response.status_code == 500
    page = response.content.decode()
    assert "database went away" in page  # it is the debug page
    assert secret not in page


def test_the_edit_form_shows_the_client_authentication_and_what_the_provider_allows(as_alice, acme):
    entra = oidc_connection(acme, auth_methods=["client_secret_post", "private_key_jwt", "client_secret_basic"])
    html = as_alice.get(edit_url(entra)).content.decode()
    assert '<option value="client_secret_basic" selected>' in html
    assert "allows: client_secret_post, private_key_jwt, client_secret_basic" in html


def test_the_owner_can_change_the_client_authentication(as_alice, connection, idp):
    assert OIDCSettings.objects.get().token_endpoint_auth_method == "client_secret_basic"
    response = as_alice.post(edit_url(connection), form_data(idp, token_endpoint_auth_method="client_secret_post"))
    assert response.status_code == 302
    assert OIDCSettings.objects.get().token_endpoint_auth_method == "client_secret_post"
    # and back to what the provider's document allows
    as_alice.post(edit_url(connection), form_data(idp, token_endpoint_auth_method=""))
    assert OIDCSettings.objects.get().token_endpoint_auth_method == "client_secret_basic"
