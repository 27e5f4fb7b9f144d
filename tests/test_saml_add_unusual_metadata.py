"""Add and edit a SAML connection with metadata at the edges of what the standards allow: a form page or a saved
connection, never a 500, whether the metadata is pasted, uploaded or fetched."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connections.models import Connection, SAMLSettings
from tests.support.certificates import certificate_b64, certificate_der, with_raw_bytes
from tests.support.metadata import sample, without_xml_declaration

OKTA_ENTITY = 'entityID="http://www.okta.com/exkh52ytxrJeMH5140h7"'
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
WAYS_IN = ["pasted", "uploaded", "fetched"]


def okta_valid_until(value: str) -> str:
    return sample("okta_metadata.xml").replace(OKTA_ENTITY, f'{OKTA_ENTITY} validUntil="{value}"')


def okta_entity(entity_id: str) -> str:
    return without_xml_declaration(sample("okta_metadata.xml")).replace(OKTA_ENTITY, f'entityID="{entity_id}"')


def okta_with_certificate(b64: str) -> str:
    xml = sample("okta_metadata.xml")
    start = xml.index("X509Certificate>") + len("X509Certificate>")
    return xml[:start] + b64 + xml[xml.index("<", start) :]


def add_url():
    return reverse("connections:add_saml", kwargs={"org_slug": "acme"})


def edit_url(connection):
    return reverse("connections:edit", kwargs={"org_slug": "acme", "public_id": connection.public_id})


def submit(client, url, way: str, document: str | bytes, http_server):
    data = document.encode() if isinstance(document, str) else document
    form = {"display_name": "Okta", "source": "xml"}
    if way == "pasted":
        form["metadata_xml"] = document if isinstance(document, str) else document.decode("latin-1")
    elif way == "uploaded":
        form["metadata_file"] = SimpleUploadedFile("okta.xml", data, content_type="text/xml")
    else:
        form.update(source="url", metadata_url=http_server.serve("/md", data, content_type="application/xml"))
    return client.post(url, form)


def existing_connection(client, http_server) -> Connection:
    response = submit(client, add_url(), "pasted", sample("okta_metadata.xml"), http_server)
    assert response.status_code == 302
    return Connection.objects.get()


@pytest.mark.parametrize("way", WAYS_IN)
@pytest.mark.parametrize("valid_until", ["9999-12-31T23:59:59-01:00", "10000-01-01T00:00:00Z", "9999-12-31T24:00:00Z"])
def test_it_adds_metadata_valid_beyond_year_9999_as_never_expiring(as_alice, http_server, way, valid_until):
    response = submit(as_alice, add_url(), way, okta_valid_until(valid_until), http_server)
    assert response.status_code == 302
    assert SAMLSettings.objects.get().metadata_valid_until == NEVER
    assert as_alice.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("way", WAYS_IN)
def test_it_edits_a_connection_with_metadata_valid_beyond_year_9999(as_alice, http_server, way):
    connection = existing_connection(as_alice, http_server)
    response = submit(as_alice, edit_url(connection), way, okta_valid_until("9999-12-31T23:59:59-01:00"), http_server)
    assert response.status_code == 302
    connection.saml.refresh_from_db()
    assert connection.saml.metadata_valid_until == NEVER
    assert as_alice.get(edit_url(connection)).status_code == 200


@pytest.mark.parametrize("way", WAYS_IN)
@pytest.mark.parametrize("valid_until", ["0001-01-01T00:00:00+01:00", "0000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"])
def test_metadata_valid_until_before_year_1_is_expired(as_alice, http_server, way, valid_until):
    response = submit(as_alice, add_url(), way, okta_valid_until(valid_until), http_server)
    assert response.status_code == 200
    field = "metadata_url" if way == "fetched" else ("metadata_file" if way == "uploaded" else "metadata_xml")
    assert "expired long ago" in response.context["form"].errors[field][0]
    assert not SAMLSettings.objects.exists()


@pytest.mark.parametrize("way", WAYS_IN)
def test_a_certificate_valid_until_9999_is_saved_and_shown(as_alice, http_server, way):
    b64 = certificate_b64(not_before=datetime(2020, 1, 1), not_after=datetime(9999, 12, 31, 23, 59, 59))
    response = submit(as_alice, add_url(), way, okta_with_certificate(b64), http_server)
    assert response.status_code == 302
    saml = SAMLSettings.objects.get()
    assert saml.certificates.get().not_after == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert as_alice.get(response["Location"]).status_code == 200
    assert as_alice.get(edit_url(saml.connection)).status_code == 200


@pytest.mark.parametrize("way", [*WAYS_IN, "manual"])
@pytest.mark.parametrize(
    ("old", "new"),
    [(b"20500101000000Z", b"00000101000000Z"), (b"Zzzq", b"\xff\xfe\xfd\xfc")],
    ids=["year-0000", "subject"],
)
def test_a_certificate_whose_dates_or_subject_cannot_be_read_is_a_form_error(as_alice, http_server, way, old, new):
    der = certificate_der(not_before=datetime(2050, 1, 1), not_after=datetime(2060, 1, 1), common_name="Zzzq")
    b64 = with_raw_bytes(der, old, new)
    if way == "manual":
        form = {"display_name": "Okta", "source": "manual", "idp_entity_id": "https://idp.example/"}
        form.update(sso_url="https://idp.example/sso", signing_certificate=b64)
        response, field = as_alice.post(add_url(), form), "signing_certificate"
    else:
        response = submit(as_alice, add_url(), way, okta_with_certificate(b64), http_server)
        field = {"pasted": "metadata_xml", "uploaded": "metadata_file", "fetched": "metadata_url"}[way]
    assert response.status_code == 200
    assert "cannot be read" in response.context["form"].errors[field][0]
    assert not SAMLSettings.objects.exists()


def declared(encoding: str, body: str | None = None) -> bytes:
    xml = body if body is not None else without_xml_declaration(sample("okta_metadata.xml"))
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode() + xml.encode()


def utf7_with_lone_surrogate() -> bytes:
    xml = '<?xml version="1.0" encoding="utf-7"?>\n' + okta_entity("https://idp.example/SURROGATE")
    return xml.encode("utf-7").replace(b"SURROGATE", b"+2AA-")


ODD_ENCODINGS = [
    ("punycode", declared("punycode"), "not a character set for documents"),
    ("utf-7", utf7_with_lone_surrogate(), "not Unicode text once decoded"),
    ("utf-7", declared("utf-7"), "not valid 'utf-7' text"),
    ("rot13", declared("rot13"), "not a text encoding"),
    ("base64", declared("base64"), "not a text encoding"),
    ("hex", declared("hex"), "not a text encoding"),
    ("utf-16", declared("utf-16"), "its own declaration does not read back"),
    ("cp500", declared("cp500"), "its own declaration does not read back"),
    ("klingon", declared("klingon"), "unknown encoding"),
    ("undefined", declared("undefined"), "not a character set for documents"),
]


@pytest.mark.parametrize("way", ["uploaded", "fetched"])
@pytest.mark.parametrize(
    ("encoding", "document", "words"), ODD_ENCODINGS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ODD_ENCODINGS)]
)
def test_a_declared_encoding_that_does_not_decode_cleanly_is_a_form_error(
    as_alice, http_server, way, encoding, document, words
):
    response = submit(as_alice, add_url(), way, document, http_server)
    assert response.status_code == 200
    error = response.context["form"].errors["metadata_file" if way == "uploaded" else "metadata_url"][0]
    assert words in error
    assert repr(encoding) in error
    assert not SAMLSettings.objects.exists()


@pytest.mark.parametrize("way", ["uploaded", "fetched"])
def test_metadata_really_in_utf_7_is_read(as_alice, http_server, way):
    xml = '<?xml version="1.0" encoding="UTF-7"?>\n' + okta_entity("https://idp.example/é")
    response = submit(as_alice, add_url(), way, xml.encode("utf-7"), http_server)
    assert response.status_code == 302
    assert SAMLSettings.objects.get().idp_entity_id == "https://idp.example/é"


def test_pasted_metadata_with_a_nul_character_is_a_form_error(as_alice, http_server):
    xml = okta_entity("https://idp.example/\x00")
    response = submit(as_alice, add_url(), "pasted", xml, http_server)
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.context["form"].errors["metadata_xml"][0]
