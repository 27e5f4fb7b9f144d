from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand

from domains.models import Domain
from domains.services import domain_recheck


class Command(BaseCommand):
    help = (
        "Re-check every verified domain's DNS record (run it from cron, e.g. daily). A domain whose record has been "
        "missing for longer than DOMAIN_REVERIFY_GRACE_DAYS becomes unverified."
    )

    def handle(self, *args, **options):
        counts = Counter(domain_recheck(domain=domain) for domain in Domain.objects.verified().iterator())
        total = sum(counts.values())
        self.stdout.write(
            f"Checked {total} verified domain(s): {counts['ok']} still verified, {counts['failing']} missing their "
            f"record (within the {settings.DOMAIN_REVERIFY_GRACE_DAYS}-day grace period), {counts['unverified']} "
            f"now unverified, {counts['temporary']} not checked (DNS did not answer; tried again next run)."
        )
