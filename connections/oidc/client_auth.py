"""Which client authentication the token request uses, from what the provider's discovery document allows.

OpenID Connect Core §9 and RFC 6749 §2.3.1: client_secret_basic is the default when the document says nothing.
"""

from connections.errors import ConfigurationError
from connections.oidc.models import ClientAuthMethod

SECRET_METHODS = tuple(ClientAuthMethod.values)


def supported(document: dict) -> list[str] | None:
    """The document's token_endpoint_auth_methods_supported, or None when it says nothing."""
    methods = document.get("token_endpoint_auth_methods_supported")
    return list(methods) if isinstance(methods, list) and methods else None


def choose(document: dict) -> str:
    """client_secret_basic when listed or when nothing is listed, else client_secret_post."""
    methods = supported(document)
    if methods is None or ClientAuthMethod.BASIC in methods:
        return ClientAuthMethod.BASIC
    if ClientAuthMethod.POST in methods:
        return ClientAuthMethod.POST
    raise ConfigurationError(
        f"The provider's discovery document allows only {', '.join(methods)} at its token endpoint "
        "(token_endpoint_auth_methods_supported). KloudSSO authenticates with the client secret, sent with "
        "client_secret_basic or client_secret_post: allow one of them for this client at the IdP.",
        "no_secret_auth_method",
    )


def check(method: str, document: dict) -> None:
    """An owner's explicit choice must be one the provider allows, when it says which it allows."""
    methods = supported(document)
    if methods is not None and method not in methods:
        allowed = [m for m in methods if m in SECRET_METHODS]
        raise ConfigurationError(
            f"The provider's discovery document allows only {', '.join(allowed or methods)} at its token "
            f"endpoint, not {method}. Choose Automatic, or one it allows.",
            "auth_method_not_allowed",
        )


def describe(document: dict) -> str:
    """What the owner is shown next to the choice."""
    methods = supported(document)
    if methods is None:
        return (
            "The provider's discovery document does not list its methods; the standard's default is "
            "client_secret_basic."
        )
    return f"The provider's discovery document allows: {', '.join(methods)}."
