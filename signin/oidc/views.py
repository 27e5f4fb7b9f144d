"""mozilla-django-oidc's two views, fed by the connection instead of global settings."""

from urllib.parse import parse_qs, urlsplit

from django.contrib import auth
from django.shortcuts import resolve_url
from django.views.generic import View
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from connections.sp import oidc_redirect_uri
from signin import sso_session, test_mode
from signin.errors import SignInError
from signin.oidc import state
from signin.pages import LOGIN_EMAIL_SESSION_KEY, signin_failed, signin_succeeded
from signin.saml.quoting import quote


class StartView(OIDCAuthenticationRequestView):
    """Redirect to the connection's authorization endpoint with state, nonce and PKCE (S256).

    Reached only by POST (the email prompt or the chooser, with a CSRF token), never by a bare link.
    """

    http_method_names = ["post"]

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the base reads global OIDC_* settings here; ours come in get()

    def get_settings(self, attr, *args):
        per_connection = {
            "OIDC_RP_SCOPES": self.connection.oidc.scopes,
            "OIDC_USE_NONCE": True,
            "OIDC_USE_PKCE": True,
            "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        }
        return per_connection[attr] if attr in per_connection else import_from_settings(attr, *args)

    def post(self, request, connection):
        self.connection = connection
        self.OIDC_OP_AUTH_ENDPOINT = connection.oidc.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = connection.oidc.client_id
        response = self.get(request)  # the library's request builder
        sent_state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        state.remember(request, sent_state, connection)
        if getattr(request, "kloudsso_test_start", False):
            test_mode.mark(request, sent_state)
        return response

    def get_extra_params(self, request):
        params = {"redirect_uri": oidc_redirect_uri()}  # PUBLIC_BASE_URL's, not the request's host
        email = request.session.get(LOGIN_EMAIL_SESSION_KEY)
        if email:
            params["login_hint"] = email
        return params


class CallbackView(OIDCAuthenticationCallbackView):
    """PUBLIC_BASE_URL/sso/oidc for every organization; failures end on a page that says what went wrong."""

    def get(self, request):
        returned_state = request.GET.get("state")
        # Without a state this browser started, nothing here may act: not even the library's logout on `error`.
        if returned_state not in request.session.get("oidc_states", {}):
            return signin_failed(
                request,
                SignInError(
                    "state_mismatch",
                    "This sign-in could not be matched to your browser: it may have expired, or started in "
                    "another browser or tab. Start again from Sign in with SSO.",
                    "The callback's state is not one this browser's session started (cookies, or a stale tab). "
                    f"Sign-ins in progress in this browser's session: {len(request.session.get('oidc_states', {}))} "
                    "(0: cookies blocked, the sign-in expired, or it started in another browser).",
                ),
            )
        if "code" not in request.GET or request.GET.get("error"):
            # The IdP's error (with a code or without, as the library decides), or nothing: the flow ends here, the
            # backend never runs.
            request.kloudsso_connection = state.take(request, returned_state)
            if test_mode.take(request, returned_state):
                # A test: report, and do not let the library log the owner out on `error`.
                request.session["oidc_states"].pop(returned_state, None)
                request.session.modified = True
                return test_mode.report(
                    request,
                    request.kloudsso_connection,
                    vouched=None,
                    received=None,
                    email_source="",
                    error=self._idp_error(),
                )
            # The library would sign out whoever is signed in (for its session-refresh middleware, unused here): a
            # refused sign-in changes nobody's session. It ends here, the state used up.
            request.session["oidc_states"].pop(returned_state, None)
            request.session.modified = True
            return self.login_failure()
        return self._exchange(request, returned_state)

    def _exchange(self, request, returned_state):
        """The library's own code branch, less its reload of the session.

        The library uses up the state (nonce, PKCE verifier) in the database before the slow token request, then
        reloads the session so that the login saves what other tabs changed meanwhile. But the backend reads the
        session at once (which connection this state is for), before that request: the reload only read back what
        had just been saved, at the cost of a statement.
        """
        flow = request.session["oidc_states"].pop(returned_state)
        request.session.save()
        self.user = auth.authenticate(request=request, nonce=flow["nonce"], code_verifier=flow.get("code_verifier"))
        if self.user and self.user.is_active:
            return self.login_success()
        return self.login_failure()

    def _idp_error(self) -> SignInError:
        raw = self.request.GET.get("error", "")
        code = "".join(ch for ch in raw if ch.isalnum() or ch in "_-.")[:60]
        description = self.request.GET.get("error_description", "")[:500]
        if not code:
            return SignInError("unknown", detail=f"The callback's error parameter {quote(raw)} names no error code.")
        connection = getattr(self.request, "kloudsso_connection", None)
        sent = f" The redirect URI sent was {oidc_redirect_uri()}" + (
            f", the Client ID {connection.oidc.client_id!r}." if connection is not None else "."
        )
        return SignInError(
            "redirect_uri_mismatch" if "AADSTS50011" in description else "idp_error",
            f"Your identity provider did not sign you in ({code}). Ask your admin if this keeps happening.",
            # The browser carried these to us: the IdP's words, unless someone made the link up.
            f"As the callback URL reported it (not verified): {code}: {quote(description)}.{sent}",
        )

    def login_success(self):
        response = super().login_success()
        connection = self.request.kloudsso_connection
        id_token = getattr(self.request, "kloudsso_id_token", None)
        if connection.oidc.single_logout and id_token:
            sso_session.remember_oidc(self.request, connection, id_token)
        signin_succeeded(self.request, connection)
        return response

    @property
    def success_url(self):
        connection = getattr(self.request, "kloudsso_connection", None)
        if connection is None:
            return resolve_url("home")
        return resolve_url("org_home", org_slug=connection.organization.slug)

    def login_failure(self):
        test = getattr(self.request, "kloudsso_test", None)
        if test is not None:
            return test_mode.report(
                self.request,
                self.request.kloudsso_connection,
                vouched=test["vouched"],
                received=getattr(self.request, "kloudsso_received", None),
                email_source=test["email_source"],
                error=test["error"],
            )
        error = getattr(self.request, "kloudsso_signin_error", None)
        if error is None and self.request.GET.get("error"):
            error = self._idp_error()
        return signin_failed(self.request, error or self._incomplete())

    def _incomplete(self) -> SignInError:
        """A callback that carries neither a code nor an error: which parameters came, so a proxy or a bookmark
        that drops them can be told."""
        names = ", ".join(quote(name) for name in sorted(self.request.GET)[:10]) or "none"
        return SignInError(
            "unknown",
            "The sign-in did not complete.",
            f"The callback carried neither code nor error (OpenID Connect Core §3.1.2.5); its parameters: {names}.",
        )
