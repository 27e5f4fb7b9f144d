from django.db import models

from connections.events import SignInEvent
from connections.identity import SSOIdentity


class SubjectChange(models.Model):
    """A refused sign-in's new subject for a member's existing identity: what an owner may re-link it to.

    Written with the failure event (signin/event_log.py), never from a form: a re-link can only move an identity to
    a subject its own connection's IdP really sent. It goes with the event (retention) or the identity.
    """

    event = models.OneToOneField(SignInEvent, on_delete=models.CASCADE, related_name="subject_change")
    identity = models.ForeignKey(SSOIdentity, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.identity_id} → new subject ({self.event_id})"
