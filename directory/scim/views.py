"""The SCIM 2.0 endpoints under /scim/v2/<directory public id>/ (RFC 7644 §3), thin: scim/users.py and
scim/groups.py change things, scim/endpoint.py authenticates and answers errors."""

import uuid

from django.http import HttpResponse
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    ResponseParameters,
    SCIMException,
)

from directory import selectors
from directory.models import SCIMGroupMember
from directory.scim import filters, groups, plan, users
from directory.scim.endpoint import scim_endpoint
from directory.scim.errors import scim_json
from directory.scim.schema import CONFIG, MAX_COUNT, PROVIDER, SCHEMAS, GroupModel, UserModel

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
NO_CONTENT = 204


def _not_found(kind: str, resource_id: str):
    return NotFoundException(detail=f"No {kind} has the id {resource_id[:100]} in this directory.")


class MethodNotAllowed(SCIMException):
    status = 405
    _default_detail = "This method is not supported on this endpoint."


def _not_allowed(request):
    return MethodNotAllowed(detail=f"{request.method} is not supported on this endpoint.")


def _query(request, call) -> dict:
    """A list's parameters: the query string of a GET, or the SearchRequest of a POST to .search (RFC 7644 §3.4.3)."""
    if request.method == "GET":
        return {k: request.GET.get(k) for k in ("filter", "startIndex", "count", "attributes", "excludedAttributes")}
    if call.body is not None and not isinstance(call.body, dict):
        raise InvalidSyntaxException(detail="A search's body is a SearchRequest, a JSON object (or nothing).")
    body = call.body or {}
    query = {k: body.get(k) for k in ("filter", "startIndex", "count", "attributes", "excludedAttributes")}
    for key in ("attributes", "excludedAttributes"):
        if isinstance(query[key], list):
            query[key] = ",".join(str(a) for a in query[key])
    if query["filter"] is not None and not isinstance(query["filter"], str):
        raise InvalidValueException(detail="A search's filter is a string.")
    return query


def _parameters(query: dict, model):
    return ResponseParameters[model].model_validate(
        {"attributes": query.get("attributes") or None, "excludedAttributes": query.get("excludedAttributes") or None}
    )


def _names(value) -> set:
    return {a.strip().lower() for a in str(value or "").split(",") if a.strip()}


def _excludes_members(query: dict) -> bool:
    attributes = _names(query.get("attributes"))
    return "members" in _names(query.get("excludedAttributes")) or bool(attributes and "members" not in attributes)


MAX_START = 2**31  # far beyond any directory's size; a larger startIndex is lowered to it (an OFFSET PostgreSQL takes)


def _page(query: dict) -> tuple[int, int]:
    """startIndex is 1-based: below 1 counts as 1, above MAX_START as MAX_START; a count below 0 counts as 0, above
    MAX_COUNT as MAX_COUNT."""
    try:
        start = int(query.get("startIndex") or 1)
        count = int(query.get("count") if query.get("count") not in (None, "") else MAX_COUNT)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON body's 1e999 is infinity
        raise InvalidValueException(detail="startIndex and count are integers.") from None
    return min(max(start, 1), MAX_START), min(max(count, 0), MAX_COUNT)


