"""Demo data: one partner and two visibly different tenants with their people. Idempotent."""

from dataclasses import dataclass

from django.core.files.base import ContentFile

from apps.accounts.models import User
from apps.core.demo_requests import demo_workflows_seed
from apps.core.postgres.clusters import tenant_activated
from apps.tenants.choices import PartnerRole
from apps.tenants.models import Partner, PartnerMembership, Tenant
from apps.tenants.services import partner_ensure, tenant_create

DEMO_PASSWORD = "countersign-demo"  # noqa: S105 - demo data, printed for the user


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    job_title: str
    is_tenant_admin: bool = False
    manager: str | None = None


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    primary_colour: str
    accent_colour: str
    support_email: str
    logo_svg: str
    people: tuple[DemoPerson, ...]
    time_zone: str = "America/New_York"


def _logo(initials: str, colour: str, shape: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<{shape} fill="{colour}"/>'
        f'<text x="32" y="41" font-family="DejaVu Sans, sans-serif" font-size="24" '
        f'font-weight="700" fill="#fff" text-anchor="middle">{initials}</text></svg>'
    )


DEMO_TENANTS = (
    DemoTenant(
        slug="stbrigid",
        name="St. Brigid Regional Health",
        primary_colour="#7f1d1d",
        accent_colour="#1d4ed8",
        support_email="it-help@stbrigid.example",
        logo_svg=_logo("SB", "#7f1d1d", 'circle cx="32" cy="32" r="30"'),
        people=(
            DemoPerson(
                "admin@stbrigid.example",
                "Grace Okafor",
                "Applications administrator",
                is_tenant_admin=True,
            ),
            DemoPerson("cfo@stbrigid.example", "Helen Park", "Chief Financial Officer"),
            DemoPerson(
                "vp@stbrigid.example",
                "Samuel Reyes",
                "VP Operations",
                manager="cfo@stbrigid.example",
            ),
            DemoPerson(
                "director@stbrigid.example",
                "Marcus Lee",
                "Director of Radiology",
                manager="vp@stbrigid.example",
            ),
            DemoPerson(
                "reviewer@stbrigid.example",
                "Nadia Haddad",
                "Utilization reviewer, RN",
                manager="director@stbrigid.example",
            ),
            DemoPerson("meddir@stbrigid.example", "Dr. Alan Brooks", "Medical director"),
            DemoPerson(
                "requester@stbrigid.example",
                "Dr. Priya Nair",
                "Radiologist",
                manager="director@stbrigid.example",
            ),
            DemoPerson(
                "access@stbrigid.example",
                "Tom Becker",
                "Patient access specialist",
                manager="director@stbrigid.example",
            ),
            DemoPerson("board@stbrigid.example", "Evelyn Shaw", "Board chair"),
            DemoPerson("hr@stbrigid.example", "Luis Moreno", "HR business partner"),
            DemoPerson(
                "finance@stbrigid.example",
                "Ingrid Olsen",
                "Finance approver",
                manager="cfo@stbrigid.example",
            ),
            DemoPerson("revenue@stbrigid.example", "Kwame Mensah", "Revenue cycle manager"),
            DemoPerson("pharmacy@stbrigid.example", "Dr. Mei Tanaka", "Clinical pharmacist"),
            DemoPerson("counselor@stbrigid.example", "Ruth Adeyemi", "Financial counselor"),
            DemoPerson("ap@stbrigid.example", "Dan Kowalski", "Accounts payable clerk"),
            DemoPerson("transport@stbrigid.example", "Ana Souza", "Transport coordinator"),
            DemoPerson("casemgr@stbrigid.example", "Paul Nguyen", "Case manager, RN"),
        ),
    ),
    DemoTenant(
        slug="lakeside",
        name="Lakeside Clinics",
        time_zone="America/Chicago",
        primary_colour="#0f766e",
        accent_colour="#c2410c",
        support_email="support@lakeside.example",
        logo_svg=_logo("LC", "#0f766e", 'rect x="2" y="2" width="60" height="60" rx="14"'),
        people=(
            DemoPerson(
                "admin@lakeside.example",
                "Omar Siddiqui",
                "Practice systems lead",
                is_tenant_admin=True,
            ),
            DemoPerson("cfo@lakeside.example", "Laura Chen", "Chief Financial Officer"),
            DemoPerson(
                "manager@lakeside.example",
                "Jonas Weber",
                "Clinic manager",
                manager="cfo@lakeside.example",
            ),
            DemoPerson(
                "reviewer@lakeside.example",
                "Rosa Alvarez",
                "Referral coordinator",
                manager="manager@lakeside.example",
            ),
            DemoPerson(
                "requester@lakeside.example",
                "Dr. Ken Ito",
                "Family physician",
                manager="manager@lakeside.example",
            ),
            DemoPerson("board@lakeside.example", "Martin Hale", "Board chair"),
            DemoPerson(
                "finance@lakeside.example",
                "Sofia Rossi",
                "Finance approver",
                manager="cfo@lakeside.example",
            ),
            DemoPerson("pharmacy@lakeside.example", "Dr. Nora Lind", "Pharmacist"),
        ),
    ),
)

PARTNER_ADMIN = DemoPerson("partner@northwind.example", "Ava Thompson", "Partner administrator")


def _ensure_person(person: DemoPerson) -> User:
    user = User.objects.filter(email=person.email).first()
    if user is None:
        user = User.objects.create_user(
            person.email,
            DEMO_PASSWORD,
            full_name=person.full_name,
            job_title=person.job_title,
            is_tenant_admin=person.is_tenant_admin,
        )
    return user


def demo_seed() -> list[Tenant]:
    """Create (or leave as they are) the demo partner, its admin and the two tenants."""
    partner: Partner = partner_ensure(name="Northwind Health Partners", slug="northwind")
    partner_user = _ensure_person(PARTNER_ADMIN)
    PartnerMembership.objects.get_or_create(
        user=partner_user, defaults={"partner": partner, "role": PartnerRole.ADMIN}
    )
    tenants = []
    for spec in DEMO_TENANTS:
        tenant = Tenant.objects.filter(slug=spec.slug).first()
        if tenant is None:
            tenant = tenant_create(
                partner=partner,
                slug=spec.slug,
                name=spec.name,
                branding={
                    "primary_colour": spec.primary_colour,
                    "accent_colour": spec.accent_colour,
                    "support_email": spec.support_email,
                    "email_sender_name": spec.name,
                },
                time_zone=spec.time_zone,
            )
        if not tenant.branding.logo:
            tenant.branding.logo.save(f"{spec.slug}.svg", ContentFile(spec.logo_svg.encode()))
        with tenant_activated(tenant):
            users = {person.email: _ensure_person(person) for person in spec.people}
            for person in spec.people:
                if person.manager and users[person.email].manager_id is None:
                    users[person.email].manager = users[person.manager]
                    users[person.email].save(update_fields=["manager"])
            demo_workflows_seed(spec.slug, f"requester@{spec.slug}.example")
        tenants.append(tenant)
    return tenants
