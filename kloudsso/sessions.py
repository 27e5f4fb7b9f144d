"""Django's database sessions, with one statement where Django spends two.

Every sign-in cycles the session key (a new row, the old one deleted) and every first visit creates a row, so these
run on each of the sign-in flows.
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
