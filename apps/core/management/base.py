"""The base of every Countersign management command: each run is an entry point of its own
(the command channel, a fresh request id, and `system:command:<name>` as the actor of any
service it runs without a person)."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.actions import Channel, SystemActor, entry


class CountersignCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with entry(Channel.COMMAND, system_actor=SystemActor(f"command:{name}")):
            return super().execute(*args, **options)
