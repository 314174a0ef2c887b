import pytest
from django.core import mail
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import DomainError
from trunkline.notifications.models import Notice
from trunkline.tenancy.models import Organization
from trunkline.tenancy.services import (
    organization_activate,
    organization_reactivate,
    organization_suspend,
    organization_terminate,
)
from trunkline.testing.factories import OrganizationFactory, api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db


def staff_ctx():
    return ctx_for(member(kind="operator", role="staff"))


@pytest.mark.rule("PT-6.3")
def test_suspension_records_reason_ground_actor_audit_and_notice(django_capture_on_commit_callbacks):
    """Suspending keeps who, why and on which ground, writes the audit event and emails the account address."""
    customer = member(role="admin")
    customer.organization.email = "accounts@customer.example.com"
    customer.organization.save()
    ctx = staff_ctx()
    with django_capture_on_commit_callbacks(execute=True):
        organization_suspend(
            ctx=ctx,
            organization_id=customer.organization.public_id,
            reason="Invoice 0000000042 unpaid",
            ground="non_payment",
        )
    organization = Organization.objects.get(pk=customer.organization.pk)
    assert (organization.status, organization.status_ground) == ("suspended", "non_payment")
    assert organization.status_reason == "Invoice 0000000042 unpaid"
    assert organization.status_changed_by == ctx.user
    event = AuditEvent.objects.get(action="organization.suspended")
    assert event.changes == {
        "status": ["active", "suspended"],
        "reason": "Invoice 0000000042 unpaid",
        "ground": "non_payment",
    }
    notice = Notice.objects.get(organization=organization)
    assert (notice.kind, notice.status) == ("organization.suspended", "sent")
    assert mail.outbox[0].to == ["accounts@customer.example.com"]
    assert "Invoice 0000000042 unpaid" in mail.outbox[0].body


@pytest.mark.rule("PT-6.3")
def test_a_suspension_needs_a_reason_and_changes_nothing_without_one():
    """No reason, no suspension: 422 and the organisation stays active."""
    customer = member(role="admin")
    with pytest.raises(DomainError) as error:
        organization_suspend(
            ctx=staff_ctx(), organization_id=customer.organization.public_id, reason=" ", ground="breach"
        )
    assert error.value.code == "tenancy.reason_required"
    assert Organization.objects.get(pk=customer.organization.pk).status == "active"
    assert not AuditEvent.objects.filter(action="organization.suspended").exists()


def test_transitions_follow_the_lifecycle():
    """A terminated organisation cannot be reactivated; a pending one can be activated once."""
    pending = OrganizationFactory.create(status="pending")
    ctx = staff_ctx()
    organization_activate(ctx=ctx, organization_id=pending.public_id)
    with pytest.raises(DomainError) as error:
        organization_activate(ctx=ctx, organization_id=pending.public_id)
    assert error.value.code == "tenancy.status_transition_refused"
    organization_terminate(ctx=ctx, organization_id=pending.public_id, reason="Breach", ground="breach")
    with pytest.raises(DomainError) as error:
        organization_reactivate(ctx=ctx, organization_id=pending.public_id)
    assert error.value.message == "An organisation that is Terminated cannot be activated."


def test_only_operator_staff_change_the_lifecycle():
    """A customer administrator cannot suspend anyone, not even their own organisation."""
    customer = member(role="admin")
    with pytest.raises(DomainError) as error:
        organization_suspend(
            ctx=ctx_for(customer), organization_id=customer.organization.public_id, reason="x", ground="other"
        )
    assert error.value.code == "permission_denied"


@pytest.mark.rule("PT-6.3")
def test_a_suspended_organisation_signs_in_sees_why_and_keeps_billing_but_not_the_services():
    """Suspended: pages open with the reason shown; billing and reading stay; other scopes answer 403 with why."""
    customer = member(role="admin", accepted_terms=True)
    token = api_key_for(customer, ["members:read", "members:manage", "billing:read"])
    organization_suspend(
        ctx=staff_ctx(),
        organization_id=customer.organization.public_id,
        reason="Complaint by a third party",
        ground="third_party_complaint",
    )
    client = Client()
    client.force_login(customer.user)
    page = client.get("/app/")
    assert page.status_code == 200
    assert "Your organisation is suspended." in page.content.decode()
    assert "Complaint by a third party" in page.content.decode()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/memberships", headers=headers).status_code == 200
    refused = client.post(
        "/api/v1/memberships",
        {"email": "x@example.com", "role": "agent"},
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "organization_suspended"
    assert "Complaint by a third party" in refused.json()["message"]
    organization_reactivate(ctx=staff_ctx(), organization_id=customer.organization.public_id)
    assert (
        client.post(
            "/api/v1/memberships",
            {"email": "x@example.com", "role": "agent"},
            content_type="application/json",
            headers=headers,
        ).status_code
        == 201
    )


@pytest.mark.rule("PT-24.13")
def test_termination_ends_access_at_once():
    """After termination the session lands on 'no organisation' and the API key answers 401."""
    customer = member(role="admin", accepted_terms=True)
    token = api_key_for(customer, ["members:read"])
    client = Client()
    client.force_login(customer.user)
    assert client.get("/app/").status_code == 200
    organization_terminate(
        ctx=staff_ctx(),
        organization_id=customer.organization.public_id,
        reason="Agreement ended",
        ground="customer_request",
    )
    assert client.get("/app/")["Location"] == "/no-organization/"
    assert client.get("/api/v1/memberships", headers={"Authorization": f"Bearer {token}"}).status_code == 401
