from django.db.models import QuerySet
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404

from domains.models import Domain
from domains.names import covering_domains


def domain_list(*, org) -> QuerySet[Domain]:
    return Domain.objects.filter(organization=org)


def domain_get(*, org, public_id) -> Domain:
    return get_object_or_404(Domain.objects.select_related("organization"), organization=org, public_id=public_id)


def verified_domains_covering(email: str) -> QuerySet[Domain]:
    """Every verified domain that covers the email (its domain or a parent), most specific first; one query."""
    return (
        Domain.objects.verified()
        .filter(name__in=covering_domains(email))
        .select_related("organization")
        .order_by(Length("name").desc())
    )


def verified_domain_for_email(email: str) -> Domain | None:
    """The verified domain that routes this email at sign-in: the most specific one."""
    return verified_domains_covering(email).first()


def org_covers_email(*, org, email: str) -> bool:
    """Whether one of this organization's verified domains covers the email."""
    return Domain.objects.verified().filter(organization=org, name__in=covering_domains(email)).exists()
