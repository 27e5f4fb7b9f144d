"""The app's models, one module each; Django finds them through this module."""

from connections.answers import SignInAnswer
from connections.connection import Connection, Kind
from connections.events import SignInEvent
from connections.identity import SSOIdentity
from connections.oidc.models import EntraAllowedTenant, OIDCSettings
from connections.role_mapping import RoleMapping
from connections.saml.models import SAMLCertificate, SAMLSettings, Source, UsedAssertion
from connections.saml.refresh_state import MetadataRefresh
from connections.service_provider import ServiceProvider
from connections.subject_change import SubjectChange

__all__ = [
    "Connection",
    "EntraAllowedTenant",
    "Kind",
    "MetadataRefresh",
    "OIDCSettings",
    "RoleMapping",
    "SAMLCertificate",
    "SAMLSettings",
    "SSOIdentity",
    "ServiceProvider",
    "SignInAnswer",
    "SignInEvent",
    "Source",
    "SubjectChange",
    "UsedAssertion",
]
