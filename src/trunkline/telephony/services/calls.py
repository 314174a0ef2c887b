"""Call events from the SIP edge become call records (PT-15.1).

The edge appends one JSON line per event to a spool file of its own process; ``spool_ingest`` reads the new lines
and ``call_events_ingest`` stores each event once, by call-id and event name (a replayed line changes nothing). Events
of one call come from different Kamailio processes and so may arrive in any order: the call record is rebuilt from
all of the call's stored events each time one arrives.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from trunkline.core import clock
from trunkline.telephony.domain.hunt import outcome_of
from trunkline.telephony.models import CallAttempt, CallEvent, CallRecord, Direction, Disposition, UserNumber
from trunkline.telephony.paths import spool_dir
from trunkline.tenancy.models import Organization

logger = logging.getLogger(__name__)

EVENT_NAMES = {"start", "answer", "end", "fail", "reject"}
OFFSETS = ".offsets.json"


def _valid(event: dict[str, Any]) -> bool:
    name = str(event.get("event", ""))
    return (
        bool(event.get("call_id"))
        and isinstance(event.get("at"), int | float)
        and (name in EVENT_NAMES or (name.startswith("attempt.") and name[8:].isdigit()))
    )


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), tz=UTC)


def _organization(public_id: Any) -> Organization | None:
    if not public_id:
        return None
    return Organization.objects.filter(public_id=public_id).first()


def call_events_ingest(*, events: list[dict[str, Any]]) -> int:
    """Store new events and rebuild the calls they belong to. Returns how many events were new."""
    touched: set[str] = set()
    new = 0
    for event in events:
        if not _valid(event):
            logger.warning("telephony: ignoring malformed call event %r", event)
            continue
        call_id = str(event["call_id"])[:255]
        with transaction.atomic():
            try:
                with transaction.atomic():
                    CallEvent.objects.create(
                        call_id=call_id,
                        event=str(event["event"]),
                        at=_at(event["at"]),
                        payload=event,
                        organization=_organization(event.get("org")),
                    )
            except IntegrityError:
                continue
        new += 1
        touched.add(call_id)
    organizations: set[int] = set()
    for call_id in sorted(touched):
        record = _call_rebuild(call_id)
        if record is not None and record.direction == Direction.OUTBOUND and record.ended_at is not None:
            organizations.add(record.organization_id)
    if organizations:
        from trunkline.telephony.services.unsolicited import unsolicited_check

        for organization in Organization.objects.filter(pk__in=organizations):
            unsolicited_check(organization=organization)
    return new


def _seconds(start: datetime, end: datetime) -> int:
    return int(Decimal((end - start).total_seconds()).quantize(Decimal(1), ROUND_HALF_UP))


def _call_rebuild(call_id: str) -> CallRecord | None:
    """The call record as all its events so far describe it; None until its start (or rejection) is known."""
    with transaction.atomic():
        events = {item.event: item for item in CallEvent.objects.select_for_update().filter(call_id=call_id)}
        head = events.get("start") or events.get("reject")
        if head is None or head.organization_id is None:
            return None
        payload = head.payload
        user_number = None
        if payload.get("user_number"):
            user_number = UserNumber.objects.filter(
                organization_id=head.organization_id, number=payload["user_number"]
            ).first()
        fields: dict[str, Any] = {
            "organization_id": head.organization_id,
            "direction": payload.get("direction") or Direction.INBOUND,
            "a_number": str(payload.get("a", ""))[:32],
            "b_number": str(payload.get("b", ""))[:32],
            "user_number": user_number,
            "source_ip": str(payload.get("si", ""))[:45],
            "started_at": head.at,
            "answered_at": None,
            "ended_at": None,
            "disposition": Disposition.IN_PROGRESS,
            "sip_code": None,
            "reason": "",
            "answered_by": "",
            "duration_seconds": 0,
            "end_reason": "",
        }
        if "reject" in events:
            fields.update(
                disposition=Disposition.REJECTED,
                sip_code=int(payload.get("code") or 0),
                reason=str(payload.get("reason", ""))[:200],
                ended_at=head.at,
            )
        answer = events.get("answer")
        if answer is not None:
            fields.update(answered_at=answer.at, answered_by=str(answer.payload.get("number", ""))[:32], sip_code=200)
        end = events.get("end")
        if answer is not None and end is not None:
            fields.update(
                disposition=Disposition.ANSWERED,
                ended_at=end.at,
                duration_seconds=max(0, _seconds(answer.at, end.at)),
                end_reason=str(end.payload.get("reason", ""))[:20],
            )
        elif answer is not None:
            fields.update(disposition=Disposition.IN_PROGRESS)
        fail = events.get("fail")
        if fail is not None and answer is None:
            code = int(fail.payload.get("code") or 0)
            fields.update(disposition=outcome_of(code), sip_code=code, ended_at=fail.at)
        record, _created = CallRecord.objects.update_or_create(call_id=call_id, defaults=fields)
        attempts: list[CallAttempt] = []
        for name, item in events.items():
            if name.startswith("attempt."):
                code = int(item.payload.get("code") or 0)
                attempts.append(
                    CallAttempt(
                        call=record,
                        position=int(name[8:]),
                        number=str(item.payload.get("number", ""))[:32],
                        sip_code=code,
                        outcome=outcome_of(code),
                        at=item.at,
                    )
                )
        if answer is not None:
            attempts.append(
                CallAttempt(
                    call=record,
                    position=int(answer.payload.get("position") or 0),
                    number=str(answer.payload.get("number", ""))[:32],
                    sip_code=200,
                    outcome=Disposition.ANSWERED,
                    at=answer.at,
                )
            )
        record.attempts.all().delete()
        CallAttempt.objects.bulk_create(attempts)
    return record


def _read_offsets(directory: Path) -> dict[str, int]:
    try:
        data = json.loads((directory / OFFSETS).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {str(key): int(value) for key, value in data.items()} if isinstance(data, dict) else {}


def spool_ingest(*, directory: Path | None = None, at: datetime | None = None) -> int:
    """Read the complete new lines of every spool file, ingest them, remember how far each file was read, and remove
    files of hours long past that were read to the end. Returns how many events were new."""
    folder = directory or spool_dir()
    now = at or clock.now()
    offsets = _read_offsets(folder)
    events: list[dict[str, Any]] = []
    for path in sorted(folder.glob("events-*.jsonl")):
        start = offsets.get(path.name, 0)
        with path.open("rb") as stream:
            stream.seek(start)
            data = stream.read()
        complete = data[: data.rfind(b"\n") + 1]
        for line in complete.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                logger.warning("telephony: unreadable spool line in %s", path.name)
                continue
            if isinstance(item, dict):
                events.append(item)
        offsets[path.name] = start + len(complete)
    new = call_events_ingest(events=events)
    stale_before = (now - timedelta(hours=2)).strftime("%Y%m%d%H")
    for path in sorted(folder.glob("events-*.jsonl")):
        hour = path.name.split("-")[1] if path.name.count("-") >= 2 else ""
        if hour and hour < stale_before and offsets.get(path.name, 0) >= path.stat().st_size:
            path.unlink()
            offsets.pop(path.name, None)
    temporary = folder / (OFFSETS + ".tmp")
    temporary.write_text(json.dumps(offsets))
    temporary.replace(folder / OFFSETS)
    return new
