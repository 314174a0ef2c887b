"""The edge's decision for one INVITE, as a pure function of the routing snapshot (standard library only: this file
is loaded by Kamailio's embedded Python as well as by the tests).

Order of checks (PT-17): the source address must be a carrier or a customer trunk (403); the request URI must carry
a full number (no user part: 484; anything but digits, e.g. IP dialing: 403); the SDP offer must contain G.711 A-law
with 20 ms packetization (488); a customer trunk may present only its allowed calling numbers (403); a carrier's call
must be for a known User Number (404); a suspended customer is refused (403).
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
ALLOWED_CODECS = {"PCMA", "TELEPHONE-EVENT"}
STATIC_PAYLOADS = {"0": "PCMU", "3": "GSM", "4": "G723", "8": "PCMA", "9": "G722", "18": "G729"}


def sdp_audio(body: str) -> tuple[set[str], list[str]]:
    """The codec names offered on the audio stream and any ptime values given."""
    names: set[str] = set()
    ptimes: list[str] = []
    payloads: list[str] = []
    in_audio = False
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            in_audio = line.startswith("m=audio")
            if in_audio:
                payloads = line.split()[3:]
        elif in_audio and line.startswith("a=rtpmap:"):
            parts = line[9:].split(None, 1)
            if len(parts) == 2:
                names.add(parts[1].split("/")[0].upper())
                if parts[0] in payloads:
                    payloads.remove(parts[0])
        elif in_audio and line.startswith("a=ptime:"):
            ptimes.append(line[8:].strip())
    for payload in payloads:
        names.add(STATIC_PAYLOADS.get(payload, "PT" + payload))
    return names, ptimes


def calling_allowed(patterns: list[str], a_number: str) -> bool:
    digits = a_number.lstrip("+")
    for pattern in patterns:
        if pattern.endswith("*"):
            if digits.startswith(pattern[:-1]):
                return True
        elif digits == pattern:
            return True
    return False


def reject(code: int, reason: str, org: str = "", direction: str = "") -> dict:
    return {"action": "reject", "code": code, "reason": reason, "org": org, "direction": direction}


def is_open(hours: dict, now: float) -> bool:
    """Whether a User Number's business hours are open at ``now`` (seconds since the epoch) on its wall clock."""
    local = datetime.fromtimestamp(now, ZoneInfo(hours.get("zone") or "Europe/Sofia"))
    if local.date().isoformat() in hours.get("closed", ()):
        return False
    minute = local.hour * 60 + local.minute
    weekly = hours.get("weekly") or []
    spans = weekly[local.weekday()] if local.weekday() < len(weekly) else []
    return any(start <= minute < end for start, end in spans)


