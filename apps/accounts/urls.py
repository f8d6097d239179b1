"""Tenant-host pages of accounts (invitations, user administration) and of partner features that
tenant admins see (support sessions, template updates)."""

from django.urls import path

from apps.accounts.invitations import InvitationAcceptView
from apps.accounts.password_reset import (
    ResetCompleteView,
    ResetConfirmView,
    ResetRequestView,
    ResetSentView,
)
from apps.accounts.time_zones import OrganisationView, PreferencesView
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

app_name = "accounts"
# Also served on the partner console (config/urls_public.py), under the same namespace.
mfa_urlpatterns = [
    path("login/verify/", MfaVerifyView.as_view(), name="mfa-verify"),
    path("account/mfa/", MfaSettingsView.as_view(), name="mfa"),
    path("account/mfa/enrol/", MfaEnrolView.as_view(), name="mfa-enrol"),
    path("account/mfa/recovery-codes/", MfaRecoveryCodesView.as_view(), name="mfa-recovery"),
    path("account/mfa/remove/", MfaRemoveView.as_view(), name="mfa-remove"),
    path("account/preferences/", PreferencesView.as_view(), name="preferences"),
]
urlpatterns = [
    *mfa_urlpatterns,
    path("admin/security/", SecurityPolicyView.as_view(), name="security-policy"),
    path("admin/organisation/", OrganisationView.as_view(), name="organisation"),
    path("invitations/<str:token>/", InvitationAcceptView.as_view(), name="invitation-accept"),
    path("password/reset/", ResetRequestView.as_view(), name="password-reset"),
    path("password/reset/sent/", ResetSentView.as_view(), name="password-reset-sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        ResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password/reset/done/", ResetCompleteView.as_view(), name="password-reset-complete"),
    path("admin/users/", UserListView.as_view(), name="users"),
    path("admin/users/invite/", UserInviteView.as_view(), name="user-invite"),
    path("admin/users/<int:pk>/deactivate/", UserDeactivateView.as_view(), name="user-deactivate"),
    path("admin/users/<int:pk>/reactivate/", UserReactivateView.as_view(), name="user-reactivate"),
]
