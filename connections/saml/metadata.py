"""Parse IdP metadata safely into an IdPConfig.

defusedxml refuses DTDs and entities before anything else reads the document; pysaml2 then parses it the way it
will at sign-in, so what we accept here is what works there. We do not XSD-validate: Entra's Federation Metadata
holds WS-Federation RoleDescriptors that strict schemas reject.
"""

import codecs
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.mdstore import InMemoryMetaData

from connections.errors import ConfigurationError
from connections.oidc.entra import is_entra
from connections.saml.certificates import CertificateError, load_certificate
from connections.saml.idp_config import IdPConfig
from kloudsso.guarded_http import FetchError, check_url

MAX_METADATA_BYTES = 1_000_000
MAX_ENTITY_ID_LENGTH = 1024
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
XML_DECLARATION_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
# Python's codecs for other jobs (domain names, string literals, a placeholder): text encodings to Python, yet no
# character set a document is written in. Decoding with punycode or "undefined" fails with a bare UnicodeError.
NOT_DOCUMENT_CHARSETS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
PYSAML2_PARSE_ERRORS = (SAMLError, KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError)
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
XS_DATETIME = re.compile(  # xs:dateTime; 24:00:00 is the end of the day (time stays None)
    r"^(?P<sign>-?)(?P<year>\d{4,})(?P<date>-\d{2}-\d{2})"
    r"T(?:24:00:00(?:\.0+)?|(?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?))"
    r"(?P<zone>Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?$"
)
# "Never expires": the last day a datetime can hold, at midnight UTC so that showing it in any time zone still
# fits. PostgreSQL's timestamptz and SQLite store it as they store any other date.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
# A template's blank left in: {tenantid} (Entra's tenant-independent metadata), {tenant}, <tenant-id>, %TENANT%…
PLACEHOLDER = re.compile(r"\{[^{}/]{1,40}\}|<[^<>/]{1,40}>|%[A-Za-z_]{1,40}%|\$\{[^{}/]{1,40}\}")


class MetadataError(ConfigurationError):
    def __init__(self, message: str, code: str, entity_ids: tuple[str, ...] = ()):
        super().__init__(message, code)
        self.entity_ids = entity_ids  # set when the owner must pick one of several identity providers


