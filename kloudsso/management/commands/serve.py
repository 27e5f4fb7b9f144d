import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve the site with gunicorn and its committed settings (kloudsso/gunicorn_conf.py, set from the "
        "environment: KLOUDSSO_BIND, KLOUDSSO_WORKERS, KLOUDSSO_TIMEOUT, KLOUDSSO_GRACEFUL_TIMEOUT). Run migrate and "
        "collectstatic first."
    )

    def handle(self, *args, **options):
        # gunicorn takes this process over, so the service manager's SIGTERM (a graceful stop) reaches it directly.
        command = [sys.executable, "-m", "gunicorn", "-c", "python:kloudsso.gunicorn_conf", "kloudsso.wsgi"]
        os.execv(sys.executable, command)  # noqa: S606 -- our own interpreter and arguments
