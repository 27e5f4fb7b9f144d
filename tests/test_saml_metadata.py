"""Parsing real IdP metadata (tests/fixtures/metadata, sources in SOURCES.md) into the one validated shape."""

import contextlib
import encodings
import encodings.aliases
import pkgutil
import re
from datetime import UTC, datetime

import pytest
from saml2 import BINDING_HTTP_REDIRECT
from saml2.mdstore import InMemoryMetaData

from connections.saml.metadata import MetadataError, parse_idp_metadata
from tests.support.metadata import (
    entities_descriptor,
    sample,
    without_key_descriptors,
    without_sso_services,
)

BEFORE_GOOGLE_EXPIRY = datetime(2026, 1, 1, tzinfo=UTC)
AFTER_GOOGLE_EXPIRY = datetime(2027, 1, 1, tzinfo=UTC)

VENDORS = {
    "entra_federation_metadata.xml": (
        "https://sts.windows.net/92b20d54-6bdd-4686-9286-c44865f50277/",
        "https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2",
        1,
    ),
    "okta_metadata.xml": (
        "http://www.okta.com/exkh52ytxrJeMH5140h7",
        "https://dev-149827.oktapreview.com/app/wirecomdev149827_wirestaging_1/exkh52ytxrJeMH5140h7/sso/saml",
        1,
    ),
    "google_workspace_metadata.xml": (
        "https://accounts.google.com/o/saml2?idpid=C023zw3x8",
        "https://accounts.google.com/o/saml2/idp?idpid=C023zw3x8",
        2,
    ),
    "adfs_federation_metadata.xml": (
        "https://d-sts.devrcsj.com/adfs/services/trust",
        "https://d-sts.devrcsj.com/adfs/ls/",
        1,
    ),
    "keycloak_idp_metadata.xml": (
        "https://keycloak.stars.wire.link/auth/realms/sven-matthias-anta",
        "https://keycloak.stars.wire.link/auth/realms/sven-matthias-anta/protocol/saml",
        1,
    ),
    "simplesamlphp_idp_metadata.xml": (
        "https://guest.login.utexas.edu/idp",
        "https://guest.login.utexas.edu/simplesaml/module.php/saml/idp/singleSignOnService",
        1,
    ),
    "centrify_metadata.xml": (
        "https://aaz0103.my.centrify.com/ab0bfb4a-9d7d-47c9-9bd8-b33010fc6ade",
        "https://aaz0103.my.centrify.com/applogin/appKey/ab0bfb4a-9d7d-47c9-9bd8-b33010fc6ade/customerId/AAZ0103",
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_it_reads_real_vendor_metadata(name):
    entity_id, sso_url, cert_count = VENDORS[name]
    config = parse_idp_metadata(sample(name), now=BEFORE_GOOGLE_EXPIRY)
    assert config.entity_id == entity_id
    assert config.sso_redirect_url == sso_url
    assert len(config.certificates) == cert_count
    assert all(c.pem.startswith("-----BEGIN CERTIFICATE-----") for c in config.certificates)
    assert all(c.not_after > c.not_before for c in config.certificates)


def test_the_normalized_metadata_is_what_pysaml2_loads_for_sign_in():
    config = parse_idp_metadata(sample("entra_federation_metadata.xml"))
    store = InMemoryMetaData(None, check_validity=True)
    store.parse(config.metadata_xml)
    services = store.service(config.entity_id, "idpsso_descriptor", "single_sign_on_service", BINDING_HTTP_REDIRECT)
    assert services[0]["location"] == config.sso_redirect_url


def test_it_keeps_every_signing_certificate_for_a_rollover():
    config = parse_idp_metadata(sample("google_workspace_metadata.xml"), now=BEFORE_GOOGLE_EXPIRY)
    fingerprints = {c.sha256_fingerprint for c in config.certificates}
    assert len(fingerprints) == 2


def test_it_refuses_metadata_past_its_valid_until():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(sample("google_workspace_metadata.xml"), now=AFTER_GOOGLE_EXPIRY)
    assert caught.value.code == "metadata_expired"
    assert "2026-12-16" in caught.value.message
    assert "Google Workspace" in caught.value.message


def test_it_warns_before_the_valid_until_date():
    config = parse_idp_metadata(sample("google_workspace_metadata.xml"), now=BEFORE_GOOGLE_EXPIRY)
    assert config.valid_until == datetime(2026, 12, 16, 17, 18, 2, tzinfo=UTC)


def test_an_expired_certificate_is_a_warning_not_a_refusal():
    config = parse_idp_metadata(sample("adfs_federation_metadata.xml"))
    assert config.certificates[0].not_after.year == 2024
    assert any("expired on 2024-05-08" in w for w in config.warnings)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        ("hello", "not_xml", "This is not XML"),
        ("<EntityDescriptor entityID='x'>", "not_xml", "not well-formed XML"),
        ("<html><body>Sign in to Okta</body></html>", "not_metadata", "web page"),
        ("<foo/>", "not_metadata", "root element is <foo>"),
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>',
            "dtd_forbidden",
            "DOCTYPE",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
            "dtd_forbidden",
            "DOCTYPE",
        ),
    ],
)
def test_it_refuses_what_is_not_metadata(data, code, words):
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(data)
    assert caught.value.code == code
    assert words in caught.value.message


