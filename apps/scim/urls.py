"""URLs of the SCIM app on tenant hosts: the SCIM 2.0 service at /scim/v2/ and its settings
page for tenant administrators at /admin/scim/."""

from django.urls import path, re_path

from apps.scim import admin_views, views

app_name = "scim"

urlpatterns = [
    re_path(r"^scim/v2/Users/?$", views.UserListView.as_view(), name="users"),
    re_path(r"^scim/v2/Users/(?P<scim_id>[^/]+)/?$", views.UserDetailView.as_view(), name="user"),
    re_path(r"^scim/v2/Groups/?$", views.GroupListView.as_view(), name="groups"),
    re_path(
        r"^scim/v2/Groups/(?P<scim_id>[^/]+)/?$", views.GroupDetailView.as_view(), name="group"
    ),
    re_path(
        r"^scim/v2/ServiceProviderConfig/?$",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(r"^scim/v2/ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(
        r"^scim/v2/ResourceTypes/(?P<name>[^/]+)/?$",
        views.ResourceTypesView.as_view(),
        name="resource-type",
    ),
    re_path(r"^scim/v2/Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(
        r"^scim/v2/Schemas/(?P<schema_id>[^/]+)/?$", views.SchemasView.as_view(), name="schema"
    ),
    re_path(r"^scim/v2/(?P<rest>.*)$", views.scim_not_found, name="not-found"),
    path("admin/scim/", admin_views.ScimSettingsView.as_view(), name="settings"),
    path(
        "admin/scim/tokens/<int:pk>/revoke/",
        admin_views.ScimTokenRevokeView.as_view(),
        name="token-revoke",
    ),
    path(
        "admin/scim/mappings/", admin_views.GroupMappingCreateView.as_view(), name="mapping-create"
    ),
    path(
        "admin/scim/mappings/<int:pk>/remove/",
        admin_views.GroupMappingRemoveView.as_view(),
        name="mapping-remove",
    ),
]
