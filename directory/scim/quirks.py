"""What real IdPs send, turned into the RFC shapes scim2-models validates, before validation.

Each rule names the IdP that sends the shape (Microsoft's "SCIM 2.0 protocol compliance" notes and SCIM endpoint
tutorial, Okta's SCIM 2.0 reference and test specification; tests/test_scim_documented.py sends their bodies). The
library itself already takes Entra's title-case op ("Replace"), its remove of group members by a value list and its
replace of a missing emails[type eq "work"].value (schema.POLICY).
"""

import re

from scim2_models import EnterpriseUser, Group, InvalidSyntaxException, InvalidValueException, User

ENTERPRISE = str(EnterpriseUser.__schema__)
USER = str(User.__schema__)
GROUP = str(Group.__schema__)
# The enterprise extension's attributes (manager, department...), none of which the core User schema has: an
# unqualified one can only mean the extension's. Entra's tutorial sends {"op": "Add", "path": "manager", ...} and a
# POST with a top-level "manager"; unqualified, the library would drop them as unknown.
ENTERPRISE_NAMES = {
    (field.serialization_alias or name).lower() for name, field in EnterpriseUser.model_fields.items()
} - {"schemas"}
# Read-only attributes a client echoes back (Okta's PUT sends the whole resource, id and meta and groups included):
# ignored, as RFC 7643 §2.2 has a service do with readOnly values it is sent.
READ_ONLY = {"id", "meta", "groups"}
_BOOLEANS = {"true": True, "false": False}
# Operations in one PATCH. IdPs send a few (a group's thousands of members go in one); each is applied in turn, so a
# megabyte of them (some 15,000) would hold a worker, and a group's transaction, for many seconds.
MAX_OPERATIONS = 1000


def resource_payload(body, *, kind: str, base_url: str = "") -> dict:
    """A POST or PUT body: a JSON object, with only the schemas we serve, and Entra's values in RFC types."""
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="The request body must be a JSON object.")
    core = USER if kind == "User" else GROUP
    known = {core.lower(), ENTERPRISE.lower()} if kind == "User" else {core.lower()}
    payload = {k: v for k, v in body.items() if k.lower() not in READ_ONLY}
    # Entra's group carries a Microsoft schema URN of its own; a client may forget the core one.
    schemas = [s for s in (payload.get("schemas") or []) if isinstance(s, str) and s.lower() in known]
    if core.lower() not in {s.lower() for s in schemas}:
        schemas.insert(0, core)
    payload["schemas"] = schemas
    _unstring_booleans(payload)
    if kind == "User":
        _qualify_enterprise_keys(payload, drop_null=True)
    for key in list(payload):
        if key.lower() == ENTERPRISE.lower() and isinstance(payload[key], dict):
            payload[key] = {**payload[key]}
            for sub in list(payload[key]):
                if sub.lower() == "manager":
                    payload[key][sub] = manager_value(payload[key][sub], base_url)
        elif key.lower().startswith(ENTERPRISE.lower() + ":"):
            # A flattened extension attribute ("urn:...:User:department": "x"), as Entra's mappings may send.
            sub = key[len(ENTERPRISE) + 1 :]
            value = payload.pop(key)
            ext = payload.setdefault(ENTERPRISE, {})
            ext[sub] = manager_value(value, base_url) if sub.lower() == "manager" else value
            if ENTERPRISE not in payload["schemas"]:
                payload["schemas"].append(ENTERPRISE)
    if kind == "User" and ENTERPRISE in payload and ENTERPRISE not in payload["schemas"]:
        payload["schemas"].append(ENTERPRISE)
    return payload


def _qualify_enterprise_keys(obj: dict, *, drop_null: bool = False) -> None:
    """A top-level "manager" or "department" as the flattened extension attribute it stands for. In a resource, a
    null one (Entra's tutorial POSTs "manager": null) is absent; in a PATCH value it clears the attribute."""
    for key in list(obj):
        if isinstance(key, str) and key.lower() in ENTERPRISE_NAMES:
            value = obj.pop(key)
            if value is not None or not drop_null:
                obj[f"{ENTERPRISE}:{key}"] = value


def _qualified_path(path: str) -> str:
    head = re.split(r"[.\[]", path, maxsplit=1)[0].lower()
    return f"{ENTERPRISE}:{path}" if head in ENTERPRISE_NAMES else path


