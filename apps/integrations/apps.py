from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Outbox, webhooks, ERP and FHIR"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.integrations.outbox import record_events

        effects.register("outbox", record_events)

        from apps.core.worker_share import worker_kind
        from apps.integrations.outbox import dispatch_events, dispatch_later

        # Before the emails: the fan-out only writes rows, an SMTP server may be slow.
        worker_kind(
            "outbox",
            run=dispatch_events,
            fallback=dispatch_later,
            actor="integrations.outbox_dispatch",
            order=10,
        )
