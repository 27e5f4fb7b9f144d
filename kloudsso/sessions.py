"""Django's database sessions, in fewer statements.

Every sign-in cycles the session key (the old row gone, a new one with the signed-in data), and a first visit that
stores something (the email prompt) creates a row: these run in each of the sign-in flows.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import IntegrityError, router, transaction
from django.utils.crypto import get_random_string


def _index_follows(old_key: str, new_key: str | None) -> None:
    # The index of SAML sign-ins names sessions by key (signin/sso_session): it must name the renamed one.
    from signin.sso_session import session_renamed

    session_renamed(old_key, new_key)


def _saml_signed_in(data) -> bool:
    from signin.sso_session import SESSION_KEY

    value = data.get(SESSION_KEY) if data else None
    return isinstance(value, dict) and value.get("kind") == "saml"


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self):
        # Django asks the table whether a fresh key is taken before create() inserts it. The insert itself refuses a
        # taken key (must_create: the primary key) and create() then draws another, so the question is redundant.
        return get_random_string(32, VALID_KEY_CHARS)

    async def _aget_new_session_key(self):
        return self._get_new_session_key()

    def cycle_key(self):
        # Django inserts the new key's row at once and deletes the old one; the login that cycled the key then
        # changes the data, so the response's save updates the new row: three statements. Here the response's save
        # moves the old row to a new key with the new data: one UPDATE. The browser learns the new key from that
        # response only, so nothing could use it before; the old key names no row afterwards. Should the response
        # never be saved (an error), the old row keeps the data it had before the login.
        data = self._session
        self._renaming = getattr(self, "_renaming", None) or self.session_key  # cycled twice: still the first row
        # a session signed in through SAML with single logout on has rows in that index; others cost no query
        self._indexed = getattr(self, "_indexed", False) or _saml_signed_in(data)
        self._session_key = None
        self._session_cache = data
        self.modified = True

    def save(self, must_create=False):
        renaming, self._renaming = getattr(self, "_renaming", None), None
        indexed, self._indexed = getattr(self, "_indexed", False), False
        if renaming and self.session_key is None and not must_create:
            if self._renamed(renaming):
                if indexed:
                    _index_follows(renaming, self.session_key)
                return
        elif renaming:
            self.delete(renaming)
        super().save(must_create=must_create)
        if renaming and indexed:
            _index_follows(renaming, self.session_key)

    async def asave(self, must_create=False):
        renaming, self._renaming = getattr(self, "_renaming", None), None
        if renaming:  # the async path moves nothing: the old row goes, as in Django
            await self.adelete(renaming)
        await super().asave(must_create=must_create)

    def flush(self):
        renaming, self._renaming = getattr(self, "_renaming", None), None
        if renaming:  # a login then a logout in one request: the row that was to move goes
            self.delete(renaming)
        super().flush()

    async def aflush(self):
        renaming, self._renaming = getattr(self, "_renaming", None), None
        if renaming:
            await self.adelete(renaming)
        await super().aflush()

    def _renamed(self, old_key: str) -> bool:
        self._session_key = self._get_new_session_key()
        row = self.create_model_instance(self._get_session())
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                moved = self.model.objects.filter(session_key=old_key).update(
                    session_key=row.session_key, session_data=row.session_data, expire_date=row.expire_date
                )
        except IntegrityError:  # the new key was taken after all: a fresh row, and the old one goes
            moved = 0
        if not moved:
            self._session_key = None  # a new row, as Django makes one (the old one is gone, or goes now)
            self.delete(old_key)
        return bool(moved)

    async def acycle_key(self):
        data = await self._aget_session()
        old_key = self.session_key
        self._session_key = None
        self._session_cache = data
        self.modified = True
        if old_key:
            await self.adelete(old_key)

    def delete(self, session_key=None):
        # Django loads the row, then deletes it. A queryset's delete is one DELETE, and still loads the rows first
        # should anything ever listen to a session's deletion signals.
        if session_key is None:
            session_key = self.session_key
        if session_key is not None:
            self.model.objects.filter(session_key=session_key).delete()

    async def adelete(self, session_key=None):
        if session_key is None:
            session_key = self.session_key
        if session_key is not None:
            await self.model.objects.filter(session_key=session_key).adelete()
