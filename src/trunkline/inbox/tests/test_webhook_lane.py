"""The webhook fast lane answers Twilio's signed inbound messages and status callbacks in front of Django exactly as
the Django view does, stores each event once, and hands every refusal to Django, which keeps its codes and logs."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django_tasks_db.models import DBTaskResult

from trunkline.asgi import application, django_application
from trunkline.channels.models import Channel, ChannelStatus, InboundEvent
from trunkline.channels.standins.twilio import TwilioStandIn
from trunkline.core.fastlane import replay
from trunkline.inbox.fastlane import WebhookFastLane
from trunkline.inbox.hooks import EMPTY_TWIML, webhook_channel
from trunkline.inbox.tests.conftest import CUSTOMER, SENDER, hook_url

# The lane's worker threads must see committed rows; processing stays queued (the lane only requests it).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.task_queue]
FORM = "application/x-www-form-urlencoded"
NOT_OURS = {"x-request-id", "content-length", "transfer-encoding"}  # transport and per-request headers


async def no_django(scope, receive, send) -> None:
    raise AssertionError("the webhook fast lane handed a plain success to Django")


LANE_ONLY = WebhookFastLane(no_django, threads=2)


class Recording:
    """Django behind the lane, noting what was handed to it (path and the whole body it read)."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, bytes]] = []

    async def __call__(self, scope, receive, send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.handed.append((scope["path"], body))
        await django_application(scope, replay(body, False, receive), send)


def post(
    app, path: str, body: bytes, *, signature: str, content_type: str = FORM, host: str = "testserver"
) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", host.encode()),
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"x-twilio-signature", signature.encode()),
        ],
        "client": ("192.0.2.9", 50000),
        "server": ("testserver", 80),
    }

    async def exchange() -> tuple[int, dict[str, str], bytes]:
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(10)
        content = b""
        while True:
            message = await communicator.receive_output(10)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait()
        return start["status"], {name.decode().lower(): value.decode() for name, value in start["headers"]}, content

    return async_to_sync(exchange)()


def signed(app, standin: TwilioStandIn, url: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """POST ``params`` form-encoded to ``url``'s path, signed for ``url`` as Twilio signs."""
    path = url.removeprefix("http://testserver")
    return post(app, path, urlencode(params).encode(), signature=standin.sign(url, params))


def inbound(standin: TwilioStandIn, channel: Channel, *, app=LANE_ONLY, sid: str = "", body: str = "Здравейте"):
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body=body, sid=sid)
    return signed(app, standin, hook_url(channel), params)


def status_callback(standin: TwilioStandIn, channel: Channel, *, app=LANE_ONLY, sid: str = "SM" + "1" * 32):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": standin.account_sid, "MessageStatus": "delivered"}
    return signed(app, standin, hook_url(channel, "status"), params)


def test_a_signed_inbound_sms_is_answered_in_the_lane_exactly_as_the_view_answers(standin, channel):
    """The lane alone answers 200 with the empty TwiML; Django's view answers another webhook the same way."""
    status, headers, body = inbound(standin, channel)
    assert (status, headers["content-type"], body) == (200, "text/xml", EMPTY_TWIML.encode())
    django_status, django_headers, django_body = inbound(standin, channel, app=django_application)
    assert (django_status, django_headers["content-type"], django_body) == (status, headers["content-type"], body)
    assert {name: value for name, value in headers.items() if name not in NOT_OURS} == {
        name: value for name, value in django_headers.items() if name not in NOT_OURS
    }
    assert len(headers["x-request-id"]) == 32
    assert InboundEvent.objects.filter(channel=channel, kind="message").count() == 2
    # the two events wait for one task: the channel's batch processor (inbox.services.inbound)
    assert DBTaskResult.objects.filter(task_path__endswith="inbound_events_process_task").count() == 1


def test_a_status_callback_is_answered_in_the_lane_with_the_views_204(standin, channel):
    """A delivery status: 204 from the lane, as from the view; stored once per (sid, status)."""
    status, headers, body = status_callback(standin, channel)
    django_status, django_headers, django_body = status_callback(standin, channel, app=django_application)
    assert (status, headers["content-type"], body) == (204, "text/html; charset=utf-8", b"")
    assert (django_status, django_headers["content-type"], django_body) == (status, headers["content-type"], body)
    assert InboundEvent.objects.filter(channel=channel, kind="status").count() == 1


def test_the_same_webhook_three_times_stores_one_event(standin, channel):
    """Three deliveries of one MessageSid: three 200s from the lane, one event, processing requested once."""
    sid = "SM" + "a" * 32
    assert [inbound(standin, channel, sid=sid)[0] for _ in range(3)] == [200, 200, 200]
    assert InboundEvent.objects.filter(channel=channel, event_key=sid).count() == 1
    assert DBTaskResult.objects.count() == 1


