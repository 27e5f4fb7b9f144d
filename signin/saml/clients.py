"""One pysaml2 client per connection, kept warm in each worker process.

Building a client parses the IdP's metadata and sets up its security context: milliseconds that a warm client
does not pay again. Clients are keyed by every value their configuration is made of (signin/saml/sp_config.Inputs:
the connection's IdP settings and certificates, the SP's entity ID and its signing and encryption certificates, the
ACS URL), read from the database on every use: whatever changes, on whichever server, each server builds a new
client at its next use, and a stale one is never used. At most SAML_CLIENT_CACHE_SIZE clients are kept; the least
recently used goes first.
"""

import functools
import threading
from collections import OrderedDict

from django.conf import settings
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.cryptography.asymmetric import load_pem_private_key
from saml2.population import Population
from saml2.sigver import RSACrypto

from kloudsso import metrics
from signin.saml.schema import use_libxml2_for_pysaml2s_schema_check
from signin.saml.sp_config import Inputs, inputs_of, sp_config_values
from signin.saml.xmlsec_backend import InProcessXmlSec

use_libxml2_for_pysaml2s_schema_check()
_clients: OrderedDict[Inputs, Saml2Client] = OrderedDict()
_lock = threading.Lock()


def client_for(connection, *, sp, certificates=None, allow_idp_initiated: bool | None = None) -> Saml2Client:
    key = inputs_of(connection, sp=sp, certificates=certificates, allow_idp_initiated=allow_idp_initiated)
    with _lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            metrics.cache_lookup("saml_client", "hit")
            return client
    metrics.cache_lookup("saml_client", "miss")
    # built outside the lock: another connection's sign-in need not wait
    client = ConnectionClient(
        sp_config_values(key, private_key_pem=sp.get_private_key_pem, decryption_keys=sp.decryption_keys)
    )
    with _lock:
        _clients[key] = client
        while len(_clients) > settings.SAML_CLIENT_CACHE_SIZE:
            _clients.popitem(last=False)
    return client


def forget_all() -> None:
    with _lock:
        _clients.clear()


class ConnectionClient(Saml2Client):
    """A Saml2Client whose signatures are checked and made in process (signin/saml/xmlsec_backend), with the SP
    key parsed once per process, and which remembers no one."""

    def __init__(self, values: dict):
        config = SPConfig()
        config.load(values)
        super().__init__(config)
        self.sec.crypto = InProcessXmlSec()
        self.sec.sec_backend = RSACrypto(_signing_key(config.key_file))  # signs HTTP-Redirect AuthnRequests
        self.users = _Forgetful()


class _Forgetful(Population):
    """pysaml2 keeps every person a client signed in, for its own single logout; sign-in sessions live in Django's
    session instead, and a client kept warm must not grow with each sign-in."""

    def add_information_about_person(self, session_info):
        return session_info["name_id"]


def _signing_key(key_file: str):
    with open(key_file, "rb") as handle:
        return _parsed_key(handle.read())


@functools.lru_cache(maxsize=64)
def _parsed_key(pem: bytes):
    return load_pem_private_key(pem)
