"""Encrypting parts of a SAML response as an IdP does, with the xmlsec binding: for unit tests of decryption.

`encrypted(xml, "Assertion", certificate_pem)` wraps the first Assertion (or NameID, Attribute) in its SAML
Encrypted* element, holding an xenc:EncryptedData with the AES key wrapped to the certificate in an xenc:EncryptedKey,
inside the EncryptedData's KeyInfo, or beside it (`key_beside=True`, as Shibboleth can place it).
"""

import xmlsec
from lxml import etree

T = xmlsec.constants
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
WRAPPER = {"Assertion": "EncryptedAssertion", "NameID": "EncryptedID", "Attribute": "EncryptedAttribute"}
SESSION_BITS = {
    T.TransformAes128Gcm: 128,
    T.TransformAes192Gcm: 192,
    T.TransformAes256Gcm: 256,
    T.TransformAes128Cbc: 128,
    T.TransformAes192Cbc: 192,
    T.TransformAes256Cbc: 256,
    T.TransformDes3Cbc: 192,
}


def encrypted(
    xml: str,
    local_name: str,
    certificate_pem: str,
    *,
    data=T.TransformAes256Gcm,
    transport=T.TransformRsaOaep,
    key_beside: bool = False,
) -> str:
    document = etree.fromstring(xml.encode())
    element = next(document.iter(f"{{{SAML}}}{local_name}"))
    wrapper = etree.Element(f"{{{SAML}}}{WRAPPER[local_name]}")
    element.addprevious(wrapper)
    wrapper.append(element)
    template = xmlsec.template.encrypted_data_create(document, data, type=T.TypeEncElement, ns="xenc")
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    wrapped = xmlsec.template.add_encrypted_key(key_info, transport)
    xmlsec.template.encrypted_data_ensure_cipher_value(wrapped)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(certificate_pem.encode(), T.KeyDataFormatCertPem))
    context = xmlsec.EncryptionContext(manager)
    session_type = T.KeyDataDes if data == T.TransformDes3Cbc else T.KeyDataAes
    context.key = xmlsec.Key.generate(session_type, SESSION_BITS[data], T.KeyDataTypeSession)
    # The element serialised on its own, as IdPs encrypt it: with every namespace declaration it needs (xmlsec's
    # encrypt_xml would leave out those its ancestors declare).
    encrypted_data = context.encrypt_binary(template, etree.tostring(element))
    element.getparent().replace(element, encrypted_data)
    if key_beside:
        document = etree.fromstring(etree.tostring(document))  # lxml's view of the tree xmlsec changed is stale
        wrapper = next(document.iter(f"{{{SAML}}}{WRAPPER[local_name]}"))
        key_info = next(wrapper.iter("{http://www.w3.org/2000/09/xmldsig#}KeyInfo"))
        moved = key_info[0]
        key_info.getparent().remove(key_info)
        wrapper.append(moved)
    return etree.tostring(document, encoding="unicode")
