from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from domains.forms import DomainAddForm
from domains.selectors import domain_get, domain_list
from domains.services import DomainError, domain_add, domain_delete, domain_verify
from kloudsso import rate_limit
from kloudsso.audit.record import actor_from_request
from kloudsso.tenancy.access import sso_manager_required

VERIFY_LIMIT, VERIFY_WINDOW_SECONDS = 10, 600


@sso_manager_required
def index(request):
    form = DomainAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = domain_add(org=request.org, raw_name=form.cleaned_data["name"], by=actor_from_request(request))
        except DomainError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"{domain.name} added. Create the DNS record below, then click Verify.")
            return redirect("domains:list", org_slug=request.org.slug)
    return render(request, "domains/index.html", {"form": form, "domains": domain_list(org=request.org)})


@sso_manager_required
def verify(request, public_id):
    domain = domain_get(org=request.org, public_id=public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not rate_limit.allow(
        f"domain-verify:{request.org.pk}", limit=VERIFY_LIMIT, window_seconds=VERIFY_WINDOW_SECONDS
    ):
        messages.error(
            request, "Too many verification attempts for this organization. Wait ten minutes, then try again."
        )
        return redirect("domains:list", org_slug=request.org.slug)
    outcome = domain_verify(domain=domain, by=actor_from_request(request))
    level = messages.SUCCESS if outcome.verified else (messages.WARNING if outcome.temporary else messages.ERROR)
    messages.add_message(request, level, outcome.message)
    return redirect("domains:list", org_slug=request.org.slug)


@sso_manager_required
def delete(request, public_id):
    domain = domain_get(org=request.org, public_id=public_id)
    if request.method == "POST":
        domain_delete(org=request.org, domain=domain, by=actor_from_request(request))
        messages.success(request, f"{domain.name} removed.")
        return redirect("domains:list", org_slug=request.org.slug)
    return render(request, "domains/delete.html", {"domain": domain})
