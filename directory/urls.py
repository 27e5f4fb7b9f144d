from django.urls import path

from directory import views

app_name = "directory"
urlpatterns = [
    path("", views.index, name="list"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/rotate/", views.rotate, name="rotate"),
    path("<uuid:public_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:public_id>/delete/", views.delete, name="delete"),
    path("<uuid:public_id>/roles/", views.roles, name="roles"),
]
