"""The SAML schema check pysaml2 runs on each signed element before its signature, done by libxml2 (lxml).

pysaml2 validates with xmlschema, in Python: about 1.6 ms per assertion, the largest part of checking a response once
signatures run in process. libxml2 validates against the very XSD files pysaml2 ships in about 0.03 ms, and finds
the same faults at the same place (signin/saml/pysaml2_errors words them from `reason` and `path`). pysaml2 has no
setting for its validator, so `use_libxml2_for_pysaml2s_schema_check()` replaces the one name its signature check
calls, once per process.
"""

import threading
from importlib.resources import files

import saml2.data.schemas
import saml2.sigver
from lxml import etree
from saml2.xml.schema import XMLSchemaError

_SCHEMAS = files(saml2.data.schemas)
_local = threading.local()  # lxml's schema and parser objects are not to be shared between threads


class SchemaFault(Exception):
    def __init__(self, reason: str, path: str):
        super().__init__(reason)
        self.reason, self.path = reason, path


def validate(document: str) -> None:
    """Raise XMLSchemaError, caused by a SchemaFault, when the document does not follow the SAML schema."""
    schema, parser = _schema_and_parser()
    try:
        element = etree.fromstring(document.encode() if isinstance(document, str) else document, parser)
    except etree.XMLSyntaxError as exc:
        raise XMLSchemaError({"error": str(exc)}) from SchemaFault(str(exc), "")
    if not schema.validate(element):
        fault = schema.error_log.last_error
        raise XMLSchemaError({"error": fault.message}) from SchemaFault(fault.message, fault.path or "")


def use_libxml2_for_pysaml2s_schema_check() -> None:
    saml2.sigver.validate_doc_with_schema = validate


def _schema_and_parser():
    if not hasattr(_local, "schema"):
        protocol = etree.parse(str(_SCHEMAS.joinpath("saml-schema-protocol-2.0.xsd")), _Local.parser())
        _local.schema = etree.XMLSchema(protocol)
        _local.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return _local.schema, _local.parser


class _Local(etree.Resolver):
    """The schemas import each other by their w3.org and oasis addresses: each is read from pysaml2's copy instead,
    and nothing is ever fetched."""

    @classmethod
    def parser(cls) -> etree.XMLParser:
        # The XSDs are pysaml2's own files; the xmldsig one declares its entities in a DTD.
        parser = etree.XMLParser(load_dtd=True, no_network=True, resolve_entities=True)
        parser.resolvers.add(cls())
        return parser

    def resolve(self, url, pubid, context):
        local = _SCHEMAS.joinpath(url.rsplit("/", 1)[-1])
        if not local.is_file():
            raise XMLSchemaError({"error": f"the SAML schemas import {url}, which pysaml2 does not ship"})
        return self.resolve_filename(str(local), context)
