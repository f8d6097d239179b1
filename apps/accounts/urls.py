"""Tenant-host pages of accounts (invitations, user administration) and of partner features that
tenant admins see (support sessions, template updates)."""

from django.urls import path

from apps.accounts.invitations import InvitationAcceptView
from apps.accounts.user_admin import (
    UserDeactivateView,
    UserInviteView,
    UserListView,
    UserReactivateView,
)
from apps.accounts.views import (
    MfaEnrolView,
    MfaRecoveryCodesView,
    MfaRemoveView,
    MfaSettingsView,
    MfaVerifyView,
    SecurityPolicyView,
)
from apps.tenants.tenant_views import (
    SupportEnterView,
    SupportGrantDecideView,
    SupportSessionsView,
    TemplateUpdatesView,
    branding_favicon,
)

app_name = "accounts"
# Also served on the partner console (config/urls_public.py), under the same namespace.
mfa_urlpatterns = [
    path("login/verify/", MfaVerifyView.as_view(), name="mfa-verify"),
    path("account/mfa/", MfaSettingsView.as_view(), name="mfa"),
    path("account/mfa/enrol/", MfaEnrolView.as_view(), name="mfa-enrol"),
    path("account/mfa/recovery-codes/", MfaRecoveryCodesView.as_view(), name="mfa-recovery"),
    path("account/mfa/remove/", MfaRemoveView.as_view(), name="mfa-remove"),
]
urlpatterns = [
    *mfa_urlpatterns,
    path("admin/security/", SecurityPolicyView.as_view(), name="security-policy"),
    path("invitations/<str:token>/", InvitationAcceptView.as_view(), name="invitation-accept"),
    path("admin/users/", UserListView.as_view(), name="users"),
    path("admin/users/invite/", UserInviteView.as_view(), name="user-invite"),
    path("admin/users/<int:pk>/deactivate/", UserDeactivateView.as_view(), name="user-deactivate"),
    path("admin/users/<int:pk>/reactivate/", UserReactivateView.as_view(), name="user-reactivate"),
    path("support/enter/<str:token>/", SupportEnterView.as_view(), name="support-enter"),
    path("admin/support-sessions/", SupportSessionsView.as_view(), name="support-sessions"),
    path(
        "admin/support-sessions/<int:pk>/<slug:action>/",
        SupportGrantDecideView.as_view(),
        name="support-grant-decide",
    ),
    path("admin/template-updates/", TemplateUpdatesView.as_view(), name="template-updates"),
    path("branding/favicon", branding_favicon, name="branding-favicon"),
]
