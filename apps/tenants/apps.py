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

        user_logged_out.connect(end_support_session, dispatch_uid="tenants.end_support_session")
