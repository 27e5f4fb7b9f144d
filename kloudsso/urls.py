from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from connections import views as connection_views
from kloudsso.accounts.forms import AdminEmailAuthenticationForm, EmailAuthenticationForm
from kloudsso.tenancy import notification_settings, sso_settings
from kloudsso.tenancy import views as tenancy_views
from signin import home_realm, logout
from signin.oidc import views as oidc_flow
from signin.saml import slo
from signin.saml import views as saml_flow
from signin.signed_in import sign_in_as_someone_else

admin.site.site_header = "KloudSSO support"
admin.site.login_form = AdminEmailAuthenticationForm
admin.site.site_title = "KloudSSO support"

# A database or cache outage is a 503 page, anything else the 500 page (DEBUG off).
handler500 = "kloudsso.error_views.server_error"

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("logout/", logout.sign_out, name="logout"),
    path("switch/", tenancy_views.switch, name="switch_org"),
    path("orgs/<slug:org_slug>/", tenancy_views.org_home, name="org_home"),
    path("orgs/<slug:org_slug>/connections/", include("connections.urls")),
    path("orgs/<slug:org_slug>/domains/", include("domains.urls")),
    path("orgs/<slug:org_slug>/directories/", include("directory.urls")),
    path("orgs/<slug:org_slug>/members/", include("kloudsso.tenancy.members_urls")),
    path("orgs/<slug:org_slug>/sso-settings/", sso_settings.sso_settings, name="sso_settings"),
    path(
        "orgs/<slug:org_slug>/notifications/",
        notification_settings.notification_settings,
        name="notification_settings",
    ),
    path("orgs/<slug:org_slug>/audit-log/", include("kloudsso.audit.urls")),
    path("", include("setup_links.urls")),  # the owners' list under orgs/<slug>/, the links' pages under setup/
    path("sso/login", home_realm.sso_login, name="sso_login"),
    path("sso/login/someone-else", sign_in_as_someone_else, name="sso_someone_else"),
    path("sso/start/<uuid:public_id>", home_realm.sso_start, name="sso_start"),
    path("sso/oidc", oidc_flow.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("sso/saml", saml_flow.acs, name="saml_acs"),
    path("sso/saml/slo", slo.slo, name="saml_slo"),
    path("sso/logout/done", logout.logout_done, name="sso_logout_done"),
    re_path(r"^sso/saml/finish/(?P<key>[A-Za-z0-9_-]{43})$", saml_flow.finish, name="saml_finish"),
    path(
        "sso/saml/metadata/<uuid:org_public_id>",
        connection_views.sp_metadata_public,
        name="sp_metadata_public",
    ),
    path("scim/v2/<uuid:directory_id>/", include("directory.scim.urls")),
    path("admin/", admin.site.urls),
]
