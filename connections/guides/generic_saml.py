from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="generic-saml",
    idp="Any SAML 2.0 identity provider",
    protocol="saml",
    display_name="SSO (SAML)",
    summary="Shibboleth, Keycloak, OneLogin, PingFederate, SimpleSAMLphp or any SAML 2.0 IdP.",
    steps=(
        Step(
            "service-provider",
            "Add KloudSSO as a service provider",
            "Give the IdP our SP metadata URL if it can import one; otherwise enter our entity ID and our "
            "Assertion Consumer Service URL (HTTP-POST binding).",
            values=("metadata_url", "entity_id", "acs_url"),
        ),
        Step(
            "signing",
            "Sign the assertion",
            "Have the IdP sign the assertion (signing the Response as well is fine) with RSA-SHA256 or stronger. "
            "KloudSSO signs its requests: the signing certificate is in our SP metadata.",
            hint="A Response signed without a signed assertion is refused.",
        ),
        Step(
            "name-id",
            "Send the email",
            "Send the person's email as the NameID in urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress "
            "format, or as an attribute named under Email attribute below.",
        ),
        Step(
            "metadata",
            "Copy the IdP's metadata",
            "Paste its metadata XML, or its metadata URL, into the connection below.",
        ),
    ),
    email="the NameID in emailAddress format, or the attribute named under Email attribute",
    traps=(
        "An IdP that signs with SHA-1 is refused: choose RSA-SHA256.",
        "A transient or persistent NameID carries no email: name the email attribute then.",
    ),
    fields={
        "metadata_xml": "the IdP's metadata document",
        "metadata_url": "where the IdP publishes its metadata",
        "email_attribute": "blank when the NameID is the email in emailAddress format",
    },
)
