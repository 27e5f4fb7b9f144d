"""Our SP metadata publishes the encryption certificate (use="encryption") with the encryption methods accepted,
still reads with pysaml2, and follows the SAML metadata schema."""

from importlib.resources import files

import pytest
import saml2.data.schemas
from django.urls import reverse
from lxml import etree
from saml2.mdstore import InMemoryMetaData

from connections.models import ServiceProvider
from connections.sp import (
    DATA_ENCRYPTION_ALGORITHMS,
    KEY_TRANSPORT_ALGORITHMS,
    service_provider_get_or_create,
    sp_metadata_xml,
)
from connections.sp_keys import sp_key_rotation_start

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SCHEMAS = files(saml2.data.schemas)


class _PysamlsCopies(etree.Resolver):
    def resolve(self, url, pubid, context):
        return self.resolve_filename(str(SCHEMAS.joinpath(url.rsplit("/", 1)[-1])), context)


@pytest.fixture(scope="module")
def metadata_schema():
    parser = etree.XMLParser(load_dtd=True, no_network=True, resolve_entities=True)
    parser.resolvers.add(_PysamlsCopies())
    return etree.XMLSchema(etree.parse(str(SCHEMAS.joinpath("saml-schema-metadata-2.0.xsd")), parser))


def body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


def descriptors(xml: str, use: str):
    root = etree.fromstring(xml.encode())
    return [d for d in root.iter(f"{MD}KeyDescriptor") if d.get("use") == use]


def test_pysaml2_reads_the_encryption_certificate_apart_from_the_signing_one(as_alice, acme):
    response = as_alice.get(reverse("connections:sp_metadata", kwargs={"org_slug": "acme"}))
    sp = ServiceProvider.objects.get(organization=acme)
    store = InMemoryMetaData(None)
    store.parse(response.content.decode())
    encryption = store.certs(sp.entity_id, "spsso", "encryption")
    signing = store.certs(sp.entity_id, "spsso", "signing")
    assert [c[1].replace("\n", "") for c in encryption] == [body(sp.encryption_certificate_pem)]
    assert [c[1].replace("\n", "") for c in signing] == [body(sp.certificate_pem)]
    assert sp.encryption_certificate_pem != sp.certificate_pem


def test_the_encryption_methods_accepted_are_published(acme):
    sp = service_provider_get_or_create(org=acme)
    (descriptor,) = descriptors(sp_metadata_xml(sp), "encryption")
    published = [m.get("Algorithm") for m in descriptor.findall(f"{MD}EncryptionMethod")]
    assert published == [*DATA_ENCRYPTION_ALGORITHMS, *KEY_TRANSPORT_ALGORITHMS]
    assert not any("rsa-1_5" in a or "tripledes" in a for a in published)


def test_during_a_rotation_both_encryption_certificates_are_published_current_first(acme):
    sp = sp_key_rotation_start(sp=service_provider_get_or_create(org=acme))
    found = descriptors(sp_metadata_xml(sp), "encryption")
    carried = ["".join(d.find(f".//{DS}X509Certificate").text.split()) for d in found]
    assert carried == [body(sp.encryption_certificate_pem), body(sp.next_encryption_certificate_pem)]


@pytest.mark.parametrize("rotating", [False, True], ids=["current", "rotating"])
def test_the_sp_metadata_follows_the_saml_metadata_schema(acme, metadata_schema, rotating):
    sp = service_provider_get_or_create(org=acme)
    if rotating:
        sp = sp_key_rotation_start(sp=sp)
    document = etree.fromstring(sp_metadata_xml(sp).encode())
    assert metadata_schema.validate(document), metadata_schema.error_log
    broken = etree.fromstring(sp_metadata_xml(sp).replace('use="encryption"', 'use="decryption"').encode())
    assert not metadata_schema.validate(broken), "the schema check can fail"
