"""Thin Celery tasks: the beat sweep and the per-timer firing (safe to run twice)."""

from celery import shared_task

from apps.timers import services


@shared_task(name="timers.sweep_due_timers")
def sweep_due_timers() -> int:
    return services.timers_sweep()


@shared_task(name="timers.fire_timer")
def fire_timer(timer_id: int) -> bool:
    return services.timer_fire(timer_id=timer_id)
