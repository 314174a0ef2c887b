"""The support desk's services: the only writers of its tables."""

from trunkline.support.services.calendars import (
    calendar_day_add,
    calendar_day_remove,
    calendar_for,
    sla_target_update,
    support_policy_update,
)
from trunkline.support.services.email import ticket_from_email
from trunkline.support.services.maintenance import incident_report, maintenance_cancel, maintenance_schedule
from trunkline.support.services.representatives import (
    representative_add,
    representative_deactivate,
    representative_for,
    representatives_sync_from_agreement,
)
from trunkline.support.services.tickets import (
    AttachmentData,
    sla_escalations_process,
    ticket_assign,
    ticket_complete,
    ticket_escalate,
    ticket_note,
    ticket_open,
    ticket_recompute,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
    ticket_staff_reply,
)

__all__ = [
    "AttachmentData",
    "calendar_day_add",
    "calendar_day_remove",
    "calendar_for",
    "incident_report",
    "maintenance_cancel",
    "maintenance_schedule",
    "representative_add",
    "representative_deactivate",
    "representative_for",
    "representatives_sync_from_agreement",
    "sla_escalations_process",
    "sla_target_update",
    "support_policy_update",
    "ticket_assign",
    "ticket_complete",
    "ticket_escalate",
    "ticket_from_email",
    "ticket_note",
    "ticket_open",
    "ticket_recompute",
    "ticket_reply",
    "ticket_set_priority",
    "ticket_set_status",
    "ticket_staff_reply",
]
