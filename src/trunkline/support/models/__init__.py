from trunkline.support.models.calendars import BusinessCalendarRecord, CalendarDay, CalendarDayKind
from trunkline.support.models.maintenance import MaintenanceKind, MaintenanceNotice, MaintenanceStatus
from trunkline.support.models.policy import SlaTarget, SlaWarningThreshold, SupportedService, SupportPolicy
from trunkline.support.models.tickets import (
    EscalationStep,
    Priority,
    Representative,
    Ticket,
    TicketAttachment,
    TicketChannel,
    TicketDeadline,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)

__all__ = [
    "BusinessCalendarRecord",
    "CalendarDay",
    "CalendarDayKind",
    "EscalationStep",
    "MaintenanceKind",
    "MaintenanceNotice",
    "MaintenanceStatus",
    "Priority",
    "Representative",
    "SlaTarget",
    "SlaWarningThreshold",
    "SupportPolicy",
    "SupportedService",
    "Ticket",
    "TicketAttachment",
    "TicketChannel",
    "TicketDeadline",
    "TicketEvent",
    "TicketMessage",
    "TicketStatus",
]
