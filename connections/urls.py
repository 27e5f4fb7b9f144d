from django.urls import path, re_path

from connections import events_views, relink_views, role_mapping_views, sp_key_views, views
from connections.guides import views as guide_views
from connections.oidc import views as oidc_views
from connections.saml import refresh_views
from connections.saml import views as saml_views

app_name = "connections"
urlpatterns = [
    path("", views.connection_index, name="list"),
    path("add/", views.add_choose, name="add"),
    path("add/oidc/", oidc_views.add, name="add_oidc"),
    path("add/saml/", saml_views.add, name="add_saml"),
    path("guides/", guide_views.guide_index, name="guides"),
    path("guides/<slug:slug>/", guide_views.guide_page, name="guide"),
    path("sp-metadata.xml", views.sp_metadata_download, name="sp_metadata"),
    path("sp-key/", sp_key_views.sp_key, name="sp_key"),
    path("sp-key/start/", sp_key_views.sp_key_start, name="sp_key_start"),
    path("sp-key/make-current/", sp_key_views.sp_key_finish, name="sp_key_finish"),
    path("sp-key/cancel/", sp_key_views.sp_key_cancel, name="sp_key_cancel"),
    re_path(
        r"^sp-key/(?P<which>current|next|encryption|next-encryption)\.pem$",
        sp_key_views.sp_certificate_download,
        name="sp_certificate",
    ),
    path("sign-in-events/", events_views.event_list, name="events"),
    path("sign-in-events/<uuid:public_id>/", events_views.event_detail, name="event"),
    path("sign-in-events/<uuid:public_id>/relink/", relink_views.relink, name="relink"),
    path("sign-in-events/<uuid:public_id>/relink-everyone/", relink_views.relink_everyone, name="relink_everyone"),
    path(
        "sign-in-events/<uuid:public_id>/relink-everyone/close/", relink_views.relink_window_stop, name="relink_close"
    ),
    path("troubleshooting/", events_views.troubleshooting, name="troubleshooting"),
    path("<uuid:public_id>/edit/", views.edit, name="edit"),
    path("<uuid:public_id>/toggle/", views.toggle, name="toggle"),
    path("<uuid:public_id>/test/", views.test_connection, name="test"),
    path("<uuid:public_id>/delete/", views.delete, name="delete"),
    path("<uuid:public_id>/groups/", role_mapping_views.groups, name="groups"),
    path("<uuid:public_id>/groups/settings/", role_mapping_views.groups_settings, name="groups_settings"),
    path("<uuid:public_id>/groups/remove/", role_mapping_views.groups_remove, name="groups_remove"),
    path("<uuid:public_id>/metadata/refresh/", refresh_views.refresh_now, name="metadata_refresh"),
    path("<uuid:public_id>/metadata/confirm/", refresh_views.pending_confirm, name="metadata_confirm"),
    path("<uuid:public_id>/metadata/dismiss/", refresh_views.pending_dismiss, name="metadata_dismiss"),
    path("<uuid:public_id>/certificates/add/", saml_views.certificate_add, name="certificate_add"),
    path("<uuid:public_id>/idp-initiated/", saml_views.idp_initiated, name="idp_initiated"),
    path(
        "<uuid:public_id>/certificates/<uuid:certificate_id>/retire/",
        saml_views.certificate_retire,
        name="certificate_retire",
    ),
]
