"""Test connection: the whole sign-in up to the last step, then a report instead of a session.

The rules are the real ones (complete_sign_in) run inside a transaction that is always rolled back, so the test
creates no account, membership or identity, and signs no one in.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import render

from connections.sp import oidc_redirect_uri, saml_acs_url
from setup_links.test_report import setup_link_reported
from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError
from signin.event_log import redact

SESSION_KEY = "kloudsso_test_flows"
_EMAIL_CODES = {"no_email", "email_not_verified", "bad_identity"}
_DOMAIN_CODES = {"email_domain_not_verified"}
_PEOPLE_CODES = {"not_invited", "email_reused", "account_exists"}


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
    outcome = ""
    if vouched is not None:
        existed = bool(vouched.email) and get_user_model().objects.filter(email__iexact=vouched.email).exists()
        disabled = not connection.enabled
        connection.enabled = True  # judged as if enabled (in memory only): the report says it is off
        try:
            with transaction.atomic():
                user = complete_sign_in(vouched)
                transaction.set_rollback(True)  # a test leaves nothing behind
        except SignInError as exc:
            error = exc
            user = None
        code = error.code if error else ""
        checks.append(
            Check(
                f"Email: {vouched.email or 'none'} ({email_source})",
                code not in _EMAIL_CODES,
                _why(error) if code in _EMAIL_CODES else "",
            )
        )
        checks.append(
            Check(
                "The email's domain is verified for this organization",
                None if code in _EMAIL_CODES else code not in _DOMAIN_CODES,
                _why(error) if code in _DOMAIN_CODES else "",
            )
        )
        reached = code not in _EMAIL_CODES | _DOMAIN_CODES
        checks.append(
            Check(
                "Provisioning mode and existing members allow the person in",
                None if not reached else code not in _PEOPLE_CODES,
                _why(error) if code in _PEOPLE_CODES else "",
            )
        )
        connection.enabled = not disabled
        if user is not None:
            how = "their existing account" if existed else "a new account would be created"
            outcome = f"{user.email} would be signed in ({how})."
            if disabled:
                outcome += " The connection is disabled: enable it for people to sign in."
    context = {
        "connection": connection,
        "checks": checks,
        "error": error,
        "received": redact(received),
        "outcome": outcome,
        "values": {"redirect_uri": oidc_redirect_uri(), "acs_url": saml_acs_url()},
        "fix": error.entry.fix_with({"redirect_uri": oidc_redirect_uri(), "acs_url": saml_acs_url()}) if error else "",
        # A setup link's test: the identity provider's part (its answer, the email) is the IT admin's to pass.
        **setup_link_reported(request, connection, passed=all(check.passed for check in checks[:2])),
    }
    return render(request, "connections/test_result.html", context)


def _why(error) -> str:
    if error is None:
        return ""
    return f"{error.entry.cause} {error.detail}".strip()
