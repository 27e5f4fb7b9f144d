"""Each assertion is accepted once, on any app server, until its bearer confirmations expire.

An assertion ID is unique only within its IdP, and any organization can claim any IdP entity ID: keyed on the IdP
alone, another tenant could use up the IDs a victim's IdP will send (some are predictable). So the key is
(organization, IdP entity ID, assertion ID). The organization is the audience: profile.check_profile accepts an
assertion only when every AudienceRestriction names the organization's own SP entity ID, so an assertion accepted
in one organization is refused by any other's connection anyway. The connection would be too narrow: two
connections of one organization may name the same IdP, and an assertion accepted by one (IdP-initiated, say) would
then be new to the other, audience and all.
"""

import calendar
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from saml2.time_util import str_to_time

from connections.saml.models import UsedAssertion
from signin.errors import SignInError
from signin.saml.precheck import PERSON
from signin.saml.quoting import quote

LATEST = datetime(9999, 12, 30, tzinfo=UTC)  # a NotOnOrAfter beyond it is remembered until then
SWEEP_ONE_IN = 50


def refuse_replay(connection, assertion) -> None:
    expiry = _accepted_until(assertion) + timedelta(minutes=5)  # beyond any clock skew
    now = timezone.now()
    named = f"{connection.organization_id}\n{connection.saml.idp_entity_id}\n{assertion.id}"
    key = hashlib.sha256(named.encode()).hexdigest()
    if secrets.randbelow(SWEEP_ONE_IN) == 0:
        UsedAssertion.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(key=key, expires_at=expiry)
    except IntegrityError:
        # One UPDATE decides between two servers taking over the same expired record: the second finds it live.
        if not UsedAssertion.objects.filter(key=key, expires_at__lt=now).update(expires_at=expiry):
            raise SignInError(
                "replayed_assertion", PERSON, f"The assertion {quote(assertion.id)} was already used."
            ) from None


def _accepted_until(assertion) -> datetime:
    """The last moment any bearer confirmation of the assertion holds: a replay must be refused until then.

    The Web SSO profile requires each its NotOnOrAfter; without one an assertion would be good forever.
    """
    until = []
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is None or not data.not_on_or_after:
            raise SignInError("saml_invalid", PERSON, "A SubjectConfirmationData has no NotOnOrAfter.")
        try:
            until.append(datetime.fromtimestamp(calendar.timegm(str_to_time(data.not_on_or_after)), UTC))
        except (ValueError, OverflowError, OSError):  # beyond what a datetime holds: as late as we can
            until.append(LATEST)
    return min(max(until), LATEST)
