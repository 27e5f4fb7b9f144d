"""pysaml2 SP configuration built from one connection, never from global settings (signin/saml/clients keeps the
client made from it warm).

pysaml2 picks the certificate that verifies a response by the response's own Issuer among all metadata loaded,
so each configuration holds exactly one IdP: this connection's. Its metadata is generated from the validated
columns (one shape for XML, URL and manual connections), without a validUntil for pysaml2 to silently drop.
"""

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, md, samlp
from saml2 import xmldsig as ds
from saml2.saml import NAMEID_FORMAT_TRANSIENT

from connections.sp import saml_acs_url, saml_slo_url
from signin.saml.signer import OnFile, certificates_on_file

CLOCK_SKEW_SECONDS = 120
_key_dir: Path | None = None
_key_dir_lock = threading.Lock()


@dataclass(frozen=True)
class Inputs:
    """Every value a connection's pysaml2 configuration is made of, read from the database: equal inputs make an
    equal configuration, so signin/saml/clients keys its clients on them."""

    sp_pk: int
    sp_entity_id: str
    sp_certificate_pem: str
    sp_encryption_certificates: tuple[str, ...]  # current, then next during a key rotation
    idp_entity_id: str
    sso_redirect_url: str
    sso_post_url: str
    idp_certificates: tuple[str, ...]
    allow_idp_initiated: bool
    acs_url: str
    slo_redirect_url: str = ""
    slo_post_url: str = ""
    slo_url: str = ""


def inputs_of(
    connection, *, sp, certificates: list[OnFile] | None = None, allow_idp_initiated: bool | None = None
) -> Inputs:
    """`certificates` as signin/saml/signer reads them, or read here: an expired certificate is never loaded.
    `allow_idp_initiated` overrides the connection's switch: an unsolicited response refused because the switch is
    off is still verified, to tell its owners only of what their IdP really signed (signin/saml/idp_initiated)."""
    saml = connection.saml
    if certificates is None:
        certificates = certificates_on_file(saml)
    return Inputs(
        sp_pk=sp.pk,
        sp_entity_id=sp.entity_id,
        sp_certificate_pem=sp.certificate_pem,
        sp_encryption_certificates=sp.encryption_certificates,
        idp_entity_id=saml.idp_entity_id,
        sso_redirect_url=saml.sso_redirect_url,
        sso_post_url=saml.sso_post_url,
        idp_certificates=tuple(cert.pem for cert in certificates),
        allow_idp_initiated=saml.allow_idp_initiated if allow_idp_initiated is None else allow_idp_initiated,
        acs_url=saml_acs_url(),
        slo_redirect_url=saml.slo_redirect_url,
        slo_post_url=saml.slo_post_url,
        slo_url=saml_slo_url(),
    )


def idp_metadata_xml(inputs: Inputs) -> str:
    certificates = [
        md.KeyDescriptor(
            use="signing",
            key_info=ds.KeyInfo(x509_data=ds.X509Data(x509_certificate=ds.X509Certificate(text=_b64(pem)))),
        )
        for pem in inputs.idp_certificates
    ]
    services = [
        md.SingleSignOnService(binding=binding, location=location)
        for binding, location in (
            (BINDING_HTTP_REDIRECT, inputs.sso_redirect_url),
            (BINDING_HTTP_POST, inputs.sso_post_url),
        )
        if location
    ]
    logout = [
        md.SingleLogoutService(binding=binding, location=location)
        for binding, location in (
            (BINDING_HTTP_REDIRECT, inputs.slo_redirect_url),
            (BINDING_HTTP_POST, inputs.slo_post_url),
        )
        if location
    ]
    descriptor = md.IDPSSODescriptor(
        protocol_support_enumeration=samlp.NAMESPACE,
        key_descriptor=certificates,
        single_logout_service=logout,
        single_sign_on_service=services,
    )
    return md.EntityDescriptor(entity_id=inputs.idp_entity_id, idpsso_descriptor=[descriptor]).to_string().decode()


