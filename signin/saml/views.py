"""SAML sign-in: the signed AuthnRequest, the ACS at PUBLIC_BASE_URL/sso/saml, and the same-site finish step.

The IdP's POST to the ACS is cross-site, so the SameSite=Lax session cookie does not come with it. The ACS only
stashes the response in the shared cache and redirects to /sso/saml/finish/<key>: a top-level same-site GET on
which the cookie is present, so the response is checked against the requests this browser started (no login CSRF).
"""

import secrets

from django.contrib import auth
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from connections.connection import Connection
from connections.sp import service_provider_get_or_create
from signin import sso_session, test_mode
from signin.complete import Vouched, check_connection_usable
from signin.errors import SignInError
from signin.pages import signin_failed, signin_succeeded
from signin.saml import idp_initiated, verify
from signin.saml.answer import saml_answer
from signin.saml.clients import client_for
from signin.saml.peek import Unreadable, peek
from signin.saml.post_binding import post_binding_page
from signin.saml.quoting import quote
from signin.saml.route import Unsolicited, remember
from signin.saml.route import route as route_of
from signin.saml.sp_config import name_id_policy
from signin.saml.unmatched import Unmatched

STASH_SECONDS = 300
# Unmatched refusals of a response to a request KloudSSO sent for a known connection (signin/saml/issued), not
# already answered: what the IdP sent is kept for that connection's owners.
ANSWERS_OUR_REQUEST = {"saml_request_unknown", "saml_in_response_to_mismatch"}


def start(request, connection: Connection, *, test: bool = False):
    saml = connection.saml
    client = client_for(connection, sp=service_provider_get_or_create(org=connection.organization))
    binding = BINDING_HTTP_REDIRECT if saml.sso_redirect_url else BINDING_HTTP_POST
    request_id, info = client.prepare_for_authenticate(
        entityid=saml.idp_entity_id,
        relay_state="",
        binding=binding,
        sign=True,
        sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
        name_id_policy=name_id_policy(saml),
    )
    remember(request, request_id, connection)
    if test:
        test_mode.mark(request, request_id)
    if binding == BINDING_HTTP_REDIRECT:
        return HttpResponseRedirect(dict(info["headers"])["Location"])
    return post_binding_page(request, info)


@csrf_exempt  # the IdP posts here from its own site; the finish step is where the browser is checked
@require_POST
def acs(request):
    saml_response = request.POST.get("SAMLResponse", "")
    try:
        peek(saml_response)  # only well-formed SAML responses of sane size take space in the shared cache
    except Unreadable as exc:
        error = SignInError("saml_unreadable", "No readable sign-in answer was received. Start again.", _unread(exc))
        return signin_failed(request, error, record=False)  # anonymous junk: no row per POST
    key = secrets.token_urlsafe(32)
    # RelayState is only followed after an IdP-initiated sign-in, and only to a path here (idp_initiated.landing).
    stash = {"response": saml_response, "relay_state": idp_initiated.relay_state_of(request.POST)}
    cache.set(f"saml-stash:{key}", stash, STASH_SECONDS)
    return HttpResponseRedirect(resolve_url("saml_finish", key=key), status=303)


@require_GET
def finish(request, key):
    stash = cache.get(f"saml-stash:{key}")
    cache.delete(f"saml-stash:{key}")
    if stash is None:
        return signin_failed(
            request,
            SignInError(
                "saml_stash_expired",
                "This sign-in took too long or was already used. Start again.",
                f"No answer is waiting under this finish link: it is kept {STASH_SECONDS // 60} minutes after the "
                "IdP's POST and used once (a reload, the back button, or a slow finish).",
            ),
        )
    try:
        seen = _peek(stash["response"])
        route = route_of(request, seen)
    except Unsolicited as exc:
        return idp_initiated.refused(request, exc, stash["response"], seen)
    except Unmatched as exc:
        if exc.request_id and test_mode.take(request, exc.request_id):
            return test_mode.report(request, exc.connection, vouched=None, received=None, email_source="", error=exc)
        request.kloudsso_connection = exc.connection  # the owners of the sign-in it belongs to are told
        if exc.connection is not None and exc.code in ANSWERS_OUR_REQUEST:
            _keep_answer(request, exc.connection, stash["response"])
        return signin_failed(request, exc)
    except SignInError as exc:
        return signin_failed(request, exc)
    connection = request.kloudsso_connection = route.connection
    testing = bool(route.request_id) and test_mode.take(request, route.request_id)
    try:
        if not testing:  # a disabled connection can be tested before people use it
            check_connection_usable(connection)
        verified = verify.verify_response(connection, stash["response"], seen, request_id=route.request_id)
    except SignInError as exc:
        if testing:
            return test_mode.report(request, connection, vouched=None, received=None, email_source="", error=exc)
        if route.request_id:
            _keep_answer(request, connection, stash["response"])
        return signin_failed(request, exc)
    received = request.kloudsso_received = verified.received
    if testing:
        vouched = Vouched(connection, verified.subject, verified.email, verified.attributes, verified.email_source)
        return test_mode.report(
            request, connection, vouched=vouched, received=received, email_source=verified.email_source
        )
    request.kloudsso_saml = verified
    user = auth.authenticate(
        request=request,
        session_info=verified.session_info,
        attribute_mapping={},
        create_unknown_user=lambda: False,  # a callable: djangosaml2 turns a plain False into its default True
        assertion_info=verified.assertion_info,
    )
    if user is None:
        error = getattr(request, "kloudsso_signin_error", None)
        # djangosaml2 refuses through is_authorized when the Response's Issuer is not the connection's IdP (the
        # assertion's signature was checked against this connection's IdP alone, whatever the Issuers say).
        if route.request_id:
            _keep_answer(request, connection, stash["response"])
        return signin_failed(request, error or _issuer_refused(verified))
    auth.login(request, user)
    if connection.saml.single_logout:
        sso_session.remember_saml(
            request,
            connection,
            name_id_xml=verified.name_id_xml,
            name_id=verified.name_id,
            session_indexes=list(verified.session_indexes),
        )
    signin_succeeded(request, connection)
    if not route.request_id:  # IdP-initiated: the IdP says where to
        return redirect(idp_initiated.landing(request, stash.get("relay_state", ""), org=connection.organization))
    return redirect("org_home", org_slug=connection.organization.slug)


def _keep_answer(request, connection, saml_response: str) -> None:
    """The decoded response, for the owners of a failed sign-in that answered one of our own requests: never for
    a success, nor for what anyone may post (an IdP-initiated answer, one to a request we never sent)."""
    request.kloudsso_answer = saml_answer(saml_response, connection)


def _peek(saml_response: str):
    try:
        return peek(saml_response)
    except Unreadable as exc:
        raise SignInError(
            "saml_unreadable", "The sign-in answer could not be read. Start again.", _unread(exc)
        ) from None


def _unread(exc: Unreadable) -> str:
    return f"What was posted as SAMLResponse cannot be read as a SAML response: {exc}."


def _issuer_refused(verified) -> SignInError:
    """djangosaml2 refused the verified assertion: its is_authorized() (signin/saml/backend) compares the Issuer."""
    issuer = verified.session_info.get("issuer") or ""
    return SignInError(
        "unknown_issuer",
        detail=f"djangosaml2 refused the verified response: its Issuer is {quote(issuer) if issuer else 'none'}; "
        f"the connection's IdP Entity ID on file is {quote(verified.connection.saml.idp_entity_id)}.",
    )
