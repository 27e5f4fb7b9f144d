from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="entra-saml",
    idp="Microsoft Entra ID",
    protocol="saml",
    display_name="Entra ID (SAML)",
    summary="An enterprise application with SAML single sign-on: our two values in, its Federation Metadata XML out.",
    steps=(
        Step(
            "create-app",
            "Create an enterprise application",
            "Choose Integrate any other application you don't find in the gallery (Non-gallery), name it (for "
            "example KloudSSO) and Create.",
            path=(
                "Identity",
                "Applications",
                "Enterprise applications",
                "New application",
                "Create your own application",
            ),
        ),
        Step(
            "basic-saml",
            "Enter our Identifier and Reply URL",
            "Open Single sign-on, choose SAML, and Edit Basic SAML Configuration. Add our two values, then Save.",
            path=("Single sign-on", "SAML", "Basic SAML Configuration"),
            values=("entity_id", "acs_url"),
            value_labels={
                "entity_id": "Identifier (Entity ID)",
                "acs_url": "Reply URL (Assertion Consumer Service URL)",
            },
            hint="A different Identifier makes Entra answer AADSTS700016; a different Reply URL, AADSTS50011.",
        ),
        Step(
            "name-id",
            "Send the email as the Name ID",
            "Under Attributes & Claims, edit Unique User Identifier (Name ID): Name identifier format Email "
            "address, Source attribute user.mail (or user.userprincipalname when the UPN is the email).",
            path=("Single sign-on", "Attributes & Claims", "Unique User Identifier (Name ID)"),
        ),
        Step(
            "assign",
            "Assign the people who may sign in",
            "Add the users or groups who will sign in to KloudSSO.",
            path=("Users and groups", "Add user/group"),
            hint="A person not assigned gets AADSTS50105 from Entra, before KloudSSO sees anything.",
        ),
        Step(
            "metadata",
            "Download the Federation Metadata XML",
            "Under SAML Certificates, download the Federation Metadata XML (or copy the App Federation Metadata "
            "Url) and paste it into the connection below.",
            path=("Single sign-on", "SAML Certificates", "Federation Metadata XML"),
        ),
    ),
    email="the Name ID in emailAddress format (user.mail); or an emailaddress claim, named in Email attribute",
    traps=(
        "When the UPN is not the email, map the Name ID to user.mail, or name the claim "
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress under Email attribute.",
        "The SAML signing certificate expires (3 years by default): the metadata URL keeps it current.",
    ),
    fields={
        "metadata_xml": "Single sign-on → SAML Certificates → Federation Metadata XML (the downloaded file's text)",
        "metadata_url": "Single sign-on → SAML Certificates → App Federation Metadata Url",
        "email_attribute": "blank when the Name ID is user.mail in Email address format",
    },
)
