"""Where an inbound webhook's time goes (not a test): CPU milliseconds per webhook in this process, and a profile.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trunkline_bench_hook \
        .venv/bin/python bench/inbox_hook_profile.py [--webhooks 500] [--asgi] [--profile]

Only the provider-facing path is measured: ``/hooks/twilio/<channel>/`` → signature verified → raw event stored once →
2xx → processing enqueued (the real ``django_tasks_db`` backend: a row in the task table; the task is not run). CPU
time is this process's (``time.process_time``), so PostgreSQL's own work is not in it; wall time is printed beside
it. The database pool is on, as in production (``BENCH_POOL=0``: a connection per request). ``--asgi`` goes through
Django's ASGI handler (``AsyncClient``), with its sync-to-async hop, as uvicorn would.
``--profile`` prints the top of a cProfile of the measured loop, by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
os.environ.setdefault("TRUNKLINE_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")


FORM = "application/x-www-form-urlencoded"  # as Twilio posts (the test client's default is multipart)


def setup() -> None:
    import django
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PUBLIC_URL = "http://testserver"
    if os.environ.get("BENCH_POOL", "1") == "1":  # as in production (TRUNKLINE_ENV=test opens one per request)
        settings.DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 4}
    django.setup()


def requests(channel_id: str, count: int, offset: int) -> list[tuple[dict[str, str], str]]:
    from trunkline.channels.standins.twilio import TwilioStandIn

    standin = TwilioStandIn(auth_token="bench-token")  # noqa: S106 (not started: signs and shapes forms)
    url = f"http://testserver/hooks/twilio/{channel_id}/"
    made = []
    for n in range(offset, offset + count):
        params = standin.inbound(sender=f"+35988{n % 20000:07d}", to="+359700100200", body=f"Здравейте {n}")
        made.append((params, standin.sign(url, params)))
    return made


def run_sync(channel_id: str, batch: list[tuple[dict[str, str], str]]) -> None:
    from django.test import Client

    client = Client()
    path = f"/hooks/twilio/{channel_id}/"
    for params, signature in batch:
        response = client.post(path, urlencode(params), FORM, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200, response.status_code


def run_asgi(channel_id: str, batch: list[tuple[dict[str, str], str]]) -> None:
    from django.test import AsyncClient

    async def go() -> None:
        client = AsyncClient()
        path = f"/hooks/twilio/{channel_id}/"
        for params, signature in batch:
            response = await client.post(path, urlencode(params), FORM, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200, response.status_code

    asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", type=int, default=500)
    parser.add_argument("--asgi", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql://"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this script may drop and re-create.")
    from inbox import fresh_database, world  # bench/inbox.py

    fresh_database()
    setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    channel_id = world()["channel"]
    from django_tasks_db.models import DBTaskResult

    from trunkline.channels.models import InboundEvent

    run = run_asgi if args.asgi else run_sync
    run(channel_id, requests(channel_id, 50, 0))  # warm up: imports, the connection, caches
    batch = requests(channel_id, args.webhooks, 50)
    profiler = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    run(channel_id, batch)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        json.dumps(
            {
                "bench": "inbound webhook, provider-facing path (verify, store, 2xx, enqueue)",
                "handler": "asgi" if args.asgi else "wsgi-style test client",
                "webhooks": len(batch),
                "cpu_ms_per_webhook": round(cpu * 1000 / len(batch), 2),
                "wall_ms_per_webhook": round(wall * 1000 / len(batch), 2),
                "events_stored": InboundEvent.objects.count(),
                "tasks_enqueued": DBTaskResult.objects.count(),
                "load_average": os.getloadavg(),
                "profiled": bool(profiler),
            }
        )
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
        print(out.getvalue())


if __name__ == "__main__":
    main()