def _list(resources: list, total: int, start: int) -> dict:
    return {
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@scim_endpoint
def users_collection(request, call):
    if request.method == "POST":
        call.resource_kind = "User"
        call.resource_label = _named(call.body, "userName")  # logged even if the creation is refused
        scim_user = users.user_create(directory=call.directory, body=call.body, base_url=call.base_url)
        call.resource_label = scim_user.user_name
        body = users.user_resource(scim_user, base_url=call.base_url)
        return scim_json(body, status=201, headers={"Location": body["meta"]["location"]})
    if request.method != "GET":
        raise _not_allowed(request)
    return _users_list(call, _query(request, call))


@scim_endpoint
def users_search(request, call):
    if request.method != "POST":
        raise _not_allowed(request)
    return _users_list(call, _query(request, call))


def _users_list(call, query: dict):
    parameters = _parameters(query, UserModel)
    start, count = _page(query)
    found = selectors.scim_user_list(directory=call.directory)
    if query.get("filter"):
        found = found.filter(filters.filter_q(query["filter"], on=filters.USERS))
    # Three statements whatever the page holds: the total, the page, and its users' group memberships.
    total = found.count()
    page = _slice(found, start - 1, count, total)
    return scim_json(_list(_user_resources(call, page, parameters), total, start))


def _slice(found, offset: int, count: int, total: int) -> list:
    return list(found[offset : offset + count]) if count and offset < total else []


def _user_resources(call, page: list, parameters) -> list[dict]:
    memberships = _groups_of(page)
    return [
        users.user_resource(u, base_url=call.base_url, groups=memberships.get(u.pk), parameters=parameters)
        for u in page
    ]


def _groups_of(page) -> dict:
    groups_of = {}
    if page:
        rows = SCIMGroupMember.objects.filter(user__in=page).select_related("group").order_by("group_id")
        for row in rows:
            groups_of.setdefault(row.user_id, []).append(row.group)
    return groups_of


@scim_endpoint
def user_item(request, call, resource_id: str):
    call.resource_kind = "User"
    scim_user = selectors.scim_user_get(directory=call.directory, public_id=_uuid(resource_id))
    if scim_user is None:
        raise _not_found("user", resource_id)
    call.resource_label = scim_user.user_name
    if request.method == "DELETE":
        users.user_delete(scim_user=scim_user)
        return _no_content()
    if request.method not in ("GET", "PUT", "PATCH"):
        raise _not_allowed(request)
    # Read before any change: a PUT or PATCH refused for its attributes parameter has changed nothing.
    parameters = _parameters({k: request.GET.get(k) for k in ("attributes", "excludedAttributes")}, UserModel)
    if request.method == "PUT":
        scim_user = users.user_replace(scim_user=scim_user, body=call.body, base_url=call.base_url)
    elif request.method == "PATCH":
        scim_user = users.user_patch(scim_user=scim_user, body=call.body, base_url=call.base_url)
    call.resource_label = scim_user.user_name
    body = users.user_resource(
        scim_user, base_url=call.base_url, groups=_groups_of([scim_user]).get(scim_user.pk), parameters=parameters
    )
    return scim_json(body)


@scim_endpoint
def groups_collection(request, call):
    if request.method == "POST":
        call.resource_kind = "Group"
        call.resource_label = _named(call.body, "displayName")
        plan.provisioning_check(directory=call.directory, refused=f"creating the group {call.resource_label}".strip())
        group = groups.group_create(directory=call.directory, body=call.body)
        call.resource_label = group.display_name
        body = groups.group_resource(group, base_url=call.base_url, members=_members_of([group]).get(group.pk))
        return scim_json(body, status=201, headers={"Location": body["meta"]["location"]})
    if request.method != "GET":
        raise _not_allowed(request)
    return _groups_list(call, _query(request, call))


@scim_endpoint
def groups_search(request, call):
    if request.method != "POST":
        raise _not_allowed(request)
    return _groups_list(call, _query(request, call))


def _groups_list(call, query: dict):
    parameters = _parameters(query, GroupModel)
    start, count = _page(query)
    found = selectors.scim_group_list(directory=call.directory)
    if query.get("filter"):
        found = found.filter(filters.filter_q(query["filter"], on=filters.GROUPS))
    total = found.count()
    page = _slice(found, start - 1, count, total)
    return scim_json(_list(_group_resources(call, page, query, parameters), total, start))


def _group_resources(call, page: list, query: dict, parameters) -> list[dict]:
    members = {} if _excludes_members(query) else _members_of(page)
    return [
        groups.group_resource(g, base_url=call.base_url, members=members.get(g.pk), parameters=parameters) for g in page
    ]


def _members_of(page) -> dict:
    members = {}
    if page:
        # Only what a member's entry says: a group may hold thousands, and each user's stored resource up to 64 KB.
        rows = SCIMGroupMember.objects.filter(group__in=page).select_related("user").order_by("pk")
        rows = rows.only("group", "display", "user__public_id", "user__display_name", "user__user_name")
        for row in rows:
            members.setdefault(row.group_id, []).append(row)
    return members


@scim_endpoint
def group_item(request, call, resource_id: str):
    call.resource_kind = "Group"
    group = selectors.scim_group_get(directory=call.directory, public_id=_uuid(resource_id))
    if group is None:
        raise _not_found("group", resource_id)
    call.resource_label = group.display_name
    if request.method in ("PUT", "PATCH", "DELETE"):
        # A group gives its members their roles: on the Free plan none of its writes apply, deletion included.
        plan.provisioning_check(directory=call.directory, refused=_group_write(request.method, group))
    if request.method == "DELETE":
        groups.group_delete(group=group)
        return _no_content()
    if request.method not in ("GET", "PUT", "PATCH"):
        raise _not_allowed(request)
    # attributes and excludedAttributes hold for a PUT's and a PATCH's answer too (RFC 7644 §3.5.2); read before any
    # change, so that a PUT or PATCH refused for them has changed nothing.
    query = {k: request.GET.get(k) for k in ("attributes", "excludedAttributes")}
    parameters = _parameters(query, GroupModel)
    if request.method == "PUT":
        group = groups.group_replace(group=group, body=call.body)
    elif request.method == "PATCH":
        group = groups.group_patch(group=group, body=call.body)
    call.resource_label = group.display_name
    if request.method == "PATCH" and not any(query.values()):
        # 204 (RFC 7644 §3.5.2 allows it), as Entra's tutorial shows and Okta's reference allows: a PATCH adding one
        # member to a group of thousands does not send them all back. A client that asks for attributes gets the group.
        return _no_content()
    members = {} if _excludes_members(query) else _members_of([group])
    return scim_json(
        groups.group_resource(group, base_url=call.base_url, members=members.get(group.pk), parameters=parameters)
    )


def _group_write(method: str, group) -> str:
    return (
        f"deleting the group {group.display_name}"
        if method == "DELETE"
        else f"this change to the group {group.display_name}"
    )


@scim_endpoint
def service_provider_config(request, call):
    if request.method != "GET":
        raise _not_allowed(request)
    body = CONFIG.model_dump(mode="json", scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    body["meta"] = {"resourceType": "ServiceProviderConfig", "location": f"{call.base_url}/ServiceProviderConfig"}
    return scim_json(body)


def _resource_type(resource_type, base_url: str) -> dict:
    body = resource_type.model_dump(mode="json", scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    body["meta"] = {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{resource_type.id}"}
    return body


def _schema(schema, base_url: str) -> dict:
    body = schema.model_dump(mode="json", scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    body["meta"] = {"resourceType": "Schema", "location": f"{base_url}/Schemas/{schema.id}"}
    return body


@scim_endpoint
def resource_types(request, call, resource_id: str | None = None):
    if request.method != "GET":
        raise _not_allowed(request)
    found = [_resource_type(r, call.base_url) for r in PROVIDER.resource_types]
    if resource_id is None:
        return scim_json(_list(found, len(found), 1))
    body = next((r for r in found if r["id"] == resource_id), None)
    if body is None:
        raise _not_found("resource type", resource_id)
    return scim_json(body)


@scim_endpoint
def schemas(request, call, resource_id: str | None = None):
    if request.method != "GET":
        raise _not_allowed(request)
    found = [_schema(s, call.base_url) for s in SCHEMAS]
    if resource_id is None:
        return scim_json(_list(found, len(found), 1))
    body = next((s for s in found if s["id"].lower() == resource_id.lower()), None)
    if body is None:
        raise _not_found("schema", resource_id)
    return scim_json(body)


@scim_endpoint
def root_search(request, call):
    """A search at the root (RFC 7644 §3.4.3): this directory's Users, then its Groups, that match the filter, as one
    list paginated across both."""
    if request.method != "POST":
        raise _not_allowed(request)
    query = _query(request, call)
    user_parameters, group_parameters = _parameters(query, UserModel), _parameters(query, GroupModel)
    start, count = _page(query)
    found_users = selectors.scim_user_list(directory=call.directory)
    found_groups = selectors.scim_group_list(directory=call.directory)
    if query.get("filter"):
        user_q, group_q = filters.root_filter_q(query["filter"])
        found_users, found_groups = found_users.filter(user_q), found_groups.filter(group_q)
    # Six statements whatever the page holds: each type's total, then its part of the page and, as on its own
    # endpoint, the users' group memberships and the groups' members (fewer when a part is empty).
    totals = [found_users.count(), found_groups.count()]
    (user_offset, user_count), (group_offset, group_count) = _spans(start, count, totals)
    user_page = _slice(found_users, user_offset, user_count, totals[0])
    group_page = _slice(found_groups, group_offset, group_count, totals[1])
    resources = _user_resources(call, user_page, user_parameters)
    resources += _group_resources(call, group_page, query, group_parameters)
    return scim_json(_list(resources, sum(totals), start))


def _spans(start: int, count: int, totals: list[int]) -> list[tuple[int, int]]:
    """For the page of `count` from the 1-based `start` of several lists one after the other: (offset, count) in
    each list."""
    spans, skip, left = [], start - 1, count
    for total in totals:
        take = min(left, max(total - skip, 0))
        spans.append((min(skip, total), take))
        skip, left = max(skip - total, 0), left - take
    return spans


@scim_endpoint
def unknown(request, call, rest: str = ""):
    raise NotFoundException(detail=f"This SCIM service has no endpoint /{rest[:100]}.")


def _named(body, key: str) -> str:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def _no_content():
    return HttpResponse(status=NO_CONTENT)


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
