from django.urls import path

from domains import views

app_name = "domains"
urlpatterns = [
    path("", views.index, name="list"),
    path("<uuid:public_id>/verify/", views.verify, name="verify"),
    path("<uuid:public_id>/delete/", views.delete, name="delete"),
]
