"""The activation API's hot path: activate, validate and refresh in the fewest round trips, in raw SQL.

The ORM path (``services.activations``) costs about 4 ms of CPU per activation in query compilation and model
instances; the softphone calls these three endpoints all the time. Here each is one read (the license by its key
digest, its reseller's status, its product's code and its live activations, in one statement) and at most one write,
run in autocommit as a single statement, so it is atomic without BEGIN/COMMIT round trips:

- activate: ``INSERT … SELECT … FROM license WHERE <usable> FOR UPDATE ON CONFLICT DO NOTHING RETURNING`` — the row
  lock re-checks the license (disabled, expired, key re-issued) after any concurrent writer, and the two partial
  unique constraints of ``Activation`` (one device per slot, one live binding per device) do the real enforcement.
  On PostgreSQL the audit event is inserted by the same statement (a data-modifying CTE over the inserted row), so
  there is no activation without its audit event and no extra round trip; on SQLite (one local writer, no
  data-modifying CTEs) both inserts run in one transaction.
- validate: the read, plus a conditional ``UPDATE`` of ``last_validated_at`` at most once a minute.
- refresh: the read, plus one conditional ``UPDATE … RETURNING`` of the activation.

The policy comes from the in-process cache (``policy_values_for``) and its values are stored with the activation.
Whenever the answer is not a plain success — unknown key, disabled, expired, no free slot, a lost race — these
functions return ``None`` and the caller runs the locked ORM path, which gives the refusal (or the success) with the
exact same codes and messages. So the hot path can only ever take the fast road to an outcome the locked path would
also reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

from django.db import connection, transaction

from trunkline.audit.services import audit_insert_parts
from trunkline.commerce.models import Product
from trunkline.core.db import prepared_rows
from trunkline.core.ids import new_public_id
from trunkline.licensing.models import Activation, ActivationMethod, License, LicenseKind, LicenseStatus
from trunkline.licensing.services.pools import policy_values_for
from trunkline.tenancy.models import Organization


@dataclass(frozen=True)
class LiveActivation:
    id: int
    public_id: UUID
    slot: int
    fingerprint_hash: str


@dataclass(frozen=True)
class LicenseRow:
    """A license as the hot path reads it, with what its answers need."""

    id: int
    public_id: UUID
    kind: str
    status: str
    expires_at: datetime | None
    is_disabled: bool
    organization_id: int
    product_id: int
    key_hint: str
    organization_status: str
    product_code: str
    last_validated_at: datetime | None
    live: tuple[LiveActivation, ...]

    def is_usable(self, at: datetime) -> bool:
        return (
            not self.is_disabled
            and self.status == LicenseStatus.ACTIVE
            and (self.expires_at is None or self.expires_at > at)
        )

    def policy(self) -> dict[str, Any]:
        return policy_values_for(organization_id=self.organization_id, product_id=self.product_id)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite without the declared-type converter
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@cache
def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "license": quote(License._meta.db_table),
        "activation": quote(Activation._meta.db_table),
        "organization": quote(Organization._meta.db_table),
        "product": quote(Product._meta.db_table),
    }


def _datetime(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def license_row(key_hash: str, *, fingerprint_hash: str | None = None) -> LicenseRow | None:
    """One statement: the license of this key digest with its reseller's status, product code and live activations
    (only the one on ``fingerprint_hash`` when given)."""
    tables = _tables()
    device = "AND a.fingerprint_hash = %s" if fingerprint_hash is not None else ""
    sql = (
        "SELECT l.id, l.public_id, l.kind, l.status, l.expires_at, l.disabled_at IS NOT NULL, l.organization_id, "  # noqa: S608
        "l.product_id, l.key_hint, o.status, p.code, l.last_validated_at, a.id, a.public_id, a.slot, "
        f"a.fingerprint_hash FROM {tables['license']} l "
        f"JOIN {tables['organization']} o ON o.id = l.organization_id "
        f"JOIN {tables['product']} p ON p.id = l.product_id "
        f"LEFT JOIN {tables['activation']} a ON a.license_id = l.id AND a.ended_at IS NULL {device} "
        "WHERE l.key_hash = %s"
    )
    params = [fingerprint_hash, key_hash] if fingerprint_hash is not None else [key_hash]
    rows = prepared_rows(sql, params)
    if not rows:
        return None
    first = rows[0]
    return LicenseRow(
        id=first[0],
        public_id=_uuid(first[1]),
        kind=first[2],
        status=first[3],
        expires_at=_aware(first[4]),
        is_disabled=bool(first[5]),
        organization_id=first[6],
        product_id=first[7],
        key_hint=first[8],
        organization_status=first[9],
        product_code=first[10],
        last_validated_at=_aware(first[11]),
        live=tuple(LiveActivation(row[12], _uuid(row[13]), row[14], row[15]) for row in rows if row[12] is not None),
    )


def _usable_license_sql(tables: dict[str, str]) -> str:
    """The WHERE clause that re-checks, under the row lock, that the license is still this key's and usable."""
    return (
        "l.id = %s AND l.key_hash = %s AND l.disabled_at IS NULL AND l.status = %s "
        "AND (l.expires_at IS NULL OR l.expires_at > %s)"
    )


