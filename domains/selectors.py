from django.db.models import QuerySet
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404

from domains.models import Domain
from domains.names import parent_domains


def domain_list(*, org) -> QuerySet[Domain]:
    return Domain.objects.filter(organization=org)


def domain_get(*, org, public_id) -> Domain:
    return get_object_or_404(Domain, organization=org, public_id=public_id)


def verified_domain_for_email(email: str) -> Domain | None:
    """The verified domain that covers this email (its domain or a parent), most specific first; one query."""
    host = email.rpartition("@")[2].strip().lower()
    if not host:
        return None
    return (
        Domain.objects.verified()
        .filter(name__in=parent_domains(host))
        .select_related("organization")
        .order_by(Length("name").desc())
        .first()
    )


def org_covers_email(*, org, email: str) -> bool:
    """Whether one of this organization's verified domains covers the email."""
    host = email.rpartition("@")[2].strip().lower()
    return bool(host) and Domain.objects.verified().filter(organization=org, name__in=parent_domains(host)).exists()
