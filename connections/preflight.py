"""The pre-flight checklist of a connection: what was checked of its stored configuration, line by line.

Computed from what is stored (the settings row, and what the save fetched), never by fetching: the connection's
page shows it at every view. Only a test sign-in can confirm the values the IdP must hold, so those lines say so.
"""

from dataclasses import dataclass

from connections.connection import Connection, Kind

PASS, WARN, FAIL, AT_IDP = "pass", "warn", "fail", "idp"
STATUS_WORDS = {PASS: "Passed", WARN: "Warning", FAIL: "Failed", AT_IDP: "At the IdP"}


@dataclass(frozen=True)
class Check:
    label: str
    status: str
    expected: str
    received: str
    fix: str = ""

    @property
    def status_word(self) -> str:
        return STATUS_WORDS[self.status]


@dataclass(frozen=True)
class Preflight:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> int:
        return sum(c.status == FAIL for c in self.checks)

    @property
    def warned(self) -> int:
        return sum(c.status == WARN for c in self.checks)

    @property
    def passed(self) -> int:
        return sum(c.status == PASS for c in self.checks)


def connection_preflight(*, connection: Connection, sp_entity_id: str = "") -> Preflight:
    """The checklist of one connection already scoped to its organization by the caller."""
    if connection.kind == Kind.OIDC:
        from connections.oidc.preflight import oidc_checks

        return Preflight(tuple(oidc_checks(connection.oidc)))
    from connections.saml.preflight import saml_checks

    return Preflight(tuple(saml_checks(connection.saml, sp_entity_id=sp_entity_id)))
