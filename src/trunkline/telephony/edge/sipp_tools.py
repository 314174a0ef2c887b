"""Running SIPp scenarios against the edge, bounded in calls and time (standard library only)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "sipp"


@dataclass
class Result:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def expect_scenario(code: int, directory: Path) -> Path:
    """A UAC scenario that succeeds only when the INVITE is answered with ``code``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"uac_expect_{code}.xml"
    path.write_text((SCENARIOS / "uac_expect.xml.in").read_text().replace("@@CODE@@", str(code)))
    return path


def uas(
    address: str, scenario: str, *, workdir: Path, calls: int = 1, ring_ms: int = 100, timeout: int = 30
) -> subprocess.Popen:
    """A customer PBX (or gateway) on ``address``:5060 playing ``scenario`` for ``calls`` calls."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = ["sipp", "-sf", str(SCENARIOS / scenario), "-i", address, "-p", "5060", "-mi", address, "-m", str(calls)]
    command += ["-d", str(ring_ms), "-nostdin", "-timeout", f"{timeout}s", "-timeout_error", "-trace_err"]
    log = (workdir / f"uas-{address}-{scenario}.log").open("w")
    return subprocess.Popen(  # noqa: S603 - our own argument list
        command,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def uac(
    edge: str,
    source: str,
    scenario: str | Path,
    *,
    workdir: Path,
    service: str = "",
    keys: dict[str, str] | None = None,
    calls: int = 1,
    rate: int = 10,
    hold_ms: int = 200,
    timeout: int = 30,
    extra: list[str] | None = None,
) -> Result:
    """A caller from ``source``:5070 to the edge; returns SIPp's exit code (0: every call succeeded) and output."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = scenario if isinstance(scenario, Path) else SCENARIOS / scenario
    command = ["sipp", edge, "-sf", str(path), "-i", source, "-p", "5070", "-mi", source, "-m", str(calls)]
    command += ["-r", str(rate), "-d", str(hold_ms), "-nostdin", "-timeout", f"{timeout}s", "-timeout_error"]
    command += ["-trace_err", "-trace_screen"]
    if service:
        command += ["-s", service]
    for name, value in (keys or {}).items():
        command += ["-key", name, value]
    command += extra or []
    completed = subprocess.run(  # noqa: S603 - our own argument list
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout + 15,
        check=False,
    )
    return Result(completed.returncode, completed.stdout + completed.stderr)
