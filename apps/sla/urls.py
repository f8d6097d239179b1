"""URLs of the sla app on tenant hosts."""

from django.urls import path

from apps.sla import views

app_name = "sla"
urlpatterns = [
    path("admin/sla/", views.BoardView.as_view(), name="board"),
    path("admin/sla/policies/", views.PoliciesView.as_view(), name="policies"),
    path("admin/sla/calendar/", views.CalendarView.as_view(), name="calendar"),
    path("requests/<str:reference>/sla/extend", views.request_extend, name="extend"),
]
