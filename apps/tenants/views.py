"""Partner console pages on the root host."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.tenants.selectors import partner_for_user, tenant_primary_host, tenants_visible_to


class PartnerHomeView(LoginRequiredMixin, TemplateView):
    template_name = "tenants/partner_home.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        port = self.request.get_port()
        suffix = "" if port in ("80", "443") else f":{port}"
        context["partner"] = partner_for_user(self.request.user)  # type: ignore[arg-type]
        context["tenants"] = [
            {
                "tenant": tenant,
                "url": f"{self.request.scheme}://{tenant_primary_host(tenant)}{suffix}/",
            }
            for tenant in tenants_visible_to(self.request.user)  # type: ignore[arg-type]
        ]
        return context
