"""The bell, the notification list, preferences and the admins' pages, with their outsiders:
per-user pages show only the user's own data, admin pages refuse non-admins, a tenant-B
session is refused on A, and anonymous visitors are sent to sign in."""

import copy

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from apps.notifications import services
from apps.notifications.models import Notification, NotificationPreference, NotificationSettings
from tests.approvals.helpers import submit_capital
from tests.conftest import sign_in

PAGES = [
    ("get", "/notifications/"),
    ("post", "/notifications/read-all"),
    ("post", "/notifications/1/read"),
    ("get", "/me/notifications/"),
    ("post", "/me/notifications/"),
    ("get", "/admin/notifications/failed/"),
    ("post", "/admin/notifications/failed/1/retry"),
    ("get", "/admin/notifications/settings/"),
    ("post", "/admin/notifications/settings/"),
]
ADMIN_PAGES = [p for p in PAGES if p[1].startswith("/admin/")]


@pytest.fixture
def notified(tenant_a, carol, bob):
    """bob has two notifications (one task, one queue); carol has her own."""
    with tenant_context(tenant_a):
        request = submit_capital(carol)  # bob: task_assigned
        services.notify(kind="reminder", recipients=[bob], approval=request)
        services.notify(kind="decided", recipients=[carol], approval=request)
    return request


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_anonymous_is_sent_to_sign_in(client_a, method, path):
    response = getattr(client_a, method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_tenant_b_session_is_refused_on_a(client_a, client_b, method, path):
    sign_in(client_b, "dave@bravo.test")
    assert client_b.get("/notifications/").status_code == 200
    client_a.cookies = copy.deepcopy(client_b.cookies)
    response = getattr(client_a, method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_admin_pages_refuse_bob(client_a, method, path):
    sign_in(client_a, "bob@alpha.test")
    assert getattr(client_a, method)(path).status_code == 403


def test_list_shows_only_my_notifications_and_marks_read(tenant_a, notified, client_a, bob, carol):
    sign_in(client_a, "bob@alpha.test")
    page = client_a.get("/notifications/")
    body = page.content.decode()
    with tenant_context(tenant_a):
        mine = list(Notification.objects.filter(recipient=bob, request=notified))
        carols = Notification.objects.get(recipient=carol, kind="decided", request=notified)
        unread = Notification.objects.filter(recipient=bob, read_at__isnull=True).count()
    assert len(mine) == 2
    for row in mine:
        assert f'data-testid="notification-{row.pk}"' in body
    assert f'data-testid="notification-{carols.pk}"' not in body
    assert f'data-testid="bell-count">{unread}<' in body  # committed rows of other tests count

    # bob cannot mark carol's notification read (404) ...
    assert client_a.post(f"/notifications/{carols.pk}/read").status_code == 404
    with tenant_context(tenant_a):
        assert Notification.objects.get(pk=carols.pk).read_at is None
    # ... but can mark his own, then all of them.
    assert client_a.post(f"/notifications/{mine[0].pk}/read").status_code == 302
    after_one = client_a.get("/notifications/").content.decode()
    assert f'data-testid="bell-count">{unread - 1}<' in after_one
    client_a.post("/notifications/read-all")
    assert 'data-testid="bell-count"' not in client_a.get("/notifications/").content.decode()
    with tenant_context(tenant_a):
        assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()
        assert Notification.objects.get(pk=carols.pk).read_at is None


def test_mark_read_redirect_stays_on_this_site(notified, client_a, tenant_a, bob):
    sign_in(client_a, "bob@alpha.test")
    with tenant_context(tenant_a):
        row = Notification.objects.filter(recipient=bob).first()
    response = client_a.post(f"/notifications/{row.pk}/read", {"next": "https://evil.test/"})
    assert response["Location"] == "/notifications/"


def test_bell_costs_one_query_and_is_absent_for_anonymous_and_on_the_console(
    notified, client_a, client_public, tenant_a, bob
):
    assert 'data-testid="bell"' not in client_a.get("/login/").content.decode()
    sign_in(client_a, "bob@alpha.test")
    client_a.get("/inbox/")
    with CaptureQueriesContext(connection) as captured:
        body = client_a.get("/inbox/").content.decode()
    with tenant_context(tenant_a):
        unread = Notification.objects.filter(recipient=bob, read_at__isnull=True).count()
    assert f'data-testid="bell-count">{unread}<' in body
    bell_queries = [q for q in captured if "notifications_notification" in q["sql"]]
    assert len(bell_queries) == 1
    sign_in(client_public, "paula@partner-p.test")
    assert 'data-testid="bell"' not in client_public.get("/").content.decode()


def test_preferences_are_per_user_and_mandatory_kinds_stay_on(tenant_a, client_a, bob, carol):
    sign_in(client_a, "bob@alpha.test")
    page = client_a.get("/me/notifications/").content.decode()
    assert 'name="pref-queue_task"' in page
    # Mandatory kinds offer no "off".
    start = page.index('name="pref-task_assigned"')
    assert 'value="off"' not in page[start : page.index("</select>", start)]
    response = client_a.post(
        "/me/notifications/", {"pref-queue_task": "digest", "pref-reminder": "off"}
    )
    assert response.status_code == 302
    refused = client_a.post("/me/notifications/", {"pref-escalated": "off"})
    assert refused.status_code == 400
    assert "This notification cannot be turned off." in refused.content.decode()
    with tenant_context(tenant_a):
        assert dict(
            NotificationPreference.objects.filter(user=bob).values_list("key", "delivery")
        ) == {
            "queue_task": "digest",
            "reminder": "off",
        }
        assert not NotificationPreference.objects.filter(user=carol).exists()


def test_admin_edits_settings(tenant_a, client_a):
    sign_in(client_a, "alice@alpha.test")
    assert client_a.get("/admin/notifications/settings/").status_code == 200
    bad = client_a.post("/admin/notifications/settings/", {"link_expiry_hours": "0"})
    assert bad.status_code == 400
    ok = client_a.post(
        "/admin/notifications/settings/",
        {
            "link_expiry_hours": "24",
            "signin_above_amount": "50000",
            "signin_workflows": ["prior-auth-imaging"],
        },
    )
    assert ok.status_code == 302
    with tenant_context(tenant_a):
        current = NotificationSettings.objects.get(pk=1)
        assert current.link_expiry_hours == 24
        assert current.signin_above_amount == 50000
        assert current.signin_workflows == ["prior-auth-imaging"]


def test_failed_page_and_retry_are_per_tenant(tenant_a, tenant_b, client_a, client_b):
    from apps.notifications.models import EmailLog

    with tenant_context(tenant_a):
        log = EmailLog.objects.create(
            to="x@alpha.test", kind="reminder", subject="s", status="failed"
        )
    sign_in(client_a, "alice@alpha.test")
    assert (
        f'data-testid="failed-{log.pk}"'
        in client_a.get("/admin/notifications/failed/").content.decode()
    )
    # dave (tenant B, not an admin there either) cannot reach it; B's page has no such row.
    sign_in(client_b, "dave@bravo.test")
    assert client_b.post(f"/admin/notifications/failed/{log.pk}/retry").status_code == 403
    with tenant_context(tenant_b):
        from apps.accounts.models import User

        User.objects.filter(email="dave@bravo.test").update(is_tenant_admin=True)
    assert client_b.post(f"/admin/notifications/failed/{log.pk}/retry").status_code == 404
    with tenant_context(tenant_a):
        log.refresh_from_db()
        assert log.status == "failed"


def test_anonymous_can_open_only_link_pages(client_a):
    anonymous = Client(HTTP_HOST="alpha.localhost")
    assert anonymous.get("/a/not-a-token").status_code == 400
    assert anonymous.get("/notifications/").status_code == 302
