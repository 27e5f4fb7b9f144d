"""Parse IdP metadata safely into an IdPConfig.

defusedxml refuses DTDs and entities before anything else reads the document; pysaml2 then parses it the way it
will at sign-in, so what we accept here is what works there. We do not XSD-validate: Entra's Federation Metadata
holds WS-Federation RoleDescriptors that strict schemas reject.
"""

from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.mdstore import InMemoryMetaData

from connections.errors import ConfigurationError
from connections.saml.certificates import CertificateError, load_certificate
from connections.saml.idp_config import IdPConfig

MAX_METADATA_BYTES = 1_000_000
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"


class MetadataError(ConfigurationError):
    def __init__(self, message: str, code: str, entity_ids: tuple[str, ...] = ()):
        super().__init__(message, code)
        self.entity_ids = entity_ids  # set when the owner must pick one of several identity providers


def parse_idp_metadata(data: bytes | str, *, entity_id: str = "", now: datetime | None = None) -> IdPConfig:
    """The IdP in `data`; when it holds several, `entity_id` picks one (else MetadataError with the choices)."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_METADATA_BYTES:
        raise MetadataError(
            f"The metadata is {len(raw) // 1000} kB; the limit is {MAX_METADATA_BYTES // 1000} kB. "
            "Give the metadata of your IdP alone, not a whole federation's aggregate.",
            "too_large",
        )
    root = _safe_parse(raw)
    idp_entities = _idp_entities(root)
    chosen = _choose(idp_entities, entity_id)
    text = raw.decode("utf-8", errors="replace")
    config = _read_with_pysaml2(text, chosen, root, tuple(e.get("entityID") for e in idp_entities))
    _refuse_expired(config.valid_until, now or datetime.now(UTC))
    return config


def _refuse_expired(valid_until: datetime | None, now: datetime) -> None:
    # pysaml2 silently drops metadata past its validUntil, so saving it would only break sign-ins later.
    if valid_until and valid_until <= now:
        raise MetadataError(
            f"This metadata expired on {valid_until:%Y-%m-%d %H:%M} UTC (its validUntil attribute), so SAML "
            "libraries ignore it and no sign-in could work. Download current metadata from the IdP. "
            "(Google Workspace sets validUntil to the certificate's expiry: create a new certificate in the "
            "Admin console, then download the metadata again.)",
            "metadata_expired",
        )


def _safe_parse(raw: bytes):
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        raise MetadataError("This is not XML. Paste the IdP's metadata XML, which starts with '<'.", "not_xml")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException:
        raise MetadataError(
            "The metadata contains a DOCTYPE or entity declarations, which we refuse for safety. SAML metadata "
            "never needs them: download it again from the IdP.",
            "dtd_forbidden",
        ) from None
    except SafeET.ParseError as exc:
        raise MetadataError(
            f"This is not well-formed XML ({exc}). Copy the whole metadata file again.", "not_xml"
        ) from None
    if root.tag.lower().endswith("html"):
        raise MetadataError(
            "This is a web page, not metadata. Download the metadata XML itself (for Entra ID: "
            "Federation Metadata XML on the SAML setup page).",
            "not_metadata",
        )
    if root.tag not in {f"{MD}EntityDescriptor", f"{MD}EntitiesDescriptor"}:
        raise MetadataError(
            f"This XML is not SAML 2.0 metadata: its root element is <{root.tag.split('}')[-1]}>, "
            "not <EntityDescriptor>.",
            "not_metadata",
        )
    return root


def _idp_entities(root) -> list:
    entities = [root] if root.tag == f"{MD}EntityDescriptor" else list(root.iter(f"{MD}EntityDescriptor"))
    idps = [e for e in entities if _saml2_idp_descriptors(e)]
    if idps:
        return idps
    if any(e.find(f"{MD}SPSSODescriptor") is not None for e in entities):
        raise MetadataError(
            "This is service provider metadata (it has an SPSSODescriptor), not your identity provider's. "
            "Perhaps KloudSSO's own SP metadata was pasted by mistake: paste the metadata you download from "
            "your IdP instead.",
            "sp_metadata",
        )
    raise MetadataError(
        "The metadata has no SAML 2.0 IDPSSODescriptor, so it does not describe an identity provider. "
        "Download the IdP's SAML metadata.",
        "no_idp",
    )


def _saml2_idp_descriptors(entity) -> list:
    return [
        d
        for d in entity.findall(f"{MD}IDPSSODescriptor")
        if SAML2_PROTOCOL in (d.get("protocolSupportEnumeration") or "").split()
    ]


def _choose(entities: list, entity_id: str):
    ids = tuple(e.get("entityID") or "" for e in entities)
    if entity_id:
        for entity in entities:
            if entity.get("entityID") == entity_id:
                return entity
        raise MetadataError(
            f"The metadata does not hold the entity {entity_id!r}; pick one of: {', '.join(ids)}.",
            "several_entities",
            ids,
        )
    if len(entities) > 1:
        raise MetadataError(
            f"The metadata describes {len(entities)} identity providers: {', '.join(ids)}. Pick the one to use.",
            "several_entities",
            ids,
        )
    return entities[0]


def _read_with_pysaml2(text: str, entity, root, all_ids: tuple[str, ...]) -> IdPConfig:
    entity_id = entity.get("entityID") or ""
    if not entity_id:
        raise MetadataError("The IdP's EntityDescriptor has no entityID attribute.", "no_entity_id")
    store = InMemoryMetaData(None, check_validity=False)
    try:
        store.parse(text)
    except SAMLError:
        raise MetadataError(
            "The SAML library could not read this metadata. Download it again from the IdP, unchanged.",
            "unreadable",
        ) from None
    if entity_id not in store:
        raise MetadataError(f"The entity {entity_id} could not be read as a SAML 2.0 identity provider.", "unreadable")
    redirect = _location(store, entity_id, BINDING_HTTP_REDIRECT)
    post = _location(store, entity_id, BINDING_HTTP_POST)
    if not (redirect or post):
        raise MetadataError(
            "The IdP has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding, so we could not "
            "send people to it.",
            "no_sso_service",
        )
    return IdPConfig(
        entity_id=entity_id,
        sso_redirect_url=redirect,
        sso_post_url=post,
        certificates=_signing_certificates(store, entity_id),
        valid_until=_valid_until(root, entity),
        metadata_xml=text,
        other_entity_ids=tuple(i for i in all_ids if i != entity_id),
    )


def _location(store, entity_id: str, binding: str) -> str:
    services = store.service(entity_id, "idpsso_descriptor", "single_sign_on_service", binding) or []
    return services[0]["location"] if services else ""


def _signing_certificates(store, entity_id: str):
    certificates, seen = [], set()
    for _name, text in store.certs(entity_id, "idpsso", "signing"):
        try:
            cert = load_certificate(text)
        except CertificateError as exc:
            raise MetadataError(
                f"A signing certificate in the metadata is unreadable: {exc}", "bad_certificate"
            ) from None
        if cert.sha256_fingerprint not in seen:
            seen.add(cert.sha256_fingerprint)
            certificates.append(cert)
    if not certificates:
        raise MetadataError(
            'The IdP\'s metadata has no signing certificate (<KeyDescriptor use="signing"> with an '
            "<X509Certificate>), so no response from it could be verified. Download the metadata again, or "
            "use the manual form with the IdP's signing certificate.",
            "no_certificate",
        )
    return tuple(certificates)


def _valid_until(root, entity) -> datetime | None:
    """The earliest validUntil on the entity or its enclosing EntitiesDescriptor."""
    values = [e.get("validUntil") for e in {id(root): root, id(entity): entity}.values() if e.get("validUntil")]
    parsed = [_parse_datetime(v) for v in values]
    parsed = [p for p in parsed if p is not None]
    return min(parsed) if parsed else None


def _parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
