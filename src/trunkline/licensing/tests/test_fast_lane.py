"""The activation API's ASGI fast lane answers activate, validate and refresh in front of Django with the same body
and a verifiable signature, and hands every refusal to Django (same rendering, rate limits counted once)."""

from __future__ import annotations

import base64
import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.test import override_settings

from trunkline.asgi import application
from trunkline.licensing import signing
from trunkline.licensing.asgi import LicensingFastLane
from trunkline.licensing.domain.certificates import body_digest, certificate_verify, fingerprint_hash, signing_string
from trunkline.licensing.models import Activation
from trunkline.licensing.services import license_assign
from trunkline.licensing.tests.conftest import credit_pool_directly, new_end_user

pytestmark = pytest.mark.django_db(transaction=True)  # the lane's worker threads must see committed rows
DEVICE_A = "sha256:" + "a" * 64
DEVICE_B = "sha256:" + "b" * 64


@pytest.fixture
def key(reseller_ctx, product):
    credit_pool_directly(reseller_ctx.organization, product, 5)
    _license, plaintext = license_assign(
        ctx=reseller_ctx, end_user_id=new_end_user(reseller_ctx).public_id, product_id=product.public_id
    )
    return plaintext


async def no_django(scope, receive, send) -> None:
    raise AssertionError("the fast lane handed a plain success to Django")


LANE_ONLY = LicensingFastLane(no_django, threads=2)


def post(path: str, key: str, body: dict, app=application, **headers: str) -> tuple[int, dict[str, str], bytes]:
    wire = [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"license-key", key.encode()),
        *((name.lower().replace("_", "-").encode(), value.encode()) for name, value in headers.items()),
    ]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/licensing/v1/{path}",
        "raw_path": f"/licensing/v1/{path}".encode(),
        "query_string": b"",
        "headers": wire,
        "client": ("192.0.2.9", 50000),
        "server": ("testserver", 80),
    }

    async def exchange() -> tuple[int, dict[str, str], bytes]:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": json.dumps(body).encode()})
        start = await communicator.receive_output(10)
        content = b""
        while True:
            message = await communicator.receive_output(10)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait()
        headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
        return start["status"], headers, content

    return async_to_sync(exchange)()


def verify(path: str, headers: dict[str, str], body: bytes) -> None:
    fields = dict(part.strip().split("=", 1) for part in headers["trunkline-signature"].split(", "))
    assert headers["digest"] == body_digest(body)
    message = signing_string(
        method="post", target=f"/licensing/v1/{path}", host="testserver", date=headers["date"], digest=headers["digest"]
    )
    signing.public_key().verify(base64.b64decode(fields["signature"].strip('"')), message)


@pytest.mark.rule("RT-1.1.1")
@override_settings(ALLOWED_HOSTS=["testserver"])
def test_activate_validate_and_refresh_answer_signed_in_the_lane(key):
    """Activate (201), validate and refresh (200) come back signed, with the documented body and a request id."""
    status, headers, body = post(
        "activate", key, {"fingerprint": DEVICE_A, "device_name": "Desk", "nonce": 5}, app=LANE_ONLY
    )
    assert status == 201, body
    verify("activate", headers, body)
    answer = json.loads(body)
    assert set(answer) == {"license_id", "activation_id", "type", "product", "certificate", "expires_at", "nonce", "ts"}
    assert answer["nonce"] == 5
    assert certificate_verify(answer["certificate"], signing.public_key())["fingerprint_hash"] == fingerprint_hash(
        DEVICE_A
    )
    assert len(headers["x-request-id"]) == 32
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = post("validate", key, {"fingerprint": DEVICE_A}, app=LANE_ONLY)
    assert (status, json.loads(body)["code"]) == (200, "valid")
    verify("validate", headers, body)
    status, headers, body = post("refresh", key, {"fingerprint": DEVICE_A, "nonce": 6}, app=LANE_ONLY)
    assert (status, json.loads(body)["activation_id"]) == (200, answer["activation_id"])
    verify("refresh", headers, body)
    assert Activation.objects.count() == 1


@pytest.mark.rule("RT-1.1.1")
@override_settings(ALLOWED_HOSTS=["testserver"])
def test_a_refusal_is_answered_by_django_in_the_callers_language(key):
    """Another device: Django's API renders the 409 with its code, signed, in Bulgarian when asked."""
    assert post("activate", key, {"fingerprint": DEVICE_A})[0] == 201
    status, headers, body = post("activate", key, {"fingerprint": DEVICE_B}, accept_language="bg")
    assert status == 409
    assert json.loads(body)["code"] == "already_active_on_another_device"
    assert headers["content-language"] == "bg"
    verify("activate", headers, body)


@override_settings(ALLOWED_HOSTS=["testserver"], LICENSING_RATES="validate=2/h,100/h")
def test_a_rate_limited_request_is_counted_once_and_refused_by_django(key):
    """With 2 validations an hour per key, the third is 429 (the lane counted it and Django repeats its verdict)."""
    from django.core.cache import cache

    cache.clear()
    assert post("activate", key, {"fingerprint": DEVICE_A})[0] == 201
    assert [post("validate", key, {"fingerprint": DEVICE_A})[0] for _ in range(3)] == [200, 200, 429]
    cache.clear()


@override_settings(ALLOWED_HOSTS=["licensing.example.com"])
def test_an_unknown_host_is_left_to_django(key):
    """A Host outside ALLOWED_HOSTS is not answered by the lane: Django refuses it (400) and nothing is bound."""
    status, _headers, _body = post("activate", key, {"fingerprint": DEVICE_A})
    assert status == 400
    assert Activation.objects.count() == 0
