"""Activations through the service alone (no HTTP, no ASGI), from threads: what the database and the licensing code
manage on this machine. Run by ``bench/licensing.py``; prints JSON with the rate, the latencies and the CPU time of
this process per activation (``cpu_ms``: all threads, Python and driver, not the database server's)."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import threading
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
django.setup()

from django.db import connection  # noqa: E402

from trunkline.licensing.services import activation_activate  # noqa: E402

keys = json.loads(sys.stdin.read())["keys"]
clients = int(sys.argv[1])
latencies: list[float] = []
errors = 0
lock = threading.Lock()
queue = list(keys)


def worker() -> None:
    global errors
    while True:
        with lock:
            if not queue:
                break
            key = queue.pop()
        started = time.perf_counter()
        try:
            activation_activate(key=key, fingerprint=f"sha256:{secrets.token_hex(32)}", device_name="bench")
        except Exception:  # noqa: BLE001  (a benchmark counts failures, whatever they are)
            with lock:
                errors += 1
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)
    connection.close()


threads = [threading.Thread(target=worker) for _ in range(clients)]
cpu_started = time.process_time()
started = time.perf_counter()
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
seconds = time.perf_counter() - started
cpu_seconds = time.process_time() - cpu_started
ordered = sorted(latencies)
print(
    json.dumps(
        {
            "rate": len(latencies) / seconds,
            "p50": statistics.median(ordered),
            "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))],
            "errors": errors,
            "count": len(latencies),
            "cpu_ms": 1000 * cpu_seconds / max(1, len(latencies)),
        }
    )
)
