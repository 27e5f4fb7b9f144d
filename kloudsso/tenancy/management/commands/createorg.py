from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kloudsso.tenancy.models import Plan
from kloudsso.tenancy.services import organization_setup


class Command(BaseCommand):
    help = "Create an organization and its owner. Running it again with the same values changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help='Organization name, e.g. "Acme"')
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--password", help="Password for the owner (required when the account is new)")
        parser.add_argument("--plan", choices=Plan.values, default=Plan.FREE)
        parser.add_argument("--slug", default="", help="URL slug; defaults to the name, slugified")

    def handle(self, *args, name, owner_email, password, plan, slug, **options):
        try:
            result = organization_setup(name=name, owner_email=owner_email, password=password, plan=plan, slug=slug)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

        org, owner = result.organization, result.owner
        verb = "Created" if result.created_organization else "Found existing"
        self.stdout.write(f"{verb} organization {org.name!r} (slug {org.slug}, plan {org.plan}).")
        if result.plan_changed:
            self.stdout.write(f"Changed its plan to {org.plan}.")
        if result.created_owner:
            self.stdout.write(f"Created owner {owner.email}.")
        else:
            note = " (password left unchanged)" if password else ""
            self.stdout.write(f"{owner.email} is an owner{note}.")
