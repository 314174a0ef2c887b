from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, models, transaction

from trunkline.audit.models import AuditEvent
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.ids import new_public_id


def audit_record(
    *,
    ctx: RequestContext | None,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    organization: Any = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the service's transaction, so the event and the change land together."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction.")
    return AuditEvent.objects.create(
        organization=organization if organization is not None else (ctx.organization if ctx else None),
        actor=ctx.user if ctx else None,
        actor_label=ctx.actor_label if ctx else "system",
        api_key_id=ctx.api_key_id if ctx else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(getattr(target, "public_id", None) or getattr(target, "pk", "")) if target is not None else "",
        target_label=str(target)[:300] if target is not None else "",
        changes=changes or {},
        ip=ctx.ip if ctx else None,
        user_agent=(ctx.user_agent if ctx else "")[:500],
        request_id=ctx.request_id if ctx else "",
        created_at=at or clock.now(),
    )


@cache
def _audit_columns() -> tuple[str, str, tuple[Any, ...]]:
    meta = AuditEvent._meta
    quote = connection.ops.quote_name
    fields = tuple(meta.get_field(name) for name in AUDIT_INSERT_FIELDS)
    columns = ", ".join(quote(field.column) for field in fields)  # type: ignore[union-attr,arg-type]
    return quote(meta.db_table), columns, fields


AUDIT_INSERT_FIELDS = (
    "public_id",
    "organization",
    "actor",
    "actor_label",
    "api_key_id",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "changes",
    "ip",
    "user_agent",
    "request_id",
    "created_at",
)


def audit_insert_parts(
    *,
    ctx: RequestContext | None,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    changes: dict[str, Any],
    at: datetime,
    organization_id: int | None = None,
    ip: str | None = None,
    user_agent: str = "",
) -> tuple[str, str, list[Any]]:
    """The same event as ``audit_record``, as the parts of an ``INSERT``: the quoted table, the quoted column list and
    the parameters (one ``%s`` each, in that order). For a hot path that writes the event in the very statement (or
    transaction) that makes the change, in one round trip; the audit app stays the owner of its table and columns.
    Without ``ctx`` (a caller with no user or key, such as the activation API) the actor is "system" and ``ip`` and
    ``user_agent`` say where the call came from."""
    values = (
        new_public_id(),
        organization_id if organization_id is not None else (ctx.organization.pk if ctx else None),
        ctx.user.pk if ctx and ctx.user is not None else None,
        ctx.actor_label if ctx else "system",
        ctx.api_key_id if ctx else None,
        action,
        target_type,
        target_id,
        target_label[:300],
        changes,
        ctx.ip if ctx else ip,
        (ctx.user_agent if ctx else user_agent)[:500],
        ctx.request_id if ctx else "",
        at,
    )
    table, columns, fields = _audit_columns()
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
    return table, columns, params
