"""A SCIM directory of Acme with its token, and a client that speaks to it the way IdPs do."""

import json

from directory.services import directory_create
from domains.models import Domain
from kloudsso.audit.record import SYSTEM

CONTENT_TYPE = "application/scim+json"


def patch(*operations) -> dict:
    """A SCIM PatchOp message (RFC 7644 §3.5.2) of these operations."""
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}


def verified_domain(org, name: str) -> Domain:
    from django.utils import timezone

    return Domain.objects.create(organization=org, name=name, status="verified", verified_at=timezone.now())


def assert_no_content(response) -> None:
    """204 No Content: the status and no body at all (a group PATCH answers so unless asked for attributes)."""
    assert response.status_code == 204, response.content
    assert response.content == b""


def scim_directory(org, *, name: str = "Entra ID", idp_kind: str = "entra"):
    directory, token = directory_create(org=org, actor=SYSTEM, display_name=name, idp_kind=idp_kind)
    return directory, token


class SCIMClient:
    """Django's test client with the directory's bearer token and SCIM's content type."""

    def __init__(self, client, directory, token: str):
        self.client, self.token, self.directory = client, token, directory
        self.base = f"/scim/v2/{directory.public_id}"

    def _call(self, method: str, path: str, body=None, **extra):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = CONTENT_TYPE
        return getattr(self.client, method)(self.base + path, **kwargs)

    def get(self, path, **extra):
        return self._call("get", path, **extra)

    def post(self, path, body, **extra):
        return self._call("post", path, body, **extra)

    def put(self, path, body, **extra):
        return self._call("put", path, body, **extra)

    def patch(self, path, body, **extra):
        return self._call("patch", path, body, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, **extra)
