"""Django's database sessions, in fewer statements.

Every sign-in cycles the session key (a new row, the old one deleted), and a first visit that stores something (the
email prompt) creates a row: these run in each of the sign-in flows.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self):
        # Django asks the table whether a fresh key is taken before create() inserts it. The insert itself refuses a
        # taken key (must_create: the primary key) and create() then draws another, so the question is redundant.
        return get_random_string(32, VALID_KEY_CHARS)

    async def _aget_new_session_key(self):
        return self._get_new_session_key()

    def cycle_key(self):
        # Django inserts the new key's row at once, and the login that cycled it then changes the data, so the
        # response's save updates that row. Without a key, that save inserts it (as after flush()): one statement.
        # The browser learns the new key from that response only, so nothing could use the row before.
        data = self._session
        old_key = self.session_key
        self._session_key = None
        self._session_cache = data
        self.modified = True
        if old_key:
            self.delete(old_key)

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
