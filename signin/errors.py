"""A refused sign-in, as data: its catalogue entry, what the person is told and what the owners need."""

from signin.catalogue import CATALOGUE


class SignInError(Exception):
    """A refused sign-in: `code` names its catalogue entry; `message` is for the person signing in (the entry's, or
    a more specific one); `detail` holds the values involved, for the organization's owners; `answer`, when set,
    what the IdP sent ({"kind", "body", "signatures"}, secrets masked), kept a short while for the owners."""

    def __init__(self, code: str, message: str = "", detail: str = "", *, answer: dict | None = None):
        self.entry = CATALOGUE[code]  # a code outside the catalogue is a bug, caught by the catalogue's tests
        self.code = code
        self.message = message or self.entry.person
        self.detail = detail
        self.answer = answer
        self.public = self  # what the person's page shows (see shown_as)
        super().__init__(self.message)

    def shown_as(self, public: "SignInError") -> "SignInError":
        """This refusal, shown to the person as `public` (its code, message and page) while the owners' event keeps
        this one's code and detail."""
        self.public = public
        return self
