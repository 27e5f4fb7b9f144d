"""What a Test connection's report adds when the browser holds a setup link for that connection."""

from setup_links.services import setup_link_tested
from setup_links.session import bound_link


def setup_link_reported(request, connection, *, passed: bool) -> dict:
    """Record a test whose identity provider's part passed, and let the report lead back to the setup."""
    link = bound_link(request)
    if link is None or link.connection_id != connection.id or not link.is_active:
        return {}
    if passed:
        setup_link_tested(link=link)
    return {"setup_link": link, "setup_link_passed": passed}
