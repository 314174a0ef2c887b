#!/usr/bin/env python3
"""Benchmark of the activation API: activations per second and their p99 on SQLite and on PostgreSQL, served by
uvicorn as in production, next to pgbench's single-row update rate on the same PostgreSQL in the same run.

A measurement, not a test. Each activation is a first activation of a distinct license (the license read by its key
digest, then one statement that locks it and inserts the activation under two partial unique indexes with its audit
row, an Ed25519 certificate and a signed response), the write path that matters; over HTTP the ASGI fast lane
answers it (ADR 0008). Validations (read-only) are measured after them. Prints a Markdown table.

    bench/licensing.py            # BENCH_LICENSES (default 4500), BENCH_CLIENTS (16), BENCH_WORKERS (2); needs wrk
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import urlopen

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from replay import replay, requests_write

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LICENSES = int(os.environ.get("BENCH_LICENSES", "4500"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = int(os.environ.get("BENCH_PORT", "0")) or _free_port()
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
PG_DB = "trunkline_bench_licensing"
OUT = ROOT / "bench" / "out" / ("licensing-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))


def environment(backend: str) -> dict[str, str]:
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    env = {
        "PATH": os.environ["PATH"],
        "TRUNKLINE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUNKLINE_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "TRUNKLINE_VAR_DIR": str(OUT / f"var-{backend}"),
        "TRUNKLINE_LICENSE_SIGNING_KEY": base64.b64encode(raw).decode(),
        # The benchmark is one client address hammering: lift the per-address limits, keep the mechanism running.
        "LICENSING_RATES": "activate=100/s,100000/s;validate=100000/s,100000/s",
        "PYTHONPATH": str(ROOT / "src"),
    }
    if "LICENSING_API_THREADS" in os.environ:  # the fast lane's threads per worker, to compare
        env["LICENSING_API_THREADS"] = os.environ["LICENSING_API_THREADS"]
    if backend == "postgresql":
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
        env["DATABASE_POOL_SIZE"] = "20"
    return env


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load(path: str, keys: list[str], fingerprints: list[str]) -> dict[str, float]:
    """Send one request per key, each once, over CLIENTS keep-alive connections (wrk, ``bench/replay.py``); the rate,
    p50/p99 in ms, errors and count."""
    requests = OUT / f"requests-{path.rsplit('/', 1)[-1]}-{len(keys)}.tsv"
    count = requests_write(
        requests,
        (
            (
                path,
                {"License-Key": key, "Content-Type": "application/json"},
                json.dumps({"fingerprint": fingerprint, "device_name": "bench"}),
            )
            for key, fingerprint in zip(keys, fingerprints, strict=True)
        ),
    )
    figures = replay(f"http://127.0.0.1:{PORT}", requests, count=count, threads=2, connections=CLIENTS)
    return {
        "rate": figures["per_second"],
        "p50": figures["p50_ms"],
        "p99": figures["p99_ms"],
        "errors": figures["errors"],
        "count": figures["answered"],
    }


def serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "trunkline.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--workers",
        str(WORKERS),
        "--lifespan",
        "off",
        "--no-access-log",
    ]
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; see {log}")
        try:
            with urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start; see {log}")


def run_backend(backend: str) -> list[dict[str, object]]:
    env = environment(backend)
    Path(env["TRUNKLINE_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        subprocess.run(["dropdb", "--if-exists", *PG, PG_DB], check=True)
        subprocess.run(["createdb", *PG, PG_DB], check=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    setup = subprocess.run(
        [PYTHON, "bench/licensing_setup.py", str(LICENSES)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    keys = json.loads(setup.stdout.strip().splitlines()[-1])["keys"]
    keys, spare = keys[: len(keys) * 2 // 3], keys[len(keys) * 2 // 3 :]
    fingerprints = [f"sha256:{secrets.token_hex(32)}" for _ in keys]
    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
    direct = subprocess.run(
        [PYTHON, "bench/licensing_inprocess.py", str(CLIENTS)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        input=json.dumps({"keys": spare}),
    )
    rows: list[dict[str, object]] = [
        {
            "backend": name,
            "request": "activation_activate() in-process, no HTTP (first activation)",
            "clients": CLIENTS,
            **json.loads(direct.stdout.strip().splitlines()[-1]),
        }
    ]
    server = serve(env, OUT / f"server-{backend}.log")
    try:
        warm = max(CLIENTS * 4, 50)
        load("/licensing/v1/activate", keys[:warm], fingerprints[:warm])  # warm-up, not counted
        for label, path in (
            ("POST /licensing/v1/activate (first activation)", "/licensing/v1/activate"),
            ("POST /licensing/v1/validate", "/licensing/v1/validate"),
        ):
            rows.append(
                {"backend": name, "request": label, "clients": CLIENTS, **load(path, keys[warm:], fingerprints[warm:])}
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    return rows


def pgbench() -> dict[str, object]:
    subprocess.run(["dropdb", "--if-exists", *PG, "trunkline_bench_pgbench"], check=True)
    subprocess.run(["createdb", *PG, "trunkline_bench_pgbench"], check=True)
    try:
        subprocess.run(
            ["pgbench", *PG, "-i", "-q", "-s", "10", "trunkline_bench_pgbench"], check=True, capture_output=True
        )
        logs = OUT / "pgbench"
        logs.mkdir(exist_ok=True)
        result = subprocess.run(
            [
                "pgbench",
                *PG,
                "-b",
                "simple-update",
                "-c",
                str(CLIENTS),
                "-j",
                "2",
                "-T",
                "10",
                "-l",
                "--log-prefix",
                str(logs / "log"),
                "trunkline_bench_pgbench",
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=logs,
        )
        tps = next(
            float(line.split("=")[1].split()[0]) for line in result.stdout.splitlines() if line.startswith("tps")
        )
        latencies = [
            int(line.split()[2]) / 1000 for path in logs.glob("log*") for line in path.read_text().splitlines()
        ]
        return {
            "backend": "PostgreSQL",
            "request": "pgbench simple-update (single-row updates)",
            "clients": CLIENTS,
            "rate": tps,
            "p50": statistics.median(latencies),
            "p99": percentile(latencies, 0.99),
            "errors": 0,
            "count": len(latencies),
        }
    finally:
        subprocess.run(["dropdb", "--if-exists", *PG, "trunkline_bench_pgbench"], check=True)


def main() -> int:
    OUT.mkdir(parents=True)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = run_backend("sqlite")
    try:
        rows += run_backend("postgresql")
    finally:
        subprocess.run(["dropdb", "--if-exists", *PG, PG_DB], check=False)
    rows.append(pgbench())
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    print(
        f"Licensing benchmark, {started}; {os.cpu_count()} CPUs ({cpu}); load average at end "
        f"{Path('/proc/loadavg').read_text().split()[:3]}; {LICENSES} licenses, {CLIENTS} client threads, "
        f"{WORKERS} uvicorn workers; raw output in {OUT.relative_to(ROOT)}\n"
    )
    print("| Backend | Request | Clients | Req/s (TPS) | p50 ms | p99 ms | Errors | Requests |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        print(
            f"| {row['backend']} | {row['request']} | {row['clients']} | {row['rate']:,.1f} | {row['p50']:.1f} | "
            f"{row['p99']:.1f} | {row['errors']} | {row['count']} |"
        )
    activation = next(row for row in rows if row["backend"] == "PostgreSQL" and "POST" in str(row["request"]))
    base = rows[-1]
    share = 100 * float(activation["rate"]) / float(base["rate"])  # type: ignore[arg-type]
    direct = next(row for row in rows if row["backend"] == "PostgreSQL" and "in-process" in str(row["request"]))
    direct_share = 100 * float(direct["rate"]) / float(base["rate"])  # type: ignore[arg-type]
    print(
        f"\nPostgreSQL activations over HTTP: {share:.1f} % of pgbench's simple-update rate (target ≥ 50 %), "
        f"p99 {activation['p99']:.1f} ms (target < 50 ms); in-process: {direct_share:.1f} %, "
        f"p99 {direct['p99']:.1f} ms."
    )
    shutil.rmtree(OUT / "var-sqlite", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
