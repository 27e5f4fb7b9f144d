from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="adfs-saml",
    idp="ADFS",
    protocol="saml",
    display_name="ADFS",
    summary="A relying party trust in AD FS Management, built from our SP metadata, with two claim rules.",
    steps=(
        Step(
            "add-trust",
            "Add a relying party trust",
            "Choose Claims aware and Start.",
            path=("AD FS Management", "Relying Party Trusts", "Add Relying Party Trust…"),
        ),
        Step(
            "data-source",
            "Import our metadata",
            "Choose Import data about the relying party published online or on a local network and enter our SP "
            "metadata URL: it brings our identifier, ACS URL and signing certificate. Without access from the "
            "ADFS server, choose Enter data about the relying party manually: Enable support for the SAML 2.0 "
            "WebSSO protocol with our ACS URL, and our SP Entity ID as the Relying party trust identifier.",
            path=("Select Data Source",),
            values=("metadata_url", "acs_url", "entity_id"),
            value_labels={
                "metadata_url": "Federation metadata address",
                "acs_url": "Relying party SAML 2.0 SSO service URL",
                "entity_id": "Relying party trust identifier",
            },
        ),
        Step(
            "access-policy",
            "Choose who may sign in",
            "Choose Access Control Policy: Permit everyone (or Permit specific group), then Next and Close.",
            path=("Choose Access Control Policy",),
        ),
        Step(
            "claim-rules",
            "Send the email as the Name ID",
            "Add a rule Send LDAP Attributes as Claims: attribute store Active Directory, E-Mail-Addresses to "
            "E-Mail Address. Add a second rule Transform an Incoming Claim: incoming claim type E-Mail Address, "
            "outgoing claim type Name ID, outgoing name ID format Email.",
            path=("Relying Party Trusts", "KloudSSO", "Edit Claim Issuance Policy…", "Add Rule…"),
        ),
        Step(
            "metadata",
            "Give us ADFS's metadata",
            "ADFS publishes it at https://<your ADFS host>/FederationMetadata/2007-06/FederationMetadata.xml: "
            "paste that URL (or the document) into the connection below.",
        ),
    ),
    email="the Name ID in Email format, from E-Mail-Addresses (a Transform an Incoming Claim rule)",
    traps=(
        "People whose E-Mail-Addresses attribute is empty in Active Directory arrive without an email.",
        "ADFS rolls its token-signing certificate over by itself: a metadata URL keeps the connection current, "
        "pasted XML does not.",
        "If the trust was entered manually, our signed requests are refused until our signing certificate is "
        "added on the trust's Signature tab.",
    ),
    fields={
        "metadata_url": "https://<your ADFS host>/FederationMetadata/2007-06/FederationMetadata.xml",
        "metadata_xml": "the document at that URL",
        "email_attribute": "blank when the Name ID rule sends the email",
    },
)
