"""A tenant's identity provider for single sign-on (OpenID Connect or SAML 2.0): one row per
tenant schema, configured by the tenant admin on /admin/identity/.

The OIDC client secret and the SAML service provider's private key are stored encrypted
(`apps.integrations.crypto`, rotated by `secrets_rotate`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.integrations import crypto

DEFAULT_SCOPES = "openid email profile"


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


class IdentityProvider(models.Model):
    name = models.CharField(
        max_length=80, help_text='Shown on the sign-in button: "Sign in with <name>".'
    )
    is_enabled = models.BooleanField(default=False)
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    issuer_url = models.URLField(
        max_length=300,
        blank=True,
        help_text="The issuer; its /.well-known/openid-configuration is read for the endpoints.",
    )
    client_id = models.CharField(max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True)
    scopes = models.CharField(max_length=255, default=DEFAULT_SCOPES)
    claim_email = models.CharField(max_length=100, default="email")
    claim_name = models.CharField(max_length=100, default="name")
    claim_department = models.CharField(max_length=100, blank=True)
    claim_manager = models.CharField(max_length=100, blank=True)
    claim_groups = models.CharField(max_length=100, blank=True, default="groups")
    # {"<group as the IdP sends it>": ["<role key>", ...]}
    group_roles = models.JSONField(default=dict, blank=True)
    jit_enabled = models.BooleanField(
        default=False, help_text="Create an account for a person the IdP vouches for."
    )
    require_sso = models.BooleanField(
        default=False, help_text="Refuse password sign-in to everyone but the break-glass admins."
    )
    break_glass_admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    # SAML 2.0: the IdP's metadata (fetched from the URL when saved, or uploaded), the entity
    # ID read from it, and this tenant's own service provider key pair (made on first save).
    saml_idp_metadata_url = models.URLField(max_length=500, blank=True)
    saml_idp_metadata_xml = models.TextField(blank=True)
    saml_idp_entity_id = models.CharField(max_length=500, blank=True)
    saml_sp_certificate = models.TextField(blank=True)
    saml_sp_key_encrypted = models.TextField(blank=True)
    # In the public schema only: the partner whose staff sign in to the partner console with
    # this IdP (tenants.Partner's id; a plain column, as tenant schemas hold the same table).
    partner_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or "Identity provider"

    @property
    def is_saml(self) -> bool:
        return self.protocol == Protocol.SAML

    @property
    def sso_issuer(self) -> str:
        """Who vouches for the person: the OIDC issuer or the SAML IdP's entity ID."""
        return self.saml_idp_entity_id if self.is_saml else self.issuer_url

    @property
    def saml_sp_key(self) -> str:
        return crypto.decrypt(self.saml_sp_key_encrypted) if self.saml_sp_key_encrypted else ""

    @saml_sp_key.setter
    def saml_sp_key(self, value: str) -> None:
        self.saml_sp_key_encrypted = crypto.encrypt(value) if value else ""

    @property
    def client_secret(self) -> str:
        if not self.client_secret_encrypted:
            return ""
        return crypto.decrypt(self.client_secret_encrypted)

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = crypto.encrypt(value) if value else ""

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def managed_role_keys(self) -> set[str]:
        """Roles that group membership decides: the IdP adds and removes these, and no other."""
        return {key for keys in self.group_roles.values() for key in keys}


class SsoLink(models.Model):
    """The IdP's subject (`sub`) a person first signed in with, per issuer: later sign-ins must
    carry the same subject, so an email address that moves to another IdP account (or a
    mutable email claim) never opens someone else's account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_links"
    )
    issuer = models.URLField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_link_subject_once"),
            models.UniqueConstraint(fields=["issuer", "user"], name="sso_link_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.issuer}"


class SamlAssertionSeen(models.Model):
    """The replay cache: a SAML assertion ID accepted once is refused until it expires (its
    NotOnOrAfter); expired rows are dropped as new ones arrive."""

    assertion_id = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.assertion_id
