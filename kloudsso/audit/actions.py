"""The audit log's vocabulary: each action code with the words the owners' page shows for it.

A code is "<what>.<verb>"; the part before the dot is the family the page's "What" filter offers. A code missing
here is still recorded and shown as it is.
"""

FAMILIES = {
    "connection": "Connections",
    "certificate": "Signing certificates",
    "sp_key": "SP signing key",
    "domain": "Domains",
    "sso_settings": "SSO settings",
    "member": "Members",
    "invitation": "Invitations",
    "organization": "Organization",
    "identity": "SSO identities",
    "setup_link": "Setup links",
    "group_roles": "Group roles",
    "directory": "Directory sync",
    "scim_user": "Provisioned people",
    "scim_group": "Provisioned groups",
}

ACTIONS = {
    "connection.added": "Connection added",
    "connection.edited": "Connection edited",
    "connection.enabled": "Connection enabled",
    "connection.disabled": "Connection disabled",
    "connection.deleted": "Connection deleted",
    "connection.idp_initiated_allowed": "IdP-initiated sign-in allowed",
    "connection.idp_initiated_refused": "IdP-initiated sign-in turned off",
    "connection.changed": "Connection changed in the admin",
    "certificate.added": "Signing certificate added",
    "certificate.retired": "Signing certificate retired",
    "sp_key.rotation_started": "SP key rotation started",
    "sp_key.made_current": "SP next key made current",
    "sp_key.rotation_cancelled": "SP key rotation cancelled",
    "domain.added": "Domain added",
    "domain.verified": "Domain verified",
    "domain.unverified": "Domain marked unverified",
    "domain.deleted": "Domain removed",
    "identity.deleted": "SSO identity deleted in the admin",
    "identity.relinked": "SSO identity re-linked to a new subject",
    "identity.relink_window_opened": "Re-link of everyone at their next sign-in opened",
    "identity.relink_window_closed": "Re-link of everyone at their next sign-in closed",
    "sso_settings.changed": "SSO settings changed",
    "member.added": "Member added",
    "member.role_changed": "Member's role changed",
    "member.role_set_by_groups": "Member's role set by their IdP groups at sign-in",
    "member.roles_set_by_directory": "Members' roles set by their directory groups",
    "member.changed": "Membership changed in the admin",
    "member.removed": "Member removed",
    "member.removed_with_directory": "Deprovisioned member removed with their directory",
    "invitation.created": "Invitation sent",
    "invitation.revoked": "Invitation revoked",
    "invitation.changed": "Invitation changed",
    "setup_link.created": "Setup link created",
    "setup_link.revoked": "Setup link revoked",
    "setup_link.completed": "Setup completed through a link",
    "group_roles.rule_added": "Group mapped to a role",
    "group_roles.rule_removed": "Group's role mapping removed",
    "group_roles.changed": "Group role settings changed",
    "directory.added": "Directory added",
    "directory.token_rotated": "Directory token rotated",
    "directory.revoked": "Directory token revoked",
    "directory.roles_changed": "Directory's roles from groups changed",
    "directory.deleted": "Directory deleted",
    "scim_user.provisioned": "Person provisioned by directory sync",
    "scim_user.updated": "Person updated by directory sync",
    "scim_user.deactivated": "Person deprovisioned by directory sync",
    "scim_user.reactivated": "Person reactivated by directory sync",
    "scim_user.deleted": "Person deleted by directory sync",
    "scim_group.created": "Group created by directory sync",
    "scim_group.updated": "Group updated by directory sync",
    "scim_group.deleted": "Group deleted by directory sync",
    "organization.added": "Organization created",
    "organization.changed": "Organization changed",
    "organization.deleted": "Organization deleted",
}


def action_title(code: str) -> str:
    return ACTIONS.get(code, code)


def what_choices() -> list[tuple[str, list[tuple[str, str]]] | tuple[str, str]]:
    """The "What" filter: every family, then each action under its family."""
    families = [(family, f"{title} (any)") for family, title in FAMILIES.items()]
    grouped = [
        (title, [(code, words) for code, words in ACTIONS.items() if code.split(".")[0] == family])
        for family, title in FAMILIES.items()
    ]
    return [("", "Anything"), ("Families", families), *grouped]
