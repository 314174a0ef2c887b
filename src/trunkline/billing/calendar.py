"""Billing's calendar: documents are dated, and fall due, on the business's calendar days (Europe/Sofia by default),
not on UTC days — an invoice issued at 00:30 in Sofia carries that day's date."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings

from trunkline.core import clock


def business_date(at: datetime) -> date:
    """The calendar date in the business time zone at ``at``."""
    return clock.local(at, settings.BUSINESS_TIME_ZONE).date()
