"""Inbound processing cost (not a test): CPU per stored inbound SMS, batch processor against the per-event path.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trunkline_inbatch \
        .venv/bin/python bench/inbox_process_profile.py [--events 3000] [--batch 200]

It migrates that database, stores ``--events`` plain Twilio inbound SMS from distinct senders on two channels of two
organisations (the same numbers and texts on both), then processes one channel with ``inbound_events_drain`` (what
``inbound_events_process_task`` runs) and the other one event at a time with ``inbound_event_process`` in its own
transaction (what ``inbound_event_process_task`` ran per event — without the task queue's own claim and update, so
the old figure is if anything too low). Printed per path, one JSON line each: CPU ms per event of this process
(``time.process_time``) and of its PostgreSQL backend (``/proc/<pid>/stat``, when the server runs on this machine),
and the wall time. Storing is not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
os.environ.setdefault("TRUNKLINE_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def setup(batch: int) -> None:
    import django
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.INBOX_INBOUND_BATCH = batch
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def channel_for_new_organisation(name: str):
    from trunkline.channels.services import channel_create
    from trunkline.testing.factories import ctx_for, member

    admin = member(kind="customer", role="admin", email=f"bench-{uuid.uuid4().hex[:12]}@example.com")
    return channel_create(
        ctx=ctx_for(admin),
        name=name,
        provider="twilio",
        sender="+359700100200",
        account_id="AC" + "0" * 32,
        credentials={"auth_token": "bench-token"},
        api_base_url="http://127.0.0.1:9",
    )


def store(channel, count: int, run: str) -> list[int]:
    from trunkline.channels.services import inbound_event_store

    ids = []
    for number in range(count):
        sid = f"SM{run}{number:08d}"
        payload = {
            "MessageSid": [sid],
            "From": [f"+35989{number:07d}"],
            "To": ["+359700100200"],
            "Body": [f"Здравейте, искам час за преглед {number}"],
            "NumSegments": ["1"],
        }
        event = inbound_event_store(channel=channel, kind="message", event_key=sid, payload=payload)
        assert event is not None
        ids.append(event.pk)
    return ids


def backend_cpu_seconds() -> float | None:
    """utime + stime of this connection's PostgreSQL backend, when it runs on this machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, count: int, work) -> dict:
    db_before = backend_cpu_seconds()
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db_after = backend_cpu_seconds()
    result = {
        "path": label,
        "events": count,
        "python_cpu_ms_per_event": round(cpu * 1000 / count, 3),
        "db_cpu_ms_per_event": round((db_after - db_before) * 1000 / count, 3) if db_before is not None else None,
        "wall_s": round(wall, 2),
        "events_per_s_wall": round(count / wall),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=200)
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    setup(options.batch)
    from trunkline.inbox.models import Message
    from trunkline.inbox.services.inbound import inbound_events_drain
    from trunkline.inbox.services.messages import inbound_event_process

    run = uuid.uuid4().hex[:6]
    batched, one_by_one = channel_for_new_organisation("batched"), channel_for_new_organisation("one by one")
    store(batched, options.events, run)
    event_ids = store(one_by_one, options.events, run)

    measure("batch", options.events, lambda: inbound_events_drain(channel_id=batched.pk))

    def each() -> None:
        for event_id in event_ids:
            inbound_event_process(event_id=event_id)

    measure("per_event", options.events, each)
    for channel in (batched, one_by_one):
        assert Message.objects.filter(channel=channel).count() == options.events


if __name__ == "__main__":
    main()
