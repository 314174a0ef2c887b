from typing import Any

from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "trunkline.inbox"
    label = "inbox"

    def ready(self) -> None:
        from trunkline.channels.signals import inbound_event_kept

        inbound_event_kept.connect(_inbound_event_kept, dispatch_uid="inbox.inbound_event_kept")


def _inbound_event_kept(*, channel_id: int, **_kwargs: Any) -> None:
    """An event the channels app kept by itself (a deliver_sm on a sending bind) is processed like a webhook's."""
    from trunkline.inbox.services.inbound import inbound_processing_request

    inbound_processing_request(channel_id=channel_id)
