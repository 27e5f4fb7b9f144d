from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("saml2/", include("djangosaml2.urls")),
    path("", lambda request: HttpResponse("stock djangosaml2")),
]
