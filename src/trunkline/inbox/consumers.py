from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from trunkline.inbox.realtime import group_for, organization_of_token


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/inbox/?t=<token>``: the events of one organisation's inbox. The token comes signed with the page."""

    group = ""

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        organization_id = organization_of_token((query.get("t") or [""])[0])
        if organization_id is None:
            await self.close(code=4403)
            return
        self.group = group_for(organization_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def inbox_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
