from django.db import models

from kloudsso.tenancy.models import Organization


class SentNotification(models.Model):
    """A once_key already used for an organization: the same notification is never mailed twice."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sent_notifications")
    key = models.CharField(max_length=255)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="sent_notification_unique")]

    def __str__(self):
        return f"{self.key} to {self.organization}"
