"""The trunkline-license SDK against the real activation API: activate, check, offline verify, reset; a tampered
response is rejected."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.test import Client

from trunkline.licensing import signing
from trunkline.licensing.services import license_assign
from trunkline.licensing.tests.conftest import grow_pool, new_end_user

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "clients" / "trunkline-license" / "src"))
from trunkline_license import LicenseClient, LicenseError, ResponseSignatureError

pytestmark = pytest.mark.django_db
DEVICE = "sha256:" + "f" * 64


def django_transport(tamper: bool = False):
    client = Client()

    def send(method: str, url: str, headers: dict[str, str], body: bytes):
        path = url.removeprefix("http://testserver")
        response = client.generic(
            method, path, body, content_type="application/json", headers={"License-Key": headers["License-Key"]}
        )
        content = response.content + b" " if tamper else response.content
        return response.status_code, {name.lower(): value for name, value in response.items()}, content

    return send


@pytest.fixture
def key(reseller_ctx, product):
    grow_pool(reseller_ctx.organization, product, 1)
    return license_assign(
        ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id
    )[1]


def sdk(key: str, tmp_path: Path, **kwargs) -> LicenseClient:
    return LicenseClient(
        base_url="http://testserver",
        key=key,
        public_key_pem=signing.public_key_pem(),
        state_dir=tmp_path,
        fingerprint=DEVICE,
        transport=kwargs.pop("transport", django_transport()),
    )


def test_the_sdk_activates_checks_verifies_offline_and_resets(key, tmp_path):
    """The whole life of a license on one device, through the SDK and the real server."""
    client = sdk(key, tmp_path)
    certificate = client.activate(device_name="Office PC")
    assert certificate.product == "EPL-PRO"
    assert client.check().license_id == certificate.license_id
    assert client.verify_offline().type == "regular"
    assert client.updates_allowed("5.2.0") is True
    assert client.reset()["code"] == "reset"
    with pytest.raises(LicenseError) as error:
        client.reset()
    assert error.value.code in {"not_activated", "reset_limit_reached"}


def test_a_tampered_response_is_rejected(key, tmp_path):
    """A response whose body was changed on the way fails the signature check."""
    with pytest.raises(ResponseSignatureError):
        sdk(key, tmp_path, transport=django_transport(tamper=True)).activate()
