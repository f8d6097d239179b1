"""`{% payer_panel_rows approval as rows %}` for the request page's integration panel."""

from django import template

from apps.integrations.payers.selectors import panel_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def payer_panel_rows(context, approval):  # type: ignore[no-untyped-def]
    user = context.get("user")
    if user is None or approval is None:
        return []
    return panel_rows(user, approval)
