from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="google-saml",
    idp="Google Workspace",
    protocol="saml",
    display_name="Google Workspace",
    summary="A custom SAML app in the Google Admin console, turned on for your users.",
    steps=(
        Step(
            "create-app",
            "Add a custom SAML app",
            "In the Google Admin console (admin.google.com), name the app (for example KloudSSO) and Continue.",
            path=("Apps", "Web and mobile apps", "Add app", "Add custom SAML app"),
        ),
        Step(
            "metadata",
            "Download the IdP metadata",
            "On Google Identity Provider details, under Option 1, click DOWNLOAD METADATA, keep the file for the "
            "connection below, and Continue.",
            path=("Google Identity Provider details", "DOWNLOAD METADATA"),
        ),
        Step(
            "service-provider",
            "Enter our service provider details",
            "Enter our values, leave Start URL blank, set Name ID format to EMAIL and Name ID to Basic "
            "Information > Primary email. Continue, then Finish (attribute mapping is optional).",
            path=("Service provider details",),
            values=("acs_url", "entity_id"),
            value_labels={"acs_url": "ACS URL", "entity_id": "Entity ID"},
        ),
        Step(
            "user-access",
            "Turn the app on",
            "Open the app, then User access: choose ON for everyone (or for an organizational unit) and Save.",
            path=("Apps", "Web and mobile apps", "KloudSSO", "User access"),
            hint="A new app is OFF: until it is on, Google answers 403 app_not_configured_for_user. The change "
            "can take a few minutes (up to 24 hours) to reach every user.",
        ),
    ),
    email="the Name ID (Basic Information > Primary email, format EMAIL)",
    traps=(
        "The app is OFF for everyone until you turn it on under User access.",
        "Google's signing certificate expires after 5 years: download the new metadata then.",
    ),
    fields={
        "metadata_xml": "Google Identity Provider details → DOWNLOAD METADATA (the file's text)",
        "email_attribute": "blank when Name ID is the Primary email",
    },
)
