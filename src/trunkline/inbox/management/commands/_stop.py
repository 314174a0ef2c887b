"""SIGTERM and Ctrl-C for commands whose work runs in ``async_to_sync``: Python takes signals only in the main
thread, so the handler is installed there and hands the stop to the event loop running elsewhere."""

from __future__ import annotations

import asyncio
import signal
from typing import Any


class StopSignal:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._requested = False

    def install(self) -> StopSignal:
        """Call in the main thread, before ``async_to_sync``."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self._requested = True
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    async def event(self) -> asyncio.Event:
        """The event to wait on, bound to the running loop (already set if the signal came first)."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        if self._requested:
            self._event.set()
        return self._event
