"""Writes of single sign-on: the tenant admin's settings, a sign-in the IdP vouched for (the
account found or created just in time, its roles set from its groups), each refusal, and the
"Require SSO" rule that refuses password sign-in. Every one is audited with channel `sso`
(settings changes: the admin's web channel)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from apps.accounts.models import User
from apps.accounts.sign_in_rules import Refusal
from apps.audit.models import AuditCategory
from apps.audit.services import audit_append
from apps.core.actions import Channel, SystemActor, action
from apps.core.text import email_normalise
from apps.identity import saml, saml_logout
from apps.identity.claims import MappedIdentity, claims_map
from apps.identity.exceptions import IdentityErrorCode, InvalidInput, SsoRefused
from apps.identity.models import IdentityProvider, Protocol, SsoLink
from apps.identity.selectors import identity_provider_active, is_break_glass
from apps.people.models import Department, Role

# Who acts when the IdP's answer names nobody we know (a refusal before the account is found).
SSO = SystemActor("sso")


def _require_admin(actor: User) -> None:
    if not actor.is_tenant_admin:
        raise InvalidInput(
            "Only tenant administrators can configure single sign-on.",
            code=IdentityErrorCode.INVALID,
        )


def _saml_metadata(values: dict[str, Any], uploaded: str) -> tuple[str, str] | None:
    """The IdP metadata XML and its entity ID: the uploaded file, else what the metadata URL
    serves now (read before the transaction), else None (keep the stored one)."""
    xml = uploaded.strip()
    if not xml and values.get("saml_idp_metadata_url"):
        try:
            xml = saml.metadata_fetch(str(values["saml_idp_metadata_url"]))
        except SsoRefused as refusal:
            raise InvalidInput(
                refusal.message, code=IdentityErrorCode.INVALID, field="saml_idp_metadata_url"
            ) from None
    if not xml:
        return None
    try:
        return xml, saml.metadata_entity_id(xml)
    except SsoRefused as refusal:
        field = "saml_idp_metadata_file" if uploaded.strip() else "saml_idp_metadata_url"
        raise InvalidInput(refusal.message, code=IdentityErrorCode.INVALID, field=field) from None


def identity_provider_update(
    *,
    actor: User,
    values: dict[str, Any],
    client_secret: str = "",
    break_glass_admins: list[User],
    saml_metadata_xml: str = "",
) -> IdentityProvider:
    """Save the tenant's IdP settings. A blank `client_secret` keeps the stored one; a SAML
    configuration keeps its stored IdP metadata unless a file or URL gives new metadata. The
    SP key pair is made on the first save (the private key stored encrypted)."""
    _require_admin(actor)
    is_saml = values.get("protocol") == Protocol.SAML
    metadata = _saml_metadata(values, saml_metadata_xml) if is_saml else None
    if values.get("require_sso"):
        if not values.get("is_enabled"):
            raise InvalidInput(
                "Turn single sign-on on before requiring it.",
                code=IdentityErrorCode.INVALID,
                field="require_sso",
            )
        if not [user for user in break_glass_admins if user.is_tenant_admin and user.is_active]:
            raise InvalidInput(
                "Name at least one break-glass admin, who keeps password and two-step sign-in "
                "for when the IdP is down.",
                code=IdentityErrorCode.INVALID,
                field="break_glass_admins",
            )
    unknown = _unknown_roles(values.get("group_roles") or {})
    if unknown:
        raise InvalidInput(
            f"No role has the key {', '.join(sorted(unknown))}.",
            code=IdentityErrorCode.INVALID,
            field="group_roles",
        )
    with action(actor=actor):
        provider = IdentityProvider.objects.select_for_update().order_by("pk").first()
        provider = provider or IdentityProvider()
        for name, value in values.items():
            setattr(provider, name, value)
        if client_secret:
            provider.client_secret = client_secret
        if metadata is not None:
            provider.saml_idp_metadata_xml, provider.saml_idp_entity_id = metadata
        if not provider.saml_sp_key_encrypted:
            key, certificate = saml.sp_key_pair_make(_tenant_name())
            provider.saml_sp_key = key
            provider.saml_sp_certificate = certificate
        enabled_check(provider)
        provider.save()
        provider.break_glass_admins.set(break_glass_admins)
        detail = {key: value for key, value in values.items() if key != "group_roles"}
        detail["group_roles"] = {k: list(v) for k, v in (values.get("group_roles") or {}).items()}
        detail["client_secret_changed"] = bool(client_secret)
        if metadata is not None:
            detail["saml_idp_entity_id"] = metadata[1]
        detail["break_glass_admins"] = sorted(user.email for user in break_glass_admins)
        audit_append(
            category=AuditCategory.SECURITY,
            action="sso.settings_update",
            obj=provider,
            detail=detail,
        )
    return provider


def _tenant_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return f"Countersign {getattr(tenant, 'name', '')}".strip()


def enabled_check(provider: IdentityProvider) -> None:
    """An enabled provider has what its protocol needs to sign anyone in."""
    if not provider.is_enabled:
        return
    if provider.is_saml:
        if not provider.saml_idp_metadata_xml:
            raise InvalidInput(
                "Give the identity provider's SAML metadata: its URL or the XML file.",
                code=IdentityErrorCode.INVALID,
                field="saml_idp_metadata_url",
            )
        return
    for field, label in (("issuer_url", "the issuer URL"), ("client_id", "the client ID")):
        if not getattr(provider, field):
            raise InvalidInput(
                f"Enter {label} the IdP gave you.", code=IdentityErrorCode.INVALID, field=field
            )
    if not provider.has_client_secret:
        raise InvalidInput(
            "Enter the client secret the IdP gave you.",
            code=IdentityErrorCode.INVALID,
            field="client_secret",
        )


def _unknown_roles(group_roles: dict[str, list[str]]) -> set[str]:
    keys = {key for keys in group_roles.values() for key in keys}
    return keys - set(Role.objects.filter(key__in=keys).values_list("key", flat=True))


def sso_sign_in(*, provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The account the IdP's validated claims name, found (or created, with JIT on) and with
    its roles set from its groups; one transaction, audited. Refuses with `SsoRefused`."""
    mapped = claims_map(mapping=provider, claims=claims)
    if not mapped.email:
        raise SsoRefused(
            "Your organisation's sign-in service did not send your email address. Ask your "
            "administrator to release the email claim to Countersign.",
            code=IdentityErrorCode.EMAIL_MISSING,
            http_status=400,
        )
    user = User.objects.filter(email=mapped.email).first()
    if user is None and not provider.jit_enabled:
        raise SsoRefused(
            "You do not have a Countersign account at this organisation yet. Ask your "
            "administrator to invite you.",
            code=IdentityErrorCode.UNKNOWN_USER,
            http_status=403,
            email=mapped.email,
        )
    if user is not None and not user.is_active:
        raise SsoRefused(
            "Your Countersign account at this organisation is deactivated. Ask your "
            "administrator if you need it back.",
            code=IdentityErrorCode.USER_INACTIVE,
            http_status=403,
            email=mapped.email,
        )
    subject = str(claims.get("sub", ""))[:255]
    issuer = provider.sso_issuer
    subject_check(issuer=issuer, subject=subject, user=user, email=mapped.email)
    created = user is None
    with action(actor=SSO, channel=Channel.SSO):
        if user is None:
            user = User.objects.create_user(
                mapped.email, None, full_name=mapped.full_name or mapped.email
            )
        link, _ = SsoLink.objects.get_or_create(
            issuer=issuer, user=user, defaults={"subject": subject}
        )
        link.save(update_fields=["last_used_at"])
        with action(actor=user, channel=Channel.SSO):
            if created:
                audit_append(
                    category=AuditCategory.SECURITY,
                    action="sso.user_created",
                    obj=user,
                    detail={"idp": provider.name, "issuer": issuer, "protocol": provider.protocol},
                )
            _profile_apply(user=user, mapped=mapped)
            changes = _roles_apply(user=user, mapped=mapped, group_roles=provider.group_roles)
            audit_append(
                category=AuditCategory.SECURITY,
                action="sso.login",
                obj=user,
                detail={
                    "idp": provider.name,
                    "issuer": issuer,
                    "protocol": provider.protocol,
                    "subject": subject,
                    "jit_created": created,
                    "roles_added": changes["added"],
                    "roles_removed": changes["removed"],
                },
            )
    return user


