"""Our service provider side: the values owners copy into their IdP, and the SP metadata document."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, element_to_extension_element, md, samlp
from saml2 import xmldsig as ds
from saml2.extension import algsupport
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT

from connections.service_provider import ServiceProvider
from kloudsso.crypto import encrypt_secret

OIDC_REDIRECT_PATH = "/sso/oidc"
SAML_ACS_PATH = "/sso/saml"
SAML_SLO_PATH = "/sso/saml/slo"
LOGOUT_DONE_PATH = "/sso/logout/done"
SP_CERTIFICATE_YEARS = 10
# What a SAML response may be signed with: published in our SP metadata, enforced at sign-in (signin/saml/algorithms).
SIGNATURE_ALGORITHMS = tuple(
    f"http://www.w3.org/2001/04/xmldsig-more#{name}"
    for name in ("rsa-sha256", "rsa-sha384", "rsa-sha512", "ecdsa-sha256", "ecdsa-sha384", "ecdsa-sha512")
)
DIGEST_ALGORITHMS = (
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
)
# What an assertion may be encrypted with, most preferred first: published on our encryption KeyDescriptor,
# enforced at sign-in (signin/saml/decryption). AES-GCM, or AES-CBC for IdPs without GCM (SimpleSAMLphp 1.x's
# default); the AES key wrapped with RSA-OAEP.
DATA_ENCRYPTION_ALGORITHMS = (
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2009/xmlenc11#aes192-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
)
KEY_TRANSPORT_ALGORITHMS = (
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
)
ENCRYPTION_KEY_COMMON_NAME = "KloudSSO SP encryption"


@dataclass(frozen=True)
class SPDetails:
    redirect_uri: str
    entity_id: str
    acs_url: str
    metadata_url: str
    key_rotating: bool
    slo_url: str = ""
    logout_done_url: str = ""


def oidc_redirect_uri() -> str:
    return settings.PUBLIC_BASE_URL + OIDC_REDIRECT_PATH


def saml_acs_url() -> str:
    return settings.PUBLIC_BASE_URL + SAML_ACS_PATH


def saml_slo_url() -> str:
    return settings.PUBLIC_BASE_URL + SAML_SLO_PATH


def logout_done_url() -> str:
    """OIDC's post_logout_redirect_uri: owners register it at the IdP beside the redirect URI."""
    return settings.PUBLIC_BASE_URL + LOGOUT_DONE_PATH


def sp_details(sp: ServiceProvider) -> SPDetails:
    return SPDetails(
        redirect_uri=oidc_redirect_uri(),
        entity_id=sp.entity_id,
        acs_url=saml_acs_url(),
        metadata_url=f"{settings.PUBLIC_BASE_URL}/sso/saml/metadata/{sp.organization.public_id}",
        key_rotating=sp.rotating,
        slo_url=saml_slo_url(),
        logout_done_url=logout_done_url(),
    )


def sp_entity_id(*, org) -> str:
    """The organization's SP entity ID, read without creating its SP (and key pair) on a page view."""
    existing = ServiceProvider.objects.filter(organization=org).values_list("entity_id", flat=True).first()
    return existing or _new_entity_id(org)


def fix_values(*, org, connection=None) -> dict:
    """The values a catalogue entry's fix may name, for this organization: ours ({redirect_uri}, {acs_url},
    {sp_entity_id}) and the IdP's words for its settings ({idp_...}: the connection's preset's, or every preset's
    without one). Every page that shows a fix fills them all."""
    from connections.guides.idp_words import idp_words  # the guides name our values: imported at use

    ours = {
        "redirect_uri": oidc_redirect_uri(),
        "acs_url": saml_acs_url(),
        "sp_entity_id": sp_entity_id(org=org),
        "slo_url": saml_slo_url(),
        "logout_done_url": logout_done_url(),
    }
    return {**ours, **idp_words(connection)}


def _new_entity_id(org) -> str:
    return f"{settings.PUBLIC_BASE_URL}/sso/saml/metadata/{org.public_id}"


