"""Inbox benchmarks (not tests): inbound SMS webhooks per second end to end, and planning a 1,000,000-recipient
campaign.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trunkline_bench_inbox .venv/bin/python bench/inbox.py \
        [--webhooks 20000] [--web-workers 2] [--task-workers 2] [--connections 32] [--recipients 1000000] \
        [--only inbound|plan]

It (re)creates that database, migrates it, and prints one JSON line per measurement.

Inbound measures what production runs (``Procfile``): uvicorn with ``--web-workers`` processes
(``TRUNKLINE_ENV=production``, PostgreSQL through the connection pool) in front of which the webhook fast lane answers
(ADR 0009), and ``--task-workers`` ``manage.py db_worker`` processes doing the processing (contact, conversation,
message) while the load runs. The load generator is ``wrk`` (Debian package) replaying ``--webhooks`` distinct
Twilio inbound webhooks, each from its own sender, pre-signed with the stand-in's signer into a file before the
clock starts, each sent exactly once (``bench/replay.py``). After the load the bench waits until every event
is processed, then prints: webhook answers per second and HTTP p50/p99 (per request, from wrk); end-to-end messages
per second (events processed ÷ (last ``processed_at`` − first ``received_at``)) and end-to-end latency p50/p99
(``processed_at`` − ``received_at``); CPU milliseconds per webhook of the web processes, the task workers and the
bench database's PostgreSQL backends; and the checks (messages stored == webhooks sent, no duplicates, zero
non-2xx). Run it on an idle machine: everything shares its cores.

Planning: ``campaign_start`` on a list of ``--recipients`` contacts of which 5 % opted out: the consent filter, the
segment count and the recipient rows.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from replay import replay, requests_write  # bench/replay.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")
os.environ.setdefault("TRUNKLINE_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PYTHON = str(ROOT / ".venv" / "bin" / "python")
AUTH_TOKEN = "bench-token"  # noqa: S105 (the bench channel's own)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
    settings.DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 4}
    django.setup()


def world(*, warm_up_channel: bool = False) -> dict:
    from trunkline.channels.services import channel_create
    from trunkline.testing.factories import ctx_for, member

    admin = member(kind="customer", role="admin")
    made = {"membership": admin.pk}
    for key, sender in (("warm_up_channel", "+359700100201"),) if warm_up_channel else ():
        made[key] = str(
            channel_create(
                ctx=ctx_for(admin),
                name="Warm-up",
                provider="twilio",
                sender=sender,
                account_id="AC" + "0" * 32,
                credentials={"auth_token": AUTH_TOKEN},
                api_base_url="http://127.0.0.1:9",
                identification_name="Bench",
                identification_contact="+359 2 000 0000",
            ).public_id
        )
    channel = channel_create(
        ctx=ctx_for(admin),
        name="SMS",
        provider="twilio",
        sender="+359700100200",
        account_id="AC" + "0" * 32,
        credentials={"auth_token": AUTH_TOKEN},
        api_base_url="http://127.0.0.1:9",
        identification_name="Bench",
        identification_contact="+359 2 000 0000",
        expected_daily_segments=10**9,
    )
    return {**made, "channel": str(channel.public_id)}


def production_environment(port: int, var_dir: Path) -> dict[str, str]:
    """What the web processes and task workers run with: production settings, PostgreSQL through the pool."""
    from cryptography.fernet import Fernet

    return {
        "PATH": os.environ["PATH"],
        "TRUNKLINE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "TRUNKLINE_SECRETS_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TRUNKLINE_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "TRUNKLINE_VAR_DIR": str(var_dir),
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DATABASE_POOL_SIZE": "10",
        "PYTHONPATH": str(ROOT / "src"),
        # the webhook lane's threads per web process, to compare (the default when unset)
        **{name: os.environ[name] for name in ("INBOX_WEBHOOK_LANE_THREADS",) if name in os.environ},
    }


def world_in(env: dict[str, str]) -> dict:
    """Migrate and make the bench's organisation and channel with the servers' settings (the channel's credentials
    are encrypted with their secrets key)."""
    made = subprocess.run([PYTHON, __file__, "--world"], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(made.stdout.strip().splitlines()[-1])


def signed_webhooks(*, channel_id: str, base_url: str, count: int, first: int = 0) -> list[tuple[str, str, str]]:
    """``count`` distinct inbound SMS, each from its own sender, signed as Twilio signs: (path, signature, body)."""
    from trunkline.channels.standins.twilio import TwilioStandIn

    standin = TwilioStandIn(auth_token=AUTH_TOKEN)  # not started: it only shapes and signs the forms
    hook = f"/hooks/twilio/{channel_id}/"
    made = []
    for n in range(first, first + count):
        params = standin.inbound(sender=f"+35987{n:07d}", to="+359700100200", body=f"Здравейте {n}")
        made.append((hook, standin.sign(base_url + hook, params), urlencode(params)))
    return made


def warm_up(port: int, webhooks: list[tuple[str, str, str]]) -> None:
    """Webhooks to the warm-up channel: each web process imports and connects before the clock starts."""
    for path, signature, body in webhooks:
        request = Request(
            f"http://127.0.0.1:{port}{path}",
            data=body.encode(),
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urlopen(request, timeout=30) as response:  # noqa: S310
            assert response.status == 200, response.status


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (those that have gone count as nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def group_pids(leader: int) -> list[int]:
    """The processes of a process group (uvicorn's supervisor and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == leader:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def database_backends(database: str) -> list[int]:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
        ).fetchall()
    return [row[0] for row in rows]


