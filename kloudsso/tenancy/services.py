from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Organization, Plan, Role


@dataclass
class OrganizationSetup:
    organization: Organization
    owner: object
    created_organization: bool
    created_owner: bool
    plan_changed: bool


def organization_setup(
    *, name: str, owner_email: str, password: str | None, plan: str, slug: str = ""
) -> OrganizationSetup:
    """Create an organization with its owner, or bring an existing one to the same state (idempotent).

    An existing user's password is left alone: re-running a setup command must not reset a password that was
    changed since.
    """
    name = name.strip()
    if not name:
        raise ValidationError("The organization name must not be empty.")
    slug = slugify(slug or name)
    if not slug:
        raise ValidationError(f"Cannot make a URL slug from {name!r}; pass --slug with letters or digits.")
    if plan not in Plan.values:
        raise ValidationError(f"Unknown plan {plan!r}; choose one of: {', '.join(Plan.values)}.")
    owner_email = owner_email.strip().lower()
    try:
        validate_email(owner_email)
    except ValidationError:
        raise ValidationError(f"{owner_email!r} is not a valid email address.") from None

    User = get_user_model()
    with transaction.atomic():
        owner = User.objects.filter(email__iexact=owner_email).first()
        created_owner = owner is None
        if created_owner:
            if not password:
                raise ValidationError(f"{owner_email} has no account yet: give a password for it.")
            validate_password(password, user=User(email=owner_email))
            owner = User.objects.create_user(owner_email, password)

        org, created_org = Organization.objects.get_or_create(slug=slug, defaults={"name": name, "plan": plan})
        plan_changed = not created_org and org.plan != plan
        if plan_changed or org.name != name:
            org.plan, org.name = plan, name
            org.save(update_fields=["plan", "name"])
        Membership.objects.update_or_create(user=owner, organization=org, defaults={"role": Role.OWNER})
    return OrganizationSetup(org, owner, created_org, created_owner, plan_changed)


def notification_settings_update(*, membership: Membership, notification_email: str, receives_reminders: bool) -> None:
    """The organization's notification address (any owner decides) and this owner's own reminder choice."""
    with transaction.atomic():
        Organization.objects.filter(pk=membership.organization_id).update(notification_email=notification_email)
        Membership.objects.filter(pk=membership.pk).update(receives_reminders=receives_reminders)
