from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="google-oidc",
    idp="Google Workspace",
    protocol="oidc",
    display_name="Google",
    summary="An OAuth client in the Google Cloud console, limited to your Workspace's users.",
    steps=(
        Step(
            "consent-screen",
            "Set up the consent screen",
            "In the Google Cloud console, choose User type Internal (only your Workspace's users) and Create; "
            "fill in the app name and support email.",
            path=("APIs & Services", "OAuth consent screen"),
        ),
        Step(
            "redirect-uri",
            "Create an OAuth client ID",
            "Application type: Web application. Under Authorized redirect URIs, Add URI with ours. Create.",
            path=("APIs & Services", "Credentials", "Create credentials", "OAuth client ID"),
            values=("redirect_uri",),
            value_labels={"redirect_uri": "Authorized redirect URIs"},
            hint="Google compares it exactly: no trailing slash, https.",
        ),
        Step(
            "credentials",
            "Copy the client ID and secret",
            "The OAuth client created dialog shows the Client ID and the Client secret: copy both.",
            path=("OAuth client created",),
        ),
        Step(
            "discovery-url",
            "Fill in the connection",
            "Discovery URL: https://accounts.google.com/.well-known/openid-configuration. Leave Scopes as "
            "openid email profile.",
        ),
    ),
    email="the email claim (with email_verified), sent for the email scope",
    traps=(
        "User type External lets any Google account through Google's side; KloudSSO still refuses emails "
        "outside your verified domains, but Internal stops them earlier.",
    ),
    fields={
        "discovery_url": "https://accounts.google.com/.well-known/openid-configuration",
        "client_id": "Credentials → your OAuth 2.0 Client ID → Client ID",
        "client_secret": "Credentials → your OAuth 2.0 Client ID → Client secret",
        "scopes": "leave openid email profile",
        "id_token_signing_alg": "keep The IdP's public keys: Google signs with RS256",
    },
    settings={
        "id_token_alg": "it signs ID tokens only with RS256 and its published keys, so a token signed with the "
        "client secret (HS) or unsigned means the Discovery URL likely points at another IdP: check it",
        "email_claim": "keep email in Scopes (Google sends email and email_verified for it)",
        "redirect_uri": "APIs & Services → Credentials → your OAuth 2.0 Client ID → Authorized redirect URIs",
        "assign": "OAuth consent screen → User type Internal (your Workspace's users)",
    },
)
