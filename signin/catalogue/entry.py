"""One catalogue entry, and the person-facing messages several entries share."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    person: str
    cause: str
    fix: str
    protocol: str = "any"  # "oidc", "saml", "email" or "any": how the troubleshooting page groups them
    # An answer already used, or one this browser no longer waits for (a second tab, the back button, a double
    # click, a bookmark): a person who is signed in is told so and taken on, since nothing about them changed.
    stale: bool = False

    def fix_with(self, values: dict) -> str:
        return self.fix.format_map(_Blank(values))


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


_TRY_AGAIN = "Something went wrong with the sign-in. Try again, or ask your admin."
_UNVERIFIED = "Your identity provider's answer could not be verified. Try again, or ask your admin."
