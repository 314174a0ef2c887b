"""The routing snapshot: everything the SIP edge needs to authorise and route a call, in one JSON file.

The edge never asks the control plane per INVITE (a synchronous HTTP call cost +54 % CPU per call and stalled SIP
workers in the feasibility study). Instead every change publishes a new snapshot after commit: written to a temporary
file and renamed over ``routing.json``, so a reader sees the old file or the new one, never half of one. Each
Kamailio worker compares the file's mtime and size with the copy it holds (one ``stat`` per INVITE) and reloads when
they differ, so a change applies to the next call without restarting Kamailio.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from typing import Any

from django.db import transaction

from trunkline.core import clock
from trunkline.support.domain.bulgaria import bulgarian_holidays
from trunkline.telephony.domain.hours import closed_dates
from trunkline.telephony.domain.hunt import HuntStep, hunt_plan
from trunkline.telephony.models import (
    AfterHours,
    AssetStatus,
    BusinessHours,
    Carrier,
    TelephonyAccount,
    TelephonyStatus,
    Trunk,
    UserNumber,
)
from trunkline.telephony.paths import media_dir, snapshot_path
from trunkline.tenancy.models import Organization, OrganizationStatus

SNAPSHOT_FORMAT = 1


def _asset_file(asset: Any) -> str:
    if asset is None or asset.status != AssetStatus.READY or not asset.file_name:
        return ""
    return str(media_dir() / asset.file_name)


def _asset_ms(asset: Any) -> int:
    if not _asset_file(asset):
        return 0
    return int(float(asset.format_report.get("seconds", 0)) * 1000)


def _hours(hours: BusinessHours | None, *, gateway: str, holidays: list[str]) -> dict[str, Any] | None:
    """What the edge needs to route by business hours; ``None`` when the User Number does not use them."""
    if hours is None or not hours.is_enabled:
        return None
    steps = [
        HuntStep(number=item["number"], destination=item["destination"], ring_seconds=item["ring_seconds"])
        for item in hours.after_hours_numbers
    ]
    return {
        "zone": hours.organization.time_zone,
        "weekly": hours.weekly,
        "closed": holidays if hours.closed_on_holidays else [],
        "action": hours.after_hours,
        "targets": hunt_plan(steps, gateway=gateway) if hours.after_hours == AfterHours.FORWARD else [],
        "message": _asset_file(hours.message) if hours.after_hours == AfterHours.MESSAGE else "",
        "message_ms": _asset_ms(hours.message) if hours.after_hours == AfterHours.MESSAGE else 0,
    }


def _hours_of(user_number: UserNumber) -> BusinessHours | None:
    try:
        return user_number.hours
    except BusinessHours.DoesNotExist:
        return None


def routing_snapshot_build() -> dict[str, Any]:
    """The edge's view of the control plane: carriers, trunks, User Numbers with their hunt plans."""
    suspended = set(
        TelephonyAccount.objects.filter(status=TelephonyStatus.SUSPENDED).values_list("organization_id", flat=True)
    ) | set(Organization.objects.exclude(status=OrganizationStatus.ACTIVE).values_list("pk", flat=True))
    carriers = list(Carrier.objects.filter(is_active=True).order_by("pk"))
    gateway = next((f"sip:{{num}}@{c.gateway}:5060" for c in carriers if c.gateway), "")
    peers: dict[str, dict[str, Any]] = {}
    for carrier in carriers:
        for address in carrier.addresses:
            peers[address] = {"kind": "carrier", "name": carrier.name}
    for trunk in Trunk.objects.filter(is_active=True).select_related("organization").order_by("pk"):
        for address in trunk.addresses:
            peers[address] = {
                "kind": "customer",
                "org": str(trunk.organization.public_id),
                "trunk": str(trunk.public_id),
                "calling_numbers": list(trunk.calling_numbers),
                "suspended": trunk.organization_id in suspended,
            }
    numbers: dict[str, dict[str, Any]] = {}
    today = clock.now().date()
    holidays = closed_dates(bulgarian_holidays([today.year, today.year + 1]), start=today - timedelta(days=1))
    user_numbers = (
        UserNumber.objects.filter(is_active=True)
        .select_related("organization", "greeting", "music", "hours__organization", "hours__message")
        .prefetch_related("business_numbers")
        .order_by("number")
    )
    for user_number in user_numbers:
        steps = [
            HuntStep(number=item.number, destination=item.destination, ring_seconds=item.ring_seconds)
            for item in sorted(user_number.business_numbers.all(), key=lambda item: (item.position, item.pk))
        ]
        numbers[user_number.number.lstrip("+")] = {
            "org": str(user_number.organization.public_id),
            "user_number": user_number.number,
            "targets": hunt_plan(steps, gateway=gateway),
            "greeting": _asset_file(user_number.greeting),
            "greeting_ms": _asset_ms(user_number.greeting),
            "music": _asset_file(user_number.music),
            "suspended": user_number.organization_id in suspended,
        }
        hours = _hours(_hours_of(user_number), gateway=gateway, holidays=holidays)
        if hours is not None:
            numbers[user_number.number.lstrip("+")]["hours"] = hours
    return {
        "format": SNAPSHOT_FORMAT,
        "generated_at": clock.now().isoformat(),
        "gateway": gateway,
        "peers": peers,
        "user_numbers": numbers,
    }


def routing_snapshot_publish() -> dict[str, Any]:
    """Write the snapshot atomically (temporary file, fsync, rename) and return it."""
    snapshot = routing_snapshot_build()
    target = snapshot_path()
    handle, temporary = tempfile.mkstemp(prefix=".routing-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(snapshot, stream, separators=(",", ":"), sort_keys=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return snapshot


def publish_after_commit() -> None:
    """Republish once the caller's transaction commits (never a snapshot of data that was rolled back)."""
    transaction.on_commit(routing_snapshot_publish)
