from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "apps.identity"
    label = "identity"
    verbose_name = "Identity (single sign-on)"

    def ready(self) -> None:
        from apps.accounts import sign_in_rules
        from apps.identity.services import require_sso_refusal
        from apps.integrations import crypto

        crypto.register("identity.IdentityProvider", "client_secret_encrypted")
        crypto.register("identity.IdentityProvider", "saml_sp_key_encrypted")
        sign_in_rules.register(require_sso_refusal)
