import pytest
from django.db import IntegrityError
from django.test import Client

from trunkline.tenancy.models import Organization
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import OrganizationFactory, api_key_for, member, operator_organization

pytestmark = pytest.mark.django_db


def test_the_operator_exists_from_the_first_setup_and_is_unique():
    """The first migration creates the operator; a second operator cannot be created."""
    assert operator_organization().status == "active"
    with pytest.raises(IntegrityError):
        OrganizationFactory(kind="operator")


def test_a_customer_sees_only_itself_and_the_operator_sees_everyone():
    """The organisations list is scoped: own organisation for tenants, all for operator staff."""
    customer, other = member(role="admin"), member(role="admin")
    client = Client()
    own = client.get(
        "/api/v1/organizations", HTTP_AUTHORIZATION=f"Bearer {api_key_for(customer, ['organization:read'])}"
    )
    assert [item["id"] for item in own.json()["items"]] == [str(customer.organization.public_id)]
    staff = member(kind="operator", role="admin")
    token = api_key_for(staff, ["organization:read", "ops:read"])
    everyone = client.get("/api/v1/organizations?page_size=200", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert {str(customer.organization.public_id), str(other.organization.public_id)} <= {
        item["id"] for item in everyone["items"]
    }


def test_update_changes_own_profile_and_refuses_bad_input():
    """A valid change is saved and audited; an unknown language is a 422 with the field, and nothing changes."""
    admin = member(role="admin")
    token = api_key_for(admin, ["organization:manage"])
    client = Client()
    url = f"/api/v1/organizations/{admin.organization.public_id}"
    ok = client.patch(
        url, {"name": "Renamed Ltd"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert ok.status_code == 200
    assert ok.json()["name"] == "Renamed Ltd"
    bad = client.patch(url, {"language": "xx"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_failed"
    assert "language" in bad.json()["detail"]["fields"]
    assert Organization.objects.get(pk=admin.organization.pk).language == "en"


def test_the_vat_number_and_address_for_invoices_are_validated_and_stored_compact():
    admin = member(kind="reseller", role="admin")
    token = api_key_for(admin, ["organization:manage"])
    client = Client()
    url = f"/api/v1/organizations/{admin.organization.public_id}"
    ok = client.patch(
        url,
        {"vat_number": "de 136 695 976", "address": "Unter den Linden 1, Berlin"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert ok.status_code == 200
    assert (ok.json()["vat_number"], ok.json()["address"]) == ("DE136695976", "Unter den Linden 1, Berlin")
    bad = client.patch(
        url, {"vat_number": "BG123"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert bad.status_code == 422
    assert "vat_number" in bad.json()["detail"]["fields"]
    assert Organization.objects.get(pk=admin.organization.pk).vat_number == "DE136695976"


def test_malformed_json_is_a_clear_422():
    """A body that is not JSON is refused with the standard error shape."""
    admin = member(role="admin")
    response = Client().patch(
        f"/api/v1/organizations/{admin.organization.public_id}",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key_for(admin, ['organization:manage'])}",
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "detail"}


def test_access_matrix_for_organization_get():
    """Reading an organisation: 401 anonymous, 403 without organization:read, 200 with it, 404 for strangers."""
    owner = member(role="admin")
    check_access_matrix(
        owner,
        lambda: Endpoint("GET", f"/api/v1/organizations/{owner.organization.public_id}", scope="organization:read"),
        other_scopes=("members:read",),
    )
