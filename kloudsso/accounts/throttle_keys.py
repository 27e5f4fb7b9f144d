"""What the password throttle counts under: an account as the database compares emails, a network, a log-safe text."""

import hashlib
import ipaddress
import unicodedata


def account_key(email: str) -> str:
    """One key for every spelling of an email that the sign-in lookup finds as the same account.

    The lookup is email__iexact on what the form cleaned (stripped, NFKC): on PostgreSQL, UPPER(email) = UPPER(%s).
    UPPER maps U+0131 (dotless i) and U+017F (long s) to 'I' and 'S', and with an ICU collation U+00DF (sharp s) to
    'SS', so a key made with str.lower() gave each such variant an allowance of its own. Python's upper() is the full
    Unicode mapping, which agrees with libc's simple one and ICU's full one once lowered and NFKC-normalized again
    (checked for every code point against PostgreSQL 15, C.UTF-8 and und-x-icu collations). A few more spellings
    share a key than the database equates (ß and ss; SQLite's LIKE only folds ASCII): such accounts share the
    account's count of wrong passwords, never a known device (known_device names the account's id too).
    """
    typed = unicodedata.normalize("NFKC", email.strip())
    return unicodedata.normalize("NFKC", typed.upper().lower())


def network(ip: str | None) -> str:
    """The address, or for IPv6 its /64: one subscriber commonly holds a whole /64 and could rotate through it."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip or "unknown"
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


def digest(*parts: str) -> str:
    # Cache keys of a fixed length and alphabet, whatever was typed (Memcached refuses spaces and long keys).
    joined = "\0".join(parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def loggable(text: str | None) -> str:
    """`text` with control and other unprintable characters (and backslashes) escaped: a typed email holding a
    newline must not start a forged log line."""
    if text is None:
        return "-"
    return "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode("ascii") for c in text)