def subject_check(*, issuer: str, subject: str, user: User | None, email: str) -> None:
    """The account and the IdP subject must be linked to each other or to nobody yet."""
    if not subject:
        raise SsoRefused(
            "The sign-in did not say who you are at your organisation's sign-in service.",
            code=IdentityErrorCode.INVALID_TOKEN,
            http_status=401,
            email=email,
        )
    by_subject = SsoLink.objects.filter(issuer=issuer, subject=subject).first()
    by_user = SsoLink.objects.filter(issuer=issuer, user=user).first() if user else None
    other_account = by_subject is not None and (user is None or by_subject.user_id != user.pk)
    other_subject = by_user is not None and by_user.subject != subject
    if other_account or other_subject:
        raise SsoRefused(
            "This sign-in belongs to a different person's Countersign account than the one with "
            "your email address. Ask your administrator to check your account at the identity "
            "provider; they can unlink it on the single sign-on page.",
            code=IdentityErrorCode.SUBJECT_MISMATCH,
            http_status=403,
            email=email,
        )


def sso_link_forget(*, actor: User, email: str) -> int:
    """The tenant admin unlinks a person from their IdP subject (after the IdP account was
    recreated, for instance): the next SSO sign-in links them again. Returns how many links."""
    _require_admin(actor)
    with action(actor=actor):
        links = list(SsoLink.objects.filter(user__email=email_normalise(email)))
        for link in links:
            audit_append(
                category=AuditCategory.SECURITY,
                action="sso.link_forgotten",
                obj=link.user,
                detail={"issuer": link.issuer, "subject": link.subject},
            )
        SsoLink.objects.filter(pk__in=[link.pk for link in links]).delete()
    return len(links)


