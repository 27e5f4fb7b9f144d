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

    def fix_with(self, values: dict) -> str:
        return self.fix.format_map(_Blank(values))


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


_TRY_AGAIN = "Something went wrong with the sign-in. Try again, or ask your admin."
_UNVERIFIED = "Your identity provider's answer could not be verified. Try again, or ask your admin."
