"""The link's one connection, saved through the same forms and services as the owners' Add connection.

The first save creates it disabled (nobody signs in through it until an owner enables it); later saves edit that
same connection, never another. The link's row is locked meanwhile, so two tabs cannot create two connections.
"""

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from connections.connection import Connection, Kind
from connections.oidc.services import oidc_connection_save
from connections.saml.services import saml_connection_save
from connections.services import connection_set_enabled
from kloudsso.audit.record import Actor
from setup_links.models import SetupLink
from setup_links.services import link_locked


@sensitive_variables("data")
def link_connection_save(*, link: SetupLink, kind: str, form, by: Actor) -> Connection:
    data = form.cleaned_data
    with transaction.atomic():
        link = link_locked(link)
        existing = link.connection
        if existing is not None and existing.kind != kind:
            raise ValueError("This link's connection is of another kind.")
        org = link.organization
        if kind == Kind.OIDC:
            saved = oidc_connection_save(
                org=org,
                connection=existing,
                display_name=data["display_name"],
                discovery=form.discovery,
                client_id=data["client_id"],
                client_secret=data["client_secret"],
                scopes=data["scopes"],
                token_endpoint_auth_method=data["token_endpoint_auth_method"],
                by=by,
                id_token_signing_alg=data["id_token_signing_alg"],
                allowed_tenants=data["entra_allowed_tenants"],
                client_secret_expires_on=_expiry(data, existing),
            )
        else:
            saved = saml_connection_save(
                org=org,
                connection=existing,
                display_name=data["display_name"],
                source=data["source"],
                idp=form.idp_config,
                metadata_url=data["metadata_url"],
                email_attribute=data["email_attribute"],
                nameid_format=data["nameid_format"],
                by=by,
            )
        if existing is None:
            connection_set_enabled(org=org, connection=saved, enabled=False, by=by)
        link.connection = saved
        link.tested_at = None  # what was tested is no longer what is saved
        link.save(update_fields=["connection", "tested_at"])
        return saved


def _expiry(data: dict, existing: Connection | None):
    """What the IT admin typed; left blank on an edit, the stored date (and with it the owners' reminder) stays."""
    typed = data.get("client_secret_expires_on")
    if typed is None and existing is not None:
        return existing.oidc.client_secret_expires_on
    return typed
