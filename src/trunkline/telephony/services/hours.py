"""Business-hours routing of a User Number (optional): the weekly schedule in the organisation's time zone, Bulgarian
public holidays, and what happens out of hours. Saved like any routing data: the snapshot is republished after commit
and the next call follows it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.core.context import RequestContext, require_scope
from trunkline.telephony.domain.hours import ScheduleError, format_day, parse_week
from trunkline.telephony.errors import TelephonyInvalidError
from trunkline.telephony.models import AfterHours, AssetKind, BusinessHours, UserNumber, VoiceAsset
from trunkline.telephony.services.numbers import _destination, _number, _ring
from trunkline.telephony.services.routing import publish_after_commit
from trunkline.telephony.services.status import require_telephony_active

MAX_AFTER_HOURS_NUMBERS = 10


def _after_hours_numbers(ctx: RequestContext, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(items) > MAX_AFTER_HOURS_NUMBERS:
        raise TelephonyInvalidError(
            fields={"after_hours_numbers": [_("At most %(max)s numbers.") % {"max": MAX_AFTER_HOURS_NUMBERS}]}
        )
    return [
        {
            "number": _number(str(item.get("number", "")), "after_hours_numbers"),
            "destination": _destination(ctx, str(item.get("destination") or "")),
            "ring_seconds": _ring(item.get("ring_seconds")),
        }
        for item in items
    ]


def user_number_set_hours(
    *,
    ctx: RequestContext,
    user_number_id: UUID,
    is_enabled: bool,
    weekly: list[str],
    closed_on_holidays: bool = True,
    after_hours: str = AfterHours.BUSY,
    after_hours_numbers: list[dict[str, Any]] | None = None,
    message_id: UUID | None = None,
) -> BusinessHours:
    """Set a User Number's business hours: ``weekly`` has seven texts, Monday first, each like
    ``08:30-12:00, 13:00-17:30`` (empty: closed all day)."""
    require_scope(ctx, "telephony:manage")
    require_telephony_active(ctx.organization)
    try:
        week = parse_week(weekly)
    except ScheduleError as error:
        raise TelephonyInvalidError(
            fields={
                "weekly": [
                    _("Write each day as 08:30-17:00, several spans separated by commas (%(why)s).") % {"why": error}
                ]
            }
        ) from None
    if after_hours not in AfterHours.values:
        raise TelephonyInvalidError(fields={"after_hours": [_("Choose what happens outside business hours.")]})
    numbers = _after_hours_numbers(ctx, after_hours_numbers or [])
    if is_enabled and after_hours == AfterHours.FORWARD and not numbers:
        raise TelephonyInvalidError(fields={"after_hours_numbers": [_("Add at least one after-hours number.")]})
    with transaction.atomic():
        user_number: UserNumber = UserNumber.objects.select_for_update().get_for_org(
            ctx.organization, public_id=user_number_id
        )
        message = (
            VoiceAsset.objects.get_for_org(ctx.organization, public_id=message_id, kind=AssetKind.GREETING)
            if message_id
            else None
        )
        if is_enabled and after_hours == AfterHours.MESSAGE and message is None:
            raise TelephonyInvalidError(fields={"message": [_("Choose the voice message to play.")]})
        hours, _created = BusinessHours.objects.get_or_create(organization=ctx.organization, user_number=user_number)
        hours.is_enabled = is_enabled
        hours.weekly = [[list(span) for span in day] for day in week]
        hours.closed_on_holidays = closed_on_holidays
        hours.after_hours = after_hours
        hours.after_hours_numbers = numbers
        hours.message = message
        hours.save()
        audit_record(
            ctx=ctx,
            action="telephony.business_hours_set",
            target=user_number,
            changes={
                "enabled": is_enabled,
                "weekly": [format_day(day) for day in week],
                "holidays": closed_on_holidays,
                "after_hours": after_hours,
                "numbers": [item["number"] for item in numbers],
            },
        )
        publish_after_commit()
    return hours
