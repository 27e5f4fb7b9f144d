from django.conf import settings
from django.core.management.base import BaseCommand

from connections.tasks import prune_signin_events


class Command(BaseCommand):
    help = "Delete sign-in events older than SIGNIN_EVENT_RETENTION_DAYS now (the scheduler also runs this daily)."

    def handle(self, *args, **options):
        deleted = prune_signin_events.call()
        self.stdout.write(f"Deleted {deleted} sign-in event(s) older than {settings.SIGNIN_EVENT_RETENTION_DAYS} days.")
