"""An IdP's metadata URL for the refresh tests: a real HTTP server on 127.0.0.1 whose document a test changes, and
the scheduled task run at a moment the test picks (time-machine)."""

from datetime import UTC, datetime, timedelta

import time_machine

from connections.saml.tasks import refresh_saml_metadata
from tests.support.metadata import idp_metadata

ENTITY_ID = "https://idp.crafted.test/metadata"
SSO_URL = "https://idp.crafted.test/sso"
# The refreshes run at moments from the next hour on, while the sign-ins (and the test keys' validity) use the real
# clock: a grace period of days fits in the 30 days the keys are valid.
T0 = datetime.now(UTC).replace(minute=30, second=0, microsecond=0) + timedelta(hours=1)


class PublishedMetadata:
    """The IdP's metadata URL on a real HTTP server on 127.0.0.1; publish() changes what it serves."""

    def __init__(self, server):
        self.server = server
        self.url = server.url("/federationmetadata.xml")

    def publish(self, *idps, entity_id=ENTITY_ID, sso_url=SSO_URL, valid_until=""):
        xml = idp_metadata(
            entity_id=entity_id,
            sso_url=sso_url,
            certificates=[i.certificate_pem for i in idps],
            valid_until=valid_until,
        )
        self.server.serve("/federationmetadata.xml", xml, content_type="application/samlmetadata+xml")
        return xml

    def fail(self, body=b"upstream down", status=503, **route):
        self.server.serve("/federationmetadata.xml", body, status=status, content_type="text/plain", **route)


def refresh(moment):
    """The scheduled task, as the worker calls it, at `moment`."""
    with time_machine.travel(moment, tick=False):
        return refresh_saml_metadata.call()
