"""Shared fixtures: two tenants A and B with their people, partners, clients, a live server,
Chromium through Playwright and a real Celery worker.

Tenant A (``alpha``): alice (tenant admin), bob (approver), carol (requester).
Tenant B (``bravo``): dave. Partner P owns both; partner Q owns none.
The tenants are created once per test database (cloned from the template schema) and committed;
each test still runs in a transaction that is rolled back.
"""

import os

# Playwright's sync API runs an event loop in the main thread; Django then refuses ORM calls
# from that thread unless told the code is synchronous (it is).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

pytest_plugins = [
    "pytester",
    "tests.fixtures.browser",
    "tests.fixtures.celery_worker",
    "tests.fixtures.clusters",
    "tests.fixtures.dns_server",
    "tests.identity.fixtures",
    "tests.fixtures.log_sweep",
]

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Person:
    email: str
    full_name: str
    is_tenant_admin: bool = False


TENANT_A = ("alpha", "Alpha General Hospital", "#1e3a8a", "#b45309")
TENANT_B = ("bravo", "Bravo Community Clinics", "#065f46", "#7c3aed")
PEOPLE_A = (
    Person("alice@alpha.test", "Alice Admin", is_tenant_admin=True),
    Person("bob@alpha.test", "Bob Approver"),
    Person("carol@alpha.test", "Carol Requester"),
    Person("victor@alpha.test", "Victor Vice-President"),
    Person("frank@alpha.test", "Frank Finance"),
    Person("olivia@alpha.test", "Olivia Outsider"),
)
# Tenant A's approval ladder for capital purchases: bob is director, victor VP, frank CFO.
# olivia belongs to tenant A but has no role and makes no requests: the same-tenant outsider.
ROLES_A = {"director": ["bob"], "vp": ["victor"], "cfo": ["frank"], "utilization_reviewer": ["bob"]}
PEOPLE_B = (Person("dave@bravo.test", "Dave Bravo"),)


def _ensure_people(people: tuple[Person, ...]) -> None:
    from apps.accounts.models import User

    for person in people:
        if not User.objects.filter(email=person.email).exists():
            User.objects.create_user(
                person.email,
                PASSWORD,
                full_name=person.full_name,
                is_tenant_admin=person.is_tenant_admin,
            )


def _ensure_workflows(slug: str) -> None:
    """The healthcare template pack, roles and a department (idempotent)."""
    from apps.accounts.models import User
    from apps.people.models import Role
    from apps.people.services import department_ensure
    from apps.workflows.services import template_pack_install

    template_pack_install(actor=None)  # idempotent: installs only what is missing
    people = {u.email.split("@")[0]: u for u in User.objects.all()}
    roles = ROLES_A if slug == TENANT_A[0] else {"director": ["dave"]}
    for key, members in roles.items():
        Role.objects.get(key=key).members.add(*[people[m] for m in members])
    head = people.get("bob") or people.get("dave")
    radiology = department_ensure(actor=None, key="radiology", name="Radiology", head=head)
    if "carol" in people:
        radiology.members.add(people["carol"])