def test_it_recognizes_sp_metadata_pasted_by_mistake():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(sample("sp_metadata_sample.xml"))
    assert caught.value.code == "sp_metadata"
    assert "service provider metadata" in caught.value.message


def test_it_refuses_metadata_without_a_signing_certificate():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(without_key_descriptors(sample("okta_metadata.xml")))
    assert caught.value.code == "no_certificate"
    assert "manual form" in caught.value.message


def test_it_refuses_metadata_without_a_single_sign_on_service():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(without_sso_services(sample("keycloak_idp_metadata.xml")))
    assert caught.value.code == "no_sso_service"


def test_it_lists_the_entity_ids_when_there_are_several():
    xml = entities_descriptor("okta_metadata.xml", "keycloak_idp_metadata.xml")
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(xml)
    assert caught.value.code == "several_entities"
    assert set(caught.value.entity_ids) == {VENDORS["okta_metadata.xml"][0], VENDORS["keycloak_idp_metadata.xml"][0]}
    assert "http://www.okta.com/exkh52ytxrJeMH5140h7" in caught.value.message


def test_it_takes_the_chosen_entity_among_several():
    xml = entities_descriptor("okta_metadata.xml", "keycloak_idp_metadata.xml")
    config = parse_idp_metadata(xml, entity_id=VENDORS["keycloak_idp_metadata.xml"][0])
    assert config.sso_redirect_url == VENDORS["keycloak_idp_metadata.xml"][1]
    assert config.other_entity_ids == (VENDORS["okta_metadata.xml"][0],)


def test_it_refuses_more_than_one_megabyte():
    padding = "<!--" + "x" * 1_000_001 + "-->"
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(sample("okta_metadata.xml") + padding)
    assert caught.value.code == "too_large"


def test_a_real_federation_aggregate_offers_its_identity_providers_only():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(sample("multi_entity_metadata.xml"))
    assert caught.value.code == "several_entities"
    assert set(caught.value.entity_ids) == {
        "https://idp.umu.se/saml2/idp/metadata.php",
        "https://idp.it.gu.se/idp/shibboleth",
    }


def test_a_real_aggregate_past_its_valid_until_is_refused_once_an_entity_is_picked():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(sample("multi_entity_metadata.xml"), entity_id="https://idp.it.gu.se/idp/shibboleth")
    assert caught.value.code == "metadata_expired"
    assert "2010-04-03" in caught.value.message


OKTA_SSO = "https://dev-149827.oktapreview.com/app/wirecomdev149827_wirestaging_1/exkh52ytxrJeMH5140h7/sso/saml"
OKTA_ENTITY = 'entityID="http://www.okta.com/exkh52ytxrJeMH5140h7"'


def okta(old: str = "", new: str = "") -> str:
    xml = sample("okta_metadata.xml")
    assert old == "" or old in xml
    return xml.replace(old, new)


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (re.sub(r"<ds:KeyInfo.*?</ds:KeyInfo>", "", okta(), flags=re.DOTALL), "unreadable"),
        (re.sub(r"<ds:X509Certificate>.*?</ds:X509Certificate>", "", okta(), flags=re.DOTALL), "unreadable"),
        (okta(f' Location="{OKTA_SSO}"'), "unreadable"),
        (okta("</md:IDPSSODescriptor>", "</md:IDPSSODescriptor><md:AttributeAuthorityDescriptor/>"), "unreadable"),
        (
            okta(
                "</md:IDPSSODescriptor>",
                "<md:Extensions>" + "<x>" * 5000 + "</x>" * 5000 + "</md:Extensions></md:IDPSSODescriptor>",
            ),
            "unreadable",
        ),
        (okta(OKTA_SSO, "javascript:alert(1)"), "bad_sso_url"),
        (okta(OKTA_ENTITY, 'entityID=""'), "no_entity_id"),
        (okta(OKTA_ENTITY, 'entityID="https://x/' + "a" * 2000 + '"'), "no_entity_id"),
        (okta(OKTA_ENTITY, OKTA_ENTITY + ' validUntil="soon"'), "bad_valid_until"),
        ('<?xml version="1.0" encoding="bogus"?>' + okta(), "not_xml"),
    ],
)
def test_malformed_metadata_gets_a_form_error_not_a_crash(xml, code):
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(xml.encode())
    assert caught.value.code == code


def test_metadata_sso_urls_must_be_https_in_secure_mode(secure_idp_mode):
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(okta(OKTA_SSO, "http://10.0.0.1/sso"))
    assert caught.value.code == "bad_sso_url"
    assert "plain http" in caught.value.message