def service_provider_get_or_create(*, org) -> ServiceProvider:
    """The organization's SP, created on first use with a fresh key pair (safe when two requests race).

    An organization loaded with select_related("service_provider") (a SAML sign-in's connection) brings it along.
    """
    existing = _joined_service_provider(org) or ServiceProvider.objects.filter(organization=org).first()
    if existing:
        existing.organization = org  # already loaded: spares a query on the hot Connections page
        return existing
    entity_id = _new_entity_id(org)
    certificate_pem, key_pem = generate_key_pair(common_name="KloudSSO service provider")
    encryption_certificate_pem, encryption_key_pem = generate_key_pair(common_name=ENCRYPTION_KEY_COMMON_NAME)
    try:
        with transaction.atomic():
            return ServiceProvider.objects.create(
                organization=org,
                entity_id=entity_id,
                certificate_pem=certificate_pem,
                private_key_encrypted=encrypt_secret(key_pem),
                encryption_certificate_pem=encryption_certificate_pem,
                encryption_private_key_encrypted=encrypt_secret(encryption_key_pem),
            )
    except IntegrityError:
        return ServiceProvider.objects.get(organization=org)


def _joined_service_provider(org) -> ServiceProvider | None:
    if not type(org).service_provider.is_cached(org):
        return None
    return getattr(org, "service_provider", None)  # None when the join found none: then it is asked for again


def generate_key_pair(*, common_name: str, days: int = 365 * SP_CERTIFICATE_YEARS) -> tuple[str, str]:
    """A fresh RSA key and its self-signed certificate, both PEM: (certificate, private key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    certificate_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return certificate_pem, key_pem


def sp_metadata_xml(sp: ServiceProvider) -> str:
    """SAML 2.0 SP metadata, built with pysaml2's own metadata classes.

    It says what sign-in enforces: a signed AuthnRequest, a signed assertion (a signed Response alone is refused),
    and the algorithms accepted (the SAML metadata profile for algorithm support, which IdPs such as Shibboleth
    read to choose theirs). The encryption certificate is its own KeyDescriptor (use="encryption") with the
    encryption methods accepted. During a key rotation both certificates of each use are listed, the current first.
    """
    descriptor = md.SPSSODescriptor(
        protocol_support_enumeration=samlp.NAMESPACE,
        extensions=_algorithm_support(),
        authn_requests_signed="true",
        want_assertions_signed="true",
        key_descriptor=[md.KeyDescriptor(use="signing", key_info=_key_info(pem)) for pem in _published(sp)]
        + [_encryption_key_descriptor(pem) for pem in sp.encryption_certificates],
        single_logout_service=[
            md.SingleLogoutService(binding=binding, location=saml_slo_url())
            for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)
        ],
        name_id_format=[
            md.NameIDFormat(text=NAMEID_FORMAT_EMAILADDRESS),
            md.NameIDFormat(text=NAMEID_FORMAT_PERSISTENT),
        ],
        assertion_consumer_service=[
            md.AssertionConsumerService(
                binding=BINDING_HTTP_POST, location=saml_acs_url(), index="0", is_default="true"
            )
        ],
    )
    entity = md.EntityDescriptor(entity_id=sp.entity_id, spsso_descriptor=[descriptor])
    xml = entity.to_string(nspair={"md": md.NAMESPACE, "ds": ds.NAMESPACE, "alg": algsupport.NAMESPACE}).decode()
    return xml if xml.startswith("<?xml") else '<?xml version="1.0" encoding="UTF-8"?>\n' + xml


def _published(sp: ServiceProvider) -> list[str]:
    return [sp.certificate_pem, sp.next_certificate_pem] if sp.next_certificate_pem else [sp.certificate_pem]


def _encryption_key_descriptor(pem: str) -> md.KeyDescriptor:
    methods = [md.EncryptionMethod(algorithm=a) for a in (*DATA_ENCRYPTION_ALGORITHMS, *KEY_TRANSPORT_ALGORITHMS)]
    return md.KeyDescriptor(use="encryption", key_info=_key_info(pem), encryption_method=methods)


def _key_info(pem: str) -> ds.KeyInfo:
    cert_b64 = "".join(line for line in pem.strip().splitlines() if "-----" not in line)
    return ds.KeyInfo(x509_data=ds.X509Data(x509_certificate=ds.X509Certificate(text=cert_b64)))


def _algorithm_support() -> md.Extensions:
    methods = [algsupport.DigestMethod(algorithm=a) for a in DIGEST_ALGORITHMS]
    methods += [algsupport.SigningMethod(algorithm=a) for a in SIGNATURE_ALGORITHMS]
    return md.Extensions(extension_elements=[element_to_extension_element(m) for m in methods])
