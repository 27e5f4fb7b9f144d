"""djangosaml2's backend, through its documented hooks: the verified assertion goes to complete_sign_in().

The finish view has already verified the response with the connection's own configuration and put what it
learned on the request (request.kloudsso_saml); this backend never looks users up by NameID or email.
"""

from djangosaml2.backends import Saml2Backend

from signin.complete import Vouched, complete_sign_in
from signin.errors import SignInError


class ConnectionSAMLBackend(Saml2Backend):
    def authenticate(self, request, session_info=None, attribute_mapping=None, **kwargs):
        if request is None or session_info is None or not hasattr(request, "kloudsso_saml"):
            return None  # a password sign-in or another backend's business
        self._request = request
        return super().authenticate(request, session_info=session_info, attribute_mapping=attribute_mapping, **kwargs)

    def is_authorized(self, attributes, attribute_mapping, idp_entityid, assertion_info, **kwargs):
        # The Issuer pysaml2 reports must be the connection's IdP: a second check, as the signature was already
        # verified with this connection's certificates alone.
        return idp_entityid == self._request.kloudsso_saml.connection.saml.idp_entity_id

    def get_or_create_user(self, user_lookup_key, user_lookup_value, create_unknown_user, **kwargs):
        request = self._request
        verified = request.kloudsso_saml
        try:
            vouched = Vouched(
                verified.connection, verified.subject, verified.email, verified.attributes, verified.email_source
            )
            user = complete_sign_in(vouched)
        except SignInError as exc:
            request.kloudsso_signin_error = exc
            return None, False
        return user, False
