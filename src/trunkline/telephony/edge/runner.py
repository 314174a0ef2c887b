"""Start and stop the edge's processes (Kamailio, rtpengine) on loopback, by their own PIDs.

Standard library only: used by ``bin/telephony-edge``, the SIP tests and the benchmark. Readiness is a SIP OPTIONS
answered by the edge (or rtpengine's NG ``ping``), polled with a deadline.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


def binaries_missing(*names: str) -> list[str]:
    return [name for name in names if shutil.which(name) is None]


def sip_ping(address: str, port: int, *, timeout: float = 0.3) -> bool:
    """True when an OPTIONS to the edge is answered with 200."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    try:
        sock.bind((address, 0))
        local_port = sock.getsockname()[1]
        call_id = f"ping-{random.randint(1, 1 << 30)}"  # noqa: S311 - a Call-ID, not a secret
        request = (
            f"OPTIONS sip:{address}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {address}:{local_port};branch=z9hG4bK-{call_id}\r\n"
            f"From: <sip:ping@{address}>;tag={call_id}\r\nTo: <sip:{address}:{port}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode(), (address, port))
        data, _peer = sock.recvfrom(4096)
        return data.startswith(b"SIP/2.0 200")
    except OSError:
        return False
    finally:
        sock.close()


def wait_until(check, *, deadline_seconds: float, what: str) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready within {deadline_seconds} s")


def stop(process: subprocess.Popen | None, *, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Kamailio:
    """One Kamailio with the KEMI script (``engine="kemi"``) or the native configuration (``engine="native"``)."""

    rundir: Path
    routing: Path
    spool: Path
    address: str = "127.0.0.1"
    port: int = 5060
    children: int = 4
    engine: str = "kemi"
    rtpengine: str = ""  # "127.0.0.1:2223" to anchor media
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def render(self) -> Path:
        template = (HERE / ("kamailio.cfg.in" if self.engine == "kemi" else "native.cfg.in")).read_text()
        values = {
            "CHILDREN": str(self.children),
            "ADDRESS": self.address,
            "PORT": str(self.port),
            "MODULES": MODULES,
            "RUNDIR": str(self.rundir),
            "SCRIPT": str(HERE / "router.py"),
            "RTPENGINE": self.rtpengine or "127.0.0.1:2223",
            "HTABLE_DB": str(self.rundir / "routing.sqlite"),
        }
        for name, value in values.items():
            template = template.replace(f"@@{name}@@", value)
        path = self.rundir / f"kamailio-{self.engine}.cfg"
        path.write_text(template)
        return path

    def start(self, *, deadline_seconds: float = 20) -> Kamailio:
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.spool.mkdir(parents=True, exist_ok=True)
        config = self.render()
        if self.engine == "native":
            from trunkline.telephony.edge.native import export_htables

            export_htables(self.routing, self.rundir / "routing.sqlite")
        env = dict(os.environ)
        env.update(
            TRUNKLINE_ROUTING=str(self.routing),
            TRUNKLINE_SPOOL=str(self.spool),
            TRUNKLINE_RTPENGINE="1" if self.rtpengine else "0",
            TRUNKLINE_RTPENGINE_NG=self.rtpengine or "127.0.0.1:2223",
            TRUNKLINE_PENDING=str(self.rundir / "pending"),
            TRUNKLINE_EDGE_DIR=str(HERE),
            **self.extra_env,
        )
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        command = ["kamailio", "-f", str(config), "-DD", "-E", "-n", str(self.children), "-m", "256", "-M", "16"]
        command += ["-Y", str(self.rundir), "-P", str(self.rundir / "kamailio.pid")]
        if self.rtpengine:
            command += ["-A", "WITH_RTPENGINE"]
        log = (self.rundir / f"kamailio-{self.engine}.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own argument list
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: self.process is not None and self.process.poll() is None and sip_ping(self.address, self.port),
                deadline_seconds=deadline_seconds,
                what="Kamailio",
            )
        except TimeoutError:
            self.stop()
            raise
        return self

    def log(self) -> str:
        path = self.rundir / f"kamailio-{self.engine}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        stop(self.process)
        self.process = None


def ng_ping(address: str, port: int) -> bool:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(0.3)
    try:
        sock.sendto(b"1 d7:command4:pinge", (address, port))
        return b"pong" in sock.recv(1024)
    except OSError:
        return False
    finally:
        sock.close()


@dataclass
class RtpEngine:
    """rtpengine in userspace (no kernel module: ``--table=-1``), relaying and playing media on loopback."""

    rundir: Path
    interface: str = "127.0.0.1"
    ng_port: int = 2223
    port_min: int = 30000
    port_max: int = 30200
    process: subprocess.Popen | None = None

    def start(self, *, deadline_seconds: float = 15) -> RtpEngine:
        self.rundir.mkdir(parents=True, exist_ok=True)
        command = [
            "rtpengine", "--foreground", "--log-stderr", "--log-level=5", "--table=-1",
            f"--interface={self.interface}", f"--listen-ng={self.interface}:{self.ng_port}",
            f"--port-min={self.port_min}", f"--port-max={self.port_max}", "--num-threads=2",
            f"--pidfile={self.rundir / 'rtpengine.pid'}",
        ]  # fmt: skip
        log = (self.rundir / "rtpengine.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own argument list
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: ng_ping(self.interface, self.ng_port), deadline_seconds=deadline_seconds, what="rtpengine"
            )
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop(self.process)
        self.process = None
