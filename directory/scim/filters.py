"""A SCIM filter, parsed by scim2-models, as a Django Q on the columns the directory keeps: never SQL text.

Attributes are matched case-insensitively (RFC 7644 §3.4.2.2), values case-insensitively unless the attribute is
caseExact (id, externalId). What has no column here (a phone number, an address) is an invalidFilter error that says
which attributes can be filtered on, rather than a silently empty list. A search at the root covers Users and Groups
(root_filter_q): there an attribute only one of them has is false on the other's resources.

A multi-valued attribute (emails) is kept as rows of its own: a filter on it is an Exists() over the rows of the
resource at hand, correlated on its primary key, so it can only ever find values of a user the outer query (scoped
to the directory) already holds. It matches when one value matches, as scim2-models' own evaluator reads the RFC:
`emails.value ne "x"` when no value is x, and inside brackets every condition holds for the same value.
"""

import uuid
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import FilterVisitor
from scim2_models.path.expressions import CompareOperator, LogicalOperator

from directory.models import SCIMUserEmail
from directory.scim import quirks
from directory.scim.text import unstorable

MAX_FILTER_LENGTH = 2000
CORE_URNS = ("urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:")

_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}


@dataclass(frozen=True)
class MultiValued:
    """A multi-valued complex attribute kept as rows: its sub-attributes' columns, lower-cased strings or a boolean."""

    rows: type
    owner: str  # the rows' foreign key to the resource
    strings: tuple[str, ...]
    booleans: tuple[str, ...] = ()
    columns: dict = field(default_factory=dict)  # sub-attribute (lower-cased) -> column, when the names differ

    def column(self, sub: str) -> str:
        return self.columns.get(sub, sub)

    def names(self) -> tuple[str, ...]:
        return self.strings + self.booleans

    def exists(self, q: Q) -> Exists:
        return Exists(self.rows.objects.filter(**{self.owner: OuterRef("pk")}).filter(q))


@dataclass(frozen=True)
class Filterable:
    """What a resource type can be filtered on: attribute (lower-cased) -> (column, case-exact), and its rows."""

    columns: dict
    multi: dict = field(default_factory=dict)

    def known(self) -> str:
        names = {"id", *self.columns}
        for name, multi in self.multi.items():
            names |= {name, f"{name}[...]", *(f"{name}.{sub}" for sub in multi.names())}
        return ", ".join(sorted(names))


EMAILS = MultiValued(
    rows=SCIMUserEmail,
    owner="scim_user",
    strings=("value", "type"),
    booleans=("primary",),
    columns={"value": "value_key"},
)
USERS = Filterable(
    columns={
        "username": ("user_name_key", False),
        "externalid": ("external_id", True),
        "displayname": ("display_name", False),
        "active": ("active", True),
    },
    multi={"emails": EMAILS},
)
GROUPS = Filterable(columns={"displayname": ("display_name_key", False), "externalid": ("external_id", True)})


_FALSE = Q(pk__in=[])  # matches no row


def filter_q(text: str, *, on: Filterable) -> Q:
    return _ToQ(on).visit(_parsed(text))


def root_filter_q(text: str) -> tuple[Q, Q]:
    """The filter of a search at the root (RFC 7644 §3.4.3) as a Q on Users and a Q on Groups.

    A comparison on an attribute one type cannot be filtered on is false for that type's resources (RFC 7644
    §3.4.2.1), so `userName eq "x"` finds no group; an attribute neither can be filtered on is an invalidFilter error.
    """
    ast = _parsed(text)
    users, groups = _ToQ(USERS, lacking_is_false=True), _ToQ(GROUPS, lacking_is_false=True)
    user_q, group_q = users.visit(ast), groups.visit(ast)
    neither = [name for name in users.lacking if name in groups.lacking]
    if neither:
        known = ", ".join(sorted({*USERS.known().split(", "), *GROUPS.known().split(", ")}))
        raise InvalidFilterException(
            detail=f"Filtering on {users.lacking[neither[0]]} is not supported on Users or Groups; filter on: {known}."
        )
    return user_q, group_q


def _parsed(text: str):
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"A filter has at most {MAX_FILTER_LENGTH} characters.")
    return ScimFilter(quirks.filter_text(text)).ast


def _name(attr_path) -> str:
    name = str(attr_path).lower()
    for prefix in CORE_URNS:
        name = name.removeprefix(prefix)
    return name


class _Lacking(Exception):
    """An attribute the resource type cannot be filtered on, in a search where that makes a comparison false."""


