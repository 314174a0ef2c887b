"""Replay prepared, distinct HTTP requests with wrk, each exactly once (``bench/wrk_replay.lua``), for the benches
whose every request must be new: first activations of distinct licenses, webhooks from new senders.

wrk is a C load generator, as pgbench's own client is: on a two-core machine the cores go to the server and the
database rather than to Python client threads. Import ``replay`` from a bench script run from ``bench/``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk_replay.lua"


def requests_write(path: Path, requests: Iterable[tuple[str, dict[str, str], str]]) -> int:
    """Write (path, headers, body) requests in the script's format, one a line; how many. Tabs and newlines may not
    appear in a header or a body (form and JSON bodies don't have them)."""
    count = 0
    with path.open("w") as lines:
        for target, headers, body in requests:
            fields = [target, *(f"{name}: {value}" for name, value in headers.items()), body]
            if any("\t" in field or "\n" in field for field in fields):
                raise ValueError(f"request {count} has a tab or a newline in a field")
            lines.write("\t".join(fields) + "\n")
            count += 1
    return count


def replay(base_url: str, requests: Path, *, count: int, threads: int = 2, connections: int = 16) -> dict:
    """Send every request of ``requests`` once over ``connections`` keep-alive connections; the script's figures:
    answered, matched, non2xx, seconds (first request to last answer), per_second, p50_ms, p99_ms, max_ms, errors."""
    deadline = 60 + count // 20
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{deadline}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        base_url,
        "--",
        str(requests),
        str(threads),
    ]
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.monotonic()
    time.sleep(0.5)
    while wrk.poll() is None:
        try:
            alone = len(os.listdir(f"/proc/{wrk.pid}/task")) == 1  # only wrk's main thread is left
        except OSError:
            break
        if alone or time.monotonic() - started > deadline:
            wrk.send_signal(signal.SIGINT)  # wrk reports at once instead of waiting out -d
            break
        time.sleep(0.05)
    output, _ = wrk.communicate(timeout=60)
    line = next((line for line in output.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{output}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    figures["errors"] = figures["non2xx"] + sum(
        figures[name] for name in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return figures
