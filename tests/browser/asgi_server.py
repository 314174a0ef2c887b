"""An ASGI live server (uvicorn in a thread) for browser tests that need WebSockets, which pytest-django's WSGI
live server cannot serve. It shares the test's database connection when the test database is SQLite in memory."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import uvicorn
from django.db import connections


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def one_request_at_a_time(app: Any) -> Any:
    """Django runs each ASGI request in its own thread; sharing one SQLite connection, requests and WebSocket
    handshakes must take turns."""
    lock = asyncio.Lock()

    async def serialized(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            async with lock:
                await app(scope, receive, send)
            return
        if scope["type"] != "websocket":
            await app(scope, receive, send)
            return
        await lock.acquire()  # the handshake reads the session and the user: hold the lock until accept or close
        held = True

        async def send_releasing(message: dict) -> None:
            nonlocal held
            if held and message["type"] in ("websocket.accept", "websocket.close"):
                held = False
                lock.release()
            await send(message)

        try:
            await app(scope, receive, send_releasing)
        finally:
            if held:
                lock.release()

    return serialized


@contextmanager
def asgi_live_server() -> Iterator[str]:
    from trunkline.asgi import application

    connection = connections["default"]
    saved = connections._connections
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.inc_thread_sharing()
        connections._connections = SimpleNamespace(default=connection)  # every thread uses the test's connection
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("The ASGI live server did not start.")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        connections._connections = saved
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            connection.dec_thread_sharing()
