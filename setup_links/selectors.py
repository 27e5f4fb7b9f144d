from django.shortcuts import get_object_or_404

from setup_links.models import SetupLink
from setup_links.tokens import looks_like_a_token, token_sha256


def setup_link_list(*, org) -> list[SetupLink]:
    return list(SetupLink.objects.filter(organization=org).select_related("connection", "created_by"))


def setup_link_get(*, org, public_id) -> SetupLink:
    """The owners' access helper: another organization's link is a 404."""
    return get_object_or_404(SetupLink.objects.select_related("connection"), organization=org, public_id=public_id)


def setup_link_for_token(*, token: str) -> SetupLink | None:
    """The link a token opens, whatever its status; None for anything else. One indexed lookup by the token's
    hash: what a guess costs and how long it takes say nothing about the stored tokens."""
    if not looks_like_a_token(token):
        return None
    return SetupLink.objects.select_related("organization").filter(token_sha256=token_sha256(token)).first()
