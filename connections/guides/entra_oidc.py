from connections.guides.guide import Guide, Step

GUIDE = Guide(
    slug="entra-oidc",
    idp="Microsoft Entra ID",
    protocol="oidc",
    display_name="Entra ID",
    summary="An app registration with a client secret: the simpler setup for Entra ID. Use the tenant-specific "
    "discovery URL, or /organizations/ with the list of tenants allowed; /common/ and /consumers/ are refused.",
    steps=(
        Step(
            "register",
            "Register an application",
            "In the Microsoft Entra admin center, start a new registration and name it (for example KloudSSO). "
            "Under Supported account types keep Accounts in this organizational directory only (Single tenant).",
            path=("Identity", "Applications", "App registrations", "New registration"),
        ),
        Step(
            "redirect-uri",
            "Enter the Redirect URI",
            "Under Redirect URI, choose Web and enter our Redirect URI exactly as shown, then click Register.",
            values=("redirect_uri",),
            value_labels={"redirect_uri": "Redirect URI (Web)"},
            hint="A missing or different Redirect URI makes Entra answer AADSTS50011.",
        ),
        Step(
            "ids",
            "Copy the two IDs",
            "On the app's Overview page, copy the Application (client) ID and the Directory (tenant) ID.",
            path=("Overview",),
        ),
        Step(
            "client-secret",
            "Create a client secret",
            "Add a description and an expiry, then Add. Copy the secret's Value at once: Entra shows it only this "
            "once. The Secret ID next to it is not the secret.",
            path=("Certificates & secrets", "Client secrets", "New client secret"),
            hint="Note the expiry: when the secret expires, sign-ins stop until you paste a new one.",
        ),
        Step(
            "email-claim",
            "Send the email claim",
            "Choose ID as the token type, select email, and Add. If prompted, grant the Microsoft Graph "
            "permission it needs.",
            path=("Token configuration", "Add optional claim"),
            hint="Without it KloudSSO falls back to preferred_username / upn, which only works when the UPN is "
            "the person's email address.",
        ),
        Step(
            "discovery-url",
            "Fill in the connection",
            "Discovery URL: https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/"
            ".well-known/openid-configuration with your Directory (tenant) ID. Client ID: the Application "
            "(client) ID. Client secret: the Value. Leave Scopes as openid email profile. For a multi-tenant "
            "app registration (Accounts in any organizational directory), use "
            "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration instead and list "
            "each tenant allowed under Allowed Entra ID tenants: its Directory (tenant) ID, then a label.",
        ),
    ),
    email="the email claim (an optional claim, under Token configuration); else preferred_username or upn",
    traps=(
        "The /common/ and /consumers/ discovery URLs let personal Microsoft accounts in and are refused. "
        "/organizations/ works only with the list of allowed tenants: any other tenant's sign-in is refused "
        "(entra_tenant_not_allowed, naming its tid).",
        "The secret's Secret ID is not the secret: paste its Value.",
        "Tokens from https://sts.windows.net/… are v1.0: set accessTokenAcceptedVersion to 2 in the Manifest.",
    ),
    fields={
        "discovery_url": "https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0/.well-known/"
        "openid-configuration; the tenant ID is on the app's Overview page (several tenants: /organizations/)",
        "client_id": "Overview → Application (client) ID",
        "client_secret": "Certificates & secrets → Client secrets → the secret's Value (not its Secret ID)",
        "scopes": "leave openid email profile",
        "entra_allowed_tenants": "only with /organizations/: each tenant's Directory (tenant) ID (its Overview page), "
        "then a label",
        "id_token_signing_alg": "keep The IdP's public keys: Entra ID signs with RS256",
    },
    settings={
        "id_token_alg": "it signs ID tokens only with RS256 and its published keys, so a token signed with the "
        "client secret (HS) or unsigned means the Discovery URL likely points at another IdP: check it",
        "email_claim": "Token configuration → Add optional claim → ID → email",
        "redirect_uri": "Authentication → Platform configurations → Web → Redirect URIs",
        "assign": "Enterprise applications → your app → Users and groups",
    },
)
