"""Parse DNS_NAMESERVERS entries. No Django import: settings.py validates with it at start-up."""

import ipaddress


def parse_nameserver(entry: str) -> tuple[str, int]:
    """'127.0.0.1:5353', '[::1]:53', '::1' or '10.0.0.2' → (address, port); ValueError for anything else."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":") if rest.startswith(":") else ("" if not rest else "x")
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        host, port = entry, ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{entry!r}: give the DNS server's IP address (host names are not resolved)") from None
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return host, int(port or 53)
