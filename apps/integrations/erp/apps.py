from django.apps import AppConfig


class ErpConfig(AppConfig):
    name = "apps.integrations.erp"
    label = "erp"
    verbose_name = "ERP sync and inbound callbacks"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.integrations.erp.handlers import on_state_change

        effects.register("erp", on_state_change)
