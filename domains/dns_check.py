"""Look up a domain's verification TXT record (domains/dns_lookup.py, with dnspython), and say what was found and
what to fix."""

from dataclasses import dataclass

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
    from domains import dns_lookup  # dnspython only where a lookup runs (dns_lookup.py says why)

    try:
        values = dns_lookup.txt_values(record_name)
    except dns_lookup.Missing as missing:
        if missing.nxdomain:
            return CheckResult(
                NXDOMAIN,
                f"No DNS record named {record_name} exists yet. Create a TXT record with that name and the value "
                "shown, then click Verify. New records can take a few minutes to appear.",
            )
        return CheckResult(
            NO_TXT,
            f"{record_name} exists but has no TXT record (perhaps a CNAME or another type was created). Add a TXT "
            "record with the value shown.",
        )
    except dns_lookup.Unanswered as unanswered:
        if str(unanswered):
            return CheckResult(TEMPORARY, f"The DNS lookup of {record_name} failed ({unanswered}). Try again later.")
        return CheckResult(
            TEMPORARY,
            f"The DNS servers did not answer for {record_name} in time. This is not a failure: try again in a "
            "few minutes.",
        )
    if expected_value in values:
        return CheckResult(FOUND, f"Found the TXT record {record_name} with the expected value.", values)
    shown = "; ".join(repr(v[:200]) for v in values[:10])
    return CheckResult(
        WRONG_VALUE,
        f"{record_name} has TXT records, but none holds the expected value. Found: {shown}. Set one TXT record "
        f"to exactly {expected_value}",
        values,
    )