def parse_idp_metadata(data: bytes | str, *, entity_id: str = "", now: datetime | None = None) -> IdPConfig:
    """The IdP in `data`; when it holds several, `entity_id` picks one (else MetadataError with the choices)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_METADATA_BYTES:
        raise MetadataError(
            f"The metadata is {len(raw) // 1000} kB; the limit is {MAX_METADATA_BYTES // 1000} kB. "
            "Give the metadata of your IdP alone, not a whole federation's aggregate.",
            "too_large",
        )
    text, encoding = (_strip_declaration(data), None) if isinstance(data, str) else _decode(raw)
    root = _safe_parse(text, encoding)
    idp_entities = _idp_entities(root)
    chosen = _choose(idp_entities, entity_id)
    _refuse_placeholder(chosen.get("entityID"))
    config = _read_with_pysaml2(text, chosen, root, tuple(e.get("entityID") for e in idp_entities))
    _refuse_expired(config.valid_until, now or datetime.now(UTC))
    return config


def _refuse_placeholder(entity_id: str) -> None:
    """A template's entity ID, such as Entra's tenant-independent https://sts.windows.net/{tenantid}/: the Issuer
    of no real response, so every sign-in would fail as unknown_issuer (as /common/ is refused for OIDC)."""
    placeholder = PLACEHOLDER.search(entity_id)
    if placeholder is None:
        return
    if is_entra(entity_id) or urlsplit(entity_id).hostname == "sts.windows.net":
        fix = (
            "This is Entra ID's tenant-independent federation metadata (…/common/FederationMetadata/…), not "
            "your application's. In the Entra admin center open Enterprise applications → your application → "
            "Single sign-on, and under SAML Certificates download Federation Metadata XML (or copy the App "
            "Federation Metadata Url): its entity ID is https://sts.windows.net/<your Directory (tenant) ID>/."
        )
    else:
        fix = "Download the metadata of your own application or tenant from the IdP, not a template."
    raise MetadataError(
        f"The metadata's entity ID {entity_id[:200]!r} holds the placeholder {placeholder.group(0)!r}, which no "
        f"response will ever carry as its Issuer, so no sign-in could work. {fix}",
        "placeholder_entity_id",
    )


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


def _decode(raw: bytes) -> tuple[str, str]:
    """The document as text, without its XML declaration, so every later reader sees the same characters, and the
    encoding it was read in."""
    codec = next((c for bom, c in BOMS if raw.startswith(bom)), None)
    declared = None if codec else XML_DECLARATION_ENCODING.match(raw)
    name = declared.group(1).decode("ascii") if declared else (codec or "utf-8")
    text = _decode_as(raw, name)
    if declared and not XML_DECLARATION.match(text):
        raise MetadataError(
            f"The XML declares the encoding {name!r}, but it is not {name} text: its own declaration does not read "
            f"back in {name}. Save it as UTF-8, or correct the encoding in its first line.",
            "not_xml",
        )
    return _strip_declaration(text), name


def _decode_as(raw: bytes, name: str) -> str:
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise MetadataError(f"The XML declares the unknown encoding {name!r}; save it as UTF-8.", "not_xml") from None
    if codec.name in NOT_DOCUMENT_CHARSETS:
        raise MetadataError(
            f"The XML declares the encoding {name!r}, which is not a character set for documents; save it as UTF-8.",
            "not_xml",
        )
    try:
        return raw.decode(codec.name)
    except LookupError:  # base64, hex, rot13, zlib…: codecs, but from bytes to bytes or str to str
        raise MetadataError(
            f"The XML declares the encoding {name!r}, which is not a text encoding; save it as UTF-8.",
            "not_xml",
        ) from None
    except ValueError:  # UnicodeDecodeError, and the bare UnicodeError some codecs raise
        raise MetadataError(
            f"The metadata is not valid {name!r} text. Download it again, or save it as UTF-8.", "not_xml"
        ) from None


def _strip_declaration(text: str) -> str:
    # Pasted text is already decoded: its declared encoding no longer applies.
    return XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)


def _as_utf8(text: str, encoding: str | None) -> bytes:
    """What the XML parser reads; lone surrogates (UTF-7 and escapes can make them) are no Unicode text."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        origin = f" once decoded as {encoding!r}" if encoding else ""
        raise MetadataError(
            f"The metadata is not Unicode text{origin}: it holds lone surrogate code points. Download it again, "
            "or save it as UTF-8.",
            "not_xml",
        ) from None


def _safe_parse(text: str, encoding: str | None):
    if not text.lstrip().startswith("<"):
        raise MetadataError("This is not XML. Paste the IdP's metadata XML, which starts with '<'.", "not_xml")
    try:
        root = SafeET.fromstring(_as_utf8(text, encoding), forbid_dtd=True)
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
        local = root.tag.split("}")[-1]
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else "no namespace"
        if local in {"EntityDescriptor", "EntitiesDescriptor"}:
            reason = f"its <{local}> is in {namespace}, not in SAML 2.0's {MD[1:-1]}"
        else:
            reason = f"its root element is <{local}>, not <EntityDescriptor>"
        raise MetadataError(f"This XML is not SAML 2.0 metadata: {reason}.", "not_metadata")
    return root


