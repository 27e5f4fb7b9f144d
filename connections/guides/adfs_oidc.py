from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="adfs-oidc",
    idp="ADFS",
    protocol="oidc",
    display_name="ADFS",
    summary="A server application in an AD FS application group, with a shared secret, and a Web API that puts the "
    "email in the ID token.",
    steps=(
        Step(
            "add-group",
            "Add an application group",
            "Name it (for example KloudSSO) and choose the template Server application accessing a web API.",
            path=("AD FS Management", "Application Groups", "Add Application Group…"),
        ),
        Step(
            "redirect-uri",
            "Enter the Redirect URI",
            "Copy the Client Identifier AD FS shows, then add our Redirect URI exactly as shown.",
            path=("Server application",),
            values=("redirect_uri",),
            value_labels={"redirect_uri": "Redirect URI"},
        ),
        Step(
            "client-secret",
            "Generate a shared secret",
            "Tick Generate a shared secret and copy it at once: AD FS shows it only this once.",
            path=("Configure Application Credentials",),
        ),
        Step(
            "email-claim",
            "Send the email claim",
            "Give the Web API the Client Identifier as its identifier, permit the openid, email, profile and "
            "allatclaims scopes, then add the rule Send LDAP Attributes as Claims: E-Mail-Addresses → email.",
            path=("Application group", "Web API", "Issuance Transform Rules", "Add Rule…"),
            hint="AD FS's UserInfo answers with sub only: without this rule and allatclaims no email reaches us.",
        ),
        Step(
            "discovery-url",
            "Fill in the connection",
            "Discovery URL: https://<your AD FS host>/adfs/.well-known/openid-configuration. Scopes: openid email "
            "profile allatclaims.",
        ),
    ),
    email="the email claim of an Issuance Transform Rule on the Web API, with the allatclaims scope",
    traps=("AD FS's UserInfo endpoint returns sub only: the email must be in the ID token.",),
    fields={
        "discovery_url": "https://<your AD FS host>/adfs/.well-known/openid-configuration",
        "client_id": "Application group → Server application → Client Identifier",
        "client_secret": "Application group → Server application → Credentials → Reset shared secret",
        "scopes": "openid email profile allatclaims",
        "id_token_signing_alg": "keep The IdP's public keys: AD FS signs with RS256",
    },
    settings={
        "id_token_alg": "it signs ID tokens only with RS256 and its token-signing certificate, so a token signed "
        "with the client secret (HS) or unsigned means the Discovery URL likely points at another IdP: check it",
        "email_claim": "Application group → Web API → Issuance Transform Rules → Send LDAP Attributes as Claims, "
        "and allatclaims in Scopes",
        "redirect_uri": "Application group → Server application → Redirect URI",
        "assign": "Application group → Web API → Access control policy",
    },
)
