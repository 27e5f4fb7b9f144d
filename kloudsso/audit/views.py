from django.core.paginator import Paginator
from django.shortcuts import render

from kloudsso.audit.actions import action_title
from kloudsso.audit.forms import AuditFilter
from kloudsso.audit.presenting import change_rows
from kloudsso.audit.selectors import audit_event_list
from kloudsso.tenancy.access import sso_manager_required

PAGE_SIZE = 50


@sso_manager_required
def audit_log(request):
    form = AuditFilter(request.GET or None)
    form.is_valid()  # each filter that validates applies; the others show their error
    filters = {name: form.cleaned_data.get(name) for name in ("who", "what", "since", "until")} if form.is_bound else {}
    events = audit_event_list(org=request.org, **{k: v for k, v in filters.items() if v})
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"event": e, "title": action_title(e.action), "changes": change_rows(e.changes)} for e in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, "audit/log.html", context)
