"""Inbox benchmarks (not tests): inbound SMS webhooks per second, and planning a 1,000,000-recipient campaign.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trunkline_bench_inbox .venv/bin/python bench/inbox.py \
        [--webhooks 3000] [--workers 2] [--recipients 1000000]

It (re)creates that database, migrates it, and prints one JSON line per measurement. Inbound: signed Twilio
webhooks through the whole Django stack (signature check, raw event stored once, processed at once: contact,
conversation, message), ``--workers`` processes in parallel, each through its own Django test client (no HTTP
server, so the figure is the application and the database, not uvicorn). Planning: ``campaign_start`` on a list of
``--recipients`` contacts of which 5 % opted out: the consent filter, the segment count and the recipient rows.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
os.environ.setdefault("TRUNKLINE_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")


FORM = "application/x-www-form-urlencoded"


def fresh_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup():
    import django
    from django.conf import settings

    # before setup: the task backends are built once, on first use
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PUBLIC_URL = "http://testserver"
    # the connection pool, as in production (TRUNKLINE_ENV=test has none: a new connection for every request)
    settings.DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 4}}
    django.setup()


def world() -> dict:
    from trunkline.channels.services import channel_create
    from trunkline.testing.factories import ctx_for, member

    admin = member(kind="customer", role="admin")
    channel = channel_create(
        ctx=ctx_for(admin),
        name="SMS",
        provider="twilio",
        sender="+359700100200",
        account_id="AC" + "0" * 32,
        credentials={"auth_token": "bench-token"},
        api_base_url="http://127.0.0.1:9",
        identification_name="Bench",
        identification_contact="+359 2 000 0000",
        expected_daily_segments=10**9,
    )
    return {"membership": admin.pk, "channel": str(channel.public_id)}


def inbound_worker(args: tuple[str, int, int]) -> list[float]:
    channel_id, start, count = args
    setup()
    from django.db import connections
    from django.test import Client

    from trunkline.channels.standins.twilio import TwilioStandIn

    connections.close_all()
    standin = TwilioStandIn(auth_token="bench-token")  # noqa: S106 (not started: signs and shapes forms)
    client = Client()
    url = f"http://testserver/hooks/twilio/{channel_id}/"
    latencies = []
    for n in range(start, start + count):
        params = standin.inbound(sender=f"+35988{n % 20000:07d}", to="+359700100200", body=f"Здравейте {n}")
        signature = standin.sign(url, params)
        began = time.perf_counter()
        response = client.post(  # form-encoded, as Twilio posts (the test client's default is multipart)
            f"/hooks/twilio/{channel_id}/", urlencode(params), FORM, HTTP_X_TWILIO_SIGNATURE=signature
        )
        latencies.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    connections.close_all()
    return latencies


def bench_inbound(channel_id: str, total: int, workers: int) -> dict:
    from django.db import connections

    per = total // workers
    connections.close_all()  # forked workers must not share the parent's socket, nor its pool's
    for connection in connections.all():
        connection.close_pool()
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(inbound_worker, [(channel_id, w * per, per) for w in range(workers)])
    elapsed = time.perf_counter() - began
    latencies = sorted(value for result in results for value in result)
    from trunkline.inbox.models import Message

    return {
        "bench": "inbound webhook → stored → conversation updated",
        "webhooks": len(latencies),
        "workers": workers,
        "messages_stored": Message.objects.count(),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def bench_plan(info: dict, recipients: int) -> dict:
    from django.db import connection, transaction

    from trunkline.channels.models import Channel
    from trunkline.inbox.models import CampaignRecipient
    from trunkline.inbox.services.campaigns import campaign_create, campaign_start, contact_list_create
    from trunkline.tenancy.models import Membership
    from trunkline.testing.factories import ctx_for

    membership = Membership.objects.get(pk=info["membership"])
    ctx = ctx_for(membership)
    channel = Channel.objects.get(public_id=info["channel"])
    contact_list = contact_list_create(ctx=ctx, name="Everyone")
    organization_id = membership.organization_id
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:  # bulk data set-up in SQL: not what is measured
        cursor.execute(
            """INSERT INTO inbox_contact
                   (public_id, organization_id, name, phone, email, labels, created_at, updated_at)
               SELECT gen_random_uuid(), %s, '', '+3598' || lpad(n::text, 8, '0'), '', '[]', now(), now()
               FROM generate_series(1, %s) AS n""",
            [organization_id, recipients],
        )
        cursor.execute(
            """INSERT INTO inbox_contactlist_contacts (contactlist_id, contact_id)
               SELECT %s, id FROM inbox_contact WHERE organization_id = %s""",
            [contact_list.pk, organization_id],
        )
        cursor.execute(
            """INSERT INTO inbox_consent (public_id, organization_id, contact_id, channel_id, marketing_consent_source,
                   opted_out_at, opted_out_source, created_at, updated_at)
               SELECT gen_random_uuid(), %s, id, %s, '', now(), 'bench', now(), now()
               FROM inbox_contact WHERE organization_id = %s AND id %% 20 = 0""",
            [organization_id, channel.pk, organization_id],
        )
    set_up = time.perf_counter() - began
    campaign = campaign_create(
        ctx=ctx,
        name="Million",
        channel_id=channel.public_id,
        contact_list_id=contact_list.public_id,
        body="Пролетна промоция: 20% отстъпка за профилактичен преглед до края на април!",
        is_promotional=True,
    )
    began = time.perf_counter()
    campaign = campaign_start(ctx=ctx, campaign_id=campaign.public_id)
    planned = time.perf_counter() - began
    skipped = CampaignRecipient.objects.filter(campaign=campaign, status="skipped_opted_out").count()
    return {
        "bench": "plan a campaign (consent-filtered, segments counted, recipient rows written)",
        "recipients": campaign.total,
        "skipped_opted_out": skipped,
        "segments_per_message": campaign.segments_per_message,
        "plan_seconds": round(planned, 1),
        "data_set_up_seconds": round(set_up, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("inbound", "plan"), default=None)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql://"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this script may drop and re-create.")
    fresh_database()
    setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    info = world()
    print(json.dumps({"load_average": os.getloadavg(), "cpus": os.cpu_count()}))
    if args.only != "plan":
        print(json.dumps(bench_inbound(info["channel"], args.webhooks, args.workers), ensure_ascii=False))
    if args.only != "inbound":
        print(json.dumps(bench_plan(info, args.recipients), ensure_ascii=False))


if __name__ == "__main__":
    main()