def sp_config_values(
    inputs: Inputs,
    *,
    private_key_pem: Callable[[], str],
    decryption_keys: Callable[[], list[tuple[str, str]]] = list,
) -> dict:
    """The configuration of pysaml2's client, made of the inputs alone (and the SP's private keys, which go with
    their certificates: `decryption_keys` gives (certificate, key) pairs for the encryption certificates)."""
    key_file, cert_file = _key_files(inputs.sp_pk, inputs.sp_certificate_pem, private_key_pem)
    return {
        "entityid": inputs.sp_entity_id,
        # Only a placeholder: the client swaps in signin/saml/xmlsec_backend at once. Named so, pysaml2 neither
        # looks for an xmlsec1 binary nor parses the SP key (the client takes the key parsed once per process).
        "crypto_backend": "XMLSecurity",
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        # pysaml2 decrypts an EncryptedAssertion (and EncryptedID, EncryptedAttribute) with each key in turn,
        # through signin/saml/xmlsec_backend: a response with nothing encrypted costs no decryption.
        "encryption_keypairs": _encryption_keypairs(inputs, decryption_keys),
        "metadata": {"inline": [idp_metadata_xml(inputs)]},
        "accepted_time_diff": CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,  # else pysaml2 drops Entra's claim URIs and plain "email"
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(inputs.acs_url, BINDING_HTTP_POST)],
                    # where LogoutRequests and LogoutResponses must be addressed (their Destination is checked)
                    "single_logout_service": [
                        (inputs.slo_url, BINDING_HTTP_REDIRECT),
                        (inputs.slo_url, BINDING_HTTP_POST),
                    ],
                },
                "authn_requests_signed": True,
                "want_response_signed": False,  # Entra signs only the assertion by default
                "want_assertions_signed": True,  # as our SP metadata says: a signed Response is not enough
                "allow_unsolicited": inputs.allow_idp_initiated,
            }
        },
    }


def name_id_policy(saml) -> samlp.NameIDPolicy:
    """The AuthnRequest's NameIDPolicy: the connection's NameID format, or none in particular ("Any").

    AllowCreate lets the IdP make an identifier for someone signing in to us for the first time; without it an
    IdP may answer with an empty persistent NameID. The SAML errata forbid AllowCreate with transient NameIDs.
    pysaml2 only sends a policy when it has a format (its name_id_policy_format), so the policy is built here.
    """
    if saml.nameid_format == NAMEID_FORMAT_TRANSIENT:
        return samlp.NameIDPolicy(format=NAMEID_FORMAT_TRANSIENT)
    return samlp.NameIDPolicy(format=saml.nameid_format or None, allow_create="true")


def _b64(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if "-----" not in line)


def _encryption_keypairs(inputs: Inputs, decryption_keys: Callable[[], list[tuple[str, str]]]) -> list[dict]:
    keys = dict(decryption_keys())
    pairs = []
    for certificate_pem in inputs.sp_encryption_certificates:
        if certificate_pem in keys:
            key_file, cert_file = _key_files(inputs.sp_pk, certificate_pem, lambda pem=certificate_pem: keys[pem])
            pairs.append({"key_file": str(key_file), "cert_file": str(cert_file)})
    return pairs


def _key_files(sp_pk: int, certificate_pem: str, private_key_pem: Callable[[], str]) -> tuple[Path, Path]:
    """pysaml2 hands the SP key to its crypto backend as a file: one private 0700 folder per process, removed at
    exit, and made again if something (a /tmp cleaner) removed it meanwhile. The key is written last: once it is
    there, so is its certificate."""
    global _key_dir
    with _key_dir_lock:
        if _key_dir is None:
            _key_dir = Path(tempfile.mkdtemp(prefix="kloudsso-sp-keys-"))
            atexit.register(shutil.rmtree, _key_dir, ignore_errors=True)
        _key_dir.mkdir(mode=0o700, exist_ok=True)
    stem = hashlib.sha256(f"{sp_pk}:{certificate_pem}".encode()).hexdigest()[:24]
    key_file, cert_file = _key_dir / f"{stem}.key", _key_dir / f"{stem}.crt"
    if not key_file.exists():
        _write_private(cert_file, certificate_pem)
        _write_private(key_file, private_key_pem())
    return key_file, cert_file


def _write_private(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + f".{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)
