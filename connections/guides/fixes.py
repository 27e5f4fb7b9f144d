"""Which guide steps fix which sign-in failure (signin/catalogue codes): the fix's page links to them.

Kept here rather than in the catalogue's entries so that a guide's anchors and the links to them change together.
"""

FIX_STEPS: dict[str, tuple[tuple[str, str], ...]] = {
    "issuer_mismatch": (("entra-oidc", "discovery-url"), ("okta-oidc", "discovery-url")),
    "entra_tenant_mismatch": (("entra-oidc", "discovery-url"),),
    "entra_tenant_not_allowed": (("entra-oidc", "discovery-url"),),
    "entra_tid_missing": (("entra-oidc", "discovery-url"),),
    "aud_mismatch": (("entra-oidc", "ids"), ("okta-oidc", "credentials")),
    "unknown_key": (("entra-oidc", "discovery-url"), ("generic-oidc", "discovery-url")),
    "invalid_client": (("entra-oidc", "client-secret"), ("okta-oidc", "credentials"), ("adfs-oidc", "client-secret")),
    "client_secret_expired": (("entra-oidc", "client-secret"), ("adfs-oidc", "client-secret")),
    "token_error": (("entra-oidc", "client-secret"),),
    "redirect_uri_mismatch": (
        ("entra-oidc", "redirect-uri"),
        ("okta-oidc", "redirect-uri"),
        ("google-oidc", "redirect-uri"),
        ("adfs-oidc", "redirect-uri"),
        ("generic-oidc", "client"),
    ),
    "idp_error": (("entra-oidc", "redirect-uri"), ("okta-oidc", "assign")),
    "userinfo_error": (("entra-oidc", "email-claim"), ("adfs-oidc", "email-claim")),
    "bad_alg": (("generic-oidc", "signing"),),
    "hs_alg_not_chosen": (("generic-oidc", "signing"),),
    "id_token_alg_mismatch": (("generic-oidc", "signing"),),
    "secret_too_short": (("generic-oidc", "signing"),),
    "secret_signature_mismatch": (("generic-oidc", "credentials"),),
    "audience_mismatch": (
        ("entra-saml", "basic-saml"),
        ("okta-saml", "configure-saml"),
        ("google-saml", "service-provider"),
        ("adfs-saml", "data-source"),
        ("generic-saml", "service-provider"),
    ),
    "destination_mismatch": (("entra-saml", "basic-saml"), ("okta-saml", "configure-saml")),
    "recipient_mismatch": (("entra-saml", "basic-saml"), ("okta-saml", "configure-saml")),
    "unknown_issuer": (("entra-saml", "metadata"), ("okta-saml", "metadata"), ("adfs-saml", "metadata")),
    "saml_bad_signature": (("entra-saml", "metadata"), ("adfs-saml", "metadata")),
    "saml_assertion_unsigned": (("okta-saml", "configure-saml"), ("generic-saml", "signing")),
    "saml_weak_algorithm": (("generic-saml", "signing"),),
    "saml_unsupported_algorithm": (("generic-saml", "signing"),),
    "saml_no_name_id": (("entra-saml", "name-id"), ("adfs-saml", "claim-rules"), ("generic-saml", "name-id")),
    "saml_idp_status": (("entra-saml", "assign"), ("google-saml", "user-access")),
    "no_email": (
        ("entra-oidc", "email-claim"),
        ("entra-saml", "name-id"),
        ("adfs-saml", "claim-rules"),
        ("generic-saml", "name-id"),
    ),
}
