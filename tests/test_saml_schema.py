"""The SAML schema check pysaml2 runs before each signature, done by libxml2 (signin/saml/schema)."""

import pytest
import saml2.sigver
from saml2.xml.schema import XMLSchemaError

from connections.sp import saml_acs_url
from signin.saml import clients, schema
from tests.support.saml_craft import PREFIX, substitute
from tests.test_saml_acs import connection, idp, post, refused, sp, start  # noqa: F401 -- fixtures and helpers

ASSERTION = (
    '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1" Version="2.0" '
    'IssueInstant="2026-12-02T08:00:00Z"><saml:Issuer>https://idp.test</saml:Issuer>'
    "<saml:Subject><saml:NameID>ada@acme.test{inside}</saml:NameID></saml:Subject></saml:Assertion>"
)


def test_pysaml2s_signature_check_validates_with_libxml2():
    assert clients.ConnectionClient  # importing the clients puts it in place
    assert saml2.sigver.validate_doc_with_schema is schema.validate


def test_a_valid_assertion_passes():
    schema.validate(ASSERTION.format(inside=""))


def test_a_fault_is_raised_as_pysaml2_does_with_its_reason_and_place():
    with pytest.raises(XMLSchemaError) as raised:
        schema.validate(ASSERTION.format(inside="<x:y xmlns:x='urn:x'/>"))
    fault = raised.value.__cause__
    assert isinstance(fault, schema.SchemaFault)
    assert "NameID" in fault.reason and fault.path.endswith(":Subject/saml:NameID")


def test_a_missing_required_attribute_is_a_fault():
    with pytest.raises(XMLSchemaError) as raised:
        schema.validate(ASSERTION.format(inside="").replace(' Version="2.0"', ""))
    assert "Version" in raised.value.__cause__.reason


def test_text_that_is_not_xml_is_a_fault_not_a_crash():
    with pytest.raises(XMLSchemaError):
        schema.validate("<saml:Assertion")


def test_a_refused_response_leaves_no_personal_data_in_the_logs(client, connection, idp, sp, caplog):  # noqa: F811
    """pysaml2 logs a refused response whole at ERROR (and each NameID at INFO): its loggers are kept quiet."""
    markup = substitute(rf">ada@acme.test(</{PREFIX}NameID>)", r">ada@acme.test<x:y xmlns:x='urn:x'/>\1")
    response = idp.edited(
        markup, in_response_to=start(client, connection), destination=saml_acs_url(), audience=sp.entity_id
    )
    refused(client, post(client, response), "saml_invalid")
    assert not [r for r in caplog.records if r.name.startswith("saml2")]
    assert not [r for r in caplog.records if "ada@acme.test" in r.getMessage()]
