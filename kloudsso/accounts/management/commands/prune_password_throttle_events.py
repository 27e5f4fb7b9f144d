from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from kloudsso.accounts.models import PasswordThrottleEvent


class Command(BaseCommand):
    help = "Delete password sign-in locks older than SIGNIN_EVENT_RETENTION_DAYS (run it from cron, e.g. daily)."

    def handle(self, *args, **options):
        days = settings.SIGNIN_EVENT_RETENTION_DAYS
        cutoff = timezone.now() - timedelta(days=days)
        deleted, _ = PasswordThrottleEvent.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} password sign-in lock(s) older than {days} days.")