def manager_value(value, base_url: str):
    """Entra sends the manager as its id alone, or as a list of one {"value": id}; RFC 7643 §4.3 as an object,
    whose $ref (required by the schema) is the manager's location here."""
    if isinstance(value, str):
        value = {"value": value} if value else None
    elif isinstance(value, list):
        value = value[0] if len(value) == 1 and isinstance(value[0], dict) else None
    if isinstance(value, dict) and isinstance(value.get("value"), str) and not value.get("$ref"):
        value = {**value, "$ref": f"{base_url}/Users/{value['value']}"}
    return value


def patch_payload(body, *, resource_id: str, base_url: str = "", kind: str = "User") -> dict:
    """A PATCH body with Entra's "False" strings and bare managers, and Okta's rename carrying the group's id."""
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="The request body must be a JSON object.")
    operations = next((body[k] for k in body if isinstance(k, str) and k.lower() == "operations"), None)
    if not isinstance(operations, list):
        raise InvalidSyntaxException(detail="A PATCH request holds an Operations list.")
    if len(operations) > MAX_OPERATIONS:
        raise InvalidValueException(
            detail=f"A PATCH request holds at most {MAX_OPERATIONS} operations here; this one has "
            f"{len(operations)}. Send the rest in another request."
        )
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [split for op in operations for split in _split(_operation(op, base_url, kind))],
    }


def _split(operation: dict) -> list[dict]:
    """A no-path value object whose keys are filtered paths (Entra: {'emails[type eq "work"].value': ...}) as one
    operation per such key, with the key as its path: the library reads a value's keys as plain attribute paths."""
    value = operation.get("value")
    if operation.get("path") is not None or not isinstance(value, dict):
        return [operation]
    filtered = {k: v for k, v in value.items() if isinstance(k, str) and "[" in k}
    if not filtered:
        return [operation]
    rest = {k: v for k, v in value.items() if k not in filtered}
    split = [{**operation, "path": key, "value": v} for key, v in filtered.items()]
    return ([{**operation, "value": rest}] if rest else []) + split


def _operation(operation, base_url: str, kind: str):
    if not isinstance(operation, dict):
        raise InvalidSyntaxException(detail="Each PATCH operation is a JSON object.")
    operation = {k.lower() if isinstance(k, str) else k: v for k, v in operation.items()}
    path, value = operation.get("path"), operation.get("value")
    if isinstance(path, str):
        if kind == "User":
            path = operation["path"] = _qualified_path(path)
        name = path.rsplit(":", 1)[-1].lower() if path.lower().startswith("urn:") else path.lower()
        if name == "active" and isinstance(value, str):
            operation["value"] = _BOOLEANS.get(value.lower(), value)
        elif name == "manager":
            operation["value"] = manager_value(value, base_url)
        elif isinstance(value, dict):
            operation["value"] = {**value}
            _unstring_booleans(operation["value"])
    elif path is None and isinstance(value, dict):
        value = {k: v for k, v in value.items() if not (isinstance(k, str) and k.lower() in {"id", "meta", "schemas"})}
        _unstring_booleans(value)
        if kind == "User":
            _qualify_enterprise_keys(value)
        for key in list(value):
            if isinstance(key, str) and key.lower().endswith(":manager"):
                value[key] = manager_value(value[key], base_url)
            elif isinstance(key, str) and key.lower() == ENTERPRISE.lower() and isinstance(value[key], dict):
                value[key] = {
                    k: manager_value(v, base_url) if k.lower() == "manager" else v for k, v in value[key].items()
                }
        operation["value"] = value
    return operation


def _unstring_booleans(obj: dict) -> None:
    """Entra sends "active": "False" and "primary": "True"."""
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() in {"active", "primary"} and isinstance(value, str):
            obj[key] = _BOOLEANS.get(value.lower(), value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _unstring_booleans(item)


# attribute eq bareword: Entra's tutorial queries "externalId eq jyoung", its value unquoted; no valid filter has a
# bare word there (only true, false, null and numbers), so quoting it changes the meaning of none.
_BARE_VALUE = re.compile(r"^\s*(?P<attr>[A-Za-z][\w.:$-]*)\s+(?P<op>eq)\s+(?P<value>[^\s\"\\()\[\]]+)\s*$", re.I)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def filter_text(text: str) -> str:
    matched = _BARE_VALUE.match(text)
    if matched is None:
        return text
    value = matched["value"]
    if value.lower() in {"true", "false", "null"} or _NUMBER.match(value):
        return text
    return f'{matched["attr"]} {matched["op"]} "{value}"'
