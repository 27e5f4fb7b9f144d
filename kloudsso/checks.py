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
