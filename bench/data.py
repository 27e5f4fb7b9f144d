"""The bench's organizations, domains and connections, made in the bench process through the site's management
commands, models and services (the same settings and database as the workers). Only setup: nothing timed here."""

from dataclasses import dataclass

from django.core.management import call_command
from django.db import connection as db
from django.utils import timezone

OWNER_PASSWORD = "bench-owner-password-2026"
SAML_DOMAIN = "saml.bench.test"
OIDC_DOMAIN = "oidc.bench.test"


@dataclass(frozen=True)
class Bench:
    saml_slug: str
    oidc_slug: str
    sp_entity_id: str


def migrate(cache_url: str) -> None:
    """The schema and, as on a real deploy, the hashed static files gunicorn's pages name (whitenoise's manifest)."""
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    if cache_url.startswith("dbcache://"):
        call_command("createcachetable", verbosity=0)


def create(*, saml_idp, saml_sso_url: str, oidc_issuer: str) -> Bench:
    from bench.idp import CLIENT_ID, CLIENT_SECRET
    from connections.oidc.discovery import discover
    from connections.oidc.services import oidc_connection_save
    from connections.saml.certificates import load_certificate
    from connections.saml.idp_config import IdPConfig
    from connections.saml.services import saml_connection_save
    from connections.sp import service_provider_get_or_create
    from kloudsso.tenancy.models import Organization, ProvisioningMode

    orgs = {}
    for slug, domain in (("bench-saml", SAML_DOMAIN), ("bench-oidc", OIDC_DOMAIN)):
        call_command(
            "createorg",
            name=slug.title(),
            slug=slug,
            owner_email=f"owner@{domain}",
            password=OWNER_PASSWORD,
            plan="paid",
            verbosity=0,
        )
        org = Organization.objects.get(slug=slug)
        org.provisioning_mode = ProvisioningMode.JUST_IN_TIME  # people sign in without an invitation
        org.save(update_fields=["provisioning_mode"])
        _verified_domain(org, domain)
        orgs[slug] = org
    idp = IdPConfig(
        entity_id=saml_idp.entity_id,
        sso_redirect_url=saml_sso_url,  # SP-initiated with HTTP-Redirect: the AuthnRequest ID is in the Location
        sso_post_url="",
        certificates=(load_certificate(saml_idp.cert_pem),),
    )
    saml_connection_save(org=orgs["bench-saml"], display_name="Bench SAML IdP", source="manual", idp=idp)
    oidc_connection_save(
        org=orgs["bench-oidc"],
        display_name="Bench OIDC IdP",
        discovery=discover(oidc_issuer + "/.well-known/openid-configuration"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes="openid email profile",
    )
    sp = service_provider_get_or_create(org=orgs["bench-saml"])
    return Bench(saml_slug="bench-saml", oidc_slug="bench-oidc", sp_entity_id=sp.entity_id)


def _verified_domain(org, name: str) -> None:
    from domains.models import Domain, Status

    Domain.objects.update_or_create(
        organization=org, name=name, defaults={"status": Status.VERIFIED, "verified_at": timezone.now()}
    )


def grow_to(total: int, *, batch: int = 5000) -> int:
    """Add filler organizations, each with one verified domain, until there are `total`; the count reached."""
    from domains.models import Domain, Status
    from kloudsso.tenancy.models import Organization

    have = Organization.objects.count()
    now = timezone.now()
    while have < total:
        numbers = range(have, min(total, have + batch))
        orgs = Organization.objects.bulk_create(Organization(name=f"Filler {n}", slug=f"filler-{n}") for n in numbers)
        if any(o.pk is None for o in orgs):  # a backend without RETURNING
            orgs = list(Organization.objects.filter(slug__in=[f"filler-{n}" for n in numbers]))
        Domain.objects.bulk_create(
            Domain(organization=o, name=f"{o.slug}.filler.test", status=Status.VERIFIED, verified_at=now) for o in orgs
        )
        have += len(orgs)
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon: plans for 100,000 rows, not for 100
    return Organization.objects.count()
