"""URLs of the people pages on tenant hosts (mounted at /admin/people/)."""

from django.urls import path

from apps.people import org_views, views

app_name = "people"
urlpatterns = [
    path("roles/", views.RoleListView.as_view(), name="roles"),
    path("roles/new/", views.RoleCreateView.as_view(), name="role-create"),
    path("roles/<int:pk>/", views.RoleDetailView.as_view(), name="role-detail"),
    path("roles/<int:pk>/members/", views.RoleMembersView.as_view(), name="role-members"),
    path("roles/<int:pk>/limits/", views.AuthorityLimitSetView.as_view(), name="limit-set"),
    path(
        "roles/<int:pk>/limits/<slug:category>/remove/",
        views.AuthorityLimitRemoveView.as_view(),
        name="limit-remove",
    ),
    path("departments/", views.DepartmentListView.as_view(), name="departments"),
    path("departments/new/", views.DepartmentCreateView.as_view(), name="department-create"),
    path("departments/<int:pk>/", views.DepartmentEditView.as_view(), name="department-edit"),
    path("delegations/", views.DelegationListView.as_view(), name="delegations"),
    path(
        "delegations/<int:pk>/revoke/",
        views.DelegationRevokeView.as_view(),
        name="delegation-revoke",
    ),
    path("out-of-office/", views.OutOfOfficeView.as_view(), name="out-of-office"),
    path(
        "out-of-office/<int:pk>/end/", views.OutOfOfficeEndView.as_view(), name="out-of-office-end"
    ),
]
urlpatterns += [
    path("people/<int:pk>/", org_views.PersonView.as_view(), name="person"),
    path("import/", org_views.OrgChartImportView.as_view(), name="org-import"),
]
