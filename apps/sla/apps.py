from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = "SLA clocks and escalation"

    def ready(self) -> None:
        from apps.approvals import effects
        from apps.sla import clocks, escalation
        from apps.sla import effects as sla_effects
        from apps.timers import handlers

        effects.register("sla", sla_effects.on_state_change)
        handlers.register(clocks.TIMER_OBJECT, escalation.clock_timer_fire)
