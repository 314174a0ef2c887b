"""The reseller portal and the operator's licensing pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.licensing.models import EndUser, License
from trunkline.licensing.tests.conftest import grow_pool, new_end_user
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(product):
    reseller = member(kind="reseller", role="admin", accepted_terms=True)
    client = Client()
    client.force_login(reseller.user)
    grow_pool(reseller.organization, product, 10)
    return client, reseller


@pytest.mark.rule("RT-4.1")
def test_the_dashboard_shows_pools_and_the_affiliated_share(portal):
    """Purchased, assigned and available per product, the cap and the chart are on the reseller's dashboard."""
    client, _reseller = portal
    page = client.get("/reseller/licensing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "EPL-PRO" in text
    assert "0 of 0 (cap 10 %)" in text
    assert "<svg" in text


@pytest.mark.rule("RT-4.3")
def test_a_reseller_adds_an_end_user_and_assigns_a_license_seeing_the_key_once(portal, product):
    """The form requires the relationship; assignment shows the key on the page once, then only its hint."""
    client, _reseller = portal
    refused = client.post(
        "/reseller/licensing/end-users/", {"action": "create", "name": "Ana", "email": "ana@example.com"}
    )
    assert refused.status_code == 422
    created = client.post(
        "/reseller/licensing/end-users/",
        {"action": "create", "name": "Ana", "email": "ana@example.com", "affiliation": "no"},
    )
    end_user = EndUser.objects.get()
    assert created.status_code == 302
    assigned = client.post(
        f"/reseller/licensing/end-users/{end_user.public_id}/", {"product": str(product.public_id), "kind": "regular"}
    )
    assert assigned.status_code == 200
    license = License.objects.get()
    assert assigned.context["new_key"].endswith(license.key_hint.lstrip("…"))
    again = client.get(f"/reseller/licensing/end-users/{end_user.public_id}/")
    assert assigned.context["new_key"] not in again.content.decode()
    assert license.key_hint in again.content.decode()
    assert client.get("/reseller/licensing/end-users/?q=ana").context["table"]["page"].paginator.count == 1


def test_the_csv_import_reports_bad_rows(portal, django_capture_on_commit_callbacks):
    """The upload goes to the import's page; its task (run at once in tests) lists each refused line."""
    client, _reseller = portal
    upload = SimpleUploadedFile("users.csv", b"name,email,affiliated\nAna,ana@example.com,no\nBo,bad,no\n")
    with django_capture_on_commit_callbacks(execute=True):
        stored = client.post("/reseller/licensing/end-users/", {"action": "import", "file": upload})
    assert stored.status_code == 302
    page = client.get(stored["Location"])
    text = page.content.decode()
    assert "Done: 1 of 2 rows imported." in text
    assert "email: Give a valid email address" in text


def test_another_resellers_end_user_page_is_404(portal):
    """A reseller cannot open another reseller's end user."""
    client, _reseller = portal
    stranger = new_end_user(ctx_for(member(kind="reseller")))
    assert client.get(f"/reseller/licensing/end-users/{stranger.public_id}/").status_code == 404


def test_operator_staff_see_resellers_and_reset_with_a_reason(portal, product):
    """Staff see the reseller in /ops/licensing/, open a license by its key and free its device with a reason."""
    from trunkline.licensing.services import activation_activate, license_assign

    _client, reseller = portal
    license, key = license_assign(
        ctx=ctx_for(reseller), end_user_id=new_end_user(ctx_for(reseller)).public_id, product_id=product.public_id
    )
    activation_activate(key=key, fingerprint="sha256:" + "e" * 64, device_name="Laptop")
    staff = member(kind="operator", role="staff")
    client = Client()
    client.force_login(staff.user)
    index = client.get("/ops/licensing/")
    assert reseller.organization.name in index.content.decode()
    found = client.get("/ops/licensing/", {"key": key})
    assert found.status_code == 302
    assert found["Location"] == f"/ops/licensing/licenses/{license.public_id}/"
    assert client.get(found["Location"]).status_code == 200
    assert client.get(f"/ops/licensing/resellers/{reseller.organization.public_id}/").status_code == 200
    client.post(f"/ops/licensing/licenses/{license.public_id}/reset/", {"reason": "Motherboard replaced"})
    assert license.resets.get().reason == "Motherboard replaced"
    reseller_client = Client()
    reseller_client.force_login(reseller.user)
    assert reseller_client.get("/ops/licensing/").status_code == 404


def test_the_portal_speaks_bulgarian(product):
    """A Bulgarian-speaking reseller sees the licensing pages in Bulgarian."""
    reseller = member(kind="reseller", role="admin", accepted_terms=True, language="bg")
    client = Client()
    client.force_login(reseller.user)
    text = client.get("/reseller/licensing/", headers={"Accept-Language": "bg"}).content.decode()
    assert "Пулове по продукти" in text
    assert "Лицензиране" in text


def test_a_new_key_replaces_the_old_one(portal, product, django_capture_on_commit_callbacks):
    """ "Send a new key" shows and mails a new key; the old key no longer validates, the device binding stays."""
    from django.core import mail

    from trunkline.licensing.services import activation_activate, activation_validate, license_assign

    client, reseller = portal
    end_user = new_end_user(ctx_for(reseller))
    license, old_key = license_assign(
        ctx=ctx_for(reseller), end_user_id=end_user.public_id, product_id=product.public_id
    )
    activation_activate(key=old_key, fingerprint="sha256:" + "1" * 64)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/reseller/licensing/end-users/{end_user.public_id}/", {"reissue": str(license.public_id)})
    new_key = page.context["new_key"]
    assert new_key != old_key
    assert new_key in mail.outbox[-1].body
    assert activation_validate(key=old_key, fingerprint="sha256:" + "1" * 64).code == "not_found"
    assert activation_validate(key=new_key, fingerprint="sha256:" + "1" * 64).valid is True


def test_staff_activate_offline_and_get_the_certificate(portal, product):
    """The offline form on the staff license page returns a certificate for the device."""
    from trunkline.licensing.services import license_assign

    _client, reseller = portal
    license, _key = license_assign(
        ctx=ctx_for(reseller), end_user_id=new_end_user(ctx_for(reseller)).public_id, product_id=product.public_id
    )
    staff = member(kind="operator", role="staff")
    client = Client()
    client.force_login(staff.user)
    page = client.post(
        f"/ops/licensing/licenses/{license.public_id}/offline/",
        {"fingerprint": "sha256:" + "2" * 64, "device_name": "Lab"},
    )
    assert page.status_code == 200
    assert "BEGIN TRUNKLINE LICENSE CERTIFICATE" in page.content.decode()
    assert license.activations.get().method == "offline"
