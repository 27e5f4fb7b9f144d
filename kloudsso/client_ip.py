from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind a trusted proxy, the last address that proxy appended to
    CLIENT_IP_HEADER (e.g. X-Forwarded-For). Earlier entries are whatever the client claimed, so they are ignored."""
    header = settings.CLIENT_IP_HEADER
    if header:
        value = request.META.get(header, "")
        if value:
            return value.split(",")[-1].strip()[:45] or None
    return request.META.get("REMOTE_ADDR") or None