def test_a_webhook_signed_for_the_public_url_is_accepted(standin, channel, settings):
    """Behind a proxy the provider signs PUBLIC_URL's address, not the one this server sees: accepted in the lane."""
    settings.PUBLIC_URL = "https://hooks.example.com"
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="hi")
    path = f"/hooks/twilio/{channel.public_id}/"
    signature = standin.sign(f"https://hooks.example.com{path}", params)
    assert post(LANE_ONLY, path, urlencode(params).encode(), signature=signature)[0] == 200
    assert InboundEvent.objects.count() == 1


def test_a_bad_signature_is_refused_by_django_with_its_403_and_log_line(standin, channel, caplog):
    """A wrong signature is handed on: Django logs it and answers 403; nothing is stored."""
    recording = Recording()
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="hi")
    path = f"/hooks/twilio/{channel.public_id}/"
    with caplog.at_level(logging.WARNING, logger="trunkline.inbox.hooks"):
        status, _headers, body = post(WebhookFastLane(recording), path, urlencode(params).encode(), signature="bad")
    assert status == 403
    assert b'"code": "channels.signature_invalid"' in body
    assert [record.getMessage() for record in caplog.records if record.name == "trunkline.inbox.hooks"] == [
        "webhook signature invalid"
    ]
    assert recording.handed == [(path, urlencode(params).encode())]
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize("case", ["unknown channel", "disabled channel", "unknown host"])
def test_refusals_are_handed_to_django_and_keep_their_codes(standin, channel, case):
    """Unknown or disabled channel: Django's 404; a host outside ALLOWED_HOSTS: Django's 400. Nothing stored."""
    recording = Recording()
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="hi")
    channel_id = "00000000-0000-4000-8000-000000000000" if case == "unknown channel" else str(channel.public_id)
    if case == "disabled channel":
        Channel.objects.filter(pk=channel.pk).update(status=ChannelStatus.DISABLED)
    path = f"/hooks/twilio/{channel_id}/"
    signature = standin.sign(f"http://testserver{path}", params)
    host = "evil.example.com" if case == "unknown host" else "testserver"
    status, _headers, _body = post(
        WebhookFastLane(recording), path, urlencode(params).encode(), signature=signature, host=host
    )
    assert (status, len(recording.handed)) == ({"unknown host": 400}.get(case, 404), 1)
    assert InboundEvent.objects.count() == 0


def test_another_content_type_is_handed_to_django(standin, channel):
    """A multipart form is not the lane's: Django parses it, verifies it and answers 200 itself."""
    recording = Recording()
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="hi")
    boundary = "BoUnDaRy"
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in params.items()
        )
        + f"--{boundary}--\r\n"
    )
    url = hook_url(channel)
    status, headers, _body = post(
        WebhookFastLane(recording),
        url.removeprefix("http://testserver"),
        body.encode(),
        signature=standin.sign(url, params),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert (status, headers["content-type"], len(recording.handed)) == (200, "text/xml", 1)
    assert InboundEvent.objects.count() == 1


def test_a_body_over_the_limit_is_handed_to_django_whole(standin, channel):
    """A form larger than the lane's limit goes to Django with every byte; Django accepts it (200)."""
    recording = Recording()
    lane = WebhookFastLane(recording)
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="x" * (lane.max_body + 1))
    status, _headers, _body = signed(lane, standin, hook_url(channel), params)
    path = f"/hooks/twilio/{channel.public_id}/"
    assert (status, recording.handed) == (200, [(path, urlencode(params).encode())])
    assert InboundEvent.objects.count() == 1


def test_the_application_puts_the_lane_in_front_of_django(standin, channel):
    """``trunkline.asgi.application`` answers a signed webhook through the lane, too."""
    status, headers, body = inbound(standin, channel, app=application)
    assert (status, headers["content-type"], body) == (200, "text/xml", EMPTY_TWIML.encode())
    assert InboundEvent.objects.count() == 1


def test_a_form_with_too_many_fields_is_refused_by_django(standin, channel, settings):
    """More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: handed on, Django answers 400 and nothing is stored."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    recording = Recording()
    params = standin.inbound(sender=CUSTOMER, to=SENDER, body="hi")
    assert signed(WebhookFastLane(recording), standin, hook_url(channel), params)[0] == 400
    assert len(recording.handed) == 1
    assert InboundEvent.objects.count() == 0


def test_the_webhooks_channel_is_read_whole_in_one_statement(channel, django_assert_num_queries):
    """``webhook_channel`` gives the channel exactly as the ORM loads it, in one query; another provider's: None."""
    with django_assert_num_queries(1):
        found = webhook_channel(provider="twilio", channel_id=channel.public_id)
    fields = [field.attname for field in Channel._meta.concrete_fields]
    loaded = Channel.objects.get(pk=channel.pk)
    assert found is not None
    assert {name: getattr(found, name) for name in fields} == {name: getattr(loaded, name) for name in fields}
    assert found.credentials == loaded.credentials
    assert webhook_channel(provider="smpp", channel_id=channel.public_id) is None