def test_an_un_namespaced_entity_descriptor_is_explained():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata('<EntityDescriptor entityID="x"/>')
    assert "is in no namespace" in caught.value.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_it_reads_uploads_with_a_byte_order_mark(encoding):
    config = parse_idp_metadata(okta().encode(encoding))
    assert config.sso_redirect_url == OKTA_SSO


def test_it_honours_the_declared_encoding_of_uploaded_bytes():
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?>' + okta(OKTA_ENTITY, 'entityID="https://idp.example/é"')
    assert parse_idp_metadata(xml.encode("latin-1")).entity_id == "https://idp.example/é"


def test_pasted_text_keeps_its_characters_whatever_its_declaration_says():
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?>' + okta(OKTA_ENTITY, 'entityID="https://idp.example/é"')
    assert parse_idp_metadata(xml).entity_id == "https://idp.example/é"


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        ("2030-01-31T00:00:00Z", datetime(2030, 1, 31, tzinfo=UTC)),
        ("2030-01-31T00:00:00", datetime(2030, 1, 31, tzinfo=UTC)),
        ("2030-01-31T00:00:00.5+02:00", datetime(2030, 1, 30, 22, 0, 0, 500000, tzinfo=UTC)),
        ("2030-01-31T01:02:03.123456789-14:00", datetime(2030, 1, 31, 15, 2, 3, 123456, tzinfo=UTC)),
        ("2030-01-31T24:00:00Z", datetime(2030, 2, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, tzinfo=UTC)),
        ("9999-12-31T23:59:59-01:00", datetime(9999, 12, 31, tzinfo=UTC)),
        ("12345-01-01T00:00:00Z", datetime(9999, 12, 31, tzinfo=UTC)),
        ("9" * 5000 + "-01-01T00:00:00Z", datetime(9999, 12, 31, tzinfo=UTC)),
    ],
)
def test_valid_until_is_read_as_an_xs_datetime_in_utc(valid_until, expected):
    config = parse_idp_metadata(okta(OKTA_ENTITY, f'{OKTA_ENTITY} validUntil="{valid_until}"'))
    assert config.valid_until == expected
    assert config.valid_until.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("valid_until", "code", "words"),
    [
        ("2030-02-30T00:00:00Z", "bad_valid_until", "not a real date"),
        ("2030-01-31T25:00:00Z", "bad_valid_until", "not a real date"),
        ("2030-01-31T00:00:00+15:00", "bad_valid_until", "such as 2030-01-31T00:00:00Z"),
        ("2030-01-31", "bad_valid_until", "such as 2030-01-31T00:00:00Z"),
        ("2030-01-31T24:00:01Z", "bad_valid_until", "not a real date"),
        ("0000-01-01T00:00:00Z", "metadata_expired", "expired long ago"),
        ("-0001-01-01T00:00:00Z", "metadata_expired", "expired long ago"),
        ("0001-01-01T00:00:00+01:00", "metadata_expired", "expired long ago"),
    ],
)
def test_a_valid_until_that_is_no_usable_date_is_explained(valid_until, code, words):
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(okta(OKTA_ENTITY, f'{OKTA_ENTITY} validUntil="{valid_until}"'))
    assert (caught.value.code, words in caught.value.message) == (code, True)


def test_the_expiry_date_in_the_refusal_is_in_utc():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(okta(OKTA_ENTITY, f'{OKTA_ENTITY} validUntil="2020-01-01T23:30:00-01:00"'))
    assert "expired on 2020-01-02 00:30 UTC" in caught.value.message


PYTHON_CODECS = sorted(
    {m.name for m in pkgutil.iter_modules(encodings.__path__)} | set(encodings.aliases.aliases.values())
)


@pytest.mark.parametrize("name", PYTHON_CODECS)
def test_every_encoding_python_knows_gives_metadata_or_a_form_error(name):
    xml = f'<?xml version="1.0" encoding="{name}"?>' + okta(OKTA_ENTITY, 'entityID="https://idp.example/é+x"')
    with contextlib.suppress(MetadataError):
        parse_idp_metadata(xml.encode("utf-8"))  # declared, but not what the bytes are in
    encoded = _encoded_or_none(xml, name)
    try:
        config = parse_idp_metadata(encoded) if encoded else None
    except MetadataError:
        pass
    else:
        assert config is None or config.entity_id == "https://idp.example/é+x"


def _encoded_or_none(text: str, name: str) -> bytes | None:
    try:
        return text.encode(name)
    except (LookupError, ValueError, TypeError):
        return None


@pytest.mark.parametrize("text", ["\ud800", "\udfff x"])
def test_pasted_text_with_lone_surrogates_is_a_form_error(text):
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(okta(OKTA_ENTITY, f'entityID="https://idp.example/{text}"'))
    assert "lone surrogate" in caught.value.message


def test_pasted_text_with_a_nul_character_is_a_form_error():
    with pytest.raises(MetadataError) as caught:
        parse_idp_metadata(okta(OKTA_ENTITY, 'entityID="https://idp.example/\x00"'))
    assert caught.value.code == "not_xml"
