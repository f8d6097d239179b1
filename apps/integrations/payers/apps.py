from django.apps import AppConfig


class PayersConfig(AppConfig):
    name = "apps.integrations.payers"
    label = "payers"
    verbose_name = "Payers (prior authorization submission)"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.integrations import crypto
        from apps.integrations.payers.handlers import on_state_change

        crypto.register("payers.Payer", "credential_encrypted")
        effects.register("payers", on_state_change)
