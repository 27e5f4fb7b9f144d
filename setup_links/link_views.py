"""The pages a setup link opens, for an IT admin with no account: choose → guide → paste → test → finish.

Every page but the first takes the link from the session (setup_links/session.py) and touches only its
organization's SP values and its one connection; nothing here takes an organization or a connection from the URL.
"""

from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from connections.connection import Kind
from connections.guides import guide_get, guide_list
from connections.guides.render import guide_steps
from connections.oidc.entra_tenants import format_tenant_lines
from connections.oidc.forms import OIDCConnectionForm
from connections.saml.forms import SAMLConnectionForm
from connections.sp import service_provider_get_or_create, sp_details
from kloudsso import rate_limit
from kloudsso.client_ip import client_ip
from kloudsso.csp_exceptions import forms_lead_to_an_idp
from setup_links import session
from setup_links.connect import link_connection_save
from setup_links.models import Status
from setup_links.selectors import setup_link_for_token
from setup_links.services import SetupLinkEnded, setup_link_claim, setup_link_complete
from signin.oidc import views as oidc_flow
from signin.saml import views as saml_flow

OPEN_LIMIT = 20  # token exchanges per address in OPEN_WINDOW_SECONDS: plenty for a person, slow for a prober
OPEN_WINDOW_SECONDS = 600


@sensitive_post_parameters("token")
def open_link(request):
    """GET: the page the link lands on (its script posts the fragment's token). POST: the exchange."""
    if request.method == "GET":
        return render(request, "setup_links/open.html")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if not rate_limit.allow(
        f"setup-link-open:{client_ip(request)}", limit=OPEN_LIMIT, window_seconds=OPEN_WINDOW_SECONDS
    ):
        return render(
            request,
            "setup_links/unavailable.html",
            {"message": "Too many setup links were tried from this address. Wait ten minutes and open yours again."},
            status=429,
        )
    # The token alone, or the whole link pasted (everything after its "#").
    link = setup_link_for_token(token=request.POST.get("token", "").strip().rpartition("#")[2])
    if link is None:
        session.unbind(request)
        return session.unavailable(request, None)
    status = link.status()
    if status != Status.ACTIVE:
        session.unbind(request)
        return session.unavailable(request, status)
    if not link.organization.has_sso:
        session.unbind(request)
        return session.unavailable(request, None)
    if session.bound_here(request, link):  # opened again in the browser that holds it
        return redirect("setup_links:start")
    browser_secret = setup_link_claim(link=link)
    if browser_secret is None:
        session.unbind(request)
        return render(request, "setup_links/unavailable.html", {"message": session.CLAIMED}, status=410)
    session.bind(request, link, browser_secret)
    return redirect("setup_links:start")


def _allowed_protocol(link) -> str:
    return link.connection.kind if link.connection else link.protocol


def _guide_or_404(link, slug):
    guide = guide_get(slug)
    allowed = _allowed_protocol(link)
    if guide is None or (allowed and guide.protocol != allowed):
        raise Http404("No such guide for this setup link.")
    return guide


def _context(link, **extra) -> dict:
    return {"setup_link": link, "org_name": link.organization.name, **extra}


@session.setup_link_required
def start(request):
    link = request.setup_link
    guides = guide_list(protocol=_allowed_protocol(link))
    suggested = guide_get(link.guide)
    if suggested in guides:
        guides = [suggested, *(g for g in guides if g != suggested)]
    return render(request, "setup_links/start.html", _context(link, guides=guides, suggested=suggested, step=1))


@session.setup_link_required
def guide(request, slug):
    link = request.setup_link
    chosen = _guide_or_404(link, slug)
    sp = sp_details(service_provider_get_or_create(org=link.organization))
    steps = guide_steps(chosen, sp)
    return render(request, "setup_links/guide.html", _context(link, guide=chosen, steps=steps, step=2))


