"""What a single sign-on leaves in the person's session for signing out at the IdP later, and the index by which an
IdP's SAML LogoutRequest finds that session on any app server.

Kept only when the connection's owner turned single logout on. The OIDC ID token (for id_token_hint) is a token:
encrypted in the session like any secret at rest, never logged, never shown.
"""

import hashlib
import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from connections.saml.models import SAMLSignedInSession
from kloudsso.crypto import SecretUnreadable, decrypt_secret, encrypt_secret

SESSION_KEY = "kloudsso_sso"
SWEEP_ONE_IN = 50  # as the replay table: now and then a sign-in removes the rows of sessions that have expired


def remember_oidc(request, connection, id_token: str) -> None:
    request.session[SESSION_KEY] = {
        "kind": "oidc",
        "connection": str(connection.public_id),
        "id_token": encrypt_secret(id_token),
    }


def remember_saml(request, connection, *, name_id_xml: str, name_id: str, session_indexes: list[str]) -> None:
    """The NameID as the assertion gave it (format and qualifiers, for the LogoutRequest), its SessionIndexes, and
    one index row per SessionIndex naming this session's key."""
    request.session[SESSION_KEY] = {
        "kind": "saml",
        "connection": str(connection.public_id),
        "name_id": name_id_xml,
        "session_indexes": session_indexes,
    }
    # The login cycled the key; the browser's new key is only made when the session is saved: save it now.
    request.session.save()
    now = timezone.now()
    expires_at = now + timedelta(seconds=request.session.get_expiry_age())
    if secrets.randbelow(SWEEP_ONE_IN) == 0:
        SAMLSignedInSession.objects.filter(expires_at__lte=now).delete()
    person = person_key(connection, name_id)
    for index in session_indexes or [""]:
        SAMLSignedInSession.objects.update_or_create(
            key=session_key_of(connection, name_id, index),
            session_key=request.session.session_key,
            defaults={"person_key": person, "expires_at": expires_at},
        )


def remembered(request) -> dict | None:
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, dict) and value.get("kind") in ("oidc", "saml") else None


def id_token_of(value: dict) -> str:
    """The ID token kept at sign-in, or "" when it can no longer be read (an encryption key since removed)."""
    try:
        return decrypt_secret(value.get("id_token") or "")
    except SecretUnreadable:
        return ""


def forget_index(session_key: str | None) -> None:
    if session_key:
        SAMLSignedInSession.objects.filter(session_key=session_key).delete()


def session_renamed(old_key: str, new_key: str | None) -> None:
    """A later login in the same session cycled its key (kloudsso/sessions): its rows follow, or the IdP's
    LogoutRequest would end nothing."""
    if old_key and new_key and old_key != new_key:
        SAMLSignedInSession.objects.filter(session_key=old_key).update(session_key=new_key)


def end_sessions(connection, *, name_id: str, session_indexes: list[str]) -> int:
    """End the sessions of this connection's sign-ins that the IdP names: by SessionIndex, or every session of the
    NameID when the LogoutRequest gives none (SAML core 3.7.1). Returns how many sessions ended."""
    rows = SAMLSignedInSession.objects.filter(expires_at__gt=timezone.now())
    if session_indexes:
        rows = rows.filter(key__in=[session_key_of(connection, name_id, i) for i in session_indexes])
    else:
        rows = rows.filter(person_key=person_key(connection, name_id))
    keys = set(rows.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key in keys:
        store.delete(key)
    SAMLSignedInSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def connections_with_sessions(connection_pks: list[int], *, name_id: str) -> set[int]:
    """Which of these connections have an unexpired session of this NameID in the index."""
    keys = {_hash(pk, name_id): pk for pk in connection_pks}
    rows = SAMLSignedInSession.objects.filter(expires_at__gt=timezone.now(), person_key__in=list(keys))
    return {keys[k] for k in rows.values_list("person_key", flat=True)}


def session_key_of(connection, name_id: str, session_index: str) -> str:
    return _hash(connection.pk, name_id, session_index)


def person_key(connection, name_id: str) -> str:
    return _hash(connection.pk, name_id)


def _hash(*parts) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()
