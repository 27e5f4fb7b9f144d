"""Setup steps per IdP, as data: the IdP's own menu labels and which of our values to type where.

Drawn by templates/directory/guide_steps.html; the values are the directory's Tenant URL and, right after it is
made, its token (shown once).
"""

from dataclasses import dataclass

from directory.models import IdPKind

OUR_VALUES = {"tenant_url": "Tenant URL", "token": "Secret token"}


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    path: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # the IdP's name for each value, in order
    hint: str = ""


ENTRA = (
    Step(
        "Open the enterprise application's provisioning",
        "In the Microsoft Entra admin center, open the enterprise application of KloudSSO (or create a non-gallery "
        "one), then Provisioning. Set Provisioning Mode to Automatic.",
        path=("Identity", "Applications", "Enterprise applications", "KloudSSO", "Provisioning"),
    ),
    Step(
        "Enter the admin credentials",
        "Under Admin Credentials paste our Tenant URL and Secret token, then click Test Connection: Entra looks up "
        "a random user and expects an empty list, which is what it gets.",
        values=("tenant_url", "token"),
        labels=("Tenant URL", "Secret Token"),
        hint="Entra uses the RFC's PATCH shapes only when the Tenant URL ends in ?aadOptscim062020; KloudSSO accepts "
        "both, so add it or not.",
    ),
    Step(
        "Check the mappings",
        "Under Mappings keep Provision Microsoft Entra ID Users and Groups. userName should be the mailbox address "
        '(mail or userPrincipalName when it is the same), and keep mail mapped to emails[type eq "work"].value: '
        "KloudSSO knows people by an email on a verified domain, and refuses an active user without one.",
        path=("Mappings", "Provision Microsoft Entra ID Users"),
    ),
    Step(
        "Assign people and start provisioning",
        "Assign users and groups under Users and groups, then set Provisioning Status to On and Save. Unassigning "
        "someone deprovisions them here within the next cycle, and ends their sessions at once.",
        path=("Users and groups", "Add user/group"),
    ),
)

OKTA = (
    Step(
        "Enable SCIM provisioning",
        "In the Okta Admin Console, open the app integration of KloudSSO. On General, under App Settings, set "
        "Provisioning to SCIM and save.",
        path=("Applications", "Applications", "KloudSSO", "General", "App Settings"),
    ),
    Step(
        "Connect to KloudSSO",
        "On Provisioning → Integration, paste our Tenant URL as the SCIM connector base URL, set Unique identifier "
        "field for users to userName, tick Push New Users, Push Profile Updates and Push Groups, choose HTTP Header "
        "as the authentication mode and paste the token as the Bearer token. Click Test Connector Configuration.",
        path=("Provisioning", "Integration", "Edit"),
        values=("tenant_url", "token"),
        labels=("SCIM connector base URL", "Authorization (Bearer)"),
    ),
    Step(
        "Turn on the provisioning actions",
        "On Provisioning → To App, enable Create Users, Update User Attributes and Deactivate Users. Deactivating "
        "or unassigning someone in Okta deprovisions them here and ends their sessions at once.",
        path=("Provisioning", "To App", "Edit"),
    ),
    Step(
        "Assign people and push groups",
        "Assign people or groups on Assignments; push groups on Push Groups so their members arrive too.",
        path=("Assignments", "Assign"),
    ),
)

OTHER = (
    Step(
        "Point your SCIM client at KloudSSO",
        "Give it our Tenant URL as the SCIM 2.0 base URL and the token as an OAuth bearer token (Authorization: "
        "Bearer <token>). Users need an email (userName or emails) on one of your verified domains.",
        values=("tenant_url", "token"),
        labels=("Base URL", "Bearer token"),
    ),
)

GUIDES = {IdPKind.ENTRA: ENTRA, IdPKind.OKTA: OKTA, IdPKind.OTHER: OTHER}


def guide_steps(directory, *, tenant_url: str, token: str | None) -> list[dict]:
    """Each step with the values it shows: (the IdP's label, the value, or None for a token no longer shown)."""
    ours = {"tenant_url": tenant_url, "token": token}
    return [
        {"step": step, "values": [(label, key, ours[key]) for key, label in zip(step.values, step.labels, strict=True)]}
        for step in GUIDES[directory.idp_kind]
    ]
