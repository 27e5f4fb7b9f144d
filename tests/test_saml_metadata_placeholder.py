"""IdP metadata whose entity ID is a template's placeholder (Entra's tenant-independent https://sts.windows.net/
{tenantid}/) is refused on save with the fix, as /common/ is for OIDC: no response ever carries it as its Issuer."""

import html

import pytest

from connections.models import Connection
from connections.saml.metadata import MetadataError, parse_idp_metadata
from tests.support.metadata import sample
from tests.test_saml_add import post

TENANT = "92b20d54-6bdd-4686-9286-c44865f50277"


def tenant_independent_entra() -> str:
    """Entra's https://login.microsoftonline.com/common/FederationMetadata/2007-06/FederationMetadata.xml."""
    xml = sample("entra_federation_metadata.xml")
    return xml.replace(f"https://sts.windows.net/{TENANT}/", "https://sts.windows.net/{tenantid}/").replace(
        f"https://login.microsoftonline.com/{TENANT}/saml2", "https://login.microsoftonline.com/common/saml2"
    )


def test_entras_tenant_independent_metadata_is_refused_with_the_fix():
    with pytest.raises(MetadataError) as refused:
        parse_idp_metadata(tenant_independent_entra())
    assert refused.value.code == "placeholder_entity_id"
    message = str(refused.value.message)
    assert "https://sts.windows.net/{tenantid}/" in message and "'{tenantid}'" in message
    assert "Enterprise applications" in message and "Federation Metadata XML" in message


@pytest.mark.parametrize("entity_id", ["https://idp.example.test/<tenant-id>/", "https://idp.example.test/%TENANT%"])
def test_other_placeholders_are_refused_too(entity_id):
    xml = sample("entra_federation_metadata.xml").replace(f"https://sts.windows.net/{TENANT}/", entity_id)
    xml = xml.replace("<tenant-id>", "&lt;tenant-id&gt;")  # as a template's XML would escape it
    with pytest.raises(MetadataError) as refused:
        parse_idp_metadata(xml)
    assert refused.value.code == "placeholder_entity_id"
    assert "Download the metadata of your own application" in refused.value.message


def test_the_add_form_shows_the_fix_and_saves_nothing(as_alice):
    response = post(as_alice, metadata_xml=tenant_independent_entra())
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "https://sts.windows.net/{tenantid}/" in page and "Federation Metadata XML" in page
    assert not Connection.objects.exists()


def test_a_real_tenants_metadata_is_still_accepted():
    assert parse_idp_metadata(sample("entra_federation_metadata.xml")).entity_id == f"https://sts.windows.net/{TENANT}/"
