"""Catalogue entries: Any connection, and the email prompt."""

from signin.catalogue.entry import _TRY_AGAIN, Entry

ENTRIES = [
    Entry(
        "connection_disabled",
        "Connection disabled",
        "Single sign-on through this connection is turned off. Ask your organization's admin.",
        "The connection is disabled.",
        "Enable it on the Connections page.",
        "any",
    ),
    Entry(
        "plan_not_paid",
        "Plan not paid",
        "Single sign-on is not available for your organization. Ask your organization's admin.",
        "Single sign-on needs the paid plan.",
        "Ask support to upgrade the plan.",
        "any",
    ),
    Entry(
        "no_connection",
        "No enabled connection for the domain",
        "Your organization has not set up single sign-on yet. Ask your admin.",
        "The email's domain is verified, but the organization has no enabled connection.",
        "Add or enable a connection on the Connections page.",
        "any",
    ),
    Entry(
        "unknown_domain",
        "Unknown or unverified domain",
        "We could not find single sign-on for {domain}. Check the address, or sign in with your password if you "
        "have one.",
        "No organization has verified the email's domain.",
        "Verify the domain on the Domains page.",
        "any",
    ),
    Entry(
        "unknown",
        "Unexplained failure",
        _TRY_AGAIN,
        "The sign-in did not complete.",
        "Ask the person to try again.",
        "any",
    ),
]
