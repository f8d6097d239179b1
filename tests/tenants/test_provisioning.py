"""Tenant provisioning: slug rules, cloning from the template, domain and branding."""

import pytest
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from apps.accounts.models import User
from apps.core.errors import InvalidInput
from apps.tenants.models import Domain, Partner, Tenant
from apps.tenants.services import tenant_create, tenant_slug_problems


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("stbrigid", []),
        ("lake-side2", []),
        ("ab", ["Use between 3 and 40 characters."]),
        ("x" * 41, ["Use between 3 and 40 characters."]),
        ("StBrigid", ["Use lowercase letters only."]),
        ("www", ['"www" is reserved; choose another name.']),
        ("api", ['"api" is reserved; choose another name.']),
        ("admin", ['"admin" is reserved; choose another name.']),
        ("public", ['"public" is reserved; choose another name.']),
        # "pool-…" would name a pool schema (apps.tenants.schema_pool); "poolside" is fine
        ("pool-1a2b", ['"pool-1a2b" is reserved; choose another name.']),
        ("poolside", []),
        (
            "9lives",
            [
                "Start with a letter, end with a letter or digit, and use only letters, "
                "digits and single hyphens."
            ],
        ),
        (
            "bad_slug",
            [
                "Start with a letter, end with a letter or digit, and use only letters, "
                "digits and single hyphens."
            ],
        ),
        (
            "two--hyphens",
            [
                "Start with a letter, end with a letter or digit, and use only "
                "letters, digits and single hyphens."
            ],
        ),
    ],
)
def test_slug_rules_explain_every_problem(slug, expected):
    assert tenant_slug_problems(slug) == expected


def test_tenant_is_cloned_with_domain_and_branding(db):
    partner = Partner.objects.get(slug="partner-p")
    tenant = tenant_create(
        partner=partner,
        slug="delta-health",
        name="Delta Health",
        branding={"primary_colour": "#123456"},
    )
    assert schema_exists("delta_health")
    assert Domain.objects.get(tenant=tenant).domain == "delta-health.localhost"
    assert tenant.branding.display_name == "Delta Health"
    assert tenant.branding.primary_colour == "#123456"
    with tenant_context(tenant):
        # The clone holds the tables but none of another tenant's people.
        assert User.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone()[0] > 0


def test_bad_input_is_refused_with_field_messages_and_nothing_created(db):
    partner = Partner.objects.get(slug="partner-p")
    with pytest.raises(InvalidInput) as error:
        tenant_create(partner=partner, slug="www", name="  ")
    assert error.value.fields == {
        "slug": ['"www" is reserved; choose another name.'],
        "name": ["Give the tenant a name."],
    }
    assert error.value.code == "slug_invalid"
    with pytest.raises(InvalidInput) as error:
        tenant_create(partner=partner, slug="alpha", name="Again")
    assert error.value.fields == {"slug": ['A tenant called "alpha" already exists.']}
    assert error.value.code == "slug_taken"
    with pytest.raises(InvalidInput) as error:
        tenant_create(partner=partner, slug="echo", name="Echo", branding={"primary_colour": "red"})
    assert "primary_colour" in error.value.fields
    assert error.value.code == "branding_invalid"
    assert not Tenant.objects.filter(slug="echo").exists()
    assert not schema_exists("echo")


def test_management_command_creates_a_tenant(db, capsys):
    from django.core.management import call_command

    call_command("tenant_create", partner="partner-p", slug="foxtrot", name="Foxtrot Care")
    assert "Created Foxtrot Care at http://foxtrot.localhost/" in capsys.readouterr().out
    assert schema_exists("foxtrot")


def test_management_command_reports_bad_slug_clearly(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match='slug: "api" is reserved'):
        call_command("tenant_create", partner="partner-p", slug="api", name="Api Clinic")
