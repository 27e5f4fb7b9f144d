from django.urls import path

from setup_links import link_views, owner_views

app_name = "setup_links"
urlpatterns = [
    path("orgs/<slug:org_slug>/setup-links/", owner_views.link_list, name="list"),
    path("orgs/<slug:org_slug>/setup-links/<uuid:public_id>/revoke/", owner_views.link_revoke, name="revoke"),
    path("setup/", link_views.open_link, name="open"),
    path("setup/start", link_views.start, name="start"),
    path("setup/guide/<slug:slug>", link_views.guide, name="guide"),
    path("setup/connect/<slug:slug>", link_views.connect, name="connect"),
    path("setup/check", link_views.check, name="check"),
    path("setup/test", link_views.test, name="test"),
    path("setup/finish", link_views.finish, name="finish"),
    path("setup/done", link_views.done, name="done"),
]
