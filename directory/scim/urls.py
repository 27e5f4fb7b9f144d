"""The SCIM API's routes. Its views are imported on a worker's first SCIM request, not when the URLconf loads.

They bring scim2-models and pydantic (about 14 MB of every worker's memory), which a worker that only signs people
in never needs. This is the one place the SCIM code is deferred: nothing outside directory/scim/ imports it, and
tests/test_lazy_imports.py keeps it so.
"""

from django.urls import path, re_path
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt


def _view(name: str):
    """directory.scim.views.<name>, imported when first called (then found in sys.modules)."""

    # CsrfViewMiddleware reads csrf_exempt off this function, before the real view (also exempt) is imported.
    @csrf_exempt
    def view(request, *args, **kwargs):
        return import_string(f"directory.scim.views.{name}")(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    return view


urlpatterns = [
    path("Users", _view("users_collection"), name="scim_users"),
    path("Users/.search", _view("users_search"), name="scim_users_search"),
    path("Users/<str:resource_id>", _view("user_item"), name="scim_user"),
    path("Groups", _view("groups_collection"), name="scim_groups"),
    path("Groups/.search", _view("groups_search"), name="scim_groups_search"),
    path(".search", _view("root_search"), name="scim_search"),
    path("Groups/<str:resource_id>", _view("group_item"), name="scim_group"),
    path("ServiceProviderConfig", _view("service_provider_config"), name="scim_service_provider_config"),
    path("ResourceTypes", _view("resource_types"), name="scim_resource_types"),
    path("ResourceTypes/<str:resource_id>", _view("resource_types"), name="scim_resource_type"),
    path("Schemas", _view("schemas"), name="scim_schemas"),
    path("Schemas/<str:resource_id>", _view("schemas"), name="scim_schema"),
    re_path(r"^(?P<rest>.*)$", _view("unknown"), name="scim_unknown"),
]
