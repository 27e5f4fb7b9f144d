"""Look up a domain's verification TXT record with dnspython, and say what was found and what to fix."""

from dataclasses import dataclass

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings

from domains.nameservers import parse_nameserver

FOUND, NXDOMAIN, NO_TXT, WRONG_VALUE, TEMPORARY = "found", "nxdomain", "no_txt", "wrong_value", "temporary"


@dataclass(frozen=True)
class CheckResult:
    outcome: str
    message: str
    values: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.outcome == FOUND

    @property
    def temporary(self) -> bool:
        """No answer from DNS: neither a success nor a failure; try again later."""
        return self.outcome == TEMPORARY


def check_record(*, record_name: str, expected_value: str) -> CheckResult:
    try:
        resolver = _resolver()
        answer = resolver.resolve(record_name, "TXT", search=False)
    except dns.resolver.NXDOMAIN:
        return CheckResult(
            NXDOMAIN,
            f"No DNS record named {record_name} exists yet. Create a TXT record with that name and the value "
            "shown, then click Verify. New records can take a few minutes to appear.",
        )
    except dns.resolver.NoAnswer:
        return CheckResult(
            NO_TXT,
            f"{record_name} exists but has no TXT record (perhaps a CNAME or another type was created). Add a TXT "
            "record with the value shown.",
        )
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration):
        return CheckResult(
            TEMPORARY,
            f"The DNS servers did not answer for {record_name} in time. This is not a failure: try again in a "
            "few minutes.",
        )
    except dns.exception.DNSException as exc:  # anything else dnspython reports: not the owner's failure either
        return CheckResult(TEMPORARY, f"The DNS lookup of {record_name} failed ({exc}). Try again later.")
    values = tuple(b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer)
    if expected_value in values:
        return CheckResult(FOUND, f"Found the TXT record {record_name} with the expected value.", values)
    shown = "; ".join(repr(v[:200]) for v in values[:10])
    return CheckResult(
        WRONG_VALUE,
        f"{record_name} has TXT records, but none holds the expected value. Found: {shown}. Set one TXT record "
        f"to exactly {expected_value}",
        values,
    )


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
