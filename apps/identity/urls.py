"""Tenant-host pages of single sign-on: the admin's settings and the OpenID Connect sign-in."""

from django.urls import path

from apps.identity.views import (
    IdentitySettingsView,
    SamlAcsView,
    SamlMetadataView,
    SamlSloView,
    SamlStartView,
    SsoCallbackView,
    SsoStartView,
    SsoUnlinkView,
)

app_name = "identity"
urlpatterns = [
    path("admin/identity/", IdentitySettingsView.as_view(), name="settings"),
    path("admin/identity/unlink/", SsoUnlinkView.as_view(), name="unlink"),
    path("sso/oidc/start/", SsoStartView.as_view(), name="oidc-start"),
    path("sso/oidc/callback/", SsoCallbackView.as_view(), name="oidc-callback"),
    path("sso/saml/metadata/", SamlMetadataView.as_view(), name="saml-metadata"),
    path("sso/saml/start/", SamlStartView.as_view(), name="saml-start"),
    path("sso/saml/acs/", SamlAcsView.as_view(), name="saml-acs"),
    path("sso/saml/slo/", SamlSloView.as_view(), name="saml-slo"),
]