def _idp_entities(root) -> list:
    entities = [root] if root.tag == f"{MD}EntityDescriptor" else list(root.iter(f"{MD}EntityDescriptor"))
    idps = [e for e in entities if _saml2_idp_descriptors(e)]
    for entity in idps:
        entity_id = entity.get("entityID") or ""
        if not entity_id or len(entity_id) > MAX_ENTITY_ID_LENGTH or "\x00" in entity_id:
            raise MetadataError(
                "An identity provider in the metadata has a missing or unusable entityID attribute "
                f"(at most {MAX_ENTITY_ID_LENGTH} characters). Download the metadata again from the IdP.",
                "no_entity_id",
            )
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
    entity_id = entity.get("entityID")
    store = InMemoryMetaData(None, check_validity=False)
    try:
        # pysaml2 indexes into what it parsed and raises whatever that indexing hits on odd metadata.
        store.parse(text)
        if entity_id not in store:
            raise KeyError(entity_id)
        redirect = _location(store, entity_id, BINDING_HTTP_REDIRECT)
        post = _location(store, entity_id, BINDING_HTTP_POST)
        certificates = store.certs(entity_id, "idpsso", "signing")
        slo_redirect = _location(store, entity_id, BINDING_HTTP_REDIRECT, "single_logout_service")
        slo_post = _location(store, entity_id, BINDING_HTTP_POST, "single_logout_service")
    except PYSAML2_PARSE_ERRORS:
        raise MetadataError(
            "The SAML library could not read this metadata: an element it needs is missing or malformed (for "
            "example a KeyDescriptor without its certificate, or a service without Binding or Location). "
            "Download the metadata again from the IdP, unchanged.",
            "unreadable",
        ) from None
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
        certificates=_signing_certificates(certificates),
        valid_until=_valid_until(root, entity),
        metadata_xml=text,
        other_entity_ids=tuple(i for i in all_ids if i != entity_id),
        slo_redirect_url=slo_redirect,
        slo_post_url=slo_post,
    )


def _location(store, entity_id: str, binding: str, service: str = "single_sign_on_service") -> str:
    services = store.service(entity_id, "idpsso_descriptor", service, binding) or []
    if not services:
        return ""
    location = services[0]["location"]
    try:
        return check_url(location)
    except FetchError as exc:
        if service != "single_sign_on_service":
            return ""  # single logout is optional: a URL we would not send anyone to is as good as none
        raise MetadataError(f"The IdP's single sign-on URL is not usable: {exc.message}", "bad_sso_url") from None


def _signing_certificates(found):
    certificates, seen = [], set()
    for _name, text in found:
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
    """The earliest validUntil on the entity or its enclosing EntitiesDescriptor, in UTC."""
    values = [e.get("validUntil") for e in {id(root): root, id(entity): entity}.values() if e.get("validUntil")]
    parsed = [_parse_xs_datetime(v) for v in values]
    return min(parsed) if parsed else None


def _parse_xs_datetime(value: str) -> datetime:
    """An xs:dateTime in UTC. Years beyond 9999 (xs:dateTime allows them; an IdP may write one to mean "never")
    become NEVER, since no datetime or database column can hold them; years before 1 have long expired."""
    match = XS_DATETIME.match(value.strip())
    if not match:
        raise MetadataError(
            f"The metadata's validUntil {value[:60]!r} is not a date and time such as 2030-01-31T00:00:00Z, so "
            "SAML libraries would refuse it. Download the metadata again from the IdP.",
            "bad_valid_until",
        )
    sign, year, date, time, zone = match.group("sign", "year", "date", "time", "zone")
    digits = year.lstrip("0")
    if sign or not digits:
        raise _expired_long_ago(value)
    if len(digits) > 4:
        return NEVER
    try:
        local = datetime.fromisoformat(f"{digits:0>4}{date}T{time or '00:00:00'}{_offset(zone)}")
    except ValueError:
        raise MetadataError(
            f"The metadata's validUntil {value[:60]!r} is not a real date and time (check the day, hour and time "
            "zone). Download the metadata again from the IdP.",
            "bad_valid_until",
        ) from None
    try:
        moment = local.astimezone(UTC) + (timedelta() if time else timedelta(days=1))
    except OverflowError:  # beyond 9999-12-31 or before 0001-01-01 once in UTC
        if local.year == 1:
            raise _expired_long_ago(value) from None
        return NEVER
    return min(moment, NEVER)


def _offset(zone: str | None) -> str:
    # Without a time zone, SAML means UTC (SAML core 1.3.3).
    return "+00:00" if zone in (None, "Z") else zone


def _expired_long_ago(value: str) -> MetadataError:
    return MetadataError(
        f"This metadata expired long ago (validUntil {value[:60]!r}), so SAML libraries ignore it and no sign-in "
        "could work. Download current metadata from the IdP.",
        "metadata_expired",
    )
