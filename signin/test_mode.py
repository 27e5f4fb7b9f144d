"""Test connection: the whole sign-in up to the last step, then a report instead of a session.

The rules are the real ones (complete_sign_in) run inside a transaction that is always rolled back, so the test
creates no account, membership or identity, and signs no one in.
"""

from dataclasses import dataclass

from django.db import transaction
from django.shortcuts import render

from connections.sp import fix_values, oidc_redirect_uri, saml_acs_url
from kloudsso.tenancy.models import Membership
from setup_links.test_report import setup_link_reported
from signin import test_explain as explain
from signin.complete import Vouched, complete_sign_in_explained
from signin.errors import SignInError
from signin.event_log import redact
from signin.subject_kind import described

SESSION_KEY = "kloudsso_test_flows"
_EMAIL_CODES = {"no_email", "email_not_verified", "bad_identity"}
_DOMAIN_CODES = {"email_domain_not_verified"}
_IDENTITY_CODES = {"subject_format_changed", "email_reused"}
_PEOPLE_CODES = {"not_invited", "account_exists", "account_disabled"}
_ROLE_CODES = {"no_matching_group", "groups_overage"}


@dataclass(frozen=True)
class Check:
    label: str
    passed: bool | None  # None: not reached
    explanation: str = ""


def mark(request, flow_id: str) -> None:
    tests = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [*tests, flow_id][-10:]


def take(request, flow_id: str) -> bool:
    tests = request.session.get(SESSION_KEY, [])
    if flow_id not in tests:
        return False
    request.session[SESSION_KEY] = [t for t in tests if t != flow_id]
    return True


def report(request, connection, *, vouched: Vouched | None, received: dict | None, email_source: str, error=None):
    checks = [
        Check(
            "The identity provider's answer is valid (signature, issuer, audience, times)",
            vouched is not None,
            _why(error) if vouched is None else "",
        )
    ]
    outcome, warnings, notes = "", [], []
    if vouched is not None:
        disabled = not connection.enabled
        connection.enabled = True  # judged as if enabled (in memory only): the report says it is off
        error, more, outcome = _judged(vouched, received, email_source)
        checks += more
        connection.enabled = not disabled
        warnings = explain.fallback_warnings(vouched, received)
        notes = explain.group_notes(vouched)
        if outcome and disabled:
            outcome += " The connection is disabled: enable it for people to sign in."
    link = setup_link_reported(request, connection, passed=all(check.passed for check in checks[:2]))
    if link:
        # Someone with a setup link and no account: the identity provider's part only. Who is a member, invited,
        # known elsewhere or on which domain is the owners' to know, not the link holder's.
        if all(check.passed for check in checks[:2]):
            error, outcome = None, "The identity provider's part works; the organization's owners decide who signs in."
        checks = checks[:2]
        notes = []  # the owners' group mapping is theirs too
    context = {
        "connection": connection,
        "checks": checks,
        "warnings": warnings,
        "notes": notes,
        "error": error,
        "received": redact(received),
        "outcome": outcome,
        "values": {"redirect_uri": oidc_redirect_uri(), "acs_url": saml_acs_url()},
        "fix": error.entry.fix_with(fix_values(org=connection.organization, connection=connection)) if error else "",
        **link,  # a setup link's test: the identity provider's part (its answer, the email) is the IT admin's
    }
    return render(request, "connections/test_result.html", context)


def _judged(vouched: Vouched, received, email_source: str):
    """The real sign-in, rolled back, with a check for each of its decisions: (error, checks, outcome)."""
    org = vouched.connection.organization
    email = (vouched.email or "").strip().lower()
    known = explain.before(vouched, email)
    user, role, error, signed = None, "", None, None
    try:
        with transaction.atomic():
            signed = complete_sign_in_explained(vouched)
            user = signed.user
            membership = Membership.objects.get(user=user, organization=org)
            role = membership.get_role_display()
            transaction.set_rollback(True)  # a test leaves nothing behind
    except SignInError as exc:
        error = exc
    code = error.code if error else ""
    email_ok = code not in _EMAIL_CODES
    domain_ok = None if not email_ok else code not in _DOMAIN_CODES
    reached = email_ok and bool(domain_ok)
    identity_ok = None if not reached else code not in _IDENTITY_CODES
    people_ok = None if not reached or not identity_ok else code not in _PEOPLE_CODES
    role_ok = True if user is not None else False if code in _ROLE_CODES else None
    checks = [
        Check(f"Email: {vouched.email or 'none'} ({email_source})", email_ok, _why(error) if not email_ok else ""),
        Check(
            "Domain rule: the email's domain is verified for this organization",
            domain_ok,
            _why(error) if domain_ok is False else explain.domain_words(email, org) if domain_ok else "",
        ),
        Check(
            f"Identity: {described(vouched.subject)}",
            identity_ok,
            _why(error) if identity_ok is False else explain.identity_words(vouched, known) if identity_ok else "",
        ),
        Check(
            f"Provisioning: {org.get_provisioning_mode_display()}",
            people_ok,
            _why(error) if people_ok is False else explain.provisioning_words(known, org, email) if people_ok else "",
        ),
        Check(
            f"Role: {role.lower() if role else 'none'}",
            role_ok,
            _why(error) if role_ok is False else explain.role_words(known, role, signed) if role_ok else "",
        ),
    ]
    if signed is not None:
        checks.append(Check(f"Names: {explain.names_label(signed.names)}", True, explain.names_words(signed)))
    outcome = ""
    if user is not None:
        how = "their existing account" if known.account_exists else "a new account would be created"
        outcome = f"{user.email} would be signed in ({how})."
    return error, checks, outcome


def _why(error) -> str:
    if error is None:
        return ""
    return f"{error.entry.cause} {error.detail}".strip()