@sensitive_post_parameters("client_secret")
@session.setup_link_required
def connect(request, slug):
    link = request.setup_link
    chosen = _guide_or_404(link, slug)
    existing = link.connection
    if request.method == "POST":
        form = _form(chosen.protocol, existing, data=request.POST, files=request.FILES)
        if form.is_valid():
            try:
                link_connection_save(link=link, kind=chosen.protocol, form=form, by=session.link_actor(request, link))
            except SetupLinkEnded:
                return session.unavailable(request, link.status())
            if chosen.protocol == Kind.SAML:
                request.session["kloudsso_setup_link_warnings"] = list(form.idp_config.warnings)
            return redirect("setup_links:check")
    else:
        form = _form(chosen.protocol, existing, initial=_initial(chosen, existing))
    template = "setup_links/connect_oidc.html" if chosen.protocol == Kind.OIDC else "setup_links/connect_saml.html"
    hints = [(form[name].label, where) for name, where in chosen.fields.items() if name in form.fields]
    return render(request, template, _context(link, guide=chosen, form=form, hints=hints, step=3))


def _form(protocol, existing, **kwargs):
    if protocol == Kind.OIDC:
        oidc = existing.oidc if existing else None
        stored = oidc.discovery_document if oidc else None
        tenants = list(oidc.allowed_tenants.all()) if oidc else []
        form = OIDCConnectionForm(
            kwargs.pop("data", None),
            has_secret=oidc is not None,
            stored_document=stored,
            stored_expiry=oidc.client_secret_expires_on if oidc else None,
            stored_secret_bytes=oidc.client_secret_bytes() if oidc else None,
            stored_tenants=tenants,
            **_no_files(kwargs),
        )
        # Whether signing out of KloudSSO signs people out at the IdP is the owners' decision, on their own form.
        del form.fields["single_logout"]
        return form
    return SAMLConnectionForm(kwargs.pop("data", None), kwargs.pop("files", None), **kwargs)


def _no_files(kwargs: dict) -> dict:
    kwargs.pop("files", None)
    return kwargs


def _initial(chosen, existing) -> dict:
    if existing is None:
        return {"display_name": chosen.display_name}
    if existing.kind == Kind.OIDC:
        oidc = existing.oidc
        return {
            "display_name": existing.display_name,
            "discovery_url": oidc.discovery_url,
            "client_id": oidc.client_id,
            "client_secret_expires_on": oidc.client_secret_expires_on,
            "scopes": oidc.scopes,
            "token_endpoint_auth_method": oidc.token_endpoint_auth_method,
            "id_token_signing_alg": oidc.id_token_signing_alg,
            "entra_allowed_tenants": format_tenant_lines(oidc.allowed_tenants.all()),
        }
    saml = existing.saml
    return {
        "display_name": existing.display_name,
        "source": saml.source,
        "metadata_xml": saml.metadata_xml if saml.source == "xml" else "",
        "metadata_url": saml.metadata_url,
        "email_attribute": saml.email_attribute,
        "nameid_format": saml.nameid_format,
    }


@session.setup_link_required
@forms_lead_to_an_idp  # Test connection
def check(request):
    link = request.setup_link
    if link.connection is None:
        return redirect("setup_links:start")
    warnings = request.session.pop("kloudsso_setup_link_warnings", [])
    edit_guide = guide_get(link.guide) if link.guide else None
    if edit_guide is None or edit_guide.protocol != link.connection.kind:
        edit_guide = guide_list(protocol=link.connection.kind)[-1]  # the generic one
    return render(
        request,
        "setup_links/check.html",
        _context(link, connection=link.connection, warnings=warnings, edit_guide=edit_guide, step=4),
    )


@session.setup_link_required
def test(request):
    """Test connection for the link's connection: the owners' own test sign-in, ending on its report."""
    link = request.setup_link
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if link.connection is None:
        return redirect("setup_links:start")
    if link.connection.kind == Kind.OIDC:
        request.kloudsso_test_start = True
        return oidc_flow.StartView.as_view()(request, connection=link.connection)
    return saml_flow.start(request, link.connection, test=True)


@session.setup_link_required
def finish(request):
    link = request.setup_link
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if link.connection is None or link.tested_at is None:
        return redirect("setup_links:check")
    try:
        setup_link_complete(link=link, by=session.link_actor(request, link))
    except SetupLinkEnded:
        return session.unavailable(request, link.status())
    return redirect("setup_links:done")


def done(request):
    """The last page: only right after Finish, in the browser that finished; the session lets go of the link."""
    link = session.bound_link(request)
    if link is not None and link.status() == Status.ACTIVE:
        return redirect("setup_links:check")  # not finished yet
    if link is None or link.status() != Status.COMPLETED:
        return session.unavailable(request, link.status() if link else None)
    session.unbind(request)
    return render(request, "setup_links/done.html", _context(link, connection=link.connection, step=5))
