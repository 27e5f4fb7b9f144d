"""Turn what an owner types into a domain name we can verify, or say why we cannot."""

import functools
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import idna

PUBLIC_EMAIL_DOMAINS_FILE = Path(__file__).parent / "data" / "public_email_domains.txt"
# 253 minus "_kloudsso-challenge.": the verification record's name must fit in DNS too.
MAX_DOMAIN_LENGTH = 253 - 20
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class DomainNameError(ValueError):
    pass


@functools.cache
def public_email_domains() -> frozenset[str]:
    lines = PUBLIC_EMAIL_DOMAINS_FILE.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def normalize_domain(raw: str) -> str:
    """acme.com from 'ACME.com.', 'https://acme.com/login', 'bob@acme.com' or 'bücher.de' (as xn--bcher-kva.de)."""
    text = raw.strip().lower()
    if "://" in text:
        try:
            text = urlsplit(text).netloc
        except ValueError:
            raise DomainNameError(f"{raw.strip()[:100]!r} is not a valid domain name.") from None
    text = text.split("/", 1)[0].rsplit("@", 1)[-1]
    if not text.startswith("["):
        text = text.split(":", 1)[0]
    text = text.strip("[]").rstrip(".")
    if not text:
        raise DomainNameError("Enter your company's domain name, for example acme.com.")
    if _is_ip_address(text):
        raise DomainNameError(f"{text} is an IP address. Enter a domain name, such as acme.com.")
    try:
        name = idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise DomainNameError(f"{raw.strip()[:100]!r} is not a valid domain name.") from None
    labels = name.split(".")
    if len(name) > MAX_DOMAIN_LENGTH or len(labels) < 2 or not all(LABEL.match(label) for label in labels):
        raise DomainNameError(f"{raw.strip()[:100]!r} is not a valid domain name; enter one such as acme.com.")
    if labels[-1].isdigit():
        raise DomainNameError(f"{name} is not a valid domain name: its last part is a number.")
    if name in public_email_domains():
        raise DomainNameError(
            f"{name} is a public email provider: anyone can have an address there, so it cannot identify your "
            "company. Enter a domain your company owns."
        )
    return name


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def email_domain(email: str) -> str:
    """The domain of an email, in the form domains are stored (punycode): bob@Bücher.de → xn--bcher-kva.de."""
    host = email.rpartition("@")[2].strip().lower().rstrip(".")
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host


def parent_domains(host: str) -> list[str]:
    """eu.acme.com → [eu.acme.com, acme.com, com]: a verified domain covers its subdomains."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def covering_domains(email: str) -> list[str]:
    """Every domain name that, verified, covers this email."""
    host = email_domain(email)
    return parent_domains(host) if host else []
