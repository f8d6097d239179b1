"""The org chart through the API: people with their manager, job title, departments and roles;
a change to one person; the CSV import with a dry run. Admin scope; the key's owner must be a
tenant administrator. People are created by invitation (or by SCIM), not here."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.choices import Scope
from apps.api.idempotency import idempotent
from apps.api.pagination import EmailCursorPagination
from apps.api.v1.base import ApiView, validated
from apps.approvals.exceptions import NotFound
from apps.people.org_chart import PersonChanges, person_update
from apps.people.org_import import org_chart_import
from apps.people.selectors import (
    colleague_by_email,
    departments_by_key,
    org_chart_people,
    roles_by_key,
)

TAGS = ["people"]


class PersonOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    job_title = serializers.CharField()
    is_active = serializers.BooleanField()
    manager = serializers.EmailField(source="manager.email", allow_null=True, default=None)
    departments = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()

    def get_departments(self, person: Any) -> list[str]:
        return sorted(d.key for d in person.departments.all())

    def get_roles(self, person: Any) -> list[str]:
        return sorted(r.key for r in person.roles.all())


class ImportRowOut(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    email = serializers.CharField()
    status = serializers.ChoiceField(choices=["change", "unchanged", "refused"])
    changes = serializers.ListField(child=serializers.CharField())
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]  # a field named like a serializer attribute


class ImportOut(serializers.Serializer[Any]):
    applied = serializers.BooleanField()
    rows = ImportRowOut(many=True)


class _PeopleApi(ApiView):
    read_scope = write_scope = Scope.ADMIN  # the permission also requires a tenant admin


class PersonListApi(_PeopleApi):
    paginates = True
    pagination_class = EmailCursorPagination

    @extend_schema(operation_id="people_list", responses=PersonOut(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        return self.paginated(request, org_chart_people(), PersonOut)


class PersonDetailApi(_PeopleApi):
    class Input(serializers.Serializer[Any]):
        manager = serializers.EmailField(
            required=False, allow_null=True, help_text="The manager's email; null removes it."
        )
        job_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
        departments = serializers.ListField(
            child=serializers.SlugField(), required=False, help_text="The complete list, by key."
        )
        roles = serializers.ListField(
            child=serializers.SlugField(), required=False, help_text="The complete list, by key."
        )

    def person(self, person_id: int) -> Any:
        person = org_chart_people().filter(pk=person_id).first()
        if person is None:
            raise NotFound("No such person.")
        return person

    @extend_schema(operation_id="people_retrieve", responses=PersonOut, tags=TAGS)
    def get(self, request: Request, person_id: int) -> Response:
        return Response(PersonOut(self.person(person_id)).data)

    @extend_schema(
        operation_id="people_update",
        request=Input,
        responses=PersonOut,
        examples=[
            OpenApiExample(
                "A new manager",
                value={"manager": "victor@example.org", "roles": ["director"]},
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    def patch(self, request: Request, person_id: int) -> Response:
        data = validated(self.Input, request.data)
        person = self.person(person_id)
        changes = PersonChanges(
            manager=self._manager(data),
            clear_manager="manager" in data and data["manager"] is None,
            job_title=data.get("job_title"),
            departments=self._picked(data, "departments", departments_by_key, "department"),
            roles=self._picked(data, "roles", roles_by_key, "role"),
        )
        person_update(actor=self.actor, person=person, changes=changes)
        return Response(PersonOut(self.person(person_id)).data)

    def _manager(self, data: dict[str, Any]) -> Any:
        if not data.get("manager"):
            return None
        manager = colleague_by_email(data["manager"])
        if manager is None:
            raise serializers.ValidationError(
                {"manager": ["Nobody with this email is a user here."]}
            )
        return manager

    def _picked(self, data: dict[str, Any], name: str, lookup: Any, noun: str) -> Any:
        if name not in data:
            return None
        found, unknown = lookup(list(data[name]))
        if unknown:
            raise serializers.ValidationError(
                {name: [f"Unknown {noun} key: {', '.join(unknown)}."]}
            )
        return found


class OrgChartImportApi(_PeopleApi):
    class Input(serializers.Serializer[Any]):
        csv = serializers.CharField(
            trim_whitespace=False,
            help_text="The CSV text: a header row (email, manager_email, job_title, departments, "
            "roles), then one row per person.",
        )
        dry_run = serializers.BooleanField(
            default=True, help_text="Check and report without saving (the default)."
        )

    @extend_schema(
        operation_id="people_import",
        request=Input,
        responses=ImportOut,
        examples=[
            OpenApiExample(
                "Managers",
                value={
                    "csv": "email,manager_email\ncarol@example.org,bob@example.org\n",
                    "dry_run": True,
                },
                request_only=True,
            )
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        result = org_chart_import(actor=self.actor, raw=data["csv"], dry_run=data["dry_run"])
        rows = [
            {
                "line": r.line,
                "email": r.email,
                "status": r.status,
                "changes": r.changes,
                "errors": r.errors,
            }
            for r in result.rows
        ]
        return Response(ImportOut({"applied": result.applied, "rows": rows}).data)
