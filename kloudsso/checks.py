from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """In production the cache must be shared: several app servers keep SAML stashes, rate limits and JWKS there."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache"):
        return [
            Warning(
                "CACHE_URL is local memory, which each app server process keeps to itself.",
                hint="Set CACHE_URL to a shared cache such as redis://127.0.0.1:6379/0.",
                id="kloudsso.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def proxy_client_address(app_configs, **kwargs):
    """A proxy is declared (TRUST_X_FORWARDED_PROTO) but not the header with the client's address: every request
    then seems to come from the proxy, so all users share one count of wrong passwords per address."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.CLIENT_IP_HEADER:
        return [
            Warning(
                "TRUST_X_FORWARDED_PROTO is on, so requests come through a proxy, but CLIENT_IP_HEADER is empty: "
                "every request seems to come from the proxy's address.",
                hint=(
                    "Set CLIENT_IP_HEADER to the header the proxy sets with the client's address, e.g. "
                    "HTTP_X_FORWARDED_FOR. Until then PASSWORD_THROTTLE_IP_FAILURES wrong passwords from anyone "
                    "make every browser that is not a known device wait, and sign-in events record the proxy."
                ),
                id="kloudsso.W002",
            )
        ]
    return []


# Backends with which no mail leaves this server.
_NOT_SENDING = ("console.EmailBackend", "locmem.EmailBackend", "dummy.EmailBackend", "filebased.EmailBackend")


@register(Tags.security, deploy=True)
def mail_is_delivered(app_configs, **kwargs):
    """Owners learn of a domain about to stop counting, and other security alerts, by mail only."""
    if not settings.EMAIL_URL_IS_SET:
        problem = "EMAIL_URL is not set: mail goes to an SMTP server on localhost:25, which may not exist."
    elif settings.EMAIL_BACKEND.endswith(_NOT_SENDING):
        problem = "EMAIL_URL does not send mail: notifications and security alerts reach nobody."
    else:
        return []
    return [
        Warning(
            problem,
            hint="Set EMAIL_URL to your mail relay, e.g. smtp+tls://user:password@mail.example.com:587.",
            id="kloudsso.W003",
        )
    ]
