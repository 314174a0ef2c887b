"""Read one bench/run output directory, print the table and rewrite bench/RESULTS.md.

Usage: report.py <output dir> <start date>. Exits 1 when a measured request was not answered 2xx (or a socket
error happened, or a pgbench transaction failed), so the run says so.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SECTIONS = {
    "sqlite": "SQLite; every app command runs with this environment (env -i):",
    "postgresql": "PostgreSQL; every app command runs with this environment (env -i):",
    "pgbench": "pgbench, on the same PostgreSQL",
}
REQUESTS = {
    "healthz": "GET /healthz (no auth, no DB)",
    "organizations-key": "GET /api/v1/organizations, API key",
    "me-session": "GET /api/v1/me, session cookie",
    "me-key": "GET /api/v1/me, API key",
    "select-only": "pgbench select-only",
    "simple-update": "pgbench simple-update",
}


@dataclass
class Row:
    backend: str
    request: str
    connections: str
    rate: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    error_detail: str


def ms(microseconds: float | None) -> float | None:
    return None if microseconds is None else microseconds / 1000


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def wrk_row(backend: str, label: str, connections: str, raw: Path) -> Row:
    line = next((line for line in raw.read_text().splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        return Row(backend, label, connections, 0, None, None, 1, f"no result in {raw}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    socket_errors = {name: data[name] for name in ("connect", "read", "write", "timeout") if data[name]}
    details = [f"{data['non2xx']} non-2xx (e.g. {data['bad_status']})"] if data["non2xx"] else []
    details += [f"{count} {name}" for name, count in socket_errors.items()]
    return Row(
        backend,
        label,
        connections,
        data["requests"] / (data["duration_us"] / 1e6),
        ms(data["p50_us"]),
        ms(data["p99_us"]),
        data["non2xx"] + sum(socket_errors.values()),
        ", ".join(details),
    )


def pgbench_row(label: str, connections: str, raw: Path) -> Row:
    text = raw.read_text()
    tps = re.search(r"^tps = ([\d.]+)", text, re.MULTILINE)
    failed = re.search(r"^number of failed transactions: (\d+)", text, re.MULTILINE)
    latencies: list[float] = []
    for log in raw.parent.glob(f"pgbench-log-{label}.*"):  # -l: one line per transaction, 3rd field = latency in us
        for line in log.read_text().splitlines():
            field = line.split()[2]
            if field.isdigit():
                latencies.append(float(field))
    latencies.sort()
    errors = int(failed.group(1)) if failed else 0
    if tps is None:
        return Row("postgresql", label, connections, 0, None, None, 1, f"pgbench failed, see {raw}")
    return Row(
        "postgresql",
        label,
        connections,
        float(tps.group(1)),
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.99)),
        errors,
        f"{errors} failed transactions" if errors else "",
    )


def command_output(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError as error:
        return f"unknown ({error})"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "unknown"


def machine(out: Path) -> list[tuple[str, str]]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    postgres = command_output("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version")
    return [
        ("CPUs (nproc)", f"{len(os.sched_getaffinity(0))} (of {os.cpu_count()} on the machine)"),
        ("CPU model", model.group(1).strip() if model else "unknown"),
        ("Memory", f"{int(meminfo.group(1)) / 1024 / 1024:.1f} GiB" if meminfo else "unknown"),
        ("Kernel", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", postgres),
        ("SQLite (Python's sqlite3)", sqlite3.sqlite_version),
        (
            "Django / django-ninja / uvicorn / psycopg",
            " / ".join(version(name) for name in ("django", "django-ninja", "uvicorn", "psycopg")),
        ),
        ("wrk", command_output("wrk", "-v")),
        ("pgbench", command_output("pgbench", "--version")),
        ("Code", command_output("git", "describe", "--always", "--dirty")),
        ("Load average (1, 5, 15 min) at start", (out / "load-at-start").read_text().strip()),
    ]


def server_log_notes(out: Path) -> list[str]:
    """What the servers logged at ERROR level or worse, counted by message (the logs stay in the output directory)."""
    notes = []
    for log in sorted(out.glob("server-*.log")):
        messages: dict[str, int] = {}
        for line in log.read_text().splitlines():
            if line.startswith(("ERROR:", "CRITICAL:")) or '"level": "ERROR"' in line:
                message = re.sub(r'.*"message": "([^"]*)".*', r"\1", line)
                messages[message] = messages.get(message, 0) + 1
            elif re.match(r"^\w+(Error|Exception)\b", line):  # the last line of a traceback
                messages[line] = messages.get(line, 0) + 1
        found = ", ".join(f"{count} × `{message}`" for message, count in messages.items()) or "nothing"
        notes.append(f"- {log.name}: {found}")
    return notes


def table(rows: list[Row]) -> list[str]:
    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:,.1f}" if value >= 10 else f"{value:.2f}"

    lines = [
        "| Backend | Request | Conns | Req/s (TPS) | p50 ms | p99 ms | Errors |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        errors = f"**{row.errors}: {row.error_detail}**" if row.errors else "0"
        lines.append(
            f"| {BACKEND_NAMES.get(row.backend, row.backend)} | {REQUESTS.get(row.request, row.request)} "
            f"| {row.connections} | {number(row.rate)} | {number(row.p50_ms)} | {number(row.p99_ms)} | {errors} |"
        )
    return lines


def main() -> int:
    out, started = Path(sys.argv[1]), sys.argv[2]
    rows: list[Row] = []
    checks: list[str] = []
    commands: list[str] = []
    section = ""
    for line in (out / "manifest.tsv").read_text().splitlines():
        kind, backend, label, connections, raw, command = line.split("\t")
        if kind == "wrk":
            rows.append(wrk_row(backend, label, connections, Path(raw)))
        elif kind == "pgbench":
            rows.append(pgbench_row(label, connections, Path(raw)))
        elif kind == "check":
            expected, status = connections, raw
            verdict = "as expected" if status == expected else f"**UNEXPECTED, wanted {expected}**"
            checks.append(f"- {BACKEND_NAMES[backend]}: {REQUESTS.get(label, label)} → {status} ({verdict})")
        if kind == "check":
            continue
        this_section = "pgbench" if "pgbench" in (kind, backend) else backend
        if this_section != section:
            commands += ([""] if commands else []) + [f"# {SECTIONS[this_section]}"]
            section = this_section
        commands.append(command)

    failures = [row for row in rows if row.errors]
    unexpected = [check for check in checks if "UNEXPECTED" in check]
    print("\n".join(table(rows)))
    for row in failures:
        print(f"ERROR: {row.backend} {row.request} c={row.connections}: {row.error_detail}")
    for check in unexpected:
        print(f"ERROR: {check}")

    facts = "\n".join(f"- {name}: {value}" for name, value in machine(out))
    body = [
        "# Benchmark results",
        "",
        f"Written by `bench/run` (see [README.md](README.md) for how to read it). Started {started}.",
        "",
        "## Machine",
        "",
        facts,
        "",
        "## Results",
        "",
        *table(rows),
        "",
        "Req/s counts every response; p50/p99 are per-request latencies seen by the load generator "
        "(pgbench: per transaction, from its `-l` log). Errors are non-2xx responses plus socket errors "
        "(pgbench: failed transactions).",
        "",
        "## Checks before the load",
        "",
        *checks,
        "",
        "## Server logs (ERROR level)",
        "",
        "wrk drops its open connections when a run ends, so a few requests are aborted mid-way each run.",
        "",
        *server_log_notes(out),
        "",
        "## Commands",
        "",
        "```sh",
        *commands,
        "```",
        "",
    ]
    if failures or unexpected:
        body[4:4] = ["**This run had errors; its figures are not comparable.**", ""]
    (BENCH / "RESULTS.md").write_text("\n".join(body))
    print(f"wrote {BENCH / 'RESULTS.md'}")
    return 1 if failures or unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
