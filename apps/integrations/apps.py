from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Outbox, webhooks, ERP and FHIR"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.integrations.outbox import record_events

        effects.register("outbox", record_events)
