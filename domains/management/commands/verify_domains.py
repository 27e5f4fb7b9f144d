from django.conf import settings
from django.core.management.base import BaseCommand

from domains.tasks import recheck_verified_domains


class Command(BaseCommand):
    help = (
        "Re-check every verified domain's DNS record now (the scheduler also runs this, see run_scheduler). A domain "
        "whose record has been missing for longer than DOMAIN_REVERIFY_GRACE_DAYS becomes unverified."
    )

    def handle(self, *args, **options):
        counts = recheck_verified_domains.call()
        total = sum(counts.values())
        self.stdout.write(
            f"Checked {total} verified domain(s): {counts['ok']} still verified, {counts['failing']} missing their "
            f"record (within the {settings.DOMAIN_REVERIFY_GRACE_DAYS}-day grace period), {counts['unverified']} "
            f"now unverified, {counts['temporary']} not checked (DNS did not answer; tried again next run)."
        )
