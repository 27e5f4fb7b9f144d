from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="okta-oidc",
    idp="Okta",
    protocol="oidc",
    display_name="Okta",
    summary="An OIDC web application in the Okta Admin Console, with a client secret.",
    steps=(
        Step(
            "create-app",
            "Create an app integration",
            "Sign-in method: OIDC - OpenID Connect. Application type: Web Application. Next.",
            path=("Applications", "Applications", "Create App Integration"),
        ),
        Step(
            "redirect-uri",
            "Enter the sign-in redirect URI",
            "Name the integration (for example KloudSSO), keep the Grant type Authorization Code, replace the "
            "example Sign-in redirect URIs with ours and remove the Sign-out redirect URIs. Save.",
            values=("redirect_uri",),
            value_labels={"redirect_uri": "Sign-in redirect URIs"},
        ),
        Step(
            "credentials",
            "Copy the client credentials",
            "On the General tab, under Client Credentials, copy the Client ID and the Client secret "
            "(Client authentication: Client secret).",
            path=("General", "Client Credentials"),
        ),
        Step(
            "assign",
            "Assign the people who may sign in",
            "Assign the app to the people or groups who will sign in.",
            path=("Assignments", "Assign", "Assign to People / Assign to Groups"),
            hint="A person not assigned is stopped by Okta: User is not assigned to the client application.",
        ),
        Step(
            "discovery-url",
            "Fill in the connection",
            "Discovery URL: https://<your Okta domain>/.well-known/openid-configuration (the org authorization "
            "server), or https://<your Okta domain>/oauth2/default/.well-known/openid-configuration if you use "
            "the default custom authorization server.",
        ),
    ),
    email="the email claim (with email_verified), sent for the email scope",
    traps=(
        "Your Okta domain is the one people sign in at (example.okta.com), not the Admin Console's "
        "example-admin.okta.com.",
        "The org and the default authorization servers have different issuers: the Discovery URL decides which.",
    ),
    fields={
        "discovery_url": "https://<your Okta domain>/.well-known/openid-configuration",
        "client_id": "General → Client Credentials → Client ID",
        "client_secret": "General → Client Credentials → Client secret",
        "scopes": "leave openid email profile",
        "id_token_signing_alg": "keep The IdP's public keys: Okta signs with RS256",
    },
    settings={
        "id_token_alg": "it signs ID tokens with RS256 and its published keys, so a token signed with the client "
        "secret (HS) or unsigned means the Discovery URL likely points at another IdP, or the app is not set up as "
        "an Okta OIDC web app: check both",
        "email_claim": "keep email in Scopes; Security → API → your authorization server → Claims for a custom one",
        "redirect_uri": "General → General Settings → Sign-in redirect URIs",
        "assign": "Assignments → Assign",
    },
)
