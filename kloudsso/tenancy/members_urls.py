from django.urls import path

from kloudsso.tenancy import members_views as views

app_name = "members"
urlpatterns = [
    path("", views.index, name="list"),
    path("<uuid:public_id>/role/", views.change_role, name="role"),
    path("<uuid:public_id>/remove/", views.remove, name="remove"),
    path("invitations/<uuid:public_id>/revoke/", views.revoke_invitation, name="revoke"),
]
