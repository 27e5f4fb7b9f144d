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
