"""Benchmark (not a test): SLA deadlines of 100,000 tickets computed by the pure domain engine.

Each ticket gets a random priority, a random clock start in 2025-2027 (any hour, weekends and holidays included)
and, for one ticket in four, a closed pause of up to three days; the engine computes its three milestones (response,
temporary restoration, final solution) on the Business BG calendar (Critical: around the clock). One calendar object
is shared, as the service layer shares it. Prints the figures and rewrites the SLA section of bench/RESULTS.md.

    .venv/bin/python bench/sla_deadlines.py [--tickets 100000] [--seed 6]
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from trunkline.support.domain.bulgaria import bulgarian_holidays
from trunkline.support.domain.calendar import AroundTheClock, BusinessCalendar
from trunkline.support.domain.sla import Milestone, Pause, Target, Unit, deadlines

H, D = Unit.HOURS, Unit.DAYS
TARGETS = {
    "critical": {
        Milestone.RESPONSE: Target(1, H),
        Milestone.RESTORATION: Target(8, H),
        Milestone.SOLUTION: Target(7, D),
    },
    "high": {Milestone.RESPONSE: Target(8, H), Milestone.RESTORATION: Target(3, D), Milestone.SOLUTION: Target(14, D)},
    "medium": {
        Milestone.RESPONSE: Target(3, D),
        Milestone.RESTORATION: Target(7, D),
        Milestone.SOLUTION: Target(21, D),
    },
    "low": {Milestone.RESPONSE: Target(5, D), Milestone.RESTORATION: Target(16, D), Milestone.SOLUTION: Target(40, D)},
}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- sla-bench:begin -->", "<!-- sla-bench:end -->"


def make_tickets(count: int, seed: int) -> list[tuple[str, datetime, list[Pause]]]:
    rng = random.Random(seed)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    span = int((datetime(2027, 12, 31, tzinfo=UTC) - base).total_seconds())
    tickets = []
    for _ in range(count):
        start = base + timedelta(seconds=rng.randrange(span))
        pauses = []
        if rng.random() < 0.25:
            pause_start = start + timedelta(minutes=rng.randrange(60 * 24))
            pauses.append(Pause(pause_start, pause_start + timedelta(minutes=rng.randrange(1, 60 * 72))))
        tickets.append((rng.choice(list(TARGETS)), start, pauses))
    return tickets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    tickets = make_tickets(args.tickets, args.seed)
    business = BusinessCalendar(holidays=bulgarian_holidays(range(2024, 2030)))
    always = AroundTheClock()
    business.add(datetime(2025, 1, 2, 9, tzinfo=UTC), timedelta(hours=1))  # build the axis once, outside the timing
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        computed = 0
        for priority, start, pauses in tickets:
            calendar = always if priority == "critical" else business
            computed += len(deadlines(calendar, start, TARGETS[priority], pauses))
        runs.append(time.perf_counter() - started)
    best, worst = min(runs), max(runs)
    line = (
        f"{args.tickets:,} tickets ({computed:,} deadlines, a quarter with a pause): best {best:.2f} s, "
        f"worst {worst:.2f} s of 3 runs ({args.tickets / best:,.0f} tickets/s)"
    )
    print(line)
    if args.no_write:
        return
    section = "\n".join(
        [
            BEGIN,
            "## SLA deadlines (support domain engine)",
            "",
            f"Written by `bench/sla_deadlines.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"Python {platform.python_version()}, {platform.machine()}; target: under 5 s.",
            "",
            f"- {line}",
            "",
            END,
        ]
    )
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), section, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
