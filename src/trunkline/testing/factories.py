"""Factories for the foundation's models. Later apps add theirs beside their own tests or here."""

from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress

from trunkline.accounts.models import User
from trunkline.accounts.services import api_key_create
from trunkline.core.context import RequestContext
from trunkline.tenancy.models import Membership, Organization, OrganizationStatus
from trunkline.tenancy.roles import scopes_of
from trunkline.terms.selectors import terms_acceptance_overview
from trunkline.terms.services import terms_accept

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "customer"
    status = OrganizationStatus.ACTIVE
    language = "en"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    language = "en"

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = "admin"


def operator_organization() -> Organization:
    """The operator organisation made by the first migration (made again if a transactional test flushed it)."""
    organization, _ = Organization.objects.get_or_create(
        kind="operator", defaults={"name": "Operator", "status": OrganizationStatus.ACTIVE, "language": "en"}
    )
    return organization


def accept_all_terms(organization: Organization) -> None:
    """Record that ``organization`` signed every legal document that binds it (as operator staff would record)."""
    ctx = RequestContext(organization=operator_organization(), scopes=scopes_of("operator", "admin"))
    for status in terms_acceptance_overview(organization=organization):
        if status.version is not None and not status.accepted:
            terms_accept(
                ctx=ctx,
                version_id=status.version.public_id,
                method="signed_agreement",
                ip=None,
                user_agent="",
                organization_id=organization.public_id,
                signatory="Test signatory",
            )


def member(
    *,
    kind: str = "customer",
    role: str = "admin",
    organization: Organization | None = None,
    accepted_terms: bool = False,
    **user_fields: Any,
) -> Membership:
    """A person with a role in an organisation (a new one of ``kind`` unless given). ``accepted_terms`` records the
    organisation's acceptance of its legal documents, so its surface opens without the accept page."""
    if organization is None:
        organization = operator_organization() if kind == "operator" else OrganizationFactory.create(kind=kind)
    membership = MembershipFactory.create(organization=organization, role=role, user=UserFactory.create(**user_fields))
    if accepted_terms:
        accept_all_terms(organization)
    return membership


def ctx_for(membership: Membership, **extra: Any) -> RequestContext:
    return RequestContext(
        organization=membership.organization,
        scopes=scopes_of(membership.organization.kind, membership.role),
        user=membership.user,
        ip="127.0.0.1",
        **extra,
    )


def api_key_for(membership: Membership, scopes: list[str]) -> str:
    """The plaintext of a new API key of ``membership``'s organisation with exactly ``scopes``."""
    _key, plaintext = api_key_create(ctx=ctx_for(membership), name="test key", scopes=scopes)
    return plaintext
