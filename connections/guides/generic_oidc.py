from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="generic-oidc",
    idp="Any OpenID Connect provider",
    protocol="oidc",
    display_name="SSO",
    summary="Keycloak, Auth0, Ping, JumpCloud, OneLogin, LemonLDAP::NG or any provider that publishes an OpenID "
    "Connect discovery document.",
    steps=(
        Step(
            "client",
            "Register a confidential client",
            "Create a web (confidential) client that uses the authorization code flow, and register our Redirect "
            "URI exactly as shown.",
            values=("redirect_uri",),
            hint="KloudSSO sends PKCE (S256) and a nonce, and asks for the openid email profile scopes.",
        ),
        Step(
            "credentials",
            "Copy the client ID and secret",
            "Copy the client ID and the client secret. KloudSSO authenticates with client_secret_basic or "
            "client_secret_post, whichever the discovery document allows.",
        ),
        Step(
            "signing",
            "Check how ID tokens are signed",
            "Prefer RS256, with the provider's published keys: keep ID token signing on The IdP's public keys. If "
            "the client signs with its secret (HS256, HS384 or HS512: LemonLDAP::NG's default), choose the same "
            "algorithm under ID token signing; the secret must then be at least 32 bytes long for HS256, 48 for "
            "HS384, 64 for HS512.",
            hint="LemonLDAP::NG: OpenID Connect Relying Parties → your RP → Options → Security → ID Token signature "
            "algorithm. Keycloak: Clients → your client → Advanced → Fine grain OpenID Connect configuration → ID "
            "token signature algorithm.",
        ),
        Step(
            "discovery-url",
            "Find the discovery URL",
            "It is the issuer followed by /.well-known/openid-configuration; an issuer URL alone is completed.",
        ),
    ),
    email="the email claim, with email_verified when the provider sends it",
    traps=(
        "The issuer in the ID token must equal the discovery document's issuer, to the trailing slash.",
        "Some providers (LemonLDAP::NG among them) sign ID tokens with the client secret (HS256, HS384 or HS512) "
        "by default. Set the client to RS256, or choose the same HS algorithm under ID token signing: the client "
        "secret must then be at least 32 bytes for HS256 (48 for HS384, 64 for HS512).",
    ),
    fields={
        "discovery_url": "<issuer>/.well-known/openid-configuration",
        "client_id": "the client's ID",
        "client_secret": "the client's secret",
        "scopes": "leave openid email profile",
        "id_token_signing_alg": "The IdP's public keys for RS, PS or ES; the same HS algorithm if the client signs "
        "with its secret (LemonLDAP::NG's default)",
    },
    settings={
        "id_token_alg": "the client's ID token signature algorithm; LemonLDAP::NG: OpenID Connect Relying Parties "
        "→ your RP → Options → Security → ID Token signature algorithm; Keycloak: Clients → your client → Advanced "
        "→ Fine grain OpenID Connect configuration → ID token signature algorithm",
        "email_claim": "the client's email claim or mapper, or the email scope's claims",
        "redirect_uri": "the client's redirect URIs",
        "assign": "the client's access or assignment rules",
    },
)