class _ToQ(FilterVisitor[Q]):
    """One resource type's filter as a Q. With lacking_is_false, an attribute it cannot be filtered on is a false
    comparison rather than an error, kept in `lacking` (its lower-cased name -> as the client wrote it)."""

    def __init__(self, on: Filterable, *, lacking_is_false: bool = False):
        self.on, self.lacking_is_false, self.lacking = on, lacking_is_false, {}

    def _unsupported(self, attr_path) -> Exception:
        if self.lacking_is_false:
            self.lacking.setdefault(_name(attr_path), str(attr_path))
            return _Lacking()
        return InvalidFilterException(
            detail=f"Filtering on {attr_path} is not supported; filter on: {self.on.known()}."
        )

    def _column(self, attr_path) -> tuple[str, bool]:
        name = _name(attr_path)
        if name == "id":
            return "public_id", True
        if name not in self.on.columns:
            raise self._unsupported(attr_path)
        return self.on.columns[name]

    def _multi(self, attr_path) -> tuple[MultiValued, str] | None:
        """The rows and the sub-attribute a path names (emails alone stands for emails.value), or None."""
        head, _, sub = _name(attr_path).partition(".")
        multi = self.on.multi.get(head)
        if multi is None:
            return None
        sub = sub or "value"
        if sub not in multi.names():
            raise self._unsupported(attr_path)
        return multi, sub

    def visit_comparison(self, node) -> Q:
        try:
            return self._comparison(node)
        except _Lacking:
            return _FALSE

    def _comparison(self, node) -> Q:
        found = self._multi(node.attr_path)
        if found is not None:
            multi, sub = found
            if node.op == CompareOperator.ne:  # no value equals it: users without any value included
                return ~multi.exists(_row_comparison(multi, sub, CompareOperator.eq, node.value, node.attr_path))
            return multi.exists(_row_comparison(multi, sub, node.op, node.value, node.attr_path))
        column, case_exact = self._column(node.attr_path)
        value = node.value
        if column == "public_id":
            return self._id(node.op, value)
        if column == "active":
            return _boolean("active", node.op, value, node.attr_path)
        _string(value, node.attr_path)
        if node.op == CompareOperator.ne:
            return ~_match(column, case_exact, "exact", value)
        if node.op not in _LOOKUPS:
            raise InvalidFilterException(detail=f"{node.op.value} is not supported on {node.attr_path}.")
        return _match(column, case_exact, _LOOKUPS[node.op], value)

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
        try:
            return self._present(node)
        except _Lacking:
            return _FALSE

    def _present(self, node) -> Q:
        found = self._multi(node.attr_path)
        if found is not None:
            multi, sub = found
            # emails pr: any email at all (a row is kept only for an email that says something).
            return multi.exists(Q() if "." not in _name(node.attr_path) else _row_present(multi, sub))
        column, _ = self._column(node.attr_path)
        if column in ("public_id", "active", "user_name_key", "display_name_key"):
            return Q()
        return ~Q(**{column: ""})

    def visit_not(self, node) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node) -> Q:
        return _combine(node.op, [self.visit(term) for term in node.terms])

    def visit_value_path(self, node) -> Q:
        # emails[type eq "work" and value eq "x"]: one email for which the whole inner filter holds.
        multi = self.on.multi.get(_name(node.attr_path))
        if multi is None and self.lacking_is_false:
            self.lacking.setdefault(_name(node.attr_path), f"{node.attr_path}[...]")
            return _FALSE
        if multi is None:
            raise InvalidFilterException(
                detail=f"A value filter ({node.attr_path}[...]) is supported on: {', '.join(self.on.multi) or 'none'}."
            )
        return multi.exists(_RowQ(multi, str(node.attr_path)).visit(node.val_filter))


class _RowQ(FilterVisitor[Q]):
    """The filter inside the brackets, as a Q on one row: `not` and `ne` are about that one value."""

    def __init__(self, multi: MultiValued, attribute: str):
        self.multi, self.attribute = multi, attribute

    def _sub(self, attr_path) -> str:
        sub = str(attr_path).lower()
        if attr_path.sub_attr is not None or attr_path.uri is not None or sub not in self.multi.names():
            names = ", ".join(self.multi.names())
            raise InvalidFilterException(
                detail=f"Inside {self.attribute}[...] filter on its sub-attributes: {names} ({attr_path} is not one)."
            )
        return sub

    def visit_comparison(self, node) -> Q:
        return _row_comparison(self.multi, self._sub(node.attr_path), node.op, node.value, node.attr_path)

    def visit_present(self, node) -> Q:
        return _row_present(self.multi, self._sub(node.attr_path))

    def visit_not(self, node) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node) -> Q:
        return _combine(node.op, [self.visit(term) for term in node.terms])

    def visit_value_path(self, node) -> Q:
        raise InvalidFilterException(detail=f"A value filter cannot hold another ({node.attr_path}[...]).")


def _row_comparison(multi: MultiValued, sub: str, op, value, attr_path) -> Q:
    column = multi.column(sub)
    if sub in multi.booleans:
        return _boolean(column, op, value, attr_path)
    _string(value, attr_path)
    if op == CompareOperator.ne:
        return ~Q(**{column: value.lower()})
    if op not in _LOOKUPS:
        raise InvalidFilterException(detail=f"{op.value} is not supported on {attr_path}.")
    return Q(**{f"{column}__{_LOOKUPS[op]}": value.lower()})  # the rows are kept lower-cased


def _row_present(multi: MultiValued, sub: str) -> Q:
    column = multi.column(sub)
    return Q(**{f"{column}__isnull": False}) if sub in multi.booleans else ~Q(**{column: ""})


def _string(value, attr_path) -> None:
    if not isinstance(value, str):
        raise InvalidFilterException(detail=f"{attr_path} is compared with a string.")
    why = unstorable(value)  # a filter's own escapes spell them: "userName eq \"\\u0000\""
    if why is not None:
        raise InvalidFilterException(detail=f"The value {attr_path} is compared with holds {why}.")


def _boolean(column: str, op, value, attr_path) -> Q:
    if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
        raise InvalidFilterException(detail=f"{attr_path} is compared with eq or ne and true or false.")
    q = Q(**{column: value})
    return ~q if op == CompareOperator.ne else q


def _match(column: str, case_exact: bool, lookup: str, value: str) -> Q:
    if column.endswith("_key"):  # kept lower-cased
        value = value.lower()
    elif not case_exact:
        lookup = "i" + lookup
    return Q(**{f"{column}__{lookup}": value})


def _combine(op, qs: list[Q]) -> Q:
    q = Q() if op == LogicalOperator.and_ else Q(pk__in=[])
    for term in qs:
        q = (q & term) if op == LogicalOperator.and_ else (q | term)
    return q
