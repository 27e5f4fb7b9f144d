"""The TXT lookup itself, the one module that imports dnspython (about 15 MB): domains/dns_check.py imports it when
an owner clicks Verify or the periodic recheck runs, so that sign-in workers never load it."""

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings

from domains.nameservers import parse_nameserver


class Missing(Exception):
    """No such name (nxdomain), or the name exists with no TXT record."""

    def __init__(self, nxdomain: bool):
        super().__init__("nxdomain" if nxdomain else "no TXT")
        self.nxdomain = nxdomain


class Unanswered(Exception):
    """DNS gave no answer in time, or failed in a way that is not the owner's (the message says which)."""


def txt_values(record_name: str) -> tuple[str, ...]:
    try:
        answer = _resolver().resolve(record_name, "TXT", search=False)
    except dns.resolver.NXDOMAIN:
        raise Missing(nxdomain=True) from None
    except dns.resolver.NoAnswer:
        raise Missing(nxdomain=False) from None
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration):
        raise Unanswered("") from None
    except dns.exception.DNSException as exc:  # anything else dnspython reports: not the owner's failure either
        raise Unanswered(str(exc)) from None
    return tuple(b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer)


def _resolver() -> dns.resolver.Resolver:
    configured = settings.DNS_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        resolver.nameservers = [_nameserver(entry) for entry in configured]
    resolver.timeout = settings.DNS_TIMEOUT_SECONDS
    resolver.lifetime = settings.DNS_TIMEOUT_SECONDS
    resolver.cache = None  # every Verify click must see the zone as it is now
    return resolver


def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    host, port = parse_nameserver(entry)
    return dns.nameserver.Do53Nameserver(host, port)
