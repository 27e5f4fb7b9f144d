from django.urls import path, re_path

from directory.scim import views

urlpatterns = [
    path("Users", views.users_collection, name="scim_users"),
    path("Users/.search", views.users_search, name="scim_users_search"),
    path("Users/<str:resource_id>", views.user_item, name="scim_user"),
    path("Groups", views.groups_collection, name="scim_groups"),
    path("Groups/.search", views.groups_search, name="scim_groups_search"),
    path(".search", views.root_search, name="scim_search"),
    path("Groups/<str:resource_id>", views.group_item, name="scim_group"),
    path("ServiceProviderConfig", views.service_provider_config, name="scim_service_provider_config"),
    path("ResourceTypes", views.resource_types, name="scim_resource_types"),
    path("ResourceTypes/<str:resource_id>", views.resource_types, name="scim_resource_type"),
    path("Schemas", views.schemas, name="scim_schemas"),
    path("Schemas/<str:resource_id>", views.schemas, name="scim_schema"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="scim_unknown"),
]
