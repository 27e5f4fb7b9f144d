from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from connections.events import SignInEvent


class Command(BaseCommand):
    help = "Delete sign-in events older than SIGNIN_EVENT_RETENTION_DAYS (run it from cron, e.g. daily)."

    def handle(self, *args, **options):
        days = settings.SIGNIN_EVENT_RETENTION_DAYS
        deleted, _ = SignInEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
        self.stdout.write(f"Deleted {deleted} sign-in event(s) older than {days} days.")
