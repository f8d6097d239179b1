from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = "SLA clocks and escalation"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.sla import services
        from apps.timers import handlers

        effects.register("sla", services.on_state_change)
        handlers.register(services.TIMER_OBJECT, services.clock_timer_fire)
