"""An ASGI live server (uvicorn in a thread) for browser tests that need WebSockets, which pytest-django's WSGI
live server cannot serve. It shares the test's database connection when the test database is SQLite in memory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import uvicorn
from django.db import connections


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
