"""Sign in with SSO: the work email decides the organization (home-realm discovery), then its connection."""

from django import forms
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from connections.connection import Connection, Kind
from domains.selectors import verified_domain_for_email
from kloudsso.csp_exceptions import forms_lead_to_an_idp
from signin.catalogue import CATALOGUE
from signin.complete import check_connection_usable, plan_detail
from signin.errors import SignInError
from signin.oidc.views import StartView
from signin.pages import LOGIN_EMAIL_SESSION_KEY, signin_failed
from signin.saml import views as saml_flow
from signin.signed_in import remember_next, signed_in_page

NOT_FOUND = CATALOGUE["unknown_domain"].person  # a form error, not a failure page: a stranger's typo


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Work email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


@require_http_methods(["GET", "POST"])
@forms_lead_to_an_idp  # the prompt, and the choice between connections
def sso_login(request):
    if request.method == "GET":
        remember_next(request)
        if request.user.is_authenticated:
            # Continue, or sign in as someone else; an older tab's prompt may still POST an email (below).
            return signed_in_page(request, stale=False)
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        domain = verified_domain_for_email(email)
        if domain is None:
            form.add_error("email", NOT_FOUND.format(domain=email.rpartition("@")[2]))  # unknown_domain
        elif not domain.organization.has_sso:
            return signin_failed(
                request, SignInError("plan_not_paid", detail=plan_detail(domain.organization)), org=domain.organization
            )
        else:
            connections = list(
                Connection.objects.filter(organization=domain.organization, enabled=True)
                .select_related("organization", "oidc", "saml")
                .order_by("display_name")
            )
            if not connections:
                request.session[LOGIN_EMAIL_SESSION_KEY] = email
                return signin_failed(request, _no_connection(domain), org=domain.organization)
            else:
                request.session[LOGIN_EMAIL_SESSION_KEY] = email
                if len(connections) == 1:
                    return _start(request, connections[0])
                return render(request, "sso/choose.html", {"connections": connections, "email": email})
    return render(request, "sso/login.html", {"form": form})


@require_POST  # with a CSRF token: a link on another site must not start a sign-in into someone else's account
def sso_start(request, public_id):
    connection = get_object_or_404(
        Connection.objects.select_related("organization", "oidc", "saml"), public_id=public_id
    )
    return _start(request, connection)


def _start(request, connection):
    request.kloudsso_connection = connection
    try:
        check_connection_usable(connection)
    except SignInError as exc:
        return signin_failed(request, exc)
    if connection.kind == Kind.OIDC:
        return StartView.as_view()(request, connection=connection)
    return saml_flow.start(request, connection)


def _no_connection(domain) -> SignInError:
    """Which connections there are, all disabled, or none at all."""
    disabled = list(
        Connection.objects.filter(organization=domain.organization)
        .order_by("display_name")
        .values_list("display_name", flat=True)[:5]
    )
    which = f"its connections are all disabled: {', '.join(disabled)}" if disabled else "it has no connection"
    return SignInError("no_connection", detail=f"{domain.name} is verified by {domain.organization.name}, but {which}.")