def _profile_apply(*, user: User, mapped: MappedIdentity) -> None:
    fields = []
    if mapped.full_name and user.full_name != mapped.full_name:
        user.full_name = mapped.full_name
        fields.append("full_name")
    if mapped.manager_email:
        manager = User.objects.filter(email=mapped.manager_email, is_active=True).first()
        if manager is not None and manager.pk != user.pk and user.manager_id != manager.pk:
            user.manager = manager
            fields.append("manager")
    if fields:
        user.save(update_fields=fields)
    if mapped.department:
        department = (
            Department.objects.filter(key=mapped.department).first()
            or Department.objects.filter(name__iexact=mapped.department).first()
        )
        if department is not None:
            department.members.add(user)


def _roles_apply(
    *, user: User, mapped: MappedIdentity, group_roles: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Roles the groups decide: added when a group gives them, removed when none does any
    more. Roles no group mentions are left as the admin set them."""
    managed = Role.objects.filter(key__in=mapped.managed_roles)
    held = set(user.roles.filter(key__in=mapped.managed_roles).values_list("key", flat=True))
    wanted = set(mapped.roles)
    added, removed = sorted(wanted - held), sorted(held - wanted)
    for role in managed:
        if role.key in added:
            role.members.add(user)
        elif role.key in removed:
            role.members.remove(user)
        else:
            continue
        audit_append(
            category=AuditCategory.CHANGE,
            action="sso.role_added" if role.key in added else "sso.role_removed",
            obj=role,
            detail={
                "user_id": user.pk,
                "user_email": user.email,
                "groups": [g for g in mapped.groups if role.key in group_roles.get(g, [])],
            },
        )
    return {"added": added, "removed": removed}


def sso_failure_record(*, refusal: SsoRefused, provider: IdentityProvider | None) -> None:
    """The audit entry of a refused SSO sign-in (no token or claim values beyond the email)."""
    with action(actor=SSO, channel=Channel.SSO):
        audit_append(
            category=AuditCategory.SECURITY,
            action="sso.login_failed",
            object_type="identity.identityprovider",
            object_id=str(provider.pk) if provider else "",
            actor_email=refusal.email or SSO.email,
            detail={
                "code": refusal.code,
                "idp": provider.name if provider else "",
                "protocol": provider.protocol if provider else "",
                "asserted_email": refusal.email,
            },
        )


def password_sign_in_refused_record(*, user: User) -> None:
    with action(actor=user, channel=Channel.SSO):
        audit_append(
            category=AuditCategory.SECURITY,
            action="sso.password_refused",
            obj=user,
            detail={"code": IdentityErrorCode.SSO_REQUIRED},
        )


def require_sso_refusal(user: User) -> Refusal | None:
    """accounts' password sign-in asks this (registered in apps.identity.apps): with "Require
    SSO" on, only the named break-glass admins may still use a password (and their MFA)."""
    from apps.identity.partner import partner_require_sso_provider

    partner_provider = partner_require_sso_provider(user)
    if partner_provider is not None:  # the partner console (public schema)
        password_sign_in_refused_record(user=user)
        return Refusal(
            code=IdentityErrorCode.SSO_REQUIRED,
            message=(
                f"Your partner signs in with {partner_provider.name}. Use “Single sign-on” "
                "with your partner's sign-in address instead of a password."
            ),
        )
    provider = identity_provider_active()
    if provider is None or not provider.require_sso or is_break_glass(provider, user):
        return None
    password_sign_in_refused_record(user=user)
    tenant_name = getattr(connection, "tenant", None)
    return Refusal(
        code=IdentityErrorCode.SSO_REQUIRED,
        message=(
            f"{getattr(tenant_name, 'name', 'Your organisation')} signs in with "
            f"{provider.name}. Use the “Sign in with {provider.name}” button instead of a "
            "password."
        ),
    )


def saml_sign_in(
    *, provider: IdentityProvider, urls: saml.SpUrls, saml_response: str
) -> tuple[User, saml.Assertion]:
    """The account a SAML Response posted to the ACS vouches for: the Response checked (signed
    assertion, audience, recipient, time, InResponseTo), the assertion ID remembered against
    replay, then the same sign-in as OpenID Connect's. Refuses with `SsoRefused`."""
    outstanding = saml.outstanding_take(saml.in_response_to_peek(saml_response))
    assertion = saml.response_parse(
        provider=provider, urls=urls, saml_response=saml_response, outstanding=outstanding
    )
    if assertion.in_response_to and assertion.in_response_to not in outstanding:
        raise SsoRefused(
            "This sign-in was not started here, or it was already used. Start again from the "
            "sign-in page.",
            code=IdentityErrorCode.STATE_MISMATCH,
            http_status=400,
        )
    saml.assertion_remember(assertion)
    claims = saml.claims_of(assertion, provider.claim_groups)
    return sso_sign_in(provider=provider, claims=claims), assertion


def saml_logout_record(
    *, provider: IdentityProvider, user: User | None, initiated_by: str, **detail: Any
) -> None:
    """The audit entry of a SAML single logout: `initiated_by` "countersign" (the person
    signed out here and the IdP answered) or "idp" (the IdP asked us to end the session)."""
    with action(actor=user or SSO, channel=Channel.SSO):
        audit_append(
            category=AuditCategory.SECURITY,
            action="sso.logout",
            obj=user,
            object_type="" if user else "identity.identityprovider",
            object_id="" if user else str(provider.pk),
            detail={
                "idp": provider.name,
                "protocol": provider.protocol,
                "initiated_by": initiated_by,
                **detail,
            },
        )


def saml_logout_failure_record(*, refusal: SsoRefused, provider: IdentityProvider) -> None:
    """A refused single-logout message (unsigned, wrong issuer, unknown request): nobody's
    session is touched."""
    with action(actor=SSO, channel=Channel.SSO):
        audit_append(
            category=AuditCategory.SECURITY,
            action="sso.logout_failed",
            object_type="identity.identityprovider",
            object_id=str(provider.pk),
            detail={"code": refusal.code, "idp": provider.name, "protocol": provider.protocol},
        )


def saml_logout_by_idp(
    *, provider: IdentityProvider, name_id: str, keep_session: str = ""
) -> User | None:
    """The IdP asked to end the sessions of the person it names (IdP-initiated single logout):
    every Countersign session their SAML sign-ins opened ends (`keep_session`: the current
    browser's, which the caller ends itself). Audited; returns the person, if known here."""
    from importlib import import_module

    from django.conf import settings

    issuer = provider.sso_issuer
    link = SsoLink.objects.filter(issuer=issuer, subject=name_id[:255]).select_related("user")
    user = link[0].user if link else None
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for key in saml_logout.sessions_take(issuer, name_id):
        if key != keep_session and store(session_key=key).exists(key):
            store(session_key=key).delete(key)
            ended += 1
    saml_logout_record(
        provider=provider,
        user=user,
        initiated_by="idp",
        sessions_ended=ended + (1 if keep_session else 0),
        known_person=user is not None,
    )
    return user
