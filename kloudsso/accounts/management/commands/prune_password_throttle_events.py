from django.conf import settings
from django.core.management.base import BaseCommand

from kloudsso.accounts.tasks import prune_password_throttle_events


class Command(BaseCommand):
    help = (
        "Delete password sign-in locks older than SIGNIN_EVENT_RETENTION_DAYS now (the scheduler also runs this daily)."
    )

    def handle(self, *args, **options):
        deleted = prune_password_throttle_events.call()
        days = settings.SIGNIN_EVENT_RETENTION_DAYS
        self.stdout.write(f"Deleted {deleted} password sign-in lock(s) older than {days} days.")