def build_test_world() -> None:
    """Idempotent: the template schema, platform row, partners P and Q, tenants A and B."""
    from apps.accounts.models import User
    from apps.tenants.choices import PartnerRole
    from apps.tenants.models import PartnerMembership, Tenant
    from apps.tenants.services import (
        partner_ensure,
        platform_ensure,
        tenant_create,
    )

    platform_ensure()
    partner_p = partner_ensure(name="Partner P Health IT", slug="partner-p")
    partner_q = partner_ensure(name="Partner Q Integrators", slug="partner-q")
    for email, name, partner in (
        ("paula@partner-p.test", "Paula Partner", partner_p),
        ("quinn@partner-q.test", "Quinn Other", partner_q),
    ):
        if not User.objects.filter(email=email).exists():
            user = User.objects.create_user(email, PASSWORD, full_name=name)
            PartnerMembership.objects.create(user=user, partner=partner, role=PartnerRole.ADMIN)
    if not User.objects.filter(email="nobody@public.test").exists():
        User.objects.create_user("nobody@public.test", PASSWORD, full_name="Not A Partner")
    for (slug, name, primary, accent), people in ((TENANT_A, PEOPLE_A), (TENANT_B, PEOPLE_B)):
        tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(
            partner=partner_p,
            slug=slug,
            name=name,
            branding={"primary_colour": primary, "accent_colour": accent},
        )
        with tenant_context(tenant):
            _ensure_people(people)
            _ensure_workflows(slug)


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb
):
    """The test database, made by the owner role (create, migrate, template schema); the tests
    and the tenants they share are then made as the application role, as in production.

    Browser, worker and race tests need committed data and ask for no `db`: this runs for them
    too (pytest-django's own set-up would only run for a test that asks)."""
    from django.conf import settings
    from django.test.utils import setup_databases, teardown_databases

    from apps.tenants.services import template_schema_ensure
    from config import embedded
    from tests.fixtures.roles import database_role

    if connection.settings_dict.get("EMBEDDED"):
        embedded.database_adopt(connection.creation._get_test_db_name())
    elif settings.SUITE_SUPERUSER_DATABASE is not None:
        from config.test_roles import suite_database_adopt

        suite_database_adopt(
            settings.SUITE_SUPERUSER_DATABASE, connection.creation._get_test_db_name()
        )
    with django_db_blocker.unblock(), database_role("owner"):
        databases = setup_databases(
            verbosity=0,
            interactive=False,
            aliases={"default"},
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        template_schema_ensure()
        connection.set_schema_to_public()
    with django_db_blocker.unblock():
        build_test_world()
        connection.set_schema_to_public()
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock(), database_role("owner"):
            teardown_databases(databases, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _empty_test_queue_afterwards():
    """Tests that commit data queue real tasks (emails, deliveries) on the test queue; no
    worker consumes them outside the worker tests, so drop them when the session ends."""
    yield
    from config.celery import app

    app.control.purge()


@pytest.fixture(autouse=True)
def _start_in_public_schema():
    """Requests leave the connection on their tenant; every test starts (and ends) on public."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, tmp_path):
    """Checkpoint files outlive the test database: each test gets an empty folder of its own."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture
def tenant_a(db):
    from apps.tenants.models import Tenant

    return Tenant.objects.get(slug=TENANT_A[0])


@pytest.fixture
def tenant_b(db):
    from apps.tenants.models import Tenant

    return Tenant.objects.get(slug=TENANT_B[0])


@pytest.fixture
def in_tenant_a(tenant_a):
    with tenant_context(tenant_a):
        yield tenant_a


@pytest.fixture
def in_tenant_b(tenant_b):
    with tenant_context(tenant_b):
        yield tenant_b


def _user(tenant, email):
    from apps.accounts.models import User

    with tenant_context(tenant):
        return User.objects.get(email=email)


@pytest.fixture
def alice(tenant_a):
    return _user(tenant_a, "alice@alpha.test")


@pytest.fixture
def bob(tenant_a):
    return _user(tenant_a, "bob@alpha.test")


@pytest.fixture
def carol(tenant_a):
    return _user(tenant_a, "carol@alpha.test")


@pytest.fixture
def victor(tenant_a):
    return _user(tenant_a, "victor@alpha.test")


@pytest.fixture
def frank(tenant_a):
    return _user(tenant_a, "frank@alpha.test")


@pytest.fixture
def olivia(tenant_a):
    return _user(tenant_a, "olivia@alpha.test")


@pytest.fixture
def dave(tenant_b):
    return _user(tenant_b, "dave@bravo.test")


def host_of(slug: str) -> str:
    return f"{slug}.localhost"


@pytest.fixture
def client_a(db):
    return Client(HTTP_HOST=host_of(TENANT_A[0]))


@pytest.fixture
def client_b(db):
    return Client(HTTP_HOST=host_of(TENANT_B[0]))


@pytest.fixture
def client_public(db):
    return Client(HTTP_HOST="localhost")


def sign_in(client: Client, email: str, password: str = PASSWORD):
    """Sign in through the real login form of the client's host."""
    return client.post("/login/", {"username": email, "password": password})
