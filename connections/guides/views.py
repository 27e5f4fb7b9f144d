from django.http import Http404
from django.shortcuts import render

from connections.guides import guide_get, guide_list
from connections.guides.render import guide_steps
from connections.sp import service_provider_get_or_create, sp_details
from kloudsso.tenancy.access import sso_manager_required


@sso_manager_required
def guide_index(request):
    groups = [("OIDC", guide_list(protocol="oidc")), ("SAML 2.0", guide_list(protocol="saml"))]
    return render(request, "connections/guide_index.html", {"groups": groups})


@sso_manager_required
def guide_page(request, slug):
    guide = guide_get(slug)
    if guide is None:
        raise Http404("No such guide.")
    sp = sp_details(service_provider_get_or_create(org=request.org))
    return render(request, "connections/guide.html", {"guide": guide, "steps": guide_steps(guide, sp)})