def activation_bind(
    *,
    license: LicenseRow,
    key_hash: str,
    slot: int,
    fingerprint_hash: str,
    device_name: str,
    product_version: str,
    ip: str | None,
    user_agent: str,
    policy: dict[str, Any],
    at: datetime,
) -> UUID | None:
    """Insert the activation (and its audit event) in one statement; its public id, or None when the license changed
    under us or a constraint refused the binding (the locked path then decides)."""
    tables = _tables()
    public_id = new_public_id()
    now = _datetime(at)
    policy_field = Activation._meta.get_field("policy")
    activation_params = [
        Activation._meta.get_field("public_id").get_db_prep_save(public_id, connection),
        slot,
        fingerprint_hash,
        device_name,
        product_version,
        ActivationMethod.ONLINE.value,
        now,
        ip,
        now,
        policy_field.get_db_prep_save(policy, connection),
        now,
        now,
    ]
    insert = (
        f"INSERT INTO {tables['activation']} (public_id, license_id, slot, fingerprint_hash, device_name, "  # noqa: S608
        "product_version, method, activated_at, ended_at, ended_reason, ip, certificate_issued_at, policy, "
        "created_at, updated_at) "
        "SELECT %s, l.id, %s, %s, %s, %s, %s, %s, NULL, '', %s, %s, %s, %s, %s "
        f"FROM {tables['license']} l WHERE {_usable_license_sql(tables)}"
    )
    where_params = [license.id, key_hash, LicenseStatus.ACTIVE.value, now]
    audit_table, audit_columns, audit_params = audit_insert_parts(
        ctx=None,
        organization_id=license.organization_id,
        ip=ip,
        user_agent=user_agent,
        action="licensing.license_activated",
        target_type=License._meta.label_lower,
        target_id=str(license.public_id),
        target_label=f"{LicenseKind(license.kind).label} {license.key_hint}",
        changes={"device_name": device_name, "slot": slot, "version": product_version},
        at=at,
    )
    placeholders = ", ".join(["%s"] * len(audit_params))
    if connection.vendor == "postgresql":
        sql = (
            f"WITH bound AS ({insert} FOR UPDATE OF l ON CONFLICT DO NOTHING RETURNING id), "  # noqa: S608
            f"audited AS (INSERT INTO {audit_table} ({audit_columns}) SELECT {placeholders} FROM bound) "
            "SELECT id FROM bound"
        )
        inserted = prepared_rows(sql, [*activation_params, *where_params, *audit_params])
        return public_id if inserted else None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{insert} ON CONFLICT DO NOTHING RETURNING id", [*activation_params, *where_params])
        if cursor.fetchone() is None:
            return None
        cursor.execute(f"INSERT INTO {audit_table} ({audit_columns}) VALUES ({placeholders})", audit_params)  # noqa: S608
    return public_id


def activation_touch(*, license: LicenseRow, key_hash: str, activation_id: int, at: datetime) -> bool:
    """Record a fresh certificate on a live activation, if the license is still this key's and usable (one
    statement); False when not (the locked path then decides)."""
    tables = _tables()
    now = _datetime(at)
    sql = (
        f"UPDATE {tables['activation']} SET certificate_issued_at = %s, updated_at = %s "  # noqa: S608
        "WHERE id = %s AND ended_at IS NULL AND EXISTS "
        f"(SELECT 1 FROM {tables['license']} l WHERE {_usable_license_sql(tables)}) RETURNING id"
    )
    return bool(prepared_rows(sql, [now, now, activation_id, license.id, key_hash, LicenseStatus.ACTIVE.value, now]))


def license_validated(*, license: LicenseRow, at: datetime, stale_before: datetime) -> None:
    """Note the validation time, at most once per staleness window (a conditional UPDATE, usually skipped)."""
    if license.last_validated_at is not None and license.last_validated_at >= stale_before:
        return
    prepared_rows(
        f"UPDATE {_tables()['license']} SET last_validated_at = %s "  # noqa: S608
        "WHERE id = %s AND (last_validated_at IS NULL OR last_validated_at < %s)",
        [_datetime(at), license.id, _datetime(stale_before)],
        rows=False,
    )
