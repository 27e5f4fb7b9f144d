from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="okta-saml",
    idp="Okta",
    protocol="saml",
    display_name="Okta",
    summary="A SAML 2.0 app integration in the Okta Admin Console: our two values in, its metadata out.",
    steps=(
        Step(
            "create-app",
            "Create a SAML app integration",
            "Sign-in method: SAML 2.0. Next. Name it (for example KloudSSO) and Next.",
            path=("Applications", "Applications", "Create App Integration"),
        ),
        Step(
            "configure-saml",
            "Configure SAML",
            "Enter our values, keep Use this for Recipient URL and Destination URL checked, set Name ID format "
            "to EmailAddress and Application username to Email.",
            path=("Configure SAML", "SAML Settings"),
            values=("acs_url", "entity_id"),
            value_labels={"acs_url": "Single sign-on URL", "entity_id": "Audience URI (SP Entity ID)"},
            hint="Under Show Advanced Settings keep Assertion Signature: Signed; KloudSSO refuses an unsigned "
            "assertion.",
        ),
        Step(
            "finish",
            "Finish",
            "Answer the feedback question (an internal app) and Finish.",
            path=("Feedback", "Finish"),
        ),
        Step(
            "assign",
            "Assign the people who may sign in",
            "Assign the app to the people or groups who will sign in.",
            path=("Assignments", "Assign", "Assign to People / Assign to Groups"),
        ),
        Step(
            "metadata",
            "Copy the metadata",
            "On the Sign On tab, under SAML 2.0, copy the Metadata URL (or open it and copy the XML) for the "
            "connection below.",
            path=("Sign On", "SAML 2.0", "Metadata details", "Metadata URL"),
        ),
    ),
    email="the Name ID in EmailAddress format (Application username: Email)",
    traps=(
        "An Audience URI other than our SP Entity ID is refused as an audience mismatch.",
        "Okta's example Single sign-on URL must be replaced, not kept beside ours.",
    ),
    fields={
        "metadata_url": "Sign On → SAML 2.0 → Metadata details → Metadata URL",
        "metadata_xml": "the document at that Metadata URL",
        "email_attribute": "blank when Name ID format is EmailAddress",
    },
)
