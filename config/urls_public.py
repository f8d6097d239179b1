"""URLs of the root host: the partner console."""

from django.urls import path

from apps.accounts.views import LogoutView, PartnerLoginView
from apps.core.views import healthz
from apps.tenants.views import PartnerHomeView

urlpatterns = [
    path("", PartnerHomeView.as_view(), name="home"),
    path("login/", PartnerLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
]
