"""Derive test inputs from the real metadata samples in tests/fixtures/metadata (see SOURCES.md there)."""

import re

from tests.conftest import metadata_fixture


def sample(name: str) -> str:
    return metadata_fixture(name).decode("utf-8-sig")


def without_xml_declaration(xml: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", xml)


def entities_descriptor(*names: str) -> str:
    """Several real IdP EntityDescriptors in one EntitiesDescriptor, as a federation aggregate holds them."""
    inner = "\n".join(without_xml_declaration(sample(name)) for name in names)
    return f'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">\n{inner}\n</md:EntitiesDescriptor>'


def without_key_descriptors(xml: str) -> str:
    return re.sub(r"<(\w+:)?KeyDescriptor\b.*?</(\w+:)?KeyDescriptor>", "", xml, flags=re.DOTALL)


def without_sso_services(xml: str) -> str:
    xml = re.sub(r"<(\w+:)?SingleSignOnService\b[^>]*/>", "", xml)
    return re.sub(r"<(\w+:)?SingleSignOnService\b.*?</(\w+:)?SingleSignOnService>", "", xml, flags=re.DOTALL)


def idp_metadata(
    *,
    entity_id: str,
    sso_url: str,
    certificates: list[str],
    sso_post_url: str = "",
    valid_until: str = "",
) -> str:
    """IdP metadata as an IdP publishes it: one signing KeyDescriptor per certificate (PEM), its SSO services."""
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        + "".join(line for line in pem.strip().splitlines() if "-----" not in line)
        + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for pem in certificates
    )
    bindings = [("HTTP-Redirect", sso_url), ("HTTP-POST", sso_post_url)]
    services = "".join(
        f'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:{binding}" Location="{location}"/>'
        for binding, location in bindings
        if location
    )
    valid = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"{valid}>'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}{services}</md:IDPSSODescriptor></md:EntityDescriptor>"
    )
