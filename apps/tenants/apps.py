from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Partners and tenants"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from apps.tenants.support import SESSION_KEY, support_session_end

        def end_support_session(sender: object, request: object, **kwargs: object) -> None:
            session = getattr(request, "session", None)
            session_id = session.get(SESSION_KEY) if session is not None else None
            if session_id is not None:
                support_session_end(session_id=session_id)

        user_logged_out.connect(
            end_support_session, weak=False, dispatch_uid="tenants.end_support_session"
        )

        from django.db.models.signals import post_delete, post_save

        from apps.core.postgres.content_types import forget_on_rollback
        from apps.tenants.models import Branding, Domain, Partner, Tenant
        from apps.tenants.routing_cache import routing_changed, routing_forget

        def changed(sender: object, **kwargs: object) -> None:
            routing_changed()

        for model in (Tenant, Domain, Branding, Partner):
            for signal in (post_save, post_delete):
                signal.connect(
                    changed, sender=model, weak=False, dispatch_uid=f"routing-{model.__name__}"
                )
        forget_on_rollback(routing_forget)
