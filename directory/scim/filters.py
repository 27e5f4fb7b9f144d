"""A SCIM filter, parsed by scim2-models, as a Django Q on the columns the directory keeps: never SQL text.

Attributes are matched case-insensitively (RFC 7644 §3.4.2.2), values case-insensitively unless the attribute is
caseExact (id, externalId). What has no column here (a phone number, an address) is an invalidFilter error that says
which attributes can be filtered on, rather than a silently empty list.
"""

import uuid

from django.db.models import Q
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import FilterVisitor
from scim2_models.path.expressions import CompareOperator, Comparison, LogicalExpr, LogicalOperator

from directory.scim import quirks

MAX_FILTER_LENGTH = 2000

# SCIM attribute (lower-cased, dotted) -> (column, case-exact); id -> public_id is handled apart (a UUID).
USER_COLUMNS = {
    "username": ("user_name_key", False),
    "externalid": ("external_id", True),
    "emails": ("email", False),
    "emails.value": ("email", False),
    "displayname": ("display_name", False),
    "active": ("active", True),
}
GROUP_COLUMNS = {
    "displayname": ("display_name_key", False),
    "externalid": ("external_id", True),
}
_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}


def filter_q(text: str, *, columns: dict) -> Q:
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"A filter has at most {MAX_FILTER_LENGTH} characters.")
    return _ToQ(columns).visit(ScimFilter(quirks.filter_text(text)).ast)


class _ToQ(FilterVisitor[Q]):
    def __init__(self, columns: dict):
        self.columns = columns

    def _column(self, attr_path) -> tuple[str, bool]:
        name = str(attr_path).lower()
        for prefix in ("urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"):
            name = name.removeprefix(prefix)
        if name == "id":
            return "public_id", True
        if name not in self.columns:
            known = ", ".join(sorted({"id", *self.columns}))
            raise InvalidFilterException(detail=f"Filtering on {attr_path} is not supported; filter on: {known}.")
        return self.columns[name]

    def visit_comparison(self, node) -> Q:
        column, case_exact = self._column(node.attr_path)
        value = node.value
        if column == "public_id":
            return self._id(node.op, value)
        if column == "active":
            if node.op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
                raise InvalidFilterException(detail="active is compared with eq or ne and true or false.")
            q = Q(active=value)
            return ~q if node.op == CompareOperator.ne else q
        if not isinstance(value, str):
            raise InvalidFilterException(detail=f"{node.attr_path} is compared with a string.")
        if node.op == CompareOperator.ne:
            return ~self._match(column, case_exact, "exact", value)
        if node.op not in _LOOKUPS:
            raise InvalidFilterException(detail=f"{node.op.value} is not supported on {node.attr_path}.")
        return self._match(column, case_exact, _LOOKUPS[node.op], value)

    @staticmethod
    def _match(column: str, case_exact: bool, lookup: str, value: str) -> Q:
        if column.endswith("_key"):  # kept lower-cased
            value = value.lower()
        elif not case_exact:
            lookup = "i" + lookup
        return Q(**{f"{column}__{lookup}": value})

    @staticmethod
    def _id(op, value) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="id is compared with eq or ne.")
        try:
            q = Q(public_id=uuid.UUID(str(value)))
        except ValueError:
            q = Q(pk__in=[])  # an id we never gave out matches nothing
        return ~q if op == CompareOperator.ne else q

    def visit_present(self, node) -> Q:
        column, _ = self._column(node.attr_path)
        if column in ("public_id", "active", "user_name_key", "display_name_key"):
            return Q()
        return ~Q(**{column: ""})

    def visit_not(self, node) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node) -> Q:
        q = Q() if node.op == LogicalOperator.and_ else Q(pk__in=[])
        for term in node.terms:
            q = (q & self.visit(term)) if node.op == LogicalOperator.and_ else (q | self.visit(term))
        return q

    def visit_value_path(self, node) -> Q:
        # emails[value eq "x"]: the sub-filter on the columns of that attribute's sub-attributes.
        prefix = f"{node.attr_path.attr.lower()}."
        sub = {k.removeprefix(prefix): v for k, v in self.columns.items() if k.startswith(prefix)}
        val_filter = _without_work_type(node.val_filter) if prefix == "emails." else node.val_filter
        return _ToQ(sub).visit(val_filter)


def _without_work_type(node):
    """emails[type eq "work"].value eq "x" (the library reads it as emails[type eq "work" and value eq "x"]), Entra's
    query by the work email it matches users on, as emails.value eq "x": the email column holds the work email when
    no other is marked primary, and Entra sends one email, work and primary. The type term alone still selects
    nothing we can answer."""
    if not (isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_):
        return node
    kept = tuple(term for term in node.terms if not _is_work_type(term))
    if not kept or len(kept) == len(node.terms):
        return node
    return kept[0] if len(kept) == 1 else LogicalExpr(op=node.op, terms=kept)


def _is_work_type(term) -> bool:
    return (
        isinstance(term, Comparison)
        and term.attr_path.attr.lower() == "type"
        and term.op == CompareOperator.eq
        and isinstance(term.value, str)
        and term.value.lower() == "work"
    )