def wait_for_server(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; see {log}")
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start; see {log}")


CHANNEL = "channel_id = (SELECT id FROM messaging_channels_channel WHERE public_id = %(channel)s)"


def processed_so_far(cursor, channel: str) -> tuple[int, int]:
    cursor.execute(
        f"SELECT count(*), count(processed_at) FROM messaging_channels_inboundevent WHERE {CHANNEL}",  # noqa: S608
        {"channel": channel},
    )
    stored, processed = cursor.fetchone()
    return int(stored), int(processed)


def bench_inbound(
    info: dict,
    env: dict[str, str],
    out: Path,
    *,
    port: int,
    webhooks: int,
    web_workers: int,
    task_workers: int,
    connections: int,
    threads: int,
) -> dict:
    import psycopg

    base_url = f"http://127.0.0.1:{port}"
    bodies = out / "webhooks.tsv"
    requests_write(
        bodies,
        (
            (path, {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}, body)
            for path, signature, body in signed_webhooks(channel_id=info["channel"], base_url=base_url, count=webhooks)
        ),
    )
    server_log = out / "server.log"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "trunkline.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(web_workers),
            "--lifespan",
            "off",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
        stdout=server_log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    workers: list[subprocess.Popen[bytes]] = []
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    try:
        wait_for_server(port, server, server_log)
        for n in range(task_workers):  # as the Procfile's worker line
            workers.append(
                subprocess.Popen(
                    [PYTHON, "manage.py", "db_worker", "--interval", "0.2", "--no-reload"],
                    env=env,
                    cwd=ROOT,
                    stdout=(out / f"worker-{n}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        warm_up(port, signed_webhooks(channel_id=info["warm_up_channel"], base_url=base_url, count=25 * web_workers))
        time.sleep(2)  # the workers are up and polling, the warm-up processed
        web_pids = group_pids(server.pid)
        worker_pids = [worker.pid for worker in workers]
        backends_before = {pid: cpu_seconds([pid]) for pid in database_backends(database)}
        web_before, workers_before = cpu_seconds(web_pids), cpu_seconds(worker_pids)
        http = replay(base_url, bodies, count=webhooks, threads=threads, connections=connections)
        web_cpu = cpu_seconds(web_pids) - web_before
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection, connection.cursor() as cursor:
            deadline = time.monotonic() + 120 + webhooks / 20
            stored, processed = processed_so_far(cursor, info["channel"])
            while processed < stored and time.monotonic() < deadline:
                time.sleep(0.2)
                stored, processed = processed_so_far(cursor, info["channel"])
            workers_cpu = cpu_seconds(worker_pids) - workers_before
            # backends opened during the run count whole; one closed during it is missed (the pool keeps them)
            backends_cpu = sum(
                cpu_seconds([pid]) - backends_before.get(pid, 0.0) for pid in database_backends(database)
            )
            cursor.execute(
                """SELECT count(*), count(DISTINCT event_key), count(processed_at),
                          extract(epoch FROM max(processed_at) - min(received_at)),
                          percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)),
                          percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at))
                   FROM messaging_channels_inboundevent WHERE """  # noqa: S608 (a constant)
                + CHANNEL,
                {"channel": info["channel"]},
            )
            events, distinct_events, processed, span, e2e_p50, e2e_p99 = cursor.fetchone()
            cursor.execute(
                """SELECT count(*), count(DISTINCT provider_message_id), count(DISTINCT conversation_id)
                   FROM inbox_message WHERE direction = 'inbound' AND """  # noqa: S608 (a constant)
                + CHANNEL,
                {"channel": info["channel"]},
            )
            messages, distinct_messages, conversations = cursor.fetchone()
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        os.killpg(server.pid, signal.SIGTERM)
        for process in (*workers, server):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    checks = {
        "messages_stored_equals_webhooks": messages == webhooks,
        "no_duplicate_events": events == distinct_events,
        "no_duplicate_messages": messages == distinct_messages,
        "every_event_processed": processed == events == webhooks,
        "zero_non_2xx": http["non2xx"] == 0 and http["answered"] == webhooks,
        "zero_socket_errors": not any(
            http[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
    }
    return {
        "bench": "inbound webhook → stored → processed (uvicorn + fast lane, db_worker, wrk; PostgreSQL)",
        "webhooks": webhooks,
        "web_workers": web_workers,
        "task_workers": task_workers,
        "connections": connections,
        "answers_per_second": http["per_second"],
        "http_p50_ms": http["p50_ms"],
        "http_p99_ms": http["p99_ms"],
        "http_max_ms": http["max_ms"],
        "messages_per_second_end_to_end": round(processed / float(span), 1) if span else None,
        "end_to_end_p50_ms": round(float(e2e_p50) * 1000, 1) if e2e_p50 is not None else None,
        "end_to_end_p99_ms": round(float(e2e_p99) * 1000, 1) if e2e_p99 is not None else None,
        "cpu_ms_per_webhook": {
            "web": round(web_cpu * 1000 / webhooks, 2),
            "task_workers": round(workers_cpu * 1000 / webhooks, 2),
            "postgresql_backends": round(backends_cpu * 1000 / webhooks, 2),
        },
        "events": events,
        "messages": messages,
        "conversations": conversations,
        "wrk": http,
        "checks": checks,
        "all_checks_pass": all(checks.values()),
        "logs": str(out),
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
    parser.add_argument("--webhooks", type=int, default=20000)
    parser.add_argument("--web-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--task-workers", type=int, default=2, help="manage.py db_worker processes")
    parser.add_argument("--connections", type=int, default=32, help="wrk's open connections")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("inbound", "plan"), default=None)
    parser.add_argument("--world", action="store_true", help=argparse.SUPPRESS)  # internal: migrate, make the world
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql://"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this script may drop and re-create.")
    if args.world:  # in the servers' environment (see world_in)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        print(json.dumps(world(warm_up_channel=True)))
        return
    fresh_database()
    port = free_port()
    out = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    (out / "var").mkdir()
    env = production_environment(port, out / "var")
    info = world_in(env)
    os.environ["TRUNKLINE_SECRETS_KEY"] = env["TRUNKLINE_SECRETS_KEY"]  # the same channel, read in this process
    print(json.dumps({"load_average": os.getloadavg(), "cpus": os.cpu_count()}))
    if args.only != "plan":
        result = bench_inbound(
            info,
            env,
            out,
            port=port,
            webhooks=args.webhooks,
            web_workers=args.web_workers,
            task_workers=args.task_workers,
            connections=args.connections,
            threads=args.wrk_threads,
        )
        print(json.dumps(result, ensure_ascii=False))
    if args.only != "inbound":
        setup()
        print(json.dumps(bench_plan(info, args.recipients), ensure_ascii=False))


if __name__ == "__main__":
    main()