def decide(
    snapshot: dict, *, source_ip: str, a_number: str, r_user: str, sdp: str | None, now: float | None = None
) -> dict:
    """What to do with an initial INVITE: ``{"action": "reject", "code", "reason", ...}``, ``{"action": "route",
    "direction", "org", "user_number", "targets": [{"number", "uri", "ring_ms"}], "greeting", "music"}`` or, out of
    business hours with a voice message, ``{"action": "announce", "message", "message_ms", ...}``."""
    peer = snapshot.get("peers", {}).get(source_ip)
    if peer is None:
        return reject(403, "Source IP not authorized")
    org = peer.get("org", "")
    direction = "inbound" if peer.get("kind") == "carrier" else "outbound"
    if not r_user:
        return reject(484, "Address Incomplete (no number dialled)", org, direction)
    if not NUMBER.match(r_user):
        return reject(403, "Forbidden (IP dialing not allowed)", org, direction)
    digits = r_user.lstrip("+")
    entry = snapshot.get("user_numbers", {}).get(digits) if direction == "inbound" else None
    if entry is not None:
        org = entry.get("org", "")  # a refused call to a User Number is kept in its owner's records
    if sdp is None or not sdp.strip():
        return reject(488, "Not Acceptable Here (SDP offer required)", org, direction)
    codecs, ptimes = sdp_audio(sdp)
    if "PCMA" not in codecs:
        return reject(488, "Not Acceptable Here (G.711 A-law required)", org, direction)
    if any(ptime != "20" for ptime in ptimes):
        return reject(488, "Not Acceptable Here (ptime 20 required)", org, direction)
    strip = bool(codecs - ALLOWED_CODECS)
    if direction == "outbound":
        if peer.get("suspended"):
            return reject(403, "Forbidden (service suspended)", org, direction)
        if not calling_allowed(peer.get("calling_numbers", []), a_number):
            return reject(403, "A-number not authorized", org, direction)
        gateway = snapshot.get("gateway", "")
        if not gateway:
            return reject(503, "Service Unavailable (no carrier gateway)", org, direction)
        return {
            "action": "route",
            "direction": direction,
            "org": org,
            "user_number": "",
            "targets": [{"number": "+" + digits, "uri": gateway.replace("{num}", digits), "ring_ms": 60000}],
            "greeting": "",
            "music": "",
            "strip_codecs": strip,
        }
    if entry is None:
        return reject(404, "Not Found (unknown User Number)")
    if entry.get("suspended"):
        return reject(403, "Forbidden (service suspended)", org, direction)
    targets = [target for target in entry.get("targets", []) if target.get("uri")]
    hours = entry.get("hours")
    after_hours = hours is not None and not is_open(hours, time.time() if now is None else now)
    if after_hours:
        action = hours.get("action")
        if action == "message" and hours.get("message"):
            return {
                "action": "announce",
                "direction": direction,
                "org": org,
                "user_number": entry.get("user_number", ""),
                "message": hours["message"],
                "message_ms": hours.get("message_ms", 0),
                "code": 480,
                "reason": "Temporarily Unavailable (outside business hours)",
            }
        if action != "forward":
            return reject(486, "Busy Here (outside business hours)", org, direction)
        targets = [target for target in hours.get("targets", []) if target.get("uri")]
    targets_json = (hours if after_hours else entry).get("targets_json")
    if not targets:
        return reject(480, "Temporarily Unavailable (no business number)", org, direction)
    return {
        "action": "route",
        "direction": direction,
        "org": org,
        "user_number": entry.get("user_number", ""),
        "targets": targets,
        "greeting": "" if after_hours else entry.get("greeting", ""),
        "greeting_ms": 0 if after_hours else entry.get("greeting_ms", 0),
        "music": entry.get("music", ""),
        "strip_codecs": strip,
        "after_hours": after_hours,
        "targets_json": targets_json or json.dumps(targets),
    }


def prepare(snapshot: dict) -> dict:
    """Work done once per snapshot load instead of once per INVITE: each hunt plan also as the JSON the router
    keeps in the transaction."""
    for entry in snapshot.get("user_numbers", {}).values():
        entry["targets_json"] = json.dumps([target for target in entry.get("targets", []) if target.get("uri")])
        hours = entry.get("hours")
        if hours:
            hours["targets_json"] = json.dumps([target for target in hours.get("targets", []) if target.get("uri")])
    return snapshot


class SnapshotFile:
    """The routing snapshot, reloaded when the file is replaced (inode, mtime or size changed): one ``stat`` per
    call, no reload in between, and the last good copy kept if a read fails."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.key: tuple[int, int, int] | None = None
        self.data: dict = {}
        self.loads = 0

    def get(self) -> dict:
        try:
            stat = os.stat(self.path)
        except OSError:
            return self.data
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key != self.key:
            try:
                with open(self.path, encoding="utf-8") as stream:
                    self.data = prepare(json.load(stream))
                self.key = key
                self.loads += 1
            except (OSError, ValueError):
                pass
        return self.data


class Spool:
    """Call events as JSON lines, appended with one ``write`` each to this process's file of the hour. The file stays
    open for the hour (the control plane removes only files hours old), so an event costs one system call."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.key: tuple[str, int] | None = None
        self.descriptor = -1

    def _open(self, hour: str) -> int:
        key = (hour, os.getpid())  # a forked worker opens its own file
        if key != self.key:
            if self.descriptor >= 0 and self.key is not None and self.key[1] == key[1]:
                os.close(self.descriptor)
            path = os.path.join(self.directory, f"events-{hour}-{key[1]}.jsonl")
            self.descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self.key = key
        return self.descriptor

    def write(self, event: dict, *, now: float) -> None:
        hour = time.strftime("%Y%m%d%H", time.gmtime(now))
        line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        os.write(self._open(hour), line)
