"""A SCIM filter, parsed by scim2-models, as a Django Q on the columns the directory keeps: never SQL text.

Attributes are matched case-insensitively (RFC 7644 §3.4.2.2), values case-insensitively unless the attribute is
caseExact (id, externalId). What has no column here (a phone number, an address) is an invalidFilter error that says
which attributes can be filtered on, rather than a silently empty list. A search at the root covers Users and Groups
(root_filter_q): there an attribute only one of them has is false on the other's resources.
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


_FALSE = Q(pk__in=[])  # matches no row


def filter_q(text: str, *, columns: dict) -> Q:
    return _ToQ(columns).visit(_parsed(text))


def root_filter_q(text: str) -> tuple[Q, Q]:
    """The filter of a search at the root (RFC 7644 §3.4.3) as a Q on Users and a Q on Groups.

    A comparison on an attribute one type cannot be filtered on is false for that type's resources (RFC 7644
    §3.4.2.1), so `userName eq "x"` finds no group; an attribute neither can be filtered on is an invalidFilter error.
    """
    ast = _parsed(text)
    users, groups = _ToQ(USER_COLUMNS, lacking_is_false=True), _ToQ(GROUP_COLUMNS, lacking_is_false=True)
    user_q, group_q = users.visit(ast), groups.visit(ast)
    neither = [name for name in users.lacking if name in groups.lacking]
    if neither:
        known = ", ".join(sorted({"id", *USER_COLUMNS, *GROUP_COLUMNS}))
        raise InvalidFilterException(
            detail=f"Filtering on {users.lacking[neither[0]]} is not supported on Users or Groups; filter on: {known}."
        )
    return user_q, group_q


def _parsed(text: str):
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"A filter has at most {MAX_FILTER_LENGTH} characters.")
    return ScimFilter(quirks.filter_text(text)).ast


class _ToQ(FilterVisitor[Q]):
    """One resource type's filter as a Q. With lacking_is_false, an attribute without a column here is a false
    comparison rather than an error, and is kept in `lacking` (its dotted lower-cased name -> as the client wrote
    it)."""

    def __init__(self, columns: dict, *, prefix: str = "", lacking_is_false: bool = False, lacking=None):
        self.columns, self.prefix, self.lacking_is_false = columns, prefix, lacking_is_false
        self.lacking = {} if lacking is None else lacking

    def _column(self, attr_path) -> tuple[str, bool] | None:
        name = str(attr_path).lower()
        for urn in ("urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"):
            name = name.removeprefix(urn)
        name = self.prefix + name
        if name == "id":
            return "public_id", True
        if name in self.columns:
            return self.columns[name]
        if self.lacking_is_false:
            self.lacking.setdefault(name, f"{self.prefix}{attr_path}")
            return None
        known = ", ".join(sorted({"id", *self.columns}))
        raise InvalidFilterException(
            detail=f"Filtering on {self.prefix}{attr_path} is not supported; filter on: {known}."
        )

    def visit_comparison(self, node) -> Q:
        found = self._column(node.attr_path)
        if found is None:
            return _FALSE
        column, case_exact = found
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
            q = _FALSE  # an id we never gave out matches nothing
        return ~q if op == CompareOperator.ne else q

    def visit_present(self, node) -> Q:
        found = self._column(node.attr_path)
        if found is None:
            return _FALSE
        column = found[0]
        if column in ("public_id", "active", "user_name_key", "display_name_key"):
            return Q()
        return ~Q(**{column: ""})

    def visit_not(self, node) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node) -> Q:
        q = Q() if node.op == LogicalOperator.and_ else _FALSE
        for term in node.terms:
            q = (q & self.visit(term)) if node.op == LogicalOperator.and_ else (q | self.visit(term))
        return q

    def visit_value_path(self, node) -> Q:
        # emails[value eq "x"]: the sub-filter on the columns of that attribute's sub-attributes (emails.value).
        inner = _ToQ(
            self.columns,
            prefix=f"{self.prefix}{node.attr_path.attr.lower()}.",
            lacking_is_false=self.lacking_is_false,
            lacking=self.lacking,
        )
        prefix = node.attr_path.attr.lower()
        return inner.visit(_without_work_type(node.val_filter) if prefix == "emails" else node.val_filter)


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
