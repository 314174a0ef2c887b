import pytest
from django.db import transaction
from django.test import Client

from trunkline.accounts.services import api_key_create
from trunkline.audit.models import AuditEvent
from trunkline.audit.services import audit_record
from trunkline.testing.factories import api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db


def test_events_are_append_only():
    """An audit event can be neither changed nor deleted, one by one or in bulk."""
    admin = member(role="admin")
    with transaction.atomic():
        event = audit_record(ctx=ctx_for(admin), action="test.happened")
    event.action = "test.rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_the_event_lands_with_the_change_or_not_at_all():
    """A service that fails after writing its event leaves neither the change nor the event."""
    admin = member(role="admin")
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        api_key_create(ctx=ctx_for(admin), name="doomed", scopes=["members:read"])
        raise RuntimeError("the rest of the service failed")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_an_event_needs_a_transaction():
    """Writing an event outside the service's transaction is a programming error, caught at once."""
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(ctx=None, action="loose.event")


def test_each_event_records_who_what_where():
    """Actor, action, target, change summary, IP and request id are kept."""
    admin = member(role="admin")
    token = api_key_for(admin, ["api_keys:manage", "members:read"])
    Client().post(
        "/api/v1/api-keys",
        {"name": "ERP", "scopes": ["members:read"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_REQUEST_ID="req-0123456789",
        REMOTE_ADDR="127.0.0.7",
    )
    event = AuditEvent.objects.filter(action="api_key.created").latest("created_at")
    assert event.organization == admin.organization
    assert event.actor_label.startswith("api-key:")
    assert event.changes == {"scopes": ["members:read"]}
    assert (event.ip, event.request_id) == ("127.0.0.7", "req-0123456789")
    assert event.target_label == "ERP (" + event.target_label.split("(")[1]


def test_an_organisation_sees_only_its_own_events_and_the_operator_sees_all():
    """Customer A never sees B's events; operator staff may ask for every organisation's."""
    first, second = member(role="admin"), member(role="admin")
    api_key_for(first, ["members:read"])
    api_key_for(second, ["members:read"])
    client = Client()
    seen = client.get(
        "/api/v1/audit-events?all_organizations=true", HTTP_AUTHORIZATION=f"Bearer {api_key_for(first, ['audit:read'])}"
    ).json()
    assert {item["organization_id"] for item in seen["items"]} == {str(first.organization.public_id)}
    staff = member(kind="operator", role="admin")
    everything = client.get(
        "/api/v1/audit-events?all_organizations=true&page_size=200",
        HTTP_AUTHORIZATION=f"Bearer {api_key_for(staff, ['audit:read', 'ops:read'])}",
    ).json()
    organizations = {item["organization_id"] for item in everything["items"]}
    assert {str(first.organization.public_id), str(second.organization.public_id)} <= organizations


def test_the_audit_page_lists_events_with_sorting_and_pages(client):
    """The audit page of a surface shows the organisation's events, 25 per page, sortable by action."""
    admin = member(role="admin", accepted_terms=True)
    for number in range(30):
        api_key_create(ctx=ctx_for(admin), name=f"key {number}", scopes=["members:read"])
    client.force_login(admin.user)
    page = client.get("/app/audit/?sort=action&action=api_key.")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Page 1 of 2" in html
    assert "30 rows" in html
    assert 'aria-sort="ascending"' in html
