"""The setup guide's steps on an organization's overview, each with its state, read from what the organization has.

Four queries whatever the number of connections and domains: the connections with their settings, their SAML
certificates (none without a SAML connection), the domains, and whether a next SP key waits.
"""

from dataclasses import dataclass

from django.urls import reverse

from connections.selectors import connection_list, connection_warnings
from connections.service_provider import ServiceProvider
from domains.models import Status
from domains.selectors import domain_list
from kloudsso.tenancy.models import ProvisioningMode

DONE, TO_DO, ATTENTION, OPTIONAL = "done", "to do", "needs attention", "optional"


@dataclass(frozen=True)
class Step:
    title: str
    state: str
    note: str
    url: str

    @property
    def css(self) -> str:  # the .status colours of app.css
        return {DONE: "ok", TO_DO: "off", ATTENTION: "warn", OPTIONAL: "off"}[self.state]


def setup_steps(*, org) -> list[Step]:
    connections = list(connection_list(org=org).order_by("display_name"))
    domains = list(domain_list(org=org).only("name", "status", "failing_since"))
    rotating = ServiceProvider.objects.filter(organization=org).exclude(next_certificate_pem="").exists()
    worked = [c for c in connections if c.last_successful_signin_at]
    return [
        _sp_details_step(org, connections, worked, rotating),
        _connection_step(org, connections),
        _domain_step(org, domains),
        _provisioning_step(org),
        _test_step(connections, worked),
        _enforce_step(org),
    ]


def _sp_details_step(org, connections, worked, rotating) -> Step:
    title, url = "Copy the Service provider details into your identity provider", _url("connections:list", org)
    if rotating:
        return Step(
            title,
            ATTENTION,
            "A next SP signing key is published beside the current one: make it current once your identity "
            "providers have it.",
            _url("connections:sp_key", org),
        )
    if worked:
        return Step(title, DONE, "A sign-in worked, so your identity provider has them.", url + "#sp-details")
    if connections:
        return Step(title, DONE, "The test sign-in (step 5) shows whether your identity provider has them.", url)
    return Step(
        title,
        TO_DO,
        "Your identity provider needs them first: the redirect URI for OIDC, the entity ID and ACS URL for SAML.",
        url + "#sp-details",
    )


def _connection_step(org, connections) -> Step:
    title = "Add a connection (OIDC or SAML 2.0)"
    if not connections:
        return Step(title, TO_DO, "Open Add connection and choose OIDC or SAML 2.0.", _url("connections:add", org))
    url = _url("connections:list", org)
    enabled = [c for c in connections if c.enabled]
    if not enabled:
        return Step(title, ATTENTION, "Every connection is turned off: nobody can sign in with SSO.", url)
    warned = [(c, w) for c in enabled if (w := connection_warnings(c))]
    if warned:
        connection, warnings = warned[0]
        more = f" ({len(warned) - 1} more connection{'s' if len(warned) > 2 else ''} to look at)" if warned[1:] else ""
        return Step(title, ATTENTION, f"{connection.display_name}: {warnings[0]}{more}", url)
    names = ", ".join(c.display_name for c in enabled)
    return Step(title, DONE, f"{len(enabled)} enabled: {names}.", url)


def _domain_step(org, domains) -> Step:
    title, url = "Verify your company domain with a DNS TXT record", _url("domains:list", org)
    if not domains:
        return Step(title, TO_DO, "Add your domain, then publish the TXT record it shows.", url)
    failing = [d for d in domains if d.status == Status.VERIFIED and d.failing_since]
    if failing:
        return Step(
            title,
            ATTENTION,
            f"The TXT record of {failing[0].name} is missing since {failing[0].failing_since:%Y-%m-%d}: put it "
            "back, or the domain stops counting for sign-in.",
            url,
        )
    waiting = [d for d in domains if d.status != Status.VERIFIED]
    if waiting:
        lost = waiting[0].status == Status.UNVERIFIED
        what = "lost its verification" if lost else "is not verified yet"
        return Step(title, ATTENTION, f"{waiting[0].name} {what}: publish its TXT record, then Verify.", url)
    return Step(title, DONE, "Verified: " + ", ".join(d.name for d in domains) + ".", url)


def _provisioning_step(org) -> Step:
    # A mode always applies (invite only until an owner chooses): the step says which, never "to do".
    if org.provisioning_mode == ProvisioningMode.JUST_IN_TIME:
        note = "Just-in-time: anyone on a verified domain gets an account the first time they sign in."
    else:
        note = "Invite only: members and the people you invite can sign in; others are told to ask you."
    return Step("Choose a provisioning mode", DONE, note, _url("sso_settings", org))


def _test_step(connections, worked) -> Step:
    title, url = "Test sign-in with a work email on a verified domain", reverse("sso_login")
    if worked:
        latest = max(worked, key=lambda c: c.last_successful_signin_at)
        when = f"{latest.last_successful_signin_at:%Y-%m-%d}"
        return Step(title, DONE, f"Last worked through {latest.display_name} on {when}.", url)
    if connections:
        return Step(title, TO_DO, "Use Sign in with SSO, or the Test button on the connection.", url)
    return Step(title, TO_DO, "Add a connection and verify a domain first.", url)


def _enforce_step(org) -> Step:
    title, url = "Enforce SSO", _url("sso_settings", org)
    if org.enforce_sso:
        return Step(title, DONE, "People on your verified domains sign in with SSO only; owners keep a password.", url)
    return Step(title, OPTIONAL, "Off: passwords still work for everyone. Turn it on once sign-ins work.", url)


def _url(name: str, org) -> str:
    return reverse(name, kwargs={"org_slug": org.slug})
